//! Exceptions from user mode (X.0 §7.4).
//!
//! - A page fault becomes an IPC to the thread's pager; sigma0's are
//!   resolved by the kernel (its space is idempotent).
//! - #GP is decoded: `hlt` is the version query, `lidt` sets the thread's
//!   virtual IDT, `in`/`out` without permission become an I/O page fault
//!   (w0 = the I/O fpage). A small-space thread that leaves its window is
//!   promoted to a large space. Any other #GP — `int n` among them (error
//!   8n+2) — goes to the virtual IDT's #GP handler.
//! - Every other exception goes to the virtual IDT: the kernel pushes an
//!   iret frame on the user stack and continues at the handler. Without a
//!   virtual IDT the thread stops (in the debugger, or killed).

use crate::cost::Path;
use crate::event::{KernelEvent, KillReason};
use crate::hardware::Hardware;
use crate::memory::SIGMA0_TASK;
use crate::thread::{State, register};
use crate::{Kernel, StopReason, Trap, layout};
use ia32::abi::{Fpage, SmallSpaceId};
use ia32::registers::vector;

/// A virtual IDT always has the gates of the exceptions 0..31.
const IDT_GATES: u8 = 32;

/// The version query's answer: API 0xB0 (X), 4 << 20, 1 << 1, 1.
pub const VERSION_WORD: u32 = 0xB0 << 24 | 4 << 20 | 1 << 1 | 1;

impl Kernel {
    /// The user address a linear fault address stands for (small spaces are offset).
    fn user_address(&self, task: u8, linear: u32) -> Option<u32> {
        if linear < layout::USER_LIMIT {
            return Some(linear);
        }
        if !self.config.small_spaces {
            return None;
        }
        let (size, offset) = SmallSpaceId(self.threads.tasks[task as usize].small).window()?;
        let base = layout::SMALL_SPACE_AREA + offset;
        (linear >= base && linear - base < size).then(|| linear - base)
    }

    pub(crate) fn page_fault<H: Hardware>(&mut self, hardware: &mut H, thread: u16, trap: Trap) -> Path {
        let id = self.threads.tcb(thread).id;
        let write = trap.error_code & 2 != 0;
        let Some(address) = self.user_address(id.task(), trap.fault_address) else {
            hardware.emit(&KernelEvent::PageFault {
                thread: id,
                address: trap.fault_address,
                write,
                eip: self.threads.tcb(thread).frame.eip,
                pager: ia32::abi::ThreadId::NIL,
            });
            self.kill(hardware, thread, KillReason::KernelMemory);
            return Path::PageFault;
        };
        if id.task() == SIGMA0_TASK {
            hardware.emit(&KernelEvent::PageFault {
                thread: id,
                address,
                write,
                eip: self.threads.tcb(thread).frame.eip,
                pager: ia32::abi::ThreadId::NIL,
            });
            if !self.sigma0_fault(hardware, address) {
                self.kill(hardware, thread, KillReason::KernelMemory);
            }
            return Path::Sigma0Fault;
        }
        // A small task whose page is mapped but whose alias is missing: write it, retry.
        if trap.fault_address >= layout::SMALL_SPACE_AREA
            && let Some(directory) = self.directory_of(id.task())
            && let Some(slot) = self.spaces.slot(hardware, directory, ia32::VirtAddr(address))
        {
            let entry = hardware.read_physical_u32(slot.entry);
            if crate::space::present(entry) && (!write || entry & ia32::paging::WRITABLE != 0) {
                self.write_alias(hardware, id.task(), address, entry);
                return Path::PageFault;
            }
        }
        self.page_fault_ipc(hardware, thread, address, write, ia32::abi::Timeouts::INFINITE)
    }

    /// The kernel needed user memory of `thread` that is not mapped (the
    /// kernel debugger's text, a virtual IDT, an instruction to emulate):
    /// the thread takes a page fault at `address`, and once its pager has
    /// answered it continues at `restart_eip`, which repeats the operation.
    pub(crate) fn user_memory_fault<H: Hardware>(
        &mut self,
        hardware: &mut H,
        thread: u16,
        address: u32,
        write: bool,
        restart_eip: u32,
    ) -> Path {
        self.threads.tcb_mut(thread).frame.eip = restart_eip;
        let id = self.threads.tcb(thread).id;
        if address >= layout::USER_LIMIT {
            hardware.emit(&KernelEvent::PageFault {
                thread: id,
                address,
                write,
                eip: restart_eip,
                pager: ia32::abi::ThreadId::NIL,
            });
            self.kill(hardware, thread, KillReason::KernelMemory);
            return Path::PageFault;
        }
        if id.task() == SIGMA0_TASK {
            hardware.emit(&KernelEvent::PageFault {
                thread: id,
                address,
                write,
                eip: restart_eip,
                pager: ia32::abi::ThreadId::NIL,
            });
            if !self.sigma0_fault(hardware, address) {
                self.kill(hardware, thread, KillReason::KernelMemory);
            }
            return Path::Sigma0Fault;
        }
        self.page_fault_ipc(hardware, thread, address, write, ia32::abi::Timeouts::INFINITE)
    }

