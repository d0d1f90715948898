//! A bare machine set up the way a kernel would: GDT, IDT, TSS, a kernel
//! stack and identity paging, with user code loaded at 0x0040_0000. Code is
//! assembled with iced-x86's `CodeAssembler`.
#![allow(dead_code)]

use ia32::paging::{Entry, PRESENT, USER, WRITABLE};
use ia32::registers::{cr0, eflags};
use ia32::segment::{GateDescriptor, SegmentDescriptor, Selector, access};
use ia32::{Frame, PhysAddr};
use iced_x86::code_asm::CodeAssembler;
use machine_model::{CpuModel, Exit, KernelEntry, Machine, MachineConfig, RunLimit, UserFrame};

pub const GDT: u32 = 0x1000;
pub const IDT: u32 = 0x2000;
pub const TSS: u32 = 0x3000;
pub const KERNEL_STACK_TOP: u32 = 0x9000;
pub const PAGE_DIRECTORY: u32 = 0x10000;
/// Page tables for the first 8 MB follow the directory.
pub const PAGE_TABLES: u32 = 0x11000;
pub const CODE: u32 = 0x0040_0000;
pub const DATA: u32 = 0x0050_0000;
pub const STACK_TOP: u32 = 0x0060_0000;

pub const KERNEL_CODE: u16 = 0x08;
pub const KERNEL_DATA: u16 = 0x10;
pub const USER_CODE: u16 = 0x1B;
pub const USER_DATA: u16 = 0x23;
pub const TSS_SELECTOR: u16 = 0x28;
/// A second user data segment for descriptor-cache tests.
pub const SPARE_DATA: u16 = 0x33;

/// A machine with everything a user program needs, in ring 0, ready for
/// `start` to enter user code.
pub fn machine(model: CpuModel) -> Machine {
    let mut machine = Machine::new(MachineConfig::new(model));
    let gdt = [
        0,
        SegmentDescriptor::flat(0, 1 << 32, true, 0).encode(),
        SegmentDescriptor::flat(0, 1 << 32, false, 0).encode(),
        SegmentDescriptor::flat(0, 1 << 32, true, 3).encode(),
        SegmentDescriptor::flat(0, 1 << 32, false, 3).encode(),
        SegmentDescriptor {
            base: TSS,
            raw_limit: 103,
            access: access::PRESENT | access::TSS32_AVAILABLE,
            granularity: false,
            default_big: false,
        }
        .encode(),
        SegmentDescriptor::flat(0, 1 << 32, false, 3).encode(),
    ];
    for (index, descriptor) in gdt.iter().enumerate() {
        machine.memory.write(PhysAddr(GDT + 8 * index as u32), &descriptor.to_le_bytes());
    }
    for vector in 0..256u32 {
        let dpl = if vector == 3 || (0x30..=0x36).contains(&vector) { 3 } else { 0 };
        let gate = GateDescriptor::new(Selector(KERNEL_CODE), 0xC000_0000 + vector * 16, access::INTERRUPT_GATE32, dpl);
        machine.memory.write(PhysAddr(IDT + 8 * vector), &gate.encode().to_le_bytes());
    }
    machine.memory.write_u32(TSS + 4, KERNEL_STACK_TOP);
    machine.memory.write_u32(TSS + 8, KERNEL_DATA as u32);
    machine.memory.write_u32(TSS + 100, 104 << 16); // I/O map base beyond the limit: no ports
    // Identity-map 8 MB: the first 4 MB supervisor-only, the next 4 MB user.
    for table in 0..2u32 {
        let flags = if table == 0 { WRITABLE } else { WRITABLE | USER };
        let table_address = PAGE_TABLES + table * 4096;
        machine
            .memory
            .write_u32(PAGE_DIRECTORY + table * 4, Entry::new(PhysAddr(table_address).frame(), WRITABLE | USER).raw());
        for page in 0..1024u32 {
            let frame = Frame(table * 1024 + page);
            machine.memory.write_u32(table_address + page * 4, Entry::new(frame, flags).raw());
        }
    }
    machine.load_descriptor_tables(GDT, (gdt.len() * 8 - 1) as u16, IDT, 256 * 8 - 1);
    machine.cpu.cr3 = PAGE_DIRECTORY;
    machine.write_control(cr0::PE | cr0::PG | cr0::WP | cr0::ET, 0);
    machine.load_segment_register(2, Selector(KERNEL_DATA)).expect("kernel SS loads");
    machine.cpu.registers[4] = KERNEL_STACK_TOP;
    machine.load_task_register(Selector(TSS_SELECTOR)).expect("TSS loads");
    for seg in [0, 3, 4, 5] {
        machine.load_segment_register(seg, Selector(USER_DATA)).expect("user data loads");
    }
    machine.cycles = 0;
    machine
}

/// The initial user frame: EIP at CODE, ESP at STACK_TOP, user selectors, IF set.
pub fn user_frame() -> UserFrame {
    UserFrame {
        registers: [0, 0, 0, 0, STACK_TOP, 0, 0, 0],
        eip: CODE,
        eflags: eflags::RESERVED_ONE | eflags::IF,
        segments: [USER_DATA, USER_CODE, USER_DATA, USER_DATA, USER_DATA, USER_DATA],
    }
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
