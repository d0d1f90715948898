//! Map, grant and unmap: the mapping database and the page tables kept in
//! step, and the TLB kept coherent.
//!
//! Sigma0 owns all memory: its space is idempotent (virtual = physical).
//! Its mappings are made on demand — when sigma0 touches or sends a page —
//! and each is the root of that frame's tree. Kernel memory (the image, its
//! state, the descriptor tables, the pool) is never mapped to anyone.
//!
//! TLB policy: when mappings go away, the pages of the address space that
//! is loaded (and any alias in the small-space area, which every space
//! shares) are invalidated with `invlpg`, one by one up to 16 pages; beyond
//! that one CR3 reload flushes everything. Other spaces need nothing: their
//! translations were flushed when CR3 last changed.

use crate::Kernel;
use crate::event::KernelEvent;
use crate::hardware::Hardware;
use crate::layout;
use crate::space::{self, Slot};
use crate::thread::NONE;
use ia32::abi::{Fpage, SmallSpaceId, ThreadId};
use ia32::paging::{Entry, WRITABLE};
use ia32::{PAGE_SIZE, PhysAddr, SUPERPAGE_SIZE, VirtAddr};

pub const SIGMA0_TASK: u8 = 2;

/// Beyond this many pages in one unmap, a full flush is cheaper than invlpg each.
const INVALIDATE_LIMIT: u32 = 16;

/// Why a mapping could not be made.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MapError {
    /// The kernel ran out of page tables or mapping nodes.
    NoMemory,
}

/// Collects TLB work of one operation.
#[derive(Default)]
struct Invalidations {
    pages: [u32; INVALIDATE_LIMIT as usize],
    count: u32,
}

impl Kernel {
    pub(crate) fn directory_of(&self, task: u8) -> Option<PhysAddr> {
        let directory = self.threads.tasks[task as usize].directory;
        (directory != 0).then_some(PhysAddr(directory))
    }

    /// Whether sigma0 may have `frame` (not kernel memory, inside RAM or dedicated).
    pub(crate) fn sigma0_may_have(&self, address: u32, size: u32) -> bool {
        let end = address as u64 + size as u64;
        let overlaps = |low: u32, high: u32| (address as u64) < high as u64 && end > low as u64;
        if overlaps(layout::KERNEL_IMAGE.value(), layout::RESERVED_END.value()) && !self.is_kip_page(address, size) {
            return false;
        }
        if overlaps(self.pool.low, self.pool.high()) {
            return false;
        }
        end <= self.memory_high as u64 || (address >= layout::DEDICATED_LOW && end <= layout::DEDICATED_HIGH as u64)
    }

    fn is_kip_page(&self, address: u32, size: u32) -> bool {
        size == PAGE_SIZE && address == self.kip.value()
    }

    /// The slot of (task, address), if something is mapped there.
    fn mapped_slot<H: Hardware>(&self, hardware: &mut H, task: u8, address: u32) -> Option<Slot> {
        let directory = self.directory_of(task)?;
        let slot = self.spaces.slot(hardware, directory, VirtAddr(address))?;
        space::present(hardware.read_physical_u32(slot.entry)).then_some(slot)
    }

    /// The node mapping (task, address) and the frame base, making sigma0's
    /// mapping on demand. `large`: want the 4 MB mapping of an aligned region.
    fn source<H: Hardware>(
        &mut self,
        hardware: &mut H,
        task: u8,
        address: u32,
        large: bool,
    ) -> Option<(u16, PhysAddr, bool)> {
        if let Some(slot) = self.mapped_slot(hardware, task, address) {
            let entry = Entry(hardware.read_physical_u32(slot.entry));
            let node = space::read_node(hardware, slot);
            if !self.mapping.valid(node) {
                return None;
            }
            let base = if slot.large { entry.large_address() } else { entry.address() };
            return Some((node, base, slot.large));
        }
        if task != SIGMA0_TASK {
            return None;
        }
        // Sigma0 is idempotent: its mapping of a free frame appears when needed.
        let size = if large { SUPERPAGE_SIZE } else { PAGE_SIZE };
        let base = address & !(size - 1);
        if !self.sigma0_may_have(base, size) {
            return None;
        }
        let writable = !self.is_kip_page(base, size);
        let node = self.install(hardware, SIGMA0_TASK, base, PhysAddr(base), writable, large, None)?;
        Some((node, PhysAddr(base), large))
    }

