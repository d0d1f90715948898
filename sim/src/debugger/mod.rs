//! A debugger's hold on the system: stopping points, stepping and running
//! forwards and backwards, breakpoints, watchpoints, every thread's
//! registers and memory — what the gdb stub (`crate::gdb`) serves, kept
//! apart from the protocol so that it is tested on its own.
//!
//! Time is the number of user instructions begun (`Machine::attempts`:
//! executed, or faulted and begun again later), and every stop is a moment
//! just before a thread begins the next one — after the kernel entries and
//! interrupts that come first (the machine's pause hook stops there). So
//! position N names exactly one state, and going back to it is a restore
//! of the last checkpoint at or before N ([`history`]) plus a replay to the
//! N-th instruction begun, exact because the model is deterministic.
//! Kernel entries are atomic: one step over an `int 0x30` ends before the
//! next user instruction of whichever thread runs next — and so does a step
//! over an instruction that faults (the pager's, after a page fault).
//!
//! Going back one instruction replays from a checkpoint; going back to the
//! previous breakpoint or watchpoint hit replays the stretches between
//! checkpoints one by one, from the latest, with the hooks set, and keeps
//! the last hit before the present. A change the debugger makes to memory
//! or registers starts a new future: the checkpoints after it go.

pub mod history;
pub mod points;
pub mod threads;

use crate::{Budget, DebuggerStop, RunResult, Status, System};
use history::History;
use ia32::abi::ThreadId;
use machine_model::WatchKind;
use points::{PointError, Points};

/// User instructions a forward run goes between two looks at the debugger
/// (a Ctrl-C, a checkpoint due): a few milliseconds on the model.
const SLICE: u64 = 100_000;

/// Why the debugger stopped, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// One instruction done (forwards or backwards).
    Stepped { thread: ThreadId },
    /// Before the instruction at a breakpoint.
    Breakpoint { thread: ThreadId, address: u32 },
    /// After (or, going backwards, before) an access to a watched address.
    Watchpoint { thread: ThreadId, address: u32, kind: WatchKind },
    /// Asked to stop (a Ctrl-C).
    Interrupted { thread: ThreadId },
    /// Going back reached the first moment recorded.
    HistoryStart { thread: ThreadId },
    /// The run cannot go on from here (it may go back).
    Ended { thread: ThreadId, ending: Ending },
}

impl Stop {
    pub fn thread(&self) -> ThreadId {
        match self {
            Stop::Stepped { thread }
            | Stop::Breakpoint { thread, .. }
            | Stop::Watchpoint { thread, .. }
            | Stop::Interrupted { thread }
            | Stop::HistoryStart { thread }
            | Stop::Ended { thread, .. } => *thread,
        }
    }
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// A program wrote its verdict to the `isa-debug-exit` port.
    Exited { verdict: u32 },
    /// Every thread waits for something that cannot happen.
    Dead,
    /// A thread waits for console input and none is left.
    WaitingForInput,
    /// The kernel stopped the system.
    KernelStopped(String),
    /// The model cannot go on.
    Failed(String),
    /// The cycle limit was reached.
    CycleLimit,
}

impl std::fmt::Display for Ending {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ending::Exited { verdict: 0x10 } => write!(formatter, "the program exited: success (verdict 0x10)"),
            Ending::Exited { verdict: 0x11 } => write!(formatter, "the program exited: failure (verdict 0x11)"),
            Ending::Exited { verdict } => write!(formatter, "the program exited with verdict {verdict:#x}"),
            Ending::Dead => write!(formatter, "every thread waits for something that cannot happen"),
            Ending::WaitingForInput => write!(formatter, "a thread waits for console input and none is left"),
            Ending::KernelStopped(reason) => write!(formatter, "the kernel stopped the system: {reason}"),
            Ending::Failed(message) => write!(formatter, "the machine model stopped: {message}"),
            Ending::CycleLimit => write!(formatter, "the cycle limit was reached"),
        }
    }
}

/// The system under a debugger.
#[derive(Debug)]
pub struct Debugger {
    system: System,
    history: History,
    points: Points,
    /// Runs stop at this cycle count.
    until_cycle: u64,
    /// The thread that ran last (what a stop names while none runs).
    last_thread: ThreadId,
}

