//! The IPC fast path (Liedtke 1995, §4: "a short IPC path for the common
//! case"): a register-only call or reply-and-wait to a thread that already
//! waits for the message, inside one clan, where the caller then blocks in
//! its receive. Everything else — and every doubt — takes the general path
//! in `ipc.rs`, which this one must match exactly in effect and in the
//! events it reports (the model-vs-QEMU trace test compares them).
//!
//! There are two implementations of this one path. This Rust one runs in
//! the machine model (and natively for the cases the assembly leaves to
//! it); `native-boot/src/bare/fastpath.rs` is the same path in assembly,
//! the one the native image takes from `int 0x30`. The Rust one is the
//! specification: [`Kernel::fast_ipc`] is a line of guards that change
//! nothing, then the writes; the assembly checks the same guards (in an
//! order chosen for the processor: the guards change nothing, so their
//! order changes no outcome), plus [`Kernel::assembly_takes`], the cases it leaves to
//! Rust), writes the same fields, and reports the same events. The offsets
//! it uses are computed here ([`assembly`]) from the structs themselves.
//!
//! What is deliberately *not* written: the receiver's saved registers. A
//! running thread's TCB frame is dead — every kernel entry saves the live
//! registers over it before anything reads it — so the message words go
//! from the sender's registers straight into the receiver's (the assembly
//! never moves EDX, EBX and EDI at all), as in L3.

use crate::cost::Path;
use crate::event::{KernelEvent, Phase};
use crate::hardware::Hardware;
use crate::thread::{NONE, OPEN, State, flag, register};
use crate::{Frame, Kernel, Outcome, USER_FLAGS};
use ia32::abi::{ReceiveDescriptor, ThreadId};
use ia32::registers::eflags;

/// Where the assembly fast path finds what it reads and writes: offsets
/// into [`Kernel`] and its TCBs and tasks, and the values it compares with,
/// computed from the Rust definitions so that the two cannot drift apart.
pub mod assembly {
    use crate::layout::{SegmentWindow, UserWindow};
    use crate::thread::{Frame, Task, Tcb, Threads, register};
    use crate::{Kernel, Statistics};
    use core::mem::offset_of;

