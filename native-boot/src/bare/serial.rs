//! COM1, a 16550 UART at 0x3F8: the kernel-debugger console and the event line stream.

use super::port::{inb, outb};

const COM1: u16 = 0x3F8;
const LINE_STATUS: u16 = COM1 + 5;
const LINE_STATUS_DATA_READY: u8 = 1 << 0;
const LINE_STATUS_TRANSMIT_EMPTY: u8 = 1 << 5;

/// 115200 baud, 8N1, FIFOs on, interrupts off.
pub fn init() {
    outb(COM1 + 1, 0x00); // no interrupts
    outb(COM1 + 3, 0x80); // DLAB on
    outb(COM1, 0x01); // divisor 1 = 115200 baud
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); // 8N1, DLAB off
    outb(COM1 + 2, 0xC7); // FIFO on, cleared, 14-byte threshold
    outb(COM1 + 4, 0x03); // DTR, RTS
}

pub fn write_byte(byte: u8) {
    while inb(LINE_STATUS) & LINE_STATUS_TRANSMIT_EMPTY == 0 {}
    outb(COM1, byte);
}

pub fn write_bytes(bytes: &[u8]) {
    for &byte in bytes {
        write_byte(byte);
    }
}

pub fn read_byte() -> Option<u8> {
    if inb(LINE_STATUS) & LINE_STATUS_DATA_READY != 0 { Some(inb(COM1)) } else { None }
}

/// `core::fmt::Write` onto COM1.
pub struct Writer;

impl core::fmt::Write for Writer {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        write_bytes(text.as_bytes());
        Ok(())
    }
}
