//! The event log: kernel events, machine events and console output, each
//! stamped with the cycle count it happened at, in the order they happened.
//!
//! One stream is what the explorer draws from and what `--trace` writes as
//! JSON lines. Kernel events serialise through their line format (the same
//! text the native image prints over the serial port), so the JSON and the
//! serial trace cannot drift apart.

use kernel::KernelEvent;
use machine_model::MachineEvent;
use machine_model::tlb::TlbKind;
use std::fmt::Write as _;

/// Where an event came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Kernel(KernelEvent),
    Machine(MachineEvent),
    /// Text the kernel debugger printed.
    Console(String),
}

/// One entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedEvent {
    /// Position in the whole stream (stays valid when old entries are dropped).
    pub sequence: u64,
    pub cycle: u64,
    /// User instructions retired when it was logged (the explorer seeks by this).
    pub instruction: u64,
    pub source: Source,
}

impl LoggedEvent {
    /// The event's kind (`ipc`, `tlb-fill`, `console` …).
    pub fn kind(&self) -> &'static str {
        match &self.source {
            Source::Kernel(event) => event.kind(),
            Source::Machine(event) => event.kind(),
            Source::Console(_) => "console",
        }
    }

    /// `kernel`, `machine` or `console`.
    pub fn origin(&self) -> &'static str {
        match &self.source {
            Source::Kernel(_) => "kernel",
            Source::Machine(_) => "machine",
            Source::Console(_) => "console",
        }
    }

    /// The event's fields as (name, value) text pairs.
    pub fn fields(&self) -> Vec<(String, String)> {
        match &self.source {
            Source::Kernel(event) => kernel_fields(event),
            Source::Machine(event) => machine_fields(event),
            Source::Console(text) => vec![("text".into(), text.clone())],
        }
    }

    /// One JSON object on one line.
    pub fn to_json(&self) -> String {
        let mut line = String::new();
        let _ = write!(
            line,
            "{{\"sequence\":{},\"cycle\":{},\"instruction\":{},\"origin\":\"{}\",\"kind\":\"{}\"",
            self.sequence,
            self.cycle,
            self.instruction,
            self.origin(),
            self.kind()
        );
        for (name, value) in self.fields() {
            let _ = write!(line, ",\"{}\":", json_escape(&name));
            if name != "text" && is_json_number(&value) {
                line.push_str(&value);
            } else {
                let _ = write!(line, "\"{}\"", json_escape(&value));
            }
        }
        line.push('}');
        line
    }

    /// A readable one-line description.
    pub fn describe(&self) -> String {
        match &self.source {
            Source::Kernel(event) => event.to_string(),
            Source::Console(text) => format!("console {text:?}"),
            Source::Machine(_) => {
                let mut text = self.kind().to_string();
                for (name, value) in self.fields() {
                    let _ = write!(text, " {name}={value}");
                }
                text
            }
        }
    }
}

fn kernel_fields(event: &KernelEvent) -> Vec<(String, String)> {
    let line = event.to_string();
    line.split(' ')
        .skip(1)
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

fn tlb_name(tlb: TlbKind) -> String {
    format!("{tlb:?}").to_lowercase()
}

fn hex(value: u32) -> String {
    format!("{value:#x}")
}

fn machine_fields(event: &MachineEvent) -> Vec<(String, String)> {
    let pairs: Vec<(&str, String)> = match *event {
        MachineEvent::TlbHit { tlb, set, way, linear } => {
            vec![("tlb", tlb_name(tlb)), ("set", set.to_string()), ("way", way.to_string()), ("linear", hex(linear))]
        }
        MachineEvent::TlbMiss { tlb, linear } => vec![("tlb", tlb_name(tlb)), ("linear", hex(linear))],
        MachineEvent::TlbFill { tlb, set, way, linear, physical, evicted_linear } => {
            let mut pairs = vec![
                ("tlb", tlb_name(tlb)),
                ("set", set.to_string()),
                ("way", way.to_string()),
                ("linear", hex(linear)),
                ("physical", hex(physical)),
            ];
            if let Some(evicted) = evicted_linear {
                pairs.push(("evicted", hex(evicted)));
            }
            pairs
        }
        MachineEvent::TlbFlush { entries } => vec![("entries", entries.to_string())],
        MachineEvent::TlbInvalidate { linear, present } => {
            vec![("linear", hex(linear)), ("present", (present as u8).to_string())]
        }
        MachineEvent::PageWalk { linear, directory, table } => {
            let mut pairs = vec![("linear", hex(linear)), ("directory_entry", hex(directory))];
            if let Some(table) = table {
                pairs.push(("table_entry", hex(table)));
            }
            pairs
        }
        MachineEvent::PageFault { linear, error } => vec![("linear", hex(linear)), ("error", hex(error))],
        MachineEvent::SegmentLoad { segment, selector, base, limit } => vec![
            ("segment", ["es", "cs", "ss", "ds", "fs", "gs"].get(segment as usize).unwrap_or(&"?").to_string()),
            ("selector", hex(selector as u32)),
            ("base", hex(base)),
            ("limit", hex(limit)),
        ],
        MachineEvent::KernelEntry { vector, error_code, eip, cycles } => {
            let mut pairs = vec![("vector", hex(vector as u32)), ("eip", hex(eip)), ("cycles", cycles.to_string())];
            if let Some(code) = error_code {
                pairs.push(("error", hex(code)));
            }
            pairs
        }
        MachineEvent::KernelExit { eip, cycles } => vec![("eip", hex(eip)), ("cycles", cycles.to_string())],
        MachineEvent::AddressSpaceSwitch { cr3 } => vec![("cr3", hex(cr3))],
        MachineEvent::PortWrite { port, value, size } | MachineEvent::PortRead { port, value, size } => {
            vec![("port", hex(port as u32)), ("value", hex(value)), ("size", size.to_string())]
        }
        MachineEvent::Exception { vector, error_code, eip } => {
            let mut pairs = vec![("vector", vector.to_string()), ("eip", hex(eip))];
            if let Some(code) = error_code {
                pairs.push(("error", hex(code)));
            }
            pairs
        }
        MachineEvent::InterruptRequest { irq } => vec![("irq", irq.to_string())],
    };
    pairs.into_iter().map(|(name, value)| (name.to_string(), value)).collect()
}

/// A decimal count that JSON can carry as a number (no leading zeros).
fn is_json_number(value: &str) -> bool {
    let digits = value.len() < 16 && !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit());
    digits && (value == "0" || !value.starts_with('0'))
}

