//! View types: what the explorer draws, as plain serializable data. The UI
//! sees nothing else of the simulator.

use serde::Serialize;

/// The CPU the user picked.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Default)]
pub enum CpuChoice {
    #[default]
    I486,
    Pentium,
}

impl CpuChoice {
    /// Parse "486"/"i486" or "pentium"/"p5" (case-insensitive).
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "486" | "i486" => Ok(CpuChoice::I486),
            "pentium" | "p5" => Ok(CpuChoice::Pentium),
            other => Err(format!("unknown CPU `{other}`: choose `486` or `pentium`")),
        }
    }
    pub(crate) fn model(self) -> sim::CpuModel {
        match self {
            CpuChoice::I486 => sim::CpuModel::I486,
            CpuChoice::Pentium => sim::CpuModel::Pentium,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            CpuChoice::I486 => "i486",
            CpuChoice::Pentium => "Pentium",
        }
    }
    /// The name in URLs and selects.
    pub fn key(self) -> &'static str {
        match self {
            CpuChoice::I486 => "486",
            CpuChoice::Pentium => "pentium",
        }
    }
    pub fn other(self) -> Self {
        match self {
            CpuChoice::I486 => CpuChoice::Pentium,
            CpuChoice::Pentium => CpuChoice::I486,
        }
    }
}

/// One event for the log and the timeline.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct EventView {
    /// Position in the whole stream.
    pub index: u64,
    pub cycle: u64,
    /// User instructions retired when it happened (seek position).
    pub instruction: u64,
    /// "kernel", "machine" or "console".
    pub source: &'static str,
    /// The event kind ("ipc", "map", "tlb-fill" …).
    pub kind: &'static str,
    /// The event as text: the kernel's line format, with thread and task
    /// names in place of ids where the views name them. (Empty in the
    /// session's history for kernel and machine events: written when a view
    /// asks — formatting every event as it happened was three quarters of
    /// the explorer's full-speed run.)
    pub text: String,
    /// The kernel's line as it is (ids, not names): for hover, and empty
    /// where the text is already that.
    pub detail: String,
    /// Thread ids it names (for the filter).
    pub threads: Vec<u32>,
    /// A frame it names, if any (for the filter).
    pub frame: Option<u32>,
    /// The logged event itself, while `text` is not written yet.
    #[serde(skip)]
    pub(crate) pending: Option<sim::LoggedEvent>,
}

impl EventView {
    /// The event as text (written now if it was not yet).
    pub fn described(&self) -> std::borrow::Cow<'_, str> {
        match (&self.pending, self.text.is_empty()) {
            (Some(event), true) => std::borrow::Cow::Owned(event.describe()),
            _ => std::borrow::Cow::Borrowed(&self.text),
        }
    }

    /// Write `text` if it was left for later.
    pub(crate) fn describe_now(&mut self) {
        if self.text.is_empty()
            && let Some(event) = &self.pending
        {
            self.text = event.describe();
        }
    }
}

/// Where the simulation stands.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct StatusView {
    pub cpu: CpuChoice,
    pub clock_mhz: u32,
    pub memory_kb: u32,
    pub small_spaces: bool,
    pub scenario: String,
    pub cycles: u64,
    pub microseconds: u64,
    /// User instructions retired: the position on the time line.
    pub instructions: u64,
    /// The furthest position reached (the end of the scrubber).
    pub furthest: u64,
    pub kernel_entries: u64,
    /// "running", "idle", "exited (verdict 0x10: success)", …
    pub state: String,
    /// Why the last run stopped ("breakpoint: next unmap of frame 0x1000").
    pub stop: String,
    pub current_thread: u32,
    pub events: u64,
    /// Kernel instructions are charged from a calibration table, or not.
    pub calibrated: bool,
}

/// A thread.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct ThreadView {
    pub id: u32,
    /// What the views call it (`ping`), and its partner and pager.
    pub name: String,
    pub partner_name: String,
    pub pager_name: String,
    pub task: u32,
    pub lthread: u32,
    pub state: &'static str,
    pub priority: u32,
    pub partner: u32,
    pub pager: u32,
    pub eip: u32,
    pub esp: u32,
    pub running: bool,
    pub senders: u32,
}

