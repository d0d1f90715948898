//! The 8254 programmable interval timer, channel 0 → IRQ 0. Its 1.193182 MHz
//! input is derived from the CPU's cycle count, so time in the model is
//! deterministic: the same program gives the same interrupts at the same
//! instructions.

/// The PIT's input clock in Hz.
pub const INPUT_HZ: u64 = 1_193_182;

#[derive(Clone, Debug, Default)]
pub struct Pit {
    /// Programmed reload value (0 = 65536).
    reload: u32,
    /// Mode of channel 0 (0: one-shot, 2/3: periodic).
    mode: u8,
    /// PIT tick at which counting started (after the count was written).
    start_tick: u64,
    running: bool,
    /// For a one-shot: fired already.
    fired: bool,
    /// Lo/hi byte access state for channel 0.
    write_high_next: bool,
    low_byte: u8,
    /// Latched count for reads (and whether the high byte is next).
    latched: Option<u16>,
    read_high_next: bool,
    /// Interrupts delivered so far (periodic modes).
    delivered: u64,
}

impl Pit {
    pub fn handles(port: u16) -> bool {
        (0x40..=0x43).contains(&port)
    }

    fn period(&self) -> u64 {
        if self.reload == 0 { 65536 } else { self.reload as u64 }
    }

    pub fn write(&mut self, port: u16, value: u8, now_tick: u64) {
        match port {
            0x43 => {
                let channel = value >> 6;
                if channel != 0 {
                    return;
                }
                let access = (value >> 4) & 3;
                if access == 0 {
                    self.latched = Some(self.count_at(now_tick));
                    self.read_high_next = false;
                    return;
                }
                self.mode = (value >> 1) & 7;
                if self.mode > 5 {
                    self.mode &= 3;
                }
                self.running = false;
                self.write_high_next = false;
            }
            0x40 => {
                if !self.write_high_next {
                    self.low_byte = value;
                    self.write_high_next = true;
                } else {
                    self.write_high_next = false;
                    self.reload = (value as u32) << 8 | self.low_byte as u32;
                    self.start_tick = now_tick;
                    self.running = true;
                    self.fired = false;
                    self.delivered = 0;
                }
            }
            _ => {}
        }
    }

    pub fn read(&mut self, port: u16, now_tick: u64) -> u8 {
        if port != 0x40 {
            return 0xFF;
        }
        let count = self.latched.unwrap_or_else(|| self.count_at(now_tick));
        if self.read_high_next {
            self.read_high_next = false;
            self.latched = None;
            (count >> 8) as u8
        } else {
            self.read_high_next = true;
            count as u8
        }
    }

    fn count_at(&self, now_tick: u64) -> u16 {
        if !self.running {
            return self.reload as u16;
        }
        let elapsed = now_tick.saturating_sub(self.start_tick);
        let period = self.period();
        match self.mode {
            0 => period.saturating_sub(elapsed) as u16,
            _ => (period - elapsed % period) as u16,
        }
    }

    /// How many IRQ 0 edges happened up to `now_tick` and were not yet reported.
    pub fn take_interrupts(&mut self, now_tick: u64) -> u64 {
        if !self.running {
            return 0;
        }
        let elapsed = now_tick.saturating_sub(self.start_tick);
        match self.mode {
            0 => {
                if !self.fired && elapsed >= self.period() {
                    self.fired = true;
                    1
                } else {
                    0
                }
            }
            _ => {
                let total = elapsed / self.period();
                let new = total - self.delivered.min(total);
                self.delivered = total;
                new
            }
        }
    }

    /// The PIT tick of the next IRQ 0 edge, if one is due.
    pub fn next_interrupt_tick(&self) -> Option<u64> {
        if !self.running {
            return None;
        }
        match self.mode {
            0 => (!self.fired).then(|| self.start_tick + self.period()),
            _ => Some(self.start_tick + (self.delivered + 1) * self.period()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_generator_fires_every_period() {
        let mut pit = Pit::default();
        pit.write(0x43, 0x34, 0); // channel 0, lo/hi, mode 2
        pit.write(0x40, 0xE8, 0);
        pit.write(0x40, 0x03, 0); // 1000 ticks
        assert_eq!(pit.take_interrupts(999), 0);
        assert_eq!(pit.take_interrupts(1000), 1);
        assert_eq!(pit.take_interrupts(3500), 2);
        assert_eq!(pit.next_interrupt_tick(), Some(4000));
    }

    #[test]
    fn one_shot_fires_once() {
        let mut pit = Pit::default();
        pit.write(0x43, 0x30, 0);
        pit.write(0x40, 100, 0);
        pit.write(0x40, 0, 0);
        assert_eq!(pit.take_interrupts(150), 1);
        assert_eq!(pit.take_interrupts(10_000), 0);
        assert_eq!(pit.next_interrupt_tick(), None);
    }

    #[test]
    fn the_latched_count_reads_low_then_high() {
        let mut pit = Pit::default();
        pit.write(0x43, 0x34, 0);
        pit.write(0x40, 0x00, 0);
        pit.write(0x40, 0x10, 0); // 4096
        pit.write(0x43, 0x00, 96); // latch
        let low = pit.read(0x40, 500);
        let high = pit.read(0x40, 500);
        assert_eq!(u16::from_le_bytes([low, high]), 4000);
    }
}
