//! One explorer session: a system booted from a scenario (or the user's
//! program), stepped forwards and backwards, and the history the views draw
//! from.
//!
//! Time travel is snapshot + deterministic replay: a checkpoint is taken every
//! `CHECKPOINT_INTERVAL` user instructions (memory pages are shared, so it is
//! cheap); going back restores the last checkpoint before the target and runs
//! forward to it. Console input typed by the user is recorded with its
//! position and fed again on replay, so replay reaches exactly the same state.

use crate::timeline::{Timeline, TimelineMark};
use crate::view::{CpuChoice, EventView, ProgramErrorView, ProgramView};
use sim::{Budget, EventFilter, LoggedEvent, Module, RunResult, Source, System, SystemConfig, SystemSnapshot};
use std::collections::VecDeque;

/// User instructions between two checkpoints.
const CHECKPOINT_INTERVAL: u64 = 20_000;
/// While replaying towards an earlier position, a short-lived checkpoint is
/// kept every this many instructions, so that the next step back (usually
/// to just before the last) replays at most this far.
const FINE_INTERVAL: u64 = 1_000;
/// Short-lived checkpoints are taken only this many intervals before the target.
const FINE_NEAR_TARGET: u64 = 8;
/// At most this many short-lived checkpoints (the oldest go first).
const MAX_FINE_CHECKPOINTS: usize = 32;
/// At most this many checkpoints (besides boot); beyond, every other one goes.
const MAX_CHECKPOINTS: usize = 96;
/// Machine events kept for the views (TLB marks, the log); kernel events are all kept.
const MACHINE_EVENTS_KEPT: usize = 4096;

/// What to boot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    /// A built-in scenario; its programs are the editable sources.
    pub scenario: String,
    pub cpu: CpuChoice,
    pub small_spaces: bool,
}

/// Where to stop while running.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Breakpoint {
    /// Before the instruction at this user address executes.
    Address(u32),
    /// At the next kernel event of `kind` (e.g. "unmap", "ipc", "tlb-flush"),
    /// optionally naming a thread or a frame.
    Event { kind: String, thread: Option<u32>, frame: Option<u32> },
}

impl Breakpoint {
    pub fn describe(&self) -> String {
        match self {
            Breakpoint::Address(address) => format!("instruction at {address:#010x}"),
            Breakpoint::Event { kind, thread, frame } => {
                let mut text = format!("next {kind}");
                if let Some(thread) = thread {
                    text.push_str(&format!(" of thread {thread:#010x}"));
                }
                if let Some(frame) = frame {
                    text.push_str(&format!(" of frame {frame:#x}"));
                }
                text
            }
        }
    }

    fn matches(&self, event: &EventView) -> bool {
        match self {
            Breakpoint::Address(_) => false,
            Breakpoint::Event { kind, thread, frame } => {
                event.kind == kind.as_str()
                    && thread.is_none_or(|thread| event.threads.contains(&thread))
                    && frame.is_none_or(|frame| event.frame == Some(frame & !0xFFF))
            }
        }
    }
}

#[derive(Clone, Debug)]
struct Checkpoint {
    snapshot: SystemSnapshot,
    statistics: Statistics,
    timeline: TimelineMark,
}

/// Running sums for the costs view.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Statistics {
    pub ipc_cycles: u64,
    pub ipc_count: u64,
    pub open_ipc_entry: Option<u64>,
    pub tlb_misses: u64,
}

/// Where a seek under way is going.
#[derive(Clone, Copy, Debug)]
struct Seek {
    position: u64,
    /// Then on to just after this event.
    event: Option<u64>,
    /// Going back (from a checkpoint): keep short-lived checkpoints near the target.
    replaying: bool,
}

