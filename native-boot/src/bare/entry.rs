//! The multiboot header and the first instructions.
//!
//! The loader enters at the physical address of `multiboot_entry` in 32-bit
//! protected mode with paging off, EAX = 0x2BADB002 and EBX = the multiboot
//! info. The image is linked at 0xF0100000 (the kernel's window onto
//! physical memory), so until paging is on every symbol is used minus
//! 0xF0000000. EFLAGS, the LDT register, DR7 and CR4 are set to known
//! values at boot (here, `descriptors::init`, `enable_paging`): a loader
//! may leave them anything. The stub maps the first 4 MB twice — 1:1, so the next
//! instruction still runs, and at the window — turns paging on, jumps up,
//! and calls Rust on the kernel stack (layout::KERNEL_STACK_TOP).

core::arch::global_asm!(
    r#"
    .section .multiboot, "a"
    .balign 4
    .long 0x1BADB002
    .long 0x00000003
    .long -(0x1BADB002 + 0x00000003)

    .section .text.boot, "ax"
    .global multiboot_entry
multiboot_entry:
    cli
    cld
    mov esi, eax
    # One page table mapping physical 0..4 MB, writable.
    mov edi, offset boot_first_table - 0xF0000000
    mov eax, 0x3
    mov ecx, 1024
1:
    stosd
    add eax, 0x1000
    loop 1b
    # Directory slot 0 (1:1) and slot 0x3C0 (0xF0000000) use it.
    mov edx, offset boot_first_table - 0xF0000000
    or edx, 0x3
    mov edi, offset boot_directory - 0xF0000000
    mov [edi], edx
    mov [edi + 0x3C0 * 4], edx
    mov cr3, edi
    mov ecx, cr0
    or ecx, 0x80010001
    mov cr0, ecx
    mov ecx, offset boot_high
    jmp ecx
boot_high:
    mov esp, 0xF0400000
    # The loader leaves EFLAGS undefined but for VM and IF: clear them all
    # (NT set would make the first `iretd` a task switch).
    push 0x2
    popfd
    xor ebp, ebp
    push ebx
    push esi
    call native_main
3:
    cli
    hlt
    jmp 3b

    .section .bss.boot_tables, "aw", @nobits
    .balign 4096
    .global boot_directory
boot_directory:
    .skip 4096
    .global boot_first_table
boot_first_table:
    .skip 4096
"#
);
