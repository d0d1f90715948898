//! The same kernel: for every deterministic scenario (with small spaces off
//! and on), ABI test and built-in lesson (on each CPU it runs on, with each
//! small-spaces setting its steps use), the kernel's event sequence on the
//! machine model and in QEMU (`-cpu 486` and `-cpu pentium`) must be identical. QEMU runs
//! with its clock derived from the instruction count, so the timer cannot
//! preempt at host-dependent moments.
#![allow(clippy::unwrap_used)]

use sim::scenarios::{self, Directives};
use sim::{Budget, CpuModel, Module, RunResult, Source, System, SystemConfig};
use std::time::Duration;
use xtask::modules::{self, Programs};
use xtask::qemu::{Cpu, QemuConfig, run_captured};

/// A deterministic program: a scenario or an ABI test.
struct Case {
    name: String,
    programs: Programs,
    modules: Vec<Module>,
    directives: Directives,
    /// The CPUs it runs on (a lesson may run on one only).
    cpus: Vec<CpuModel>,
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for scenario in scenarios::SCENARIOS.iter().filter(|scenario| scenario.deterministic) {
        for small_spaces in [false, true] {
            cases.push(Case {
                name: if small_spaces { format!("{}-small-spaces", scenario.name) } else { scenario.name.into() },
                programs: Programs::Scenario(scenario.name.into()),
                modules: scenario.modules().unwrap(),
                directives: Directives { small_spaces, ..Directives::default() },
                cpus: vec![CpuModel::I486, CpuModel::Pentium],
            });
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    for program in scenarios::TESTS {
        let directives = Directives::parse(program.source).unwrap();
        if directives.nondeterministic {
            continue;
        }
        cases.push(Case {
            name: program.name().into(),
            programs: Programs::Files(vec![root.join("scenarios").join(program.file)]),
            modules: program.modules().unwrap(),
            directives,
            cpus: vec![CpuModel::I486, CpuModel::Pentium],
        });
    }
    for builtin in sim::lesson::LESSONS {
        let prepared = sim::lesson::prepare(builtin.file, builtin.text).unwrap_or_else(|errors| panic!("{errors}"));
        let lesson = &prepared.lesson;
        // Every machine its steps boot: the CPUs it runs on, each small-spaces setting.
        let mut settings = vec![lesson.small_spaces];
        let mut cpus: Vec<CpuModel> = lesson.cpus.iter().map(|cpu| sim::lesson::cpu_model(*cpu)).collect();
        for index in 0..lesson.steps.len() {
            let (cpu, small_spaces) = lesson.machine_at(index);
            if !settings.contains(&small_spaces) {
                settings.push(small_spaces);
            }
            if !cpus.contains(&sim::lesson::cpu_model(cpu)) {
                cpus.push(sim::lesson::cpu_model(cpu));
            }
        }
        for small_spaces in settings {
            cases.push(Case {
                name: format!("lesson-{}{}", builtin.name, if small_spaces { "-small-spaces" } else { "" }),
                programs: Programs::Lesson(builtin.name.into()),
                modules: prepared.modules.clone(),
                directives: Directives {
                    small_spaces,
                    input: lesson.input.clone().into_bytes(),
                    ..Directives::default()
                },
                cpus: cpus.clone(),
            });
        }
    }
    cases
}

fn qemu_events(case: &Case, cpu: Cpu) -> Vec<String> {
    let scenario = &case.name;
    let image = xtask::native::build_image().expect("the native image builds");
    let mut config = QemuConfig::new(cpu, &image);
    config.modules = modules::export(&case.programs).expect("the modules export");
    config.input = case.directives.input.clone();
    if case.directives.small_spaces {
        config.options.push("small-spaces".into());
    }
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

fn model_events(case: &Case, cpu: CpuModel, memory_kb: u32) -> Vec<String> {
    let scenario = &case.name;
    let mut config = SystemConfig::new(cpu);
    config.memory_kb = memory_kb;
    config.small_spaces = case.directives.small_spaces;
    let mut system = System::new(config);
    system.feed_input(&case.directives.input);
    system.boot(&case.modules).unwrap();
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

fn compare(case: &Case, cpu: Cpu, model: CpuModel) {
    if !case.cpus.contains(&model) {
        return;
    }
    let scenario = &case.name;
    let native = qemu_events(case, cpu);
    let simulated = model_events(case, model, reported_memory_kb(&native));
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

#[test]
fn traces_match_on_the_486() {
    for case in cases() {
        compare(&case, Cpu::I486, CpuModel::I486);
    }
}

#[test]
fn traces_match_on_the_pentium() {
    for case in cases() {
        compare(&case, Cpu::Pentium, CpuModel::Pentium);
    }
}
