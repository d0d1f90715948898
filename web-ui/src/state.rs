//! The explorer's state: the session, and what the user has chosen to look
//! at. Everything the user can do is an [`Action`]; `Explorer::apply` is the
//! one place that changes anything.

use wasm_bridge::{
    Breakpoint, CpuChoice, EventQuery, LessonErrorView, LessonSource, MemorySpace, MemoryView, Session, SessionConfig,
};

/// How fast "run" goes: user instructions per animation frame.
pub const SPEEDS: [(u64, &str); 6] = [
    (1, "1 instruction per frame"),
    (10, "10 per frame"),
    (100, "100 per frame"),
    (1_000, "1,000 per frame"),
    (20_000, "20,000 per frame"),
    (0, "as fast as possible"),
];

/// The panels of the middle column.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MachineTab {
    Spaces,
    Tlb,
    Cpu,
    Costs,
    Memory,
}

/// The panels of the left column.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CodeTab {
    Code,
    Editor,
    Console,
}

/// Everything the user can do.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    StepInstruction,
    StepEvent,
    StepIpc,
    ReverseStep,
    ReverseEvent,
    Seek(u64),
    /// A message chosen on the timeline (its event index): the Costs view
    /// breaks it into parts.
    SelectMessage(u64),
    /// Go to just after an event (its index in the stream, its position).
    SeekEvent {
        index: u64,
        instruction: u64,
    },
    ToggleRun,
    /// One animation frame of running.
    Tick,
    Reset,
    SelectScenario(String),
    SelectCpu(CpuChoice),
    ToggleSmallSpaces,
    SetSpeed(usize),
    EditProgram {
        file: String,
        source: String,
    },
    LoadElf {
        name: String,
        bytes: Vec<u8>,
    },
    AddEventBreakpoint {
        kind: String,
        /// From (or of) this thread.
        thread: Option<u32>,
        /// To this thread (a message's, a mapping's destination).
        to: Option<u32>,
        frame: Option<u32>,
    },
    /// Open a built-in lesson by name.
    OpenLesson(String),
    /// Open a lesson file (from disk or a link).
    OpenLessonFile {
        file: String,
        text: String,
    },
    CloseLesson,
    /// `n`: run to the step's go, or on to the next step.
    LessonNext,
    /// `p`: back to the step's start, or to the step before.
    LessonPrevious,
    /// `v`: show the answer to the step's question.
    LessonReveal,
    /// Go to a step (None: the introduction), its go run or not.
    LessonGoTo {
        step: Option<usize>,
        went: bool,
    },
    /// Show the lesson's programs in the editor.
    ShowLessonPrograms,
    /// Open the memory view at an address of a space (from the CPU view).
    ShowMemory {
        space: MemorySpace,
        address: u32,
    },
    SetMemorySpace(MemorySpace),
    /// An address, a register or a label typed into the memory view.
    GoToMemory(String),
    /// Follow a register (None: stay at the address).
    FollowRegister(Option<String>),
    /// Move the memory view by rows of 16 bytes.
    ScrollMemory(i64),
    /// Watch the word at an address (text: a number, register or label) of
    /// the memory view's space.
    AddWatchpoint {
        address: String,
        kind: wasm_bridge::WatchKind,
    },
    ToggleAddressBreakpoint(u32),
    RemoveBreakpoint(u32),
    TypeInput(String),
    SelectSpace(u32),
    SelectDirectoryEntry(Option<u32>),
    SetEventFilter(EventQuery),
    SetTimelineWindow(u64, u64),
    /// The timeline shows the latest cycles again.
    FollowTimeline,
    ZoomTimeline {
        closer: bool,
    },
    /// Zoom around a cycle (the pointer's) by a factor in percent (< 100:
    /// closer). While following the present, it changes how much of the
    /// past is shown and keeps following.
    ZoomTimelineAround {
        cycle: u64,
        percent: u32,
    },
    PanTimeline {
        later: bool,
    },
    /// Drag the timeline by this many cycles (positive: to later ones).
    PanTimelineBy(i64),
    /// The scrubber is being dragged: show a moment near `position` at once
    /// (replaying towards it for a slice of a frame); its release seeks exactly.
    PreviewSeek(u64),
    ShowMachineTab(MachineTab),
    ShowCodeTab(CodeTab),
    /// The editor's cursor is on this line: its instructions are marked in the code view.
    SelectSourceLine {
        file: String,
        line: u32,
    },
    /// Open the editor at the line that made an instruction.
    ShowSource {
        file: String,
        line: u32,
    },
    ToggleHelp,
    ToggleTheme,
    ShowAllTrees(bool),
    CompareCpus,
}

