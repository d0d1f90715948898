//! Coverage-guided fuzzing with cargo-fuzz (libFuzzer) on the pinned
//! stable toolchain: `RUSTC_BOOTSTRAP=1` lets cargo-fuzz pass its `-Z`
//! flags, as the native build does. cargo-fuzz is installed into
//! `target/tools` (crates.io, pinned version), never globally.
//!
//! The targets live in `fuzz/` (one cargo-fuzz project, outside the
//! workspace). Every run, the short ones of `cargo xtask test` included,
//! first replays each input that once crashed the target
//! (`fuzz/regressions/T`), whole; then the campaign reads two corpus
//! folders: the working corpus in `target/fuzz/corpus/T` (libFuzzer adds
//! what it finds there) and the small seed corpus kept in the repository
//! (`fuzz/corpus/T`), with inputs of at most [`MAX_INPUT_BYTES`].
//!
//! No sanitizer by default (`--sanitizer none`): the code under test is
//! safe Rust, where a bug shows as a panic, which libFuzzer catches either
//! way, and the runs are two to three times faster without one.

use crate::{Result, TaskError, install, paths, process};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The cargo-fuzz release `cargo xtask fuzz` installs.
pub const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// The fuzz project.
pub fn project() -> PathBuf {
    paths::root().join("fuzz")
}

/// The targets: the `[[bin]]` names of `fuzz/Cargo.toml`, in its order.
pub fn targets() -> Result<Vec<String>> {
    let manifest = std::fs::read_to_string(project().join("Cargo.toml"))?;
    let mut names = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin && let Some(value) = line.strip_prefix("name = ") {
            names.push(value.trim_matches('"').to_string());
        }
    }
    Ok(names)
}

/// `target/tools/bin/cargo-fuzz`, installed from crates.io if missing.
pub fn cargo_fuzz() -> Result<PathBuf> {
    install::ensure_toolchain()?;
    let root = paths::target().join("tools");
    let program = root.join("bin").join("cargo-fuzz");
    let installed = Command::new(&program)
        .arg("--version")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).contains(CARGO_FUZZ_VERSION));
    if installed {
        return Ok(program);
    }
    eprintln!("xtask: installing cargo-fuzz {CARGO_FUZZ_VERSION} into {}", root.display());
    let mut command = process::cargo();
    command
        .args(["install", "--quiet", "--locked", "cargo-fuzz", "--version", CARGO_FUZZ_VERSION, "--root"])
        .arg(&root);
    process::run(&mut command).map_err(|error| {
        TaskError::new(format!("{error}\ncargo could not install cargo-fuzz; is crates.io reachable?"))
    })?;
    Ok(program)
}

/// How long a run may go.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub seconds: Option<u64>,
    pub runs: Option<u64>,
    /// Leave out libFuzzer's progress lines (`#N NEW …`, `#N pulse …`).
    pub quiet: bool,
    /// libFuzzer's `-timeout`: an input running longer (wall clock) is a
    /// crash. 10 s by default; a long campaign on a shared machine, where
    /// the fuzzer can be starved for seconds, wants more.
    pub timeout_seconds: u64,
}

/// What one run did.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub target: String,
    pub executions: u64,
    pub seconds: f64,
    /// The crash, if one was found: libFuzzer's summary and the input's file.
    pub crash: Option<String>,
}

/// The longest input a campaign makes (libFuzzer's own default when no
/// corpus input is longer). Without it libFuzzer takes the longest input it
/// is given — a 20 KB regression input made the `assemble` campaign grow its
/// inputs towards 20 KB and slow from ~2,800 to ~800 a second.
pub const MAX_INPUT_BYTES: usize = 4096;

