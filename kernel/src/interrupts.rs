//! Interrupts: the 8259A pair and the 8254 timer, programmed by the kernel
//! through `port_out8` (so native and model run the same code), the kernel's
//! clock on IRQ 0, and every other IRQ delivered as an IPC from `irq + 1`.
//!
//! A thread attaches to IRQ n by a closed receive from n + 1 with receive
//! timeout 0 (it gets 0x20 back, or 0x10 if another thread has n). An IRQ
//! is masked and acknowledged at the PIC when it arrives; it stays pending
//! until the owner waits for it; the owner's next receive is its
//! acknowledgement, which unmasks the line.

use crate::Kernel;
use crate::cost::Path;
use crate::event::KernelEvent;
use crate::hardware::Hardware;
use crate::thread::{NONE, OPEN, State, register};
use ia32::abi::{ThreadId, ipc_error};

const MASTER_COMMAND: u16 = 0x20;
const MASTER_DATA: u16 = 0x21;
const SLAVE_COMMAND: u16 = 0xA0;
const SLAVE_DATA: u16 = 0xA1;
const PIT_COMMAND: u16 = 0x43;
const PIT_CHANNEL0: u16 = 0x40;
/// The PIT's input clock.
pub const PIT_HZ: u32 = 1_193_182;
/// The timer's reload value: 1193 ticks ≈ 1 ms.
pub const PIT_RELOAD: u32 = 1193;
/// The kernel clock advances by this much per timer interrupt (µs, rounded).
pub const TICK_MICROSECONDS: u32 = ((PIT_RELOAD as u64 * 1_000_000 + PIT_HZ as u64 / 2) / PIT_HZ as u64) as u32;
/// The IRQ the kernel keeps.
pub const TIMER_IRQ: u8 = 0;
const CASCADE_IRQ: u8 = 2;

impl Kernel {
    /// Program both PICs (vectors 0x20..0x2F), mask everything but the timer
    /// and the cascade, and start the timer at ~1 kHz.
    pub(crate) fn init_interrupts<H: Hardware>(&mut self, hardware: &mut H) {
        let base = ia32::registers::vector::IRQ_BASE;
        for (port, value) in [
            (MASTER_COMMAND, 0x11),
            (MASTER_DATA, base),
            (MASTER_DATA, 0x04),
            (MASTER_DATA, 0x01),
            (SLAVE_COMMAND, 0x11),
            (SLAVE_DATA, base + 8),
            (SLAVE_DATA, 0x02),
            (SLAVE_DATA, 0x01),
        ] {
            hardware.port_out8(port, value);
        }
        for irq in 0..16 {
            self.irqs[irq] = crate::Irq { owner: NONE, pending: false, masked: true };
        }
        self.irqs[TIMER_IRQ as usize].masked = false;
        self.irqs[CASCADE_IRQ as usize].masked = false;
        self.write_masks(hardware);
        hardware.port_out8(PIT_COMMAND, 0x34); // channel 0, lo/hi byte, rate generator
        hardware.port_out8(PIT_CHANNEL0, PIT_RELOAD as u8);
        hardware.port_out8(PIT_CHANNEL0, (PIT_RELOAD >> 8) as u8);
    }

    fn write_masks<H: Hardware>(&mut self, hardware: &mut H) {
        let mut master = 0u8;
        let mut slave = 0u8;
        for (irq, line) in self.irqs.iter().enumerate() {
            if line.masked {
                if irq < 8 {
                    master |= 1 << irq;
                } else {
                    slave |= 1 << (irq - 8);
                }
            }
        }
        hardware.port_out8(MASTER_DATA, master);
        hardware.port_out8(SLAVE_DATA, slave);
    }

    fn end_of_interrupt<H: Hardware>(&mut self, hardware: &mut H, irq: u8) {
        if irq >= 8 {
            hardware.port_out8(SLAVE_COMMAND, 0x20);
        }
        hardware.port_out8(MASTER_COMMAND, 0x20);
    }

    /// A hardware interrupt.
    pub(crate) fn interrupt<H: Hardware>(&mut self, hardware: &mut H, irq: u8) -> Path {
        let irq = irq & 15;
        if irq == TIMER_IRQ {
            self.end_of_interrupt(hardware, irq);
            self.tick(hardware, TICK_MICROSECONDS);
            return Path::Interrupt;
        }
        // Mask until the owner acknowledges, and let the PIC go on.
        self.irqs[irq as usize].masked = true;
        self.write_masks(hardware);
        self.end_of_interrupt(hardware, irq);
        let owner = self.irqs[irq as usize].owner;
        let owner_id = if owner == NONE { ThreadId::NIL } else { self.threads.tcb(owner).id };
        hardware.emit(&KernelEvent::Interrupt { irq, owner: owner_id });
        if owner == NONE {
            return Path::Interrupt;
        }
        if self.waits_for_interrupt(owner, irq) {
            self.deliver_interrupt(hardware, owner, irq);
        } else {
            self.irqs[irq as usize].pending = true;
        }
        Path::Interrupt
    }

