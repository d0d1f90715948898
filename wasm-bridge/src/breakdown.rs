//! One IPC's cycles in words, part by part, for the Costs view: the message
//! selected on the timeline (the kernel entry that logged it) and the
//! average over every `int 0x30` of the run (`sim::entry_costs`).

use crate::session::Session;
use serde::Serialize;
use sim::entry_costs::AverageParts;

/// One part of an IPC's cycles.
#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct CostPartView {
    /// What paid, in words ("CPU entry", "Kernel path" …).
    pub name: &'static str,
    /// How much of it there was, or what it is ("147 instructions (ipc-fast)").
    pub detail: String,
    pub cycles: f64,
}

/// An IPC's cycles, part by part; the parts add up to `total`.
#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct IpcBreakdownView {
    /// Which IPC: "the selected message …" or "average of 10000 IPCs".
    pub title: String,
    pub parts: Vec<CostPartView>,
    pub total: f64,
}

/// The parts in the order they happen, from one entry's or the average's figures.
struct Figures {
    vector: Option<u8>,
    path: Option<&'static str>,
    parts: AverageParts,
}

fn entry_words(vector: Option<u8>) -> &'static str {
    match vector {
        Some(0x30) | None => "int 0x30 through the IDT gate into ring 0: stack switch, frame pushed",
        Some(14) => "the page fault's entry into ring 0: stack switch, frame pushed",
        Some(0x20..=0x2F) => "the interrupt's entry into ring 0: stack switch, frame pushed",
        Some(_) => "the exception's or int's entry into ring 0: stack switch, frame pushed",
    }
}