    /// `Kernel::current` (u16 TCB index).
    pub const CURRENT: usize = offset_of!(Kernel, current);
    /// `Kernel::preemption_due` (bool).
    pub const PREEMPTION_DUE: usize = offset_of!(Kernel, preemption_due);
    /// `Kernel::loaded_directory` (u32).
    pub const LOADED_DIRECTORY: usize = offset_of!(Kernel, loaded_directory);
    /// `Kernel::loaded_window`: its base (0 for a large space, at least
    /// `SMALL_SPACE_AREA` for a small one) and its size (u64).
    pub const LOADED_WINDOW_BASE: usize = offset_of!(Kernel, loaded_window) + offset_of!(SegmentWindow, base);
    pub const LOADED_WINDOW_SIZE: usize = offset_of!(Kernel, loaded_window) + offset_of!(SegmentWindow, size);
    /// An entry of `layout::USER_WINDOWS`: its size, its window's base and
    /// size, its two descriptors (u64 each).
    pub const USER_WINDOW_SIZE: usize = core::mem::size_of::<UserWindow>();
    pub const USER_WINDOW_BASE: usize = offset_of!(UserWindow, window) + offset_of!(SegmentWindow, base);
    pub const USER_WINDOW_BYTES: usize = offset_of!(UserWindow, window) + offset_of!(SegmentWindow, size);
    pub const USER_WINDOW_CODE: usize = offset_of!(UserWindow, code);
    pub const USER_WINDOW_DATA: usize = offset_of!(UserWindow, data);
    /// The GDT's user code and data descriptors, in the kernel's window.
    pub const GDT_USER_CODE: u32 =
        crate::layout::window(crate::layout::GDT) + 8 * crate::layout::selector::USER_CODE.index() as u32;
    pub const GDT_USER_DATA: u32 =
        crate::layout::window(crate::layout::GDT) + 8 * crate::layout::selector::USER_DATA.index() as u32;
    /// `Kernel::ready.highest_ready` (i32).
    pub const HIGHEST_READY: usize =
        offset_of!(Kernel, ready) + offset_of!(crate::schedule::ReadyQueues, highest_ready);
    /// The statistics the fast paths count (u64 each): `fast_ipcs` (one
    /// counter for the entry and the IPC), the other entries.
    pub const FAST_IPCS: usize = offset_of!(Kernel, statistics) + offset_of!(Statistics, fast_ipcs);
    pub const ENTRIES: usize = offset_of!(Kernel, statistics) + offset_of!(Statistics, other_entries);
    pub const SPACE_SWITCHES: usize = offset_of!(Kernel, statistics) + offset_of!(Statistics, space_switches);
    pub const SMALL_SPACE_SWITCHES: usize =
        offset_of!(Kernel, statistics) + offset_of!(Statistics, small_space_switches);
    /// The TCB array, the (task, lthread) → index table, the task table.
    pub const TCBS: usize = offset_of!(Kernel, threads) + offset_of!(Threads, tcbs);
    pub const INDEX: usize = offset_of!(Kernel, threads) + offset_of!(Threads, index);
    pub const TASKS: usize = offset_of!(Kernel, threads) + offset_of!(Threads, tasks);
    /// log2 of the TCB size.
    pub const TCB_SHIFT: u32 = crate::thread::TCB_SHIFT;
    /// An entry of the index table that names no TCB (TCB offsets, u32).
    pub const NO_TCB: u32 = crate::thread::NO_TCB;
    pub const TASK_SIZE: usize = core::mem::size_of::<Task>();
    /// log2 of the task record's size.
    pub const TASK_SHIFT: u32 = TASK_SIZE.trailing_zeros();
    pub const TASK_CHIEF: usize = offset_of!(Task, chief);
    pub const TASK_SMALL: usize = offset_of!(Task, small);
    pub const TASK_DIRECTORY: usize = offset_of!(Task, directory);
    /// TCB fields.
    pub const TCB_ID: usize = offset_of!(Tcb, id);
    pub const TCB_STATE: usize = offset_of!(Tcb, state);
    pub const TCB_PRIORITY: usize = offset_of!(Tcb, priority);
    pub const TCB_FLAGS: usize = offset_of!(Tcb, flags);
    pub const TCB_IRQ: usize = offset_of!(Tcb, irq);
    pub const TCB_PARTNER: usize = offset_of!(Tcb, partner);
    pub const TCB_SEND_DESCRIPTOR: usize = offset_of!(Tcb, send_descriptor);
    pub const TCB_RECEIVE_DESCRIPTOR: usize = offset_of!(Tcb, receive_descriptor);
    pub const TCB_TIMEOUTS: usize = offset_of!(Tcb, timeouts);
    pub const TCB_WAKEUP: usize = offset_of!(Tcb, wakeup);
    pub const TCB_SENDERS_FIRST: usize = offset_of!(Tcb, senders_first);
    pub const TCB_RECEIVE_FROM: usize = offset_of!(Tcb, receive_from);
    pub const TCB_SAVED_FROM: usize = offset_of!(Tcb, saved_from);
    pub const TCB_PAGER: usize = offset_of!(Tcb, pager);
    pub const TCB_FAULT_ADDRESS: usize = offset_of!(Tcb, fault_address);
    /// `Statistics::page_faults` (u64).
    pub const PAGE_FAULTS: usize = offset_of!(Kernel, statistics) + offset_of!(Statistics, page_faults);
    /// The saved registers: `TCB_FRAME + FRAME_*`.
    pub const TCB_FRAME: usize = offset_of!(Tcb, frame);
    pub const FRAME_EAX: usize = offset_of!(Frame, registers) + 4 * register::EAX;
    pub const FRAME_ECX: usize = offset_of!(Frame, registers) + 4 * register::ECX;
    pub const FRAME_EDX: usize = offset_of!(Frame, registers) + 4 * register::EDX;
    pub const FRAME_EBX: usize = offset_of!(Frame, registers) + 4 * register::EBX;
    pub const FRAME_ESP: usize = offset_of!(Frame, registers) + 4 * register::ESP;
    pub const FRAME_EBP: usize = offset_of!(Frame, registers) + 4 * register::EBP;
    pub const FRAME_ESI: usize = offset_of!(Frame, registers) + 4 * register::ESI;
    pub const FRAME_EDI: usize = offset_of!(Frame, registers) + 4 * register::EDI;
    pub const FRAME_EIP: usize = offset_of!(Frame, eip);
    pub const FRAME_EFLAGS: usize = offset_of!(Frame, eflags);
    /// Values compared with and written.
    pub const STATE_READY: u8 = crate::thread::State::Ready as u8;
    pub const STATE_RECEIVING: u8 = crate::thread::State::Receiving as u8;
    pub const FLAG_RECEIVE_PHASE: u8 = crate::thread::flag::RECEIVE_PHASE;
    pub const FLAG_PAGE_FAULT: u8 = crate::thread::flag::PAGE_FAULT;
    /// The receive of a page-fault IPC: a map window of the whole space.
    pub const PAGE_FAULT_WINDOW: u32 = crate::ipc::PAGE_FAULT_WINDOW;
    pub const TIMEOUTS_INFINITE: u32 = ia32::abi::Timeouts::INFINITE.0;
    /// A large space's user addresses end here.
    pub const USER_LIMIT: u32 = crate::layout::USER_LIMIT;
    /// sigma0's faults the kernel answers itself.
    pub const SIGMA0_TASK: u32 = crate::memory::SIGMA0_TASK as u32;
    pub const OPEN: u32 = crate::thread::OPEN.0;
    pub const NONE: u16 = crate::thread::NONE;
    pub const USER_FLAGS: u32 = crate::USER_FLAGS;
    pub const EXIT_FLAGS: u32 = ia32::registers::eflags::IF | ia32::registers::eflags::RESERVED_ONE;