/// A session.
#[derive(Debug)]
pub struct Session {
    pub(crate) config: SessionConfig,
    pub(crate) programs: Vec<ProgramView>,
    /// A program the user loaded from disk (it replaces the scenario's root task).
    pub(crate) loaded: Option<(String, Vec<u8>)>,
    pub(crate) errors: Vec<ProgramErrorView>,
    pub(crate) system: System,
    boot: Option<Checkpoint>,
    checkpoints: Vec<Checkpoint>,
    /// Short-lived checkpoints taken while replaying (see [`FINE_INTERVAL`]).
    fine_checkpoints: std::collections::VecDeque<Checkpoint>,
    /// Kernel and console events since boot.
    pub(crate) history: Vec<EventView>,
    /// The latest machine events.
    pub(crate) machine_events: VecDeque<EventView>,
    /// Machine events of the last step (for marking the TLB view).
    pub(crate) last_step: Vec<EventView>,
    pub(crate) timeline: Timeline,
    seen: u64,
    pub(crate) furthest: u64,
    pub(crate) breakpoints: Vec<(u32, Breakpoint)>,
    next_breakpoint: u32,
    pub(crate) stop: String,
    pub(crate) statistics: Statistics,
    /// A seek under way (see [`Session::begin_seek`]).
    seeking: Option<Seek>,
    /// Console input with the position it was typed at.
    inputs: Vec<(u64, Vec<u8>)>,
}

fn event_view(entry: &LoggedEvent) -> EventView {
    let (threads, frame) = match &entry.source {
        Source::Kernel(event) => {
            let threads = event.threads().iter().flatten().map(|id| id.raw()).collect();
            let frame = match *event {
                sim::KernelEvent::Map { frame, .. } | sim::KernelEvent::Unmap { frame, .. } => Some(frame & !0xFFF),
                _ => None,
            };
            (threads, frame)
        }
        Source::Machine(sim::MachineEvent::TlbFill { physical, .. }) => (Vec::new(), Some(physical & !0xFFF)),
        _ => (Vec::new(), None),
    };
    EventView {
        index: entry.sequence,
        cycle: entry.cycle,
        instruction: entry.instruction,
        source: entry.origin(),
        kind: entry.kind(),
        text: entry.describe(),
        threads,
        frame,
    }
}

impl Session {
    /// Boot a scenario.
    pub fn new(config: SessionConfig) -> Result<Self, String> {
        let scenario = sim::scenarios::find(&config.scenario).ok_or_else(|| {
            format!("no scenario `{}`; the scenarios are: {}", config.scenario, sim::scenarios::names())
        })?;
        let programs = scenario
            .programs
            .iter()
            .map(|program| ProgramView { file: program.file.to_string(), source: program.source.to_string() })
            .collect();
        let mut session = Self {
            system: System::new(SystemConfig::new(config.cpu.model())),
            config,
            programs,
            loaded: None,
            errors: Vec::new(),
            boot: None,
            checkpoints: Vec::new(),
            fine_checkpoints: std::collections::VecDeque::new(),
            history: Vec::new(),
            machine_events: VecDeque::new(),
            last_step: Vec::new(),
            timeline: Timeline::default(),
            seen: 0,
            furthest: 0,
            breakpoints: Vec::new(),
            next_breakpoint: 1,
            stop: String::new(),
            statistics: Statistics::default(),
            seeking: None,
            inputs: Vec::new(),
        };
        session.restart();
        Ok(session)
    }

    /// The modules to boot: sigma0 and the programs (assembled), or the loaded ELF.
    fn modules(&mut self) -> Option<Vec<Module>> {
        let sigma0 = match sim::scenarios::sigma0() {
            Ok(module) => module,
            Err(error) => {
                self.errors = vec![ProgramErrorView {
                    file: "sigma0.asm".into(),
                    line: 0,
                    column: 0,
                    message: error,
                    hint: None,
                }];
                return None;
            }
        };
        if let Some((name, elf)) = &self.loaded {
            return Some(vec![sigma0, Module::new(name.clone(), elf.clone())]);
        }
        let mut modules = vec![sigma0];
        let mut errors = Vec::new();
        for program in &self.programs {
            match sim::inspect::assemble_detailed(&program.file, &program.source) {
                Ok(elf) => modules.push(Module::new(program.file.trim_end_matches(".asm"), elf)),
                Err(list) => errors.extend(list.into_iter().map(|error| ProgramErrorView {
                    file: error.file,
                    line: error.line,
                    column: error.column,
                    message: error.message,
                    hint: error.hint,
                })),
            }
        }
        self.errors = errors;
        self.errors.is_empty().then_some(modules)
    }