/// What a kernel path is, for someone who knows the paper and not this kernel.
fn path_words(path: &'static str) -> &'static str {
    match path {
        "ipc-fast" => ": the assembly fast path",
        "ipc-short" => {
            ": the general path in Rust (the assembly fast path takes only register IPC between large spaces, with no timeout to remove)"
        }
        "ipc-long" => ": a message with memory words, strings or fpages (a map)",
        "ipc-block" => ": nothing to deliver yet, the caller waits",
        "page-fault" => ": a page fault turned into a message to the pager",
        "fault-fast" => ": a page fault delivered to its waiting pager by the assembly fast path",
        _ => "",
    }
}

fn count(value: f64, one: &str, many: &str) -> String {
    if value.fract() == 0.0 {
        let whole = value as u64;
        format!("{whole} {}", if whole == 1 { one } else { many })
    } else {
        format!("{value:.1} {many}")
    }
}

fn parts_of(figures: &Figures) -> Vec<CostPartView> {
    let parts = &figures.parts;
    let path = figures.path.map_or(String::new(), |name| format!(" ({name})"));
    let mut rows = vec![
        CostPartView { name: "CPU entry", detail: entry_words(figures.vector).into(), cycles: parts.entry },
        CostPartView {
            name: "Kernel path",
            detail: format!(
                "{}{path}{}, counted on the native kernel in QEMU",
                count(parts.kernel_instructions, "instruction", "instructions"),
                figures.path.map_or("", path_words)
            ),
            cycles: parts.kernel_path,
        },
        CostPartView {
            name: "Address-space switch",
            detail: if parts.space_switch > 0.0 {
                "mov cr3: a new page directory, every TLB entry flushed".into()
            } else {
                "none: the same space, or a small space (no CR3 load)".into()
            },
            cycles: parts.space_switch,
        },
        CostPartView {
            name: "Segment reload",
            detail: if parts.segment_reload > 0.0 {
                "mov ds, es, fs, gs: the small space's segment window".into()
            } else {
                "none".into()
            },
            cycles: parts.segment_reload,
        },
        CostPartView {
            name: "TLB refills",
            detail: format!(
                "{}: the kernel's and the frame's pages",
                count(parts.tlb_refills, "page walk", "page walks")
            ),
            cycles: parts.tlb_refill_cycles,
        },
        CostPartView {
            name: "Cache misses",
            detail: count(parts.cache_misses, "line read from memory", "lines read from memory"),
            cycles: parts.cache_miss_cycles,
        },
    ];
    if parts.other > 0.0 {
        rows.push(CostPartView {
            name: "Other kernel operations",
            detail: "invlpg, port I/O".into(),
            cycles: parts.other,
        });
    }
    rows.push(CostPartView { name: "CPU exit", detail: "iret to ring 3".into(), cycles: parts.exit });
    if parts.idle > 0.0 {
        rows.push(CostPartView {
            name: "CPU idle",
            detail: "the kernel halted until an interrupt let the IPC go on".into(),
            cycles: parts.idle,
        });
    }
    rows
}

impl Session {
    /// The average over every `int 0x30` since boot (None before the first).
    pub fn ipc_breakdown_average(&self) -> Option<IpcBreakdownView> {
        let sums = self.system().log().entry_costs().ipc_sums();
        let (total, parts) = sums.average()?;
        let figures = Figures { vector: None, path: None, parts };
        Some(IpcBreakdownView {
            title: format!(
                "average of all {} IPC system calls (int 0x30) so far, the slow ones (maps, long messages) included",
                sums.count
            ),
            parts: parts_of(&figures),
            total,
        })
    }

    /// The newest message delivered so far (an `ipc` event: an arrow of the
    /// timeline) whose kernel entry's cost is kept: the one a lesson step
    /// that looks at the costs is about, chosen for it. One the IPC fast
    /// path delivered comes first — the one-way IPC the paper's figures
    /// are about — then one in registers, then any: at a program's end the
    /// newest messages are often a map of thousands of cycles and the root
    /// task's calls to sigma0 (found by a student at the end of the
    /// small-spaces lesson, whose Costs view set a 16,000-cycle map beside
    /// the paper's 121).
    pub fn latest_message(&self) -> Option<u64> {
        let record = |index: u64| sim::entry_costs::record_in(&self.entry_costs, index);
        let messages = || self.history.iter().rev().filter(|event| event.kind == "ipc");
        let newest = |wanted: &dyn Fn(&crate::view::EventView) -> bool| {
            messages().filter(|event| wanted(event)).map(|event| event.index).find(|&index| record(index).is_some())
        };
        let fast = |event: &crate::view::EventView| {
            record(event.index).is_some_and(|kept| kept.cost.path == Some(sim::kernel_crate::cost::Path::IpcFast))
        };
        newest(&fast).or_else(|| newest(&in_registers)).or_else(|| newest(&|_| true))
    }

    /// The kernel entry that logged event `sequence` (a message on the
    /// timeline), if it has happened and its cost is still kept.
    pub fn ipc_breakdown_of(&self, sequence: u64) -> Option<IpcBreakdownView> {
        let record = sim::entry_costs::record_in(&self.entry_costs, sequence)?;
        let cost = &record.cost;
        let message = self.history.iter().rev().find(|event| event.index == sequence);
        let what = message.map_or_else(
            || format!("event {sequence}"),
            |event| {
                let text = crate::views::named_text(&event.described(), self.system().thread_names());
                let field = |name: &str| {
                    text.split(' ').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('=')).unwrap_or("?")
                };
                let kind = match event.kind {
                    "ipc" if field("fpages") != "0" => "the map",
                    "ipc" => "the message",
                    "pagefault" => "the page fault",
                    other => other,
                };
                match event.kind {
                    "pagefault" => format!("{kind} of {} at cycle {}", field("thread"), event.cycle),
                    _ => format!("{kind} from {} to {} at cycle {}", field("from"), field("to"), event.cycle),
                }
            },
        );
        let figures = Figures {
            vector: Some(cost.vector),
            path: cost.path.map(|path| path.name()),
            parts: AverageParts::of(&cost.parts, cost.idle(), 1),
        };
        Some(IpcBreakdownView { title: what, parts: parts_of(&figures), total: cost.total as f64 })
    }
}

/// Whether an `ipc` event carried its message in registers only: no
/// string copied, no page mapped.
fn in_registers(event: &crate::view::EventView) -> bool {
    match &event.pending {
        Some(sim::LoggedEvent {
            source: sim::Source::Kernel(sim::KernelEvent::Ipc { strings, fpages, .. }), ..
        }) => *strings == 0 && *fpages == 0,
        Some(_) => false,
        None => {
            let text = event.described();
            text.contains(" strings=0") && text.contains(" fpages=0")
        }
    }
}
