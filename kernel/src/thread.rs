//! Threads and tasks: the thread control blocks, the task table, and the
//! lookup from a thread id to its TCB in O(1).
//!
//! A thread id names task and lthread; the TCB is found through
//! `thread_index[task][lthread]` and the id's version and chief bits must
//! match the TCB's id exactly (ids are compared as whole words, as in
//! Hazelnut), so a stale id never reaches a new thread.

use ia32::abi::{LTHREADS_PER_TASK, TASK_COUNT, ThreadId};

/// Most threads the kernel holds at once.
pub const MAX_THREADS: usize = 512;
/// The size of a TCB: a power of two (index → address is a shift).
pub const TCB_SIZE: usize = 256;
const _: () = assert!(core::mem::size_of::<Tcb>() == TCB_SIZE);
/// "No thread" in index links.
pub const NONE: u16 = u16::MAX;

/// The user registers of a thread, saved while it does not run.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Frame {
    /// EAX ECX EDX EBX ESP EBP ESI EDI.
    pub registers: [u32; 8],
    pub eip: u32,
    pub eflags: u32,
}

/// Register numbers in `Frame::registers`.
pub mod register {
    pub const EAX: usize = 0;
    pub const ECX: usize = 1;
    pub const EDX: usize = 2;
    pub const EBX: usize = 3;
    pub const ESP: usize = 4;
    pub const EBP: usize = 5;
    pub const ESI: usize = 6;
    pub const EDI: usize = 7;
}

impl Frame {
    pub fn get(&self, number: usize) -> u32 {
        self.registers[number]
    }
    pub fn set(&mut self, number: usize, value: u32) {
        self.registers[number] = value;
    }
}

/// What a thread is doing.
#[repr(u8)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum State {
    /// No thread in this TCB.
    #[default]
    Free = 0,
    /// Runnable (running, or in a ready queue).
    Ready,
    /// Blocked sending to `partner` (queued at the partner).
    Sending,
    /// Blocked receiving from `partner` (nil: sleep; OPEN: anyone).
    Receiving,
    /// An lthread that exists but was never started (waits for ex_regs).
    Inactive,
    /// Waiting for a character at the kernel-debugger console.
    WaitingForInput,
    /// Stopped for good (killed, or stopped in the kernel debugger).
    Stopped,
}

impl State {
    pub const fn name(self) -> &'static str {
        match self {
            State::Free => "free",
            State::Ready => "ready",
            State::Sending => "sending",
            State::Receiving => "receiving",
            State::Inactive => "inactive",
            State::WaitingForInput => "input",
            State::Stopped => "stopped",
        }
    }
}

/// Marks an open receive in `Tcb::partner`.
pub const OPEN: ThreadId = ThreadId(0xFFFF_FFFE);

/// Flags of a TCB.
pub mod flag {
    /// The current IPC is the kernel's page-fault call to the pager: the reply
    /// is a mapping for the faulting access, its words are ignored, and the
    /// faulting instruction is restarted.
    pub const PAGE_FAULT: u8 = 1 << 0;
    /// The thread's send phase is done; it is in the receive phase of its IPC.
    pub const RECEIVE_PHASE: u8 = 1 << 1;
    /// The blocked IPC waits for a transfer whose page fault a pager resolves.
    pub const TRANSFER_PENDING: u8 = 1 << 2;
    /// The kernel debugger stopped this thread.
    pub const DEBUGGER: u8 = 1 << 3;
    /// The page fault being resolved happened in this thread's space while
    /// it was *sending*: after the pager's reply the send is retried.
    pub const TRANSFER_AS_SENDER: u8 = 1 << 4;
    /// … while it was *receiving*: after the reply its receive resumes.
    pub const TRANSFER_AS_RECEIVER: u8 = 1 << 5;
    /// Another thread's transfer page fault is being resolved; this thread
    /// waits for it (its own IPC is suspended, not cancellable as "not started").
    pub const TRANSFER_WAITING: u8 = 1 << 6;
}

