//! `cargo xtask fuzz [--target T] [--seconds S] [--runs N] [--timeout S] [--list]`:
//! coverage-guided fuzzing of the parsers and the interpreter
//! (`xtask::fuzz` says how). Without `--target`, every target in turn.
//! Prints one line per target: executions, time, rate, crashes.

use crate::arguments::Arguments;
use xtask::fuzz::{self, Limits};
use xtask::{Result, TaskError};

const ACCEPTED: &str =
    "--target T, --seconds S (default 60 per target), --runs N, --timeout S (per input, default 10), --list";

pub fn run(mut arguments: Arguments) -> Result<i32> {
    let list = arguments.flag("--list");
    let target = arguments.value("--target")?;
    let seconds = number(arguments.value("--seconds")?, "--seconds")?;
    let runs = number(arguments.value("--runs")?, "--runs")?;
    let timeout = number(arguments.value("--timeout")?, "--timeout")?;
    if timeout == Some(0) {
        return Err(TaskError::new("--timeout takes a number of seconds above 0, e.g. --timeout 60"));
    }
    arguments.finish("fuzz", ACCEPTED)?;
    let targets = fuzz::targets()?;
    if list {
        for name in &targets {
            println!("{name}");
        }
        return Ok(0);
    }
    let chosen = match target {
        Some(name) if targets.contains(&name) => vec![name],
        Some(name) => {
            return Err(TaskError::new(format!("no fuzz target `{name}`; the targets are: {}", targets.join(", "))));
        }
        None => targets,
    };
    let limits = Limits {
        seconds: seconds.or(if runs.is_none() { Some(60) } else { None }),
        runs,
        quiet: false,
        timeout_seconds: timeout.unwrap_or(10),
    };
    let mut failed = false;
    let mut lines = Vec::new();
    for name in &chosen {
        let outcome = fuzz::run(name, limits)?;
        let rate = outcome.executions as f64 / outcome.seconds.max(0.001);
        let verdict = match &outcome.crash {
            None => "0 crashes".to_string(),
            Some(crash) => {
                failed = true;
                format!("CRASH: {crash}")
            }
        };
        lines.push(format!(
            "fuzz {:<11} {:>12} executions in {:>7.0} s ({:>8.0}/s), {verdict}",
            outcome.target, outcome.executions, outcome.seconds, rate
        ));
    }
    for line in &lines {
        println!("{line}");
    }
    Ok(if failed { 1 } else { 0 })
}

fn number(value: Option<String>, flag: &str) -> Result<Option<u64>> {
    value
        .map(|text| text.replace(['_', ','], "").parse::<u64>())
        .transpose()
        .map_err(|_| TaskError::new(format!("{flag} takes a number, e.g. {flag} 30")))
}
