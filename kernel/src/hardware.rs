//! The kernel–hardware boundary.
//!
//! Narrow on purpose: physical memory, port I/O, the MMU's few controls, the
//! console and the event sink. Privileged costs (int, iret, CR3 load,
//! segment loads, port I/O) are charged by whoever implements the trait —
//! the machine model counts them, real hardware simply spends them — never
//! guessed by the kernel.
//!
//! The PC devices (8259A, 8254) are programmed by the kernel itself through
//! `port_out8`/`port_in8`, so the native image and the model run the same
//! device code.

use crate::event::KernelEvent;
use ia32::{PhysAddr, VirtAddr};

/// Which processor the kernel runs on. The kernel asks once at boot; it decides
/// whether 4 MB pages are available.
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

    /// Clear `length` bytes of physical memory (a new page table, say).
    fn zero_physical(&mut self, address: PhysAddr, length: u32) {
        /// Word-aligned, so a native `memcpy` copies it a word at a time.
        #[repr(C, align(4))]
        struct Zeros([u8; 512]);
        const ZEROS: Zeros = Zeros([0; 512]);
        let mut done = 0;
        while done < length {
            let take = (length - done).min(ZEROS.0.len() as u32);
            self.write_physical(address.offset(done), &ZEROS.0[..take as usize]);
            done += take;
        }
    }

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

    /// `out dx, al` (ring 0).
    fn port_out8(&mut self, port: u16, value: u8);

    /// `in al, dx` (ring 0).
    fn port_in8(&mut self, port: u16) -> u8;

    /// Turn paging on with `directory` (done once at boot); with
    /// `large_pages`, also set CR4.PSE (Pentium only).
    fn enable_paging(&mut self, directory: PhysAddr, large_pages: bool);

    /// `mov cr3`: switch to another page directory (flushes the TLBs).
    fn load_page_directory(&mut self, directory: PhysAddr);

    /// `invlpg`: drop the TLB entry of one page.
    fn invalidate_page(&mut self, address: VirtAddr);

    /// Send bytes to the kernel-debugger console.
    fn console_write(&mut self, bytes: &[u8]);

    /// Take one byte from the console if one is waiting.
    fn console_read(&mut self) -> Option<u8>;

    /// Whether this hardware's entry runs the native image's assembly fast
    /// paths before the kernel: then a kernel entry is never one they take,
    /// and the kernel need not ask whether it would be (the machine model
    /// asks, to charge their cost).
    const ASSEMBLY_FAST_PATHS: bool = false;

    /// Report what the kernel did. Implementations that do not listen make
    /// this free.
    fn emit(&mut self, event: &KernelEvent);

    /// Whether anyone listens to `emit` (hot paths skip building events
    /// when nobody does).
    fn events_enabled(&self) -> bool {
        true
    }

    /// The kernel touched `size` bytes of its own memory at kernel virtual
    /// address `address` (its thread control blocks, queues, mapping nodes).
    /// Real hardware does nothing here; the machine model charges the TLB
    /// and cache effects the same access has on the hardware.
    fn touch(&mut self, _address: u32, _size: u32, _write: bool) {}

    /// The kernel is about to return to user mode after work of kind `path`
    /// (for the model's charge of kernel instructions; see `cost::Path`).
    fn kernel_path(&mut self, _path: crate::cost::Path) {}
}