/// A thread control block. Exactly 256 bytes (`TCB_SIZE`), so that the
/// assembly fast path finds a TCB from its index with one shift.
#[repr(C, align(256))]
#[derive(Clone, Copy, Debug)]
pub struct Tcb {
    pub id: ThreadId,
    pub state: State,
    pub priority: u8,
    pub flags: u8,
    /// Nonzero: the IRQ + 1 this thread is attached to.
    pub irq: u8,
    /// While queued as a sender: the r and i bits of its message's route
    /// (the receiver may not be the thread it was sent to, but its chief).
    pub route_flags: u8,
    pub frame: Frame,
    pub pager: ThreadId,
    /// The IPC partner while blocked (OPEN for an open receive).
    pub partner: ThreadId,
    /// The blocked IPC's send and receive descriptors and timeouts.
    pub send_descriptor: u32,
    pub receive_descriptor: u32,
    pub timeouts: u32,
    /// Absolute time (µs) at which a blocked IPC times out; 0 = never.
    pub wakeup: u64,
    /// Timeslice length and what is left of it (µs).
    pub timeslice: u32,
    pub remaining: u32,
    pub cpu_time: u64,
    /// Ready queue links.
    pub ready_next: u16,
    pub ready_previous: u16,
    /// The queue of threads sending to this one.
    pub senders_first: u16,
    pub senders_last: u16,
    /// Links in some other thread's sender queue.
    pub sender_next: u16,
    pub sender_previous: u16,
    /// Links in the timeout list (sorted by `wakeup`).
    pub wakeup_next: u16,
    pub wakeup_previous: u16,
    /// The fault a page-fault IPC is about (address | write bit).
    pub fault_address: u32,
    /// Virtual IDT set by an emulated `lidt` (its base; 0 = none). It
    /// always has the 32 gates of the exceptions 0..31.
    pub idt_base: u32,
    /// The source of the receive phase (ESI of the ipc, or the pager for a page fault).
    pub receive_from: ThreadId,
    /// The IPC a transfer page fault interrupted: its receive descriptor,
    /// source and timeout word.
    pub saved_descriptor: u32,
    pub saved_timeouts: u32,
    pub saved_from: ThreadId,
    /// The other party of a suspended transfer (TCB index).
    pub transfer_partner: u16,
    /// As a sender: bytes of the current transfer's stream (memory dwords,
    /// then strings) already copied, so that a retry after a page fault goes
    /// on from there. 0 when no transfer is under way.
    pub transfer_copied: u32,
}

impl Tcb {
    /// The page-fault RPC of a suspended transfer is over (answered or timed
    /// out): back to the IPC it interrupted — its receive descriptor, source
    /// and timeouts — and no longer part of a transfer.
    pub(crate) fn leave_transfer_fault(&mut self) {
        self.flags &= !(flag::TRANSFER_AS_SENDER | flag::TRANSFER_AS_RECEIVER);
        self.receive_descriptor = self.saved_descriptor;
        self.timeouts = self.saved_timeouts;
        self.receive_from = self.saved_from;
        self.saved_from = ThreadId::NIL;
        self.transfer_partner = NONE;
    }

    pub const EMPTY: Tcb = Tcb {
        id: ThreadId::NIL,
        state: State::Free,
        priority: 0,
        flags: 0,
        irq: 0,
        route_flags: 0,
        frame: Frame { registers: [0; 8], eip: 0, eflags: 0 },
        pager: ThreadId::NIL,
        partner: ThreadId::NIL,
        send_descriptor: 0,
        receive_descriptor: 0,
        timeouts: 0,
        wakeup: 0,
        timeslice: 0,
        remaining: 0,
        cpu_time: 0,
        ready_next: NONE,
        ready_previous: NONE,
        senders_first: NONE,
        senders_last: NONE,
        sender_next: NONE,
        sender_previous: NONE,
        wakeup_next: NONE,
        wakeup_previous: NONE,
        fault_address: 0,
        idt_base: 0,
        receive_from: ThreadId::NIL,
        saved_descriptor: 0,
        saved_timeouts: 0,
        saved_from: ThreadId::NIL,
        transfer_partner: NONE,
        transfer_copied: 0,
    };

    pub fn in_use(&self) -> bool {
        self.state != State::Free
    }
}

/// What a task slot holds.
#[repr(u8)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum TaskState {
    /// No task and no chief (never created: task numbers the kernel does not hand out).
    #[default]
    Unused = 0,
    /// Reserved for its chief, who may create it with task_new.
    Inactive,
    Active,
}