impl Action {
    /// Whether it changes the machine (or what is booted), rather than
    /// only what is shown.
    pub fn moves_machine(&self) -> bool {
        !matches!(
            self,
            Action::SetSpeed(_)
                | Action::SelectSpace(_)
                | Action::SelectDirectoryEntry(_)
                | Action::SetEventFilter(_)
                | Action::SetTimelineWindow(..)
                | Action::FollowTimeline
                | Action::ZoomTimeline { .. }
                | Action::ZoomTimelineAround { .. }
                | Action::PanTimeline { .. }
                | Action::PanTimelineBy(_)
                | Action::ShowMachineTab(_)
                | Action::ShowCodeTab(_)
                | Action::SelectSourceLine { .. }
                | Action::ShowSource { .. }
                | Action::ToggleHelp
                | Action::ToggleTheme
                | Action::ShowAllTrees(_)
                | Action::LessonReveal
                | Action::ShowLessonPrograms
                | Action::ShowMemory { .. }
                | Action::SetMemorySpace(_)
                | Action::GoToMemory(_)
                | Action::FollowRegister(_)
                | Action::ScrollMemory(_)
                | Action::AddWatchpoint { .. }
                | Action::Tick
        )
    }
}

/// Costs of the other CPU, for the side-by-side table.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub rows: Vec<wasm_bridge::CostsView>,
}

/// The explorer.
#[derive(Debug)]
pub struct Explorer {
    pub session: Session,
    pub running: bool,
    pub speed: usize,
    pub selected_space: u32,
    pub selected_directory_entry: Option<u32>,
    pub event_filter: EventQuery,
    /// Cycles shown by the timeline (None: follow the present).
    pub timeline_window: Option<(u64, u64)>,
    /// How many cycles the timeline shows while it follows the present.
    pub timeline_span: u64,
    pub machine_tab: MachineTab,
    pub code_tab: CodeTab,
    pub help: bool,
    pub dark: bool,
    pub all_trees: bool,
    pub comparison: Option<Comparison>,
    /// The message chosen on the timeline: the boot it is of
    /// (`Session::generation`) and its event index.
    pub selected_message: Option<(u64, u64)>,
    /// Something the user should know (a bad URL, a file that would not load).
    pub notice: String,
    /// The CPU before the last step, for the change marks.
    pub previous_cpu: Option<wasm_bridge::CpuView>,
    /// Milliseconds simulated per frame "as fast as possible" (the page
    /// adapts it to keep repainting at 30 frames/s or more).
    pub full_speed_milliseconds: f64,
    /// Whether the machine last moved by a step or a run forward (its
    /// changes are then shown as movement), not by a jump in time.
    pub moving_forward: bool,
    /// Why the last lesson file could not be opened (each with its line).
    pub lesson_errors: Vec<LessonErrorView>,
    /// The view the lesson's step asks the student to look at (outlined).
    pub look: Option<&'static str>,
    /// Why the last file loaded from disk was refused (shown by the upload control).
    pub load_problem: String,
    /// The memory view: whose memory, from where, following which register.
    pub memory_space: MemorySpace,
    pub memory_address: u32,
    pub memory_follow: Option<String>,
    pub memory_problem: String,
    /// The memory view's window before the last step (for its change marks).
    pub previous_memory: Option<MemoryView>,
    /// The source line chosen in the editor or from the code view (file, line).
    pub source_line: Option<(String, u32)>,
}

/// Rows of 16 bytes the memory view shows, and how many come before a
/// followed register's row.
pub const MEMORY_ROWS: u32 = 16;
const MEMORY_ROWS_BEFORE: u32 = 4;

/// Bounds of the full-speed slice per frame (a frame at 30 frames/s is
/// 33 ms; the rest of it is the page's repaint).
pub const MIN_FULL_SPEED_MILLISECONDS: f64 = 3.0;
pub const MAX_FULL_SPEED_MILLISECONDS: f64 = 24.0;

