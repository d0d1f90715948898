//! Execute arbitrary bytes as ring-3 code on both CPU models: the host must
//! never panic, whatever the bytes and starting registers.
#![no_main]

use ia32::paging::{Entry, USER, WRITABLE};
use ia32::registers::{cr0, eflags};
use ia32::segment::{GateDescriptor, SegmentDescriptor, Selector, access};
use ia32::{Frame, PhysAddr};
use libfuzzer_sys::fuzz_target;
use machine_model::{CpuModel, Exit, Machine, MachineConfig, RunLimit, UserFrame};

fn machine(model: CpuModel) -> Machine {
    let mut machine = Machine::new(MachineConfig { memory_bytes: 8 << 20, ..MachineConfig::new(model) });
    let gdt = [
        0,
        SegmentDescriptor::flat(0, 1 << 32, true, 0).encode(),
        SegmentDescriptor::flat(0, 1 << 32, false, 0).encode(),
        SegmentDescriptor::flat(0, 1 << 32, true, 3).encode(),
        SegmentDescriptor::flat(0, 1 << 32, false, 3).encode(),
        SegmentDescriptor { base: 0x3000, raw_limit: 103, access: access::PRESENT | access::TSS32_AVAILABLE, granularity: false, default_big: false }.encode(),
    ];
    for (index, descriptor) in gdt.iter().enumerate() {
        machine.memory.write(PhysAddr(0x1000 + 8 * index as u32), &descriptor.to_le_bytes());
    }
    for vector in 0..256u32 {
        let dpl = if vector == 3 || (0x30..=0x36).contains(&vector) { 3 } else { 0 };
        let gate = GateDescriptor::new(Selector(0x08), 0, access::INTERRUPT_GATE32, dpl);
        machine.memory.write(PhysAddr(0x2000 + 8 * vector), &gate.encode().to_le_bytes());
    }
    machine.memory.write_u32(0x3004, 0x9000);
    machine.memory.write_u32(0x3008, 0x10);
    for table in 0..2u32 {
        let flags = if table == 0 { WRITABLE } else { WRITABLE | USER };
        machine.memory.write_u32(0x10000 + table * 4, Entry::new(PhysAddr(0x11000 + table * 4096).frame(), WRITABLE | USER).raw());
        for page in 0..1024u32 {
            machine.memory.write_u32(0x11000 + table * 4096 + page * 4, Entry::new(Frame(table * 1024 + page), flags).raw());
        }
    }
    machine.load_descriptor_tables(0x1000, 47, 0x2000, 2047);
    machine.cpu.cr3 = 0x10000;
    machine.write_control(cr0::PE | cr0::PG | cr0::WP, 0);
    let _ = machine.load_segment_register(2, Selector(0x10));
    machine.cpu.registers[4] = 0x9000;
    let _ = machine.load_task_register(Selector(0x28));
    machine
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 33 {
        return;
    }
    let model = if data[0] & 1 == 0 { CpuModel::I486 } else { CpuModel::Pentium };
    let mut machine = machine(model);
    let registers: [u32; 8] = std::array::from_fn(|index| u32::from_le_bytes(data[1 + 4 * index..5 + 4 * index].try_into().unwrap_or([0; 4])));
    machine.memory.write(PhysAddr(0x0040_0000), &data[33..]);
    let frame = UserFrame {
        registers,
        eip: 0x0040_0000,
        eflags: eflags::RESERVED_ONE | eflags::IF,
        segments: [0x23, 0x1B, 0x23, 0x23, 0x23, 0x23],
    };
    if machine.return_to_user(&frame, true).is_err() {
        return;
    }
    for _ in 0..16 {
        match machine.run(RunLimit::instructions(10_000)) {
            Ok(Exit::KernelEntry(entry)) => {
                let mut frame = entry.frame;
                frame.eip = frame.eip.wrapping_add(1);
                if machine.return_to_user(&frame, false).is_err() {
                    return;
                }
            }
            _ => return,
        }
    }
});
