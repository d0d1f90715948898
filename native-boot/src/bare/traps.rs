//! Exception entry stubs. Each pushes a uniform frame (a zero where the CPU
//! pushes no error code, then the vector) and jumps to common code that calls
//! [`exception`] with a pointer to the saved registers.

use super::serial;
use core::fmt::Write;

/// The registers as the stubs leave them on the stack.
#[repr(C)]
#[derive(Debug)]
pub struct TrapFrame {
    pub edi: u32,
    pub esi: u32,
    pub ebp: u32,
    pub esp_at_pusha: u32,
    pub ebx: u32,
    pub edx: u32,
    pub ecx: u32,
    pub eax: u32,
    pub vector: u32,
    pub error_code: u32,
    pub eip: u32,
    pub cs: u32,
    pub eflags: u32,
}

unsafe extern "C" {
    static exception_stub_table: [usize; 32];
}

/// Entry addresses of the 32 exception stubs, for the IDT.
pub static EXCEPTION_STUBS: &[usize; 32] = {
    // Safety: the table is defined in the assembly below and never written.
    unsafe { &exception_stub_table }
};

core::arch::global_asm!(
    r#"
    .section .text.exception_stubs, "ax"
    .irp vector, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,21,22,23,24,25,26,27,28,29,30,31
exception_stub_\vector:
    push 0
    push \vector
    jmp exception_common
    .endr
    .irp vector, 8,10,11,12,13,14,17
exception_stub_\vector:
    push \vector
    jmp exception_common
    .endr

exception_common:
    pushad
    mov eax, esp
    push eax
    call native_exception
    add esp, 4
    popad
    add esp, 8
    iretd

    .section .rodata.exception_stub_table, "a"
    .balign 4
    .global exception_stub_table
exception_stub_table:
    .irp vector, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .long exception_stub_\vector
    .endr
"#
);

/// An exception in ring 0 is a kernel bug: report it and stop.
#[unsafe(no_mangle)]
extern "C" fn native_exception(frame: &TrapFrame) {
    let mut cr2: u32;
    // Safety: reading CR2 has no side effects.
    unsafe { core::arch::asm!("mov {}, cr2", out(reg) cr2, options(nomem, nostack)) };
    if frame.vector != 14 {
        cr2 = 0;
    }
    let _ = write!(
        serial::Writer,
        "\r\nunexpected exception {} ({}) error={:#x} at {:#010x} cs={:#x} eflags={:#x} cr2={:#x}\r\n",
        frame.vector,
        ia32::registers::vector::mnemonic(frame.vector as u8),
        frame.error_code,
        frame.eip,
        frame.cs,
        frame.eflags,
        cr2
    );
    super::exit(crate::exit::Verdict::KernelStop);
}