/// Cycles the timeline shows when it follows the present, at first.
pub const TIMELINE_SPAN: u64 = 150_000;
/// The closest and the farthest the timeline zooms.
pub const MIN_TIMELINE_SPAN: u64 = 200;
pub const MAX_TIMELINE_SPAN: u64 = 1 << 40;
/// Replay done per scrubber movement while dragging (the rest on release).
pub const PREVIEW_MILLISECONDS: f64 = 8.0;

impl Explorer {
    pub fn new(scenario: &str, cpu: CpuChoice, small_spaces: bool) -> Result<Self, String> {
        let session = Session::new(SessionConfig { scenario: scenario.into(), cpu, small_spaces })?;
        Ok(Self {
            session,
            running: false,
            speed: 3,
            selected_space: 4,
            selected_directory_entry: None,
            event_filter: EventQuery { limit: 200, ..EventQuery::default() },
            timeline_window: None,
            timeline_span: TIMELINE_SPAN,
            machine_tab: MachineTab::Spaces,
            code_tab: CodeTab::Code,
            help: false,
            dark: false,
            all_trees: false,
            comparison: None,
            selected_message: None,
            notice: String::new(),
            previous_cpu: None,
            full_speed_milliseconds: 10.0,
            moving_forward: true,
            lesson_errors: Vec::new(),
            look: None,
            load_problem: String::new(),
            memory_space: MemorySpace::Current,
            memory_address: 0,
            memory_follow: Some("esp".into()),
            memory_problem: String::new(),
            previous_memory: None,
            source_line: None,
        })
    }

    /// Where the memory view starts: at the followed register (a few rows
    /// before it), or at the address chosen.
    pub fn memory_start(&self) -> u32 {
        match self.memory_follow.as_deref().and_then(|register| self.session.register_value(register)) {
            Some(value) => (value & !15).saturating_sub(MEMORY_ROWS_BEFORE * 16),
            None => self.memory_address,
        }
    }

    /// The memory view's window now.
    pub fn memory_view(&self) -> MemoryView {
        self.session.memory(self.memory_space, self.memory_start(), MEMORY_ROWS)
    }

    /// Open the view the lesson's current step names, and remember it to
    /// outline. The Costs view opens with the step's latest message chosen,
    /// so that its own parts stand beside the average of every IPC so far
    /// (which a program's maps can make many times larger).
    fn follow_look(&mut self) {
        let look = self.session.lesson().and_then(|lesson| lesson.current.and_then(|step| step.look));
        self.look = look;
        match look {
            Some("spaces") => self.machine_tab = MachineTab::Spaces,
            Some("tlb") => self.machine_tab = MachineTab::Tlb,
            Some("cpu") => self.machine_tab = MachineTab::Cpu,
            Some("costs") => {
                self.machine_tab = MachineTab::Costs;
                if let Some(message) = self.session.latest_message() {
                    self.selected_message = Some((self.session.generation(), message));
                }
            }
            Some("code") => self.code_tab = CodeTab::Code,
            Some("editor") => self.code_tab = CodeTab::Editor,
            Some("console") => self.code_tab = CodeTab::Console,
            _ => {}
        }
    }

    fn rebuild(&mut self, config: SessionConfig) {
        match Session::new(config) {
            Ok(session) => {
                self.session = session;
                self.running = false;
                self.comparison = None;
                self.timeline_window = None;
            }
            Err(message) => self.notice = message,
        }
    }

    /// Instructions to run in one animation frame (0: until the time budget).
    pub fn frame_budget(&self) -> u64 {
        SPEEDS[self.speed.min(SPEEDS.len() - 1)].0
    }

    /// The window of cycles the timeline shows.
    pub fn timeline_window(&self) -> (u64, u64) {
        if let Some(window) = self.timeline_window {
            return window;
        }
        let now = self.session.system().machine().cycles;
        (now.saturating_sub(self.timeline_span), now.max(self.timeline_span))
    }

    /// Zoom the window by `percent` around `cycle`; following the present,
    /// change the span shown and go on following.
    fn zoom_around(&mut self, cycle: u64, percent: u32) {
        let percent = u64::from(percent.clamp(10, 1000));
        if self.timeline_window.is_none() {
            self.timeline_span = (self.timeline_span * percent / 100).clamp(MIN_TIMELINE_SPAN, MAX_TIMELINE_SPAN);
            return;
        }
        let (from, to) = self.timeline_window();
        let cycle = cycle.clamp(from, to);
        let before = (cycle - from) * percent / 100;
        let after = (to - cycle) * percent / 100;
        let span = (before + after).clamp(MIN_TIMELINE_SPAN, MAX_TIMELINE_SPAN);
        let start = cycle.saturating_sub(before.min(span));
        self.apply(Action::SetTimelineWindow(start, start + span));
    }