    // The assembly reads words that begin with smaller fields and tests
    // them whole: a TCB's state word (state, priority, flags, irq) and the
    // one that begins with `senders_first`, a task's first word (state,
    // chief, mcp, small: two tasks' chiefs compared by one `xor`), and the
    // word that begins with `Kernel::current`. Each must lie inside its
    // struct and be
    // aligned: a misaligned load costs 3 more clocks on the i486 and the
    // Pentium (the PRM; the model charges user accesses so), which the
    // calibration's pricing of the instruction trace would not see. (TCBs
    // are 256-byte aligned.)
    const fn aligned_word_inside(offset: usize, size: usize) -> bool {
        offset.is_multiple_of(4) && offset + 4 <= size
    }
    const _: () = assert!(
        aligned_word_inside(TCB_STATE, core::mem::size_of::<Tcb>())
            && aligned_word_inside(TCB_SENDERS_FIRST, core::mem::size_of::<Tcb>())
            && aligned_word_inside(CURRENT, core::mem::size_of::<Kernel>())
            && TASKS.is_multiple_of(4)
            && TASK_SIZE.is_multiple_of(4)
            && TASK_CHIEF < 4
    );
    /// The chief's and the small-space id's bytes in a task's first word.
    pub const TASK_CHIEF_MASK: u32 = 0xFF << (8 * TASK_CHIEF);
    pub const TASK_SMALL_MASK: u32 = 0xFF << (8 * TASK_SMALL);
    const _: () = assert!(TASK_SMALL < 4);
    // The sender queue's first and last are one word: all ones exactly
    // when the queue is empty (`Kernel::audit`), which the assembly tests.
    const _: () = assert!(
        offset_of!(Tcb, senders_last) == TCB_SENDERS_FIRST + 2
            && aligned_word_inside(TCB_SENDERS_FIRST, core::mem::size_of::<Tcb>())
    );
}

/// What the guards found: the two threads of a fast IPC.
struct Partners {
    receiver: u16,
    destination: ThreadId,
    caller_id: ThreadId,
    open: bool,
}

impl Kernel {
    /// The guards, in the order the assembly checks them. `None`: not the
    /// common case. Changes nothing.
    fn fast_ipc_partners(&self, caller: u16, frame: &Frame) -> Option<Partners> {
        // Register send (no map, no propagation) and a register receive
        // (closed or open), no receive timeout: a call or reply-and-wait.
        let send = frame.get(register::EAX);
        let receive = frame.get(register::EBP);
        let timeouts = frame.get(register::ECX);
        if send != 0 || receive > 1 || timeouts & 0x0F != 0 {
            return None;
        }
        let caller_tcb = self.threads.tcb(caller);
        if caller_tcb.irq != 0 || caller_tcb.flags != 0 || self.stop.is_some() {
            return None;
        }
        // The caller then waits: closed for the receiver, or open with no one queued.
        if caller_tcb.senders_first != NONE {
            return None;
        }
        let caller_id = caller_tcb.id;
        let destination = ThreadId(frame.get(register::ESI));
        let receiver = self.fast_receiver(caller_id, destination)?;
        Some(Partners { receiver, destination, caller_id, open: receive == 1 })
    }

