//! Random code on random machine state, on both CPU models: the user
//! page tables (directory and table entries of the user region, 4 MB pages
//! included), the user code and data descriptors (base, limit, type,
//! privilege, present), the data segment registers, CR0's WP/AM/TS/EM/MP
//! bits, CR4's PSE/DE/TSD bits, EFLAGS and the registers. The model
//! must never panic, and whatever the code does must come out as the CPU's
//! own answer: a kernel entry for an exception (vector 0..31) or for an
//! `int` through one of the gates user mode may use (3, 0x30..0x36; any
//! other `int n` is a #GP), or one of the machine errors a real CPU has an
//! equivalent for (a double fault, a frame the CPU refuses).
//!
//! Cheap per input: the machine is built once per CPU and each input starts
//! from a snapshot of it (memory shared copy-on-write), so only what the
//! input changes is copied.
#![no_main]

use ia32::paging::{Entry, LARGE_PAGE, USER, WRITABLE};
use ia32::registers::{cr0, cr4, eflags};
use ia32::segment::{GateDescriptor, SegmentDescriptor, Selector, access};
use ia32::{Frame, PhysAddr};
use libfuzzer_sys::fuzz_target;
use machine_model::{CpuModel, EntryCause, Exit, Machine, MachineConfig, MachineError, MachineSnapshot, RunLimit, UserFrame};
use std::cell::RefCell;

const GDT: u32 = 0x1000;
const IDT: u32 = 0x2000;
const TSS: u32 = 0x3000;
const DIRECTORY: u32 = 0x10000;
const TABLES: u32 = 0x11000;
const CODE: u32 = 0x0040_0000;

fn machine(model: CpuModel) -> Machine {
    let mut machine = Machine::new(MachineConfig { memory_bytes: 8 << 20, ..MachineConfig::new(model) });
    let tss = SegmentDescriptor {
        base: TSS,
        raw_limit: 103,
        access: access::PRESENT | access::TSS32_AVAILABLE,
        granularity: false,
        default_big: false,
    };
    let gdt = [
        0,
        SegmentDescriptor::flat(0, 1 << 32, true, 0).encode(),
        SegmentDescriptor::flat(0, 1 << 32, false, 0).encode(),
        SegmentDescriptor::flat(0, 1 << 32, true, 3).encode(),
        SegmentDescriptor::flat(0, 1 << 32, false, 3).encode(),
        tss.encode(),
    ];
    for (index, descriptor) in gdt.iter().enumerate() {
        machine.memory.write(PhysAddr(GDT + 8 * index as u32), &descriptor.to_le_bytes());
    }
    for vector in 0..256u32 {
        let dpl = if vector == 3 || (0x30..=0x36).contains(&vector) { 3 } else { 0 };
        let gate = GateDescriptor::new(Selector(0x08), 0, access::INTERRUPT_GATE32, dpl);
        machine.memory.write(PhysAddr(IDT + 8 * vector), &gate.encode().to_le_bytes());
    }
    machine.memory.write_u32(TSS + 4, 0x9000);
    machine.memory.write_u32(TSS + 8, 0x10);
    // Table 0 maps the first 4 MB for the supervisor (the tables above),
    // table 1 the user region at 4 MB; the input rewrites the latter.
    for table in 0..2u32 {
        let flags = if table == 0 { WRITABLE } else { WRITABLE | USER };
        let directory_entry = Entry::new(PhysAddr(TABLES + table * 4096).frame(), WRITABLE | USER).raw();
        machine.memory.write_u32(DIRECTORY + table * 4, directory_entry);
        for page in 0..1024u32 {
            let entry = Entry::new(Frame(table * 1024 + page), flags).raw();
            machine.memory.write_u32(TABLES + table * 4096 + page * 4, entry);
        }
    }
    machine.load_descriptor_tables(GDT, 47, IDT, 2047);
    machine.cpu.cr3 = DIRECTORY;
    machine.write_control(cr0::PE | cr0::PG | cr0::WP, 0);
    let _ = machine.load_segment_register(2, Selector(0x10));
    machine.cpu.registers[4] = 0x9000;
    let _ = machine.load_task_register(Selector(0x28));
    machine
}

thread_local! {
    /// The two machines, built once, and a snapshot of each as built.
    static MACHINES: RefCell<[(Machine, MachineSnapshot); 2]> = RefCell::new(
        [CpuModel::I486, CpuModel::Pentium].map(|model| {
            let machine = machine(model);
            let snapshot = machine.snapshot();
            (machine, snapshot)
        }),
    );
}

