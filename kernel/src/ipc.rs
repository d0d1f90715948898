//! IPC (`int 0x30`): the send phase, the receive phase, and what joins them.
//!
//! An IPC is two phases back to back (X.0): a send to ESI (unless EAX is
//! nil), then a receive (unless EBP is nil) — closed from ESI, or open.
//! When the partner is ready the message moves at once and the CPU is handed
//! to the receiver; otherwise the caller blocks, and the IPC's state lives in
//! its TCB until a partner, a timeout or `lthread_ex_regs` ends it.
//!
//! A transfer that meets a missing page suspends both parties: the thread in
//! whose space the page is missing calls its pager (as for any page fault),
//! and when the pager has mapped the page the transfer goes on from where it
//! stopped (see `transfer`).

use crate::Kernel;
use crate::cost::Path;
use crate::event::{KernelEvent, Phase};
use crate::hardware::Hardware;
use crate::thread::{NONE, OPEN, State, flag, register};
use crate::transfer::Transfer;
use ia32::abi::{Fpage, ReceiveDescriptor, ResultWord, SendDescriptor, ThreadId, Timeouts, ipc_error};

/// How a send phase ended.
enum SendOutcome {
    /// Delivered: go on with the receive phase.
    Delivered,
    /// The sender waits (queued at the receiver, or in a page-fault RPC).
    Blocked,
    /// Failed with an error code (the receive phase is skipped).
    Failed(u32),
}

/// The receive window of the kernel's page-fault IPC: the whole address space.
pub(crate) const PAGE_FAULT_WINDOW: u32 = Fpage::WHOLE_SPACE.0 | 2;

impl Kernel {
    /// `int 0x30`.
    pub(crate) fn ipc<H: Hardware>(&mut self, hardware: &mut H, caller: u16) -> Path {
        self.statistics.other_ipcs += 1;
        let frame = self.threads.tcb(caller).frame;
        {
            let tcb = self.threads.tcb_mut(caller);
            tcb.send_descriptor = frame.get(register::EAX);
            tcb.receive_descriptor = frame.get(register::EBP);
            tcb.timeouts = frame.get(register::ECX);
            tcb.receive_from = ThreadId(frame.get(register::ESI));
            tcb.flags &= !(flag::RECEIVE_PHASE | flag::PAGE_FAULT);
            tcb.transfer_copied = 0;
        }
        self.start_ipc(hardware, caller)
    }

    /// Run (or re-run) the IPC described by a thread's TCB and registers.
    fn start_ipc<H: Hardware>(&mut self, hardware: &mut H, caller: u16) -> Path {
        let tcb = self.threads.tcb(caller);
        let (flags, pager, destination) = (tcb.flags, tcb.pager, ThreadId(tcb.frame.get(register::ESI)));
        let send = if flags & flag::PAGE_FAULT != 0 { SendDescriptor(0) } else { SendDescriptor(tcb.send_descriptor) };
        let receive = ReceiveDescriptor(tcb.receive_descriptor);
        let mut path = Path::IpcShort;
        if !receive.is_none() {
            self.acknowledge_interrupt(hardware, caller);
        }
        if !send.is_none() {
            let destination = if flags & flag::PAGE_FAULT != 0 { pager } else { destination };
            match self.send_phase(hardware, caller, destination, send) {
                SendOutcome::Delivered => {}
                SendOutcome::Blocked => return Path::IpcBlock,
                SendOutcome::Failed(code) => {
                    self.ipc_failed(hardware, caller, code);
                    return Path::IpcError;
                }
            }
            if send.message_address() != 0 || send.maps() {
                path = Path::IpcLong;
            }
        }
        self.after_send(hardware, caller, 0);
        // A message delivered is the fast path, whether or not the caller
        // then waits for the answer (a call); only a receive that found
        // nothing, or a send that found nobody, is a block.
        if send.is_none() && self.threads.tcb(caller).state != State::Ready { Path::IpcBlock } else { path }
    }

