//! The debugger's hooks: breakpoints stop before their instruction,
//! a pause before the next one, watchpoints report the instruction that
//! touched watched physical memory through whichever mapping — and none of
//! them changes a modelled cycle, TLB fill or cache line.
#![allow(clippy::unwrap_used)] // test support code: a failed unwrap is a failed test

mod common;

use common::*;
use iced_x86::code_asm::*;
use machine_model::debug::Stop;
use machine_model::{CpuModel, Exit, Machine, RunLimit, WatchKind, Watchpoint};

/// A loop that stores to DATA and, through a second mapping of the same
/// frame, reads it back; then `int 0x30`.
const ALIAS: u32 = 0x0070_0000;

fn program() -> Vec<u8> {
    assemble(|a| {
        let mut top = a.create_label();
        a.mov(ecx, 200u32).unwrap();
        a.set_label(&mut top).unwrap();
        a.mov(eax, ecx).unwrap();
        a.imul_3(eax, eax, 40503).unwrap();
        a.mov(dword_ptr(DATA + 0x10), eax).unwrap();
        a.mov(ebx, dword_ptr(ALIAS + 0x10)).unwrap();
        a.add(dword_ptr(DATA + 0x20), ebx).unwrap();
        a.dec(ecx).unwrap();
        a.jnz(top).unwrap();
        a.int(0x30).unwrap();
    })
}

fn started(model: CpuModel) -> Machine {
    let mut machine = machine(model);
    map(&mut machine, ALIAS, DATA, true);
    start(&mut machine, &program());
    machine
}

/// What the cost model and the MMU observably did.
#[derive(Debug, PartialEq)]
struct Counts {
    cycles: u64,
    instructions: u64,
    eip: u32,
    registers: [u32; 8],
    walks: u64,
    tlb_hits_and_misses: Vec<(u64, u64)>,
}

fn counts(machine: &Machine) -> Counts {
    Counts {
        cycles: machine.cycles,
        instructions: machine.instructions,
        eip: machine.cpu.eip,
        registers: machine.cpu.registers,
        walks: machine.mmu.walks,
        tlb_hits_and_misses: machine.mmu.tlbs().iter().map(|tlb| (tlb.counters.hits, tlb.counters.misses)).collect(),
    }
}

#[test]
fn a_breakpoint_stops_before_its_instruction_and_passing_it_goes_on() {
    let mut machine = started(CpuModel::I486);
    // mov ecx (5 bytes), mov eax, ecx (2), imul (6), then the store.
    let store = CODE + 13;
    machine.debug.set_breakpoints(&[store]);
    assert_eq!(machine.run(RunLimit::instructions(1_000)), Ok(Exit::Stopped(Stop::Breakpoint)));
    assert_eq!(machine.cpu.eip, store);
    assert_eq!(machine.instructions, 3, "mov, mov and imul ran; the store did not");
    assert_eq!(machine.memory.read_u32(DATA + 0x10), 0);
    // Without a pass the same breakpoint stops again at once.
    assert_eq!(machine.run(RunLimit::instructions(1_000)), Ok(Exit::Stopped(Stop::Breakpoint)));
    assert_eq!(machine.instructions, 3);
    machine.debug.pass_breakpoint_at(store);
    assert_eq!(machine.run(RunLimit::instructions(1_000)), Ok(Exit::Stopped(Stop::Breakpoint)));
    assert_eq!(machine.instructions, 3 + 7, "one round of the loop later");
    assert_ne!(machine.memory.read_u32(DATA + 0x10), 0);
}

#[test]
fn a_pause_stops_before_the_next_instruction() {
    let mut machine = started(CpuModel::Pentium);
    assert_eq!(machine.run(RunLimit::instructions(4)), Ok(Exit::Limit));
    machine.debug.request_pause();
    assert_eq!(machine.run(RunLimit::instructions(1_000)), Ok(Exit::Stopped(Stop::Pause)));
    assert_eq!(machine.instructions, 4);
    assert!(matches!(machine.run(RunLimit::instructions(10_000)), Ok(Exit::KernelEntry(_))), "a pause is once");
}

