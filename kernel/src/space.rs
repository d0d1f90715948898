//! Address spaces: page directories and tables in physical memory, in the
//! i386 format, written through the `Hardware` trait — so the MMU (real or
//! modelled) walks exactly what is written here.
//!
//! Every user page table has a companion page in the pool holding, for each
//! of its 1024 entries, the index of the mapping-database node that entry
//! belongs to (2 bytes each). That makes "which node maps (space, address)"
//! an O(1) question, as the mapping database needs.

use crate::hardware::Hardware;
use crate::layout;
use crate::pool::Pool;
use crate::thread::NONE;
use ia32::paging::{Entry, LARGE_PAGE, PRESENT, USER, WRITABLE};
use ia32::{Frame, PAGE_SIZE, PhysAddr, VirtAddr};

/// Directory index of the per-space kernel region (0xEFC0_0000).
const REGION_INDEX: usize = (layout::PER_SPACE_REGION.value() >> 22) as usize;
/// First directory index of the small-space area.
pub const SMALL_FIRST: usize = (layout::SMALL_SPACE_AREA >> 22) as usize;
pub const SMALL_LAST: usize = (layout::SMALL_SPACE_AREA_END >> 22) as usize;
const WINDOW_FIRST: usize = (layout::PHYSICAL_WINDOW >> 22) as usize;

/// The companion page of a page table.
#[derive(Clone, Debug)]
pub struct Companions {
    /// Pool position of a page table → physical address of its companion.
    by_position: [u32; crate::pool::MAX_POOL_FRAMES],
}

impl Companions {
    pub const fn new() -> Self {
        Self { by_position: [0; crate::pool::MAX_POOL_FRAMES] }
    }
}

impl Default for Companions {
    fn default() -> Self {
        Self::new()
    }
}

/// Where a mapping of one page lives.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Slot {
    /// Physical address of the page-table (or directory, for 4 MB) entry.
    pub entry: PhysAddr,
    /// Physical address of its node-index slot.
    pub node: PhysAddr,
    pub large: bool,
}

/// The kernel's view of all address spaces.
#[derive(Clone, Debug)]
pub struct Spaces {
    /// Directory entries of the kernel window, copied into every directory.
    window_entries: [u32; 64],
    window_count: usize,
    /// Shared page tables of the small-space area (0: none yet).
    small_tables: [u32; SMALL_LAST - SMALL_FIRST],
    pub companions: Companions,
    /// Use 4 MB pages (Pentium with CR4.PSE).
    pub large_pages: bool,
    pool_low: u32,
}

impl Spaces {
    pub const fn new() -> Self {
        Self {
            window_entries: [0; 64],
            window_count: 0,
            small_tables: [0; SMALL_LAST - SMALL_FIRST],
            companions: Companions::new(),
            large_pages: false,
            pool_low: 0,
        }
    }

    /// Build the kernel window's tables over `[0, memory)`.
    pub fn build_window(&mut self, hardware: &mut impl Hardware, pool: &mut Pool, memory: u32) -> Option<()> {
        let memory = memory.min(layout::MAX_MEMORY);
        self.window_count = memory.div_ceil(4 << 20) as usize;
        for index in 0..self.window_count {
            let base = (index as u32) << 22;
            if self.large_pages {
                self.window_entries[index] = Entry::large(PhysAddr(base), WRITABLE).raw();
                continue;
            }
            let table = pool.allocate(hardware)?;
            for page in 0..1024u32 {
                let address = base + page * PAGE_SIZE;
                let entry = if address < memory { Entry::new(PhysAddr(address).frame(), WRITABLE).raw() } else { 0 };
                hardware.write_physical_u32(table.offset(page * 4), entry);
            }
            self.window_entries[index] = Entry::new(table.frame(), WRITABLE).raw();
        }
        Some(())
    }

