//! The same kernel: for every deterministic scenario, the kernel's event
//! sequence on the machine model and in QEMU (`-cpu 486` and `-cpu pentium`)
//! must be identical. QEMU runs with its clock derived from the instruction
//! count, so the timer cannot preempt at host-dependent moments.
#![allow(clippy::unwrap_used)]

use sim::{Budget, CpuModel, RunResult, Source, System, SystemConfig, scenarios};
use std::time::Duration;
use xtask::modules::{self, Programs};
use xtask::qemu::{Cpu, QemuConfig, run_captured};

fn qemu_events(scenario: &str, cpu: Cpu) -> Vec<String> {
    let image = xtask::native::build_image().expect("the native image builds");
    let mut config = QemuConfig::new(cpu, &image);
    config.modules = modules::export(&Programs::Scenario(scenario.into())).expect("the modules export");
    let events =
        std::env::temp_dir().join(format!("l4-events-{scenario}-{}-{}.txt", cpu.qemu_name(), std::process::id()));
    config.events = Some(events.clone());
    config.instruction_clock = true;
    let outcome = run_captured(&config, Duration::from_secs(120)).expect("QEMU runs");
    assert!(!outcome.timed_out, "{scenario} on {cpu:?}: QEMU did not finish; serial:\n{}", outcome.serial);
    assert_eq!(outcome.status, Some(33), "{scenario} on {cpu:?}: exit status; serial:\n{}", outcome.serial);
    let text = std::fs::read_to_string(&events).unwrap();
    let _ = std::fs::remove_file(&events);
    text.lines().map(str::to_string).collect()
}

fn model_events(scenario: &str, cpu: CpuModel, memory_kb: u32) -> Vec<String> {
    let mut config = SystemConfig::new(cpu);
    config.memory_kb = memory_kb;
    let mut system = System::new(config);
    system.boot(&scenarios::find(scenario).unwrap().modules().unwrap()).unwrap();
    let result = system.run(Budget::cycles(20_000_000_000));
    assert_eq!(result, RunResult::Exited { value: 0x10 }, "{scenario} on the model");
    system
        .log()
        .iter()
        .filter_map(|entry| match &entry.source {
            Source::Kernel(event) => Some(format!("{}{event}", sim::EVENT_LINE_PREFIX)),
            _ => None,
        })
        .collect()
}

/// QEMU reports slightly less memory than `-m` to a multiboot kernel; the
/// model gets exactly what the kernel saw in QEMU.
fn reported_memory_kb(events: &[String]) -> u32 {
    let boot = events.first().expect("QEMU sent events");
    let field = boot.split(' ').find_map(|pair| pair.strip_prefix("memory_kb=")).expect("a boot event");
    field.parse().unwrap()
}

fn compare(scenario: &str, cpu: Cpu, model: CpuModel) {
    let native = qemu_events(scenario, cpu);
    let simulated = model_events(scenario, model, reported_memory_kb(&native));
    let first_difference = native.iter().zip(&simulated).position(|(left, right)| left != right);
    let divergence = first_difference.or((native.len() != simulated.len()).then(|| native.len().min(simulated.len())));
    if let Some(index) = divergence {
        let from = index.saturating_sub(5);
        let show = |lines: &[String]| {
            lines[from.min(lines.len())..(index + 5).min(lines.len())]
                .iter()
                .enumerate()
                .map(|(offset, line)| {
                    format!("{:6} {}{line}", from + offset, if from + offset == index { ">" } else { " " })
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "{scenario} on {cpu:?}: the kernel event traces diverge at event {index} \
             (QEMU {} events, model {}):\n--- QEMU ---\n{}\n--- model ---\n{}",
            native.len(),
            simulated.len(),
            show(&native),
            show(&simulated)
        );
    }
    assert!(native.len() > 20, "{scenario}: too few events to mean anything ({})", native.len());
}

fn deterministic() -> impl Iterator<Item = &'static str> {
    scenarios::SCENARIOS.iter().filter(|scenario| scenario.deterministic).map(|scenario| scenario.name)
}

#[test]
fn traces_match_on_the_486() {
    for scenario in deterministic() {
        compare(scenario, Cpu::I486, CpuModel::I486);
    }
}

#[test]
fn traces_match_on_the_pentium() {
    for scenario in deterministic() {
        compare(scenario, Cpu::Pentium, CpuModel::Pentium);
    }
}
