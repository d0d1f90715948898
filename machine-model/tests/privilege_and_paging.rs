//! The ring transitions, paging, TLBs and segmentation behave as on the
//! hardware, and cost what the paper says they cost.
#![allow(clippy::unwrap_used)] // test support code: a failed unwrap is a failed test

mod common;

use common::*;
use iced_x86::code_asm::*;
use machine_model::{CpuModel, EntryCause, MachineEvent};

#[test]
fn int_to_ring_0_and_iret_back_cost_107_cycles_on_a_hot_486() {
    let mut machine = machine(CpuModel::I486);
    let code = assemble(|a| {
        a.int(0x30).unwrap();
        a.int(0x30).unwrap();
        a.int(0x30).unwrap();
    });
    start(&mut machine, &code);
    // The first round trip warms TLB and cache (IDT, GDT, TSS, kernel stack, code).
    let entry = run_to_entry(&mut machine);
    resume(&mut machine, &entry);
    let entry = run_to_entry(&mut machine);
    resume(&mut machine, &entry);
    let before = machine.cycles;
    let entry = run_to_entry(&mut machine);
    let entered = machine.cycles;
    resume(&mut machine, &entry);
    assert_eq!(entry.vector, 0x30);
    assert_eq!(entry.cause, EntryCause::SoftwareInterrupt);
    assert_eq!(entered - before, 71, "int 0x30 to ring 0 (ALP, PRM)");
    assert_eq!(machine.cycles - entered, 36, "iret to ring 3 (ALP, PRM)");
    assert_eq!(machine.cycles - before, 107, "Liedtke's lower bound for kernel entry + exit on a 486");
}

#[test]
fn the_pentium_charges_its_own_figures() {
    let mut machine = machine(CpuModel::Pentium);
    let code = assemble(|a| {
        a.int(0x30).unwrap();
        a.int(0x30).unwrap();
    });
    start(&mut machine, &code);
    let entry = run_to_entry(&mut machine);
    resume(&mut machine, &entry);
    let before = machine.cycles;
    let entry = run_to_entry(&mut machine);
    resume(&mut machine, &entry);
    assert_eq!(machine.cycles - before, 48 + 27);
}

#[test]
fn a_cold_entry_pays_tlb_misses() {
    let mut machine = machine(CpuModel::I486);
    start(&mut machine, &assemble(|a| a.int(0x30).unwrap()));
    let before = machine.cycles;
    run_to_entry(&mut machine);
    let cold = machine.cycles - before;
    assert!(cold > 71 + 9, "a cold entry walks page tables at 9 cycles each: {cold}");
}

#[test]
fn int_through_a_ring_0_gate_is_a_general_protection_fault() {
    let mut machine = machine(CpuModel::I486);
    start(&mut machine, &assemble(|a| a.int(0x80).unwrap()));
    let entry = run_to_entry(&mut machine);
    assert_eq!(entry.vector, 13);
    assert_eq!(entry.error_code, Some(0x80 * 8 + 2));
    // The saved EIP points at the int instruction (a fault, not a trap).
    assert_eq!(entry.frame.eip, CODE);
}

#[test]
fn a_stale_tlb_entry_is_used_until_invlpg() {
    let mut machine = machine(CpuModel::I486);
    let page = 0x0070_0000;
    map(&mut machine, page, 0x0050_0000, true);
    machine.memory.write_u32(0x0050_0000, 0x1111_1111);
    machine.memory.write_u32(0x0051_0000, 0x2222_2222);
    let code = assemble(|a| {
        a.mov(eax, dword_ptr(page)).unwrap();
        a.int(0x30).unwrap();
        a.mov(eax, dword_ptr(page)).unwrap();
        a.int(0x30).unwrap();
        a.mov(eax, dword_ptr(page)).unwrap();
        a.int(0x30).unwrap();
    });
    start(&mut machine, &code);
    let entry = run_to_entry(&mut machine);
    assert_eq!(entry.frame.registers[0], 0x1111_1111);
    // The "kernel" remaps the page without flushing: the TLB still has the old frame.
    map(&mut machine, page, 0x0051_0000, true);
    resume(&mut machine, &entry);
    let entry = run_to_entry(&mut machine);
    assert_eq!(entry.frame.registers[0], 0x1111_1111, "the stale translation must still be used");
    machine.invlpg(page);
    resume(&mut machine, &entry);
    let entry = run_to_entry(&mut machine);
    assert_eq!(entry.frame.registers[0], 0x2222_2222, "after invlpg the new mapping is walked");
}