    /// A new address space: kernel window, per-space region (TSS page, no
    /// I/O ports), the shared small-space tables. Returns (directory, region table).
    pub fn create(&mut self, hardware: &mut impl Hardware, pool: &mut Pool) -> Option<(PhysAddr, PhysAddr)> {
        let directory = pool.allocate(hardware)?;
        let Some(region) = pool.allocate(hardware) else {
            pool.free(directory);
            return None;
        };
        let tss_slot = (layout::TSS_PAGE_VIRTUAL.value() >> 12) & 0x3FF;
        hardware.write_physical_u32(region.offset(tss_slot * 4), Entry::new(layout::TSS_PAGE.frame(), WRITABLE).raw());
        for page in 0..2u32 {
            let slot = ((layout::IO_BITMAP_VIRTUAL.value() >> 12) & 0x3FF) + page;
            let frame = layout::NO_PORTS_BITMAP.offset(page * PAGE_SIZE).frame();
            hardware.write_physical_u32(region.offset(slot * 4), Entry::new(frame, 0).raw());
        }
        hardware
            .write_physical_u32(directory.offset(REGION_INDEX as u32 * 4), Entry::new(region.frame(), WRITABLE).raw());
        for index in 0..self.window_count {
            hardware
                .write_physical_u32(directory.offset((WINDOW_FIRST + index) as u32 * 4), self.window_entries[index]);
        }
        for (index, table) in self.small_tables.iter().enumerate() {
            if *table != 0 {
                let entry = Entry::new(PhysAddr(*table).frame(), WRITABLE | USER).raw();
                hardware.write_physical_u32(directory.offset((SMALL_FIRST + index) as u32 * 4), entry);
            }
        }
        Some((directory, region))
    }

    /// Free every user page table (and its companion), the region table and
    /// the directory. The caller has removed the mappings.
    pub fn destroy(&mut self, hardware: &mut impl Hardware, pool: &mut Pool, directory: PhysAddr, region: PhysAddr) {
        for index in 0..SMALL_FIRST {
            let entry = Entry(hardware.read_physical_u32(directory.offset(index as u32 * 4)));
            if entry.is_present() && !entry.is_large() {
                self.free_table(pool, entry.address());
            }
        }
        pool.free(region);
        pool.free(directory);
    }

    fn free_table(&mut self, pool: &mut Pool, table: PhysAddr) {
        if let Some(position) = pool.position(table) {
            let companion = self.companions.by_position[position];
            if companion != 0 {
                pool.free(PhysAddr(companion));
            }
            self.companions.by_position[position] = 0;
        }
        pool.free(table);
    }

    /// The entry that maps `address` in the directory, if a table or 4 MB page is there.
    pub fn slot(&self, hardware: &mut impl Hardware, directory: PhysAddr, address: VirtAddr) -> Option<Slot> {
        let directory_entry_address = directory.offset(address.directory_index() as u32 * 4);
        let directory_entry = Entry(hardware.read_physical_u32(directory_entry_address));
        if !directory_entry.is_present() {
            return None;
        }
        if directory_entry.is_large() {
            // 4 MB mappings keep their node index in the companion of the
            // directory: slot = directory index.
            let companion = self.companion(directory)?;
            return Some(Slot {
                entry: directory_entry_address,
                node: companion.offset(address.directory_index() as u32 * 2),
                large: true,
            });
        }
        let table = directory_entry.address();
        let companion = self.companion(table)?;
        Some(Slot {
            entry: table.offset(address.table_index() as u32 * 4),
            node: companion.offset(address.table_index() as u32 * 2),
            large: false,
        })
    }

    fn companion(&self, table: PhysAddr) -> Option<PhysAddr> {
        // Tables outside the pool (the kernel window's) have no companion.
        let position = (table.value().checked_sub(self.pool_low)? / PAGE_SIZE) as usize;
        let companion = *self.companions.by_position.get(position)?;
        (companion != 0).then_some(PhysAddr(companion))
    }

