//! 16550 UARTs: COM1 (0x3F8) is the kernel-debugger console, COM2 (0x2F8)
//! carries the kernel's event lines, so the two never interleave.

use super::port::{inb, outb};

const LINE_STATUS: u16 = 5;
const LINE_STATUS_DATA_READY: u8 = 1 << 0;
const LINE_STATUS_TRANSMIT_EMPTY: u8 = 1 << 5;

/// One UART.
#[derive(Clone, Copy, Debug)]
pub struct Uart {
    base: u16,
}

pub const CONSOLE: Uart = Uart { base: 0x3F8 };
pub const EVENTS: Uart = Uart { base: 0x2F8 };

impl Uart {
    /// 115200 baud, 8N1, interrupts off. The FIFOs stay as they are: turning
    /// them on clears them, and a byte typed (or piped) before boot waits in
    /// the receive register for the kernel debugger's `inchar`.
    pub fn init(self) {
        let base = self.base;
        outb(base + 1, 0x00); // no interrupts
        outb(base + 3, 0x80); // DLAB on
        outb(base, 0x01); // divisor 1 = 115200 baud
        outb(base + 1, 0x00);
        outb(base + 3, 0x03); // 8N1, DLAB off
        outb(base + 4, 0x03); // DTR, RTS
    }

    pub fn write_byte(self, byte: u8) {
        while inb(self.base + LINE_STATUS) & LINE_STATUS_TRANSMIT_EMPTY == 0 {}
        outb(self.base, byte);
    }

    pub fn write_bytes(self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_byte(byte);
        }
    }

    pub fn read_byte(self) -> Option<u8> {
        if inb(self.base + LINE_STATUS) & LINE_STATUS_DATA_READY != 0 { Some(inb(self.base)) } else { None }
    }

    pub fn writer(self) -> Writer {
        Writer(self)
    }
}

/// `core::fmt::Write` onto a UART.
#[derive(Debug)]
pub struct Writer(Uart);

impl core::fmt::Write for Writer {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        self.0.write_bytes(text.as_bytes());
        Ok(())
    }
}
