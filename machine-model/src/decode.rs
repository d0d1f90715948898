//! Decoded instructions, cached per physical page.
//!
//! Decoding with iced-x86 is the most expensive part of interpreting; each
//! instruction is decoded once per physical address and kept with its
//! handler and its cycle cost. A write to a page drops that page's cache
//! (memory reports it), so self-modifying code and reloaded programs work.

use crate::CpuModel;
use crate::costs::{Cost, CostTable, Variable};
use crate::fault::Fault;
use crate::interpreter::forms::Form;
use crate::machine::Machine;
use iced_x86::Instruction;
use std::collections::HashMap;

/// Executes one instruction. Returns a fault, or Ok after updating state.
pub type Handler = fn(&mut Machine, &Instruction) -> Result<(), Fault>;

/// One decoded instruction, ready to run.
#[derive(Clone, Copy)]
pub struct Decoded {
    pub instruction: Instruction,
    pub handler: Handler,
    pub cost: Cost,
    /// The instruction taken apart for a specialised form, or `Form::Generic`.
    pub form: Form,
    /// Bytes.
    pub length: u8,
    /// The instruction ends in a later code-cache line than it begins (the
    /// fetch accounts that line too). Set where it is decoded: the offset
    /// in a line is the same in the linear and the physical address.
    pub crosses_line: bool,
    /// The table's clocks with the prefixes' added, not taken and taken,
    /// when they do not depend on counts (`Variable::Fixed`, fits 16 bits);
    /// [`Decoded::NOT_FIXED`] when they do. Indexed by `taken as usize`.
    pub fixed_clocks: [u16; 2],
}

impl Decoded {
    /// `fixed_clocks` of an instruction whose clocks depend on counts.
    pub const NOT_FIXED: u16 = u16::MAX;

    /// Decode-time work for one instruction on one CPU: its handler, form and cost.
    pub fn new(instruction: Instruction, model: CpuModel, costs: &CostTable) -> Self {
        let cost = (costs.instruction)(&instruction);
        let prefixes = cost.prefixes as u32 * costs.prefix;
        let clocks = |taken| crate::pipeline::table_cycles(&cost, taken, 0) + prefixes;
        let fixed_clocks = match (cost.variable, u16::try_from(clocks(false)), u16::try_from(clocks(true))) {
            (Variable::Fixed, Ok(not_taken), Ok(taken)) if not_taken != u16::MAX => [not_taken, taken],
            _ => [Self::NOT_FIXED, Self::NOT_FIXED],
        };
        Self {
            instruction,
            handler: crate::interpreter::handler_for(&instruction, model),
            cost,
            form: crate::interpreter::forms::form_of(&instruction),
            length: instruction.len() as u8,
            crosses_line: false,
            fixed_clocks,
        }
    }
}

impl core::fmt::Debug for Decoded {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(formatter, "Decoded({:?}, {:?})", self.instruction.code(), self.cost)
    }
}

const NO_SLOT: u16 = u16::MAX;

/// `DecodeCache::current_page` when no page was looked up (no physical page
/// number is this large).
const NO_PAGE: u32 = u32::MAX;

#[derive(Clone)]
struct PageCache {
    /// Offset in the page → slot in `decoded`, or NO_SLOT.
    index: Box<[u16; 4096]>,
    decoded: Vec<Decoded>,
}

/// All cached pages.
#[derive(Clone)]
pub struct DecodeCache {
    pages: HashMap<u32, usize>,
    /// Every slot's page cache; a slot on `free` belongs to no page (`pages`
    /// does not name it) and is reset when it is used again.
    storage: Vec<PageCache>,
    free: Vec<usize>,
    /// The page of the last lookup and its slot, to skip the hash map in
    /// straight-line code (plain fields: the check runs before every
    /// instruction).
    current_page: u32,
    current_slot: usize,
    transient: Option<Decoded>,
    pub decodes: u64,
}

impl Default for DecodeCache {
    fn default() -> Self {
        Self {
            pages: HashMap::new(),
            storage: Vec::new(),
            free: Vec::new(),
            current_page: NO_PAGE,
            current_slot: 0,
            transient: None,
            decodes: 0,
        }
    }
}

