//! The 8259A programmable interrupt controller pair (master at 0x20, slave
//! at 0xA0 cascaded on IRQ 2), edge-triggered, fully nested mode.

/// One 8259A.
#[derive(Clone, Debug, Default)]
pub struct Chip {
    /// Interrupt request register: lines raised and not yet acknowledged.
    pub irr: u8,
    /// In-service register: acknowledged, waiting for EOI.
    pub isr: u8,
    /// Interrupt mask register (1 = masked).
    pub imr: u8,
    /// Vector of line 0 (ICW2).
    pub vector_base: u8,
    /// Which initialization word comes next (0 = initialized).
    init_step: u8,
    expects_icw4: bool,
    read_isr: bool,
}

impl Chip {
    fn write_command(&mut self, value: u8) {
        if value & 0x10 != 0 {
            // ICW1: start initialization.
            self.init_step = 2;
            self.expects_icw4 = value & 1 != 0;
            self.imr = 0;
            self.isr = 0;
            self.irr = 0;
            self.read_isr = false;
        } else if value & 0x08 != 0 {
            // OCW3: select IRR/ISR for reads.
            if value & 0x02 != 0 {
                self.read_isr = value & 0x01 != 0;
            }
        } else {
            // OCW2: end of interrupt.
            match value & 0xE0 {
                // Non-specific EOI: clear the highest-priority in-service bit.
                0x20 if self.isr != 0 => self.isr &= self.isr - 1,
                0x60 => self.isr &= !(1 << (value & 7)),
                _ => {}
            }
        }
    }

    fn write_data(&mut self, value: u8) {
        match self.init_step {
            2 => {
                self.vector_base = value & 0xF8;
                self.init_step = 3;
            }
            3 => self.init_step = if self.expects_icw4 { 4 } else { 0 },
            4 => self.init_step = 0,
            _ => self.imr = value,
        }
    }

    fn read_command(&self) -> u8 {
        if self.read_isr { self.isr } else { self.irr }
    }

    /// The highest-priority unmasked request that outranks everything in service.
    fn pending_line(&self) -> Option<u8> {
        let requests = self.irr & !self.imr;
        if requests == 0 {
            return None;
        }
        let line = requests.trailing_zeros() as u8;
        let in_service = if self.isr == 0 { 8 } else { self.isr.trailing_zeros() as u8 };
        (line < in_service).then_some(line)
    }
}

/// The master/slave pair of a PC.
#[derive(Clone, Debug, Default)]
pub struct Pic {
    pub master: Chip,
    pub slave: Chip,
}

impl Pic {
    pub fn handles(port: u16) -> bool {
        matches!(port, 0x20 | 0x21 | 0xA0 | 0xA1)
    }

    pub fn write(&mut self, port: u16, value: u8) {
        match port {
            0x20 => self.master.write_command(value),
            0x21 => self.master.write_data(value),
            0xA0 => self.slave.write_command(value),
            _ => self.slave.write_data(value),
        }
    }

    pub fn read(&self, port: u16) -> u8 {
        match port {
            0x20 => self.master.read_command(),
            0x21 => self.master.imr,
            0xA0 => self.slave.read_command(),
            _ => self.slave.imr,
        }
    }

    /// A device raised line `irq` (0..15).
    pub fn raise(&mut self, irq: u8) {
        if irq < 8 {
            self.master.irr |= 1 << irq;
        } else {
            self.slave.irr |= 1 << (irq - 8);
        }
    }

    /// The IRQ the CPU would be interrupted with now, if any.
    pub fn pending(&self) -> Option<u8> {
        let mut master = self.master.clone();
        if self.slave.pending_line().is_some() {
            master.irr |= 1 << 2;
        }
        match master.pending_line()? {
            2 if self.slave.pending_line().is_some() => self.slave.pending_line().map(|line| line + 8),
            2 => None,
            line => Some(line),
        }
    }

    /// The CPU's interrupt acknowledge cycle: move the request into service
    /// and return (irq, vector).
    pub fn acknowledge(&mut self) -> Option<(u8, u8)> {
        let irq = self.pending()?;
        if irq < 8 {
            self.master.irr &= !(1 << irq);
            self.master.isr |= 1 << irq;
            Some((irq, self.master.vector_base + irq))
        } else {
            let line = irq - 8;
            self.slave.irr &= !(1 << line);
            self.slave.isr |= 1 << line;
            self.master.isr |= 1 << 2;
            Some((irq, self.slave.vector_base + line))
        }
    }
}

/// The writes that initialize both PICs as the kernel does (vectors 0x20
/// and 0x28, the slave on line 2, 8086 mode), every line left unmasked.
#[cfg(test)]
pub(crate) const INITIALIZATION: [(u16, u8); 8] =
    [(0x20, 0x11), (0x21, 0x20), (0x21, 0x04), (0x21, 0x01), (0xA0, 0x11), (0xA1, 0x28), (0xA1, 0x02), (0xA1, 0x01)];

#[cfg(test)]
mod tests {
    use super::*;

    fn initialized() -> Pic {
        let mut pic = Pic::default();
        for (port, value) in INITIALIZATION {
            pic.write(port, value);
        }
        pic
    }

    #[test]
    fn a_raised_line_is_delivered_once_until_eoi() {
        let mut pic = initialized();
        pic.raise(0);
        assert_eq!(pic.acknowledge(), Some((0, 0x20)));
        pic.raise(0);
        // In service: the same line waits for the EOI.
        assert_eq!(pic.pending(), None);
        pic.write(0x20, 0x20);
        assert_eq!(pic.acknowledge(), Some((0, 0x20)));
    }

    #[test]
    fn masked_lines_wait_and_slave_lines_cascade() {
        let mut pic = initialized();
        pic.write(0x21, 0x01);
        pic.raise(0);
        assert_eq!(pic.pending(), None);
        pic.raise(12);
        assert_eq!(pic.acknowledge(), Some((12, 0x2C)));
        pic.write(0x21, 0x00);
        // IRQ 0 outranks the cascade (IRQ 2) in service.
        assert_eq!(pic.acknowledge(), Some((0, 0x20)));
    }
}
