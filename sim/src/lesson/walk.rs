//! Following a lesson without a page: boot its programs, and for each step
//! run to its go and evaluate its checks — what `cargo xtask run --lesson`
//! prints and what the tests assert for every built-in lesson.

use super::Prepared;
use super::evaluate::{Baseline, CheckOutcome, evaluate};
use super::resolve::{ResolvedGo, ResolvedTarget};
use crate::{Budget, CpuModel, RunResult, System, SystemConfig};

/// At most this many user instructions to reach one go.
pub const GO_LIMIT: u64 = 50_000_000;

/// What happened at one step.
#[derive(Clone, Debug)]
pub struct StepReport {
    pub index: usize,
    pub title: String,
    /// The go was reached (or there was none), or why not.
    pub reached: Result<(), String>,
    /// (the check as written, its line, its outcome).
    pub checks: Vec<(String, usize, CheckOutcome)>,
    /// User instructions retired when the step's checks were evaluated.
    pub position: u64,
}

impl StepReport {
    /// The go was reached and every check is met.
    pub fn passed(&self) -> bool {
        self.reached.is_ok() && self.checks.iter().all(|(_, _, outcome)| outcome.met)
    }
}

/// The machine's CPU of a lesson CPU.
pub fn cpu_model(cpu: lessons::Cpu) -> CpuModel {
    match cpu {
        lessons::Cpu::I486 => CpuModel::I486,
        lessons::Cpu::Pentium => CpuModel::Pentium,
    }
}

impl Prepared {
    /// A system booted with the lesson's programs, as step `index` wants it.
    pub fn boot_for_step(&self, index: usize) -> Result<System, String> {
        let (cpu, small_spaces) = self.lesson.machine_at(index);
        self.boot(cpu_model(cpu), small_spaces)
    }

    /// A system booted with the lesson's programs.
    pub fn boot(&self, cpu: CpuModel, small_spaces: bool) -> Result<System, String> {
        let mut config = SystemConfig::new(cpu);
        config.small_spaces = small_spaces;
        let mut system = System::new(config);
        system.feed_input(self.lesson.input.as_bytes());
        system.boot(&self.modules).map_err(|error| error.to_string())?;
        system.set_thread_names(self.names.clone());
        Ok(system)
    }
}

/// Why a run ended, in words.
pub fn describe_end(result: &RunResult) -> String {
    match result {
        RunResult::Limit | RunResult::Event | RunResult::Debugger(_) => "the run goes on".into(),
        RunResult::Exited { value: 0x10 } => "the programs ended: success (verdict 0x10)".into(),
        RunResult::Exited { value: 0x11 } => "the programs ended: failure (verdict 0x11)".into(),
        RunResult::Exited { value } => format!("the programs ended with verdict {value:#x}"),
        RunResult::Stopped(reason) => format!("the kernel stopped: {reason:?}"),
        RunResult::Failed(message) => format!("the machine stopped: {message}"),
        RunResult::Dead => "every thread waits for something that cannot happen".into(),
        RunResult::WaitingForInput => "a thread waits for console input".into(),
    }
}

fn finished(result: &RunResult) -> bool {
    !matches!(result, RunResult::Limit | RunResult::Event | RunResult::Debugger(_))
}

/// Run `system` to `go`'s target (its `count`-th next occurrence).
pub fn run_to(system: &mut System, go: &ResolvedGo) -> Result<(), String> {
    let start = system.machine().instructions;
    let out_of_budget = || format!("`{}` did not happen within {GO_LIMIT} instructions", go.text);
    match &go.target {
        ResolvedTarget::End => {
            let result = system.run(Budget::instructions(GO_LIMIT));
            if finished(&result) { Ok(()) } else { Err(out_of_budget()) }
        }
        ResolvedTarget::Instruction { address, thread } => {
            let mut remaining = go.count;
            // An instruction that faults is reached again after the fault is
            // served, at the same position: that is one arrival.
            let mut last_arrival = None;
            loop {
                let result = system.run(Budget::instructions(1));
                if finished(&result) {
                    return Err(format!("`{}` was not reached: {}", go.text, describe_end(&result)));
                }
                let current = system.kernel().current_thread().raw();
                let here = system.machine().instructions;
                if system.machine().cpu.eip == *address
                    && thread.is_none_or(|thread| thread.is(current))
                    && last_arrival.replace(here) != Some(here)
                {
                    remaining -= 1;
                    if remaining == 0 {
                        return Ok(());
                    }
                }
                if system.machine().instructions - start >= GO_LIMIT {
                    return Err(out_of_budget());
                }
            }
        }
        target => {
            let mut remaining = go.count;
            loop {
                let sequence = system.log().next_sequence();
                let used = system.machine().instructions - start;
                let result = system.run(Budget { stop_at_kernel_event: true, ..Budget::instructions(GO_LIMIT - used) });
                let hits = system.log().since(sequence).filter(|entry| target.matches(entry)).count() as u32;
                let next = system.log().next_sequence();
                system.log_mut().forget_before(next);
                if hits >= remaining {
                    return Ok(());
                }
                remaining -= hits;
                if finished(&result) {
                    return Err(format!("`{}` did not happen: {}", go.text, describe_end(&result)));
                }
                if system.machine().instructions - start >= GO_LIMIT {
                    return Err(out_of_budget());
                }
            }
        }
    }
}

/// Follow every step of a lesson; `each` sees every report as it is made.
pub fn walk(prepared: &Prepared, mut each: impl FnMut(&StepReport, &System)) -> Result<Vec<StepReport>, String> {
    let mut system = prepared.boot_for_step(0)?;
    let mut reports = Vec::new();
    for (index, (step, resolved)) in prepared.lesson.steps.iter().zip(&prepared.steps).enumerate() {
        if index > 0 && prepared.lesson.boot_step(index) == Some(index) {
            system = prepared.boot_for_step(index)?;
        }
        let baseline = Baseline::now(&system);
        let reached = resolved.go.as_ref().map_or(Ok(()), |go| run_to(&mut system, go));
        let checks = resolved
            .checks
            .iter()
            .map(|check| (check.text.clone(), check.line, evaluate(check, &system, &baseline, &prepared.names)))
            .collect();
        let report =
            StepReport { index, title: step.title.clone(), reached, checks, position: system.machine().instructions };
        each(&report, &system);
        reports.push(report);
    }
    Ok(reports)
}
