//! Addresses and frames. Separate types for physical and linear (virtual)
//! addresses, because confusing the two is the classic kernel bug.

use core::fmt;

/// Size of a small page: 4 KB.
pub const PAGE_SIZE: u32 = 4096;
/// Size of a large (PSE) page: 4 MB.
pub const SUPERPAGE_SIZE: u32 = 4 * 1024 * 1024;

/// A physical address (32 bits; no PAE on the 486 or P5).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PhysAddr(pub u32);

/// A linear address (after segmentation, before paging). In a flat space it
/// equals the offset a program uses; in a small space it is offset + segment base.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct VirtAddr(pub u32);

/// A physical page frame number (address >> 12).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Frame(pub u32);

impl PhysAddr {
    pub const fn new(value: u32) -> Self {
        Self(value)
    }
    pub const fn value(self) -> u32 {
        self.0
    }
    pub const fn frame(self) -> Frame {
        Frame(self.0 >> 12)
    }
    pub const fn page_offset(self) -> u32 {
        self.0 & (PAGE_SIZE - 1)
    }
    /// Offset by `bytes`, wrapping at 4 GB as the address bus does.
    pub const fn offset(self, bytes: u32) -> Self {
        Self(self.0.wrapping_add(bytes))
    }
    pub const fn is_page_aligned(self) -> bool {
        self.0 & (PAGE_SIZE - 1) == 0
    }
}

impl VirtAddr {
    pub const fn new(value: u32) -> Self {
        Self(value)
    }
    pub const fn value(self) -> u32 {
        self.0
    }
    /// Index into the page directory (bits 31..22).
    pub const fn directory_index(self) -> usize {
        (self.0 >> 22) as usize
    }
    /// Index into a page table (bits 21..12).
    pub const fn table_index(self) -> usize {
        ((self.0 >> 12) & 0x3FF) as usize
    }
    /// Virtual page number (bits 31..12).
    pub const fn page_number(self) -> u32 {
        self.0 >> 12
    }
    pub const fn page_offset(self) -> u32 {
        self.0 & (PAGE_SIZE - 1)
    }
    pub const fn page_base(self) -> Self {
        Self(self.0 & !(PAGE_SIZE - 1))
    }
    pub const fn offset(self, bytes: u32) -> Self {
        Self(self.0.wrapping_add(bytes))
    }
    pub const fn is_page_aligned(self) -> bool {
        self.0 & (PAGE_SIZE - 1) == 0
    }
}

impl Frame {
    pub const fn new(number: u32) -> Self {
        Self(number)
    }
    pub const fn number(self) -> u32 {
        self.0
    }
    pub const fn address(self) -> PhysAddr {
        PhysAddr(self.0 << 12)
    }
}

impl fmt::Debug for PhysAddr {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "P:{:#010x}", self.0)
    }
}
impl fmt::Debug for VirtAddr {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "V:{:#010x}", self.0)
    }
}
impl fmt::Debug for Frame {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "frame {:#07x}", self.0)
    }
}
impl fmt::Display for PhysAddr {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{:#010x}", self.0)
    }
}
impl fmt::Display for VirtAddr {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{:#010x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_address_splits_into_directory_table_and_offset() {
        let address = VirtAddr(0xC040_3123);
        assert_eq!(address.directory_index(), 0x301);
        assert_eq!(address.table_index(), 0x003);
        assert_eq!(address.page_offset(), 0x123);
        assert_eq!(address.page_base(), VirtAddr(0xC040_3000));
    }

    #[test]
    fn frame_round_trips_through_its_address() {
        assert_eq!(Frame(0x1234).address(), PhysAddr(0x0123_4000));
        assert_eq!(PhysAddr(0x0123_4FFF).frame(), Frame(0x1234));
    }
}
