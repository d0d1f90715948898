//! `cargo xtask test`: every check the project has, stage by stage, with a
//! summary line per stage and a closing `N passed, N failed`.

use crate::arguments::Arguments;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;
use xtask::server::Server;
use xtask::{Result, TaskError, disk, install, native, paths, process, web};

/// The outcome of one stage.
#[derive(Debug, Default, Clone)]
struct Tally {
    passed: u32,
    failed: u32,
    note: String,
}

impl Tally {
    fn check(ok: bool) -> Self {
        Self { passed: ok as u32, failed: !ok as u32, note: String::new() }
    }
    fn add(&mut self, other: Tally) {
        self.passed += other.passed;
        self.failed += other.failed;
        if !other.note.is_empty() {
            if !self.note.is_empty() {
                self.note.push_str("; ");
            }
            self.note.push_str(&other.note);
        }
    }
}

type StageFunction = fn() -> Result<Tally>;

const STAGES: &[(&str, &str, StageFunction)] = &[
    ("disk", "free space for target/", stage_disk),
    ("toolchain", "pinned toolchain, targets and components", stage_toolchain),
    ("fmt", "cargo fmt --check", stage_fmt),
    ("clippy", "clippy -D warnings (host, i486 image, wasm)", stage_clippy),
    ("unit", "host tests of every crate", stage_unit),
    ("integration", "cross-crate tests (layering, scenarios, gdb)", stage_integration),
    ("soak", "hostile-task soak on the model, 30 s a run", stage_soak),
    ("fuzz", "each fuzz target briefly (old crashes first)", stage_fuzz),
    ("wasm", "explorer release build (wasm32 + wasm-bindgen)", stage_wasm),
    ("components", "yew component tests in headless Chromium", stage_components),
    ("browser", "end-to-end tests in headless Chromium", stage_browser),
    ("qemu", "native image boots in qemu-system-i386", stage_qemu),
];

pub fn run(mut arguments: Arguments) -> Result<i32> {
    let only = list(arguments.value("--only")?);
    let skip = list(arguments.value("--skip")?);
    arguments.finish("test", "--only STAGE,…, --skip STAGE,…")?;
    for name in only.iter().chain(skip.iter()) {
        if !STAGES.iter().any(|(stage, _, _)| stage == name) {
            let names: Vec<&str> = STAGES.iter().map(|(stage, _, _)| *stage).collect();
            return Err(TaskError::new(format!("unknown stage `{name}`; stages are: {}", names.join(", "))));
        }
    }
    let started = Instant::now();
    let mut summary = Vec::new();
    let mut total = Tally::default();
    for (name, description, function) in STAGES {
        if (!only.is_empty() && !only.iter().any(|stage| stage == name)) || skip.iter().any(|stage| stage == name) {
            continue;
        }
        eprintln!("\n==> {name}: {description}");
        let stage_started = Instant::now();
        let tally = function().unwrap_or_else(|error| {
            eprintln!("error in stage {name}: {error}");
            Tally { passed: 0, failed: 1, note: first_line(&error.message) }
        });
        let seconds = stage_started.elapsed().as_secs_f64();
        let verdict = if tally.failed == 0 { "ok  " } else { "FAIL" };
        let mut line =
            format!("{verdict} {name:<12} {:>5} passed {:>4} failed {:>7.1} s", tally.passed, tally.failed, seconds);
        if !tally.note.is_empty() {
            line.push_str("  ");
            line.push_str(&tally.note);
        }
        eprintln!("{line}");
        summary.push(line);
        let stop = *name == "disk" && tally.failed > 0;
        total.add(Tally { note: String::new(), ..tally });
        if stop {
            // Every later stage writes into target/ and would fail half way.
            summary.push("  (the other stages were not run: see the disk stage)".to_string());
            break;
        }
    }
    println!("\nSummary ({:.0} s):", started.elapsed().as_secs_f64());
    for line in &summary {
        println!("  {line}");
    }
    println!("{} passed, {} failed", total.passed, total.failed);
    Ok(if total.failed == 0 { 0 } else { 1 })
}

fn list(value: Option<String>) -> Vec<String> {
    value
        .map(|text| text.split(',').map(|part| part.trim().to_string()).filter(|part| !part.is_empty()).collect())
        .unwrap_or_default()
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").chars().take(100).collect()
}

