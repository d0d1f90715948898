//! Physical memory: RAM from 0 up to the installed size. Reads beyond it
//! return 0xFF and writes are lost, as on an ISA bus with nothing decoding
//! the address.
//!
//! Pages are reference-counted and copied on first write after a snapshot
//! ([`PhysicalMemory::snapshot`] costs one pointer per page, not a copy of
//! RAM), which is what makes stepping backwards cheap. Writes also tell the
//! decoded-instruction cache which pages changed (self-modifying code, or the
//! kernel loading a new program over an old one).

use ia32::PhysAddr;
use std::rc::Rc;

pub const PAGE_SIZE: usize = 4096;
type Page = [u8; PAGE_SIZE];

/// Installed RAM.
#[derive(Clone)]
pub struct PhysicalMemory {
    pages: Vec<Rc<Page>>,
    /// Bit set per page: some decoded instructions were cached from this page.
    decoded: Vec<u64>,
    /// Pages whose decoded instructions are stale (written since decoding).
    stale: Vec<u32>,
}

impl core::fmt::Debug for PhysicalMemory {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(formatter, "PhysicalMemory({} KB)", self.pages.len() * PAGE_SIZE / 1024)
    }
}

/// A frozen copy of memory, sharing unchanged pages with the live memory.
#[derive(Clone)]
pub struct MemorySnapshot {
    pages: Vec<Rc<Page>>,
}

impl core::fmt::Debug for MemorySnapshot {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(formatter, "MemorySnapshot({} pages)", self.pages.len())
    }
}

fn bit_words(pages: usize) -> usize {
    pages.div_ceil(64)
}

impl PhysicalMemory {
    /// `size` is rounded up to whole pages.
    pub fn new(size: u32) -> Self {
        let count = (size as usize).div_ceil(PAGE_SIZE);
        let zero: Rc<Page> = Rc::new([0; PAGE_SIZE]);
        Self { pages: vec![zero; count], decoded: vec![0; bit_words(count)], stale: Vec::new() }
    }

    /// Installed bytes.
    pub fn size(&self) -> u32 {
        (self.pages.len() * PAGE_SIZE) as u32
    }

    /// Read one byte.
    #[inline]
    pub fn read_u8(&self, address: u32) -> u8 {
        let page = (address as usize) / PAGE_SIZE;
        match self.pages.get(page) {
            Some(contents) => contents[address as usize % PAGE_SIZE],
            None => 0xFF,
        }
    }

    /// Read a little-endian word of 1, 2 or 4 bytes (`size`), zero-extended.
    #[inline]
    pub fn read_sized(&self, address: u32, size: u32) -> u32 {
        let offset = address as usize % PAGE_SIZE;
        if let Some(contents) = self.pages.get(address as usize / PAGE_SIZE) {
            // One length check per size (`first_chunk`), not one per byte.
            let rest = &contents[offset..];
            match size {
                1 => return rest[0] as u32,
                2 => {
                    if let Some(&bytes) = rest.first_chunk::<2>() {
                        return u16::from_le_bytes(bytes) as u32;
                    }
                }
                4 => {
                    if let Some(&bytes) = rest.first_chunk::<4>() {
                        return u32::from_le_bytes(bytes);
                    }
                }
                _ => {}
            }
        }
        let mut value = 0u32;
        for index in 0..size {
            value |= (self.read_u8(address.wrapping_add(index)) as u32) << (8 * index);
        }
        value
    }

    pub fn read_u32(&self, address: u32) -> u32 {
        self.read_sized(address, 4)
    }

    /// Write one byte.
    #[inline]
    pub fn write_u8(&mut self, address: u32, value: u8) {
        if let Some(contents) = self.page_for_write(address as usize / PAGE_SIZE) {
            contents[address as usize % PAGE_SIZE] = value;
        }
    }

    /// Write the low `size` bytes (1, 2 or 4) of `value`, little-endian.
    #[inline]
    pub fn write_sized(&mut self, address: u32, size: u32, value: u32) {
        let offset = address as usize % PAGE_SIZE;
        if offset + size as usize <= PAGE_SIZE {
            if let Some(contents) = self.page_for_write(address as usize / PAGE_SIZE) {
                // One arm per size: a copy of a run-time length calls memcpy.
                let rest = &mut contents[offset..];
                let bytes = value.to_le_bytes();
                match size {
                    1 => rest[0] = bytes[0],
                    2 => {
                        if let Some(target) = rest.first_chunk_mut::<2>() {
                            *target = [bytes[0], bytes[1]];
                        }
                    }
                    4 => {
                        if let Some(target) = rest.first_chunk_mut::<4>() {
                            *target = bytes;
                        }
                    }
                    _ => {
                        for (target, byte) in rest.iter_mut().zip(bytes).take(size as usize) {
                            *target = byte;
                        }
                    }
                }
            }
            return;
        }
        for index in 0..size {
            self.write_u8(address.wrapping_add(index), (value >> (8 * index)) as u8);
        }
    }

    pub fn write_u32(&mut self, address: u32, value: u32) {
        self.write_sized(address, 4, value);
    }

