//! The kernel–hardware boundary.
//!
//! Narrow on purpose: physical memory, the MMU's few controls, the console,
//! and the event sink. Privileged costs (int, iret, CR3 load, segment loads)
//! are charged by whoever implements the trait — the machine model counts them,
//! real hardware simply spends them — never guessed by the kernel.

use crate::event::KernelEvent;
use ia32::PhysAddr;

/// Which processor the kernel runs on. The kernel asks once at boot; it decides
/// whether 4 MB pages and small address spaces are available.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum CpuKind {
    /// An i486: no CR4, no 4 MB pages, no `cpuid`, no `rdtsc`.
    #[default]
    I486,
    /// A Pentium (P5): CR4.PSE, split TLBs, `cpuid`, `rdtsc`.
    Pentium,
}

impl CpuKind {
    pub const fn name(self) -> &'static str {
        match self {
            CpuKind::I486 => "i486",
            CpuKind::Pentium => "Pentium",
        }
    }
    /// Whether the CPU supports 4 MB pages (CR4.PSE).
    pub const fn has_large_pages(self) -> bool {
        matches!(self, CpuKind::Pentium)
    }
}

/// What the kernel needs from the machine it runs on.
pub trait Hardware {
    /// Which CPU this is.
    fn cpu(&self) -> CpuKind;

    /// Copy `buffer.len()` bytes of physical memory starting at `address`.
    /// Addresses beyond installed memory read as 0xFF, as on a PC bus.
    fn read_physical(&mut self, address: PhysAddr, buffer: &mut [u8]);

    /// Write bytes to physical memory. Writes beyond installed memory are lost.
    fn write_physical(&mut self, address: PhysAddr, data: &[u8]);

    /// Read one little-endian word of physical memory.
    fn read_physical_u32(&mut self, address: PhysAddr) -> u32 {
        let mut bytes = [0u8; 4];
        self.read_physical(address, &mut bytes);
        u32::from_le_bytes(bytes)
    }

    /// Write one little-endian word of physical memory.
    fn write_physical_u32(&mut self, address: PhysAddr, value: u32) {
        self.write_physical(address, &value.to_le_bytes());
    }

    /// Send bytes to the kernel-debugger console (the serial port).
    fn console_write(&mut self, bytes: &[u8]);

    /// Take one byte from the console if one is waiting.
    fn console_read(&mut self) -> Option<u8>;

    /// Report what the kernel did. Implementations that do not listen make
    /// this free.
    fn emit(&mut self, event: &KernelEvent);
}