    /// The thread `destination`, if it waits for `caller` the way both
    /// assembly fast paths (IPC and page fault) need — the guards of the
    /// assembly's macro `receiver_waits` (which asks them in another order:
    /// the same task, the same chief, then out of line the other two), but
    /// for the receiver's timeout, which each path judges itself: in the
    /// caller's clan (the same task, its chief the caller's task, the same
    /// chief, or the caller's chief;
    /// no chief in between), an existing thread other than the caller,
    /// receiving (no other flag than the receive phase) from it or from
    /// anyone, into registers or a map window, with nothing of a higher
    /// priority ready. (The assembly leaves the invalid id to the exact id
    /// comparison, which it always fails: no thread's id is all ones.)
    #[inline(always)]
    pub(crate) fn fast_receiver(&self, caller: ThreadId, destination: ThreadId) -> Option<u16> {
        let (source_task, target_task) = (caller.task(), destination.task());
        if target_task == 0 || destination.is_invalid() {
            return None; // nil, an interrupt, or invalid
        }
        let chief = |task: u8| self.threads.tasks[task as usize].chief;
        let direct = source_task == target_task
            || chief(target_task) == source_task
            || chief(target_task) == chief(source_task)
            || target_task == chief(source_task);
        if !direct || destination == caller {
            return None;
        }
        let receiver = self.threads.find(destination)?;
        let receiver_tcb = self.threads.tcb(receiver);
        if receiver_tcb.state != State::Receiving
            || receiver_tcb.flags & !flag::RECEIVE_PHASE != 0
            || !(receiver_tcb.partner == OPEN || receiver_tcb.partner == caller)
        {
            return None;
        }
        let window = ReceiveDescriptor(receiver_tcb.receive_descriptor);
        if !window.is_map_window() && window.buffer_address() >= 4 {
            return None; // a memory buffer: the general path reads its header
        }
        // The receiver runs next only if nothing of higher priority is ready.
        (!self.ready.any_above(receiver_tcb.priority)).then_some(receiver)
    }

    /// Whether the native image's assembly fast path takes this IPC itself
    /// (the model charges its measured cost then) or leaves it to
    /// [`Kernel::fast_ipc`]: it does not remove a receiver's timeout. (It
    /// switches address spaces and small-space windows itself, from
    /// `layout::USER_WINDOWS`, as [`Kernel::switch_space`] does. It reads
    /// the task's small-space id without asking whether small spaces are
    /// on: an id is nonzero only when they are, and only with a window —
    /// `thread_schedule` ignores other requests; `Kernel::audit` checks it.)
    fn assembly_takes(&self, receiver: u16) -> bool {
        self.threads.tcb(receiver).wakeup == 0
    }

    /// Try the fast path for `int 0x30` from `caller` (whose registers are in
    /// `frame`). `None`: not the common case; nothing was changed.
    pub(crate) fn fast_ipc<H: Hardware>(
        &mut self,
        hardware: &mut H,
        caller: u16,
        frame: &mut Frame,
    ) -> Option<Outcome> {
        let Partners { receiver, destination, caller_id, open } = self.fast_ipc_partners(caller, frame)?;
        // A caller in virtual-8086 mode (QEMU only) takes the general entry natively.
        let from_virtual_8086 = frame.eflags & eflags::VM != 0;
        let path = if !from_virtual_8086 && self.assembly_takes(receiver) { Path::IpcFast } else { Path::IpcShort };

        // Perform. (Events in the order the general path reports them.)
        self.statistics.fast_ipcs += 1;
        hardware.touch(self.tcb_address(receiver), 64, false);
        let words = [frame.get(register::EDX), frame.get(register::EBX), frame.get(register::EDI)];
        self.remove_wakeup(receiver);
        {
            let tcb = self.threads.tcb_mut(receiver);
            tcb.flags = 0;
            tcb.state = State::Ready;
        }
        {
            let tcb = self.threads.tcb_mut(caller);
            tcb.frame = *frame;
            tcb.send_descriptor = 0;
            tcb.receive_descriptor = open as u32;
            tcb.timeouts = frame.get(register::ECX);
            tcb.receive_from = destination;
            tcb.flags = flag::RECEIVE_PHASE;
            tcb.saved_from = ThreadId::NIL;
            tcb.state = State::Receiving;
            tcb.partner = if open { OPEN } else { destination };
        }
        hardware.touch(self.tcb_address(caller), 64, true);
        self.current = receiver;
        if hardware.events_enabled() {
            self.report_fast_ipc(hardware, caller);
        }
        self.switch_space(hardware, receiver);
        // The receiver's registers: its own, but for the message.
        let tcb = self.threads.tcb(receiver);
        *frame = tcb.frame;
        frame.set(register::EAX, 0);
        frame.set(register::EDX, words[0]);
        frame.set(register::EBX, words[1]);
        frame.set(register::EDI, words[2]);
        frame.set(register::ESI, caller_id.raw());
        frame.eflags = (frame.eflags & USER_FLAGS) | eflags::IF | eflags::RESERVED_ONE;
        hardware.touch(self.tcb_address(receiver), 48, false);
        hardware.kernel_path(path);
        let reload = core::mem::take(&mut self.reload_segments);
        Some(Outcome::Resume { reload_segments: reload })
    }

