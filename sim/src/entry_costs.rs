//! What each kernel entry cost, part by part: the CPU's entry and exit, the
//! kernel's path, the CR3 load or segment reload, TLB refills and cache
//! misses (`machine_model::Ledger`), from the `int` (or exception, or
//! interrupt) to the `iret` that ends it.
//!
//! The Costs view shows one IPC this way — the message selected on the
//! timeline — and the average over every `int 0x30` of the run. An entry is
//! open from the CPU's entry into ring 0 until the next return to user mode:
//! if the kernel idles in between (a call whose partner is not ready), the
//! wait is part of it, as it is of the "cycles per IPC" the view shows.
//!
//! Kept with the event log (so snapshots carry it and a replay rebuilds it
//! exactly): the sums always, the per-entry records only when asked
//! (`EventLog::keep_entry_costs`), and no longer than the log keeps the
//! entries they explain.

use kernel::cost::Path;
use machine_model::Ledger;
use std::collections::VecDeque;

/// One kernel entry's cycles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryCost {
    /// The vector it entered through (0x30: an IPC).
    pub vector: u8,
    /// The kernel path it was charged for first (`None`: nothing charged).
    pub path: Option<Path>,
    /// The cycle the CPU began entering ring 0 at.
    pub started: u64,
    /// Cycles from there to the end of the `iret`.
    pub total: u64,
    /// What they paid for.
    pub parts: Ledger,
}

impl EntryCost {
    /// Cycles the CPU waited, halted, inside the entry (the kernel idled
    /// until an interrupt let it go on).
    pub fn idle(&self) -> u64 {
        self.total.saturating_sub(self.parts.cycles())
    }
}

/// An entry's cost, with the log sequence numbers of what it logged
/// (`first` ≤ sequence < `end`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CostRecord {
    pub first: u64,
    pub end: u64,
    pub cost: EntryCost,
}

/// Sums over every `int 0x30` entry since boot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IpcCostSums {
    pub count: u64,
    pub total: u64,
    pub parts: Ledger,
}

impl IpcCostSums {
    /// The average entry (parts and total divided by the count), or `None`.
    pub fn average(&self) -> Option<(f64, AverageParts)> {
        if self.count == 0 {
            return None;
        }
        let idle = self.total - self.parts.cycles();
        Some((self.total as f64 / self.count as f64, AverageParts::of(&self.parts, idle, self.count)))
    }
}

/// [`Ledger`]'s parts averaged over entries.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AverageParts {
    pub entry: f64,
    pub kernel_path: f64,
    pub kernel_instructions: f64,
    pub space_switch: f64,
    pub segment_reload: f64,
    pub tlb_refills: f64,
    pub tlb_refill_cycles: f64,
    pub cache_misses: f64,
    pub cache_miss_cycles: f64,
    pub other: f64,
    pub exit: f64,
    pub idle: f64,
}

impl AverageParts {
    /// `parts` (and `idle` cycles) of `count` entries, per entry; one
    /// entry's own figures with `count` 1.
    pub fn of(parts: &Ledger, idle: u64, count: u64) -> Self {
        let per = |value: u64| value as f64 / count as f64;
        AverageParts {
            entry: per(parts.entry),
            kernel_path: per(parts.kernel_path),
            kernel_instructions: per(parts.kernel_instructions),
            space_switch: per(parts.space_switch),
            segment_reload: per(parts.segment_reload),
            tlb_refills: per(parts.tlb_refills),
            tlb_refill_cycles: per(parts.tlb_refill_cycles),
            cache_misses: per(parts.cache_misses),
            cache_miss_cycles: per(parts.cache_miss_cycles),
            other: per(parts.other),
            exit: per(parts.exit),
            idle: per(idle),
        }
    }
}

/// The record of the entry that logged event `sequence`, in records kept
/// oldest first.
pub fn record_in(records: &[CostRecord], sequence: u64) -> Option<&CostRecord> {
    let after = records.partition_point(|record| record.first <= sequence);
    records.get(after.checked_sub(1)?).filter(|record| sequence < record.end)
}

#[derive(Clone, Copy, Debug)]
struct Open {
    vector: u8,
    path: Option<Path>,
    started: u64,
    before: Ledger,
    first: u64,
    messages: u64,
}

/// Which entries' records to keep.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Keep {
    #[default]
    None,
    /// Those that delivered a message (the Costs view's).
    Messages,
    Every,
}

/// The bookkeeping: the open entry, the records, the sums.
#[derive(Clone, Debug, Default)]
pub struct EntryCosts {
    at_exit: Ledger,
    open: Option<Open>,
    records: VecDeque<CostRecord>,
    ipc: IpcCostSums,
}

impl EntryCosts {
    /// The CPU entered ring 0 (through `vector`) at cycle `started`; the log
    /// stood at `first`, `messages` delivered so far. An entry already open
    /// (the kernel idled, an interrupt woke it) goes on.
    pub(crate) fn opened(&mut self, vector: u8, started: u64, first: u64, messages: u64) {
        if self.open.is_none() {
            self.open = Some(Open { vector, path: None, started, before: self.at_exit, first, messages });
        }
    }

    /// The kernel charged `path` in the open entry.
    pub(crate) fn charged(&mut self, path: Path) {
        if let Some(open) = self.open.as_mut() {
            open.path.get_or_insert(path);
        }
    }

    /// The CPU is back in user mode: the open entry is over; `keep` says
    /// whether its record stays (with the log's entries).
    pub(crate) fn closed(&mut self, ledger: &Ledger, cycles: u64, end: u64, messages: u64, keep: Keep) {
        if let Some(open) = self.open.take() {
            let cost = EntryCost {
                vector: open.vector,
                path: open.path,
                started: open.started,
                total: cycles - open.started,
                parts: ledger.since(&open.before),
            };
            if open.vector == 0x30 {
                self.ipc.count += 1;
                self.ipc.total += cost.total;
                self.ipc.parts.add(&cost.parts);
            }
            let delivered = messages > open.messages;
            if keep == Keep::Every || (keep == Keep::Messages && delivered) {
                self.records.push_back(CostRecord { first: open.first, end, cost });
            }
        }
        self.at_exit = *ledger;
    }

    /// Forget the records of entries whose events are all gone (before `sequence`).
    pub(crate) fn forget_before(&mut self, sequence: u64) {
        while self.records.front().is_some_and(|record| record.end <= sequence) {
            self.records.pop_front();
        }
    }

    /// The entry that logged event `sequence`, if its cost was kept.
    pub fn record_for(&self, sequence: u64) -> Option<&CostRecord> {
        let (older, newer) = self.records.as_slices();
        record_in(newer, sequence).or_else(|| record_in(older, sequence))
    }

    /// Sums over every `int 0x30` since boot.
    pub fn ipc_sums(&self) -> &IpcCostSums {
        &self.ipc
    }

    /// The records kept, oldest first.
    pub fn records(&self) -> impl Iterator<Item = &CostRecord> {
        self.records.iter()
    }
}
