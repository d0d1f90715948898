//! The kernel's self-check, for the property and hostile-task tests: the
//! mapping database is a forest rooted in sigma0 whose children never have
//! more rights than their parents, and every present user page-table entry
//! corresponds to exactly one mapping node (and each node to its entry),
//! mapping the frame of its tree; the I/O mappings keep their rules and
//! their ports are open in their tasks' bitmaps; every thread is in exactly
//! the queues its state calls for (a ready queue, one sender queue, the
//! timeout list), the timeout list is in time order, both parties of a
//! transfer stalled on a page fault are still in it together, and small-space
//! ids and the loaded segment window are what the IPC fast path assumes. Read-only; it costs
//! a walk over every address space, so it is for tests and the native
//! image's `audit` option, never for the kernel's own paths.
//!
//! The queue rules are checked here, over the whole table, because a thread
//! left in a queue it no longer belongs to breaks nothing at once: the
//! damage comes later (a freed TCB woken by a stale timeout, a sender served
//! twice), far from the call that caused it. The hostile-task soak audits
//! often enough to name that call.

use crate::hardware::Hardware;
use crate::memory::SIGMA0_TASK;
use crate::thread::{MAX_THREADS, NONE, State, TaskState, flag};
use crate::{Kernel, layout, space};
use ia32::paging::Entry;
use ia32::{PAGE_SIZE, PhysAddr};

