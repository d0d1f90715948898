//! The hostile-task soak: `scenarios/stress/hostile.asm` on the model for
//! millions of system calls, with the kernel's invariants checked often
//! enough to name the call that broke one.
//!
//! Why this shape: an invariant that breaks shows its damage much later
//! (a stale TLB entry is used, a freed TCB is woken), so checking only at
//! the end would find a failure and no cause. Checking after every kernel
//! entry finds the cause but costs more than the calls. So a run checks
//! every few thousand calls, keeps a snapshot of the last state that passed,
//! and when a check fails (or the kernel panics) it goes back to that
//! snapshot and steps one instruction at a time, checking after every kernel
//! entry, until the first entry after which the check fails. The run is
//! deterministic (seed, CPU, small spaces), so `replay` reaches the same
//! call from boot and shows it: the thread, its registers, what the kernel
//! logged.
//!
//! The checks ([`check`]): `Kernel::audit` (the mapping forest rooted in
//! sigma0, no child with more rights than its parent, page tables and the
//! mapping database agreeing entry for entry, the I/O mappings, every
//! thread in exactly the queues its state calls for, the timeout list in
//! order), `System::check_tlbs` (no TLB entry for a page that is no longer
//! mapped or no longer writable), and that no hostile task holds writable
//! a frame its pager only ever hands out read-only (a mapping never carries
//! more rights than its mapper had). The program itself reports the
//! healthy ping-pong pair stalling (a line starting with `FAIL`).

use crate::{Budget, CpuModel, Module, RunResult, System, SystemConfig, scenarios};
use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// The hostile program's source.
pub const HOSTILE: &str = include_str!("../../scenarios/stress/hostile.asm");

/// The hostile tasks: 7..14 and their subtasks 16..31.
pub fn is_hostile(task: u8) -> bool {
    (7..=14).contains(&task) || (16..=31).contains(&task)
}

/// User instructions between two checks: about 500 system calls.
pub const CHECK_INTERVAL: u64 = 50_000;

/// One soak run: a CPU, a seed, small spaces on or off, and how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunSpec {
    pub cpu: CpuModel,
    pub seed: u32,
    pub small_spaces: bool,
    /// Stop after this many hostile system calls …
    pub calls: u64,
    /// … or after this much host time, whichever comes first.
    pub time_limit: Option<Duration>,
}

impl RunSpec {
    /// How a failure of this run is replayed.
    pub fn replay_command(&self, call: u64) -> String {
        let cpu = if self.cpu == CpuModel::I486 { "486" } else { "pentium" };
        let small = if self.small_spaces { " --small-spaces" } else { "" };
        format!("cargo xtask soak --cpu {cpu}{small} --replay {}:{call}", self.seed)
    }
}

/// What went wrong, at which hostile call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The hostile system call after which the check first failed (or in
    /// which the kernel panicked), counted from boot.
    pub call: u64,
    pub kind: FailureKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    Panic,
    Invariant,
    /// The program reported a failure (the healthy pair stalled) or ended.
    Program,
    /// The model or the system stopped (a model failure, a dead system).
    System,
}

impl FailureKind {
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::Panic => "panic",
            FailureKind::Invariant => "invariant break",
            FailureKind::Program => "program failure",
            FailureKind::System => "system failure",
        }
    }
}

/// The outcome of one run.
#[derive(Clone, Debug)]
pub struct RunReport {
    pub spec: RunSpec,
    /// Hostile system calls made.
    pub calls: u64,
    /// System calls of every task.
    pub all_calls: u64,
    pub kernel_entries: u64,
    pub audits: u64,
    pub simulated_cycles: u64,
    pub elapsed: Duration,
    pub failure: Option<Failure>,
}

/// The program for a seed: `epochs` of about 41 ms, or forever (the soak
/// stops it).
pub fn hostile_source(seed: u32, epochs: Option<u32>) -> String {
    let ending = match epochs {
        Some(count) => format!("EPOCHS equ {count}\n"),
        None => "EPOCHS equ 0\n%define FOREVER 1\n".to_string(),
    };
    format!("SEED equ {seed}\n{ending}{HOSTILE}")
}

/// Sigma0 and the hostile program as boot modules.
pub fn modules(seed: u32, epochs: Option<u32>) -> Result<Vec<Module>, String> {
    let elf = scenarios::assemble("hostile.asm", &hostile_source(seed, epochs))?;
    Ok(vec![scenarios::sigma0()?, Module::new("hostile", elf)])
}

/// A booted system running the hostile program.
pub fn boot(cpu: CpuModel, seed: u32, small_spaces: bool, epochs: Option<u32>) -> Result<System, String> {
    let mut config = SystemConfig::new(cpu);
    config.small_spaces = small_spaces;
    let mut system = System::new(config);
    system.log_mut().capacity = 256;
    system.boot(&modules(seed, epochs)?).map_err(|error| format!("boot: {error:?}"))?;
    Ok(system)
}

