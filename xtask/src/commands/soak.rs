//! `cargo xtask soak`: the hostile-task soak.
//!
//! On the model (default): `l4-soak` (the `sim` crate's binary, release
//! build) runs `scenarios/stress/hostile.asm` on both CPUs and several
//! seeds in parallel, checking the kernel's invariants every few hundred
//! calls; its flags pass through (`--calls N`, `--cpu`, `--seeds K`,
//! `--jobs J`, `--seconds S`, `--small-spaces`, `--replay SEED:CALL`).
//!
//! Natively (`--native`): the same program, running forever, on the native
//! image in QEMU for `--seconds S` (default 60) with the kernel's
//! self-audit on (the `audit` option: `Kernel::audit` every 4,096 entries,
//! a report line every 16 audits). A broken invariant stops the kernel
//! (QEMU exits with 37); so do a panic and an exception in ring 0. The
//! verdict: the last report line, and that QEMU was still running when the
//! time was up. QEMU's clock follows the instruction count (`-icount`), so
//! the program's timing does not depend on the host's load and a failing
//! seed repeats; its whole console is kept in `target/soak/`. `--small-spaces` runs the kernel with small spaces on (the
//! program asks for them), so that the IPC fast path's window switches are
//! soaked too.

use crate::arguments::Arguments;
use std::path::PathBuf;
use std::time::Duration;
use xtask::modules::{self, Programs};
use xtask::qemu::{self, Cpu, QemuConfig};
use xtask::{Result, TaskError, install, native, paths, process};

const ACCEPTED: &str = "--calls N, --cpu 486|pentium|both, --seeds K, --jobs J, --seconds S, --small-spaces, \
                        --replay SEED:CALL; or --native [--cpu 486|pentium] [--seconds S] [--seed N] [--small-spaces]";

pub fn run(mut arguments: Arguments) -> Result<i32> {
    if arguments.flag("--native") {
        let cpu = arguments.value("--cpu")?.map(|text| Cpu::parse(&text)).transpose()?.unwrap_or(Cpu::I486);
        let seconds = number(arguments.value("--seconds")?, "--seconds")?.unwrap_or(60);
        let seed = number(arguments.value("--seed")?, "--seed")?.unwrap_or(1);
        let small_spaces = arguments.flag("--small-spaces");
        arguments.finish("soak --native", ACCEPTED)?;
        return native_soak(cpu, seconds, seed as u32, small_spaces);
    }
    if arguments.rest().iter().any(|argument| argument == "--help" || argument == "-h") {
        println!("usage: cargo xtask soak [options]\noptions: {ACCEPTED}");
        return Ok(0);
    }
    let soak = soaker()?;
    let status = process::status(std::process::Command::new(soak).args(arguments.rest()))?;
    Ok(status.code().unwrap_or(1))
}

fn number(value: Option<String>, flag: &str) -> Result<Option<u64>> {
    value
        .map(|text| text.replace('_', "").parse::<u64>())
        .transpose()
        .map_err(|_| TaskError::new(format!("{flag} takes a number")))
}

/// Build `l4-soak` (release) and return its path.
pub fn soaker() -> Result<PathBuf> {
    let mut command = process::cargo();
    command.args(["build", "--quiet", "--release", "--package", "sim", "--bin", "l4-soak"]);
    process::run(&mut command)?;
    Ok(paths::target().join("release").join("l4-soak"))
}

/// What a native soak found.
#[derive(Clone, Debug)]
pub struct NativeSoak {
    pub system_calls: u64,
    pub audits: u64,
    /// Why it failed, if it did.
    pub failure: Option<String>,
    pub serial: String,
}

/// The hostile program, running forever, as a file the runner assembles
/// (`target/soak/hostile-SEED.asm`).
fn hostile_file(seed: u32) -> Result<PathBuf> {
    let source = std::fs::read_to_string(paths::root().join("scenarios").join("stress").join("hostile.asm"))?;
    let folder = paths::target().join("soak");
    std::fs::create_dir_all(&folder)?;
    let file = folder.join(format!("hostile-{seed}.asm"));
    std::fs::write(&file, format!("SEED equ {seed}\nEPOCHS equ 0\n%define FOREVER 1\n{source}"))?;
    Ok(file)
}

