//! One IPC's cycles, part by part (`sim::entry_costs`, the Costs view's
//! breakdown): the parts of every entry add up to no more than its cycles,
//! the CPU's own entry and exit are exactly their table costs (so the TLB
//! refills and cache misses were taken out of them, not guessed), the
//! average is the "cycles per IPC" the Costs view shows, and neither depends
//! on how the run was sliced.
#![allow(clippy::unwrap_used)]

use sim::kernel_crate::cost::Path;
use sim::{Budget, CpuModel, EventFilter, RunResult, System, SystemConfig};

fn ping_pong(cpu: CpuModel, small_spaces: bool, slice: u64) -> System {
    let mut config = SystemConfig::new(cpu);
    config.small_spaces = small_spaces;
    config.machine_events = EventFilter::CHANGES;
    let mut system = System::new(config);
    system.log_mut().keep_entry_costs = sim::entry_costs::Keep::Messages;
    system.boot(&sim::scenarios::find("ping-pong").unwrap().modules().unwrap()).unwrap();
    loop {
        match system.run(Budget::instructions(slice)) {
            RunResult::Limit => continue,
            RunResult::Exited { .. } => return system,
            other => panic!("{cpu:?}: ping-pong ended with {other:?}"),
        }
    }
}

#[test]
fn every_ipc_is_its_parts_and_the_cpu_entry_and_exit_are_their_table_costs() {
    for cpu in [CpuModel::I486, CpuModel::Pentium] {
        for small_spaces in [false, true] {
            let system = ping_pong(cpu, small_spaces, u64::MAX);
            let table = sim::model::costs::table(cpu);
            let costs = system.log().entry_costs();
            let mut fast = 0;
            for record in costs.records().filter(|record| record.cost.vector == 0x30) {
                let cost = &record.cost;
                let what = format!("{cpu:?} small={small_spaces} {cost:?}");
                assert!(cost.parts.cycles() <= cost.total, "booked more than it took: {what}");
                if cost.idle() > 0 {
                    continue;
                }
                assert_eq!(cost.parts.entry, table.int_to_inner as u64, "the CPU's entry: {what}");
                assert_eq!(cost.parts.exit, table.iret_to_outer as u64, "the CPU's iret: {what}");
                assert!(cost.parts.kernel_instructions > 0, "{what}");
                if cost.path == Some(Path::IpcFast) {
                    fast += 1;
                    if small_spaces {
                        assert_eq!(cost.parts.space_switch, 0, "small spaces: no CR3 load: {what}");
                    } else {
                        assert_eq!(cost.parts.space_switch, table.mov_cr3 as u64, "one CR3 load: {what}");
                    }
                    // The exit loads DS, ES, FS and GS every time, small
                    // spaces or not; their clocks are in the path's price
                    // and booked apart, once (a small-space switch charged
                    // them a second time).
                    assert_eq!(cost.parts.segment_reload, 4 * table.mov_segment as u64, "{what}");
                }
            }
            // With small spaces too: the assembly switches the segment window itself.
            assert!(fast > 10_000, "{cpu:?} small={small_spaces}: ping-pong's round trips take the fast path ({fast})");
            // The average is the Costs view's cycles per IPC.
            let sums = costs.ipc_sums();
            let counts = system.log().counts();
            assert_eq!((sums.count, sums.total), (counts.ipc_entries, counts.ipc_cycles), "{cpu:?} {small_spaces}");
        }
    }
}

#[test]
fn small_spaces_reload_segments_instead_of_cr3() {
    let system = ping_pong(CpuModel::Pentium, true, u64::MAX);
    let sums = system.log().entry_costs().ipc_sums();
    assert!(sums.parts.segment_reload > 0, "{sums:?}");
    assert!(sums.parts.space_switch * 100 < sums.parts.segment_reload, "almost no CR3 loads: {sums:?}");
}

#[test]
fn the_breakdown_does_not_depend_on_how_the_run_was_sliced() {
    for cpu in [CpuModel::I486, CpuModel::Pentium] {
        let whole = ping_pong(cpu, false, u64::MAX);
        let sliced = ping_pong(cpu, false, 1_000);
        assert_eq!(whole.log().entry_costs().ipc_sums(), sliced.log().entry_costs().ipc_sums(), "{cpu:?}");
        let (first, second): (Vec<_>, Vec<_>) = (
            whole.log().entry_costs().records().copied().collect(),
            sliced.log().entry_costs().records().copied().collect(),
        );
        assert_eq!(first.len(), second.len(), "{cpu:?}: records");
        if let Some(index) = (0..first.len()).find(|&index| first[index] != second[index]) {
            panic!("{cpu:?}: record {index}: {:?} whole, {:?} sliced", first[index], second[index]);
        }
    }
}