/// Hostile system calls made so far.
pub fn hostile_calls(system: &System) -> u64 {
    (0..=255u8).filter(|task| is_hostile(*task)).map(|task| system.system_calls(task)).sum()
}

fn all_calls(system: &System) -> u64 {
    (0..=255u8).map(|task| system.system_calls(task)).sum()
}

/// The frames the hostile pager hands out read-only: the root task's pages
/// from the image's start to the hostile area, and the code trash page.
fn read_only_frames(system: &System) -> HashSet<u32> {
    let labels = system.labels();
    let label = |name: &str| labels.iter().find(|label| label.name == name).map(|label| label.address);
    let (Some(start), Some(area), Some(trash)) = (label("image_start"), label("hostile_area"), label("trash")) else {
        return HashSet::new();
    };
    let Some(root) = system.kernel().task_summaries().find(|task| task.number == 4) else { return HashSet::new() };
    (start & !0xFFF..area)
        .step_by(4096)
        .chain([trash])
        .filter_map(|address| system.walk(root.directory, address))
        .map(|translation| translation.physical & !0xFFF)
        .collect()
}

/// No hostile task holds one of the read-only frames writable.
fn no_hostile_writes_what_it_got_read_only(system: &System) -> Result<(), String> {
    let frames = read_only_frames(system);
    let tasks: Vec<_> = system.kernel().task_summaries().filter(|task| is_hostile(task.number)).collect();
    for mapping in system.kernel().mapping_summaries().filter(|mapping| mapping.writable) {
        let Some(task) = tasks.iter().find(|task| task.number == mapping.task) else { continue };
        let Some(translation) = system.walk(task.directory, mapping.address) else { continue };
        if frames.contains(&(translation.physical & !0xFFF)) {
            return Err(format!(
                "rights: task {:#x} holds the read-only frame {:#x} writable at {:#x}",
                mapping.task, translation.physical, mapping.address
            ));
        }
    }
    Ok(())
}

/// Every check the soak makes after a slice of the run.
pub fn check(system: &System) -> Result<(), String> {
    system.audit().map_err(|error| format!("audit: {error:?}"))?;
    system.check_tlbs().map_err(|error| format!("tlb: {error}"))?;
    no_hostile_writes_what_it_got_read_only(system)
}