    /// The events of a fast IPC from `caller` to the thread it made current,
    /// from the state it left: the message (the words are the caller's
    /// saved registers), the caller's wait and the switch. (The switch of
    /// address space reports itself.) The native image's assembly path calls
    /// this (through `fastpath_report`) when events are on, so both report
    /// alike.
    pub fn report_fast_ipc<H: Hardware>(&self, hardware: &mut H, caller: u16) {
        let caller_tcb = self.threads.tcb(caller);
        let (from, to) = (caller_tcb.id, self.current_thread());
        let saved = &caller_tcb.frame;
        let words = [saved.get(register::EDX), saved.get(register::EBX), saved.get(register::EDI)];
        hardware.emit(&KernelEvent::Ipc { from, to, words, dwords: 0, strings: 0, fpages: 0 });
        let partner = if caller_tcb.partner == OPEN { ThreadId::NIL } else { caller_tcb.partner };
        hardware.emit(&KernelEvent::IpcWait { thread: from, partner, phase: Phase::Receive });
        hardware.emit(&KernelEvent::ThreadSwitch { from, to });
    }
}

impl Kernel {
    /// The fast `id_nearest` (`int 0x31`), the native image's
    /// `id_nearest_fastpath` in Rust: the caller asks for itself (nil) or for
    /// a thread its messages reach directly — its own task, or a task of
    /// its clan (the same chief, its chief, or one of whose chief it is).
    /// The answer is the destination itself, type 0; the caller goes on,
    /// nothing else changes. Everything else (another clan, a caller in
    /// virtual-8086 mode, a preemption due) takes the general path:
    /// `None`, nothing changed. The guards are the assembly's. (Between
    /// entries no other work is left for an exit — a handoff, a change of
    /// space or segments: `Kernel::audit` checks it.)
    /// Natively it runs only when the assembly left the call to Rust: not
    /// inlined, so the general entry does not grow for it.
    #[inline(never)]
    pub(crate) fn fast_id_nearest<H: Hardware>(
        &mut self,
        hardware: &mut H,
        caller: u16,
        frame: &mut Frame,
    ) -> Option<Outcome> {
        if frame.eflags & eflags::VM != 0 || self.preemption_due {
            return None;
        }
        let caller_id = self.threads.tcb(caller).id;
        let destination = ThreadId(frame.get(register::ESI));
        let nearest = if destination.is_nil() {
            caller_id
        } else {
            let (source, target) = (caller_id.task(), destination.task());
            let chief = |task: u8| self.threads.tasks[task as usize].chief;
            let in_clan = target == 0
                || target == source
                || chief(target) == source
                || chief(target) == chief(source)
                || target == chief(source);
            if !in_clan {
                return None;
            }
            destination
        };
        hardware.touch(self.tcb_address(caller), 16, false);
        frame.set(register::EAX, 0);
        frame.set(register::ESI, nearest.raw());
        frame.eflags = (frame.eflags & USER_FLAGS) | eflags::IF | eflags::RESERVED_ONE;
        hardware.kernel_path(Path::SmallFast);
        Some(Outcome::Resume { reload_segments: false })
    }
}