    /// The slot for `address`, creating the page table (and its companion)
    /// if there is none. `None` if the pool is exhausted or `address` is not
    /// mappable user space.
    pub fn slot_or_create(
        &mut self,
        hardware: &mut impl Hardware,
        pool: &mut Pool,
        directories: impl Iterator<Item = u32>,
        directory: PhysAddr,
        address: VirtAddr,
        large: bool,
    ) -> Option<Slot> {
        if address.value() >= layout::SMALL_SPACE_AREA_END {
            return None;
        }
        if large {
            self.ensure_companion(hardware, pool, directory)?;
            return self.slot_large(hardware, directory, address);
        }
        if let Some(slot) = self.slot(hardware, directory, address)
            && !slot.large
        {
            return Some(slot);
        }
        let index = address.directory_index();
        let directory_entry_address = directory.offset(index as u32 * 4);
        if Entry(hardware.read_physical_u32(directory_entry_address)).is_present() {
            // A 4 MB mapping is in the way.
            return None;
        }
        let table = pool.allocate(hardware)?;
        let Some(companion) = pool.allocate(hardware) else {
            pool.free(table);
            return None;
        };
        clear_companion(hardware, companion);
        let position = pool.position(table)?;
        self.companions.by_position[position] = companion.value();
        let entry = Entry::new(table.frame(), WRITABLE | USER).raw();
        if (SMALL_FIRST..SMALL_LAST).contains(&index) {
            // The small-space area is shared: every directory gets the table.
            self.small_tables[index - SMALL_FIRST] = table.value();
            for other in directories.filter(|other| *other != 0) {
                hardware.write_physical_u32(PhysAddr(other).offset(index as u32 * 4), entry);
            }
        }
        hardware.write_physical_u32(directory_entry_address, entry);
        self.slot(hardware, directory, address)
    }

    fn ensure_companion(&mut self, hardware: &mut impl Hardware, pool: &mut Pool, directory: PhysAddr) -> Option<()> {
        let position = pool.position(directory)?;
        if self.companions.by_position[position] == 0 {
            let companion = pool.allocate(hardware)?;
            clear_companion(hardware, companion);
            self.companions.by_position[position] = companion.value();
        }
        Some(())
    }

    fn slot_large(&self, hardware: &mut impl Hardware, directory: PhysAddr, address: VirtAddr) -> Option<Slot> {
        let directory_entry_address = directory.offset(address.directory_index() as u32 * 4);
        let current = Entry(hardware.read_physical_u32(directory_entry_address));
        if current.is_present() && !current.is_large() {
            return None;
        }
        let companion = self.companion(directory)?;
        Some(Slot {
            entry: directory_entry_address,
            node: companion.offset(address.directory_index() as u32 * 2),
            large: true,
        })
    }

    /// Free the companion of a directory (4 MB mappings) when the space goes.
    pub fn free_directory_companion(&mut self, pool: &mut Pool, directory: PhysAddr) {
        if let Some(position) = pool.position(directory) {
            let companion = self.companions.by_position[position];
            if companion != 0 {
                pool.free(PhysAddr(companion));
                self.companions.by_position[position] = 0;
            }
        }
    }

    /// Where pool frames start (for the companion lookup).
    pub fn set_pool_low(&mut self, low: u32) {
        self.pool_low = low;
    }

    /// Translate a user address in a space (software walk, as the MMU would).
    /// Returns the physical address and whether the page is writable.
    pub fn translate(
        &self,
        hardware: &mut impl Hardware,
        directory: PhysAddr,
        address: VirtAddr,
    ) -> Option<(PhysAddr, bool)> {
        let directory_entry = Entry(hardware.read_physical_u32(directory.offset(address.directory_index() as u32 * 4)));
        if !directory_entry.is_present() || !directory_entry.is_user() {
            return None;
        }
        if directory_entry.is_large() {
            return Some((
                directory_entry.large_address().offset(address.value() & 0x003F_FFFF),
                directory_entry.is_writable(),
            ));
        }
        let entry =
            Entry(hardware.read_physical_u32(directory_entry.address().offset(address.table_index() as u32 * 4)));
        if !entry.is_present() || !entry.is_user() {
            return None;
        }
        Some((entry.address().offset(address.page_offset()), entry.is_writable() && directory_entry.is_writable()))
    }
}