#[test]
fn loading_cr3_flushes_every_tlb() {
    for model in [CpuModel::I486, CpuModel::Pentium] {
        let mut machine = machine(model);
        let code = assemble(|a| {
            a.mov(eax, dword_ptr(DATA)).unwrap();
            a.int(0x30).unwrap();
        });
        start(&mut machine, &code);
        run_to_entry(&mut machine);
        let valid: usize = machine.mmu.tlbs().iter().map(|tlb| tlb.valid_count()).sum();
        assert!(valid > 0);
        let page_directory = machine.cpu.cr3;
        machine.load_cr3(page_directory);
        let valid: usize = machine.mmu.tlbs().iter().map(|tlb| tlb.valid_count()).sum();
        assert_eq!(valid, 0, "{model:?}");
    }
}

#[test]
fn user_access_to_a_supervisor_page_faults_with_the_right_error_code() {
    let mut machine = machine(CpuModel::I486);
    let code = assemble(|a| {
        a.mov(dword_ptr(0x2000), eax).unwrap();
    });
    start(&mut machine, &code);
    let entry = run_to_entry(&mut machine);
    assert_eq!(entry.vector, 14);
    // Present (protection) | write | user.
    assert_eq!(entry.error_code, Some(0b111));
    assert_eq!(entry.fault_address, 0x2000);
    assert_eq!(entry.frame.eip, CODE);
}

#[test]
fn a_write_to_a_read_only_page_faults_and_a_missing_page_is_not_present() {
    let mut machine = machine(CpuModel::Pentium);
    map(&mut machine, 0x0070_0000, 0x0070_0000, false);
    unmap(&mut machine, 0x0071_0000);
    let code = assemble(|a| {
        a.mov(eax, dword_ptr(0x0070_0000)).unwrap();
        a.mov(dword_ptr(0x0070_0000), eax).unwrap();
    });
    start(&mut machine, &code);
    let entry = run_to_entry(&mut machine);
    assert_eq!((entry.vector, entry.error_code), (14, Some(0b111)));
    let code = assemble(|a| a.mov(eax, dword_ptr(0x0071_0000)).unwrap());
    let mut machine = common::machine(CpuModel::Pentium);
    unmap(&mut machine, 0x0071_0000);
    start(&mut machine, &code);
    let entry = run_to_entry(&mut machine);
    assert_eq!((entry.vector, entry.error_code), (14, Some(0b100)));
}

#[test]
fn accessed_and_dirty_bits_are_set_in_the_page_table() {
    let mut machine = machine(CpuModel::I486);
    let table_entry = PAGE_TABLES + 4096 + ((DATA >> 12) & 0x3FF) * 4;
    let code = assemble(|a| {
        a.mov(eax, dword_ptr(DATA)).unwrap();
        a.int(0x30).unwrap();
        a.mov(dword_ptr(DATA), eax).unwrap();
        a.int(0x30).unwrap();
    });
    start(&mut machine, &code);
    let entry = run_to_entry(&mut machine);
    let after_read = machine.memory.read_u32(table_entry);
    assert_ne!(after_read & 0x20, 0, "A set by a read");
    assert_eq!(after_read & 0x40, 0, "D not set by a read");
    resume(&mut machine, &entry);
    run_to_entry(&mut machine);
    assert_ne!(machine.memory.read_u32(table_entry) & 0x40, 0, "D set by the first write");
}

