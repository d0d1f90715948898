//! The kernel debugger's interface (the int3 protocol, ABI §8).
//!
//! The byte after `int3` selects the operation:
//! - `EB len text` — enter_kdebug: print `--- text ---` and stop (if
//!   stopping is configured); a headless system has no one to continue it by
//!   hand, so it says so and goes on (the explorer stops its run there, as at
//!   a breakpoint). Text starting with `*` is a trace note that never stops.
//! - `90 EB len text` — kd_display: print the text.
//! - `3C N` — console I/O with the argument or result in EAX; every other
//!   register is preserved.
//! - anything else — a plain breakpoint.
//!
//! Addresses are user addresses of the calling thread. A blocking read
//! (inchar) waits in the kernel until a byte arrives at the console.

use crate::cost::Path;
use crate::event::KernelEvent;
use crate::hardware::Hardware;
use crate::thread::{State, register};
use crate::{Kernel, StopReason};
use core::fmt::{self, Write};
use ia32::abi::{ThreadId, kdebug};

/// Longest string the debugger prints in one call.
const MAX_TEXT: usize = 1024;

/// What a headless kernel says after `enter_kdebug` or a breakpoint.
const GOING_ON: &[u8] = b"kdebug: no one to continue by hand here: the thread goes on\r\n";

/// Formatted text to the kernel-debugger console.
struct Console<'a, H: Hardware>(&'a mut H);

impl<H: Hardware> Write for Console<'_, H> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.0.console_write(text.as_bytes());
        Ok(())
    }
}

/// The report of a thread that raised an exception it has no handler for
/// (no virtual IDT). The explorer's status bar repeats these words.
struct UnhandledException {
    thread: ThreadId,
    vector: u8,
    eip: u32,
    /// The system stops in the kernel debugger (else the thread is removed).
    stopped: bool,
}

impl fmt::Display for UnhandledException {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "unhandled exception {} ({}) in thread {:08x} at eip {:08x}: {}",
            ia32::registers::vector::mnemonic(self.vector),
            ia32::registers::vector::name(self.vector),
            self.thread.raw(),
            self.eip,
            if self.stopped { "stopped in the kernel debugger" } else { "the thread is removed" }
        )
    }
}

struct Digits {
    bytes: [u8; 12],
    length: usize,
}

fn hex(value: u32, digits: usize) -> Digits {
    let mut bytes = [0u8; 12];
    for (position, byte) in bytes.iter_mut().enumerate().take(digits) {
        let nibble = (value >> (4 * (digits - 1 - position))) & 0xF;
        *byte = b"0123456789abcdef"[nibble as usize];
    }
    Digits { bytes, length: digits }
}

