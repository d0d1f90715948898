//! The ABI conformance suite: every program in `scenarios/tests/` runs on the
//! model on both CPUs. Each checks its own results and reports through the
//! kernel debugger; here its console output and its kernel event trace are
//! compared with the expected files next to it (`NAME.console`,
//! `NAME.486.events`, `NAME.pentium.events`).
//!
//! After an intended change, regenerate the expected files with
//! `L4_BLESS=1 cargo test -p tests --test abi` and read the diff.
#![allow(clippy::unwrap_used)]

use sim::scenarios::{self, Directives, Program};
use sim::{Budget, CpuModel, RunResult, Source, System, SystemConfig};
use std::path::{Path, PathBuf};

fn tests_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().join("scenarios").join("tests")
}

struct Outcome {
    result: RunResult,
    console: String,
    events: String,
}

fn run(program: &Program, cpu: CpuModel) -> Outcome {
    let directives = Directives::parse(program.source).unwrap();
    let mut config = SystemConfig::new(cpu);
    config.small_spaces = directives.small_spaces;
    let mut system = System::new(config);
    system.feed_input(&directives.input);
    system.boot(&program.modules().unwrap()).unwrap();
    let result = system.run(Budget::cycles(2_000_000_000));
    let console = String::from_utf8_lossy(system.console())
        .replace('\r', "")
        .lines()
        .filter(|line| !line.starts_with("L4/x86 X.0 microkernel") && !line.starts_with("sigma0: "))
        .map(|line| format!("{line}\n"))
        .collect();
    let events = system
        .log()
        .iter()
        .filter_map(|entry| match &entry.source {
            Source::Kernel(event) => Some(format!("{event}\n")),
            _ => None,
        })
        .collect();
    Outcome { result, console, events }
}

/// Compare with the expected file, or write it when blessing.
fn expect(path: &Path, actual: &str, what: &str) -> Result<(), String> {
    if std::env::var_os("L4_BLESS").is_some() {
        std::fs::write(path, actual).unwrap();
        return Ok(());
    }
    let expected = std::fs::read_to_string(path).map_err(|error| {
        format!("{what}: cannot read {} ({error}); run `L4_BLESS=1 cargo test -p tests --test abi`", path.display())
    })?;
    if expected == actual {
        return Ok(());
    }
    let expected_lines: Vec<&str> = expected.lines().collect();
    let actual_lines: Vec<&str> = actual.lines().collect();
    let index = expected_lines
        .iter()
        .zip(&actual_lines)
        .position(|(left, right)| left != right)
        .unwrap_or(expected_lines.len().min(actual_lines.len()));
    let context =
        |lines: &[&str]| lines[index.saturating_sub(3).min(lines.len())..(index + 3).min(lines.len())].join("\n");
    Err(format!(
        "{what} differs from {} at line {}:\n--- expected ---\n{}\n--- actual ---\n{}\n(if the change is intended: L4_BLESS=1 cargo test -p tests --test abi)",
        path.display(),
        index + 1,
        context(&expected_lines),
        context(&actual_lines)
    ))
}

#[test]
fn every_program_in_the_folder_is_in_the_suite() {
    let mut on_disk: Vec<String> = std::fs::read_dir(tests_folder())
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|name| name.strip_suffix(".asm").map(str::to_string))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = scenarios::TESTS.iter().map(|program| program.name().to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "sim::scenarios::TESTS must list every program in scenarios/tests/");
}

fn conformance(cpu: CpuModel, suffix: &str) {
    let mut failures = Vec::new();
    for program in scenarios::TESTS {
        let name = program.name();
        let outcome = run(program, cpu);
        if outcome.result != (RunResult::Exited { value: 0x10 }) {
            failures
                .push(format!("{name} on {suffix}: ended with {:?}; console:\n{}", outcome.result, outcome.console));
            continue;
        }
        let folder = tests_folder();
        if let Err(message) =
            expect(&folder.join(format!("{name}.console")), &outcome.console, &format!("{name} console"))
        {
            failures.push(message);
        }
        let events_file = folder.join(format!("{name}.{suffix}.events"));
        if let Err(message) = expect(&events_file, &outcome.events, &format!("{name} events on {suffix}")) {
            failures.push(message);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn conformance_on_the_486() {
    conformance(CpuModel::I486, "486");
}

#[test]
fn conformance_on_the_pentium() {
    conformance(CpuModel::Pentium, "pentium");
}