    pub fn apply(&mut self, action: Action) {
        if matches!(
            action,
            Action::StepInstruction
                | Action::StepEvent
                | Action::StepIpc
                | Action::ReverseStep
                | Action::ReverseEvent
                | Action::Seek(_)
                | Action::SeekEvent { .. }
        ) {
            self.previous_cpu = Some(self.session.cpu());
            // Only while it is shown: reading it costs a little on every step.
            self.previous_memory = (self.machine_tab == MachineTab::Memory).then(|| self.memory_view());
        } else if !matches!(
            action,
            Action::Tick
                | Action::ShowMachineTab(_)
                | Action::ShowCodeTab(_)
                | Action::SelectSourceLine { .. }
                | Action::ShowSource { .. }
                | Action::ToggleHelp
        ) {
            self.previous_cpu = None;
        }
        if !matches!(action, Action::Tick) {
            self.notice.clear();
        }
        if !matches!(action, Action::Seek(_) | Action::SeekEvent { .. } | Action::PreviewSeek(_) | Action::Tick) {
            // Everything else acts on the machine where the seek was going.
            self.session.finish_seek();
        }
        match action {
            Action::StepInstruction | Action::StepEvent | Action::StepIpc | Action::Tick | Action::ToggleRun => {
                self.moving_forward = true;
            }
            Action::ReverseStep
            | Action::ReverseEvent
            | Action::Seek(_)
            | Action::SeekEvent { .. }
            | Action::PreviewSeek(_)
            | Action::Reset
            | Action::SelectScenario(_)
            | Action::SelectCpu(_)
            | Action::ToggleSmallSpaces
            | Action::EditProgram { .. }
            | Action::LoadElf { .. }
            | Action::OpenLesson(_)
            | Action::OpenLessonFile { .. }
            | Action::LessonPrevious
            | Action::LessonGoTo { .. } => self.moving_forward = false,
            Action::LessonNext => self.moving_forward = true,
            _ => {}
        }
        let budget = self.frame_budget();
        let session = &mut self.session;
        match action {
            Action::StepInstruction => session.step_instruction(),
            Action::StepEvent => session.step_event(),
            Action::StepIpc => session.step_ipc(),
            Action::ReverseStep => session.reverse_step(),
            Action::ReverseEvent => session.reverse_event(),
            Action::Seek(position) => {
                self.running = false;
                session.begin_seek(position, None);
                self.continue_seek_for(SEEK_SLICE_MILLISECONDS);
            }
            Action::SelectMessage(event) => self.selected_message = Some((session.generation(), event)),
            Action::SeekEvent { index, instruction } => {
                self.running = false;
                session.begin_seek(instruction, Some(index));
                self.continue_seek_for(SEEK_SLICE_MILLISECONDS);
            }
            Action::ToggleRun => self.running = !self.running && session.booted(),
            Action::Tick => {
                if self.running {
                    let going = if budget == 0 {
                        run_for_milliseconds(session, self.full_speed_milliseconds)
                    } else {
                        session.run_slice(budget)
                    };
                    self.running = going;
                }
            }
            Action::Reset => {
                self.running = false;
                session.reset();
                self.comparison = None;
                self.timeline_window = None;
            }
            Action::SelectScenario(name) => {
                let config = SessionConfig { scenario: name, ..session.config().clone() };
                self.rebuild(config);
                self.look = None;
            }
            Action::SelectCpu(cpu) => {
                self.running = false;
                let small_spaces = session.config().small_spaces;
                session.reconfigure(cpu, small_spaces);
                self.comparison = None;
                self.timeline_window = None;
            }
            Action::ToggleSmallSpaces => {
                self.running = false;
                let config = session.config().clone();
                session.reconfigure(config.cpu, !config.small_spaces);
                self.comparison = None;
                self.timeline_window = None;
            }
            Action::OpenLesson(name) => {
                self.running = false;
                self.open_lesson(LessonSource::Builtin(name));
            }
            Action::OpenLessonFile { file, text } => {
                self.running = false;
                self.open_lesson(LessonSource::File { file, text });
            }
            Action::CloseLesson => {
                session.close_lesson();
                self.look = None;
            }
            Action::LessonNext => {
                self.running = false;
                if session.lesson_position().is_none() {
                    // `n` with no lesson open starts the first one.
                    if let Some(first) = wasm_bridge::lessons().first() {
                        self.open_lesson(LessonSource::Builtin(first.name.clone()));
                    }
                } else {
                    session.lesson_next();
                }
                self.follow_look();
            }
            Action::LessonPrevious => {
                self.running = false;
                session.lesson_previous();
                self.follow_look();
            }
            Action::LessonReveal => session.lesson_reveal(),
            Action::LessonGoTo { step, went } => {
                self.running = false;
                session.lesson_go_to(step, went);
                self.follow_look();
            }
            Action::ShowLessonPrograms => self.code_tab = CodeTab::Editor,
            Action::ShowMemory { space, address } => {
                self.machine_tab = MachineTab::Memory;
                self.memory_space = space;
                self.memory_address = address.saturating_sub(MEMORY_ROWS_BEFORE * 16) & !15;
                self.memory_follow = None;
                self.memory_problem.clear();
            }
            Action::SetMemorySpace(space) => self.memory_space = space,
            Action::GoToMemory(text) => {
                let found = crate::components::parse_place(
                    &text,
                    |register| self.session.register_value(register),
                    |label| self.session.label_address(label),
                );
                match found {
                    Some(address) => {
                        self.memory_address = address.saturating_sub(MEMORY_ROWS_BEFORE * 16) & !15;
                        self.memory_follow = None;
                        self.memory_problem.clear();
                    }
                    None => {
                        self.memory_problem = format!(
                            "`{}` is neither an address, a register nor a label of the programs",
                            text.chars().take(40).collect::<String>()
                        )
                    }
                }
            }
            Action::FollowRegister(register) => {
                if register.is_none() {
                    self.memory_address = self.memory_start();
                }
                self.memory_follow = register;
            }
            Action::AddWatchpoint { address, kind } => {
                let found = crate::components::parse_place(
                    &address,
                    |register| self.session.register_value(register),
                    |label| self.session.label_address(label),
                );
                let task = match self.memory_space {
                    MemorySpace::Task(task) => Some(task),
                    MemorySpace::Current => Some(self.session.status().current_thread >> 16 & 0xFF),
                    MemorySpace::Physical => None,
                };
                self.memory_problem = match (found, task) {
                    (Some(address), Some(task)) => {
                        self.session.add_watchpoint(task, address, 4, kind).err().unwrap_or_default()
                    }
                    (None, _) => format!(
                        "`{}` is neither an address, a register nor a label of the programs",
                        address.chars().take(40).collect::<String>()
                    ),
                    (_, None) => "watchpoints watch a space's memory: choose a space, not physical memory".into(),
                };
            }
            Action::ScrollMemory(rows) => {
                let start = i64::from(self.memory_start()) + rows * 16;
                self.memory_address = start.clamp(0, i64::from(!15u32)) as u32;
                self.memory_follow = None;
            }
            Action::SetSpeed(speed) => self.speed = speed.min(SPEEDS.len() - 1),
            Action::EditProgram { file, source } => {
                self.running = false;
                session.set_program(&file, &source);
            }
            Action::LoadElf { name, bytes } => {
                self.running = false;
                match session.load_elf(&name, bytes) {
                    Ok(()) => self.load_problem.clear(),
                    Err(problem) => {
                        self.notice = problem.clone();
                        self.load_problem = problem;
                    }
                }
            }
            Action::AddEventBreakpoint { kind, thread, to, frame } => {
                session.add_breakpoint(Breakpoint::Event { kind, thread, to, frame });
            }
            Action::ToggleAddressBreakpoint(address) => session.toggle_address_breakpoint(address),
            Action::RemoveBreakpoint(id) => session.remove_breakpoint(id),
            Action::TypeInput(text) => session.type_input(text.as_bytes()),
            Action::SelectSpace(task) => {
                self.selected_space = task;
                self.selected_directory_entry = None;
            }
            Action::SelectDirectoryEntry(index) => self.selected_directory_entry = index,
            Action::SetEventFilter(filter) => self.event_filter = filter,
            Action::SetTimelineWindow(from, to) => {
                let (from, to) = (from.min(to), from.max(to));
                self.timeline_window = Some((from, to.max(from + 64)));
            }
            Action::FollowTimeline => self.timeline_window = None,
            Action::ZoomTimeline { closer } => {
                let (from, to) = self.timeline_window();
                // Following, the present stays at the right edge.
                let around = if self.timeline_window.is_none() { to } else { from + (to - from) / 2 };
                self.zoom_around(around, if closer { 50 } else { 200 });
            }
            Action::ZoomTimelineAround { cycle, percent } => self.zoom_around(cycle, percent),
            Action::PanTimelineBy(cycles) => {
                let (from, to) = self.timeline_window();
                let span = to - from;
                let start = if cycles < 0 {
                    from.saturating_sub(cycles.unsigned_abs())
                } else {
                    from.saturating_add(cycles as u64)
                };
                self.apply(Action::SetTimelineWindow(start, start + span));
            }
            Action::PreviewSeek(position) => {
                self.running = false;
                session.begin_seek(position, None);
                self.continue_seek_for(PREVIEW_MILLISECONDS);
            }
            Action::PanTimeline { later } => {
                let (from, to) = self.timeline_window();
                let quarter = (to - from) / 4;
                let window = if later {
                    (from + quarter, to + quarter)
                } else {
                    (from.saturating_sub(quarter), to.saturating_sub(quarter))
                };
                self.apply(Action::SetTimelineWindow(window.0, window.1));
            }
            Action::ShowMachineTab(tab) => self.machine_tab = tab,
            Action::ShowCodeTab(tab) => self.code_tab = tab,
            Action::SelectSourceLine { file, line } => self.source_line = Some((file, line)),
            Action::ShowSource { file, line } => {
                self.source_line = Some((file, line));
                self.code_tab = CodeTab::Editor;
            }
            Action::ToggleHelp => self.help = !self.help,
            Action::ToggleTheme => self.dark = !self.dark,
            Action::ShowAllTrees(all) => self.all_trees = all,
            Action::CompareCpus => {
                let config = session.config().clone();
                let rows = [CpuChoice::I486, CpuChoice::Pentium]
                    .into_iter()
                    .filter_map(|cpu| wasm_bridge::compare_costs(&config.scenario, cpu, config.small_spaces).ok())
                    .collect();
                self.comparison = Some(Comparison { rows });
            }
        }
    }
}