fn json_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '"' => escaped.push_str("\\\""),
            '\\' => escaped.push_str("\\\\"),
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            control if (control as u32) < 0x20 => {
                let _ = write!(escaped, "\\u{:04x}", control as u32);
            }
            other => escaped.push(other),
        }
    }
    escaped
}

/// Running counts of kernel events since boot, kept with the log (so a
/// snapshot carries them and forgetting old entries does not lose them):
/// what a lesson's checks count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelCounts {
    pub messages: u64,
    pub space_switches: u64,
    pub small_space_switches: u64,
    pub thread_switches: u64,
    pub page_faults: u64,
    pub maps: u64,
    pub grants: u64,
    pub unmaps: u64,
    /// (from, to) of the last message delivered.
    pub last_message: Option<(u32, u32)>,
    /// Cycles from each `int 0x30` to the `iret` that ends its kernel entry,
    /// summed, and how many (from the machine's events, when it reports them).
    pub ipc_cycles: u64,
    pub ipc_entries: u64,
    /// The cycle of the `int 0x30` whose kernel entry is under way.
    pub open_ipc_entry: Option<u64>,
    /// TLB misses the machine reported.
    pub tlb_misses: u64,
}

impl KernelCounts {
    /// Counted as the event is logged, before a bounded log may drop it:
    /// so the figures do not depend on how a run was sliced.
    fn count_machine(&mut self, cycle: u64, event: &MachineEvent) {
        match *event {
            MachineEvent::KernelEntry { vector: 0x30, .. } => self.open_ipc_entry = Some(cycle),
            MachineEvent::KernelExit { cycles, .. } => {
                if let Some(started) = self.open_ipc_entry.take() {
                    self.ipc_cycles += cycle + cycles as u64 - started;
                    self.ipc_entries += 1;
                }
            }
            MachineEvent::TlbMiss { .. } => self.tlb_misses += 1,
            _ => {}
        }
    }

    fn count(&mut self, event: &kernel::KernelEvent) {
        use kernel::KernelEvent;
        match *event {
            KernelEvent::Ipc { from, to, .. } => {
                self.messages += 1;
                self.last_message = Some((from.raw(), to.raw()));
            }
            KernelEvent::SpaceSwitch { .. } => self.space_switches += 1,
            KernelEvent::SmallSpace { .. } => self.small_space_switches += 1,
            KernelEvent::ThreadSwitch { .. } => self.thread_switches += 1,
            KernelEvent::PageFault { .. } => self.page_faults += 1,
            KernelEvent::Map { grant: false, .. } => self.maps += 1,
            KernelEvent::Map { grant: true, .. } => self.grants += 1,
            KernelEvent::Unmap { .. } => self.unmaps += 1,
            _ => {}
        }
    }
}

