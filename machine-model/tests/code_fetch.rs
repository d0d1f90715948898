//! The code fetch as the prefetcher does it: a code line is looked up in the
//! TLB and the code cache when the fetch moves on to it, again after every
//! jump (the prefetch queue is emptied, even for a target in the same line)
//! and after a kernel entry; and the misses of a fetch are charged to the
//! instruction, as its data accesses' are.
#![allow(clippy::unwrap_used)] // test support code: a failed unwrap is a failed test

mod common;

use common::*;
use iced_x86::code_asm::*;
use machine_model::{CpuModel, Machine};

/// Code-TLB look-ups (hits and misses) and code-cache reads so far (on the
/// 486 the TLB and the cache hold data too: tests count from after the
/// `iret` into user mode, and their code reads no data).
fn code_lookups(machine: &Machine) -> (u64, u64) {
    let tlb = machine.mmu.tlbs()[0].counters;
    let cache = machine.caches.code.counters;
    (tlb.hits + tlb.misses, cache.read_hits + cache.read_misses)
}

/// The code look-ups (as `code_lookups`) of the next `instructions`.
fn lookups_during(machine: &mut Machine, instructions: u64) -> (u64, u64) {
    let before = code_lookups(machine);
    run(machine, instructions);
    let after = code_lookups(machine);
    (after.0 - before.0, after.1 - before.1)
}

#[test]
fn a_loop_inside_one_code_line_looks_the_line_up_after_every_jump() {
    for model in [CpuModel::I486, CpuModel::Pentium] {
        let mut machine = machine(model);
        // 8 bytes, all in the first line (16 bytes on the 486, 32 on the Pentium).
        let code = assemble(|a| {
            let mut again = a.create_label();
            a.mov(ecx, 10).unwrap();
            a.set_label(&mut again).unwrap();
            a.dec(ecx).unwrap();
            a.jnz(again).unwrap();
            a.int(0x30).unwrap();
        });
        assert!(code.len() <= 16);
        start(&mut machine, &code);
        // mov, then ten times dec and jnz: nine jumps back, the tenth falls
        // through. The first fetch, then one after each of the nine jumps taken.
        assert_eq!(lookups_during(&mut machine, 21), (10, 10), "{model:?}");
        assert_eq!(machine.cpu.registers[machine_model::cpu::register::ECX], 0, "{model:?}");
    }
}

#[test]
fn the_first_fetch_after_the_kernel_looks_its_line_up_again() {
    for model in [CpuModel::I486, CpuModel::Pentium] {
        let mut machine = machine(model);
        let code = assemble(|a| {
            a.int(0x30).unwrap();
            a.nop().unwrap();
            a.nop().unwrap();
        });
        start(&mut machine, &code);
        let entry = run_to_entry(&mut machine);
        resume(&mut machine, &entry);
        // The first nop is in the line the int was fetched from: looked up
        // again after the kernel; the second is not.
        assert_eq!(lookups_during(&mut machine, 2), (1, 1), "{model:?}");
    }
}

#[test]
fn a_fetch_that_misses_the_tlb_and_the_code_cache_pays_for_both() {
    for model in [CpuModel::I486, CpuModel::Pentium] {
        let mut machine = machine(model);
        let code = assemble(|a| {
            a.nop().unwrap();
            a.nop().unwrap();
        });
        start(&mut machine, &code);
        let misses =
            |machine: &Machine| (machine.mmu.tlbs()[0].counters.misses, machine.caches.code.counters.read_misses);
        let before = misses(&machine);
        let started = machine.cycles;
        run(&mut machine, 1);
        let cold = machine.cycles - started;
        let started = machine.cycles;
        run(&mut machine, 1);
        let hot = machine.cycles - started;
        // The same instruction: the first walked for its page and filled its line.
        let costs = machine.cost_table();
        assert_eq!(cold - hot, (costs.tlb_miss + costs.cache_miss) as u64, "{model:?}");
        let after = misses(&machine);
        assert_eq!((after.0 - before.0, after.1 - before.1), (1, 1), "{model:?}");
    }
}

/// An instruction across two pages looks each page up once per run, as
/// the prefetcher does (it was decoded again at each run, and the decode
/// looked the second page up a second time).
#[test]
fn an_instruction_across_two_pages_looks_each_up_once() {
    for model in [CpuModel::I486, CpuModel::Pentium] {
        let mut machine = machine(model);
        let crossing = CODE + 0xFFE;
        // mov ecx, 10; jmp crossing
        let mut start_code = vec![0xB9, 10, 0, 0, 0, 0xE9];
        start_code.extend_from_slice(&(crossing.wrapping_sub(CODE + 10)).to_le_bytes());
        start(&mut machine, &start_code);
        // mov eax, 1 (across the boundary); dec ecx; jnz crossing; int 0x30
        machine.memory.write(ia32::PhysAddr(crossing), &[0xB8, 1, 0, 0, 0, 0x49, 0x75, 0xF8, 0xCD, 0x30]);
        run(&mut machine, 5);
        // Four more turns: each fetches the first page's line, then the second's.
        assert_eq!(lookups_during(&mut machine, 12).0, 8, "{model:?}");
    }
}