    /// End a thread's IPC with an error code in EAX; it becomes ready.
    pub(crate) fn ipc_failed<H: Hardware>(&mut self, hardware: &mut H, thread: u16, code: u32) {
        let flags = self.threads.tcb(thread).flags;
        let in_transfer_fault =
            flags & flag::PAGE_FAULT != 0 && flags & (flag::TRANSFER_AS_SENDER | flag::TRANSFER_AS_RECEIVER) != 0;
        if in_transfer_fault && (code == ipc_error::SEND_TIMEOUT || code == ipc_error::RECEIVE_TIMEOUT) {
            self.transfer_fault_timed_out(hardware, thread);
            return;
        }
        if in_transfer_fault {
            // The page-fault RPC failed otherwise (the pager, or the one a
            // chief redirected it to, does not exist): the transfer cannot
            // go on, for either party.
            self.transfer_fault_failed(hardware, thread);
            return;
        }
        let id = self.threads.tcb(thread).id;
        hardware.emit(&KernelEvent::IpcError { thread: id, code });
        let tcb = self.threads.tcb_mut(thread);
        if tcb.flags & flag::PAGE_FAULT == 0 {
            tcb.frame.set(register::EAX, ResultWord::error(code).0);
        }
        tcb.flags &= !(flag::RECEIVE_PHASE
            | flag::PAGE_FAULT
            | flag::TRANSFER_AS_SENDER
            | flag::TRANSFER_AS_RECEIVER
            | flag::TRANSFER_WAITING);
        self.make_ready(thread);
    }

    /// The send phase is over (delivered): the receive phase follows, or the
    /// IPC is done. `sender_result` is the send's status (0, or a cut).
    fn after_send<H: Hardware>(&mut self, hardware: &mut H, thread: u16, sender_result: u32) {
        let receive = ReceiveDescriptor(self.threads.tcb(thread).receive_descriptor);
        if sender_result != 0 {
            self.ipc_failed(hardware, thread, sender_result);
            return;
        }
        if receive.is_none() {
            let tcb = self.threads.tcb_mut(thread);
            if tcb.flags & flag::PAGE_FAULT == 0 {
                tcb.frame.set(register::EAX, 0);
            }
            self.make_ready(thread);
            return;
        }
        self.threads.tcb_mut(thread).flags |= flag::RECEIVE_PHASE;
        self.receive_phase(hardware, thread);
    }

    /// Whether `receiver` is waiting for a message that `sender` may deliver
    /// now: an open wait, a closed wait for the sender, or a closed wait for
    /// the thread the sender propagates (its `saved_from`, set by `propagation`).
    /// (Always inlined: LLVM's own choice flipped with an unrelated change
    /// of 2026-12-06, and the calls cost the page-fault path ~15
    /// instructions natively.)
    #[inline(always)]
    fn waits_for(&self, receiver: u16, sender: u16) -> bool {
        let tcb = self.threads.tcb(receiver);
        if tcb.state != State::Receiving || tcb.flags & flag::TRANSFER_WAITING != 0 {
            return false;
        }
        let sender = self.threads.tcb(sender);
        tcb.partner == OPEN
            || tcb.partner == sender.id
            || (!sender.saved_from.is_nil() && tcb.partner == sender.saved_from)
    }

    /// A queued sender that propagates `source` to `receiver` (a chief
    /// passing on a message in `source`'s name).
    fn queued_deceiver(&self, receiver: u16, source: ThreadId) -> Option<u16> {
        let mut cursor = self.threads.tcb(receiver).senders_first;
        while cursor != NONE {
            let tcb = self.threads.tcb(cursor);
            if tcb.flags & flag::TRANSFER_WAITING == 0 && tcb.saved_from == source && !source.is_nil() {
                return Some(cursor);
            }
            cursor = tcb.sender_next;
        }
        None
    }

