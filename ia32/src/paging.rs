//! Page-directory and page-table entries in the i386 format, and the page-fault
//! error code. The kernel writes these words into physical memory; the machine
//! model's MMU reads the very same words. One definition serves both.

use crate::address::{Frame, PhysAddr};

/// Bit 0: the entry is present.
pub const PRESENT: u32 = 1 << 0;
/// Bit 1: writable (R/W).
pub const WRITABLE: u32 = 1 << 1;
/// Bit 2: user-accessible (U/S).
pub const USER: u32 = 1 << 2;
/// Bit 3: page-level write-through.
pub const WRITE_THROUGH: u32 = 1 << 3;
/// Bit 4: page-level cache disable.
pub const CACHE_DISABLE: u32 = 1 << 4;
/// Bit 5: accessed, set by the MMU on any access.
pub const ACCESSED: u32 = 1 << 5;
/// Bit 6: dirty, set by the MMU on a write (PTE, or a 4 MB PDE).
pub const DIRTY: u32 = 1 << 6;
/// Bit 7 in a PDE: page size — a 4 MB page (needs CR4.PSE; Pentium only).
pub const LARGE_PAGE: u32 = 1 << 7;
/// Bit 8: global (P6 and later; ignored by the 486 and the P5).
pub const GLOBAL: u32 = 1 << 8;
/// Bits 11..9: available to software.
pub const AVAILABLE_MASK: u32 = 0x7 << 9;
/// Bits 31..12: the frame address of a 4 KB page or of a page table.
pub const FRAME_MASK: u32 = 0xFFFF_F000;
/// Bits 31..22: the frame address of a 4 MB page.
pub const LARGE_FRAME_MASK: u32 = 0xFFC0_0000;

/// Number of entries in a page directory or a page table.
pub const ENTRIES_PER_TABLE: usize = 1024;

/// One 32-bit paging entry: a PDE or a PTE. The bit meanings are shared except
/// `LARGE_PAGE`, which only a PDE has.
#[derive(Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Entry(pub u32);

impl Entry {
    pub const EMPTY: Entry = Entry(0);

    /// A present entry pointing at `frame` with the given flag bits.
    pub const fn new(frame: Frame, flags: u32) -> Self {
        Self((frame.number() << 12) | (flags & !FRAME_MASK) | PRESENT)
    }
    /// A present 4 MB PDE whose page starts at `base` (must be 4 MB aligned).
    pub const fn large(base: PhysAddr, flags: u32) -> Self {
        Self((base.value() & LARGE_FRAME_MASK) | (flags & 0x1FFF) | LARGE_PAGE | PRESENT)
    }
    pub const fn raw(self) -> u32 {
        self.0
    }
    pub const fn is_present(self) -> bool {
        self.0 & PRESENT != 0
    }
    pub const fn is_writable(self) -> bool {
        self.0 & WRITABLE != 0
    }
    pub const fn is_user(self) -> bool {
        self.0 & USER != 0
    }
    pub const fn is_accessed(self) -> bool {
        self.0 & ACCESSED != 0
    }
    pub const fn is_dirty(self) -> bool {
        self.0 & DIRTY != 0
    }
    pub const fn is_large(self) -> bool {
        self.0 & LARGE_PAGE != 0
    }
    pub const fn frame(self) -> Frame {
        Frame(self.0 >> 12)
    }
    pub const fn address(self) -> PhysAddr {
        PhysAddr(self.0 & FRAME_MASK)
    }
    pub const fn large_address(self) -> PhysAddr {
        PhysAddr(self.0 & LARGE_FRAME_MASK)
    }
    pub const fn with(self, flags: u32) -> Self {
        Self(self.0 | flags)
    }
    pub const fn without(self, flags: u32) -> Self {
        Self(self.0 & !flags)
    }
}

impl core::fmt::Debug for Entry {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if !self.is_present() {
            return write!(formatter, "Entry(not present, {:#010x})", self.0);
        }
        write!(
            formatter,
            "Entry({:#010x} {}{}{}{}{})",
            self.0 & FRAME_MASK,
            if self.is_writable() { "W" } else { "r" },
            if self.is_user() { "U" } else { "s" },
            if self.is_accessed() { "A" } else { "-" },
            if self.is_dirty() { "D" } else { "-" },
            if self.is_large() { " 4M" } else { "" },
        )
    }
}

/// The error code the CPU pushes with a page fault (#PF, vector 14).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct PageFaultError(pub u32);

impl PageFaultError {
    /// Bit 0: 0 = the page was not present, 1 = a protection violation.
    pub const PROTECTION: u32 = 1 << 0;
    /// Bit 1: the access was a write.
    pub const WRITE: u32 = 1 << 1;
    /// Bit 2: the access came from user mode (CPL 3).
    pub const USER: u32 = 1 << 2;

    pub const fn new(protection: bool, write: bool, user: bool) -> Self {
        Self(
            (if protection { Self::PROTECTION } else { 0 })
                | (if write { Self::WRITE } else { 0 })
                | (if user { Self::USER } else { 0 }),
        )
    }
    pub const fn is_protection(self) -> bool {
        self.0 & Self::PROTECTION != 0
    }
    pub const fn is_write(self) -> bool {
        self.0 & Self::WRITE != 0
    }
    pub const fn is_user(self) -> bool {
        self.0 & Self::USER != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_entry_is_present_and_keeps_its_frame() {
        let entry = Entry::new(Frame(0x345), WRITABLE | USER);
        assert!(entry.is_present() && entry.is_writable() && entry.is_user());
        assert_eq!(entry.raw(), 0x0034_5007);
        assert_eq!(entry.frame(), Frame(0x345));
    }

    #[test]
    fn a_large_entry_masks_to_four_megabytes() {
        let entry = Entry::large(PhysAddr(0x0040_0000), USER);
        assert!(entry.is_large());
        assert_eq!(entry.large_address(), PhysAddr(0x0040_0000));
        assert_eq!(entry.raw(), 0x0040_0085);
    }

    #[test]
    fn page_fault_error_bits_follow_intel() {
        assert_eq!(PageFaultError::new(true, true, true).0, 7);
        assert_eq!(PageFaultError::new(false, false, true).0, 4);
    }
}
