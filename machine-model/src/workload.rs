//! Benchmark workloads for the model alone (no kernel), the same natively
//! and in the browser: `cargo xtask bench model` runs them in a release
//! build on the host and, through `wasm-bridge`, in headless Chromium.
//!
//! The machine is set up the way a kernel would set it up (GDT, IDT, TSS,
//! identity paging, user code at 0x0040_0000); the tests use the same set-up
//! (`tests/common`). Ring 0 is the benchmark itself: every 1,000 user
//! instructions of the paging workload it loads CR3 as a kernel's address-
//! space switch would, flushing the TLB.

use crate::{CpuModel, Exit, Machine, MachineConfig, RunLimit, UserFrame};
use ia32::paging::{Entry, USER, WRITABLE};
use ia32::registers::{cr0, eflags};
use ia32::segment::{GateDescriptor, SegmentDescriptor, Selector, access};
use ia32::{Frame, PhysAddr};

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

/// A machine with everything a user program needs, in ring 0: flat
/// segments, an IDT whose gates 3 and 0x30–0x36 are open to ring 3, a TSS,
/// and 8 MB identity-mapped (the first 4 MB supervisor-only).
pub fn bare_machine(model: CpuModel) -> Machine {
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
    for table in 0..2u32 {
        let flags = if table == 0 { WRITABLE } else { WRITABLE | USER };
        let table_address = PAGE_TABLES + table * 4096;
        machine
            .memory
            .write_u32(PAGE_DIRECTORY + table * 4, Entry::new(PhysAddr(table_address).frame(), WRITABLE | USER).raw());
        for page in 0..1024u32 {
            machine.memory.write_u32(table_address + page * 4, Entry::new(Frame(table * 1024 + page), flags).raw());
        }
    }
    machine.load_descriptor_tables(GDT, (gdt.len() * 8 - 1) as u16, IDT, 256 * 8 - 1);
    machine.cpu.cr3 = PAGE_DIRECTORY;
    machine.write_control(cr0::PE | cr0::PG | cr0::WP | cr0::ET, 0);
    // These selectors are valid by construction; a failure would be a bug in
    // this set-up, which the tests that use it report.
    let _ = machine.load_segment_register(2, Selector(KERNEL_DATA));
    machine.cpu.registers[4] = KERNEL_STACK_TOP;
    let _ = machine.load_task_register(Selector(TSS_SELECTOR));
    for segment in [0, 3, 4, 5] {
        let _ = machine.load_segment_register(segment, Selector(USER_DATA));
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

/// What the benchmark runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// A tight integer loop: add, xor, inc, dec, jnz (and a jmp back).
    IntegerLoop,
    /// A loop reading one dword from each of 64 pages, with a CR3 load
    /// (a full TLB flush) every 1,000 instructions.
    PagesWithCr3Loads,
}

impl Workload {
    pub const ALL: [Workload; 2] = [Workload::IntegerLoop, Workload::PagesWithCr3Loads];

    pub fn name(self) -> &'static str {
        match self {
            Workload::IntegerLoop => "integer loop",
            Workload::PagesWithCr3Loads => "64 pages, mov cr3 every 1,000",
        }
    }

    /// The user code (encoded by hand: eight instructions, each commented).
    fn code(self) -> &'static [u8] {
        match self {
            Workload::IntegerLoop => &[
                0x01, 0xD8, // 0: add eax, ebx
                0x31, 0xC2, // 2: xor edx, eax
                0x43, // 4: inc ebx
                0x49, // 5: dec ecx
                0x75, 0xF8, // 6: jnz 0
                0xEB, 0xF6, // 8: jmp 0
            ],
            Workload::PagesWithCr3Loads => &[
                0xBE, 0x00, 0x00, 0x50, 0x00, // 0: mov esi, 0x500000 (DATA)
                0x8B, 0x06, // 5: mov eax, [esi]
                0x01, 0xC3, // 7: add ebx, eax
                0x81, 0xC6, 0x00, 0x10, 0x00, 0x00, // 9: add esi, 0x1000
                0x81, 0xFE, 0x00, 0x00, 0x54, 0x00, // 15: cmp esi, 0x540000 (64 pages on)
                0x72, 0xEE, // 21: jb 5
                0xEB, 0xE7, // 23: jmp 0
            ],
        }
    }
}

/// A benchmark's outcome.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measurement {
    pub instructions: u64,
    pub milliseconds: f64,
    /// Simulated cycles, for a sanity check of what ran.
    pub cycles: u64,
}

impl Measurement {
    pub fn millions_per_second(&self) -> f64 {
        if self.milliseconds <= 0.0 { 0.0 } else { self.instructions as f64 / self.milliseconds / 1_000.0 }
    }
}

/// A machine in user mode at the first instruction of `workload`.
pub fn prepare(model: CpuModel, workload: Workload) -> Result<Machine, String> {
    let mut machine = bare_machine(model);
    machine.memory.write(PhysAddr(CODE), workload.code());
    machine.return_to_user(&user_frame(), false).map_err(|error| format!("entering user mode: {error:?}"))?;
    Ok(machine)
}

/// Run `instructions` more user instructions of `workload` on a machine
/// [`prepare`] made, loading CR3 between slices as the benchmark does.
pub fn advance(machine: &mut Machine, workload: Workload, instructions: u64) -> Result<(), String> {
    let slice = match workload {
        Workload::IntegerLoop => 1_000_000,
        Workload::PagesWithCr3Loads => 1_000,
    };
    let start_instructions = machine.instructions;
    while machine.instructions - start_instructions < instructions {
        let left = instructions - (machine.instructions - start_instructions);
        match machine.run(RunLimit::instructions(left.min(slice))) {
            Ok(Exit::Limit) => {}
            other => return Err(format!("the {} workload stopped: {other:?}", workload.name())),
        }
        if workload == Workload::PagesWithCr3Loads {
            machine.load_cr3(PAGE_DIRECTORY);
        }
    }
    Ok(())
}

/// Run `workload` for `instructions` user instructions; `clock` gives
/// milliseconds (the host's or the page's). Events are off, as in the
/// explorer when nobody listens.
pub fn measure(
    model: CpuModel,
    workload: Workload,
    instructions: u64,
    clock: impl Fn() -> f64,
) -> Result<Measurement, String> {
    let mut machine = prepare(model, workload)?;
    let started = clock();
    let start_instructions = machine.instructions;
    advance(&mut machine, workload, instructions)?;
    Ok(Measurement {
        instructions: machine.instructions - start_instructions,
        milliseconds: clock() - started,
        cycles: machine.cycles,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_workloads_run_and_the_flushes_cost_cycles() {
        for model in [CpuModel::I486, CpuModel::Pentium] {
            let tight = measure(model, Workload::IntegerLoop, 20_000, || 0.0).expect("the loop runs");
            let paging = measure(model, Workload::PagesWithCr3Loads, 20_000, || 0.0).expect("the page loop runs");
            assert_eq!(tight.instructions, 20_000);
            assert_eq!(paging.instructions, 20_000);
            // A TLB refill per page after every flush: more cycles per instruction.
            assert!(paging.cycles > tight.cycles, "{model:?}: {paging:?} vs {tight:?}");
        }
    }
}