    /// Boot again from scratch (after an edit, a new program, a reset).
    pub fn restart(&mut self) {
        let mut config = SystemConfig::new(self.config.cpu.model());
        config.small_spaces = self.config.small_spaces;
        config.machine_events = EventFilter::CHANGES;
        self.system = System::new(config);
        self.system.log_mut().capacity = 1 << 16;
        self.history.clear();
        self.machine_events.clear();
        self.last_step.clear();
        self.timeline = Timeline::default();
        self.seen = 0;
        self.furthest = 0;
        self.stop.clear();
        self.statistics = Statistics::default();
        self.checkpoints.clear();
        self.fine_checkpoints.clear();
        self.boot = None;
        self.inputs.clear();
        self.seeking = None;
        let Some(modules) = self.modules() else {
            self.stop = "the programs have errors: fix them and assemble again".into();
            return;
        };
        if let Err(error) = self.system.boot(&modules) {
            self.errors = vec![ProgramErrorView {
                file: modules.last().map_or(String::new(), |module| module.name.clone()),
                line: 0,
                column: 0,
                message: error.to_string(),
                hint: None,
            }];
            self.stop = "the programs cannot be booted".into();
            return;
        }
        self.take_events();
        self.boot = Some(self.checkpoint());
    }

    fn checkpoint(&self) -> Checkpoint {
        Checkpoint { snapshot: self.system.snapshot(), statistics: self.statistics, timeline: self.timeline.mark() }
    }

    pub fn booted(&self) -> bool {
        self.boot.is_some()
    }

    /// Move new log entries into the history, the timeline and the statistics.
    fn take_events(&mut self) {
        let mut new_machine = Vec::new();
        let entries: Vec<LoggedEvent> = self.system.log().since(self.seen).cloned().collect();
        self.seen = self.system.log().next_sequence();
        // Only the latest machine events are kept, so only they are described
        // (describing every one was a third of the cost of a replay) — unless
        // a breakpoint may be waiting for one of the others.
        let machine_count = entries.iter().filter(|entry| matches!(entry.source, Source::Machine(_))).count();
        let watched = self.breakpoints.iter().any(|(_, breakpoint)| matches!(breakpoint, Breakpoint::Event { .. }));
        let mut skip_machine = if watched { 0 } else { machine_count.saturating_sub(MACHINE_EVENTS_KEPT) };
        for entry in &entries {
            match &entry.source {
                Source::Kernel(event) => {
                    self.timeline.add(event, entry.cycle, entry.sequence, entry.instruction);
                    self.history.push(event_view(entry));
                }
                Source::Console(_) => self.history.push(event_view(entry)),
                Source::Machine(event) => {
                    match *event {
                        sim::MachineEvent::KernelEntry { vector: 0x30, .. } => {
                            self.statistics.open_ipc_entry = Some(entry.cycle);
                        }
                        sim::MachineEvent::KernelExit { cycles, .. } => {
                            if let Some(started) = self.statistics.open_ipc_entry.take() {
                                self.statistics.ipc_cycles += entry.cycle + cycles as u64 - started;
                                self.statistics.ipc_count += 1;
                            }
                        }
                        sim::MachineEvent::TlbMiss { .. } => self.statistics.tlb_misses += 1,
                        _ => {}
                    }
                    if skip_machine > 0 {
                        skip_machine -= 1;
                    } else {
                        new_machine.push(event_view(entry));
                    }
                }
            }
        }
        // Keep the system's own log short: everything is here now.
        let seen = self.seen;
        self.system.log_mut().forget_before(seen);
        for view in &new_machine {
            if self.machine_events.len() >= MACHINE_EVENTS_KEPT {
                self.machine_events.pop_front();
            }
            self.machine_events.push_back(view.clone());
        }
        self.last_step = new_machine;
    }

    /// The position: user instructions retired.
    pub fn position(&self) -> u64 {
        self.system.machine().instructions
    }

