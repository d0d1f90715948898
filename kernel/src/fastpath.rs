//! The IPC fast path (Liedtke 1995, §4: "a short IPC path for the common
//! case"): a register-only call or reply-and-wait to a thread that already
//! waits for the message, inside one clan, where the caller then blocks in
//! its receive. Everything else — and every doubt — takes the general path
//! in `ipc.rs`, which this one must match exactly in effect and in the
//! events it reports (the model-vs-QEMU trace test compares them).
//!
//! The checks come first and change nothing; only when all pass does the
//! path write: the receiver's registers, both states, the switch.

use crate::cost::Path;
use crate::event::{KernelEvent, Phase};
use crate::hardware::Hardware;
use crate::thread::{NONE, OPEN, State, flag, register};
use crate::{Frame, Kernel, Outcome, USER_FLAGS};
use ia32::abi::{ReceiveDescriptor, ThreadId};
use ia32::registers::eflags;

impl Kernel {
    /// Try the fast path for `int 0x30` from `caller` (whose registers are in
    /// `frame`). `None`: not the common case; nothing was changed.
    pub(crate) fn fast_ipc<H: Hardware>(
        &mut self,
        hardware: &mut H,
        caller: u16,
        frame: &mut Frame,
    ) -> Option<Outcome> {
        // Register send (no map, no propagation) and a register receive
        // (closed or open), no receive timeout: a call or reply-and-wait.
        let send = frame.get(register::EAX);
        let receive = frame.get(register::EBP);
        let timeouts = frame.get(register::ECX);
        if send != 0 || receive > 1 || timeouts & 0x0F != 0 {
            return None;
        }
        let caller_tcb = self.threads.tcb(caller);
        if caller_tcb.irq != 0 || caller_tcb.flags != 0 || self.reload_segments || self.stop.is_some() {
            return None;
        }
        let caller_id = caller_tcb.id;
        let destination = ThreadId(frame.get(register::ESI));
        // Same task or same clan (no chief in between), an existing thread.
        let (source_task, target_task) = (caller_id.task(), destination.task());
        if destination.interrupt_number().is_some() || target_task == 0 {
            return None;
        }
        let (source_chief, target_chief) =
            (self.threads.tasks[source_task as usize].chief, self.threads.tasks[target_task as usize].chief);
        let direct = source_task == target_task
            || target_chief == source_chief
            || target_chief == source_task
            || target_task == source_chief;
        if !direct || destination == caller_id {
            return None;
        }
        let receiver = self.threads.find(destination)?;
        let receiver_tcb = self.threads.tcb(receiver);
        if receiver_tcb.state != State::Receiving
            || receiver_tcb.flags & !flag::RECEIVE_PHASE != 0
            || !(receiver_tcb.partner == OPEN || receiver_tcb.partner == caller_id)
        {
            return None;
        }
        let window = ReceiveDescriptor(receiver_tcb.receive_descriptor);
        if !window.is_map_window() && window.buffer_address() >= 4 {
            return None; // a memory buffer: the general path reads its header
        }
        // The caller then waits: closed for the receiver, or open with no one queued.
        let open = receive == 1;
        if caller_tcb.senders_first != NONE {
            return None;
        }
        // The receiver runs next only if nothing of higher priority is ready.
        if self.ready.any_above(receiver_tcb.priority) {
            return None;
        }

        // Perform. (Events in the order the general path reports them.)
        self.statistics.ipcs += 1;
        hardware.touch(self.tcb_address(receiver), 64, false);
        let words = [frame.get(register::EDX), frame.get(register::EBX), frame.get(register::EDI)];
        let events = hardware.events_enabled();
        if events {
            hardware.emit(&KernelEvent::Ipc {
                from: caller_id,
                to: destination,
                words,
                dwords: 0,
                strings: 0,
                fpages: 0,
            });
        }
        self.remove_wakeup(receiver);
        {
            let tcb = self.threads.tcb_mut(receiver);
            tcb.frame.set(register::EAX, 0);
            tcb.frame.set(register::EDX, words[0]);
            tcb.frame.set(register::EBX, words[1]);
            tcb.frame.set(register::EDI, words[2]);
            tcb.frame.set(register::ESI, caller_id.raw());
            tcb.flags = 0;
            tcb.state = State::Ready;
        }
        hardware.touch(self.tcb_address(receiver), 48, true);
        {
            let tcb = self.threads.tcb_mut(caller);
            tcb.frame = *frame;
            tcb.send_descriptor = send;
            tcb.receive_descriptor = receive;
            tcb.timeouts = timeouts;
            tcb.receive_from = destination;
            tcb.flags = flag::RECEIVE_PHASE;
            tcb.saved_from = ThreadId::NIL;
            tcb.state = State::Receiving;
            tcb.partner = if open { OPEN } else { destination };
        }
        hardware.touch(self.tcb_address(caller), 48, true);
        let partner = if open { ThreadId::NIL } else { destination };
        if events {
            hardware.emit(&KernelEvent::IpcWait { thread: caller_id, partner, phase: Phase::Receive });
            hardware.emit(&KernelEvent::ThreadSwitch { from: caller_id, to: destination });
        }
        self.current = receiver;
        self.switch_space(hardware, receiver);
        hardware.touch(self.tcb_address(receiver), 48, false);
        *frame = self.threads.tcb(receiver).frame;
        frame.eflags = (frame.eflags & USER_FLAGS) | eflags::IF | eflags::RESERVED_ONE;
        hardware.kernel_path(Path::IpcShort);
        let reload = core::mem::take(&mut self.reload_segments);
        Some(Outcome::Resume { reload_segments: reload })
    }
}