/// Build and run one target: first each input that once crashed it, whole;
/// then the campaign on the working and the seed corpus. Prints libFuzzer's
/// output as it comes.
pub fn run(target: &str, limits: Limits) -> Result<Outcome> {
    let cargo_fuzz = cargo_fuzz()?;
    let working = paths::target().join("fuzz").join("corpus").join(target);
    let artifacts = paths::target().join("fuzz").join("artifacts").join(target);
    std::fs::create_dir_all(&working)?;
    std::fs::create_dir_all(&artifacts)?;
    let started = std::time::Instant::now();
    let regressions = regression_inputs(target)?;
    if !regressions.is_empty() {
        let replay = libfuzzer(&cargo_fuzz, target, &regressions, &artifacts, &[], limits)?;
        if let Some(crash) = replay.crash {
            return Ok(Outcome {
                target: target.to_string(),
                executions: replay.executions,
                seconds: started.elapsed().as_secs_f64(),
                crash: Some(format!("an input in fuzz/regressions/{target} crashes again: {crash}")),
            });
        }
    }
    let mut inputs = vec![working];
    let seeds = project().join("corpus").join(target);
    if seeds.is_dir() {
        inputs.push(seeds);
    }
    let mut options = vec![format!("-max_len={MAX_INPUT_BYTES}")];
    if let Some(seconds) = limits.seconds {
        options.push(format!("-max_total_time={seconds}"));
    }
    if let Some(runs) = limits.runs {
        options.push(format!("-runs={runs}"));
    }
    let campaign = libfuzzer(&cargo_fuzz, target, &inputs, &artifacts, &options, limits)?;
    Ok(Outcome {
        target: target.to_string(),
        executions: campaign.executions,
        seconds: started.elapsed().as_secs_f64(),
        crash: campaign.crash,
    })
}

/// The files of `fuzz/regressions/T`, in name order.
fn regression_inputs(target: &str) -> Result<Vec<PathBuf>> {
    let folder = project().join("regressions").join(target);
    if !folder.is_dir() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&folder)? {
        let path = entry?.path();
        if path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// What one libFuzzer process did.
struct Run {
    executions: u64,
    crash: Option<String>,
}

/// Run libFuzzer on `inputs`: folders are a corpus to fuzz from, files are
/// run once each (and nothing else).
fn libfuzzer(
    cargo_fuzz: &std::path::Path,
    target: &str,
    inputs: &[PathBuf],
    artifacts: &std::path::Path,
    options: &[String],
    limits: Limits,
) -> Result<Run> {
    let mut command = Command::new(cargo_fuzz);
    command
        .current_dir(paths::root())
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_DIR", paths::target().join("fuzz").join("build"))
        .args(["fuzz", "run", "--fuzz-dir"])
        .arg(project())
        .args(["--sanitizer", "none", target])
        .args(inputs);
    command
        .arg("--")
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .args(["-print_final_stats=1", "-rss_limit_mb=2048"]);
    command.arg(format!("-timeout={}", limits.timeout_seconds)).args(options);
    command.stderr(Stdio::piped());
    let description = process::describe(&command);
    let mut child = command.spawn().map_err(|error| TaskError::new(format!("cannot run `{description}`: {error}")))?;
    let stderr = child.stderr.take().ok_or_else(|| TaskError::new("no stderr pipe"))?;
    let mut executions = 0;
    let mut crash = None;
    use std::io::BufRead;
    for line in std::io::BufReader::new(stderr).lines() {
        let line = line?;
        if !(limits.quiet && (line.starts_with('#') || line.starts_with("Running: ") || line.starts_with("Executed ")))
        {
            eprintln!("{line}");
        }
        if let Some(rest) = line.strip_prefix("stat::number_of_executed_units:") {
            executions = rest.trim().parse().unwrap_or(executions);
        } else if let Some(rest) = line.strip_prefix("Done ") {
            // "Done 123 runs in 4 second(s)"
            executions = rest.split_whitespace().next().and_then(|word| word.parse().ok()).unwrap_or(executions);
        } else if line.starts_with("Executed ") {
            // "Executed fuzz/regressions/T/x in 3 ms": one input run alone.
            executions += 1;
        } else if line.contains("Test unit written to") || line.starts_with("SUMMARY: libFuzzer") {
            let previous = crash.take().map(|text: String| text + "; ").unwrap_or_default();
            crash = Some(previous + line.trim());
        }
    }
    let status = child.wait()?;
    if !status.success() && crash.is_none() {
        crash = Some(format!("`{description}` failed ({status})"));
    }
    Ok(Run { executions, crash })
}