#[test]
fn a_message_finds_its_entry_and_records_go_with_the_events_they_explain() {
    let mut config = SystemConfig::new(CpuModel::I486);
    config.machine_events = EventFilter::CHANGES;
    let mut system = System::new(config);
    system.log_mut().capacity = 2_000;
    system.log_mut().keep_entry_costs = sim::entry_costs::Keep::Messages;
    system.boot(&sim::scenarios::find("ping-pong").unwrap().modules().unwrap()).unwrap();
    system.run(Budget::instructions(200_000));
    let log = system.log();
    let oldest = log.iter().next().unwrap().sequence;
    let costs = log.entry_costs();
    assert!(costs.records().all(|record| record.end > oldest), "a record outlived its events");
    let messages: Vec<_> = log.iter().filter(|event| event.kind() == "ipc").collect();
    assert!(messages.len() > 50);
    for message in messages.iter().filter(|message| costs.records().next().unwrap().first <= message.sequence) {
        let record = costs.record_for(message.sequence).unwrap();
        assert!(record.first <= message.sequence && message.sequence < record.end);
    }
}

/// An interrupt that wakes the kernel's idle loop costs the CPU's delivery
/// to the same privilege level (the INT n row's figure: 44 cycles on the
/// 486, 31 on the Pentium), booked as an entry's part — of the entry whose
/// wait it ends (an IPC that waited for a timeout here); it was charged
/// nowhere, as if the interrupt path began by itself.
#[test]
fn an_interrupt_in_the_idle_loop_pays_for_its_delivery() {
    for cpu in [CpuModel::I486, CpuModel::Pentium] {
        let mut config = SystemConfig::new(cpu);
        config.machine_events = EventFilter::CHANGES;
        let mut system = System::new(config);
        system.log_mut().keep_entry_costs = sim::entry_costs::Keep::Every;
        let program = sim::scenarios::find_test("transfer-timeouts").unwrap();
        system.boot(&program.modules().unwrap()).unwrap();
        assert!(matches!(system.run(Budget::instructions(u64::MAX)), RunResult::Exited { .. }));
        let table = sim::model::costs::table(cpu);
        let mut waited = 0;
        for record in system.log().entry_costs().records() {
            let cost = &record.cost;
            if cost.vector == 0x30 && cost.idle() > 0 {
                // The int's own entry, then one delivery per interrupt that woke the idle loop.
                let deliveries = cost.parts.entry - table.int_to_inner as u64;
                let each = table.interrupt_same_privilege as u64;
                assert!(deliveries > 0 && deliveries.is_multiple_of(each), "{cpu:?} {cost:?}");
                waited += 1;
            }
        }
        assert!(waited > 0, "{cpu:?}: an IPC waited in the idle loop");
    }
}

/// The Costs view's cycles per IPC (from the machine's events) and the
/// average of its breakdown (from the entries' records) are one figure, in
/// every test program on both CPUs: both start where the CPU's entry
/// starts. (The events once started at the `int` instruction, so an `int`
/// whose fetch missed made the two differ by its miss.)
#[test]
fn the_cycles_per_ipc_and_the_breakdowns_average_agree_in_every_program() {
    for cpu in [CpuModel::I486, CpuModel::Pentium] {
        for program in sim::scenarios::TESTS {
            let mut config = SystemConfig::new(cpu);
            config.machine_events = EventFilter::CHANGES;
            let mut system = System::new(config);
            system.log_mut().keep_entry_costs = sim::entry_costs::Keep::Messages;
            system.boot(&program.modules().unwrap()).unwrap();
            let _ = system.run(Budget::instructions(u64::MAX));
            let sums = system.log().entry_costs().ipc_sums();
            let counts = system.log().counts();
            assert_eq!((sums.count, sums.total), (counts.ipc_entries, counts.ipc_cycles), "{cpu:?} {}", program.name());
        }
    }
}
