//! The PC's devices on the I/O bus: the 8259A pair, the 8254 timer, COM1,
//! the VGA CRT controller's cursor registers, and QEMU's `isa-debug-exit`
//! port, so one scenario drives the model and QEMU alike. The VGA text
//! buffer itself is ordinary RAM at 0xB8000 (see [`text_screen`]).
//! Unclaimed ports read 0xFF and ignore writes, as on an ISA bus.

pub mod pic;
pub mod pit;
pub mod uart;

use crate::memory::PhysicalMemory;

/// QEMU's `isa-debug-exit` device port (`-device isa-debug-exit,iobase=0xf4`).
pub const DEBUG_EXIT_PORT: u16 = 0xF4;
/// Physical address of the VGA colour text buffer.
pub const VGA_TEXT_BUFFER: u32 = 0xB8000;
pub const VGA_COLUMNS: usize = 80;
pub const VGA_ROWS: usize = 25;

/// All devices.
#[derive(Clone, Debug, Default)]
pub struct Devices {
    pub pic: pic::Pic,
    pub pit: pit::Pit,
    pub uart: uart::Uart,
    crtc_index: u8,
    crtc_registers: [u8; 32],
    /// A value written to the debug-exit port, not yet taken by the host.
    pub debug_exit: Option<u32>,
    /// COM1's interrupt line as last sampled, and whether it rose since the
    /// PIC last looked: the 8259A is edge-triggered, so a line that stays
    /// high after its interrupt was taken asks for nothing more.
    uart_line: bool,
    uart_rose: bool,
}

impl Devices {
    /// Read `size` bytes (1, 2 or 4) from a port; wider reads combine adjacent ports.
    pub fn read(&mut self, port: u16, size: u32, now_tick: u64) -> u32 {
        let mut value = 0;
        for index in 0..size {
            value |= (self.read_byte(port.wrapping_add(index as u16), now_tick) as u32) << (8 * index);
        }
        value
    }

    pub fn write(&mut self, port: u16, size: u32, value: u32, now_tick: u64) {
        if port == DEBUG_EXIT_PORT {
            self.debug_exit = Some(value & if size == 4 { u32::MAX } else { (1 << (8 * size)) - 1 });
            return;
        }
        for index in 0..size {
            self.write_byte(port.wrapping_add(index as u16), (value >> (8 * index)) as u8, now_tick);
        }
    }

    fn read_byte(&mut self, port: u16, now_tick: u64) -> u8 {
        if pic::Pic::handles(port) {
            self.pic.read(port)
        } else if pit::Pit::handles(port) {
            self.pit.read(port, now_tick)
        } else if uart::Uart::handles(port) {
            let value = self.uart.read(port);
            self.sample_uart();
            value
        } else if port == 0x3D4 {
            self.crtc_index
        } else if port == 0x3D5 {
            self.crtc_registers[(self.crtc_index & 31) as usize]
        } else {
            0xFF
        }
    }

    fn write_byte(&mut self, port: u16, value: u8, now_tick: u64) {
        if pic::Pic::handles(port) {
            self.pic.write(port, value);
        } else if pit::Pit::handles(port) {
            self.pit.write(port, value, now_tick);
        } else if uart::Uart::handles(port) {
            self.uart.write(port, value);
            self.sample_uart();
        } else if port == 0x3D4 {
            self.crtc_index = value;
        } else if port == 0x3D5 {
            self.crtc_registers[(self.crtc_index & 31) as usize] = value;
        }
    }

    /// Note a rising edge of COM1's interrupt line (or a drop and rise
    /// within one access).
    fn sample_uart(&mut self) {
        let line = self.uart.interrupt_line();
        let pulse = self.uart.take_pulse();
        if line && (!self.uart_line || pulse) {
            self.uart_rose = true;
        }
        self.uart_line = line;
    }

    /// Raise the interrupt lines of devices whose time has come: the timer's
    /// ticks, and COM1's line once per rising edge.
    pub fn update(&mut self, now_tick: u64) {
        for _ in 0..self.pit.take_interrupts(now_tick).min(1) {
            self.pic.raise(0);
        }
        self.sample_uart();
        if std::mem::take(&mut self.uart_rose) {
            self.pic.raise(uart::IRQ);
        }
    }

    /// The text cursor position (row, column) from CRTC registers 0x0E/0x0F.
    pub fn cursor(&self) -> (usize, usize) {
        let position = (self.crtc_registers[0x0E] as usize) << 8 | self.crtc_registers[0x0F] as usize;
        (position / VGA_COLUMNS, position % VGA_COLUMNS)
    }
}

/// The VGA text screen: 25 rows of 80 (character, attribute) cells.
pub fn text_screen(memory: &PhysicalMemory) -> Vec<Vec<(u8, u8)>> {
    (0..VGA_ROWS)
        .map(|row| {
            (0..VGA_COLUMNS)
                .map(|column| {
                    let address = VGA_TEXT_BUFFER + 2 * (row * VGA_COLUMNS + column) as u32;
                    (memory.read_u8(address), memory.read_u8(address + 1))
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both PICs initialized (vectors 0x20 and 0x28), every line unmasked.
    fn devices() -> Devices {
        let mut devices = Devices::default();
        for (port, value) in pic::INITIALIZATION {
            devices.write(port, 1, value as u32, 0);
        }
        devices
    }

    fn end_of_interrupt(devices: &mut Devices) {
        devices.write(0x20, 1, 0x20, 0);
    }

    #[test]
    fn com1_requests_an_interrupt_once_per_rising_edge() {
        let mut devices = devices();
        devices.write(uart::COM1 + 1, 1, 0x02, 0); // transmit-empty interrupts on: the line rises
        devices.update(0);
        assert_eq!(devices.pic.acknowledge(), Some((uart::IRQ, 0x24)));
        end_of_interrupt(&mut devices);
        // The line stays high (nobody read IIR): an edge-triggered PIC asks no more.
        devices.update(0);
        devices.update(0);
        assert_eq!(devices.pic.acknowledge(), None);
        // A byte written drops the line and raises it again: a new request.
        devices.write(uart::COM1, 1, b'x' as u32, 0);
        devices.update(0);
        assert_eq!(devices.pic.acknowledge(), Some((uart::IRQ, 0x24)));
        end_of_interrupt(&mut devices);
        // Interrupts off, then on again with the transmitter empty: one more.
        devices.write(uart::COM1 + 1, 1, 0, 0);
        devices.update(0);
        devices.write(uart::COM1 + 1, 1, 0x02, 0);
        devices.update(0);
        assert_eq!(devices.pic.acknowledge(), Some((uart::IRQ, 0x24)));
    }

    #[test]
    fn an_edge_while_masked_waits_in_the_pic_after_the_line_falls() {
        let mut devices = devices();
        devices.write(0x21, 1, 1 << uart::IRQ, 0); // IRQ 4 masked
        devices.write(uart::COM1 + 1, 1, 0x02, 0);
        devices.update(0);
        assert_eq!(devices.read(uart::COM1 + 2, 1, 0), 0xC2); // the cause read: the line falls
        devices.update(0);
        assert_eq!(devices.pic.acknowledge(), None);
        devices.write(0x21, 1, 0, 0); // unmasked: the request latched at the edge comes now
        assert_eq!(devices.pic.acknowledge(), Some((uart::IRQ, 0x24)));
    }
}
