//! The built-in scenarios run to their verdict on the model, on both CPUs —
//! among them ping-pong: two tasks exchange 10,000 register IPC round trips
//! across address spaces, paged by the root task (a user-level pager).
#![allow(clippy::unwrap_used)]

use sim::{Budget, CpuModel, RunResult, System, SystemConfig, scenarios};

fn run(name: &str, cpu: CpuModel, small_spaces: bool) -> System {
    let mut config = SystemConfig::new(cpu);
    config.small_spaces = small_spaces;
    let mut system = System::new(config);
    system.boot(&scenarios::find(name).unwrap().modules().unwrap()).unwrap();
    let result = system.run(Budget::cycles(2_000_000_000));
    let console = String::from_utf8_lossy(system.console()).into_owned();
    assert_eq!(result, RunResult::Exited { value: 0x10 }, "{name} on {cpu:?}:\n{console}");
    assert!(console.contains("PASS") || name == "hello", "{name} on {cpu:?}:\n{console}");
    system
}

#[test]
fn every_scenario_passes_on_both_cpus() {
    for scenario in scenarios::SCENARIOS {
        for cpu in [CpuModel::I486, CpuModel::Pentium] {
            run(scenario.name, cpu, false);
        }
    }
}

#[test]
fn ping_pong_makes_ten_thousand_round_trips_through_a_user_level_pager() {
    for cpu in [CpuModel::I486, CpuModel::Pentium] {
        let system = run("ping-pong", cpu, false);
        let console = String::from_utf8_lossy(system.console()).into_owned();
        assert!(console.contains("ok ping made 10000 round trips"), "{console}");
        assert!(console.contains("ok every answer was the counter plus one"), "{console}");
        let statistics = system.kernel().statistics;
        assert!(statistics.ipcs() >= 20_000, "{cpu:?}: {} IPCs", statistics.ipcs());
        assert!(
            statistics.space_switches >= 20_000,
            "{cpu:?}: across address spaces: {} switches",
            statistics.space_switches
        );
        // The pager is the root task (its lthread 0): the tasks' faults went to it.
        let faults_to_root = system
            .log()
            .iter()
            .filter(|entry| entry.kind() == "pagefault" && entry.describe().contains("pager=0x04040001"))
            .count();
        assert!(faults_to_root >= 4, "{cpu:?}: the user-level pager served {faults_to_root} faults");
    }
}

/// Ping and pong ask for small spaces: with small spaces on, the switches
/// between them reload segments and leave CR3 (and so the TLB) alone — the
/// explorer's "small spaces" toggle shows the difference; with them off the
/// kernel ignores the request and every switch loads CR3.
#[test]
fn ping_pong_switches_by_segments_only_with_small_spaces_on() {
    for cpu in [CpuModel::I486, CpuModel::Pentium] {
        let large = run("ping-pong", cpu, false);
        let small = run("ping-pong", cpu, true);
        let (large_console, small_console) = (
            String::from_utf8_lossy(large.console()).into_owned(),
            String::from_utf8_lossy(small.console()).into_owned(),
        );
        assert!(large_console.contains("run in large spaces"), "{cpu:?}:\n{large_console}");
        assert!(small_console.contains("run in small spaces 2 and 6"), "{cpu:?}:\n{small_console}");
        let tlb_counters =
            |system: &System| {
                system.machine().mmu.tlbs().iter().fold((0, 0), |(flushes, misses), tlb| {
                    (flushes + tlb.counters.flushes, misses + tlb.counters.misses)
                })
            };
        let ((large_flushes, large_misses), (small_flushes, small_misses)) =
            (tlb_counters(&large), tlb_counters(&small));
        let (large, small) = (large.kernel().statistics, small.kernel().statistics);
        assert_eq!(large.small_space_switches, 0, "{cpu:?}: small spaces off");
        assert!(large.space_switches >= 20_000, "{cpu:?}: {} CR3 switches with small spaces off", large.space_switches);
        assert!(small.small_space_switches >= 20_000, "{cpu:?}: {} segment switches", small.small_space_switches);
        // Only the switches to and from the root task (the pager) load CR3.
        assert!(small.space_switches < 100, "{cpu:?}: {} CR3 switches with small spaces on", small.space_switches);
        // No CR3 load, no TLB flush: the TLB keeps ping's and pong's entries.
        assert!(small_flushes * 100 < large_flushes, "{cpu:?}: TLB flushes {small_flushes} against {large_flushes}");
        assert!(small_misses * 10 < large_misses, "{cpu:?}: TLB misses {small_misses} against {large_misses}");
    }
}

#[test]
fn the_same_scenarios_run_with_small_spaces() {
    for scenario in scenarios::SCENARIOS {
        run(scenario.name, CpuModel::Pentium, true);
    }
}