    fn note_progress(&mut self) {
        let position = self.position();
        self.furthest = self.furthest.max(position);
        let due = self
            .checkpoints
            .last()
            .map_or(CHECKPOINT_INTERVAL, |last| last.snapshot.instructions() + CHECKPOINT_INTERVAL);
        if position >= due {
            self.checkpoints.push(self.checkpoint());
            if self.checkpoints.len() > MAX_CHECKPOINTS {
                let kept: Vec<Checkpoint> = self
                    .checkpoints
                    .drain(..)
                    .enumerate()
                    .filter(|(index, _)| index % 2 == 1)
                    .map(|(_, checkpoint)| checkpoint)
                    .collect();
                self.checkpoints = kept;
            }
        }
    }

    /// Run one budget; returns the result and records what happened.
    fn advance(&mut self, budget: Budget) -> RunResult {
        // Input typed at a position still ahead is fed when it is reached.
        let position = self.position();
        let pending: Vec<Vec<u8>> =
            self.inputs.iter().filter(|(at, _)| *at == position).map(|(_, bytes)| bytes.clone()).collect();
        let already_fed = self.system.pending_input() > 0;
        if !already_fed {
            for bytes in pending {
                self.system.feed_input(&bytes);
            }
        }
        let next_input = self.inputs.iter().map(|(at, _)| *at).filter(|at| *at > position).min();
        let budget = match next_input {
            Some(at) => Budget { instructions: budget.instructions.min(at - position), ..budget },
            None => budget,
        };
        let result = self.system.run(budget);
        self.take_events();
        self.note_progress();
        result
    }

    fn describe(result: &RunResult) -> String {
        match result {
            RunResult::Limit => String::new(),
            RunResult::Event | RunResult::Debugger(_) => String::new(),
            RunResult::Exited { value: 0x10 } => "the program ended: success (verdict 0x10)".into(),
            RunResult::Exited { value: 0x11 } => "the program ended: failure (verdict 0x11)".into(),
            RunResult::Exited { value } => format!("the program ended with verdict {value:#x}"),
            RunResult::Stopped(reason) => format!("the kernel stopped: {reason:?}"),
            RunResult::Failed(message) => format!("the machine stopped: {message}"),
            RunResult::Dead => "every thread waits for something that cannot happen".into(),
            RunResult::WaitingForInput => "a thread waits for console input: type in the console".into(),
        }
    }

    fn finished(result: &RunResult) -> bool {
        !matches!(result, RunResult::Limit | RunResult::Event | RunResult::Debugger(_))
    }

    /// Execute one user instruction (and the kernel entry it causes).
    pub fn step_instruction(&mut self) {
        self.finish_seek();
        let result = self.advance(Budget::instructions(1));
        self.stop = Self::describe(&result);
    }

    /// Run to the next kernel event.
    pub fn step_event(&mut self) {
        self.finish_seek();
        let result = self.advance(Budget { stop_at_kernel_event: true, ..Budget::instructions(50_000_000) });
        self.stop = Self::describe(&result);
    }

    /// Run until a message is delivered (a whole IPC, from send to delivery).
    pub fn step_ipc(&mut self) {
        self.finish_seek();
        for _ in 0..100_000 {
            let before = self.history.len();
            let result = self.advance(Budget { stop_at_kernel_event: true, ..Budget::instructions(50_000_000) });
            if self.history[before..].iter().any(|event| event.kind == "ipc") {
                self.stop = "a message was delivered".into();
                return;
            }
            if Self::finished(&result) {
                self.stop = Self::describe(&result);
                return;
            }
        }
    }

    /// The addresses of the address breakpoints.
    pub(crate) fn address_breakpoints(&self) -> Vec<u32> {
        self.breakpoints
            .iter()
            .filter_map(|(_, breakpoint)| match breakpoint {
                Breakpoint::Address(address) => Some(*address),
                Breakpoint::Event { .. } => None,
            })
            .collect()
    }