    fn send_phase<H: Hardware>(
        &mut self,
        hardware: &mut H,
        sender: u16,
        destination: ThreadId,
        send: SendDescriptor,
    ) -> SendOutcome {
        let sender_id = self.threads.tcb(sender).id;
        if destination.is_nil() || destination.is_invalid() || destination.interrupt_number().is_some() {
            return SendOutcome::Failed(ipc_error::NO_PARTNER);
        }
        let (target, route_flags) = self.route(sender_id, destination);
        let Some(receiver) = self.threads.find(target) else { return SendOutcome::Failed(ipc_error::NO_PARTNER) };
        if receiver == sender
            || matches!(self.threads.tcb(receiver).state, State::Free | State::Inactive | State::Stopped)
        {
            return SendOutcome::Failed(ipc_error::NO_PARTNER);
        }
        hardware.touch(self.tcb_address(receiver), 64, false);
        // What the receiving chief learns: r (redirected), and i when the
        // message comes out of its clan rather than into it.
        let route_flags = match route_flags {
            crate::syscalls::ROUTE_OUTER => ResultWord::REDIRECTED | ResultWord::INNER_CLAN,
            crate::syscalls::ROUTE_INNER => ResultWord::REDIRECTED,
            _ => 0,
        };
        let flags = route_flags | self.propagation(hardware, sender, receiver, send);
        if self.waits_for(receiver, sender) {
            return self.deliver(hardware, sender, receiver, flags);
        }
        let timeouts = Timeouts(self.threads.tcb(sender).timeouts);
        // The kernel's page-fault RPC carries its own timeouts (∞ for a user
        // fault, the pagefault timeout for a transfer's fault).
        let timeout = timeouts.send();
        if timeout == Some(0) {
            return SendOutcome::Failed(ipc_error::SEND_TIMEOUT);
        }
        // Wait in the receiver's queue.
        self.block(sender, State::Sending);
        self.threads.tcb_mut(sender).partner = target;
        self.threads.tcb_mut(sender).route_flags = (route_flags & 0xFF) as u8;
        self.enqueue_sender(receiver, sender, false);
        if let Some(micros) = timeout {
            self.add_wakeup(sender, self.clock + micros.max(1));
        }
        hardware.emit(&KernelEvent::IpcWait { thread: sender_id, partner: target, phase: Phase::Send });
        SendOutcome::Blocked
    }

    /// The id the receiver sees, when the sender propagates (X.0 p bit): the
    /// propagatee at the sender's [ESP], if propagation is allowed. Returns
    /// the result-word flag (d) to add; the source id is set in `deliver`.
    fn propagation<H: Hardware>(&mut self, hardware: &mut H, sender: u16, receiver: u16, send: SendDescriptor) -> u32 {
        tcb_clear_propagatee(self, sender);
        if !send.propagates() || self.threads.tcb(sender).flags & flag::PAGE_FAULT != 0 {
            return 0;
        }
        let tcb = *self.threads.tcb(sender);
        let Ok(raw) = self.read_user_u32(hardware, sender, tcb.frame.get(register::ESP)) else { return 0 };
        let propagatee = ThreadId(raw);
        let receiver_task = self.threads.tcb(receiver).id.task();
        let sender_task = tcb.id.task();
        // Within a task, or a chief passing a message on across its clan's
        // boundary in the direction it was going: out of the clan (the
        // propagatee is inside), or into it (the receiver is inside).
        let allowed = propagatee.task() == sender_task
            || propagatee.task() == receiver_task
            || self.encloses(sender_task, propagatee.task())
            || self.encloses(sender_task, receiver_task);
        if !allowed || self.threads.find(propagatee).is_none() {
            return 0;
        }
        // A propagatee waiting for the sender's reply now waits for the receiver's.
        if let Some(waiting) = self.threads.find(propagatee) {
            let receiver_id = self.threads.tcb(receiver).id;
            let waiting_tcb = self.threads.tcb_mut(waiting);
            if waiting_tcb.state == State::Receiving && waiting_tcb.partner == tcb.id {
                waiting_tcb.partner = receiver_id;
            }
        }
        self.threads.tcb_mut(sender).saved_from = propagatee;
        ResultWord::DECEIVED
    }

    /// Move the message and wake the receiver. The sender's send phase is done.
    fn deliver<H: Hardware>(&mut self, hardware: &mut H, sender: u16, receiver: u16, flags: u32) -> SendOutcome {
        // The transfer starts: the send and receive timeouts bounded only the
        // wait for it ([X0M] p. 19); from now on only the pagefault timeouts
        // apply (Hazelnut removes the receiver's timer here too).
        self.remove_wakeup(sender);
        self.remove_wakeup(receiver);
        match self.transfer(hardware, sender, receiver, flags) {
            Transfer::Done { receiver_result, sender_result, words, dwords, strings, fpages } => {
                let sender_tcb = self.threads.tcb(sender);
                let (sender_id, sender_flags) = (sender_tcb.id, sender_tcb.flags);
                let source = if flags & ResultWord::DECEIVED != 0 && !sender_tcb.saved_from.is_nil() {
                    sender_tcb.saved_from
                } else {
                    sender_id
                };
                let receiver_id = self.threads.tcb(receiver).id;
                hardware.emit(&KernelEvent::Ipc { from: sender_id, to: receiver_id, words, dwords, strings, fpages });
                if sender_flags & flag::PAGE_FAULT != 0 {
                    self.statistics.page_faults += 1;
                }
                self.receiver_done(hardware, receiver, receiver_result, words, source);
                if sender_result != 0 {
                    return SendOutcome::Failed(sender_result);
                }
                SendOutcome::Delivered
            }
            Transfer::Fault { .. } if self.in_transfer_fault(sender) || self.in_transfer_fault(receiver) => {
                // A transfer of the page-fault RPC of another, stalled
                // transfer (the fault message into a pager's unmapped
                // buffer, the pager's answer from its unmapped message)
                // faulted in turn. A thread takes part in one stalled
                // transfer at a time: this one is aborted instead, and the
                // failed RPC aborts the stalled one.
                self.ipc_failed(hardware, receiver, ipc_error::RECEIVE_ABORTED);
                SendOutcome::Failed(ipc_error::SEND_ABORTED)
            }
            Transfer::Fault { thread, address, write } => {
                self.transfer_fault(hardware, sender, receiver, thread, address, write);
                SendOutcome::Blocked
            }
        }
    }