    /// Write a mapping (task, address) → frame with a new node (root if
    /// `parent` is None). Returns the node.
    #[allow(clippy::too_many_arguments)]
    fn install<H: Hardware>(
        &mut self,
        hardware: &mut H,
        task: u8,
        address: u32,
        frame: PhysAddr,
        writable: bool,
        large: bool,
        parent: Option<u16>,
    ) -> Option<u16> {
        let directory = self.directory_of(task)?;
        let directories = self.threads.tasks.iter().map(|task| task.directory);
        let slot =
            self.spaces.slot_or_create(hardware, &mut self.pool, directories, directory, VirtAddr(address), large)?;
        let node = match parent {
            None => self.mapping.insert_root(task, address, writable, large)?,
            Some(parent) => self.mapping.insert_child(parent, task, address, writable, large)?,
        };
        let writable = self.mapping.node(node).writable();
        let entry =
            if large { space::user_large_entry(frame, writable) } else { space::user_entry(frame.frame(), writable) };
        hardware.write_physical_u32(slot.entry, entry);
        space::write_node(hardware, slot, node);
        hardware.touch(self.node_address(node), 12, true);
        self.write_alias(hardware, task, address, entry);
        Some(node)
    }

    /// The kernel virtual address of a mapping node (for `Hardware::touch`).
    fn node_address(&self, node: u16) -> u32 {
        let offset = core::mem::offset_of!(Kernel, mapping);
        layout::window(layout::KERNEL_STATE) + offset as u32 + node as u32 * 12
    }

    /// A small task's pages also appear in the small-space area (shared by
    /// every space) at area + slot offset + address.
    pub(crate) fn write_alias<H: Hardware>(&mut self, hardware: &mut H, task: u8, address: u32, entry: u32) {
        if !self.config.small_spaces {
            return;
        }
        let Some((size, offset)) = SmallSpaceId(self.threads.tasks[task as usize].small).window() else { return };
        if address >= size || entry & ia32::paging::LARGE_PAGE != 0 {
            return;
        }
        let alias = layout::SMALL_SPACE_AREA + offset + address;
        let Some(directory) = self.directory_of(task) else { return };
        let directories = self.threads.tasks.iter().map(|task| task.directory);
        if let Some(slot) =
            self.spaces.slot_or_create(hardware, &mut self.pool, directories, directory, VirtAddr(alias), false)
        {
            let old = hardware.read_physical_u32(slot.entry);
            hardware.write_physical_u32(slot.entry, entry);
            // The area is in every space's TLB view: a revoked or narrowed
            // alias goes from the TLB now, whatever space is loaded.
            let narrowed = old & ia32::paging::PRESENT != 0
                && (entry & ia32::paging::PRESENT == 0
                    || (old & ia32::paging::WRITABLE != 0 && entry & ia32::paging::WRITABLE == 0)
                    || (old ^ entry) & !0xFFF != 0);
            if narrowed {
                hardware.invalidate_page(VirtAddr(alias));
                self.statistics.page_invalidations += 1;
            }
        }
    }