/// What went wrong, with enough to find it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AuditError {
    /// A rule of the tree itself (`MappingDatabase::check_invariants`).
    Tree(&'static str),
    /// A tree whose root is not a mapping of sigma0's.
    RootOutsideSigma0 { node: u16, task: u8 },
    /// A present user entry without a node (or with a node for another page).
    EntryWithoutNode { task: u8, address: u32 },
    /// A node whose page-table entry is missing or names another node.
    NodeWithoutEntry { node: u16, task: u8, address: u32 },
    /// An entry's write right differs from its node's.
    RightsDiffer { task: u8, address: u32 },
    /// A mapping of a frame other than its tree's.
    WrongFrame { task: u8, address: u32, frame: u32, tree_frame: u32 },
    /// A ready thread that is neither running nor in its ready queue (it
    /// would never run again), or a queued thread that is not ready.
    Scheduler { thread: u32 },
    /// A rule of the I/O mapping database, or a bitmap that does not open
    /// the ports a task's I/O mappings hold.
    Io(&'static str),
    /// A queue rule (ready queues, sender queues) broken by `thread` (for
    /// a rule of a whole ready queue: its priority).
    Queue { thread: u32, rule: &'static str },
    /// The parties of a stalled transfer that do not know each other:
    /// each one's state (as `State`'s number), flags and transfer partner
    /// (a TCB index), to tell how the link broke.
    Transfer {
        thread: u32,
        state: u8,
        flags: u8,
        partner: u32,
        partner_state: u8,
        partner_flags: u8,
        partner_points_to: u16,
    },
    /// A rule of the timeout list broken at `thread`.
    Timeouts { thread: u32, rule: &'static str },
    /// A rule of the small spaces broken by `task` (0: the loaded window).
    SmallSpaces { task: u8, rule: &'static str },
}

/// What the audit counted.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct AuditSummary {
    pub nodes: u32,
    pub entries: u32,
}

impl Kernel {
    /// Every ready thread but the running one is in the queue of its
    /// priority, exactly once, and every queued thread is ready; the
    /// highest ready priority kept at hand is the bitmap's.
    fn audit_scheduler(&self) -> Result<[bool; MAX_THREADS], AuditError> {
        let mut queued = [false; MAX_THREADS];
        if self.ready.highest_ready != self.ready.highest_in_bitmap() {
            return Err(AuditError::Scheduler { thread: 0 });
        }
        for priority in 0..256usize {
            let mut cursor = self.ready.first[priority];
            let mut previous = NONE;
            while cursor != NONE {
                let tcb = self.threads.tcb(cursor);
                if tcb.state != State::Ready || tcb.priority as usize != priority {
                    return Err(AuditError::Scheduler { thread: tcb.id.raw() });
                }
                if queued[cursor as usize] {
                    return Err(AuditError::Queue {
                        thread: tcb.id.raw(),
                        rule: "a thread is in the ready queues twice",
                    });
                }
                if tcb.ready_previous != previous {
                    return Err(AuditError::Queue { thread: tcb.id.raw(), rule: "ready queue links disagree" });
                }
                queued[cursor as usize] = true;
                previous = cursor;
                cursor = tcb.ready_next;
            }
            if self.ready.last[priority] != previous {
                return Err(AuditError::Queue {
                    thread: priority as u32,
                    rule: "a ready queue's last thread is wrong",
                });
            }
            let marked = self.ready.present[priority / 32] & (1 << (priority % 32)) != 0;
            if marked != (self.ready.first[priority] != NONE) {
                return Err(AuditError::Queue {
                    thread: priority as u32,
                    rule: "the ready bitmap disagrees with a queue",
                });
            }
        }
        for (index, tcb) in self.threads.tcbs.iter().enumerate() {
            let running = index as u16 == self.current;
            if tcb.state == State::Ready && !running && !queued[index] {
                return Err(AuditError::Scheduler { thread: tcb.id.raw() });
            }
        }
        Ok(queued)
    }

    /// What the fast paths rely on without asking (`fastpath.rs`,
    /// `fault_fastpath.rs` and the assembly in `native-boot`): while a
    /// thread runs, it is ready (so an IPC to itself finds no waiting
    /// receiver), and no segment reload, handoff or change of space is
    /// left for an exit (every exit to a user thread takes them, and
    /// nothing sets them between entries). A preemption may be: a
    /// handoff leaves `preemption_due` as it was (`choose_next`), so
    /// `fast_id_nearest` still asks.
    fn audit_between_entries(&self) -> Result<(), AuditError> {
        if self.stop.is_some() || self.current == NONE {
            return Ok(());
        }
        let rule = if self.threads.tcb(self.current).state != State::Ready {
            "the running thread is not ready"
        } else if self.reload_segments {
            "a segment reload is pending while a thread runs"
        } else if self.handoff != NONE {
            "a handoff is pending while a thread runs"
        } else if self.space_changed {
            "a change of space is pending while a thread runs"
        } else {
            return Ok(());
        };
        Err(AuditError::Queue { thread: self.threads.tcb(self.current).id.raw(), rule })
    }

    /// Every sender queue is a consistent list of threads in use, no thread
    /// is in two of them (or in one and a ready queue), and every thread
    /// blocked in its send phase waits in its receiver's queue.
    fn audit_sender_queues(&self, ready: &[bool; MAX_THREADS]) -> Result<(), AuditError> {
        let mut queued_at = [NONE; MAX_THREADS];
        for (receiver, owner) in self.threads.tcbs.iter().enumerate() {
            let mut cursor = owner.senders_first;
            let mut previous = NONE;
            while cursor != NONE {
                let tcb = self.threads.tcb(cursor);
                let fail = |rule| Err(AuditError::Queue { thread: tcb.id.raw(), rule });
                if !owner.in_use() || !tcb.in_use() {
                    return fail("a sender queue holds a free thread or belongs to one");
                }
                if queued_at[cursor as usize] != NONE {
                    return fail("a thread is in two sender queues, or twice in one");
                }
                if tcb.sender_previous != previous {
                    return fail("sender queue links disagree");
                }
                if ready[cursor as usize] {
                    return fail("a queued sender is also in a ready queue");
                }
                queued_at[cursor as usize] = receiver as u16;
                previous = cursor;
                cursor = tcb.sender_next;
            }
            if owner.senders_last != previous {
                return Err(AuditError::Queue {
                    thread: owner.id.raw(),
                    rule: "a sender queue's last thread is wrong",
                });
            }
        }
        for (index, tcb) in self.threads.tcbs.iter().enumerate() {
            let waiting_to_send = tcb.state == State::Sending && tcb.flags & flag::RECEIVE_PHASE == 0;
            if waiting_to_send && queued_at[index] == NONE {
                return Err(AuditError::Queue { thread: tcb.id.raw(), rule: "a blocked sender is in no sender queue" });
            }
            if queued_at[index] == NONE && (tcb.sender_next != NONE || tcb.sender_previous != NONE) {
                return Err(AuditError::Queue {
                    thread: tcb.id.raw(),
                    rule: "a thread outside every sender queue keeps links",
                });
            }
        }
        Ok(())
    }

    /// Both parties of a transfer stalled on a page fault know each other:
    /// the one waiting points at the faulting one, which is still in that
    /// transfer's fault and points back. A waiting party whose partner has
    /// left would wait forever — nothing else wakes it.
    fn audit_transfers(&self) -> Result<(), AuditError> {
        let in_fault = flag::TRANSFER_AS_SENDER | flag::TRANSFER_AS_RECEIVER;
        for tcb in self.threads.tcbs.iter().filter(|tcb| tcb.in_use()) {
            let fail = |rule| Err(AuditError::Queue { thread: tcb.id.raw(), rule });
            let waiting = tcb.flags & flag::TRANSFER_WAITING != 0;
            if !waiting && tcb.flags & in_fault == 0 {
                continue;
            }
            if !matches!(tcb.state, State::Sending | State::Receiving) {
                return fail("a thread in a stalled transfer is not blocked in an IPC");
            }
            let partner = tcb.transfer_partner;
            if partner == NONE {
                if waiting {
                    return fail("a thread waits for a stalled transfer without a partner");
                }
                continue;
            }
            let other = self.threads.tcbs.get(partner as usize);
            let Some(other) = other.filter(|other| other.in_use()) else {
                return fail("a stalled transfer's partner is a free TCB");
            };
            let points_back =
                self.threads.tcbs.get(other.transfer_partner as usize).is_some_and(|back| back.id == tcb.id);
            let consistent =
                if waiting { other.flags & in_fault != 0 } else { other.flags & flag::TRANSFER_WAITING != 0 };
            if !points_back || !consistent || !matches!(other.state, State::Sending | State::Receiving) {
                return Err(AuditError::Transfer {
                    thread: tcb.id.raw(),
                    state: tcb.state as u8,
                    flags: tcb.flags,
                    partner: other.id.raw(),
                    partner_state: other.state as u8,
                    partner_flags: other.flags,
                    partner_points_to: other.transfer_partner,
                });
            }
        }
        Ok(())
    }

    /// The timeout list holds exactly the threads with a wakeup time, each
    /// once, in time order, and each of them is blocked.
    fn audit_timeouts(&self) -> Result<(), AuditError> {
        let mut listed = [false; MAX_THREADS];
        let mut cursor = self.wakeups;
        let mut previous = NONE;
        let mut last_time = 0u64;
        while cursor != NONE {
            let tcb = self.threads.tcb(cursor);
            let fail = |rule| Err(AuditError::Timeouts { thread: tcb.id.raw(), rule });
            if listed[cursor as usize] {
                return fail("a thread is in the timeout list twice (or the list loops)");
            }
            if !tcb.in_use() || tcb.wakeup == 0 {
                return fail("the timeout list holds a thread without a timeout");
            }
            if tcb.wakeup < last_time {
                return fail("the timeout list is out of time order");
            }
            if tcb.wakeup_previous != previous {
                return fail("timeout list links disagree");
            }
            if tcb.state == State::Ready {
                return fail("a ready thread waits for a timeout");
            }
            listed[cursor as usize] = true;
            last_time = tcb.wakeup;
            previous = cursor;
            cursor = tcb.wakeup_next;
        }
        for (index, tcb) in self.threads.tcbs.iter().enumerate() {
            if tcb.wakeup != 0 && !listed[index] {
                return Err(AuditError::Timeouts {
                    thread: tcb.id.raw(),
                    rule: "a thread with a timeout is not in the list",
                });
            }
        }
        Ok(())
    }

    /// The I/O mapping database keeps its rules, and every I/O mapping's
    /// ports are open in its task's bitmap (none of them the kernel's).
    fn audit_ports<H: Hardware>(&self, hardware: &mut H) -> Result<(), AuditError> {
        self.io_mappings.check_invariants().map_err(AuditError::Io)?;
        for (_, node) in self.io_mappings.nodes() {
            let task = &self.threads.tasks[node.task as usize];
            if task.state != TaskState::Active || task.io_bitmap == 0 {
                return Err(AuditError::Io("an I/O mapping of a task without an I/O bitmap"));
            }
            let (low, high) = node.range();
            if !self.bitmap_allows(hardware, node.task, low, high - low) {
                return Err(AuditError::Io("an I/O mapping's ports are closed in its task's bitmap"));
            }
        }
        Ok(())
    }

    /// What the IPC fast path's assembly relies on when it reads the small
    /// spaces without the configuration (`native-boot`'s `fastpath.rs`): a
    /// task's small-space id is 0, or small spaces are on and the id has a
    /// window; the loaded window is the large one (base 0) or a small one
    /// (base in the small-space area, far above any id).
    fn audit_small_spaces(&self) -> Result<(), AuditError> {
        for (task, entry) in self.threads.tasks.iter().enumerate() {
            if entry.small != 0
                && (!self.config.small_spaces || ia32::abi::SmallSpaceId(entry.small).window().is_none())
            {
                return Err(AuditError::SmallSpaces {
                    task: task as u8,
                    rule: "a small-space id without small spaces on, or without a window",
                });
            }
        }
        let window = self.loaded_window;
        if window != layout::SegmentWindow::LARGE && window.base < layout::SMALL_SPACE_AREA {
            return Err(AuditError::SmallSpaces { task: 0, rule: "a loaded window outside the small-space area" });
        }
        Ok(())
    }

    /// Check the mapping database against every page table.
    pub fn audit<H: Hardware>(&self, hardware: &mut H) -> Result<AuditSummary, AuditError> {
        self.mapping.check_invariants().map_err(AuditError::Tree)?;
        let ready = self.audit_scheduler()?;
        self.audit_sender_queues(&ready)?;
        self.audit_timeouts()?;
        self.audit_transfers()?;
        self.audit_ports(hardware)?;
        self.audit_small_spaces()?;
        self.audit_between_entries()?;
        let mut summary = AuditSummary::default();
        for (index, node) in self.mapping.nodes() {
            summary.nodes += 1;
            if node.parent == NONE && node.task() != SIGMA0_TASK {
                return Err(AuditError::RootOutsideSigma0 { node: index, task: node.task() });
            }
            // The node's own entry must exist, be present and name it.
            let directory = self.directory_of(node.task());
            let slot =
                directory.and_then(|directory| self.spaces.slot(hardware, directory, ia32::VirtAddr(node.address())));
            let error = AuditError::NodeWithoutEntry { node: index, task: node.task(), address: node.address() };
            let slot = slot.ok_or(error)?;
            let entry = Entry(hardware.read_physical_u32(slot.entry));
            if !space::present(entry.raw()) || space::read_node(hardware, slot) != index || slot.large != node.large() {
                return Err(error);
            }
            if entry.is_writable() != node.writable() {
                return Err(AuditError::RightsDiffer { task: node.task(), address: node.address() });
            }
            // Its frame is its tree's (inside it, for a 4 KB piece of a 4 MB root).
            let frame = if slot.large { entry.large_address().value() } else { entry.address().value() };
            let root = self.mapping.root(index);
            if root != index {
                let root_node = self.mapping.node(root);
                let root_slot = self
                    .directory_of(root_node.task())
                    .and_then(|directory| self.spaces.slot(hardware, directory, ia32::VirtAddr(root_node.address())))
                    .ok_or(AuditError::NodeWithoutEntry {
                        node: root,
                        task: root_node.task(),
                        address: root_node.address(),
                    })?;
                let root_entry = Entry(hardware.read_physical_u32(root_slot.entry));
                let tree_frame =
                    if root_slot.large { root_entry.large_address().value() } else { root_entry.address().value() };
                let inside = if root_slot.large && !slot.large {
                    frame >= tree_frame && frame < tree_frame + (1 << 22)
                } else {
                    frame == tree_frame
                };
                if !inside {
                    return Err(AuditError::WrongFrame {
                        task: node.task(),
                        address: node.address(),
                        frame,
                        tree_frame,
                    });
                }
            }
        }
        // Every present user entry below the small-space area has its node.
        for (number, task) in self.threads.tasks.iter().enumerate() {
            if task.state != TaskState::Active || task.directory == 0 {
                continue;
            }
            let directory = PhysAddr(task.directory);
            for directory_index in 0..(layout::USER_LIMIT >> 22) {
                let directory_entry = Entry(hardware.read_physical_u32(directory.offset(directory_index * 4)));
                if !directory_entry.is_present() {
                    continue;
                }
                let base = directory_index << 22;
                let addresses: &mut dyn Iterator<Item = u32> = if directory_entry.is_large() {
                    &mut core::iter::once(base)
                } else {
                    &mut (0..1024u32).map(move |table_index| base + table_index * PAGE_SIZE)
                };
                for address in addresses {
                    let Some(slot) = self.spaces.slot(hardware, directory, ia32::VirtAddr(address)) else { continue };
                    let entry = hardware.read_physical_u32(slot.entry);
                    if !space::present(entry) {
                        continue;
                    }
                    summary.entries += 1;
                    let node = space::read_node(hardware, slot);
                    let valid = self.mapping.valid(node)
                        && self.mapping.node(node).task() == number as u8
                        && self.mapping.node(node).address() == address;
                    if !valid {
                        return Err(AuditError::EntryWithoutNode { task: number as u8, address });
                    }
                }
            }
        }
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::AuditError;
    use crate::Kernel;
    use crate::layout::SegmentWindow;
    use crate::thread::State;
    use std::boxed::Box;

    /// The rules the IPC fast path's assembly relies on for small spaces
    /// fail the audit when broken. (The kernel is ~2 MB: built on a thread
    /// with a stack for it.)
    #[test]
    fn small_space_ids_and_the_loaded_window_are_audited() {
        let run = || {
            let mut kernel = Box::new(Kernel::new());
            kernel.config.small_spaces = false;
            assert_eq!(kernel.audit_small_spaces(), Ok(()));
            kernel.threads.tasks[5].small = 2;
            let broken = kernel.audit_small_spaces();
            assert!(matches!(broken, Err(AuditError::SmallSpaces { task: 5, .. })), "small spaces off: {broken:?}");
            kernel.config.small_spaces = true;
            assert_eq!(kernel.audit_small_spaces(), Ok(()));
            kernel.threads.tasks[5].small = 0x80;
            assert!(kernel.audit_small_spaces().is_err(), "an id without a window");
            kernel.threads.tasks[5].small = 0;
            kernel.loaded_window = SegmentWindow { base: 0x1000, size: 4 << 20 };
            assert!(matches!(kernel.audit_small_spaces(), Err(AuditError::SmallSpaces { task: 0, .. })));
        };
        std::thread::Builder::new().stack_size(64 << 20).spawn(run).unwrap().join().unwrap();
    }

    /// What the fast paths take for granted between entries fails the
    /// audit when broken: a running thread that is not ready, or work left
    /// for an exit.
    #[test]
    fn work_left_for_an_exit_is_audited() {
        let run = || {
            let mut kernel = Box::new(Kernel::new());
            let id = ia32::abi::ThreadId(0x0405_0001);
            let index = kernel.threads.allocate(id).unwrap();
            kernel.threads.tcb_mut(index).state = State::Ready;
            kernel.current = index;
            assert_eq!(kernel.audit_between_entries(), Ok(()));
            kernel.threads.tcb_mut(index).state = State::Receiving;
            let broken = kernel.audit_between_entries();
            assert!(matches!(broken, Err(AuditError::Queue { thread: 0x0405_0001, .. })), "{broken:?}");
            kernel.threads.tcb_mut(index).state = State::Ready;
            for leave in [
                |kernel: &mut Kernel| kernel.reload_segments = true,
                |kernel: &mut Kernel| kernel.handoff = 0,
                |kernel: &mut Kernel| kernel.space_changed = true,
            ] {
                let mut left = kernel.clone();
                leave(&mut left);
                assert!(left.audit_between_entries().is_err(), "{:?}", left.audit_between_entries());
            }
            // A preemption may be left due (a handoff does), and nothing is
            // asked while no thread runs.
            kernel.preemption_due = true;
            assert_eq!(kernel.audit_between_entries(), Ok(()));
            kernel.reload_segments = true;
            kernel.current = crate::thread::NONE;
            assert_eq!(kernel.audit_between_entries(), Ok(()));
        };
        std::thread::Builder::new().stack_size(64 << 20).spawn(run).unwrap().join().unwrap();
    }
}