    /// Whether a thread is the faulting party of a stalled transfer (it is
    /// in, or about to make, that transfer's page-fault RPC).
    fn in_transfer_fault(&self, thread: u16) -> bool {
        self.threads.tcb(thread).flags & (flag::TRANSFER_AS_SENDER | flag::TRANSFER_AS_RECEIVER) != 0
    }

    /// A receiver got its message: write its registers (unless it is in the
    /// kernel's page-fault IPC) and make it ready.
    fn receiver_done<H: Hardware>(
        &mut self,
        hardware: &mut H,
        receiver: u16,
        result: u32,
        words: [u32; 3],
        source: ThreadId,
    ) {
        self.remove_wakeup(receiver);
        if self.threads.tcb(receiver).flags & flag::PAGE_FAULT != 0 {
            // The pager's reply: the mapping is made; the faulting access restarts.
            let tcb = self.threads.tcb_mut(receiver);
            tcb.flags &= !(flag::PAGE_FAULT | flag::RECEIVE_PHASE);
            if tcb.flags & (flag::TRANSFER_AS_SENDER | flag::TRANSFER_AS_RECEIVER) != 0 {
                self.resume_transfer(hardware, receiver);
                return;
            }
            self.hand_off(receiver);
            return;
        }
        let frame = &mut self.threads.tcb_mut(receiver).frame;
        frame.set(register::EAX, result);
        frame.set(register::EDX, words[0]);
        frame.set(register::EBX, words[1]);
        frame.set(register::EDI, words[2]);
        frame.set(register::ESI, source.raw());
        self.threads.tcb_mut(receiver).flags &= !flag::RECEIVE_PHASE;
        hardware.touch(self.tcb_address(receiver), 48, true);
        self.hand_off(receiver);
    }

    /// The receive phase of `thread`'s IPC: take a message that is waiting,
    /// or block.
    pub(crate) fn receive_phase<H: Hardware>(&mut self, hardware: &mut H, thread: u16) {
        let tcb = self.threads.tcb(thread);
        let (thread_id, page_fault) = (tcb.id, tcb.flags & flag::PAGE_FAULT != 0);
        let receive = ReceiveDescriptor(tcb.receive_descriptor);
        let timeouts = Timeouts(tcb.timeouts);
        let timeout = timeouts.receive();
        let open = receive.is_open() && !page_fault;
        let source = tcb.receive_from;
        if open {
            if self.take_pending_interrupt(hardware, thread) {
                return;
            }
            if let Some(sender) = self.first_sender(thread) {
                self.take_from_queue(hardware, thread, sender);
                return;
            }
        } else if source.is_nil() {
            // Receive from nil: nothing ever comes — the sleep idiom. With
            // timeout 0 it also detaches the caller from its interrupt.
            if timeout == Some(0) {
                self.detach_interrupt(hardware, thread);
            }
        } else if let Some(irq) = source.interrupt_number() {
            if self.interrupt_receive(hardware, thread, irq, timeout) {
                return;
            }
        } else {
            match self.threads.find(source) {
                None => {
                    self.ipc_failed(hardware, thread, ipc_error::NO_PARTNER);
                    return;
                }
                Some(sender) => {
                    if self.threads.tcb(sender).state == State::Sending && self.threads.tcb(sender).partner == thread_id
                    {
                        self.take_from_queue(hardware, thread, sender);
                        return;
                    }
                    if let Some(deceiver) = self.queued_deceiver(thread, source) {
                        self.take_from_queue(hardware, thread, deceiver);
                        return;
                    }
                }
            }
        }
        if timeout == Some(0) {
            self.ipc_failed(hardware, thread, ipc_error::RECEIVE_TIMEOUT);
            return;
        }
        self.block(thread, State::Receiving);
        self.threads.tcb_mut(thread).partner = if open { OPEN } else { source };
        if let Some(micros) = timeout {
            self.add_wakeup(thread, self.clock + micros.max(1));
        }
        let partner = if open { ThreadId::NIL } else { source };
        hardware.emit(&KernelEvent::IpcWait { thread: thread_id, partner, phase: Phase::Receive });
    }

