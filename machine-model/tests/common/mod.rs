//! A bare machine set up the way a kernel would: GDT, IDT, TSS, a kernel
//! stack and identity paging, with user code loaded at 0x0040_0000. Code is
//! assembled with iced-x86's `CodeAssembler`.
#![allow(dead_code)]

use ia32::PhysAddr;
use ia32::paging::{PRESENT, USER, WRITABLE};
use iced_x86::code_asm::CodeAssembler;
use machine_model::{CpuModel, Exit, KernelEntry, Machine, RunLimit};

#[allow(unused_imports)] // each test file uses a different part
pub use machine_model::workload::{
    CODE, DATA, GDT, IDT, KERNEL_CODE, KERNEL_DATA, KERNEL_STACK_TOP, PAGE_DIRECTORY, PAGE_TABLES, SPARE_DATA,
    STACK_TOP, TSS, TSS_SELECTOR, USER_CODE, USER_DATA, user_frame,
};

/// A machine with everything a user program needs, in ring 0, ready for
/// `start` to enter user code (the same set-up the benchmarks use).
pub fn machine(model: CpuModel) -> Machine {
    machine_model::workload::bare_machine(model)
}

/// Assemble with iced's CodeAssembler at CODE.
pub fn assemble(build: impl FnOnce(&mut CodeAssembler)) -> Vec<u8> {
    let mut assembler = CodeAssembler::new(32).expect("32-bit assembler");
    build(&mut assembler);
    assembler.assemble(CODE as u64).expect("code assembles")
}

/// Load code at CODE and enter user mode.
pub fn start(machine: &mut Machine, code: &[u8]) {
    machine.memory.write(PhysAddr(CODE), code);
    machine.return_to_user(&user_frame(), false).expect("iret to user mode");
}

/// Run until the next kernel entry (panics on anything else: this is a test).
pub fn run_to_entry(machine: &mut Machine) -> KernelEntry {
    match machine.run(RunLimit::instructions(1_000_000)) {
        Ok(Exit::KernelEntry(entry)) => entry,
        other => panic!("expected a kernel entry, got {other:?}"),
    }
}

/// Run exactly `instructions` user instructions (panics on anything else: this is a test).
pub fn run(machine: &mut Machine, instructions: u64) {
    assert_eq!(machine.run(RunLimit::instructions(instructions)), Ok(Exit::Limit));
}

/// A machine as `machine` makes it, with the page at `linear` unmapped.
pub fn machine_without(model: CpuModel, linear: u32) -> Machine {
    let mut machine = machine(model);
    unmap(&mut machine, linear);
    machine
}

/// Return to user mode with the registers the entry saved.
pub fn resume(machine: &mut Machine, entry: &KernelEntry) {
    machine.return_to_user(&entry.frame, false).expect("iret back");
}

/// Map `virtual_page` to `frame` in the identity tables (user, writable unless told).
pub fn map(machine: &mut Machine, virtual_address: u32, physical: u32, writable: bool) {
    let table = PAGE_TABLES + (virtual_address >> 22) * 4096;
    let flags = PRESENT | USER | if writable { WRITABLE } else { 0 };
    machine.memory.write_u32(table + ((virtual_address >> 12) & 0x3FF) * 4, (physical & !0xFFF) | flags);
}

pub fn unmap(machine: &mut Machine, virtual_address: u32) {
    let table = PAGE_TABLES + (virtual_address >> 22) * 4096;
    machine.memory.write_u32(table + ((virtual_address >> 12) & 0x3FF) * 4, 0);
}
