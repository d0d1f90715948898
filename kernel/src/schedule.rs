//! Scheduling: 256 priorities, round robin within a priority, time slices
//! counted down by the timer, and the list of blocked IPCs waiting for a
//! timeout.
//!
//! The running thread is not in a ready queue. When it stays ready but
//! another runs, it goes back to the front of its queue if it was preempted
//! (it keeps its turn) and to the back if its time slice ran out. An IPC
//! that delivers a message hands the CPU to the receiver (`handoff`) — the
//! direct switch that makes L4's IPC fast.
//!
//! The running thread is preempted when a thread of a higher priority
//! becomes ready (woken by a timeout, an IPC, an interrupt), not merely
//! because one is queued: thread_schedule re-queues the thread it changes
//! and returns to its caller, which runs on until it blocks, yields or its
//! time slice ends (Hazelnut's sys_schedule).

use crate::Kernel;
use crate::hardware::Hardware;
use crate::thread::{NONE, State};

/// The ready queues: one doubly-linked list per priority, a bitmap of the
/// priorities that have ready threads, and the highest of them kept at hand
/// (the IPC fast paths compare a receiver's priority with it in one
/// instruction; it is recomputed from the bitmap only when the highest
/// queue empties).
#[derive(Clone, Debug)]
#[repr(C)]
pub struct ReadyQueues {
    pub(crate) first: [u16; 256],
    pub(crate) last: [u16; 256],
    pub(crate) present: [u32; 8],
    /// The highest priority with a ready thread, −1 if none.
    pub(crate) highest_ready: i32,
}

impl ReadyQueues {
    pub const fn new() -> Self {
        Self { first: [NONE; 256], last: [NONE; 256], present: [0; 8], highest_ready: -1 }
    }

    /// Whether a thread of a priority above `priority` is ready.
    pub(crate) fn any_above(&self, priority: u8) -> bool {
        self.highest_ready > priority as i32
    }

    /// The highest priority with a ready thread.
    pub(crate) fn highest(&self) -> Option<u8> {
        u8::try_from(self.highest_ready).ok()
    }

    /// The highest priority in the bitmap (after the highest queue emptied).
    pub(crate) fn highest_in_bitmap(&self) -> i32 {
        for word in (0..8).rev() {
            if self.present[word] != 0 {
                return (word * 32 + 31 - self.present[word].leading_zeros() as usize) as i32;
            }
        }
        -1
    }
}

impl Default for ReadyQueues {
    fn default() -> Self {
        Self::new()
    }
}

/// Time-slice length threads get unless thread_schedule sets another: 10 ms.
pub const DEFAULT_TIMESLICE: u32 = 10_000;

impl Kernel {
    fn enqueue(&mut self, index: u16, front: bool) {
        let priority = self.threads.tcb(index).priority as usize;
        let queues = &mut self.ready;
        let tcbs = &mut self.threads.tcbs;
        if tcbs[index as usize].ready_next != NONE
            || tcbs[index as usize].ready_previous != NONE
            || queues.first[priority] == index
        {
            return;
        }
        if queues.first[priority] == NONE {
            queues.first[priority] = index;
            queues.last[priority] = index;
        } else if front {
            let old = queues.first[priority];
            tcbs[index as usize].ready_next = old;
            tcbs[old as usize].ready_previous = index;
            queues.first[priority] = index;
        } else {
            let old = queues.last[priority];
            tcbs[index as usize].ready_previous = old;
            tcbs[old as usize].ready_next = index;
            queues.last[priority] = index;
        }
        queues.present[priority / 32] |= 1 << (priority % 32);
        queues.highest_ready = queues.highest_ready.max(priority as i32);
    }

    /// Take a thread out of its ready queue (if it is in one).
    pub(crate) fn dequeue(&mut self, index: u16) {
        let priority = self.threads.tcb(index).priority as usize;
        let (next, previous) = {
            let tcb = self.threads.tcb(index);
            (tcb.ready_next, tcb.ready_previous)
        };
        if previous == NONE && self.ready.first[priority] != index {
            return;
        }
        if previous != NONE {
            self.threads.tcb_mut(previous).ready_next = next;
        } else {
            self.ready.first[priority] = next;
        }
        if next != NONE {
            self.threads.tcb_mut(next).ready_previous = previous;
        } else {
            self.ready.last[priority] = previous;
        }
        let tcb = self.threads.tcb_mut(index);
        tcb.ready_next = NONE;
        tcb.ready_previous = NONE;
        if self.ready.first[priority] == NONE {
            self.ready.present[priority / 32] &= !(1 << (priority % 32));
            if self.ready.highest_ready == priority as i32 {
                self.ready.highest_ready = self.ready.highest_in_bitmap();
            }
        }
    }

    /// Make a thread runnable (not the current one: it is never queued).
    /// One of a higher priority than the running thread preempts it.
    pub(crate) fn make_ready(&mut self, index: u16) {
        self.remove_wakeup(index);
        self.threads.tcb_mut(index).state = State::Ready;
        if index != self.current {
            self.enqueue(index, false);
            let current = self.current;
            if current == NONE || self.threads.tcb(index).priority > self.threads.tcb(current).priority {
                self.preemption_due = true;
            }
        }
    }

    /// Put a ready thread back into the queue of its (new) priority without
    /// preempting anyone (thread_schedule).
    pub(crate) fn requeue(&mut self, index: u16) {
        if index != self.current && self.threads.tcb(index).state == State::Ready {
            self.enqueue(index, false);
        }
    }