/// Reads the input front to back; zeros when it runs out.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().map(|(first, rest)| (*first, rest)).unwrap_or((0, &[]));
        self.0 = rest;
        first
    }
    fn word(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }
}

fn check(outcome: &Result<Exit, MachineError>) {
    match outcome {
        Ok(Exit::KernelEntry(entry)) => match entry.cause {
            EntryCause::Exception => assert!(entry.vector < 32, "an exception with vector {}", entry.vector),
            EntryCause::SoftwareInterrupt => assert!(
                entry.vector == 3 || (0x30..=0x36).contains(&entry.vector),
                "int {:#x} went through a gate user mode may not use",
                entry.vector
            ),
            EntryCause::Interrupt { .. } => {}
        },
        Ok(_) => {}
        Err(MachineError::DoubleFault { .. } | MachineError::BadReturnFrame { .. }) => {}
        // Delivery reads the IDT, GDT and TSS through the supervisor's
        // mapping, which the input does not change.
        Err(error) => panic!("a machine error no CPU has: {error}"),
    }
}

fuzz_target!(|data: &[u8]| {
    MACHINES.with(|machines| {
        let mut machines = machines.borrow_mut();
        let mut input = Input(data);
        let (machine, snapshot) = &mut machines[(data.first().copied().unwrap_or(0) & 1) as usize];
        machine.restore(snapshot);
        input.byte();
        execute(machine, input);
    });
});

fn execute(machine: &mut Machine, mut input: Input<'_>) {
    // Control registers: the bits a kernel may choose (paging stays on).
    let control = input.word();
    let cr0_bits = cr0::PE | cr0::PG | (control & (cr0::WP | cr0::AM | cr0::TS | cr0::EM | cr0::MP | cr0::NE));
    let cr4_bits = (control >> 8) & (cr4::PSE | cr4::DE | cr4::TSD);
    machine.write_control(cr0_bits, cr4_bits);
    // The user region's directory entry (a table or a 4 MB page) and the
    // first 16 entries of its table.
    let directory = input.word();
    let directory_entry = if directory & 1 == 0 {
        Entry::new(PhysAddr(TABLES + 4096).frame(), WRITABLE | USER).raw()
    } else {
        (directory & (WRITABLE | USER | LARGE_PAGE | 0x18)) | 1 | if directory & LARGE_PAGE != 0 { CODE } else { TABLES + 4096 }
    };
    machine.memory.write_u32(DIRECTORY + 4, directory_entry);
    for page in 0..16u32 {
        let word = input.word();
        if word & 0x8000_0000 != 0 {
            machine.memory.write_u32(TABLES + 4096 + page * 4, (word & 0xFFF) | ((1024 + (word >> 12) % 2048) << 12));
        }
    }
    // The user code and data descriptors (GDT 3 and 4), mostly flat.
    for index in 3..5u32 {
        let word = input.word();
        if word & 1 != 0 {
            let descriptor = SegmentDescriptor {
                base: input.word() & 0x00FF_F000,
                raw_limit: input.word() & 0xF_FFFF,
                access: (word >> 8) as u8,
                granularity: word & 2 != 0,
                default_big: word & 4 != 0,
            };
            machine.memory.write(PhysAddr(GDT + 8 * index), &descriptor.encode().to_le_bytes());
        }
    }
    let selectors = input.word();
    let data_selector = |shift: u32| -> u16 {
        match (selectors >> shift) & 3 {
            0 => 0x23,
            1 => 0,
            2 => 0x1B,
            _ => ((selectors >> (shift + 2)) & 0x3F) as u16,
        }
    };
    let segments = [data_selector(0), 0x1B, data_selector(8), data_selector(16), data_selector(24), 0x23];
    let registers: [u32; 8] = std::array::from_fn(|_| input.word());
    let flags = input.word() & (eflags::STATUS | eflags::TF | eflags::DF | eflags::AC | eflags::ID | eflags::NT);
    machine.memory.write(PhysAddr(CODE), input.0);
    let frame = UserFrame { registers, eip: CODE, eflags: flags | eflags::RESERVED_ONE | eflags::IF, segments };
    if machine.return_to_user(&frame, true).is_err() {
        return;
    }
    for _ in 0..8 {
        let outcome = machine.run(RunLimit::instructions(2_000));
        check(&outcome);
        match outcome {
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
}