    /// Run at most `instructions` user instructions, stopping at breakpoints.
    /// Returns whether the run can go on (no breakpoint hit, not finished).
    pub fn run_slice(&mut self, instructions: u64) -> bool {
        self.finish_seek();
        let addresses = self.address_breakpoints();
        let events = self.breakpoints.iter().any(|(_, breakpoint)| matches!(breakpoint, Breakpoint::Event { .. }));
        let end = self.position().saturating_add(instructions);
        while self.position() < end {
            let before = self.history.len();
            let budget = if addresses.is_empty() {
                Budget { stop_at_kernel_event: events, ..Budget::instructions(end - self.position()) }
            } else {
                Budget::instructions(1)
            };
            let result = self.advance(budget);
            if Self::finished(&result) {
                self.stop = Self::describe(&result);
                return false;
            }
            if let Some(hit) = self.breakpoint_hit(before) {
                self.stop = format!("breakpoint: {hit}");
                return false;
            }
            if !addresses.is_empty() && addresses.contains(&self.system.machine().cpu.eip) {
                self.stop = format!("breakpoint: instruction at {:#010x}", self.system.machine().cpu.eip);
                return false;
            }
        }
        self.stop.clear();
        true
    }

    fn breakpoint_hit(&self, from: usize) -> Option<String> {
        let new = self.history[from..].iter().chain(self.last_step.iter());
        for event in new {
            if let Some((_, breakpoint)) = self.breakpoints.iter().find(|(_, breakpoint)| breakpoint.matches(event)) {
                return Some(format!("{} ({})", breakpoint.describe(), event.text));
            }
        }
        None
    }

    /// Go to `position` (user instructions retired), forwards or backwards.
    pub fn seek(&mut self, position: u64) {
        self.begin_seek(position, None);
        self.finish_seek();
    }

    /// Go to the moment just after event `index` happened (it happened
    /// while the machine stood at `instruction`): seek there, then run on to
    /// the kernel entry that emitted it.
    pub fn seek_event(&mut self, index: u64, instruction: u64) {
        self.begin_seek(instruction, Some(index));
        self.finish_seek();
    }

    /// Start going to `position` (and then on to just after event `event`,
    /// if given) without getting there yet: going back restores the nearest
    /// checkpoint at once; the replay from there is done by
    /// [`Session::continue_seek`], in slices the caller sizes — so that a
    /// long way back never blocks the page for more than a frame. A seek
    /// begun while another is under way replaces it.
    pub fn begin_seek(&mut self, position: u64, event: Option<u64>) {
        let replaying = position < self.position();
        if replaying {
            let nearest = self
                .checkpoints
                .iter()
                .chain(&self.fine_checkpoints)
                .filter(|checkpoint| checkpoint.snapshot.instructions() <= position)
                .max_by_key(|checkpoint| checkpoint.snapshot.instructions());
            if let Some(checkpoint) = nearest.or(self.boot.as_ref()).cloned() {
                self.system.restore(&checkpoint.snapshot);
                self.statistics = checkpoint.statistics;
                self.seen = checkpoint.snapshot.next_sequence();
                let seen = self.seen;
                self.history.retain(|event| event.index < seen);
                self.timeline.rewind(&checkpoint.timeline);
                self.machine_events.retain(|event| event.index < seen);
                self.last_step.clear();
            }
        }
        // A replay continues a replay: its short-lived checkpoints are still wanted.
        let replaying = replaying || self.seeking.as_ref().is_some_and(|seek| seek.replaying);
        self.seeking = Some(Seek { position, event, replaying });
    }

    /// Where a seek under way is going (user instructions retired).
    pub fn seeking(&self) -> Option<u64> {
        self.seeking.as_ref().map(|seek| seek.position)
    }

