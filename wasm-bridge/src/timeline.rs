//! The threads-and-IPC timeline, built from the kernel's events as they
//! arrive: a lane per thread with its state over time, and an arrow per
//! message (page-fault IPCs and interrupts told apart).

use crate::view::{ArrowView, SegmentView, TimelineView};
use sim::KernelEvent;
use sim::kernel_crate::event::Phase;
use std::collections::BTreeMap;

/// A message on the timeline, as it was sent; its label is written when a
/// view shows it (`Arrow::view`) — formatting one for each of ping-pong's
/// 20,000 messages as they happened was a sixth of the explorer's work at
/// full speed.
#[derive(Clone, Copy, Debug)]
struct Arrow {
    from: u32,
    to: u32,
    cycle: u64,
    event: u64,
    instruction: u64,
    kind: &'static str,
    words: [u32; 3],
    fpages: u32,
}

impl Arrow {
    fn view(&self) -> ArrowView {
        let words = self.words;
        let label = match self.kind {
            "pagefault" => format!("page fault at {:#x}", words[0] & !3),
            "interrupt" => format!("IRQ {}", self.from.saturating_sub(1)),
            "map" => format!("{} page(s) · {:#x} {:#x} {:#x}", self.fpages, words[0], words[1], words[2]),
            _ => format!("{:#x} {:#x} {:#x}", words[0], words[1], words[2]),
        };
        ArrowView {
            from: self.from,
            to: self.to,
            cycle: self.cycle,
            event: self.event,
            instruction: self.instruction,
            kind: self.kind,
            label,
        }
    }
}

#[derive(Clone, Debug)]
struct Lane {
    state: &'static str,
    since: u64,
}

/// The timeline so far.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    lanes: Vec<u32>,
    open: BTreeMap<u32, Lane>,
    segments: Vec<SegmentView>,
    arrows: Vec<Arrow>,
    /// Threads whose next message is their page-fault IPC.
    faulting: Vec<u32>,
    first_cycle: u64,
    last_cycle: u64,
}

/// Where the timeline stood at a checkpoint: its lists only grow, so going
/// back is cutting them to these lengths and restoring the small state of
/// the lanes — no rebuilding from the start (which made every step back cost
/// as much as the whole run so far).
#[derive(Clone, Debug)]
pub struct TimelineMark {
    lanes: usize,
    segments: usize,
    arrows: usize,
    open: BTreeMap<u32, Lane>,
    faulting: Vec<u32>,
    first_cycle: u64,
    last_cycle: u64,
}

impl Timeline {
    pub fn mark(&self) -> TimelineMark {
        TimelineMark {
            lanes: self.lanes.len(),
            segments: self.segments.len(),
            arrows: self.arrows.len(),
            open: self.open.clone(),
            faulting: self.faulting.clone(),
            first_cycle: self.first_cycle,
            last_cycle: self.last_cycle,
        }
    }

    /// Back to `mark` (taken earlier on this same timeline).
    pub fn rewind(&mut self, mark: &TimelineMark) {
        self.lanes.truncate(mark.lanes);
        self.segments.truncate(mark.segments);
        self.arrows.truncate(mark.arrows);
        self.open = mark.open.clone();
        self.faulting = mark.faulting.clone();
        self.first_cycle = mark.first_cycle;
        self.last_cycle = mark.last_cycle;
    }

    fn set(&mut self, thread: u32, state: &'static str, cycle: u64) {
        if let Some(lane) = self.open.get(&thread) {
            if lane.state == state {
                return;
            }
            self.segments.push(SegmentView {
                thread,
                state: lane.state,
                from_cycle: lane.since,
                to_cycle: Some(cycle),
            });
        } else {
            self.lanes.push(thread);
        }
        self.open.insert(thread, Lane { state, since: cycle });
    }