/// Run a command, echo its output, and count libtest / TAP results in it.
fn run_counting(command: &mut Command) -> Result<Tally> {
    command.stdout(Stdio::piped());
    let description = process::describe(command);
    let mut child = command.spawn().map_err(|error| TaskError::new(format!("cannot run `{description}`: {error}")))?;
    let stdout = child.stdout.take().ok_or_else(|| TaskError::new("no stdout pipe"))?;
    let mut tally = Tally::default();
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        tally.add(parse_result_line(&line));
    }
    let status = child.wait()?;
    if !status.success() && tally.failed == 0 {
        // A build error or a crash: no test reported failure, but the stage did.
        tally.failed += 1;
        tally.note = format!("`{}` exited with {status}", first_line(&description));
    }
    Ok(tally)
}

/// libtest: "test result: ok. 12 passed; 0 failed; …"; TAP: "# pass 3" / "# fail 0".
fn parse_result_line(line: &str) -> Tally {
    let mut tally = Tally::default();
    if let Some(rest) = line.trim().strip_prefix("test result:") {
        for part in rest.split(';') {
            let words: Vec<&str> = part.split_whitespace().collect();
            if let Some(number) = words.iter().rev().nth(1).and_then(|word| word.parse::<u32>().ok()) {
                match words.last() {
                    Some(&"passed") => tally.passed += number,
                    Some(&"failed") => tally.failed += number,
                    _ => {}
                }
            }
        }
    } else if let Some(number) = line.strip_prefix("# pass ") {
        tally.passed += number.trim().parse().unwrap_or(0);
    } else if let Some(number) = line.strip_prefix("# fail ") {
        tally.failed += number.trim().parse().unwrap_or(0);
    }
    tally
}

/// What a whole run from a clean clone leaves in `target/`: 2.3 GB measured
/// after `.ci/run` on 2026-12-04 (debug 1.1 GB, release 0.55, wasm32 0.49,
/// native 0.18), rounded up for a developer's run with incremental caches.
const FULL_RUN_BYTES: u64 = 3 << 30;

fn stage_disk() -> Result<Tally> {
    let target = paths::target();
    let note = match disk::ensure_space(&target, FULL_RUN_BYTES, "a full test run")? {
        Some(space) => format!("{} free, {} needed", disk::gigabytes(space.available), disk::gigabytes(space.needed)),
        None => "free space not readable; not checked".to_string(),
    };
    Ok(Tally { passed: 1, failed: 0, note })
}

fn stage_toolchain() -> Result<Tally> {
    install::ensure_toolchain()?;
    Ok(Tally::check(true))
}

fn stage_fmt() -> Result<Tally> {
    let status = process::status(process::cargo().args(["fmt", "--all", "--", "--check"]))?;
    Ok(Tally::check(status.success()))
}

