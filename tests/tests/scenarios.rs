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
        assert!(statistics.ipcs >= 20_000, "{cpu:?}: {} IPCs", statistics.ipcs);
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

#[test]
fn the_same_scenarios_run_with_small_spaces() {
    for scenario in scenarios::SCENARIOS {
        run(scenario.name, CpuModel::Pentium, true);
    }
}