/// One stretch of a thread's life on the timeline.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct SegmentView {
    pub thread: u32,
    /// "running", "ready", "sending", "receiving", "waiting", "inactive", "dead".
    pub state: &'static str,
    pub from_cycle: u64,
    /// None: still so.
    pub to_cycle: Option<u64>,
}

/// A message on the timeline.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct ArrowView {
    pub from: u32,
    pub to: u32,
    pub cycle: u64,
    /// The event's position (click → seek).
    pub event: u64,
    pub instruction: u64,
    /// "ipc", "pagefault", "interrupt", "map".
    pub kind: &'static str,
    pub label: String,
}

/// The timeline.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Default)]
pub struct TimelineView {
    /// Lanes in order of appearance.
    pub lanes: Vec<u32>,
    pub segments: Vec<SegmentView>,
    pub arrows: Vec<ArrowView>,
    pub first_cycle: u64,
    pub last_cycle: u64,
    /// What the lanes and arrows call each thread.
    pub names: NamesView,
}

/// One mapping in the mapping database.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct MappingNodeView {
    pub index: u32,
    pub task: u32,
    /// The task's name.
    pub name: String,
    pub address: u32,
    pub writable: bool,
    pub large: bool,
    pub children: Vec<MappingNodeView>,
}

/// One tree: a frame and its mappings, rooted in sigma0.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct MappingTreeView {
    pub frame: u32,
    pub root: MappingNodeView,
    pub size: u32,
}

/// An address space.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct SpaceView {
    pub task: u32,
    pub name: String,
    pub id: u32,
    pub chief: u32,
    pub small: u32,
    pub directory: u32,
    pub threads: u32,
}

/// A run of a space's memory map.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct RangeView {
    pub virtual_start: u32,
    pub virtual_end: u64,
    pub physical_start: u32,
    pub writable: bool,
    pub user: bool,
    pub large: bool,
}

/// A page-directory or page-table entry.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct EntryView {
    pub index: u32,
    pub raw: u32,
    pub address: u32,
    pub present: bool,
    pub writable: bool,
    pub user: bool,
    pub large: bool,
    pub accessed: bool,
    pub dirty: bool,
}

/// A segment register with its hidden descriptor cache.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct SegmentRegisterView {
    pub name: &'static str,
    pub selector: u32,
    pub base: u32,
    pub limit: u32,
    pub dpl: u32,
    pub kind: String,
    pub usable: bool,
}

/// A GDT entry.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct DescriptorView {
    pub selector: u32,
    pub raw: String,
    pub base: u32,
    pub limit: u32,
    pub dpl: u32,
    pub kind: String,
    pub present: bool,
}

/// The CPU.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct CpuView {
    pub registers: Vec<(&'static str, u32)>,
    pub eip: u32,
    pub eflags: u32,
    /// Set flags by name.
    pub flags: Vec<&'static str>,
    pub iopl: u32,
    pub cpl: u32,
    pub cr0: u32,
    pub cr2: u32,
    pub cr3: u32,
    /// `None` on the i486, which has no CR4 (it came with the Pentium).
    pub cr4: Option<u32>,
    pub segments: Vec<SegmentRegisterView>,
    pub gdt: Vec<DescriptorView>,
}

/// One TLB entry.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct TlbEntryView {
    pub set: u32,
    pub way: u32,
    pub valid: bool,
    pub page: u32,
    pub frame: u32,
    pub writable: bool,
    pub user: bool,
    /// Filled, hit or invalidated during the last step.
    pub mark: &'static str,
}

/// One TLB.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct TlbView {
    pub name: &'static str,
    pub sets: u32,
    pub ways: u32,
    /// 4 MB entries (the Pentium's large-page TLB).
    pub large: bool,
    pub entries: Vec<TlbEntryView>,
    /// Per set: the pseudo-LRU bits and the way the next fill would replace.
    pub replacement: Vec<(u8, u32)>,
    /// A `mov cr3` (or CR4 write) emptied it during the last step.
    pub flushed: bool,
    pub hits: u64,
    pub misses: u64,
    pub fills: u64,
    pub flushes: u64,
}