/// A line the program printed to report a failure.
fn program_failure(system: &System, from: usize) -> Option<String> {
    let console = system.console();
    let text = String::from_utf8_lossy(&console[from.min(console.len())..]).into_owned();
    text.lines().find(|line| line.starts_with("FAIL")).map(str::to_string)
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// Run a slice; a panic is caught and returned as its message.
fn run_slice(system: &mut System, instructions: u64) -> Result<RunResult, String> {
    catch_unwind(AssertUnwindSafe(|| system.run(Budget::instructions(instructions)))).map_err(panic_message)
}

/// What a slice's result means for the soak (a forever program only ends
/// its slices at the budget).
fn slice_problem(result: &RunResult) -> Option<(FailureKind, String)> {
    match result {
        RunResult::Limit => None,
        RunResult::Exited { value } => {
            Some((FailureKind::Program, format!("the program ended with verdict {value:#x} (it should run on)")))
        }
        other => Some((FailureKind::System, format!("the system stopped: {other:?}"))),
    }
}

/// One run, checked every [`CHECK_INTERVAL`] instructions; a failure is
/// narrowed down to the call that caused it.
pub fn run(spec: RunSpec) -> RunReport {
    let started = Instant::now();
    let mut report = RunReport {
        spec,
        calls: 0,
        all_calls: 0,
        kernel_entries: 0,
        audits: 0,
        simulated_cycles: 0,
        elapsed: Duration::ZERO,
        failure: None,
    };
    let mut system = match boot(spec.cpu, spec.seed, spec.small_spaces, None) {
        Ok(system) => system,
        Err(message) => {
            report.failure = Some(Failure { call: 0, kind: FailureKind::System, message });
            return report;
        }
    };
    let mut good = system.snapshot();
    let mut console_checked = 0;
    let mut last_progress = (0, 0);
    loop {
        let calls = hostile_calls(&system);
        let out_of_time = spec.time_limit.is_some_and(|limit| started.elapsed() >= limit);
        if calls >= spec.calls || out_of_time {
            break;
        }
        let outcome = run_slice(&mut system, CHECK_INTERVAL);
        let problem = match outcome {
            Err(message) => Some((FailureKind::Panic, message)),
            Ok(result) => slice_problem(&result).or_else(|| {
                report.audits += 1;
                check(&system)
                    .err()
                    .map(|message| (FailureKind::Invariant, message))
                    .or_else(|| program_failure(&system, console_checked).map(|line| (FailureKind::Program, line)))
            }),
        };
        if let Some((kind, message)) = problem {
            let failure = match kind {
                FailureKind::Panic | FailureKind::Invariant => narrow(&mut system, &good, kind, message),
                _ => Failure { call: hostile_calls(&system), kind, message },
            };
            report.failure = Some(failure);
            break;
        }
        console_checked = system.console().len();
        good = system.snapshot();
        // A second of simulated time (two dozen epochs) without a hostile call.
        let (calls, cycles) = (hostile_calls(&system), system.machine().cycles);
        if calls > last_progress.0 {
            last_progress = (calls, cycles);
        } else if cycles - last_progress.1 > spec.cpu.default_clock_mhz() as u64 * 1_000_000 {
            let message = "no hostile system call for a second of simulated time".to_string();
            report.failure = Some(Failure { call: calls, kind: FailureKind::System, message });
            break;
        }
    }
    report.calls = hostile_calls(&system);
    report.all_calls = all_calls(&system);
    report.kernel_entries = system.kernel_entries();
    report.simulated_cycles = system.machine().cycles;
    report.elapsed = started.elapsed();
    report
}

/// From the last good snapshot, one instruction at a time, checking after
/// every kernel entry: the first call after which the check fails (or that
/// panics). If stepping does not reproduce it, the slice's finding stands.
fn narrow(system: &mut System, good: &crate::SystemSnapshot, kind: FailureKind, message: String) -> Failure {
    let fallback = Failure { call: hostile_calls(system), kind, message };
    system.restore(good);
    for _ in 0..CHECK_INTERVAL * 2 {
        let entries = system.kernel_entries();
        match run_slice(system, 1) {
            Err(message) => return Failure { call: hostile_calls(system) + 1, kind: FailureKind::Panic, message },
            Ok(result) if slice_problem(&result).is_some() => break,
            Ok(_) => {}
        }
        if system.kernel_entries() != entries
            && let Err(message) = check(system)
        {
            return Failure { call: hostile_calls(system), kind: FailureKind::Invariant, message };
        }
    }
    fallback
}

/// What a replay found: the call, the thread that made it and its
/// registers, the kernel's events for it, and the checks after it.
#[derive(Clone, Debug)]
pub struct Replay {
    pub text: String,
    /// Whether the checks failed after the call (or it panicked).
    pub failed: bool,
}

/// Run the seed from boot to hostile call `call` (fast), then step through
/// it and describe it: the calls just before it are checked one by one too.
pub fn replay(cpu: CpuModel, seed: u32, small_spaces: bool, call: u64) -> Result<Replay, String> {
    let mut system = boot(cpu, seed, small_spaces, None)?;
    system.log_mut().capacity = 4096;
    let approach = call.saturating_sub(50);
    let mut before_slice = system.snapshot();
    while hostile_calls(&system) < approach {
        before_slice = system.snapshot();
        let result =
            run_slice(&mut system, 20_000).map_err(|message| format!("panicked before call {approach}: {message}"))?;
        if let Some((_, message)) = slice_problem(&result) {
            return Err(format!("before call {approach}: {message}"));
        }
    }
    // The last slice went past: step it again, one instruction at a time.
    if hostile_calls(&system) > approach {
        system.restore(&before_slice);
        while hostile_calls(&system) < approach {
            run_slice(&mut system, 1).map_err(|message| format!("panicked before call {approach}: {message}"))?;
        }
    }
    let mut text = String::new();
    loop {
        let before = hostile_calls(&system);
        if before >= call {
            break;
        }
        let thread = system.kernel().current_thread();
        let cpu_state = system.machine().cpu.clone();
        let logged = system.log().next_sequence();
        let outcome = run_slice(&mut system, 1);
        let after = hostile_calls(&system);
        if after == before && outcome.is_ok() {
            continue;
        }
        let registers = cpu_state.registers;
        let line = format!(
            "call {after}: thread {:#010x} at eip {:#010x}: eax {:#010x} ecx {:#010x} edx {:#010x} ebx {:#010x} esp {:#010x} ebp {:#010x} esi {:#010x} edi {:#010x}\n",
            thread.raw(),
            cpu_state.eip,
            registers[0],
            registers[1],
            registers[2],
            registers[3],
            registers[4],
            registers[5],
            registers[6],
            registers[7]
        );
        let last = after >= call;
        if last {
            text.push_str(&line);
            for entry in system.log().since(logged) {
                if let crate::Source::Kernel(event) = &entry.source {
                    text.push_str(&format!("    {}\n", event));
                }
            }
        }
        match outcome {
            Err(message) => {
                text.push_str(&format!("{line}    the kernel panicked: {message}\n"));
                return Ok(Replay { text, failed: true });
            }
            Ok(_) => {
                if let Err(message) = check(&system) {
                    if !last {
                        text.push_str(&line);
                    }
                    text.push_str(&format!("    after it: {message}\n"));
                    return Ok(Replay { text, failed: true });
                }
            }
        }
    }
    text.push_str("    after it: every check passes\n");
    Ok(Replay { text, failed: false })
}