/// Run the hostile program in QEMU for `seconds` with the self-audit on
/// (and small spaces, when asked).
pub fn run_native(cpu: Cpu, seconds: u64, seed: u32, small_spaces: bool) -> Result<NativeSoak> {
    install::ensure_debian(&[install::QEMU])?;
    let image = native::build_image()?;
    let exported = modules::export(&Programs::Files(vec![hostile_file(seed)?]))?;
    let mut config = QemuConfig::new(cpu, &image);
    config.modules = exported;
    // Virtual time from the instruction count: the program's epochs (and
    // whether the healthy pair made progress in one) do not depend on how
    // busy the host is, and a run of a seed repeats.
    config.instruction_clock = true;
    config.options.push("audit".into());
    if small_spaces {
        config.options.push("small-spaces".into());
    }
    let outcome = qemu::run_captured(&config, Duration::from_secs(seconds))?;
    let last = outcome.serial.lines().rev().find_map(|line| {
        let rest = line.strip_prefix("soak: ")?;
        let mut words = rest.split_whitespace();
        let calls = words.next()?.parse::<u64>().ok()?;
        let audits = words.nth(2)?.parse::<u64>().ok()?;
        Some((calls, audits))
    });
    let (system_calls, audits) = last.unwrap_or((0, 0));
    let failure = if !outcome.timed_out {
        let code = outcome.status.unwrap_or(-1);
        Some(format!("QEMU exited with {code} before the time was up: {}", qemu::verdict_text(code)))
    } else if outcome.serial.lines().any(|line| line.starts_with("FAIL")) {
        Some("the program reported a failure (FAIL on the console)".to_string())
    } else if last.is_none() {
        Some("no report line from the self-audit (did the kernel run at all?)".to_string())
    } else {
        None
    };
    Ok(NativeSoak { system_calls, audits, failure, serial: outcome.serial })
}

fn native_soak(cpu: Cpu, seconds: u64, seed: u32, small_spaces: bool) -> Result<i32> {
    let spaces = if small_spaces { ", small spaces on" } else { "" };
    eprintln!(
        "xtask: the hostile program (seed {seed}) on -cpu {} for {seconds} s, self-audit on{spaces}",
        cpu.qemu_name()
    );
    let soak = run_native(cpu, seconds, seed, small_spaces)?;
    match &soak.failure {
        None => {
            println!(
                "soak (native, {}): {} system calls, {} audits, 0 panics, 0 invariant breaks in {seconds} s",
                cpu.qemu_name(),
                soak.system_calls,
                soak.audits
            );
            Ok(0)
        }
        Some(reason) => {
            // The whole console goes to a file (the report lines alone are
            // thousands); the lines that explain the end, to the terminal.
            let folder = paths::target().join("soak");
            std::fs::create_dir_all(&folder)?;
            let spaces = if small_spaces { "-small-spaces" } else { "" };
            let log = folder.join(format!("native-{}-seed-{seed}{spaces}.log", cpu.qemu_name()));
            std::fs::write(&log, &soak.serial)?;
            let telling = soak.serial.lines().filter(|line| !line.starts_with("soak: ")).collect::<Vec<_>>();
            for line in &telling[telling.len().saturating_sub(20)..] {
                eprintln!("{line}");
            }
            println!("soak (native, {}): FAILED after {} system calls: {reason}", cpu.qemu_name(), soak.system_calls);
            println!("soak: the whole console is in {}", log.display());
            println!(
                "soak: to repeat it (the timer follows the instruction count): cargo xtask soak --native --cpu {} \
                 --seconds {seconds} --seed {seed}{}",
                cpu.qemu_name(),
                if small_spaces { " --small-spaces" } else { "" }
            );
            Ok(1)
        }
    }
}