/// A line of disassembly.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct CodeLineView {
    pub address: u32,
    /// The source line that made it (`file`, `line`), if known.
    pub source: Option<(String, u32)>,
    pub bytes: String,
    pub text: String,
    pub label: Option<String>,
    pub current: bool,
    pub breakpoint: bool,
}

/// The code view.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct CodeView {
    pub thread: u32,
    pub thread_name: String,
    pub eip: u32,
    pub lines: Vec<CodeLineView>,
}

/// An editable program of the scenario.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct ProgramView {
    pub file: String,
    pub source: String,
}

/// An assembly error, at its line.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct ProgramErrorView {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
    pub hint: Option<String>,
}

/// Costs on one CPU.
#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct CostsView {
    pub cpu: CpuChoice,
    pub clock_mhz: u32,
    pub ipcs: u64,
    /// From the `int 0x30` to the `iret` into the partner, averaged.
    pub cycles_per_ipc: f64,
    pub microseconds_per_ipc: f64,
    pub space_switches: u64,
    pub small_space_switches: u64,
    pub tlb_misses: u64,
    pub tlb_misses_per_switch: f64,
    pub cycles: u64,
}

/// A breakpoint, as listed.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct BreakpointView {
    pub id: u32,
    pub description: String,
}

/// What threads and tasks are called (the lesson's names, the programs'
/// `; threads:` lines, or sigma0 / root / module names).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct NamesView(pub(crate) sim::ThreadNames);

impl NamesView {
    /// A thread's name (`pong`, `pong.2`, `task 7`, `irq 4`, `nil`).
    pub fn thread(&self, raw: u32) -> String {
        self.0.thread(raw)
    }
    /// A task's (space's) name.
    pub fn task(&self, task: u32) -> String {
        u8::try_from(task).map_or_else(|_| format!("task {task}"), |task| self.0.task(task))
    }
    /// Every declared (task, lthread, name).
    pub fn declared(&self) -> Vec<(u32, u32, String)> {
        self.0.iter().map(|(task, lthread, name)| (task as u32, lthread as u32, name.to_string())).collect()
    }
    /// A thread by name, as a thread id (version 1, the chief left out).
    pub fn find(&self, name: &str) -> Option<(u32, u32)> {
        self.0.find(name).map(|(task, lthread)| (task as u32, lthread as u32))
    }
}

impl Serialize for NamesView {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.declared().serialize(serializer)
    }
}

/// A built-in lesson in the list.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct LessonSummaryView {
    pub name: String,
    pub title: String,
    pub summary: String,
    pub cpus: Vec<CpuChoice>,
    pub steps: u32,
}

/// A problem with a lesson file, at its line.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct LessonErrorView {
    pub file: String,
    /// 0: the file as a whole.
    pub line: u32,
    pub message: String,
    pub hint: Option<String>,
}

/// One check of the current step.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct LessonCheckView {
    pub text: String,
    /// None: not evaluated yet (the step's go has not run).
    pub met: Option<bool>,
    /// What the machine shows.
    pub found: String,
}

/// The current step.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct LessonStepView {
    pub index: u32,
    pub title: String,
    pub text_html: String,
    pub go: Option<String>,
    /// The view to look at (`tlb`, `spaces`, …).
    pub look: Option<&'static str>,
    pub predict_html: Option<String>,
    pub reveal_html: Option<String>,
    pub revealed: bool,
    pub checks: Vec<LessonCheckView>,
}

/// The lesson being followed.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct LessonView {
    /// The built-in lesson's name, or the file's.
    pub key: String,
    pub builtin: bool,
    pub title: String,
    pub introduction_html: String,
    pub step_titles: Vec<String>,
    /// None: the introduction.
    pub current: Option<LessonStepView>,
    /// The current step's go has run (or it has none).
    pub went: bool,
    /// Why the step's go could not be reached.
    pub problem: Option<String>,
    pub cpus: Vec<CpuChoice>,
    /// The CPU chosen for the lesson (the CPU box).
    pub cpu: CpuChoice,
    /// The CPU the current step runs on: the chosen one, unless the step
    /// (or an earlier one) names its machine.
    pub step_cpu: CpuChoice,
}