impl Debugger {
    /// Take a booted system and run it to just before the root task's
    /// first instruction, where the history begins.
    pub fn new(mut system: System, until_cycle: u64) -> Self {
        system.log_mut().capacity = 4096;
        let entry = system
            .modules()
            .get(1)
            .and_then(|module| asm::loader::Image::parse(&module.elf).ok())
            .map(|image| image.entry());
        let mut debugger = Self {
            history: History::new(&system),
            system,
            points: Points::default(),
            until_cycle,
            last_thread: ThreadId::NIL,
        };
        if let Some(entry) = entry {
            debugger.system.machine.debug.set_breakpoints(&[entry]);
            loop {
                let result = debugger.system.run(debugger.budget(u64::MAX));
                let at_root = debugger.system.kernel().current_thread().task() == crate::names::ROOT_TASK;
                match result {
                    RunResult::Debugger(DebuggerStop::Breakpoint) if at_root => break,
                    RunResult::Debugger(_) => debugger.system.machine.debug.pass_breakpoint_at(entry),
                    _ => break,
                }
            }
            debugger.system.machine.debug.set_breakpoints(&[]);
        }
        debugger.note_thread();
        debugger.history = History::new(&debugger.system);
        debugger
    }

    pub fn system(&self) -> &System {
        &self.system
    }

    /// The system, with every breakpoint and watchpoint taken out.
    pub fn into_system(mut self) -> System {
        Points::default().arm(&mut self.system.machine.debug);
        self.system.machine.debug.forget_requests();
        self.system
    }

    /// User instructions begun: where in time the system stands.
    pub fn position(&self) -> u64 {
        self.system.machine().attempts
    }

    /// The first position the history holds.
    pub fn start(&self) -> u64 {
        self.history.start()
    }

    pub fn history(&self) -> &History {
        &self.history
    }

    pub fn points(&self) -> &Points {
        &self.points
    }

    fn budget(&self, instructions: u64) -> Budget {
        Budget { instructions, ..Budget::cycles(self.until_cycle) }
    }

    fn note_thread(&mut self) -> ThreadId {
        let current = self.system.kernel().current_thread();
        if !current.is_nil() {
            self.last_thread = current;
        }
        self.last_thread
    }

    /// A stop that names the thread about to run.
    fn here(&mut self, stop: impl FnOnce(ThreadId) -> Stop) -> Stop {
        let thread = self.note_thread();
        stop(thread)
    }

    /// The ending a run result means, if it is one.
    fn ending(&self, result: &RunResult) -> Option<Ending> {
        Some(match result {
            RunResult::Limit | RunResult::Event | RunResult::Debugger(_) => {
                if self.system.machine().cycles >= self.until_cycle {
                    Ending::CycleLimit
                } else {
                    return None;
                }
            }
            RunResult::Exited { value } => Ending::Exited { verdict: *value },
            RunResult::Dead => Ending::Dead,
            RunResult::WaitingForInput => Ending::WaitingForInput,
            RunResult::Stopped(reason) => Ending::KernelStopped(format!("{reason:?}")),
            RunResult::Failed(message) => Ending::Failed(message.clone()),
        })
    }

    fn ended(&mut self, ending: Ending) -> Stop {
        self.system.machine.debug.forget_requests();
        self.here(|thread| Stop::Ended { thread, ending })
    }

    /// Go on to the moment just before the next instruction (through the
    /// kernel entries and interrupts that come first). `Some` if the run
    /// ends on the way.
    fn settle(&mut self) -> Option<Stop> {
        self.system.machine.debug.request_pause();
        let result = self.system.run(self.budget(u64::MAX));
        if result == RunResult::Debugger(DebuggerStop::Pause) {
            self.note_thread();
            return None;
        }
        Some(self.ended(self.ending(&result).unwrap_or(Ending::CycleLimit)))
    }

    /// Let the instruction about to run go past a breakpoint at its address.
    fn pass_here(&mut self) {
        let eip = self.system.machine().cpu.eip;
        self.system.machine.debug.pass_breakpoint_at(eip);
    }

    /// The end already reached, if the system cannot go on.
    fn already_ended(&mut self) -> Option<Stop> {
        let ending = match self.system.status() {
            Status::Exited { value } => Ending::Exited { verdict: *value },
            Status::Stopped(reason) => Ending::KernelStopped(format!("{reason:?}")),
            Status::Failed(message) => Ending::Failed(message.clone()),
            Status::Off => Ending::Failed("the system has not been booted".into()),
            Status::Running | Status::Idle => return None,
        };
        Some(self.ended(ending))
    }

