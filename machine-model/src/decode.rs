//! Decoded instructions, cached per physical page.
//!
//! Decoding with iced-x86 is the most expensive part of interpreting; each
//! instruction is decoded once per physical address and kept with its
//! handler and its cycle cost. A write to a page drops that page's cache
//! (memory reports it), so self-modifying code and reloaded programs work.

use crate::costs::Cost;
use crate::fault::Fault;
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
}

impl core::fmt::Debug for Decoded {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(formatter, "Decoded({:?}, {:?})", self.instruction.code(), self.cost)
    }
}

const NO_SLOT: u16 = u16::MAX;

#[derive(Clone)]
struct PageCache {
    /// Offset in the page → slot in `decoded`, or NO_SLOT.
    index: Box<[u16]>,
    decoded: Vec<Decoded>,
}

/// All cached pages.
#[derive(Clone, Default)]
pub struct DecodeCache {
    pages: HashMap<u32, usize>,
    storage: Vec<Option<PageCache>>,
    free: Vec<usize>,
    /// The page of the last lookup, to skip the hash map in straight-line code.
    current: Option<(u32, usize)>,
    pub hits: u64,
    pub decodes: u64,
}

impl core::fmt::Debug for DecodeCache {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(formatter, "DecodeCache({} pages, {} decodes)", self.pages.len(), self.decodes)
    }
}

impl DecodeCache {
    /// The cached instruction at a physical address.
    #[inline]
    pub fn get(&mut self, physical: u32) -> Option<Decoded> {
        let page = physical >> 12;
        let slot = match self.current {
            Some((current, slot)) if current == page => slot,
            _ => {
                let slot = *self.pages.get(&page)?;
                self.current = Some((page, slot));
                slot
            }
        };
        let cache = self.storage[slot].as_ref()?;
        let index = cache.index[(physical & 0xFFF) as usize];
        if index == NO_SLOT {
            return None;
        }
        self.hits += 1;
        cache.decoded.get(index as usize).copied()
    }

    /// Keep a decoded instruction that lies wholly inside one physical page.
    pub fn insert(&mut self, physical: u32, decoded: Decoded) {
        self.decodes += 1;
        let page = physical >> 12;
        let slot = match self.pages.get(&page) {
            Some(&slot) => slot,
            None => {
                let cache = PageCache { index: vec![NO_SLOT; 4096].into_boxed_slice(), decoded: Vec::new() };
                let slot = match self.free.pop() {
                    Some(slot) => {
                        self.storage[slot] = Some(cache);
                        slot
                    }
                    None => {
                        self.storage.push(Some(cache));
                        self.storage.len() - 1
                    }
                };
                self.pages.insert(page, slot);
                slot
            }
        };
        if let Some(cache) = self.storage[slot].as_mut()
            && cache.decoded.len() < NO_SLOT as usize
        {
            cache.index[(physical & 0xFFF) as usize] = cache.decoded.len() as u16;
            cache.decoded.push(decoded);
        }
    }

    /// Forget a page (it was written).
    pub fn invalidate_page(&mut self, page: u32) {
        if let Some(slot) = self.pages.remove(&page) {
            self.storage[slot] = None;
            self.free.push(slot);
        }
        if matches!(self.current, Some((current, _)) if current == page) {
            self.current = None;
        }
    }

    /// Forget everything.
    pub fn clear(&mut self) {
        self.pages.clear();
        self.storage.clear();
        self.free.clear();
        self.current = None;
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }
}