#[test]
fn four_megabyte_pages_need_a_pentium_with_pse() {
    for (model, pse) in [(CpuModel::Pentium, true), (CpuModel::I486, true), (CpuModel::Pentium, false)] {
        let mut machine = machine(model);
        // Directory entry 3 (12..16 MB): a 4 MB page at 4 MB physical.
        machine.memory.write_u32(PAGE_DIRECTORY + 3 * 4, 0x0040_0000 | 0x87);
        machine.memory.write_u32(0x0040_0010, 0xCAFE_F00D);
        machine.write_control(machine.cpu.cr0, if pse { ia32::registers::cr4::PSE } else { 0 });
        let code = assemble(|a| {
            a.mov(eax, dword_ptr(0x00C0_0010)).unwrap();
            a.int(0x30).unwrap();
        });
        start(&mut machine, &code);
        let entry = run_to_entry(&mut machine);
        if model == CpuModel::Pentium && pse {
            assert_eq!(entry.vector, 0x30);
            assert_eq!(entry.frame.registers[0], 0xCAFE_F00D);
            assert_eq!(machine.mmu.large.as_ref().map(|tlb| tlb.valid_count()), Some(1));
        } else {
            // Without PSE the PS bit is ignored and the entry names a page table.
            assert_ne!(entry.frame.registers[0], 0xCAFE_F00D, "{model:?} pse={pse}");
        }
    }
}

#[test]
fn a_segment_limit_violation_is_a_general_protection_fault() {
    let mut machine = machine(CpuModel::I486);
    // Spare data segment: base DATA, limit 0xFFF (one page).
    let small = ia32::segment::SegmentDescriptor::flat(DATA, 4096, false, 3);
    machine.memory.write(ia32::PhysAddr(GDT + 6 * 8), &small.encode().to_le_bytes());
    let code = assemble(|a| {
        a.mov(eax, SPARE_DATA as u32).unwrap();
        a.mov(es, ax).unwrap();
        a.mov(ebx, dword_ptr(0xFFC).es()).unwrap();
        a.mov(ebx, dword_ptr(0xFFD).es()).unwrap();
    });
    start(&mut machine, &code);
    let entry = run_to_entry(&mut machine);
    assert_eq!((entry.vector, entry.error_code), (13, Some(0)));
    let fault_eip = entry.frame.eip;
    // The faulting instruction is the second load.
    assert!(fault_eip > CODE + 7, "{fault_eip:#x}");
    let stack_code = assemble(|a| {
        a.mov(esp, 0x1000).unwrap();
        a.mov(eax, SPARE_DATA as u32).unwrap();
        a.mov(ss, ax).unwrap();
        a.push(eax).unwrap();
        a.push(eax).unwrap();
        a.mov(esp, 0x2000).unwrap();
        a.push(eax).unwrap();
    });
    let mut machine = common::machine(CpuModel::I486);
    machine.memory.write(ia32::PhysAddr(GDT + 6 * 8), &small.encode().to_le_bytes());
    start(&mut machine, &stack_code);
    let entry = run_to_entry(&mut machine);
    assert_eq!((entry.vector, entry.error_code), (12, Some(0)), "a stack limit violation is #SS(0)");
}

#[test]
fn a_segment_register_keeps_its_descriptor_until_reloaded() {
    let mut machine = machine(CpuModel::Pentium);
    machine.memory.write_u32(DATA, 0xAAAA_0000);
    machine.memory.write_u32(DATA + 0x10_0000, 0xBBBB_0000);
    map(&mut machine, DATA + 0x10_0000, DATA + 0x10_0000, true);
    let base_at = |base| ia32::segment::SegmentDescriptor::flat(base, 1 << 20, false, 3).encode().to_le_bytes();
    machine.memory.write(ia32::PhysAddr(GDT + 6 * 8), &base_at(DATA));
    let code = assemble(|a| {
        a.mov(eax, SPARE_DATA as u32).unwrap();
        a.mov(fs, ax).unwrap();
        a.mov(ebx, dword_ptr(0).fs()).unwrap();
        a.int(0x30).unwrap();
        a.mov(ebx, dword_ptr(0).fs()).unwrap();
        a.int(0x30).unwrap();
        a.mov(fs, ax).unwrap();
        a.mov(ebx, dword_ptr(0).fs()).unwrap();
        a.int(0x30).unwrap();
    });
    start(&mut machine, &code);
    let entry = run_to_entry(&mut machine);
    assert_eq!(entry.frame.registers[3], 0xAAAA_0000);
    // The kernel edits the descriptor (a small-space switch) …
    machine.memory.write(ia32::PhysAddr(GDT + 6 * 8), &base_at(DATA + 0x10_0000));
    resume(&mut machine, &entry);
    let entry = run_to_entry(&mut machine);
    assert_eq!(entry.frame.registers[3], 0xAAAA_0000, "FS's hidden cache still has the old base");
    resume(&mut machine, &entry);
    let entry = run_to_entry(&mut machine);
    assert_eq!(entry.frame.registers[3], 0xBBBB_0000, "a reload picks up the edited descriptor");
}