    /// Decode the ModRM memory operand at `bytes[at..]` (32-bit addressing).
    /// Returns (effective address, bytes used by ModRM, SIB and displacement).
    fn decode_memory(&self, frame: &crate::Frame, bytes: &[u8]) -> Option<(u32, usize)> {
        let modrm = *bytes.first()?;
        let mode = modrm >> 6;
        let rm = modrm & 7;
        if mode == 3 {
            return None;
        }
        let mut used = 1;
        let mut address = 0u32;
        let mut base_register = Some(rm as usize);
        if rm == 4 {
            let sib = *bytes.get(1)?;
            used += 1;
            let scale = 1u32 << (sib >> 6);
            let index = (sib >> 3) & 7;
            if index != 4 {
                address = address.wrapping_add(frame.get(index as usize).wrapping_mul(scale));
            }
            base_register = Some((sib & 7) as usize);
            if sib & 7 == 5 && mode == 0 {
                base_register = None;
                let displacement = u32::from_le_bytes(bytes.get(used..used + 4)?.try_into().ok()?);
                address = address.wrapping_add(displacement);
                used += 4;
            }
        } else if rm == 5 && mode == 0 {
            base_register = None;
            address = u32::from_le_bytes(bytes.get(1..5)?.try_into().ok()?);
            used += 4;
        }
        if let Some(base) = base_register {
            address = address.wrapping_add(frame.get(base));
        }
        match mode {
            1 => {
                address = address.wrapping_add(*bytes.get(used)? as i8 as u32);
                used += 1;
            }
            2 => {
                address = address.wrapping_add(u32::from_le_bytes(bytes.get(used..used + 4)?.try_into().ok()?));
                used += 4;
            }
            _ => {}
        }
        Some((address, used))
    }

    pub(crate) fn exception<H: Hardware>(&mut self, hardware: &mut H, thread: u16, trap: Trap) -> Path {
        let tcb = *self.threads.tcb(thread);
        let eip = tcb.frame.eip;
        // An `int n` through a gate user mode may not use is a #GP with error
        // code 8n + 2 and the EIP of the int, delivered like any other #GP:
        // the thread's #GP handler may emulate it ([X0M] §2.4.2, Hazelnut).
        if trap.vector == vector::GENERAL_PROTECTION {
            let mut bytes = [0u8; 16];
            // The instruction may end before an unmapped page: read what is there.
            let readable = self.readable_instruction(hardware, thread, eip, &mut bytes);
            if trap.error_code == 0 && readable > 0 {
                if let Some(path) = self.emulate(hardware, thread, &bytes) {
                    return path;
                }
                // A small task that left its window runs large from now on.
                if self.config.small_spaces && tcb_small(self, thread) {
                    let task = tcb.id.task();
                    self.promote(hardware, task);
                    return Path::Exception;
                }
            }
        }
        let error = ia32::registers::vector::has_error_code(trap.vector).then_some(trap.error_code);
        self.virtual_interrupt(hardware, thread, trap.vector, error, eip)
    }

    /// Read up to 16 instruction bytes at `eip`, stopping at an unmapped
    /// page; the rest stays 0 (no emulated instruction needs it then).
    fn readable_instruction<H: Hardware>(
        &self,
        hardware: &mut H,
        thread: u16,
        eip: u32,
        bytes: &mut [u8; 16],
    ) -> usize {
        let in_page = (ia32::PAGE_SIZE - (eip & (ia32::PAGE_SIZE - 1))) as usize;
        let first = in_page.min(16);
        if self.read_user(hardware, thread, eip, &mut bytes[..first]).is_err() {
            return 0;
        }
        if first < 16 && self.read_user(hardware, thread, eip.wrapping_add(first as u32), &mut bytes[first..]).is_err()
        {
            return first;
        }
        16
    }

