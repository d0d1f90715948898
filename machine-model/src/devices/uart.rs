//! A 16550 UART on COM1 (0x3F8, IRQ 4): the kernel-debugger console.
//! Output is collected; input is fed by the host (the explorer's console,
//! or `--input` on the command line).

use std::collections::VecDeque;

pub const COM1: u16 = 0x3F8;
pub const IRQ: u8 = 4;

const LSR_DATA_READY: u8 = 0x01;
const LSR_THR_EMPTY: u8 = 0x20;
const LSR_TRANSMITTER_EMPTY: u8 = 0x40;
const IER_RECEIVE: u8 = 0x01;
const IER_TRANSMIT: u8 = 0x02;

#[derive(Clone, Debug, Default)]
pub struct Uart {
    pub output: Vec<u8>,
    pub input: VecDeque<u8>,
    interrupt_enable: u8,
    line_control: u8,
    modem_control: u8,
    scratch: u8,
    divisor: u16,
    /// A transmit-empty interrupt is owed (set when THR empties with IER.THRE on).
    transmit_interrupt: bool,
    /// The interrupt line dropped and rose again within one access (a byte
    /// written while the transmit interrupt was already owed, or a byte read
    /// with more waiting): a new request for an edge-triggered PIC although
    /// the line looks high before and after. QEMU's 16550 lowers and raises
    /// its line in these cases too.
    pulse: bool,
}

impl Uart {
    pub fn handles(port: u16) -> bool {
        (COM1..COM1 + 8).contains(&port)
    }

    fn dlab(&self) -> bool {
        self.line_control & 0x80 != 0
    }

    pub fn write(&mut self, port: u16, value: u8) {
        match port - COM1 {
            0 if self.dlab() => self.divisor = (self.divisor & 0xFF00) | value as u16,
            0 => {
                self.output.push(value);
                self.transmit_interrupt = self.interrupt_enable & IER_TRANSMIT != 0;
                self.pulse |= self.transmit_interrupt;
            }
            1 if self.dlab() => self.divisor = (self.divisor & 0x00FF) | (value as u16) << 8,
            1 => {
                let newly_transmit = value & IER_TRANSMIT != 0 && self.interrupt_enable & IER_TRANSMIT == 0;
                self.interrupt_enable = value & 0x0F;
                if newly_transmit {
                    self.transmit_interrupt = true;
                }
            }
            2 => {} // FIFO control: FIFOs are always "on" and always drained.
            3 => self.line_control = value,
            4 => self.modem_control = value,
            7 => self.scratch = value,
            _ => {}
        }
    }

    pub fn read(&mut self, port: u16) -> u8 {
        match port - COM1 {
            0 if self.dlab() => self.divisor as u8,
            0 => {
                let byte = self.input.pop_front().unwrap_or(0);
                self.pulse |= self.interrupt_enable & IER_RECEIVE != 0 && !self.input.is_empty();
                byte
            }
            1 if self.dlab() => (self.divisor >> 8) as u8,
            1 => self.interrupt_enable,
            2 => {
                // Interrupt identification: receive data (4) outranks transmit empty (2).
                if self.interrupt_enable & IER_RECEIVE != 0 && !self.input.is_empty() {
                    0xC4
                } else if self.transmit_interrupt {
                    self.transmit_interrupt = false;
                    0xC2
                } else {
                    0xC1
                }
            }
            3 => self.line_control,
            4 => self.modem_control,
            5 => LSR_THR_EMPTY | LSR_TRANSMITTER_EMPTY | if self.input.is_empty() { 0 } else { LSR_DATA_READY },
            6 => 0xB0, // CTS, DSR, DCD
            _ => self.scratch,
        }
    }

    /// Whether the UART asserts IRQ 4: a cause that is pending and enabled
    /// in IER (turning the enable bit off lowers the line).
    pub fn interrupt_line(&self) -> bool {
        (self.interrupt_enable & IER_RECEIVE != 0 && !self.input.is_empty())
            || (self.interrupt_enable & IER_TRANSMIT != 0 && self.transmit_interrupt)
    }

    /// Whether the line dropped and rose within an access since the last call.
    pub fn take_pulse(&mut self) -> bool {
        std::mem::take(&mut self.pulse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_written_are_output_and_input_is_read_in_order() {
        let mut uart = Uart::default();
        uart.write(COM1, b'h');
        uart.write(COM1, b'i');
        assert_eq!(uart.output, b"hi");
        assert_eq!(uart.read(COM1 + 5) & LSR_DATA_READY, 0);
        uart.input.extend(b"ok");
        assert_eq!(uart.read(COM1 + 5) & LSR_DATA_READY, 1);
        assert_eq!(uart.read(COM1), b'o');
        assert_eq!(uart.read(COM1), b'k');
    }

    #[test]
    fn receive_interrupts_follow_the_enable_bit() {
        let mut uart = Uart::default();
        uart.input.push_back(b'x');
        assert!(!uart.interrupt_line());
        uart.write(COM1 + 1, IER_RECEIVE);
        assert!(uart.interrupt_line());
        assert_eq!(uart.read(COM1 + 2), 0xC4);
    }

    #[test]
    fn the_transmit_interrupt_follows_the_enable_bit_and_each_byte_is_a_new_request() {
        let mut uart = Uart::default();
        uart.write(COM1 + 1, IER_TRANSMIT);
        assert!(uart.interrupt_line(), "enabling it with the transmitter empty raises the line");
        uart.write(COM1 + 1, 0);
        assert!(!uart.interrupt_line(), "disabling it lowers the line");
        uart.write(COM1 + 1, IER_TRANSMIT);
        assert!(!uart.take_pulse());
        uart.write(COM1, b'a');
        assert!(uart.interrupt_line());
        assert!(uart.take_pulse(), "a byte written while the line is high drops and raises it");
        assert_eq!(uart.read(COM1 + 2), 0xC2);
        assert!(!uart.interrupt_line(), "reading IIR clears the transmit interrupt");
    }
}