    /// Go on with the seek under way for about `instructions` user
    /// instructions (a slice ends at a short-lived checkpoint). Returns
    /// whether it has arrived (or no seek is under way).
    pub fn continue_seek(&mut self, instructions: u64) -> bool {
        let Some(Seek { position, event, replaying }) = self.seeking else { return true };
        let mut done = 0u64;
        while self.position() < position {
            if done >= instructions {
                return false;
            }
            let mut budget = (position - self.position()).min(instructions.saturating_sub(done).max(1));
            if replaying && budget > FINE_INTERVAL {
                budget = FINE_INTERVAL - self.position() % FINE_INTERVAL;
            }
            let before = self.position();
            let result = self.advance(Budget::instructions(budget));
            done += (self.position() - before).max(1);
            if Self::finished(&result) {
                self.stop = Self::describe(&result);
                self.seeking = None;
                return true;
            }
            let here = self.position();
            // Only near the target: earlier ones would be pushed out unused
            // (and each costs a copy of the kernel's tables).
            let near = position - here.min(position) <= FINE_INTERVAL * FINE_NEAR_TARGET;
            if replaying && near && here < position && here.is_multiple_of(FINE_INTERVAL) {
                let known = self.fine_checkpoints.iter().any(|checkpoint| checkpoint.snapshot.instructions() == here);
                if !known {
                    if self.fine_checkpoints.len() == MAX_FINE_CHECKPOINTS {
                        self.fine_checkpoints.pop_front();
                    }
                    let checkpoint = self.checkpoint();
                    let at = self.fine_checkpoints.partition_point(|other| other.snapshot.instructions() < here);
                    self.fine_checkpoints.insert(at, checkpoint);
                }
            }
        }
        self.stop.clear();
        if let Some(index) = event {
            while self.seen <= index {
                let result = self.advance(Budget { stop_at_kernel_event: true, ..Budget::instructions(50_000_000) });
                if Self::finished(&result) {
                    self.stop = Self::describe(&result);
                    self.seeking = None;
                    return true;
                }
            }
            self.stop = format!("at event {index}");
        }
        self.seeking = None;
        true
    }

    /// Finish the seek under way at once.
    pub fn finish_seek(&mut self) {
        while !self.continue_seek(u64::MAX) {}
    }

    /// Back one instruction.
    pub fn reverse_step(&mut self) {
        self.finish_seek();
        let position = self.position();
        if position > 0 {
            self.seek(position - 1);
        }
    }

    /// Back to the kernel event before the current position.
    pub fn reverse_event(&mut self) {
        self.finish_seek();
        let position = self.position();
        let target = self
            .history
            .iter()
            .rev()
            .filter(|event| event.source == "kernel")
            .map(|event| event.instruction)
            .find(|at| *at < position);
        self.seek(target.unwrap_or(0));
    }

    /// Type into the kernel-debugger console.
    pub fn type_input(&mut self, bytes: &[u8]) {
        self.finish_seek();
        let position = self.position();
        // Input typed here replaces whatever was typed at later positions
        // before going back; the checkpoints beyond here saw that other
        // future, so they go too.
        self.inputs.retain(|(at, _)| *at < position);
        self.checkpoints.retain(|checkpoint| checkpoint.snapshot.instructions() <= position);
        self.fine_checkpoints.retain(|checkpoint| checkpoint.snapshot.instructions() <= position);
        self.inputs.push((position, bytes.to_vec()));
        self.system.feed_input(bytes);
        // A thread blocked in inchar takes it at the next timer tick.
    }

    pub fn add_breakpoint(&mut self, breakpoint: Breakpoint) -> u32 {
        let id = self.next_breakpoint;
        self.next_breakpoint += 1;
        self.breakpoints.push((id, breakpoint));
        id
    }

    pub fn remove_breakpoint(&mut self, id: u32) {
        self.breakpoints.retain(|(existing, _)| *existing != id);
    }

    /// Toggle an instruction breakpoint.
    pub fn toggle_address_breakpoint(&mut self, address: u32) {
        if let Some(position) =
            self.breakpoints.iter().position(|(_, breakpoint)| *breakpoint == Breakpoint::Address(address))
        {
            self.breakpoints.remove(position);
        } else {
            self.add_breakpoint(Breakpoint::Address(address));
        }
    }

    /// Replace a program's source and boot again.
    pub fn set_program(&mut self, file: &str, source: &str) {
        if let Some(program) = self.programs.iter_mut().find(|program| program.file == file) {
            program.source = source.to_string();
        }
        // Assemble first: with errors, the edit is kept (and shown with its
        // errors) and the machine goes on with the programs it booted.
        if self.modules().is_none() {
            self.stop = "the edited program has errors: the machine still runs the one it booted".into();
            return;
        }
        self.loaded = None;
        self.restart();
    }

    /// Boot an ELF32 program from the user's disk as the root task.
    pub fn load_elf(&mut self, name: &str, bytes: Vec<u8>) {
        self.loaded = Some((name.to_string(), bytes));
        self.restart();
    }

    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    pub fn system(&self) -> &System {
        &self.system
    }
}