    /// The instructions the kernel emulates or turns into IPC. `None`: not one of them.
    fn emulate<H: Hardware>(&mut self, hardware: &mut H, thread: u16, bytes: &[u8; 16]) -> Option<Path> {
        let frame = self.threads.tcb(thread).frame;
        // Prefixes of in/out: operand size and rep.
        let mut at = 0;
        let mut width = 4u32;
        while matches!(bytes[at], 0x66 | 0xF3 | 0xF2) && at < 4 {
            if bytes[at] == 0x66 {
                width = 2;
            }
            at += 1;
        }
        let opcode = bytes[at];
        match opcode {
            0xF4 if at == 0 => {
                // hlt: the version query.
                let tcb = self.threads.tcb_mut(thread);
                tcb.frame.set(register::EAX, VERSION_WORD);
                tcb.frame.eip = tcb.frame.eip.wrapping_add(1);
                Some(Path::Exception)
            }
            0x0F if at == 0 && bytes[1] == 0x01 && (bytes[2] >> 3) & 7 == 3 => {
                // lidt m16&32: the thread's virtual IDT.
                let (address, used) = self.decode_memory(&frame, &bytes[2..])?;
                let mut table = [0u8; 6];
                if let Err(address) = self.read_user(hardware, thread, address, &mut table) {
                    return Some(self.user_memory_fault(hardware, thread, address, false, frame.eip));
                }
                // Only the base counts: the limit is not interpreted, the
                // table always covers the exceptions 0..31 ([X0M] §2.4.2).
                let tcb = self.threads.tcb_mut(thread);
                tcb.idt_base = u32::from_le_bytes([table[2], table[3], table[4], table[5]]);
                tcb.frame.eip = tcb.frame.eip.wrapping_add(2 + used as u32);
                Some(Path::Exception)
            }
            0xE4..=0xE7 | 0xEC..=0xEF | 0x6C..=0x6F => {
                let port = if matches!(opcode, 0xE4..=0xE7) {
                    bytes[at + 1] as u32
                } else {
                    frame.get(register::EDX) & 0xFFFF
                };
                let width = if opcode & 1 == 0 { 1 } else { width };
                let fpage = Fpage::io(port as u16, width.trailing_zeros() as u8, false, false);
                Some(self.io_fault(hardware, thread, fpage))
            }
            _ => None,
        }
    }

    /// An I/O access without permission: an IPC to the pager with the I/O fpage.
    fn io_fault<H: Hardware>(&mut self, hardware: &mut H, thread: u16, fpage: Fpage) -> Path {
        if self.threads.tcb(thread).id.task() == SIGMA0_TASK {
            self.kill(hardware, thread, KillReason::KernelMemory);
            return Path::Exception;
        }
        // page_fault_ipc puts bit 1 for writes; an I/O fpage goes as it is.
        let path = self.page_fault_ipc(hardware, thread, fpage.raw() & !2, false, ia32::abi::Timeouts::INFINITE);
        self.threads.tcb_mut(thread).fault_address = fpage.raw();
        path
    }

    /// Make a small-space task large again (its EIP or data left the window).
    fn promote<H: Hardware>(&mut self, hardware: &mut H, task: u8) {
        self.clear_small_space(hardware, task);
    }

    /// Deliver an exception (or `int n`) through the thread's virtual IDT:
    /// push EFLAGS, CS, EIP (and the error code) on its stack and continue at
    /// the handler. Without one, the thread stops.
    fn virtual_interrupt<H: Hardware>(
        &mut self,
        hardware: &mut H,
        thread: u16,
        number: u8,
        error: Option<u32>,
        return_eip: u32,
    ) -> Path {
        let tcb = *self.threads.tcb(thread);
        let gate_offset = number as u32 * 8;
        if tcb.idt_base != 0 && number < IDT_GATES {
            let mut gate = [0u8; 8];
            if let Err(address) = self.read_user(hardware, thread, tcb.idt_base.wrapping_add(gate_offset), &mut gate) {
                return self.user_memory_fault(hardware, thread, address, false, tcb.frame.eip);
            }
            {
                let handler = u16::from_le_bytes([gate[0], gate[1]]) as u32
                    | (u16::from_le_bytes([gate[6], gate[7]]) as u32) << 16;
                let mut words = [tcb.frame.eflags, layout::selector::USER_CODE.0 as u32, return_eip, 0];
                let count = if let Some(code) = error {
                    words[3] = code;
                    4
                } else {
                    3
                };
                let mut stack = tcb.frame.get(register::ESP);
                for word in &words[..count] {
                    stack = stack.wrapping_sub(4);
                    if let Err(address) = self.write_user(hardware, thread, stack, &word.to_le_bytes()) {
                        return self.user_memory_fault(hardware, thread, address, true, tcb.frame.eip);
                    }
                }
                {
                    let tcb = self.threads.tcb_mut(thread);
                    tcb.frame.set(register::ESP, stack);
                    tcb.frame.eip = handler;
                    tcb.frame.eflags &= !ia32::registers::eflags::TF;
                    return Path::Exception;
                }
            }
        }
        hardware.emit(&KernelEvent::Exception {
            thread: tcb.id,
            vector: number,
            error_code: error.unwrap_or(0),
            eip: tcb.frame.eip,
        });
        self.report_unhandled_exception(hardware, tcb.id, number, tcb.frame.eip);
        if self.config.stop_in_debugger {
            self.threads.tcb_mut(thread).state = State::Stopped;
            self.dequeue(thread);
            self.stop = Some(StopReason::KernelDebugger { thread: tcb.id, eip: tcb.frame.eip });
        } else {
            self.kill(hardware, thread, KillReason::UnhandledException);
        }
        Path::Exception
    }
}

fn tcb_small(kernel: &Kernel, thread: u16) -> bool {
    kernel.threads.task_of(thread).small != 0
}
