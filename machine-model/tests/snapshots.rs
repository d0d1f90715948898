//! Snapshot and restore: going back restores every observable state, and
//! running forward again from a snapshot reproduces the same states
//! (determinism), which is what reverse stepping is built on.
#![allow(clippy::unwrap_used)] // test support code: a failed unwrap is a failed test

mod common;

use common::*;
use iced_x86::code_asm::*;
use machine_model::{CpuModel, Exit, Machine, RunLimit};

fn program() -> Vec<u8> {
    assemble(|a| {
        let mut top = a.create_label();
        a.mov(ecx, 5000u32).unwrap();
        a.mov(edi, DATA).unwrap();
        a.set_label(&mut top).unwrap();
        a.mov(eax, ecx).unwrap();
        a.imul_3(eax, eax, 2654435761u32 as i32).unwrap();
        a.mov(ebx, ecx).unwrap();
        a.and(ebx, 0x3FFF).unwrap();
        a.mov(dword_ptr(edi + ebx * 4), eax).unwrap();
        a.dec(ecx).unwrap();
        a.jnz(top).unwrap();
        a.int(0x30).unwrap();
    })
}

fn observable(machine: &Machine) -> (Vec<u32>, u32, u64, u64, Vec<u8>, usize) {
    let mut data = vec![0u8; 0x10000];
    machine.memory.read(ia32::PhysAddr(DATA), &mut data);
    let valid_tlb: usize = machine.mmu.tlbs().iter().map(|tlb| tlb.valid_count()).sum();
    (machine.cpu.registers.to_vec(), machine.cpu.eip, machine.cycles, machine.instructions, data, valid_tlb)
}

#[test]
fn restore_returns_exactly_and_replay_is_deterministic() {
    for model in [CpuModel::I486, CpuModel::Pentium] {
        let mut machine = machine(model);
        start(&mut machine, &program());
        assert_eq!(machine.run(RunLimit::instructions(3_000)), Ok(Exit::Limit));
        let snapshot = machine.snapshot();
        let before = observable(&machine);
        assert_eq!(machine.run(RunLimit::instructions(10_000)), Ok(Exit::Limit));
        let after_first_run = observable(&machine);
        assert_ne!(before, after_first_run);
        assert!(snapshot.pages_diverged(&machine) >= 1, "the program wrote memory after the snapshot");
        machine.restore(&snapshot);
        assert_eq!(observable(&machine), before, "{model:?}: restore brings every observable state back");
        assert_eq!(machine.run(RunLimit::instructions(10_000)), Ok(Exit::Limit));
        assert_eq!(observable(&machine), after_first_run, "{model:?}: replay from the snapshot is identical");
    }
}

#[test]
fn a_snapshot_does_not_copy_memory() {
    let mut machine = machine(CpuModel::I486);
    start(&mut machine, &program());
    let snapshot = machine.snapshot();
    // Nothing written yet: the snapshot and the machine share every page.
    assert_eq!(snapshot.pages_diverged(&machine), 0);
    assert_eq!(machine.run(RunLimit::instructions(200)), Ok(Exit::Limit));
    let diverged = snapshot.pages_diverged(&machine);
    assert!((1..=4).contains(&diverged), "only the written pages are copied: {diverged}");
}

/// Every TLB and cache counter and the cycles.
fn counted(machine: &Machine) -> (u64, Vec<String>) {
    let mut counters: Vec<String> = machine.mmu.tlbs().iter().map(|tlb| format!("{:?}", tlb.counters)).collect();
    counters.extend(machine.caches.all().iter().map(|cache| format!("{:?}", cache.counters)));
    (machine.cycles, counters)
}

/// The decode cache is the host's, and a snapshot leaves it out: what the
/// machine counts must not depend on it. Here the program calls a function
/// on another page once (its instructions decoded), then writes data on
/// that page in a loop; restored from a snapshot taken after the call, the
/// page has no decoded instructions. (The fetch once forgot its code line
/// when a write dropped a page's decoded instructions, and looked the line
/// up again: one look-up more in the first run than in the replay.)
#[test]
fn what_a_replay_counts_does_not_depend_on_which_pages_were_decoded() {
    for model in [CpuModel::I486, CpuModel::Pentium] {
        let function = CODE + 0x1000;
        let mut machine = machine(model);
        let code = assemble(|a| {
            let mut top = a.create_label();
            a.mov(ecx, 100u32).unwrap();
            a.call(function as u64).unwrap();
            a.set_label(&mut top).unwrap();
            a.mov(dword_ptr(function + 0x800), ecx).unwrap();
            a.dec(ecx).unwrap();
            a.jnz(top).unwrap();
            a.int(0x30).unwrap();
        });
        machine.memory.write(ia32::PhysAddr(function), &[0xC3]); // ret
        start(&mut machine, &code);
        assert_eq!(machine.run(RunLimit::instructions(3)), Ok(Exit::Limit));
        let snapshot = machine.snapshot();
        assert_eq!(machine.run(RunLimit::instructions(300)), Ok(Exit::Limit));
        let first = counted(&machine);
        machine.restore(&snapshot);
        assert_eq!(machine.run(RunLimit::instructions(300)), Ok(Exit::Limit));
        assert_eq!(counted(&machine), first, "{model:?}");
    }
}
