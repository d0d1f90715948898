//! The kernel's self-check, for the property and hostile-task tests: the
//! mapping database is a forest rooted in sigma0 whose children never have
//! more rights than their parents, and every present user page-table entry
//! corresponds to exactly one mapping node (and each node to its entry),
//! mapping the frame of its tree; the I/O mappings keep their rules and
//! their ports are open in their tasks' bitmaps. Read-only; it costs a walk over every
//! address space, so it is for tests, never for the kernel's own paths.

use crate::hardware::Hardware;
use crate::memory::SIGMA0_TASK;
use crate::thread::{NONE, TaskState};
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
}

/// What the audit counted.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct AuditSummary {
    pub nodes: u32,
    pub entries: u32,
}

impl Kernel {
    /// Every ready thread but the running one is in the queue of its
    /// priority, and every queued thread is ready.
    fn audit_scheduler(&self) -> Result<(), AuditError> {
        let mut queued = [false; crate::thread::MAX_THREADS];
        if self.ready.highest_ready != self.ready.highest_in_bitmap() {
            return Err(AuditError::Scheduler { thread: 0 });
        }
        for priority in 0..256usize {
            let mut cursor = self.ready.first[priority];
            let mut steps = 0;
            while cursor != NONE && steps <= crate::thread::MAX_THREADS {
                let tcb = self.threads.tcb(cursor);
                if tcb.state != crate::thread::State::Ready || tcb.priority as usize != priority {
                    return Err(AuditError::Scheduler { thread: tcb.id.raw() });
                }
                queued[cursor as usize] = true;
                cursor = tcb.ready_next;
                steps += 1;
            }
        }
        for (index, tcb) in self.threads.tcbs.iter().enumerate() {
            let running = index as u16 == self.current;
            if tcb.state == crate::thread::State::Ready && !running && !queued[index] {
                return Err(AuditError::Scheduler { thread: tcb.id.raw() });
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

    /// Check the mapping database against every page table.
    pub fn audit<H: Hardware>(&self, hardware: &mut H) -> Result<AuditSummary, AuditError> {
        self.mapping.check_invariants().map_err(AuditError::Tree)?;
        self.audit_scheduler()?;
        self.audit_ports(hardware)?;
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
