//! Machine events: what the hardware did, for whoever listens.
//!
//! Free when nobody listens: `emit` takes a closure and builds the event only
//! if the sink is enabled; the check is one predictable branch.

use crate::tlb::TlbKind;

/// Something the machine did.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MachineEvent {
    TlbHit {
        tlb: TlbKind,
        set: usize,
        way: usize,
        linear: u32,
    },
    TlbMiss {
        tlb: TlbKind,
        linear: u32,
    },
    TlbFill {
        tlb: TlbKind,
        set: usize,
        way: usize,
        linear: u32,
        physical: u32,
        evicted_linear: Option<u32>,
    },
    /// All TLBs flushed (a CR3 load); `entries` valid entries were dropped.
    TlbFlush {
        entries: u32,
    },
    /// `invlpg` of `linear`; `present` if an entry was dropped.
    TlbInvalidate {
        linear: u32,
        present: bool,
    },
    /// The MMU read the directory entry and (for 4 KB pages) the table entry.
    PageWalk {
        linear: u32,
        directory: u32,
        table: Option<u32>,
    },
    PageFault {
        linear: u32,
        error: u32,
    },
    /// A segment register was loaded (`segment` in x86 order, ES=0 … GS=5).
    SegmentLoad {
        segment: u8,
        selector: u16,
        base: u32,
        limit: u32,
    },
    /// Ring 3 → ring 0: interrupt, exception or `int n`.
    KernelEntry {
        vector: u8,
        error_code: Option<u32>,
        eip: u32,
        cycles: u32,
    },
    /// Ring 0 → ring 3 by `iret`.
    KernelExit {
        eip: u32,
        cycles: u32,
    },
    /// A CR3 load.
    AddressSpaceSwitch {
        cr3: u32,
    },
    PortWrite {
        port: u16,
        value: u32,
        size: u8,
    },
    PortRead {
        port: u16,
        value: u32,
        size: u8,
    },
    /// An exception raised in user mode, before it is delivered.
    Exception {
        vector: u8,
        error_code: Option<u32>,
        eip: u32,
    },
    /// A device raised an interrupt line.
    InterruptRequest {
        irq: u8,
    },
}

impl MachineEvent {
    pub const fn kind(&self) -> &'static str {
        match self {
            MachineEvent::TlbHit { .. } => "tlb-hit",
            MachineEvent::TlbMiss { .. } => "tlb-miss",
            MachineEvent::TlbFill { .. } => "tlb-fill",
            MachineEvent::TlbFlush { .. } => "tlb-flush",
            MachineEvent::TlbInvalidate { .. } => "tlb-invalidate",
            MachineEvent::PageWalk { .. } => "page-walk",
            MachineEvent::PageFault { .. } => "page-fault",
            MachineEvent::SegmentLoad { .. } => "segment-load",
            MachineEvent::KernelEntry { .. } => "kernel-entry",
            MachineEvent::KernelExit { .. } => "kernel-exit",
            MachineEvent::AddressSpaceSwitch { .. } => "cr3-load",
            MachineEvent::PortWrite { .. } => "port-write",
            MachineEvent::PortRead { .. } => "port-read",
            MachineEvent::Exception { .. } => "exception",
            MachineEvent::InterruptRequest { .. } => "irq",
        }
    }
}

/// Which groups of events to record.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct EventFilter {
    /// TLB hits (one per translated access: many).
    pub tlb_hits: bool,
    /// Everything else.
    pub other: bool,
}

impl EventFilter {
    pub const NONE: EventFilter = EventFilter { tlb_hits: false, other: false };
    pub const ALL: EventFilter = EventFilter { tlb_hits: true, other: true };
    /// All but TLB hits.
    pub const CHANGES: EventFilter = EventFilter { tlb_hits: false, other: true };
}

/// Collects events when enabled.
#[derive(Clone, Debug, Default)]
pub struct EventSink {
    filter: EventFilter,
    /// Some group of events is wanted (`filter` has a flag set): asked
    /// before every user instruction, so kept as one flag.
    enabled: bool,
    events: Vec<MachineEvent>,
    /// The cycle count each recorded event happened at.
    times: Vec<u64>,
    /// The machine's cycle counter as of the current instruction or operation.
    pub(crate) now: u64,
}

impl EventSink {
    pub fn set_filter(&mut self, filter: EventFilter) {
        self.filter = filter;
        self.enabled = filter.other || filter.tlb_hits;
    }
    pub fn filter(&self) -> EventFilter {
        self.filter
    }
    /// Record the event `make` builds, if events of its group are wanted.
    #[inline(always)]
    pub fn emit(&mut self, make: impl FnOnce() -> MachineEvent) {
        if self.enabled {
            let event = make();
            let wanted =
                if matches!(event, MachineEvent::TlbHit { .. }) { self.filter.tlb_hits } else { self.filter.other };
            if wanted {
                self.events.push(event);
                self.times.push(self.now);
            }
        }
    }
    /// Take what was recorded.
    pub fn drain(&mut self) -> Vec<MachineEvent> {
        self.times.clear();
        std::mem::take(&mut self.events)
    }
    /// Take what was recorded, each with the cycle count it happened at
    /// (the start of the instruction or privileged operation that caused it).
    /// (The buffers keep their capacity: they are drained at every kernel
    /// entry, and growing them anew each time was a tenth of the explorer's
    /// full-speed run.)
    pub fn drain_timed(&mut self) -> impl Iterator<Item = (u64, MachineEvent)> + '_ {
        self.times.drain(..).zip(self.events.drain(..))
    }
    /// Whether any events are being recorded.
    #[inline(always)]
    pub fn enabled(&self) -> bool {
        self.enabled
    }
    /// Set the time stamp for the events that follow. Only while events are
    /// on: an event recorded without a stamp of its own right after they are
    /// turned on carries the last stamp taken while they were on.
    #[inline(always)]
    pub(crate) fn stamp(&mut self, cycle: u64) {
        if self.enabled() {
            self.now = cycle;
        }
    }
    pub fn pending(&self) -> &[MachineEvent] {
        &self.events
    }
}