    fn waits_for_interrupt(&self, thread: u16, irq: u8) -> bool {
        let tcb = self.threads.tcb(thread);
        tcb.state == State::Receiving && (tcb.partner == OPEN || tcb.partner == ThreadId::interrupt(irq))
    }

    /// An interrupt arrives as a message from irq + 1 with no data.
    fn deliver_interrupt<H: Hardware>(&mut self, hardware: &mut H, thread: u16, irq: u8) {
        self.irqs[irq as usize].pending = false;
        self.remove_wakeup(thread);
        let id = self.threads.tcb(thread).id;
        let tcb = self.threads.tcb_mut(thread);
        tcb.frame.set(register::EAX, 0);
        tcb.frame.set(register::ESI, ThreadId::interrupt(irq).raw());
        tcb.flags &= !crate::thread::flag::RECEIVE_PHASE;
        hardware.emit(&KernelEvent::Ipc {
            from: ThreadId::interrupt(irq),
            to: id,
            words: [0; 3],
            dwords: 0,
            strings: 0,
            fpages: 0,
        });
        self.hand_off(thread);
    }

    /// An open receive first takes a pending interrupt of the caller.
    pub(crate) fn take_pending_interrupt<H: Hardware>(&mut self, hardware: &mut H, thread: u16) -> bool {
        let irq = self.threads.tcb(thread).irq;
        if irq == 0 || !self.irqs[(irq - 1) as usize].pending {
            return false;
        }
        self.deliver_interrupt(hardware, thread, irq - 1);
        true
    }

    /// The owner's next receive acknowledges its interrupt: unmask the line.
    pub(crate) fn acknowledge_interrupt<H: Hardware>(&mut self, hardware: &mut H, thread: u16) {
        let irq = self.threads.tcb(thread).irq;
        if irq == 0 {
            return;
        }
        let line = &mut self.irqs[(irq - 1) as usize];
        if line.owner == thread && line.masked && !line.pending {
            line.masked = false;
            self.write_masks(hardware);
        }
    }

    /// A closed receive from irq + 1. With receive timeout 0 it attaches the
    /// caller to the IRQ (detaching its old one); otherwise it waits for it.
    /// Returns true if the receive completed.
    pub(crate) fn interrupt_receive<H: Hardware>(
        &mut self,
        hardware: &mut H,
        thread: u16,
        irq: u8,
        timeout: Option<u64>,
    ) -> bool {
        if irq >= 16 || irq == TIMER_IRQ || irq == CASCADE_IRQ {
            self.ipc_error(hardware, thread, ipc_error::NO_PARTNER);
            return true;
        }
        let owner = self.irqs[irq as usize].owner;
        if timeout == Some(0) {
            if owner != NONE && owner != thread {
                self.ipc_error(hardware, thread, ipc_error::NO_PARTNER);
                return true;
            }
            let pending_old = self.detach_interrupt(hardware, thread);
            self.irqs[irq as usize] = crate::Irq { owner: thread, pending: false, masked: false };
            self.threads.tcb_mut(thread).irq = irq + 1;
            self.write_masks(hardware);
            let id = self.threads.tcb(thread).id;
            hardware.emit(&KernelEvent::InterruptAttached { irq, thread: id });
            match pending_old {
                // The old IRQ was pending: it is delivered instead of the timeout.
                Some(old) => self.deliver_interrupt(hardware, thread, old),
                None => self.ipc_error(hardware, thread, ipc_error::RECEIVE_TIMEOUT),
            }
            return true;
        }
        if owner != thread {
            self.ipc_error(hardware, thread, ipc_error::NO_PARTNER);
            return true;
        }
        if self.irqs[irq as usize].pending {
            self.deliver_interrupt(hardware, thread, irq);
            return true;
        }
        false
    }

    /// Detach a thread from its IRQ; returns the IRQ if it was pending.
    pub(crate) fn detach_interrupt<H: Hardware>(&mut self, hardware: &mut H, thread: u16) -> Option<u8> {
        let irq = self.threads.tcb(thread).irq;
        if irq == 0 {
            return None;
        }
        let line = irq - 1;
        let pending = self.irqs[line as usize].pending;
        self.irqs[line as usize] = crate::Irq { owner: NONE, pending: false, masked: true };
        self.threads.tcb_mut(thread).irq = 0;
        self.write_masks(hardware);
        pending.then_some(line)
    }

    fn ipc_error<H: Hardware>(&mut self, hardware: &mut H, thread: u16, code: u32) {
        let id = self.threads.tcb(thread).id;
        hardware.emit(&KernelEvent::IpcError { thread: id, code });
        let tcb = self.threads.tcb_mut(thread);
        tcb.frame.set(register::EAX, code);
        tcb.flags &= !crate::thread::flag::RECEIVE_PHASE;
        self.make_ready(thread);
    }
}