/// A task: an address space and up to 64 threads. 32 bytes (24 used): the
/// assembly fast paths find a task's record from a thread id by a shift
/// and a mask, with no multiply and no scaled index (`kernel::fastpath`).
#[repr(C, align(32))]
#[derive(Clone, Copy, Debug)]
pub struct Task {
    pub state: TaskState,
    /// The task number of its chief (its creator).
    pub chief: u8,
    /// Maximum controlled priority.
    pub mcp: u8,
    /// Small-space id (0: a large space).
    pub small: u8,
    /// Physical address of the page directory (0: none).
    pub directory: u32,
    /// Physical address of the page table of the per-space kernel region.
    pub region_table: u32,
    /// Physical address of the task's I/O bitmap (2 pages); 0 = no ports.
    pub io_bitmap: u32,
    /// The id its lthread 0 was created with (version and chief bits as given).
    pub id: ThreadId,
    /// Threads that exist (not Free).
    pub threads: u32,
}

impl Task {
    pub const EMPTY: Task = Task {
        state: TaskState::Unused,
        chief: 0,
        mcp: 0,
        small: 0,
        directory: 0,
        region_table: 0,
        io_bitmap: 0,
        id: ThreadId::NIL,
        threads: 0,
    };
}

/// log2 of [`TCB_SIZE`].
pub const TCB_SHIFT: u32 = TCB_SIZE.trailing_zeros();
const _: () = assert!(TCB_SIZE == 1 << TCB_SHIFT);
/// An entry of the (task, lthread) table that names no TCB.
pub const NO_TCB: u32 = (NONE as u32) << TCB_SHIFT;

/// The TCB index of an entry of the (task, lthread) table.
fn tcb_index(offset: u32) -> Option<u16> {
    (offset != NO_TCB).then_some((offset >> TCB_SHIFT) as u16)
}

/// The thread and task tables.
#[derive(Clone, Debug)]
pub struct Threads {
    pub tcbs: [Tcb; MAX_THREADS],
    /// (task, lthread) → the TCB's offset in `tcbs` (its index × TCB_SIZE),
    /// [`NO_TCB`] if none: offsets, not indices, so that the assembly fast
    /// paths use an entry as it is (`kernel::fastpath`).
    pub(crate) index: [[u32; LTHREADS_PER_TASK]; TASK_COUNT],
    pub tasks: [Task; TASK_COUNT],
}

impl Threads {
    pub const fn new() -> Self {
        Self {
            tcbs: [Tcb::EMPTY; MAX_THREADS],
            index: [[NO_TCB; LTHREADS_PER_TASK]; TASK_COUNT],
            tasks: [Task::EMPTY; TASK_COUNT],
        }
    }

    /// The TCB an id names exactly (version and chief included), if any.
    pub fn find(&self, id: ThreadId) -> Option<u16> {
        if id.is_nil() || id.is_invalid() || id.interrupt_number().is_some() || id.task() == 0 {
            return None;
        }
        let index = tcb_index(self.index[id.task() as usize][id.lthread() as usize])?;
        (self.tcbs[index as usize].id == id).then_some(index)
    }

    /// The TCB of (task, lthread), whatever its version.
    pub fn slot(&self, task: u8, lthread: u8) -> Option<u16> {
        tcb_index(*self.index.get(task as usize)?.get(lthread as usize)?)
    }

    /// A free TCB for (task, lthread).
    pub fn allocate(&mut self, id: ThreadId) -> Option<u16> {
        let free = self.tcbs.iter().position(|tcb| !tcb.in_use())? as u16;
        self.tcbs[free as usize] = Tcb { id, state: State::Inactive, ..Tcb::EMPTY };
        self.index[id.task() as usize][id.lthread() as usize] = u32::from(free) << TCB_SHIFT;
        self.tasks[id.task() as usize].threads += 1;
        Some(free)
    }

    /// Release a TCB (the caller has taken it out of every queue).
    pub fn release(&mut self, index: u16) {
        let id = self.tcbs[index as usize].id;
        self.index[id.task() as usize][id.lthread() as usize] = NO_TCB;
        let task = &mut self.tasks[id.task() as usize];
        task.threads = task.threads.saturating_sub(1);
        self.tcbs[index as usize] = Tcb::EMPTY;
    }

    pub fn tcb(&self, index: u16) -> &Tcb {
        &self.tcbs[index as usize]
    }
    pub fn tcb_mut(&mut self, index: u16) -> &mut Tcb {
        &mut self.tcbs[index as usize]
    }
    pub fn task_of(&self, index: u16) -> &Task {
        &self.tasks[self.tcbs[index as usize].id.task() as usize]
    }
}

impl Default for Threads {
    fn default() -> Self {
        Self::new()
    }
}