impl core::fmt::Debug for DecodeCache {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(formatter, "DecodeCache({} pages, {} decodes)", self.pages.len(), self.decodes)
    }
}

/// Where a decoded instruction is kept.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Location {
    slot: u32,
    index: u16,
}

/// The slot of an instruction that crosses a page boundary (never cached).
const TRANSIENT: u32 = u32::MAX;

impl DecodeCache {
    /// The common case of `locate` and `at` in one: the instruction at a
    /// physical address on the page of the last look-up, if decoded, as an
    /// index for [`DecodeCache::current`] (an index rather than a reference,
    /// so a miss leaves the cache free to be changed).
    #[inline(always)]
    pub fn current_index(&self, physical: u32) -> Option<usize> {
        if physical >> 12 != self.current_page {
            return None;
        }
        // `current_page` names a page only while its slot holds it.
        let page = &self.storage[self.current_slot];
        let index = page.index[(physical & 0xFFF) as usize] as usize;
        // NO_SLOT is never a valid index: `insert` stops short of it.
        (index < page.decoded.len()).then_some(index)
    }

    /// The instruction `current_index` found.
    #[inline(always)]
    pub fn current(&self, index: usize) -> Option<&Decoded> {
        self.storage[self.current_slot].decoded.get(index)
    }

    /// Where the instruction decoded at a physical address is, if cached.
    #[inline]
    pub fn locate(&mut self, physical: u32) -> Option<Location> {
        let page = physical >> 12;
        if page != self.current_page {
            let slot = *self.pages.get(&page)?;
            self.current_page = page;
            self.current_slot = slot;
        }
        let index = self.storage.get(self.current_slot)?.index[(physical & 0xFFF) as usize];
        if index == NO_SLOT {
            return None;
        }
        Some(Location { slot: self.current_slot as u32, index })
    }

    /// The instruction at a location returned by `locate` or `insert`.
    #[inline]
    pub fn at(&self, location: Location) -> Option<&Decoded> {
        if location.slot == TRANSIENT {
            return self.transient.as_ref();
        }
        self.storage.get(location.slot as usize)?.decoded.get(location.index as usize)
    }

    /// Keep an instruction that crosses a page boundary until the next one.
    pub fn set_transient(&mut self, decoded: Decoded) -> Location {
        self.transient = Some(decoded);
        Location { slot: TRANSIENT, index: 0 }
    }

    /// Keep a decoded instruction that lies wholly inside one physical page.
    pub fn insert(&mut self, physical: u32, decoded: Decoded) -> Location {
        self.decodes += 1;
        let page = physical >> 12;
        let slot = match self.pages.get(&page) {
            Some(&slot) => slot,
            None => {
                let slot = match self.free.pop() {
                    Some(slot) => {
                        let cache = &mut self.storage[slot];
                        cache.index.fill(NO_SLOT);
                        cache.decoded.clear();
                        slot
                    }
                    None => {
                        self.storage.push(PageCache { index: Box::new([NO_SLOT; 4096]), decoded: Vec::new() });
                        self.storage.len() - 1
                    }
                };
                self.pages.insert(page, slot);
                slot
            }
        };
        let cache = &mut self.storage[slot];
        if cache.decoded.len() >= NO_SLOT as usize {
            return self.set_transient(decoded);
        }
        let index = cache.decoded.len() as u16;
        cache.index[(physical & 0xFFF) as usize] = index;
        cache.decoded.push(decoded);
        Location { slot: slot as u32, index }
    }

    /// Forget a page (it was written).
    pub fn invalidate_page(&mut self, page: u32) {
        if let Some(slot) = self.pages.remove(&page) {
            // The decoded instructions go now; the index is reset on reuse.
            self.storage[slot].decoded = Vec::new();
            self.free.push(slot);
        }
        if self.current_page == page {
            self.current_page = NO_PAGE;
        }
    }

    /// Forget everything.
    pub fn clear(&mut self) {
        self.pages.clear();
        self.storage.clear();
        self.free.clear();
        self.current_page = NO_PAGE;
        self.transient = None;
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }
}
