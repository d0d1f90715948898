//! Read-only views of the kernel's state, for the explorer and the tests.
//! Nothing here changes the kernel; everything is copied out.

use crate::Kernel;
use crate::thread::{NONE, State, register};
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

    /// Threads in the state `state`.
    pub fn count_threads(&self, state: State) -> usize {
        self.threads.tcbs.iter().filter(|tcb| tcb.state == state).count()
    }
}