/// The log, with an optional bound on how many entries it keeps.
#[derive(Clone, Debug, Default)]
pub struct EventLog {
    entries: std::collections::VecDeque<LoggedEvent>,
    next_sequence: u64,
    /// Keep at most this many entries (the oldest go first); 0 = unbounded.
    pub capacity: usize,
    counts: KernelCounts,
    /// What each kernel entry cost, part by part.
    costs: crate::entry_costs::EntryCosts,
    /// Which kernel entries' costs to keep, for as long as their events:
    /// those that delivered a message (the explorer's Costs view), or every
    /// one (`cargo xtask bench paper`'s null calls). None by default: an
    /// unbounded log would keep them all.
    pub keep_entry_costs: crate::entry_costs::Keep,
}

impl EventLog {
    /// Counts of kernel events since boot.
    pub fn counts(&self) -> &KernelCounts {
        &self.counts
    }

    /// What each kernel entry cost (the IPCs' sums, the records of those
    /// whose events the log still holds).
    pub fn entry_costs(&self) -> &crate::entry_costs::EntryCosts {
        &self.costs
    }

    /// A kernel entry began at cycle `started`; its events from `first` on.
    pub(crate) fn entry_opened(&mut self, vector: u8, started: u64, first: u64) {
        self.costs.opened(vector, started, first, self.counts.messages);
    }

    /// The kernel charged `path` in the entry under way.
    pub(crate) fn entry_charged(&mut self, path: kernel::cost::Path) {
        self.costs.charged(path);
    }

    /// The CPU is back in user mode at `cycles`, the machine's ledger at `ledger`.
    pub(crate) fn entry_closed(&mut self, ledger: &machine_model::Ledger, cycles: u64) {
        self.costs.closed(ledger, cycles, self.next_sequence, self.counts.messages, self.keep_entry_costs);
    }

    pub fn push(&mut self, cycle: u64, instruction: u64, source: Source) {
        match &source {
            Source::Kernel(event) => self.counts.count(event),
            Source::Machine(event) => self.counts.count_machine(cycle, event),
            Source::Console(_) => {}
        }
        if self.capacity != 0 && self.entries.len() >= self.capacity {
            self.entries.pop_front();
            if let Some(front) = self.entries.front() {
                self.costs.forget_before(front.sequence);
            }
        }
        self.entries.push_back(LoggedEvent { sequence: self.next_sequence, cycle, instruction, source });
        self.next_sequence += 1;
    }

    /// Console output, merged into the previous console entry while no other
    /// event came between (one entry per line of output at most).
    pub fn push_console(&mut self, cycle: u64, instruction: u64, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes).into_owned();
        if let Some(LoggedEvent { source: Source::Console(previous), .. }) = self.entries.back_mut()
            && !previous.ends_with('\n')
        {
            previous.push_str(&text);
            return;
        }
        self.push(cycle, instruction, Source::Console(text));
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// Entries in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &LoggedEvent> + ExactSizeIterator {
        self.entries.iter()
    }
    /// The sequence number the next entry will get.
    pub fn next_sequence(&self) -> u64 {
        self.next_sequence
    }
    /// Entries with a sequence number ≥ `sequence`.
    pub fn since(&self, sequence: u64) -> impl Iterator<Item = &LoggedEvent> {
        let first = self.entries.front().map_or(0, |entry| entry.sequence);
        let skip = sequence.saturating_sub(first) as usize;
        self.entries.iter().skip(skip)
    }
    /// Take the entries with a sequence number ≥ `sequence` out of the log
    /// (what `since` would show, moved rather than copied); the older ones
    /// are dropped. The entry costs stay until `forget_before`.
    pub fn take_since(&mut self, sequence: u64) -> Vec<LoggedEvent> {
        let first = self.entries.front().map_or(0, |entry| entry.sequence);
        let skip = (sequence.saturating_sub(first) as usize).min(self.entries.len());
        self.entries.drain(..skip);
        self.entries.drain(..).collect()
    }
    /// Drop everything before `sequence` (after writing it out, say).
    pub fn forget_before(&mut self, sequence: u64) {
        while self.entries.front().is_some_and(|entry| entry.sequence < sequence) {
            self.entries.pop_front();
        }
        self.costs.forget_before(sequence);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_since_moves_the_newer_entries_out_and_drops_the_older() {
        let mut log = EventLog::default();
        for text in ["a", "b", "c", "d"] {
            log.push(0, 0, Source::Console(text.to_string()));
        }
        let taken = log.take_since(2);
        let texts: Vec<String> = taken.iter().map(LoggedEvent::describe).collect();
        assert_eq!(texts, ["console \"c\"", "console \"d\""]);
        assert_eq!(taken[0].sequence, 2);
        assert_eq!(log.since(0).count(), 0, "nothing stays behind");
        // The numbering goes on, and a position beyond the end takes nothing.
        log.push(0, 0, Source::Console("e".to_string()));
        assert_eq!(log.take_since(10).len(), 0);
        assert_eq!(log.next_sequence(), 5);
    }
}
