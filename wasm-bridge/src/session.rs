//! One explorer session: a system booted from a scenario (or the user's
//! program), stepped forwards and backwards, and the history the views draw
//! from.
//!
//! Time travel is snapshot + deterministic replay: a checkpoint is taken every
//! `CHECKPOINT_INTERVAL` user instructions (memory pages are shared, so it is
//! cheap); going back restores the last checkpoint before the target and runs
//! forward to it. Console input typed by the user is recorded with its
//! position and fed again on replay, so replay reaches exactly the same state.

use crate::breakpoints::Breakpoint;
use crate::timeline::{Timeline, TimelineMark};
use crate::view::{CpuChoice, EventView, ProgramErrorView, ProgramView};
use sim::{Budget, EventFilter, LoggedEvent, Module, RunResult, Source, System, SystemConfig, SystemSnapshot};
use std::collections::VecDeque;

mod travel;

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

#[derive(Clone, Debug)]
struct Checkpoint {
    snapshot: SystemSnapshot,
    timeline: TimelineMark,
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

/// A lesson's go under way: its target and how many more times it must happen.
#[derive(Clone, Debug)]
pub(crate) struct Watch {
    pub target: sim::lesson::ResolvedTarget,
    pub remaining: u32,
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
    /// What each kernel entry that delivered a message cost, part by part
    /// (taken from the log with its events), oldest first.
    pub(crate) entry_costs: Vec<sim::entry_costs::CostRecord>,
    /// How many times the machine was booted: an event index names an
    /// event of one boot only.
    generation: u64,
    /// The latest machine events.
    /// The latest machine events, as logged (a view is made of one only
    /// when shown: most are pushed out unseen at full speed).
    pub(crate) machine_events: VecDeque<LoggedEvent>,
    /// Machine events of the last step (for marking the TLB view).
    pub(crate) last_step: Vec<EventView>,
    pub(crate) timeline: Timeline,
    seen: u64,
    pub(crate) furthest: u64,
    pub(crate) breakpoints: Vec<(u32, Breakpoint)>,
    pub(crate) next_breakpoint: u32,
    pub(crate) stop: String,
    /// A seek under way (see [`Session::begin_seek`]).
    seeking: Option<Seek>,
    /// Console input with the position it was typed at.
    inputs: Vec<(u64, Vec<u8>)>,
    /// The lesson being followed, if any.
    pub(crate) lesson: Option<crate::lesson::LessonRun>,
    /// A lesson's go under way.
    pub(crate) watch: Option<Watch>,
    /// Which source line made which instruction of the programs, by address.
    pub(crate) source_lines: crate::source::SourceMap,
    /// The event the last stop was for (a breakpoint's, the delivered
    /// message of `i`, the first event of `e`'s kernel entry, a clicked one).
    stop_event: Option<u64>,
}

pub(crate) fn event_view(entry: &LoggedEvent) -> EventView {
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
    // A kernel or machine event's text is written when a view shows it
    // (`EventView::described`).
    let (text, pending) = match &entry.source {
        Source::Console(_) => (entry.describe(), None),
        _ => (String::new(), Some(entry.clone())),
    };
    EventView {
        index: entry.sequence,
        cycle: entry.cycle,
        instruction: entry.instruction,
        source: entry.origin(),
        kind: entry.kind(),
        text,
        detail: String::new(),
        threads,
        frame,
        pending,
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
            entry_costs: Vec::new(),
            generation: 0,
            machine_events: VecDeque::new(),
            last_step: Vec::new(),
            timeline: Timeline::default(),
            seen: 0,
            furthest: 0,
            breakpoints: Vec::new(),
            next_breakpoint: 1,
            stop: String::new(),
            seeking: None,
            inputs: Vec::new(),
            lesson: None,
            watch: None,
            stop_event: None,
            source_lines: crate::source::SourceMap::default(),
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
            self.source_lines = crate::source::SourceMap::default();
            return Some(vec![sigma0, Module::new(name.clone(), elf.clone())]);
        }
        let mut modules = vec![sigma0];
        let mut errors = Vec::new();
        let mut lines = Vec::new();
        // `.inc` files are not booted: the others include them.
        let sources: Vec<(&str, &str)> =
            self.programs.iter().map(|program| (program.file.as_str(), program.source.as_str())).collect();
        for program in self.programs.iter().filter(|program| !program.file.ends_with(".inc")) {
            match sim::inspect::assemble_with_lines(&program.file, &sources) {
                Ok((elf, made)) => {
                    modules.push(Module::new(program.file.trim_end_matches(".asm"), elf));
                    lines.extend(made);
                }
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
        if self.errors.is_empty() {
            // Only a whole new set: with errors, the running machine keeps its programs.
            self.source_lines = crate::source::SourceMap::new(lines);
        }
        self.errors.is_empty().then_some(modules)
    }

    /// Boot again from scratch (after an edit, a new program, a reset).
    pub fn restart(&mut self) {
        let mut config = SystemConfig::new(self.config.cpu.model());
        config.small_spaces = self.config.small_spaces;
        config.machine_events = EventFilter::CHANGES;
        // The run stops at the kernel debugger and the user continues it.
        config.headless = false;
        self.system = System::new(config);
        self.system.log_mut().capacity = 1 << 16;
        self.system.log_mut().keep_entry_costs = sim::entry_costs::Keep::Messages;
        self.history.clear();
        self.entry_costs.clear();
        // Unique across sessions too: a session replaced by another (a new
        // scenario) must not reuse the number.
        static BOOTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        self.generation = BOOTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        self.machine_events.clear();
        self.last_step.clear();
        self.timeline = Timeline::default();
        self.seen = 0;
        self.furthest = 0;
        self.stop.clear();
        self.checkpoints.clear();
        self.fine_checkpoints.clear();
        self.boot = None;
        self.inputs.clear();
        self.seeking = None;
        let Some(modules) = self.modules() else {
            self.stop = "the programs have errors: fix them and assemble again".into();
            return;
        };
        let booted = self.system.boot(&modules);
        self.system.set_thread_names(self.thread_names_for(&modules));
        if let Err(error) = booted {
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

    /// The names threads go by: the lesson's, or the defaults and the
    /// programs' `; threads:` lines.
    fn thread_names_for(&self, modules: &[Module]) -> sim::ThreadNames {
        if let Some(run) = &self.lesson {
            return run.prepared.names.clone();
        }
        let module_names: Vec<&str> = modules.iter().map(|module| module.name.as_str()).collect();
        let mut names = sim::ThreadNames::defaults(&module_names);
        let sources: Vec<&str> = self.programs.iter().map(|program| program.source.as_str()).collect();
        if self.loaded.is_none() {
            sim::scenarios::Directives::name_threads(&sources, &mut names);
        }
        names
    }

    /// Which boot the events are of (see `generation`).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    fn checkpoint(&self) -> Checkpoint {
        Checkpoint { snapshot: self.system.snapshot(), timeline: self.timeline.mark() }
    }

    pub fn booted(&self) -> bool {
        self.boot.is_some()
    }

    /// Move new log entries into the history and the timeline.
    fn take_events(&mut self) {
        let from = self.seen;
        self.seen = self.system.log().next_sequence();
        let entries = self.system.log_mut().take_since(from);
        // Only the latest machine events are kept, so only they are described
        // (describing every one was a third of the cost of a replay) — unless
        // a breakpoint may be waiting for one of the others.
        let machine_count = entries.iter().filter(|entry| matches!(entry.source, Source::Machine(_))).count();
        let watched = self.breakpoints.iter().any(|(_, breakpoint)| matches!(breakpoint, Breakpoint::Event { .. }));
        let mut skip_machine = if watched { 0 } else { machine_count.saturating_sub(MACHINE_EVENTS_KEPT) };
        let mut new_machine = Vec::with_capacity(machine_count - skip_machine);
        for entry in entries {
            if matches!(entry.source, Source::Machine(_)) {
                if skip_machine > 0 {
                    skip_machine -= 1;
                } else {
                    new_machine.push(entry);
                }
                continue;
            }
            if let Source::Kernel(event) = &entry.source {
                if let Some(watch) = self.watch.as_mut()
                    && watch.remaining > 0
                    && crate::lesson::matches(&watch.target, &entry)
                {
                    watch.remaining -= 1;
                }
                self.timeline.add(event, entry.cycle, entry.sequence, entry.instruction);
            }
            self.history.push(event_view(&entry));
        }
        // Each record's events were logged before `seen`: all are taken now.
        self.entry_costs.extend(self.system.log().entry_costs().records().copied());
        // Keep the system's own log short: everything is here now.
        let seen = self.seen;
        self.system.log_mut().forget_before(seen);
        for entry in new_machine {
            if self.machine_events.len() >= MACHINE_EVENTS_KEPT {
                self.machine_events.pop_front();
            }
            self.machine_events.push_back(entry);
        }
        self.mark_last_step();
    }

    /// What the last step did, for the views' marks: the machine events
    /// since the last user instruction began (it and the kernel entry it
    /// caused) — the same whether the machine got here by a step, a run or
    /// a seek.
    fn mark_last_step(&mut self) {
        let start = self.system.machine().last_instruction_cycle;
        let from = self.machine_events.partition_point(|event| event.cycle < start);
        self.last_step = self.machine_events.iter().skip(from).map(event_view).collect();
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
    pub(crate) fn advance(&mut self, budget: Budget) -> RunResult {
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

    fn describe(&self, result: &RunResult) -> String {
        match result {
            RunResult::Dead | RunResult::Stopped(sim::StopReason::NoThreads) => match self.removal() {
                Some(report) => format!("{report}; every other thread waits for something that cannot happen"),
                None => "every thread waits for something that cannot happen".into(),
            },
            RunResult::Limit => String::new(),
            RunResult::Event | RunResult::Debugger(_) => String::new(),
            RunResult::Exited { value: 0x10 } => "the program ended: success (verdict 0x10)".into(),
            RunResult::Exited { value: 0x11 } => "the program ended: failure (verdict 0x11)".into(),
            RunResult::Exited { value } => format!("the program ended with verdict {value:#x}"),
            RunResult::Stopped(reason) => format!("the kernel stopped: {reason:?}"),
            RunResult::Failed(message) => format!("the machine stopped: {message}"),
            RunResult::WaitingForInput => "a thread waits for console input: type in the console".into(),
        }
    }

    /// The kernel debugger's last report of a thread removed (or stopped)
    /// for an exception it had no handler for, in its words.
    fn removal(&self) -> Option<String> {
        let console = self.console();
        let line = console.lines().rev().find(|line| line.starts_with("--- unhandled exception"))?;
        Some(line.trim_start_matches("--- ").trim_end_matches(" ---").to_string())
    }

    fn finished(result: &RunResult) -> bool {
        !matches!(result, RunResult::Limit | RunResult::Event | RunResult::Debugger(_))
    }

    /// Execute one user instruction (and the kernel entry it causes).
    pub fn step_instruction(&mut self) {
        self.finish_seek();
        let result = self.advance(Budget::instructions(1));
        self.stop = match &result {
            RunResult::Debugger(sim::DebuggerStop::Watchpoint(hit)) => self.describe_watch_hit(hit),
            result => self.describe(result),
        };
        self.stop_event = None;
    }

    /// Run to the next kernel event.
    pub fn step_event(&mut self) {
        self.finish_seek();
        let before = self.history.len();
        let result = self.advance(Budget { stop_at_kernel_event: true, ..Budget::instructions(50_000_000) });
        self.stop = self.describe(&result);
        self.stop_event = self.history[before..].iter().find(|event| event.source == "kernel").map(|event| event.index);
    }

    /// Run until a message is delivered (a whole IPC, from send to delivery).
    pub fn step_ipc(&mut self) {
        self.finish_seek();
        for _ in 0..100_000 {
            let before = self.history.len();
            let result = self.advance(Budget { stop_at_kernel_event: true, ..Budget::instructions(50_000_000) });
            if let Some(message) = self.history[before..].iter().find(|event| event.kind == "ipc") {
                self.stop = "a message was delivered".into();
                self.stop_event = Some(message.index);
                return;
            }
            if Self::finished(&result) {
                self.stop = self.describe(&result);
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
                Breakpoint::Event { .. } | Breakpoint::Watch { .. } => None,
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
                Budget {
                    stop_at_kernel_event: events,
                    stop_in_kernel_debugger: true,
                    ..Budget::instructions(end - self.position())
                }
            } else {
                Budget::instructions(1)
            };
            let result = self.advance(budget);
            if Self::finished(&result) {
                self.stop = self.describe(&result);
                return false;
            }
            if let RunResult::Debugger(sim::DebuggerStop::Watchpoint(hit)) = &result {
                self.stop = self.describe_watch_hit(hit);
                self.stop_event = None;
                return false;
            }
            if let Some((hit, index)) = self.breakpoint_hit(before) {
                self.stop = format!("breakpoint: {hit}");
                self.stop_event = Some(index);
                return false;
            }
            // enter_kdebug (or an int3 breakpoint in the program) stops the
            // run like a breakpoint; running again continues the thread.
            if let Some(entered) = self.history[before..].iter().find(|event| event.kind == "kdebug") {
                self.stop = format!("in the kernel debugger ({}): r continues", entered.described());
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

    /// The breakpoint an event since history index `from` hit: its
    /// description and the event's index.
    fn breakpoint_hit(&self, from: usize) -> Option<(String, u64)> {
        let new = self.history[from..].iter().chain(self.last_step.iter());
        for event in new {
            if let Some((_, breakpoint)) = self.breakpoints.iter().find(|(_, breakpoint)| breakpoint.matches(event)) {
                let names = self.system.thread_names();
                let text = crate::views::named_text(&event.described(), names);
                return Some((format!("{} ({text})", breakpoint.describe(names)), event.index));
            }
        }
        None
    }

    /// The event the last stop was for, if it was for one.
    pub fn stop_event(&self) -> Option<u64> {
        self.stop_event.filter(|index| *index < self.seen)
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

    /// Boot again with another CPU or small spaces, keeping the programs
    /// (edited or loaded) and the breakpoints; a lesson comes back to its step.
    pub fn reconfigure(&mut self, cpu: CpuChoice, small_spaces: bool) {
        self.finish_seek();
        if self.lesson.is_some() {
            if small_spaces != self.config.small_spaces {
                // The lesson decides small spaces; leaving it keeps the machine honest.
                self.lesson = None;
            } else {
                self.lesson_choose_cpu(cpu);
                return;
            }
        }
        self.config.cpu = cpu;
        self.config.small_spaces = small_spaces;
        self.restart();
    }

    /// Boot again from scratch with the same programs and breakpoints (a
    /// lesson goes back to its introduction).
    pub fn reset(&mut self) {
        self.finish_seek();
        if self.lesson.is_some() {
            self.lesson_go_to(None, false);
        } else {
            self.restart();
        }
    }

    /// What is booted, when it is not a scenario as it ships: "Lesson:
    /// title", "Ping-pong (edited)", "hello.elf (loaded)".
    pub fn programs_label(&self) -> Option<String> {
        if let Some(run) = &self.lesson {
            return Some(format!("Lesson: {}", run.prepared.lesson.title));
        }
        if let Some((name, _)) = &self.loaded {
            return Some(format!("{name} (loaded)"));
        }
        if !self.programs_changed() {
            return None;
        }
        let title = sim::scenarios::find(&self.config.scenario).map_or("programs", |scenario| scenario.title);
        Some(format!("{title} (edited)"))
    }

    /// Whether the programs are not the scenario's own (edited, loaded, a lesson's).
    pub fn programs_changed(&self) -> bool {
        if self.loaded.is_some() || self.lesson.is_some() {
            return true;
        }
        let Some(scenario) = sim::scenarios::find(&self.config.scenario) else { return true };
        scenario.programs.len() != self.programs.len()
            || scenario
                .programs
                .iter()
                .zip(&self.programs)
                .any(|(original, program)| original.file != program.file || original.source != program.source)
    }

    /// Replace a program's source and boot again.
    pub fn set_program(&mut self, file: &str, source: &str) {
        if let Some(program) = self.programs.iter_mut().find(|program| program.file == file) {
            program.source = source.to_string();
        }
        if self.lesson.take().is_some() {
            // An edited program is not the lesson's any more: its checks would mislead.
            self.stop = "you edited the lesson's program: the lesson is closed; open it again to follow it".into();
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

    /// Boot an ELF32 program from the user's disk as the root task. A file
    /// that cannot boot (not an ELF file, another machine's, broken) is
    /// refused with the reason, and the running machine is kept.
    pub fn load_elf(&mut self, name: &str, bytes: Vec<u8>) -> Result<(), String> {
        self.finish_seek();
        let sigma0 = sim::scenarios::sigma0()?;
        let modules = [sigma0, Module::new(name, bytes.clone())];
        let mut trial = System::new(SystemConfig::new(self.config.cpu.model()));
        trial.boot(&modules).map_err(|error| {
            let reason = error.to_string();
            format!("{name} cannot be booted, so the machine goes on as it was: {reason}")
        })?;
        self.lesson = None;
        self.loaded = Some((name.to_string(), bytes));
        self.restart();
        Ok(())
    }

    /// The ELF loaded from disk, if one replaced the programs.
    pub fn loaded_elf(&self) -> Option<(&str, &[u8])> {
        self.loaded.as_ref().map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
    }

    /// Replace every program (a link carried them) and boot again.
    pub fn set_programs(&mut self, programs: Vec<ProgramView>) {
        self.lesson = None;
        self.loaded = None;
        self.programs = programs;
        self.restart();
    }

    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    pub fn system(&self) -> &System {
        &self.system
    }
}