fn decimal(value: u32) -> Digits {
    let mut bytes = [0u8; 12];
    let mut reversed = [0u8; 12];
    let mut length = 0;
    let mut value = value;
    loop {
        reversed[length] = b'0' + (value % 10) as u8;
        length += 1;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    for index in 0..length {
        bytes[index] = reversed[length - 1 - index];
    }
    Digits { bytes, length }
}

impl Kernel {
    /// `int3` from user mode (EIP points after the int3).
    pub(crate) fn debugger<H: Hardware>(&mut self, hardware: &mut H, thread: u16) -> Path {
        let tcb = *self.threads.tcb(thread);
        let eip = tcb.frame.eip;
        // The int3 restarts after a page fault on anything the debugger reads.
        let restart = eip.wrapping_sub(1);
        let mut head = [0u8; 3];
        if let Err(address) = self.read_user(hardware, thread, eip, &mut head) {
            return self.user_memory_fault(hardware, thread, address, false, restart);
        }
        match head {
            [kdebug::JMP_SHORT, length, _] => {
                let mut text = [0u8; 255];
                let length = length as usize;
                if let Err(address) = self.read_user(hardware, thread, eip + 2, &mut text[..length]) {
                    return self.user_memory_fault(hardware, thread, address, false, restart);
                }
                let text = &text[..length];
                if text.first() == Some(&b'*') {
                    hardware.console_write(&text[1..]);
                    hardware.console_write(b"\r\n");
                    return Path::Debugger;
                }
                hardware.console_write(b"--- ");
                hardware.console_write(text);
                hardware.console_write(b" ---\r\n");
                self.enter_debugger(hardware, thread, eip)
            }
            [kdebug::NOP, kdebug::JMP_SHORT, length] => {
                let mut text = [0u8; 255];
                let length = length as usize;
                if let Err(address) = self.read_user(hardware, thread, eip + 3, &mut text[..length]) {
                    return self.user_memory_fault(hardware, thread, address, false, restart);
                }
                hardware.console_write(&text[..length]);
                Path::Debugger
            }
            [kdebug::CMP_AL, operation, _] => match self.console_operation(hardware, thread, operation) {
                Ok(()) => Path::Debugger,
                Err(address) => self.user_memory_fault(hardware, thread, address, false, restart),
            },
            _ => self.breakpoint(hardware, thread, eip),
        }
    }

    fn breakpoint<H: Hardware>(&mut self, hardware: &mut H, thread: u16, eip: u32) -> Path {
        let text = hex(eip.wrapping_sub(1), 8);
        hardware.console_write(b"--- breakpoint at ");
        hardware.console_write(&text.bytes[..text.length]);
        hardware.console_write(b" ---\r\n");
        self.enter_debugger(hardware, thread, eip)
    }

    /// Stop (if configured) or say so and continue.
    fn enter_debugger<H: Hardware>(&mut self, hardware: &mut H, thread: u16, eip: u32) -> Path {
        let id = self.threads.tcb(thread).id;
        hardware.emit(&KernelEvent::KernelDebugger { thread: id, eip });
        if self.config.stop_in_debugger {
            self.stop = Some(StopReason::KernelDebugger { thread: id, eip });
        } else if self.config.headless {
            hardware.console_write(GOING_ON);
        }
        Path::Debugger
    }

    /// Say which thread raised which exception at which EIP with no handler
    /// to take it (Hazelnut stops in its debugger there).
    pub(crate) fn report_unhandled_exception<H: Hardware>(
        &self,
        hardware: &mut H,
        thread: ThreadId,
        vector: u8,
        eip: u32,
    ) {
        let report = UnhandledException { thread, vector, eip, stopped: self.config.stop_in_debugger };
        let _ = write!(Console(hardware), "--- {report} ---\r\n");
    }

    /// One console operation; `Err(address)`: user memory it needs is not mapped.
    fn console_operation<H: Hardware>(&mut self, hardware: &mut H, thread: u16, operation: u8) -> Result<(), u32> {
        let eax = self.threads.tcb(thread).frame.get(register::EAX);
        match operation {
            kdebug::OUTCHAR => hardware.console_write(&[eax as u8]),
            kdebug::OUTSTRING_COUNTED => {
                let mut length = [0u8];
                self.read_user(hardware, thread, eax, &mut length)?;
                self.print_user(hardware, thread, eax.wrapping_add(1), length[0] as usize, false)?;
            }
            kdebug::OUTSTRING => self.print_user(hardware, thread, eax, MAX_TEXT, true)?,
            kdebug::CLEAR_SCREEN => hardware.console_write(b"\x1b[2J\x1b[H"),
            kdebug::CURSOR => {}
            kdebug::OUTHEX32..=kdebug::OUTHEX4 => {
                let digits = [8, 5, 4, 3, 2, 1][(operation - kdebug::OUTHEX32) as usize];
                let text = hex(eax, digits);
                hardware.console_write(&text.bytes[..text.length]);
            }
            kdebug::OUTDEC => {
                let text = decimal(eax);
                hardware.console_write(&text.bytes[..text.length]);
            }
            kdebug::INCHAR_NONBLOCKING => {
                let byte = hardware.console_read().map_or(0xFFFF_FFFF, |byte| byte as u32);
                self.threads.tcb_mut(thread).frame.set(register::EAX, byte);
            }
            kdebug::INCHAR => match hardware.console_read() {
                Some(byte) => {
                    let frame = &mut self.threads.tcb_mut(thread).frame;
                    frame.set(register::EAX, (eax & !0xFF) | byte as u32);
                }
                None => {
                    // Wait in the kernel until a byte arrives.
                    self.block(thread, State::WaitingForInput);
                    self.console_readers = true;
                }
            },
            kdebug::INHEX32..=kdebug::INHEX => {
                let digits = match operation {
                    kdebug::INHEX16 => 4,
                    kdebug::INHEX8 => 2,
                    _ => 8,
                };
                let mut value = 0u32;
                for _ in 0..digits {
                    match hardware.console_read().and_then(|byte| (byte as char).to_digit(16)) {
                        Some(digit) => value = value << 4 | digit,
                        None => break,
                    }
                }
                self.threads.tcb_mut(thread).frame.set(register::EAX, value);
            }
            _ => {}
        }
        Ok(())
    }

    /// Print user memory: a NUL-terminated string (at most `length` bytes),
    /// or `length` bytes. Nothing is printed unless all of it can be read.
    fn print_user<H: Hardware>(
        &mut self,
        hardware: &mut H,
        thread: u16,
        address: u32,
        length: usize,
        terminated: bool,
    ) -> Result<(), u32> {
        let mut text = [0u8; MAX_TEXT];
        let limit = length.min(MAX_TEXT);
        let mut end = 0;
        while end < limit {
            // Page by page, so a string that ends before an unmapped page prints.
            let at = address.wrapping_add(end as u32);
            let in_page = (ia32::PAGE_SIZE - (at & (ia32::PAGE_SIZE - 1))) as usize;
            let take = in_page.min(limit - end);
            self.read_user(hardware, thread, at, &mut text[end..end + take])?;
            if terminated && let Some(position) = text[end..end + take].iter().position(|byte| *byte == 0) {
                end += position;
                break;
            }
            end += take;
        }
        hardware.console_write(&text[..end]);
        Ok(())
    }

    /// Threads waiting in `inchar` get a byte when one has arrived.
    pub(crate) fn poll_console<H: Hardware>(&mut self, hardware: &mut H) {
        if !self.console_readers {
            return;
        }
        for index in 0..crate::thread::MAX_THREADS as u16 {
            if self.threads.tcb(index).state != State::WaitingForInput {
                continue;
            }
            // Still waiting (no byte): the flag stays.
            let Some(byte) = hardware.console_read() else { return };
            let frame = &mut self.threads.tcb_mut(index).frame;
            let eax = frame.get(register::EAX);
            frame.set(register::EAX, (eax & !0xFF) | byte as u32);
            self.make_ready(index);
        }
        // Every reader got its byte (or left by other ways: deleted, ex_regs).
        self.console_readers = false;
    }

    /// Whether some thread waits for console input (the host then feeds it).
    pub fn waiting_for_input(&self) -> bool {
        self.threads.tcbs.iter().any(|tcb| tcb.state == State::WaitingForInput)
    }

    /// Console input arrived: wake the readers now (not only at the next tick).
    pub fn console_input<H: Hardware>(&mut self, hardware: &mut H) {
        self.poll_console(hardware);
    }
}