    /// Execute one instruction (and the kernel entries it causes), stopping
    /// before the next one, whichever thread it belongs to.
    pub fn step(&mut self) -> Stop {
        if let Some(stop) = self.already_ended() {
            return stop;
        }
        self.pass_here();
        let next = self.position() + 1;
        self.system.machine.debug.request_pause_at(next);
        let mut watched = None;
        loop {
            match self.system.run(self.budget(u64::MAX)) {
                RunResult::Debugger(DebuggerStop::Pause) => break,
                RunResult::Debugger(DebuggerStop::Watchpoint(hit)) => watched = Some(hit),
                RunResult::Debugger(DebuggerStop::Breakpoint) => self.pass_here(),
                other => match self.ending(&other) {
                    Some(ending) => return self.ended(ending),
                    None => continue,
                },
            }
        }
        self.note_thread();
        self.history.record_if_due(&self.system);
        match watched.and_then(|hit| self.points.watch_for(&hit).cloned()) {
            Some(watch) => self.here(|thread| Stop::Watchpoint { thread, address: watch.address, kind: watch.kind }),
            None => self.here(|thread| Stop::Stepped { thread }),
        }
    }

    /// Run until a breakpoint or watchpoint, the end, or `interrupted`
    /// says to stop (asked every [`SLICE`] instructions, with the system
    /// as it is then: a caller may print its console output meanwhile).
    pub fn resume(&mut self, mut interrupted: impl FnMut(&System) -> bool) -> Stop {
        if let Some(stop) = self.already_ended() {
            return stop;
        }
        self.points.arm(&mut self.system.machine.debug);
        self.pass_here();
        loop {
            let position = self.position();
            let slice = SLICE.min(self.history.next_due().saturating_sub(position).max(1));
            let result = self.system.run(self.budget(slice));
            match result {
                RunResult::Debugger(DebuggerStop::Breakpoint) => match self.points.breakpoint_hit(&self.system) {
                    Some(breakpoint) => {
                        return self.here(|thread| Stop::Breakpoint { thread, address: breakpoint.address });
                    }
                    // Another program's instruction at that address.
                    None => self.pass_here(),
                },
                RunResult::Debugger(DebuggerStop::Watchpoint(hit)) => {
                    if let Some(stop) = self.settle() {
                        return stop;
                    }
                    if let Some(watch) = self.points.watch_for(&hit).cloned() {
                        return self.here(|thread| Stop::Watchpoint {
                            thread,
                            address: watch.address,
                            kind: watch.kind,
                        });
                    }
                    self.pass_here();
                }
                RunResult::Limit | RunResult::Event | RunResult::Debugger(DebuggerStop::Pause) => {
                    if let Some(ending) = self.ending(&result) {
                        return self.ended(ending);
                    }
                    self.history.record_if_due(&self.system);
                    if interrupted(&self.system) {
                        if let Some(stop) = self.settle() {
                            return stop;
                        }
                        return self.here(|thread| Stop::Interrupted { thread });
                    }
                }
                other => return self.ended(self.ending(&other).unwrap_or(Ending::CycleLimit)),
            }
        }
    }

    /// Go to position `target` (forwards or backwards), with the hooks off
    /// on the way: a step there, or the end if the run ends first.
    pub fn seek(&mut self, target: u64) -> Stop {
        let target = target.max(self.start());
        match self.go_to(target) {
            Some(stop) => stop,
            None => self.here(|thread| Stop::Stepped { thread }),
        }
    }

    /// Go to position `target` of the history (or as close as the run gets),
    /// with the hooks off on the way.
    fn go_to(&mut self, target: u64) -> Option<Stop> {
        if let Some(checkpoint) = self.history.at_or_before(target) {
            let checkpoint = checkpoint.clone();
            self.system.restore(&checkpoint);
        }
        Points::default().arm(&mut self.system.machine.debug);
        self.system.machine.debug.request_pause_at(target.max(self.position()));
        let mut outcome = None;
        loop {
            let result = self.system.run(self.budget(SLICE));
            if result == RunResult::Debugger(DebuggerStop::Pause) {
                self.note_thread();
                break;
            }
            if let Some(ending) = self.ending(&result) {
                outcome = Some(self.ended(ending));
                break;
            }
            self.history.record_if_due(&self.system);
        }
        self.points.arm(&mut self.system.machine.debug);
        outcome
    }