impl Explorer {
    /// Open a lesson; a file with mistakes keeps the machine and lists them.
    fn open_lesson(&mut self, source: LessonSource) {
        match self.session.open_lesson(source, None) {
            Ok(()) => {
                self.lesson_errors.clear();
                self.comparison = None;
                self.timeline_window = None;
                self.look = None;
            }
            Err(errors) => {
                self.notice = match errors.first() {
                    Some(first) => format!(
                        "the lesson {} has {} mistake{}: see the Lessons panel",
                        first.file,
                        errors.len(),
                        if errors.len() == 1 { "" } else { "s" }
                    ),
                    None => "the lesson could not be opened".into(),
                };
                self.lesson_errors = errors;
            }
        }
    }

    /// Go on with a seek under way for about `milliseconds` (in slices of
    /// [`SEEK_SLICE_INSTRUCTIONS`]); returns whether it has arrived.
    pub fn continue_seek_for(&mut self, milliseconds: f64) -> bool {
        let started = now();
        loop {
            if self.session.continue_seek(SEEK_SLICE_INSTRUCTIONS) {
                return true;
            }
            if now() - started >= milliseconds {
                return false;
            }
        }
    }
}

/// Milliseconds of replay done at once when the user seeks (the rest is
/// done a frame at a time, so the page never blocks for long).
pub const SEEK_SLICE_MILLISECONDS: f64 = 5.0;
/// User instructions replayed between two looks at the clock while seeking.
const SEEK_SLICE_INSTRUCTIONS: u64 = 500;

/// Run in slices until `milliseconds` have passed (the page must repaint).
fn run_for_milliseconds(session: &mut Session, milliseconds: f64) -> bool {
    let started = now();
    loop {
        if !session.run_slice(1_000) {
            return false;
        }
        if now() - started >= milliseconds {
            return true;
        }
    }
}

/// Milliseconds from the page's clock (on the host, in tests: since first asked).
pub(crate) fn now() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window().and_then(|window| window.performance()).map_or(0.0, |performance| performance.now())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        use std::sync::OnceLock;
        static START: OnceLock<std::time::Instant> = OnceLock::new();
        START.get_or_init(std::time::Instant::now).elapsed().as_secs_f64() * 1000.0
    }
}

#[cfg(test)]
mod tests;