fn stage_clippy() -> Result<Tally> {
    let mut tally = Tally::default();
    let host =
        process::status(process::cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    tally.add(Tally::check(host.success()));
    let image = process::status(native::cargo_for_target("clippy").args(["--", "-D", "warnings"]))?;
    tally.add(Tally::check(image.success()));
    let wasm = process::status(process::cargo().args([
        "clippy",
        "--package",
        "web-ui",
        "--package",
        "wasm-bridge",
        "--target",
        "wasm32-unknown-unknown",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    tally.add(Tally::check(wasm.success()));
    Ok(tally)
}

fn stage_unit() -> Result<Tally> {
    run_counting(process::cargo().args(["test", "--workspace", "--exclude", "tests", "--exclude", "wasm-tools"]))
}

/// The test files in `tests/tests/`: those named `qemu*` run in the qemu stage.
fn integration_targets(qemu: bool) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(paths::root().join("tests").join("tests"))? {
        let path = entry?.path();
        if path.extension().and_then(|extension| extension.to_str()) != Some("rs") {
            continue;
        }
        if let Some(stem) = path.file_stem().and_then(|stem| stem.to_str())
            && stem.starts_with("qemu") == qemu
        {
            names.push(stem.to_string());
        }
    }
    names.sort();
    Ok(names)
}

fn cargo_test_targets(targets: &[String]) -> Command {
    let mut command = process::cargo();
    command.args(["test", "--package", "tests"]);
    for target in targets {
        command.args(["--test", target]);
    }
    command
}

fn stage_integration() -> Result<Tally> {
    // tests/tests/gdb.rs drives Debian's gdb against `l4-run --gdb`.
    install::ensure_debian(&[install::GDB])?;
    let targets = integration_targets(false)?;
    run_counting(&mut cargo_test_targets(&targets))
}

/// A short soak: both CPUs, the default seeds, each run for at most
/// `SOAK_SECONDS` (eight runs, as many at a time as there are cores).
const SOAK_SECONDS: &str = "30";

fn stage_soak() -> Result<Tally> {
    let soak = crate::commands::soak::soaker()?;
    let mut command = Command::new(soak);
    command.args(["--seconds", SOAK_SECONDS]).stdout(Stdio::piped());
    let output = command.output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    print!("{text}");
    let mut tally = Tally::check(output.status.success());
    tally.note = text.lines().rev().find(|line| line.starts_with("soak:")).unwrap_or("no summary line").to_string();
    Ok(tally)
}

/// Seconds per fuzz target in the test run (the issue allows up to 30).
const FUZZ_SECONDS: u64 = 15;

/// Each target for `FUZZ_SECONDS`: one test per target, failed on a crash.
fn stage_fuzz() -> Result<Tally> {
    let mut tally = Tally::default();
    let limits = xtask::fuzz::Limits { seconds: Some(FUZZ_SECONDS), runs: None, quiet: true, timeout_seconds: 10 };
    for target in xtask::fuzz::targets()? {
        let outcome = xtask::fuzz::run(&target, limits)?;
        let mut one = Tally::check(outcome.crash.is_none());
        one.note = match outcome.crash {
            None => format!("{target} {} execs", outcome.executions),
            Some(crash) => format!("{target} CRASH: {crash}"),
        };
        tally.add(one);
    }
    Ok(tally)
}

fn stage_qemu() -> Result<Tally> {
    install::ensure_debian(&[install::QEMU])?;
    native::build_image()?;
    let targets = integration_targets(true)?;
    run_counting(&mut cargo_test_targets(&targets))
}

fn stage_wasm() -> Result<Tally> {
    let site = web::build_site()?;
    let wasm = site.folder.join("pkg").join("explorer_bg.wasm");
    let gzipped = web::gzipped_size(&wasm).map(|bytes| format!("{} KB gzipped", bytes / 1024)).unwrap_or_default();
    let editor = web::gzipped_size(&site.folder.join("editor.js"))
        .map(|bytes| format!(", editor {} KB gzipped", bytes / 1024))
        .unwrap_or_default();
    Ok(Tally { passed: 1, failed: 0, note: format!("bundle {} KB, {gzipped}{editor}", site.wasm_bytes / 1024) })
}

fn chromium_tools() -> Result<()> {
    install::ensure_debian(&[install::CHROMIUM, install::CHROMEDRIVER])
}

fn stage_components() -> Result<Tally> {
    chromium_tools()?;
    install::ensure_toolchain()?;
    let tools = install::wasm_tools()?;
    let mut command = process::cargo();
    command
        .args(["test", "--package", "web-ui", "--target", "wasm32-unknown-unknown"])
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", tools.join("wasm-bindgen-test-runner"))
        .env("CHROMEDRIVER", "/usr/bin/chromedriver")
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120")
        .env_remove("GECKODRIVER")
        .env_remove("SAFARIDRIVER");
    run_counting(&mut command)
}

fn stage_browser() -> Result<Tally> {
    chromium_tools()?;
    install::ensure_node_modules()?;
    let site = web::build_site()?;
    let server = Server::start(&site.folder, 0)?;
    std::fs::create_dir_all(paths::e2e_artifacts())?;
    // A program for the "load an ELF from disk" test: hello, as `cargo xtask boot` would load it.
    let modules = xtask::modules::export(&xtask::modules::Programs::Scenario("hello".into()))?;
    let elf = modules.last().ok_or_else(|| TaskError::new("the hello scenario exported no program"))?;
    let mut command = Command::new("node");
    command
        .args(["--test", "--test-reporter=tap", "--test-concurrency=1"])
        .current_dir(paths::e2e_sources())
        .env("L4_EXPLORER_URL", server.url())
        .env("L4_CHROMIUM", "/usr/bin/chromium")
        .env("L4_E2E_ARTIFACTS", paths::e2e_artifacts())
        .env("L4_E2E_ELF", elf);
    let tally = run_counting(&mut command);
    drop(server);
    tally
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtest_and_tap_summaries_are_counted() {
        let line = "test result: FAILED. 12 passed; 3 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s";
        let tally = parse_result_line(line);
        assert_eq!((tally.passed, tally.failed), (12, 3));
        assert_eq!(parse_result_line("# pass 4").passed, 4);
        assert_eq!(parse_result_line("# fail 2").failed, 2);
        assert_eq!(parse_result_line("random output").passed, 0);
    }
}