    /// A queued sender's message goes to `receiver` (who is receiving now).
    fn take_from_queue<H: Hardware>(&mut self, hardware: &mut H, receiver: u16, sender: u16) {
        self.dequeue_sender(receiver, sender);
        self.remove_wakeup(sender);
        // The receiver is in its receive phase: mark it waiting for this sender.
        let sender_id = self.threads.tcb(sender).id;
        {
            let tcb = self.threads.tcb_mut(receiver);
            tcb.state = State::Receiving;
            tcb.partner = sender_id;
        }
        let send = if self.threads.tcb(sender).flags & flag::PAGE_FAULT != 0 {
            SendDescriptor(0)
        } else {
            SendDescriptor(self.threads.tcb(sender).send_descriptor)
        };
        // The route was decided when the sender queued (the receiver may be
        // the chief its message was redirected to).
        let route_flags = self.threads.tcb(sender).route_flags as u32;
        let flags = route_flags | self.propagation(hardware, sender, receiver, send);
        match self.deliver(hardware, sender, receiver, flags) {
            SendOutcome::Delivered => {
                // The receiver keeps the CPU if it is the one running.
                if self.current == receiver {
                    self.handoff = NONE;
                }
                let sender_state = self.threads.tcb(sender).state;
                if sender_state == State::Sending {
                    self.threads.tcb_mut(sender).state = State::Ready;
                }
                self.after_send(hardware, sender, 0);
            }
            SendOutcome::Failed(code) => {
                self.ipc_failed(hardware, sender, code);
            }
            SendOutcome::Blocked => {}
        }
    }

    /// The first thread in `receiver`'s sender queue that can be delivered now.
    fn first_sender(&self, receiver: u16) -> Option<u16> {
        let mut cursor = self.threads.tcb(receiver).senders_first;
        while cursor != NONE {
            if self.threads.tcb(cursor).flags & flag::TRANSFER_WAITING == 0 {
                return Some(cursor);
            }
            cursor = self.threads.tcb(cursor).sender_next;
        }
        None
    }

    pub(crate) fn enqueue_sender(&mut self, receiver: u16, sender: u16, front: bool) {
        let tcbs = &mut self.threads.tcbs;
        let first = tcbs[receiver as usize].senders_first;
        let last = tcbs[receiver as usize].senders_last;
        if first == NONE {
            tcbs[receiver as usize].senders_first = sender;
            tcbs[receiver as usize].senders_last = sender;
        } else if front {
            tcbs[sender as usize].sender_next = first;
            tcbs[first as usize].sender_previous = sender;
            tcbs[receiver as usize].senders_first = sender;
        } else {
            tcbs[sender as usize].sender_previous = last;
            tcbs[last as usize].sender_next = sender;
            tcbs[receiver as usize].senders_last = sender;
        }
    }

    pub(crate) fn dequeue_sender(&mut self, receiver: u16, sender: u16) {
        let (next, previous) = {
            let tcb = self.threads.tcb(sender);
            (tcb.sender_next, tcb.sender_previous)
        };
        if previous != NONE {
            self.threads.tcb_mut(previous).sender_next = next;
        } else if self.threads.tcb(receiver).senders_first == sender {
            self.threads.tcb_mut(receiver).senders_first = next;
        }
        if next != NONE {
            self.threads.tcb_mut(next).sender_previous = previous;
        } else if self.threads.tcb(receiver).senders_last == sender {
            self.threads.tcb_mut(receiver).senders_last = previous;
        }
        let tcb = self.threads.tcb_mut(sender);
        tcb.sender_next = NONE;
        tcb.sender_previous = NONE;
    }