    /// Copy bytes out of memory.
    pub fn read(&self, address: PhysAddr, buffer: &mut [u8]) {
        for (index, byte) in buffer.iter_mut().enumerate() {
            *byte = self.read_u8(address.value().wrapping_add(index as u32));
        }
    }

    /// Copy bytes into memory.
    pub fn write(&mut self, address: PhysAddr, data: &[u8]) {
        let mut at = address.value();
        let mut rest = data;
        while !rest.is_empty() {
            let offset = at as usize % PAGE_SIZE;
            let take = rest.len().min(PAGE_SIZE - offset);
            if let Some(contents) = self.page_for_write(at as usize / PAGE_SIZE) {
                contents[offset..offset + take].copy_from_slice(&rest[..take]);
            }
            rest = &rest[take..];
            at = at.wrapping_add(take as u32);
        }
    }

    /// A whole page for display (the page-table views), or `None` beyond RAM.
    pub fn page(&self, frame: u32) -> Option<&Page> {
        self.pages.get(frame as usize).map(|page| &**page)
    }

    #[inline]
    fn page_for_write(&mut self, page: usize) -> Option<&mut Page> {
        if page >= self.pages.len() {
            return None;
        }
        let word = page / 64;
        let bit = 1u64 << (page % 64);
        if self.decoded[word] & bit != 0 {
            self.decoded[word] &= !bit;
            self.stale.push(page as u32);
        }
        // Copies the page only if a snapshot (or the shared zero page) holds it too.
        Some(Rc::make_mut(&mut self.pages[page]))
    }

    /// Note that instructions were decoded from `page`: the next write to it
    /// reports the page as stale.
    pub fn mark_decoded(&mut self, page: u32) {
        if let Some(word) = self.decoded.get_mut(page as usize / 64) {
            *word |= 1u64 << (page % 64);
        }
    }

    /// Pages written since their instructions were decoded (drained).
    pub fn take_stale_pages(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.stale)
    }

    /// Whether any page went stale since the last `take_stale_pages`.
    #[inline]
    pub fn has_stale_pages(&self) -> bool {
        !self.stale.is_empty()
    }

    /// Forget which pages had decoded instructions (the cache was dropped).
    pub(crate) fn forget_decoded(&mut self) {
        self.decoded.iter_mut().for_each(|word| *word = 0);
        self.stale.clear();
    }

    /// Freeze the current contents. Costs one reference per page; the first
    /// later write to each page copies it.
    pub fn snapshot(&self) -> MemorySnapshot {
        MemorySnapshot { pages: self.pages.clone() }
    }

    /// Return to a snapshot's contents. Every page counts as written (the
    /// decoded-instruction cache must be dropped by the caller).
    pub fn restore(&mut self, snapshot: &MemorySnapshot) {
        self.pages = snapshot.pages.clone();
        self.decoded.iter_mut().for_each(|word| *word = 0);
        self.stale.clear();
    }

    /// Pages that differ from `snapshot` (by identity: pages written since).
    pub fn pages_changed_since(&self, snapshot: &MemorySnapshot) -> usize {
        self.pages.iter().zip(snapshot.pages.iter()).filter(|(now, then)| !Rc::ptr_eq(now, then)).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_beyond_ram_float_high_and_writes_vanish() {
        let mut memory = PhysicalMemory::new(8192);
        assert_eq!(memory.read_u32(8192), 0xFFFF_FFFF);
        memory.write_u32(8192, 5);
        assert_eq!(memory.read_u32(8192), 0xFFFF_FFFF);
        // A word straddling the end: the installed half reads, the rest floats.
        memory.write_u32(8190, 0x1234_5678);
        assert_eq!(memory.read_u32(8190), 0xFFFF_5678);
    }

    #[test]
    fn words_cross_page_boundaries() {
        let mut memory = PhysicalMemory::new(3 * 4096);
        memory.write_u32(4094, 0xAABB_CCDD);
        assert_eq!(memory.read_u32(4094), 0xAABB_CCDD);
        assert_eq!(memory.read_u8(4096), 0xBB);
    }

    #[test]
    fn snapshots_share_pages_until_written() {
        let mut memory = PhysicalMemory::new(16 * 4096);
        memory.write_u32(0x1000, 1);
        let before = memory.snapshot();
        memory.write_u32(0x1000, 2);
        memory.write_u32(0x5000, 3);
        assert_eq!(memory.pages_changed_since(&before), 2);
        assert_eq!(memory.read_u32(0x1000), 2);
        memory.restore(&before);
        assert_eq!(memory.read_u32(0x1000), 1);
        assert_eq!(memory.read_u32(0x5000), 0);
    }

    #[test]
    fn writes_to_decoded_pages_are_reported_once() {
        let mut memory = PhysicalMemory::new(4 * 4096);
        memory.mark_decoded(2);
        memory.write_u8(0x2010, 0x90);
        memory.write_u8(0x2011, 0x90);
        assert_eq!(memory.take_stale_pages(), vec![2]);
        memory.write_u8(0x2012, 0x90);
        assert!(memory.take_stale_pages().is_empty());
    }
}