#[test]
fn events_report_tlb_fills_and_flushes_when_asked() {
    let mut machine = machine(CpuModel::I486);
    machine.events.set_filter(machine_model::EventFilter::CHANGES);
    start(&mut machine, &assemble(|a| a.int(0x30).unwrap()));
    run_to_entry(&mut machine);
    let events = machine.events.drain();
    assert!(events.iter().any(|event| matches!(event, MachineEvent::TlbFill { .. })));
    assert!(events.iter().any(|event| matches!(event, MachineEvent::KernelEntry { vector: 0x30, .. })));
    assert!(!events.iter().any(|event| matches!(event, MachineEvent::TlbHit { .. })), "hits are filtered out");
    machine.events.set_filter(machine_model::EventFilter::NONE);
    let page_directory = machine.cpu.cr3;
    machine.load_cr3(page_directory);
    assert!(machine.events.drain().is_empty(), "nothing is recorded when nobody listens");
}

/// A fault undoes the instruction but not the time it took until then:
/// its fetch's misses (here a cold code page and line), and a repeated
/// string's iterations before the one that faulted, cost what they cost
/// when no fault follows.
#[test]
fn a_faulting_instruction_pays_for_the_work_before_its_fault() {
    for model in [CpuModel::I486, CpuModel::Pentium] {
        let unmapped = DATA + 0x1000;
        let mut machine = machine_without(model, unmapped);
        start(&mut machine, &assemble(|a| a.mov(eax, dword_ptr(unmapped)).unwrap()));
        let started = machine.cycles;
        let entry = run_to_entry(&mut machine);
        assert_eq!(entry.vector, 14);
        let costs = machine.cost_table();
        let before_entry = machine.last_entry_cycle - started;
        assert_eq!(before_entry, (costs.tlb_miss + costs.cache_miss) as u64, "{model:?}: the cold fetch");

        // 100 doublewords stored up to the end of the page, then the same
        // with 200: the 101st faults on the unmapped page.
        let stores = |count: u32| {
            assemble(|a| {
                a.mov(edi, unmapped - 400).unwrap();
                a.mov(ecx, count).unwrap();
                a.rep().stosd().unwrap();
                a.int(0x30).unwrap();
            })
        };
        let mut completed = machine_without(model, unmapped);
        start(&mut completed, &stores(100));
        run(&mut completed, 2);
        let started = completed.cycles;
        run(&mut completed, 1);
        let whole = completed.cycles - started;
        let mut faulting = machine_without(model, unmapped);
        start(&mut faulting, &stores(200));
        run(&mut faulting, 2);
        let started = faulting.cycles;
        let entry = run_to_entry(&mut faulting);
        assert_eq!((entry.vector, faulting.cpu.registers[machine_model::cpu::register::ECX]), (14, 100));
        assert_eq!(faulting.last_entry_cycle - started, whole, "{model:?}: the 100 stores done");
    }
}