    /// The kernel's page-fault IPC: `thread` calls its pager with the fault
    /// (address with bit 1 for a write, EIP, 0) and waits for a mapping.
    pub(crate) fn page_fault_ipc<H: Hardware>(
        &mut self,
        hardware: &mut H,
        thread: u16,
        address: u32,
        write: bool,
        timeouts: Timeouts,
    ) -> Path {
        let tcb = *self.threads.tcb(thread);
        let word = (address & !2) | if write { 2 } else { 0 };
        hardware.emit(&KernelEvent::PageFault { thread: tcb.id, address, write, eip: tcb.frame.eip, pager: tcb.pager });
        {
            let tcb = self.threads.tcb_mut(thread);
            tcb.flags |= flag::PAGE_FAULT;
            tcb.flags &= !flag::RECEIVE_PHASE;
            tcb.fault_address = word;
            tcb.receive_descriptor = PAGE_FAULT_WINDOW;
            tcb.timeouts = timeouts.0;
            tcb.receive_from = tcb.pager;
        }
        match self.send_phase(hardware, thread, tcb.pager, SendDescriptor(0)) {
            SendOutcome::Delivered => {
                self.after_send(hardware, thread, 0);
                Path::PageFault
            }
            SendOutcome::Blocked => Path::PageFault,
            SendOutcome::Failed(ipc_error::SEND_TIMEOUT) => {
                // A transfer's fault with pagefault timeout 0 and a pager not
                // waiting: the transfer fails for both parties.
                self.ipc_failed(hardware, thread, ipc_error::SEND_TIMEOUT);
                Path::PageFault
            }
            SendOutcome::Failed(_) => {
                // The pager does not exist (any more): the thread cannot go
                // on, and neither can a transfer whose fault this was — its
                // other party, waiting for the fault to be resolved, would
                // wait forever: its IPC is aborted (0xC0 / 0xD0).
                let tcb = self.threads.tcb(thread);
                let in_transfer = tcb.flags & (flag::TRANSFER_AS_SENDER | flag::TRANSFER_AS_RECEIVER) != 0;
                let partner = if in_transfer { tcb.transfer_partner } else { NONE };
                {
                    let tcb = self.threads.tcb_mut(thread);
                    tcb.flags &= !flag::PAGE_FAULT;
                    if in_transfer {
                        tcb.leave_transfer_fault();
                    }
                }
                if partner != NONE {
                    self.abort_transfer_side(hardware, partner);
                }
                self.kill(hardware, thread, crate::event::KillReason::NoPager);
                Path::PageFault
            }
        }
    }

    /// A transfer from `sender` to `receiver` met a missing page in `faulting`'s
    /// space: suspend both and let `faulting` ask its pager.
    fn transfer_fault<H: Hardware>(
        &mut self,
        hardware: &mut H,
        sender: u16,
        receiver: u16,
        faulting: u16,
        address: u32,
        write: bool,
    ) {
        let other = if faulting == sender { receiver } else { sender };
        // A fault in the receiver's space is bounded by the sender's send-
        // pagefault timeout, one in the sender's space by the receiver's
        // receive-pagefault timeout (both as the RPC's send and receive timeout).
        let rpc_timeouts = if faulting == receiver {
            Timeouts::pagefault_rpc(Timeouts(self.threads.tcb(sender).timeouts).send_pagefault_exponent())
        } else {
            Timeouts::pagefault_rpc(Timeouts(self.threads.tcb(receiver).timeouts).receive_pagefault_exponent())
        };
        // The other party waits, marked so that nothing else takes it.
        if other == sender {
            // The sender goes (back) to the front of the receiver's queue.
            self.dequeue(sender);
            self.threads.tcb_mut(sender).state = State::Sending;
            self.threads.tcb_mut(sender).partner = self.threads.tcb(receiver).id;
            self.dequeue_sender(receiver, sender);
            self.enqueue_sender(receiver, sender, true);
        } else {
            self.dequeue(receiver);
            self.threads.tcb_mut(receiver).state = State::Receiving;
            self.threads.tcb_mut(receiver).partner = self.threads.tcb(sender).id;
        }
        self.threads.tcb_mut(other).flags |= flag::TRANSFER_WAITING;
        self.threads.tcb_mut(other).transfer_partner = faulting;
        // The faulting thread remembers its IPC and calls its pager.
        let role = if faulting == sender { flag::TRANSFER_AS_SENDER } else { flag::TRANSFER_AS_RECEIVER };
        {
            let tcb = self.threads.tcb_mut(faulting);
            tcb.flags |= role;
            tcb.saved_descriptor = tcb.receive_descriptor;
            tcb.saved_timeouts = tcb.timeouts;
            tcb.saved_from = tcb.receive_from;
            tcb.transfer_partner = other;
        }
        if faulting == sender {
            self.dequeue_sender(receiver, sender);
        }
        self.page_fault_ipc(hardware, faulting, address, write, rpc_timeouts);
    }

