//! The multiboot header and the first instructions.
//!
//! The loader enters in 32-bit protected mode with paging off, EAX =
//! 0x2BADB002 and EBX = the multiboot info. We set up a stack and call Rust.

core::arch::global_asm!(
    r#"
    .section .multiboot, "a"
    .balign 4
    .long 0x1BADB002
    .long 0x00000003
    .long -(0x1BADB002 + 0x00000003)

    .section .text.multiboot_entry, "ax"
    .global multiboot_entry
multiboot_entry:
    cli
    cld
    mov esp, offset boot_stack_top
    xor ebp, ebp
    push ebx
    push eax
    call native_main
.Lhang:
    cli
    hlt
    jmp .Lhang

    .section .bss.boot_stack, "aw", @nobits
    .balign 16
boot_stack_bottom:
    .skip 16384
boot_stack_top:
"#
);