    /// Wake a blocked thread for an IPC and let the scheduler switch to it.
    /// Lazily: it is not put in its ready queue unless the scheduler does not
    /// pick it (the common case, a direct switch, touches no queue).
    pub(crate) fn hand_off(&mut self, index: u16) {
        self.remove_wakeup(index);
        self.threads.tcb_mut(index).state = State::Ready;
        let previous = core::mem::replace(&mut self.handoff, index);
        if previous != NONE && previous != index {
            self.enqueue_if_ready(previous);
        }
    }

    /// Whether a thread is in its ready queue.
    fn queued(&self, index: u16) -> bool {
        let tcb = self.threads.tcb(index);
        tcb.ready_previous != NONE || self.ready.first[tcb.priority as usize] == index
    }

    /// Put a ready thread that is not running into its queue, unless it is there.
    fn enqueue_if_ready(&mut self, index: u16) {
        if index != self.current && self.threads.tcb(index).state == State::Ready && !self.queued(index) {
            self.enqueue(index, false);
        }
    }

    /// The thread to run next.
    pub(crate) fn choose_next(&mut self) -> u16 {
        let current = self.current;
        let current_ready = current != NONE && self.threads.tcb(current).state == State::Ready;
        let handoff = core::mem::replace(&mut self.handoff, NONE);
        if handoff != NONE && handoff != current && self.threads.tcb(handoff).state == State::Ready {
            let handoff_priority = self.threads.tcb(handoff).priority;
            let best = self.ready.highest().unwrap_or(0);
            if handoff_priority >= best {
                if self.queued(handoff) {
                    self.dequeue(handoff);
                }
                if current_ready {
                    // The sender keeps its turn.
                    self.enqueue(current, true);
                }
                return handoff;
            }
            // Not chosen: it waits in its queue like any ready thread.
            self.enqueue_if_ready(handoff);
        }
        let best = self.ready.highest();
        let preemption_due = core::mem::take(&mut self.preemption_due);
        if current_ready {
            let mine = self.threads.tcb(current).priority;
            if !preemption_due || best.is_none_or(|best| best <= mine) {
                return current;
            }
            // Preempted by a higher priority: keep its place.
            self.enqueue(current, true);
        }
        match best {
            Some(priority) => {
                let next = self.ready.first[priority as usize];
                self.dequeue(next);
                next
            }
            None => NONE,
        }
    }

    /// The current thread gives up the rest of its slice (thread_switch, or
    /// its slice ran out): it goes to the back of its queue.
    pub(crate) fn yield_current(&mut self) {
        let current = self.current;
        if current != NONE && self.threads.tcb(current).state == State::Ready {
            let slice = self.threads.tcb(current).timeslice;
            self.threads.tcb_mut(current).remaining = slice;
            self.enqueue(current, false);
            // Not current any more for the choice: the queue decides.
            self.current = NONE;
            self.previous_after_yield = current;
        }
    }

    /// Block the current (or any) thread: it leaves the ready queue.
    pub(crate) fn block(&mut self, index: u16, state: State) {
        self.dequeue(index);
        self.threads.tcb_mut(index).state = state;
    }

    /// Register a timeout for a blocked thread at absolute time `at` (µs).
    pub(crate) fn add_wakeup(&mut self, index: u16, at: u64) {
        self.remove_wakeup(index);
        self.threads.tcb_mut(index).wakeup = at;
        let mut previous = NONE;
        let mut cursor = self.wakeups;
        while cursor != NONE && self.threads.tcb(cursor).wakeup <= at {
            previous = cursor;
            cursor = self.threads.tcb(cursor).wakeup_next;
        }
        let tcb = self.threads.tcb_mut(index);
        tcb.wakeup_next = cursor;
        tcb.wakeup_previous = previous;
        if cursor != NONE {
            self.threads.tcb_mut(cursor).wakeup_previous = index;
        }
        if previous != NONE {
            self.threads.tcb_mut(previous).wakeup_next = index;
        } else {
            self.wakeups = index;
        }
    }

    pub(crate) fn remove_wakeup(&mut self, index: u16) {
        let tcb = *self.threads.tcb(index);
        if tcb.wakeup == 0 {
            return;
        }
        if tcb.wakeup_previous != NONE {
            self.threads.tcb_mut(tcb.wakeup_previous).wakeup_next = tcb.wakeup_next;
        } else if self.wakeups == index {
            self.wakeups = tcb.wakeup_next;
        }
        if tcb.wakeup_next != NONE {
            self.threads.tcb_mut(tcb.wakeup_next).wakeup_previous = tcb.wakeup_previous;
        }
        let tcb = self.threads.tcb_mut(index);
        tcb.wakeup = 0;
        tcb.wakeup_next = NONE;
        tcb.wakeup_previous = NONE;
    }

    /// A timer tick of `microseconds`: time, timeouts, time slices.
    pub(crate) fn tick<H: Hardware>(&mut self, hardware: &mut H, microseconds: u32) {
        self.clock += microseconds as u64;
        self.write_clock(hardware);
        while self.wakeups != NONE && self.threads.tcb(self.wakeups).wakeup <= self.clock {
            let index = self.wakeups;
            self.timeout(hardware, index);
        }
        let current = self.current;
        if current != NONE && self.threads.tcb(current).state == State::Ready {
            let tcb = self.threads.tcb_mut(current);
            tcb.cpu_time += microseconds as u64;
            if tcb.remaining > microseconds {
                tcb.remaining -= microseconds;
            } else {
                self.yield_current();
            }
        }
        self.poll_console(hardware);
    }
}