    /// The pager resolved a transfer's page fault: retry the IPC.
    fn resume_transfer<H: Hardware>(&mut self, hardware: &mut H, thread: u16) {
        let other = self.threads.tcb(thread).transfer_partner;
        let as_sender = self.threads.tcb(thread).flags & flag::TRANSFER_AS_SENDER != 0;
        self.threads.tcb_mut(thread).leave_transfer_fault();
        if other != NONE {
            let tcb = self.threads.tcb_mut(other);
            tcb.flags &= !flag::TRANSFER_WAITING;
            tcb.transfer_partner = NONE;
        }
        if as_sender {
            // Send again: the receiver still waits for us.
            self.threads.tcb_mut(thread).state = State::Ready;
            self.start_ipc(hardware, thread);
        } else {
            // Receive again, from the same sender (first in our queue): its
            // transfer goes on where it stopped.
            self.threads.tcb_mut(thread).state = State::Receiving;
            let sender_id = if other != NONE { self.threads.tcb(other).partner } else { ThreadId::NIL };
            if other != NONE
                && self.threads.tcb(other).state == State::Sending
                && sender_id == self.threads.tcb(thread).id
            {
                self.take_from_queue(hardware, thread, other);
            } else {
                self.receive_phase(hardware, thread);
            }
        }
    }

    /// The page-fault RPC of a suspended transfer ran out of time: the
    /// transfer fails for both parties — a fault in the receiver's space with
    /// the send-pagefault timeout (receiver 0x80, sender 0x90), one in the
    /// sender's space with the receive-pagefault timeout (0xA0, 0xB0).
    fn transfer_fault_timed_out<H: Hardware>(&mut self, hardware: &mut H, faulting: u16) {
        let tcb = *self.threads.tcb(faulting);
        let as_sender = tcb.flags & flag::TRANSFER_AS_SENDER != 0;
        let other = tcb.transfer_partner;
        {
            let tcb = self.threads.tcb_mut(faulting);
            tcb.flags &= !flag::PAGE_FAULT;
            tcb.leave_transfer_fault();
        }
        self.remove_wakeup(faulting);
        // A fault in the sender's space ran out of the receive-pagefault
        // timeout, one in the receiver's space out of the send-pagefault timeout.
        let (faulting_code, other_code) = if as_sender {
            (ipc_error::RECEIVE_PAGEFAULT_TIMEOUT_AT_SENDER, ipc_error::RECEIVE_PAGEFAULT_TIMEOUT_AT_RECEIVER)
        } else {
            (ipc_error::SEND_PAGEFAULT_TIMEOUT_AT_RECEIVER, ipc_error::SEND_PAGEFAULT_TIMEOUT_AT_SENDER)
        };
        if other != NONE {
            self.threads.tcb_mut(other).transfer_partner = NONE;
            self.remove_wakeup(other);
            self.fail_blocked_ipc(hardware, other, other_code);
        }
        self.ipc_failed(hardware, faulting, faulting_code);
    }

    /// The page-fault RPC of a suspended transfer failed for another reason
    /// than a timeout: the transfer is aborted for both parties (0xC0 for
    /// the receiver, 0xD0 for the sender), as ex_regs aborts it.
    fn transfer_fault_failed<H: Hardware>(&mut self, hardware: &mut H, faulting: u16) {
        let tcb = *self.threads.tcb(faulting);
        let as_sender = tcb.flags & flag::TRANSFER_AS_SENDER != 0;
        let other = tcb.transfer_partner;
        {
            let tcb = self.threads.tcb_mut(faulting);
            tcb.flags &= !flag::PAGE_FAULT;
            tcb.leave_transfer_fault();
        }
        self.remove_wakeup(faulting);
        if other != NONE {
            self.abort_transfer_side(hardware, other);
        }
        let code = if as_sender { ipc_error::SEND_ABORTED } else { ipc_error::RECEIVE_ABORTED };
        self.ipc_failed(hardware, faulting, code);
    }

    /// A blocked IPC's timeout expired.
    pub(crate) fn timeout<H: Hardware>(&mut self, hardware: &mut H, thread: u16) {
        self.remove_wakeup(thread);
        let tcb = *self.threads.tcb(thread);
        match tcb.state {
            State::Sending => {
                if let Some(receiver) = self.threads.find(tcb.partner) {
                    self.dequeue_sender(receiver, thread);
                }
                self.ipc_failed(hardware, thread, ipc_error::SEND_TIMEOUT);
            }
            State::Receiving => self.ipc_failed(hardware, thread, ipc_error::RECEIVE_TIMEOUT),
            _ => {}
        }
    }

