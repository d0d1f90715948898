//! The page-fault fast path (Liedtke 1995, §4: a page fault is an IPC the
//! kernel makes on the thread's behalf, so it deserves the IPC's short
//! path): a user fault in a large space, delivered to a pager in the same
//! clan that already waits for it, as the three words of a register
//! message, after which the faulting thread waits for the pager's answer.
//!
//! The native image runs it in assembly (`native-boot/src/bare/fastpath.rs`,
//! `page_fault_fastpath`); everything else there takes the general entry.
//! Unlike the IPC fast path this one has no second Rust implementation:
//! the general path (`Kernel::page_fault`) does what the assembly does when
//! every guard below holds (but that the assembly, as the IPC fast path,
//! does not store the registers of the pager it starts: a running thread's
//! saved frame is dead), and the model runs it and only charges it as
//! `Path::FaultFast` — [`Kernel::fault_assembly_takes`]
//! is the assembly's line of guards, and it changes nothing. The model-vs-
//! QEMU trace test compares the events both report.

use crate::event::{KernelEvent, Phase};
use crate::hardware::Hardware;
use crate::thread::NONE;
use crate::{Frame, Kernel, Trap, layout, memory};
use ia32::registers::eflags;

impl Kernel {
    /// Whether the native image's assembly takes the page fault `trap` of
    /// the current thread `faulter` (registers in `frame`) itself: the same
    /// guards, in the same order (the assembly also checks first that the
    /// fault came from ring 3 and that a thread is current, which every
    /// caller here knows). The general path then has the same effect, but
    /// for the pager's saved registers, which the assembly leaves dead as
    /// the IPC path does; the model charges the fast path's measured cost.
    pub(crate) fn fault_assembly_takes(&self, faulter: u16, trap: &Trap, frame: &Frame) -> bool {
        // Not from virtual-8086 mode; not sigma0 (the kernel answers its
        // faults). (Nothing is left for an exit to act on between entries:
        // `Kernel::audit` checks it.)
        let faulter_tcb = self.threads.tcb(faulter);
        let task = faulter_tcb.id.task();
        if frame.eflags & eflags::VM != 0 || task == memory::SIGMA0_TASK {
            return false;
        }
        // The faulting thread: in no IPC, no one queued to send to it (its
        // receive from the pager would look at them), no timeout.
        if faulter_tcb.flags != 0 || faulter_tcb.senders_first != NONE || faulter_tcb.wakeup != 0 {
            return false;
        }
        // A large space's user address (a small space faults above
        // USER_LIMIT, in its window).
        if trap.fault_address >= layout::USER_LIMIT {
            return false;
        }
        // The pager waits for it as an IPC fast path's receiver waits for
        // its caller, and has no timeout to remove.
        self.fast_receiver(faulter_tcb.id, faulter_tcb.pager).is_some_and(|pager| self.threads.tcb(pager).wakeup == 0)
    }

    /// For the native image's self-audit: whether the page fault `trap` of
    /// the current thread (registers in `frame`), which reached the general
    /// entry, is one the assembly's guards take — which would mean the
    /// assembly and [`Kernel::fault_assembly_takes`] disagree.
    pub fn fault_escaped_the_assembly(&self, trap: &Trap, frame: &Frame) -> bool {
        self.current != NONE && self.fault_assembly_takes(self.current, trap, frame)
    }

    /// The events of a page fault the assembly delivered, from the state it
    /// left (the pager is current, the faulting thread `faulter` waits for
    /// it): the fault, the message, the wait and the switch, as the general
    /// path reports them. `address` is the fault's address (CR2); the
    /// switch of address space reports itself.
    pub fn report_fast_fault<H: Hardware>(&self, hardware: &mut H, faulter: u16, address: u32) {
        let tcb = self.threads.tcb(faulter);
        let (thread, pager, eip) = (tcb.id, self.current_thread(), tcb.frame.eip);
        let write = tcb.fault_address & 2 != 0;
        hardware.emit(&KernelEvent::PageFault { thread, address, write, eip, pager: tcb.pager });
        let words = [tcb.fault_address, eip, 0];
        hardware.emit(&KernelEvent::Ipc { from: thread, to: pager, words, dwords: 0, strings: 0, fpages: 0 });
        hardware.emit(&KernelEvent::IpcWait { thread, partner: tcb.pager, phase: Phase::Receive });
        hardware.emit(&KernelEvent::ThreadSwitch { from: thread, to: pager });
    }
}
