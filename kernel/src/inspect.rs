//! Read-only views of the kernel's state, for the explorer and the tests.
//! Nothing here changes the kernel; everything is copied out — except
//! [`Kernel::set_saved_registers`], the one write a debugger attached to
//! the machine needs (gdb on the model), kept here beside its read.

use crate::Kernel;
use crate::thread::{Frame, NONE, State, register};
use ia32::abi::ThreadId;

/// One thread, as the explorer shows it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ThreadSummary {
    pub id: ThreadId,
    pub state: State,
    pub priority: u8,
    /// The IPC partner while blocked (`thread::OPEN` for an open receive).
    pub partner: ThreadId,
    pub pager: ThreadId,
    pub eip: u32,
    pub esp: u32,
    /// Threads queued to send to this one.
    pub senders: u32,
    /// `thread::flag` bits (page-fault IPC, transfer in progress …).
    pub flags: u8,
    /// Time used, in µs.
    pub cpu_time: u64,
    /// Whether it is the one running.
    pub running: bool,
}

impl Kernel {
    /// Every thread that exists, in TCB order.
    pub fn thread_summaries(&self) -> impl Iterator<Item = ThreadSummary> + '_ {
        self.threads.tcbs.iter().enumerate().filter(|(_, tcb)| tcb.in_use()).map(|(index, tcb)| {
            let mut senders = 0;
            let mut cursor = tcb.senders_first;
            while cursor != NONE && senders < crate::thread::MAX_THREADS as u32 {
                senders += 1;
                cursor = self.threads.tcb(cursor).sender_next;
            }
            ThreadSummary {
                id: tcb.id,
                state: tcb.state,
                priority: tcb.priority,
                partner: tcb.partner,
                pager: tcb.pager,
                eip: tcb.frame.eip,
                esp: tcb.frame.get(register::ESP),
                senders,
                flags: tcb.flags,
                cpu_time: tcb.cpu_time,
                running: index as u16 == self.current,
            }
        })
    }

    /// The thread with `id`, if it exists.
    pub fn thread_summary(&self, id: ThreadId) -> Option<ThreadSummary> {
        self.thread_summaries().find(|summary| summary.id == id)
    }

    /// The registers saved for thread `id` when it last entered the kernel.
    /// While it runs, the CPU holds its live registers, not these.
    pub fn saved_registers(&self, id: ThreadId) -> Option<Frame> {
        self.threads.find(id).map(|index| self.threads.tcb(index).frame)
    }

    /// Replace the saved registers of thread `id` (not the running one,
    /// whose registers are the CPU's): what it resumes with. The way back
    /// to user mode keeps only the EFLAGS bits user code may hold, as for
    /// any frame. Returns whether the thread exists.
    pub fn set_saved_registers(&mut self, id: ThreadId, frame: Frame) -> bool {
        match self.threads.find(id) {
            Some(index) => {
                self.threads.tcb_mut(index).frame = frame;
                true
            }
            None => false,
        }
    }

    /// Threads in the state `state`.
    pub fn count_threads(&self, state: State) -> usize {
        self.threads.tcbs.iter().filter(|tcb| tcb.state == state).count()
    }
}

/// One address space (task), as the explorer shows it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TaskSummary {
    pub number: u8,
    pub id: ThreadId,
    pub chief: u8,
    pub mcp: u8,
    /// Small-space id (0: large).
    pub small: u8,
    /// Physical address of its page directory.
    pub directory: u32,
    pub threads: u32,
}

/// One mapping node.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct MappingSummary {
    pub index: u16,
    /// The parent's index (`thread::NONE` for a root: sigma0's mapping).
    pub parent: u16,
    pub task: u8,
    pub address: u32,
    pub writable: bool,
    pub large: bool,
}

impl Kernel {
    /// Every active task.
    pub fn task_summaries(&self) -> impl Iterator<Item = TaskSummary> + '_ {
        self.threads.tasks.iter().enumerate().filter(|(_, task)| task.state == crate::thread::TaskState::Active).map(
            |(number, task)| TaskSummary {
                number: number as u8,
                id: task.id,
                chief: task.chief,
                mcp: task.mcp,
                small: task.small,
                directory: task.directory,
                threads: task.threads,
            },
        )
    }

    /// Every node of the mapping database, in index order.
    pub fn mapping_summaries(&self) -> impl Iterator<Item = MappingSummary> + '_ {
        self.mapping.nodes().map(|(index, node)| MappingSummary {
            index,
            parent: node.parent,
            task: node.task(),
            address: node.address(),
            writable: node.writable(),
            large: node.large(),
        })
    }

    /// The physical address of the loaded page directory (CR3).
    pub fn loaded_directory(&self) -> u32 {
        self.loaded_directory
    }

    /// Microseconds since boot, as the kernel counts them.
    pub fn clock_microseconds(&self) -> u64 {
        self.clock
    }
}