    /// Map or grant one page. Existing mappings at the target stay (their
    /// rights can only grow when they map the same frame).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn map_page<H: Hardware>(
        &mut self,
        hardware: &mut H,
        from: ThreadId,
        to: ThreadId,
        from_address: u32,
        to_address: u32,
        writable: bool,
        grant: bool,
        large: bool,
    ) -> Result<bool, MapError> {
        let Some((source, base, source_large)) = self.source(hardware, from.task(), from_address, large) else {
            // Nothing mapped there: nothing to send (not an error).
            return Ok(false);
        };
        let large = large && source_large;
        // A 4 KB page out of a 4 MB mapping: its frame lies inside the large page.
        let frame = if source_large && !large {
            base.offset(from_address & (SUPERPAGE_SIZE - 1) & !(PAGE_SIZE - 1))
        } else {
            base
        };
        let source_writable = self.mapping.node(source).writable();
        if let Some(slot) = self.mapped_slot(hardware, to.task(), to_address) {
            // A map onto a copy of the same frame may extend it to writable —
            // only with w=1 and only if the mapper's own mapping is writable
            // now: a mapping never carries more than its mapper holds ([X0M]
            // §2.2.3; Hazelnut's map_fpage checks the sender's entry).
            let existing = Entry(hardware.read_physical_u32(slot.entry));
            let existing_base = if slot.large { existing.large_address() } else { existing.address() };
            let extends = existing_base == frame && !grant && writable && source_writable && !existing.is_writable();
            let node = space::read_node(hardware, slot);
            if !extends || !self.mapping.valid(node) {
                return Ok(false);
            }
            // Never beyond the copy's own parent in the tree either.
            self.mapping.set_writable(node, true);
            if !self.mapping.node(node).writable() {
                return Ok(false);
            }
            hardware.write_physical_u32(slot.entry, existing.with(WRITABLE).raw());
            self.write_alias(hardware, to.task(), to_address, existing.with(WRITABLE).raw());
            self.invalidate_now(hardware, to.task(), to_address);
            hardware.emit(&KernelEvent::Map {
                from,
                to,
                from_address,
                to_address,
                frame: frame.value(),
                writable: true,
                grant: false,
                large: slot.large,
            });
            return Ok(true);
        }
        let writable = writable && source_writable;
        if grant {
            // The node moves; the sender's entry goes.
            let from_slot = self.mapped_slot(hardware, from.task(), from_address).ok_or(MapError::NoMemory)?;
            let directory = self.directory_of(to.task()).ok_or(MapError::NoMemory)?;
            let directories = self.threads.tasks.iter().map(|task| task.directory);
            let to_slot = self
                .spaces
                .slot_or_create(hardware, &mut self.pool, directories, directory, VirtAddr(to_address), large)
                .ok_or(MapError::NoMemory)?;
            hardware.write_physical_u32(from_slot.entry, 0);
            space::write_node(hardware, from_slot, NONE);
            self.write_alias(hardware, from.task(), from_address, 0);
            self.invalidate_now(hardware, from.task(), from_address);
            self.mapping.move_node(source, to.task(), to_address);
            if !writable && self.mapping.node(source).writable() {
                // A read-only grant: what was derived from the page can have
                // no more rights than the page now has.
                let mut invalidations = Invalidations::default();
                let mut cursor = self.mapping.next_in_subtree(source, source);
                while cursor != NONE {
                    self.downgrade(hardware, cursor, &mut invalidations);
                    cursor = self.mapping.next_in_subtree(source, cursor);
                }
                self.finish_invalidations(hardware, &invalidations);
                self.mapping.make_read_only(source);
            }
            let entry = if large {
                space::user_large_entry(frame, writable)
            } else {
                space::user_entry(frame.frame(), writable)
            };
            hardware.write_physical_u32(to_slot.entry, entry);
            space::write_node(hardware, to_slot, source);
            self.write_alias(hardware, to.task(), to_address, entry);
        } else {
            self.install(hardware, to.task(), to_address, frame, writable, large, Some(source))
                .ok_or(MapError::NoMemory)?;
        }
        hardware.emit(&KernelEvent::Map {
            from,
            to,
            from_address,
            to_address,
            frame: frame.value(),
            writable,
            grant,
            large,
        });
        Ok(true)
    }

    /// Send an fpage: the part that fits the receive window, placed by the
    /// hot spot. Returns the number of pages mapped.
    pub(crate) fn map_fpage<H: Hardware>(
        &mut self,
        hardware: &mut H,
        from: ThreadId,
        to: ThreadId,
        fpage: Fpage,
        hot_spot: u32,
        window: Fpage,
    ) -> Result<u32, MapError> {
        if !fpage.is_valid_memory() || !window.is_valid_memory() {
            return Ok(0);
        }
        let send_size = fpage.size();
        let window_size = window.size();
        // Placement: the smaller fpage goes where the hot spot says within the larger one.
        let (source_base, target_base, size) = if send_size <= window_size {
            let offset = (hot_spot as u64 % window_size) & !(send_size - 1);
            (fpage.base() as u64, window.base() as u64 + offset, send_size)
        } else {
            // A send fpage larger than the window: only the part over the window moves.
            let offset = (hot_spot as u64 % send_size) & !(window_size - 1);
            (fpage.base() as u64 + offset, window.base() as u64, window_size)
        };
        let writable = fpage.is_writable();
        let grant = fpage.is_grant();
        let large_ok = self.spaces.large_pages;
        let mut mapped = 0;
        let mut offset = 0u64;
        while offset < size {
            let from_address = source_base + offset;
            let to_address = target_base + offset;
            if to_address >= layout::USER_LIMIT as u64
                || from_address >= layout::USER_LIMIT as u64 && from.task() != SIGMA0_TASK
            {
                break;
            }
            let large = large_ok
                && size - offset >= SUPERPAGE_SIZE as u64
                && from_address.is_multiple_of(SUPERPAGE_SIZE as u64)
                && to_address.is_multiple_of(SUPERPAGE_SIZE as u64);
            let step = if large { SUPERPAGE_SIZE } else { PAGE_SIZE } as u64;
            if self.map_page(hardware, from, to, from_address as u32, to_address as u32, writable, grant, large)? {
                mapped += 1;
            } else if large
                && self.map_page(hardware, from, to, from_address as u32, to_address as u32, writable, grant, false)?
            {
                // No 4 MB mapping at the source: fall back to its 4 KB pages.
                mapped += 1;
                offset += PAGE_SIZE as u64;
                continue;
            }
            offset += step;
        }
        Ok(mapped)
    }

    /// fpage_unmap: remove (`mask` bit 1) or write-protect every mapping
    /// derived from the caller's pages in `fpage`; with bit 31 also the
    /// caller's own.
    pub(crate) fn unmap_fpage<H: Hardware>(&mut self, hardware: &mut H, task: u8, fpage: Fpage, mask: u32) {
        if !fpage.is_valid_memory() {
            return;
        }
        let remove = mask & ia32::abi::Fpage::WRITE != 0;
        let own = mask & 0x8000_0000 != 0;
        let mut invalidations = Invalidations::default();
        let end = (fpage.base() as u64 + fpage.size()).min(layout::USER_LIMIT as u64) as u32;
        let Some(directory) = self.directory_of(task) else { return };
        let mut address = fpage.base();
        while address < end {
            // A directory entry without a table: the next 4 MB are empty, so
            // the walk costs what is mapped, not the size of the fpage.
            let directory_entry =
                hardware.read_physical_u32(directory.offset(VirtAddr(address).directory_index() as u32 * 4));
            if directory_entry & ia32::paging::PRESENT == 0 {
                match (address & !(SUPERPAGE_SIZE - 1)).checked_add(SUPERPAGE_SIZE) {
                    Some(next) => address = next,
                    None => break,
                }
                continue;
            }
            if directory_entry & ia32::paging::LARGE_PAGE == 0 {
                // A page table: its entries are read one by one, and only
                // what is mapped is looked up further (a large fpage over a
                // sparse table costs a read per page, not a walk per page).
                let table = Entry(directory_entry).address();
                let table_end = ((address & !(SUPERPAGE_SIZE - 1)) as u64 + SUPERPAGE_SIZE as u64).min(end as u64);
                while (address as u64) < table_end {
                    let entry = hardware.read_physical_u32(table.offset(VirtAddr(address).table_index() as u32 * 4));
                    if space::present(entry)
                        && let Some(slot) = self.mapped_slot(hardware, task, address)
                    {
                        let node = space::read_node(hardware, slot);
                        if self.mapping.valid(node) {
                            self.revoke(hardware, node, own, remove, &mut invalidations);
                        }
                    }
                    address = address.wrapping_add(PAGE_SIZE);
                }
                if address == 0 {
                    break;
                }
                continue;
            }
            let Some(slot) = self.mapped_slot(hardware, task, address) else {
                address = address.saturating_add(PAGE_SIZE);
                if address == 0 {
                    break;
                }
                continue;
            };
            let step = if slot.large { SUPERPAGE_SIZE } else { PAGE_SIZE };
            let node = space::read_node(hardware, slot);
            if self.mapping.valid(node) {
                self.revoke(hardware, node, own, remove, &mut invalidations);
            }
            match address.checked_add(step) {
                Some(next) => address = next & !(step - 1),
                None => break,
            }
        }
        self.finish_invalidations(hardware, &invalidations);
    }

    /// Remove or write-protect the subtree below `node` (and `node` if `own`).
    fn revoke<H: Hardware>(
        &mut self,
        hardware: &mut H,
        node: u16,
        own: bool,
        remove: bool,
        invalidations: &mut Invalidations,
    ) {
        if remove {
            // Leaves first, so the tree stays consistent at every step.
            while let Some(child) = self.mapping.pop_leaf(node) {
                self.clear_entry(hardware, child.task(), child.address(), false, invalidations);
            }
            if own && let Some(mapped) = self.mapping.remove_leaf(node) {
                self.clear_entry(hardware, mapped.task(), mapped.address(), false, invalidations);
            }
        } else {
            let mut cursor = self.mapping.next_in_subtree(node, node);
            while cursor != NONE {
                self.downgrade(hardware, cursor, invalidations);
                cursor = self.mapping.next_in_subtree(node, cursor);
            }
            if own {
                self.downgrade(hardware, node, invalidations);
            }
        }
    }

    fn downgrade<H: Hardware>(&mut self, hardware: &mut H, node: u16, invalidations: &mut Invalidations) {
        let mapped = *self.mapping.node(node);
        if !mapped.writable() {
            return;
        }
        self.mapping.make_read_only(node);
        self.clear_entry(hardware, mapped.task(), mapped.address(), true, invalidations);
    }

    /// Clear (or write-protect) the page-table entry of (task, address).
    fn clear_entry<H: Hardware>(
        &mut self,
        hardware: &mut H,
        task: u8,
        address: u32,
        downgrade: bool,
        invalidations: &mut Invalidations,
    ) {
        let Some(slot) = self.mapped_slot(hardware, task, address) else { return };
        let entry = Entry(hardware.read_physical_u32(slot.entry));
        let frame = if slot.large { entry.large_address() } else { entry.address() };
        let new = if downgrade { entry.without(WRITABLE).raw() } else { 0 };
        hardware.write_physical_u32(slot.entry, new);
        if !downgrade {
            space::write_node(hardware, slot, NONE);
        }
        self.write_alias(hardware, task, address, new);
        hardware.emit(&KernelEvent::Unmap { task, address, frame: frame.value(), downgraded: downgrade });
        if self.directory_of(task).is_some_and(|directory| directory.value() == self.loaded_directory) {
            let pages = if slot.large { SUPERPAGE_SIZE / PAGE_SIZE } else { 1 };
            if invalidations.count + pages <= INVALIDATE_LIMIT {
                for page in 0..pages {
                    invalidations.pages[invalidations.count as usize] = address + page * PAGE_SIZE;
                    invalidations.count += 1;
                }
            } else {
                invalidations.count = INVALIDATE_LIMIT + 1;
            }
        }
    }

    fn finish_invalidations<H: Hardware>(&mut self, hardware: &mut H, invalidations: &Invalidations) {
        if invalidations.count > INVALIDATE_LIMIT {
            hardware.load_page_directory(PhysAddr(self.loaded_directory));
            self.statistics.tlb_flushes += 1;
            hardware.emit(&KernelEvent::TlbFlush { address: 0, all: true });
            return;
        }
        for &page in &invalidations.pages[..invalidations.count as usize] {
            hardware.invalidate_page(VirtAddr(page));
            self.statistics.page_invalidations += 1;
            hardware.emit(&KernelEvent::TlbFlush { address: page, all: false });
        }
    }

    /// Invalidate one page of `task` now, if its space is loaded.
    fn invalidate_now<H: Hardware>(&mut self, hardware: &mut H, task: u8, address: u32) {
        if self.directory_of(task).is_some_and(|directory| directory.value() == self.loaded_directory) {
            hardware.invalidate_page(VirtAddr(address));
            self.statistics.page_invalidations += 1;
            hardware.emit(&KernelEvent::TlbFlush { address, all: false });
        }
    }

    /// Remove every mapping of a task (it is being deleted): its own
    /// mappings and everything derived from them.
    pub(crate) fn unmap_everything<H: Hardware>(&mut self, hardware: &mut H, task: u8) {
        let whole = Fpage::new(0, 32, false, false);
        self.unmap_fpage(hardware, task, whole, 0x8000_0002);
    }

    /// Sigma0 touched one of its pages: map it 1:1.
    pub(crate) fn sigma0_fault<H: Hardware>(&mut self, hardware: &mut H, address: u32) -> bool {
        self.source(hardware, SIGMA0_TASK, address & !(PAGE_SIZE - 1), false).is_some()
    }
}