    fn state(&self, thread: u32) -> Option<&'static str> {
        self.open.get(&thread).map(|lane| lane.state)
    }

    /// Take one kernel event (at `cycle`, stream position `event`).
    pub fn add(&mut self, event: &KernelEvent, cycle: u64, index: u64, instruction: u64) {
        if self.lanes.is_empty() {
            self.first_cycle = cycle;
        }
        self.last_cycle = self.last_cycle.max(cycle);
        match *event {
            KernelEvent::ThreadCreated { thread, .. } => self.set(thread.raw(), "ready", cycle),
            KernelEvent::ThreadSwitch { from, to } => {
                if !from.is_nil() && self.state(from.raw()) == Some("running") {
                    self.set(from.raw(), "ready", cycle);
                }
                self.set(to.raw(), "running", cycle);
            }
            KernelEvent::IpcWait { thread, phase, .. } => {
                self.set(thread.raw(), if phase == Phase::Send { "sending" } else { "receiving" }, cycle);
            }
            KernelEvent::Ipc { from, to, words, fpages, .. } => {
                let from_raw = from.raw();
                let kind = if from.task() == 0 {
                    "interrupt"
                } else if let Some(position) = self.faulting.iter().position(|thread| *thread == from_raw) {
                    self.faulting.remove(position);
                    "pagefault"
                } else if fpages > 0 {
                    "map"
                } else {
                    "ipc"
                };
                if kind == "interrupt" && !self.open.contains_key(&from_raw) {
                    self.set(from_raw, "interrupt", cycle);
                }
                self.arrows.push(Arrow {
                    from: from_raw,
                    to: to.raw(),
                    cycle,
                    event: index,
                    instruction,
                    kind,
                    words,
                    fpages,
                });
                if matches!(self.state(to.raw()), Some("receiving")) {
                    self.set(to.raw(), "ready", cycle);
                }
                if matches!(self.state(from_raw), Some("sending")) {
                    self.set(from_raw, "ready", cycle);
                }
            }
            KernelEvent::PageFault { thread, pager, .. } if !pager.is_nil() => self.faulting.push(thread.raw()),
            KernelEvent::IpcError { thread, .. } => {
                if matches!(self.state(thread.raw()), Some("sending" | "receiving")) {
                    self.set(thread.raw(), "ready", cycle);
                }
            }
            KernelEvent::ThreadKilled { thread, .. } => self.set(thread.raw(), "dead", cycle),
            KernelEvent::TaskDeleted { task } => {
                let threads: Vec<u32> =
                    self.open.keys().copied().filter(|thread| (thread >> 16) & 0xFF == task.task() as u32).collect();
                for thread in threads {
                    self.set(thread, "dead", cycle);
                }
            }
            _ => {}
        }
    }

    /// The part of the timeline in [from, to] (cycles).
    pub fn view(&self, from: u64, to: u64) -> TimelineView {
        let mut segments: Vec<SegmentView> = self
            .segments
            .iter()
            .filter(|segment| segment.from_cycle <= to && segment.to_cycle.is_none_or(|end| end >= from))
            .cloned()
            .collect();
        for (thread, lane) in &self.open {
            if lane.since <= to {
                segments.push(SegmentView {
                    thread: *thread,
                    state: lane.state,
                    from_cycle: lane.since,
                    to_cycle: None,
                });
            }
        }
        let arrows =
            self.arrows.iter().filter(|arrow| arrow.cycle >= from && arrow.cycle <= to).map(Arrow::view).collect();
        TimelineView {
            lanes: self.lanes.clone(),
            segments,
            arrows,
            first_cycle: self.first_cycle,
            last_cycle: self.last_cycle,
            names: crate::view::NamesView::default(),
        }
    }

    /// The whole timeline.
    pub fn all(&self) -> TimelineView {
        self.view(0, u64::MAX)
    }

    /// (finished segments, arrows) so far.
    pub fn lengths(&self) -> (usize, usize) {
        (self.segments.len(), self.arrows.len())
    }

    pub fn lanes(&self) -> &[u32] {
        &self.lanes
    }

    pub fn segment(&self, index: usize) -> &SegmentView {
        &self.segments[index]
    }

    pub fn arrow(&self, index: usize) -> ArrowView {
        self.arrows[index].view()
    }

    /// Each thread's current state, since when: the segments still open.
    pub fn open_segments(&self) -> impl Iterator<Item = SegmentView> + '_ {
        self.open.iter().map(|(thread, lane)| SegmentView {
            thread: *thread,
            state: lane.state,
            from_cycle: lane.since,
            to_cycle: None,
        })
    }

    pub fn last_cycle(&self) -> u64 {
        self.last_cycle
    }
}