impl Default for Spaces {
    fn default() -> Self {
        Self::new()
    }
}

/// A user page-table entry for a frame.
pub fn user_entry(frame: Frame, writable: bool) -> u32 {
    Entry::new(frame, USER | if writable { WRITABLE } else { 0 }).raw()
}

/// A user 4 MB directory entry.
pub fn user_large_entry(base: PhysAddr, writable: bool) -> u32 {
    Entry::large(base, USER | if writable { WRITABLE } else { 0 }).raw()
}

/// Read the node index kept for a slot.
pub fn read_node(hardware: &mut impl Hardware, slot: Slot) -> u16 {
    let mut bytes = [0u8; 2];
    hardware.read_physical(slot.node, &mut bytes);
    u16::from_le_bytes(bytes)
}

pub fn write_node(hardware: &mut impl Hardware, slot: Slot, node: u16) {
    hardware.write_physical(slot.node, &node.to_le_bytes());
}

/// Whether an entry maps something (present, user).
pub fn present(entry: u32) -> bool {
    entry & (PRESENT | USER) == (PRESENT | USER)
}

pub const LARGE: u32 = LARGE_PAGE;

/// Fill a new companion (a node number per entry of its table) with "no
/// node": 2 KB written in eight calls of 256 bytes, not 1,024 calls of two
/// (each call of `write_physical` has its fixed cost, natively and charged).
fn clear_companion(hardware: &mut impl Hardware, companion: PhysAddr) {
    let none = NONE.to_le_bytes();
    let mut chunk = [0u8; 256];
    for (index, byte) in chunk.iter_mut().enumerate() {
        *byte = none[index % 2];
    }
    let mut offset = 0;
    while offset < 1024 * 2 {
        hardware.write_physical(companion.offset(offset), &chunk);
        offset += chunk.len() as u32;
    }
}

/// The page-table entries of one space over a range of addresses, in
/// order: each directory entry is read once, and a range without a page
/// table (an empty directory slot, or a 4 MB mapping) is skipped whole. So a
/// walk over a sparse window costs a read per mapped table page, not a
/// lookup per page from the directory down.
#[derive(Clone, Copy, Debug)]
pub struct TableEntries {
    directory: PhysAddr,
    address: u64,
    end: u64,
    /// The directory index last read, and its page table.
    table: Option<(usize, PhysAddr)>,
}

impl TableEntries {
    /// The entries for the pages in [start, end) of the space of `directory`.
    pub fn new(directory: PhysAddr, start: u32, end: u32) -> Self {
        Self { directory, address: start as u64 & !(PAGE_SIZE as u64 - 1), end: end as u64, table: None }
    }

    /// The next page a page table covers: its address, the entry's physical
    /// address, and the entry (present or not).
    pub fn next(&mut self, hardware: &mut impl Hardware) -> Option<(u32, PhysAddr, u32)> {
        while self.address < self.end {
            let address = VirtAddr(self.address as u32);
            let index = address.directory_index();
            let table = match self.table {
                Some((read, table)) if read == index => table,
                _ => {
                    let entry = Entry(hardware.read_physical_u32(self.directory.offset(index as u32 * 4)));
                    if !entry.is_present() || entry.is_large() {
                        self.address = (self.address | (SUPERPAGE - 1)) + 1;
                        continue;
                    }
                    self.table = Some((index, entry.address()));
                    entry.address()
                }
            };
            self.address += PAGE_SIZE as u64;
            let entry_address = table.offset(address.table_index() as u32 * 4);
            return Some((address.value(), entry_address, hardware.read_physical_u32(entry_address)));
        }
        None
    }
}

/// Bytes a directory entry covers.
const SUPERPAGE: u64 = 1 << 22;