    /// End a thread's IPC from outside (lthread_ex_regs, a deleted task):
    /// not started yet → cancelled (0x40/0x50); in the middle of a transfer
    /// (also one stalled on a page fault) → aborted for both parties, each
    /// with its own code: 0xC0 for the receiver, 0xD0 for the sender ([X0M]
    /// p. 28; Hazelnut's unwind_ipc).
    pub(crate) fn cancel_ipc<H: Hardware>(&mut self, hardware: &mut H, thread: u16) {
        let tcb = *self.threads.tcb(thread);
        if !matches!(tcb.state, State::Sending | State::Receiving) {
            return;
        }
        if self.transfer_role(thread).is_some() {
            let partner = tcb.transfer_partner;
            self.abort_transfer_side(hardware, thread);
            if partner != NONE {
                self.abort_transfer_side(hardware, partner);
            }
            return;
        }
        if tcb.state == State::Sending
            && let Some(receiver) = self.threads.find(tcb.partner)
        {
            self.dequeue_sender(receiver, thread);
        }
        let receive_phase = tcb.flags & flag::RECEIVE_PHASE != 0 || tcb.state == State::Receiving;
        let code = if receive_phase { ipc_error::RECEIVE_CANCELLED } else { ipc_error::SEND_CANCELLED };
        self.ipc_failed(hardware, thread, code);
    }

    /// Whether a thread takes part in a transfer stalled on a page fault, and
    /// as which party: `Some(true)` the sender, `Some(false)` the receiver.
    fn transfer_role(&self, thread: u16) -> Option<bool> {
        let tcb = self.threads.tcb(thread);
        if tcb.flags & flag::TRANSFER_AS_SENDER != 0 {
            Some(true)
        } else if tcb.flags & flag::TRANSFER_AS_RECEIVER != 0 {
            Some(false)
        } else if tcb.flags & flag::TRANSFER_WAITING != 0 {
            Some(tcb.state == State::Sending)
        } else {
            None
        }
    }

    /// One party of a stalled transfer: out of any queue (the pager's, for
    /// the page-fault RPC; the receiver's, for a waiting sender), back to the
    /// IPC the fault interrupted, and failed with its abort code.
    fn abort_transfer_side<H: Hardware>(&mut self, hardware: &mut H, thread: u16) {
        let Some(as_sender) = self.transfer_role(thread) else { return };
        let tcb = *self.threads.tcb(thread);
        if !matches!(tcb.state, State::Sending | State::Receiving) {
            return;
        }
        if tcb.state == State::Sending
            && let Some(queue) = self.threads.find(tcb.partner)
        {
            self.dequeue_sender(queue, thread);
        }
        {
            let tcb = self.threads.tcb_mut(thread);
            if tcb.flags & (flag::TRANSFER_AS_SENDER | flag::TRANSFER_AS_RECEIVER) != 0 {
                tcb.leave_transfer_fault();
            }
            tcb.flags &= !(flag::PAGE_FAULT | flag::TRANSFER_WAITING);
            tcb.transfer_partner = NONE;
        }
        let code = if as_sender { ipc_error::SEND_ABORTED } else { ipc_error::RECEIVE_ABORTED };
        self.ipc_failed(hardware, thread, code);
    }

    /// Fail the IPC a thread is blocked in (if it is): out of its
    /// receiver's queue first if it was sending.
    fn fail_blocked_ipc<H: Hardware>(&mut self, hardware: &mut H, thread: u16, code: u32) {
        let tcb = *self.threads.tcb(thread);
        if tcb.state == State::Sending
            && let Some(receiver) = self.threads.find(tcb.partner)
        {
            self.dequeue_sender(receiver, thread);
        }
        if matches!(tcb.state, State::Sending | State::Receiving) {
            self.ipc_failed(hardware, thread, code);
        }
    }
}

fn tcb_clear_propagatee(kernel: &mut Kernel, sender: u16) {
    let tcb = kernel.threads.tcb_mut(sender);
    if tcb.flags & (flag::TRANSFER_AS_SENDER | flag::TRANSFER_AS_RECEIVER) == 0 {
        tcb.saved_from = ThreadId::NIL;
    }
}
