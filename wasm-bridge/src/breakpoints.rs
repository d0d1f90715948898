//! Breakpoints: on an instruction, on the next kernel event of a kind (from
//! a thread, to a thread, of a frame), and on data — a watchpoint stops a
//! run when an instruction, or the kernel copying a message for one, reads
//! or writes watched memory. Watchpoints use the model's debugger hooks,
//! which watch the physical cells (whatever mapping reaches them) and cost
//! no modelled cycle.

use crate::session::Session;
use crate::view::EventView;
use sim::model::{WatchHit, WatchKind, Watchpoint};

/// Where to stop while running.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Breakpoint {
    /// Before the instruction at this user address executes.
    Address(u32),
    /// At the next kernel event of `kind` (e.g. "unmap", "ipc", "tlb-flush"),
    /// optionally from (or of) a thread, to a thread, of a frame. Threads
    /// are matched by task and thread number (not version or chief).
    Event { kind: String, thread: Option<u32>, to: Option<u32>, frame: Option<u32> },
    /// When an instruction (or the kernel on its behalf) reads or writes
    /// `length` bytes at `address` in `task`'s space: the memory cells
    /// themselves, found through the page tables when it was set.
    Watch { task: u32, address: u32, length: u32, kind: WatchKind, pieces: Vec<Watchpoint> },
}

/// A thread id's (task, lthread), or the id itself for interrupt senders.
fn thread_key(raw: u32) -> (u32, u32) {
    if raw <= 16 { (raw, u32::MAX) } else { ((raw >> 16) & 0xFF, (raw >> 10) & 0x3F) }
}

pub(crate) fn same_thread(left: u32, right: u32) -> bool {
    thread_key(left) == thread_key(right)
}

impl Breakpoint {
    /// In words, with the threads' names.
    pub fn describe(&self, names: &sim::ThreadNames) -> String {
        match self {
            Breakpoint::Address(address) => format!("instruction at {address:#010x}"),
            Breakpoint::Watch { task, address, length, kind, .. } => format!(
                "{} of {length} byte{} at {address:#010x} in {}'s space",
                match kind {
                    WatchKind::Write => "a write",
                    WatchKind::Read => "a read",
                    WatchKind::Access => "a read or write",
                },
                if *length == 1 { "" } else { "s" },
                u8::try_from(*task).map_or_else(|_| format!("task {task}"), |task| names.task(task))
            ),
            Breakpoint::Event { kind, thread, to, frame } => {
                let mut text = format!("next {kind}");
                if let Some(thread) = thread {
                    text.push_str(&format!(" from {}", names.thread(*thread)));
                }
                if let Some(to) = to {
                    text.push_str(&format!(" to {}", names.thread(*to)));
                }
                if let Some(frame) = frame {
                    text.push_str(&format!(" of frame {frame:#x}"));
                }
                text
            }
        }
    }

    pub(crate) fn matches(&self, event: &EventView) -> bool {
        match self {
            Breakpoint::Address(_) | Breakpoint::Watch { .. } => false,
            Breakpoint::Event { kind, thread, to, frame } => {
                // With two threads (ipc, map, switch) the first is the source.
                let source_matches = |thread: u32| match event.threads.as_slice() {
                    [from, _] => same_thread(*from, thread),
                    threads => threads.iter().any(|known| same_thread(*known, thread)),
                };
                event.kind == kind.as_str()
                    && thread.is_none_or(source_matches)
                    && to.is_none_or(|to| event.threads.get(1).is_some_and(|known| same_thread(*known, to)))
                    && frame.is_none_or(|frame| event.frame == Some(frame & !0xFFF))
            }
        }
    }
}

impl Session {
    pub fn add_breakpoint(&mut self, breakpoint: Breakpoint) -> u32 {
        let id = self.next_breakpoint;
        self.next_breakpoint += 1;
        self.breakpoints.push((id, breakpoint));
        id
    }

    pub fn remove_breakpoint(&mut self, id: u32) {
        self.breakpoints.retain(|(existing, _)| *existing != id);
        self.arm_watchpoints();
    }

    /// Watch `length` bytes at `address` in `task`'s space for `kind` of
    /// access. The address must be mapped now: the cells it reaches are
    /// what is watched.
    pub fn add_watchpoint(&mut self, task: u32, address: u32, length: u32, kind: WatchKind) -> Result<u32, String> {
        let length = length.clamp(1, 4096);
        let system = self.system();
        let directory = system
            .kernel()
            .task_summaries()
            .find(|summary| summary.number as u32 == task)
            .map(|summary| summary.directory)
            .filter(|directory| *directory != 0);
        let name = u8::try_from(task).map_or_else(|_| format!("task {task}"), |task| system.thread_names().task(task));
        let Some(directory) = directory else {
            return Err(format!("{name} has no address space now: nothing to watch"));
        };
        let mut pieces = Vec::new();
        let mut at = address as u64;
        let end = address as u64 + length as u64;
        while at < end {
            let piece_end = (((at >> 12) + 1) << 12).min(end);
            let translation = system.walk(directory, at as u32).ok_or_else(|| {
                format!("{:#010x} is not mapped in {name}'s space yet: watch it once it is", at as u32)
            })?;
            pieces.push(Watchpoint { physical: translation.physical, length: (piece_end - at) as u32, kind });
            at = piece_end;
        }
        let id = self.add_breakpoint(Breakpoint::Watch { task, address, length, kind, pieces });
        self.arm_watchpoints();
        Ok(id)
    }

    /// Tell the machine which cells to watch.
    pub(crate) fn arm_watchpoints(&mut self) {
        let pieces: Vec<Watchpoint> = self
            .breakpoints
            .iter()
            .flat_map(|(_, breakpoint)| match breakpoint {
                Breakpoint::Watch { pieces, .. } => pieces.clone(),
                _ => Vec::new(),
            })
            .collect();
        self.system.set_watchpoints(&pieces);
    }

    /// A watchpoint's hit, in words.
    pub(crate) fn describe_watch_hit(&self, hit: &WatchHit) -> String {
        let names = self.system.thread_names();
        let what = if hit.write { "wrote" } else { "read" };
        let plural = if hit.size == 1 { "" } else { "s" };
        let thread = names.thread(self.system.kernel().current_thread().raw());
        if hit.by_kernel {
            format!(
                "watchpoint: the kernel {what} {} byte{plural} at physical {:#010x} (a message copied for {thread})",
                hit.size, hit.physical
            )
        } else {
            format!(
                "watchpoint: the instruction at {:#010x} in {thread} {what} {} byte{plural} at {:#010x}",
                hit.eip, hit.size, hit.linear
            )
        }
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
}