/// A misaligned access that crosses a cache line within its page reads
/// both lines (bytes 30..33: across 16- and 32-byte lines alike).
#[test]
fn a_load_across_two_cache_lines_reads_both() {
    for model in [CpuModel::I486, CpuModel::Pentium] {
        let mut machine = machine(model);
        start(&mut machine, &assemble(|a| a.mov(eax, dword_ptr(DATA + 30)).unwrap()));
        let misses = |machine: &machine_model::Machine| machine.caches.data().counters.read_misses;
        let before = misses(&machine);
        run(&mut machine, 1);
        // The data's two lines (the 486's one cache also missed the code line).
        let code_line = if model == CpuModel::I486 { 1 } else { 0 };
        assert_eq!(misses(&machine) - before, 2 + code_line, "{model:?}");
    }
}

/// The TLB is looked up once per access, as on the hardware: a
/// read-modify-write of memory (`add [m], r`) twice, a `movsd` twice, with
/// their pages already in the TLB (the model checks that the write will
/// succeed before the read, without a look-up of its own then).
#[test]
fn each_access_looks_the_tlb_up_once() {
    for model in [CpuModel::I486, CpuModel::Pentium] {
        let mut machine = machine(model);
        // 27 bytes: `add` and `movsd` lie in a code line fetched before
        // them (the 486's one TLB counts the fetch's look-ups too).
        let code = assemble(|a| {
            a.mov(esi, DATA).unwrap();
            a.mov(edi, DATA + 0x1000).unwrap();
            a.mov(eax, dword_ptr(DATA)).unwrap();
            a.mov(dword_ptr(DATA + 0x1000), eax).unwrap();
            a.add(dword_ptr(DATA), eax).unwrap();
            a.movsd().unwrap();
        });
        start(&mut machine, &code);
        let data_lookups = |machine: &machine_model::Machine| {
            let tlbs = machine.mmu.tlbs();
            let tlb = if model == CpuModel::I486 { tlbs[0] } else { tlbs[1] };
            tlb.counters.hits + tlb.counters.misses
        };
        run(&mut machine, 4);
        for name in ["add [m], eax", "movsd"] {
            let before = data_lookups(&machine);
            run(&mut machine, 1);
            assert_eq!(data_lookups(&machine) - before, 2, "{model:?}: {name}");
        }
    }
}

/// ENTER with a nesting level reads the outer frame pointers below EBP
/// after it has begun to push: when such a read faults, the instruction is
/// undone — ESP as it was, so running it again pushes the same frame.
#[test]
fn an_enter_whose_outer_frame_read_faults_leaves_esp_as_it_was() {
    for model in [CpuModel::I486, CpuModel::Pentium] {
        let unmapped = DATA + 0x1000;
        let mut machine = machine_without(model, unmapped);
        start(
            &mut machine,
            &assemble(|a| {
                a.mov(ebp, unmapped + 8).unwrap();
                a.enter(16u32, 3u32).unwrap();
            }),
        );
        run(&mut machine, 1);
        let stack_pointer = machine.cpu.registers[machine_model::cpu::register::ESP];
        let entry = run_to_entry(&mut machine);
        assert_eq!(entry.vector, 14, "{model:?}");
        assert_eq!(entry.frame.registers[machine_model::cpu::register::ESP], stack_pointer, "{model:?}");
    }
}

/// `int n` through a ring-0 gate is a general protection fault: the int is
/// not retired (the saved EIP points at it), and the walks of the failed
/// attempt — here the IDT's page, cold — are charged and booked with the
/// entry like every other walk of it.
#[test]
fn a_failed_delivery_is_charged_and_its_int_not_retired() {
    for model in [CpuModel::I486, CpuModel::Pentium] {
        let mut machine = machine(model);
        start(
            &mut machine,
            &assemble(|a| {
                a.nop().unwrap();
                a.int(0x40).unwrap();
            }),
        );
        run(&mut machine, 1);
        let walks = machine.mmu.walks;
        let booked = machine.ledger().tlb_refills;
        let entry = run_to_entry(&mut machine);
        assert_eq!((entry.vector, entry.frame.eip, machine.instructions), (13, CODE + 1, 1), "{model:?}");
        assert!(machine.mmu.walks > walks, "{model:?}: the IDT's page was cold");
        assert_eq!(machine.ledger().tlb_refills - booked, machine.mmu.walks - walks, "{model:?}: every walk booked");
    }
}