#[test]
fn watchpoints_see_physical_memory_through_every_mapping() {
    for model in [CpuModel::I486, CpuModel::Pentium] {
        let mut machine = started(model);
        let word = Watchpoint { physical: DATA + 0x10, length: 4, kind: WatchKind::Read };
        machine.debug.set_watchpoints(&[word]);
        let Ok(Exit::Watchpoint(hit)) = machine.run(RunLimit::instructions(1_000)) else {
            panic!("{model:?}: the load through the alias was not reported")
        };
        assert_eq!((hit.linear, hit.physical, hit.write), (ALIAS + 0x10, DATA + 0x10, false), "{model:?}");
        assert_eq!(machine.instructions, 5, "{model:?}: reported after the load completed");
        assert_eq!(machine.cpu.eip, hit.eip + 6, "{model:?}: EIP is past the instruction");
        machine.debug.set_watchpoints(&[Watchpoint { kind: WatchKind::Write, ..word }]);
        let Ok(Exit::Watchpoint(hit)) = machine.run(RunLimit::instructions(1_000)) else {
            panic!("{model:?}: the store was not reported")
        };
        assert_eq!((hit.linear, hit.write), (DATA + 0x10, true));
        assert_eq!(machine.instructions, 5 + 6);
        // The add to the other word reads and writes it: an access watchpoint
        // on one of its bytes reports the instruction once (as a write: the
        // CPU checks that it may write before it reads).
        machine.debug.set_watchpoints(&[Watchpoint { physical: DATA + 0x22, length: 1, kind: WatchKind::Access }]);
        let Ok(Exit::Watchpoint(hit)) = machine.run(RunLimit::instructions(1_000)) else { panic!("no add reported") };
        assert_eq!((hit.linear, hit.size, hit.write), (DATA + 0x20, 4, true));
        assert_eq!(machine.instructions, 5 + 6 + 2);
    }
}

#[test]
fn a_faulting_access_reports_nothing() {
    let mut machine = started(CpuModel::I486);
    unmap(&mut machine, ALIAS);
    machine.debug.set_watchpoints(&[Watchpoint { physical: DATA, length: 4096, kind: WatchKind::Access }]);
    // The store is reported; the load through the unmapped alias faults.
    assert!(matches!(machine.run(RunLimit::instructions(1_000)), Ok(Exit::Watchpoint(_))));
    match machine.run(RunLimit::instructions(1_000)) {
        Ok(Exit::KernelEntry(entry)) => assert_eq!(entry.vector, 14),
        other => panic!("expected the page fault, got {other:?}"),
    }
}

#[test]
fn hooks_change_no_modelled_count() {
    for model in [CpuModel::I486, CpuModel::Pentium] {
        let mut plain = started(model);
        assert!(matches!(plain.run(RunLimit::instructions(10_000)), Ok(Exit::KernelEntry(_))));
        let mut debugged = started(model);
        debugged.debug.set_breakpoints(&[CODE + 7, CODE + 13, CODE + 30]);
        debugged.debug.set_watchpoints(&[Watchpoint { physical: DATA, length: 64, kind: WatchKind::Access }]);
        let mut stops = 0;
        let mut pauses = 0;
        loop {
            match debugged.run(RunLimit::instructions(10_000)) {
                Ok(Exit::Stopped(_)) => {
                    stops += 1;
                    let eip = debugged.cpu.eip;
                    debugged.debug.pass_breakpoint_at(eip);
                    if stops % 7 == 0 {
                        debugged.debug.request_pause();
                        pauses += 1;
                    }
                }
                Ok(Exit::Watchpoint(_)) => stops += 1,
                Ok(Exit::KernelEntry(_)) => break,
                other => panic!("{model:?}: {other:?}"),
            }
        }
        assert!(stops > 600 && pauses > 50, "{model:?}: {stops} stops");
        assert_eq!(counts(&debugged), counts(&plain), "{model:?}: the same cycles, TLB and cache behaviour");
        assert_eq!(debugged.memory.read_u32(DATA + 0x20), plain.memory.read_u32(DATA + 0x20));
    }
}

#[test]
fn hooks_stay_across_a_restore_but_a_pause_does_not() {
    let mut machine = started(CpuModel::I486);
    let snapshot = machine.snapshot();
    machine.debug.set_breakpoints(&[CODE + 13]);
    machine.debug.request_pause();
    machine.restore(&snapshot);
    assert_eq!(machine.debug.breakpoints(), &[CODE + 13]);
    assert_eq!(machine.run(RunLimit::instructions(1_000)), Ok(Exit::Stopped(Stop::Breakpoint)));
    assert_eq!(machine.instructions, 3, "no pause first");
}

#[test]
fn a_faulting_instruction_is_begun_again_and_a_pause_names_each_beginning() {
    let mut machine = started(CpuModel::I486);
    unmap(&mut machine, ALIAS);
    let entry = run_to_entry(&mut machine);
    assert_eq!(entry.vector, 14, "the load through the alias faults");
    assert_eq!((machine.instructions, machine.attempts), (4, 5), "begun five times, executed four");
    map(&mut machine, ALIAS, DATA, true);
    resume(&mut machine, &entry);
    machine.debug.request_pause_at(5);
    assert_eq!(machine.run(RunLimit::instructions(1_000)), Ok(Exit::Stopped(Stop::Pause)));
    assert_eq!((machine.attempts, machine.cpu.eip), (5, CODE + 18), "before the load, begun again");
    machine.debug.request_pause_at(7);
    assert_eq!(machine.run(RunLimit::instructions(1_000)), Ok(Exit::Stopped(Stop::Pause)));
    assert_eq!((machine.instructions, machine.attempts), (6, 7));
}