    /// Back one instruction: to the moment before the last instruction
    /// executed, whichever thread ran it.
    pub fn reverse_step(&mut self) -> Stop {
        let position = self.position();
        if position <= self.start() {
            return self.here(|thread| Stop::HistoryStart { thread });
        }
        match self.go_to(position - 1) {
            Some(stop) => stop,
            None => self.here(|thread| Stop::Stepped { thread }),
        }
    }

    /// Back to the last breakpoint or watchpoint hit before now (a watched
    /// access stops just before the instruction that made it), or to the
    /// start of the history.
    pub fn reverse_resume(&mut self) -> Stop {
        let present = self.position();
        let mut end = present;
        while let Some(checkpoint) = self.history.before(end).cloned() {
            let hits = self.hits_between(&checkpoint, end);
            if let Some(hit) = hits.last().copied() {
                if let Some(stop) = self.go_to(hit.position) {
                    return stop;
                }
                return self.here(|thread| match hit.watch {
                    Some((address, kind)) => Stop::Watchpoint { thread, address, kind },
                    None => Stop::Breakpoint { thread, address: hit.address },
                });
            }
            end = checkpoint.attempts();
        }
        let start = self.start();
        match self.go_to(start) {
            Some(stop) => stop,
            None => self.here(|thread| Stop::HistoryStart { thread }),
        }
    }

    /// Replay from `checkpoint` to position `end` with the hooks set: the
    /// hits on the way, in order.
    fn hits_between(&mut self, checkpoint: &crate::SystemSnapshot, end: u64) -> Vec<Hit> {
        self.system.restore(checkpoint);
        self.system.machine.debug.request_pause_at(end);
        let mut hits = Vec::new();
        loop {
            match self.system.run(self.budget(SLICE)) {
                RunResult::Debugger(DebuggerStop::Pause) => break,
                RunResult::Debugger(DebuggerStop::Breakpoint) => {
                    if let Some(breakpoint) = self.points.breakpoint_hit(&self.system) {
                        let position = self.position();
                        hits.push(Hit { position, address: breakpoint.address, watch: None });
                    }
                    self.pass_here();
                }
                RunResult::Debugger(DebuggerStop::Watchpoint(hit)) => {
                    // Just before the instruction that made the access.
                    let before = self.position().saturating_sub(1);
                    if let Some(watch) = self.points.watch_for(&hit) {
                        let watch = Some((watch.address, watch.kind));
                        hits.push(Hit { position: before, address: hit.linear, watch });
                    }
                }
                RunResult::Limit | RunResult::Event if self.system.machine().cycles < self.until_cycle => {}
                _ => break,
            }
        }
        self.system.machine.debug.forget_requests();
        hits
    }

    /// Set a breakpoint at `address` as thread `thread` sees it.
    pub fn add_breakpoint(&mut self, thread: ThreadId, address: u32) -> Result<(), PointError> {
        let directory = self.directory_of(thread);
        self.points.add_breakpoint(&self.system, directory, address)?;
        self.points.arm(&mut self.system.machine.debug);
        Ok(())
    }

    pub fn remove_breakpoint(&mut self, address: u32) -> bool {
        let removed = self.points.remove_breakpoint(address);
        self.points.arm(&mut self.system.machine.debug);
        removed
    }

    /// Watch `length` bytes at `address` as thread `thread` sees it.
    pub fn add_watch(
        &mut self,
        thread: ThreadId,
        address: u32,
        length: u32,
        kind: WatchKind,
    ) -> Result<(), PointError> {
        let directory = self.directory_of(thread);
        self.points.add_watch(&self.system, directory, address, length, kind)?;
        self.points.arm(&mut self.system.machine.debug);
        Ok(())
    }

    pub fn remove_watch(&mut self, address: u32, length: u32, kind: WatchKind) -> bool {
        let removed = self.points.remove_watch(address, length, kind);
        self.points.arm(&mut self.system.machine.debug);
        removed
    }

    /// The system was changed at this position: the recorded future is void.
    fn changed_here(&mut self) {
        let position = self.position();
        self.history.forget_from(position);
        self.history.record(&self.system);
    }
}

/// A breakpoint or watchpoint hit found while replaying.
#[derive(Clone, Copy, Debug)]
struct Hit {
    position: u64,
    address: u32,
    watch: Option<(u32, WatchKind)>,
}

#[cfg(test)]
mod tests;
