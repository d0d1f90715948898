//! Translation lookaside buffers as real structures: sets × ways, tags,
//! rights, and tree pseudo-LRU replacement. An entry stays until it is
//! evicted or flushed — so a kernel that forgets `invlpg` keeps translating
//! through the stale entry here exactly as it would on the hardware.
//!
//! i486: one unified TLB, 32 entries, 4-way, 8 sets (linear bits 14..12).
//! Pentium: code TLB 32 entries 4-way; data TLB 64 entries 4-way; a separate
//! 8-entry 4-way data TLB for 4 MB pages. (REFERENCE.md; the 4 MB TLB's
//! geometry is marked unverified for the P5 there.) Assumption, in
//! docs/ARCHITECTURE.md ("What the model simplifies"): code fetches from a 4 MB page are cached in the
//! code TLB as 4 KB entries, since the P5 code TLB has no 4 MB entries.

/// One cached translation.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct TlbEntry {
    pub valid: bool,
    /// Virtual page number: linear >> 12 (4 KB entries) or >> 22 (4 MB entries).
    pub tag: u32,
    /// Physical page number of the same granularity.
    pub frame: u32,
    /// Effective rights: AND of the directory and table entries.
    pub writable: bool,
    pub user: bool,
    /// The dirty bit was already set in the page table when this was cached.
    pub dirty: bool,
}

/// Counters of one TLB.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct TlbCounters {
    pub hits: u64,
    pub misses: u64,
    pub fills: u64,
    /// Full flushes (CR3 loads).
    pub flushes: u64,
    /// Single-entry invalidations (invlpg, or a fault on the entry).
    pub invalidations: u64,
    /// Valid entries dropped by a full flush, summed.
    pub entries_flushed: u64,
}

/// Which TLB of the machine.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum TlbKind {
    /// i486: instructions and data, 4 KB pages.
    Unified,
    /// Pentium code TLB.
    Code,
    /// Pentium data TLB, 4 KB pages.
    Data,
    /// Pentium data TLB for 4 MB pages.
    Large,
}

impl TlbKind {
    pub const fn name(self) -> &'static str {
        match self {
            TlbKind::Unified => "TLB",
            TlbKind::Code => "I-TLB",
            TlbKind::Data => "D-TLB",
            TlbKind::Large => "4M D-TLB",
        }
    }
    /// log2 of the page size this TLB maps.
    pub const fn page_shift(self) -> u32 {
        match self {
            TlbKind::Large => 22,
            _ => 12,
        }
    }
}

/// Ways per set: every TLB of both CPUs is 4-way.
pub const WAYS: usize = 4;

/// A set-associative TLB with tree pseudo-LRU per 4-way set.
///
/// The ways are a constant so that a lookup is four compares of one small
/// array, unrolled; the interpreter asks on every new code line and every
/// data access, and the kernel's accounted accesses ask too.
#[derive(Clone, Debug)]
pub struct Tlb {
    kind: TlbKind,
    /// Sets - 1 (the set count is a power of two).
    set_mask: usize,
    /// Set-major, `WAYS` per set.
    entries: Vec<TlbEntry>,
    /// Per set, per way: the entry's tag + 1 when valid, 0 when not — what
    /// a lookup compares, kept in step with `entries` by every change.
    keys: Vec<[u32; WAYS]>,
    /// Three tree bits per set (bit 0 root: 0 = left pair older... see `victim`).
    lru: Vec<u8>,
    /// Valid entries: a TLB holding none (the Pentium's 4 MB TLB while no
    /// large page is used) is not searched at all.
    valid: u32,
    pub counters: TlbCounters,
    /// Counts every change of entries or replacement state: while it
    /// stays, the entry used last is still there and using it again
    /// changes nothing but the hit counter (`Tlb::repeat_hit`'s touch
    /// would set the bits it set then).
    generation: u64,
}

impl Tlb {
    /// A 4-way TLB of `entries` (a power of two, at least four).
    pub fn new(kind: TlbKind, entries: usize) -> Self {
        assert!(entries.is_power_of_two() && entries >= WAYS, "a TLB has a power-of-two number of 4-way sets");
        let sets = entries / WAYS;
        Self {
            kind,
            set_mask: sets - 1,
            entries: vec![TlbEntry::default(); entries],
            keys: vec![[0; WAYS]; sets],
            lru: vec![0; sets],
            valid: 0,
            counters: TlbCounters::default(),
            generation: 0,
        }
    }

    pub fn kind(&self) -> TlbKind {
        self.kind
    }
    pub fn sets(&self) -> usize {
        self.set_mask + 1
    }
    pub fn ways(&self) -> usize {
        WAYS
    }

    /// The set a tag falls into (low bits of the page number).
    #[inline]
    pub fn set_of(&self, tag: u32) -> usize {
        tag as usize & self.set_mask
    }

    /// Whether any entry is valid.
    #[inline]
    pub fn holds_any(&self) -> bool {
        self.valid != 0
    }

    /// The way of `set` holding `tag`, if one does.
    #[inline]
    fn way_of(&self, set: usize, tag: u32) -> Option<usize> {
        // Unused ways keep 0 and never match.
        crate::cache::way_holding(&self.keys[set], tag.wrapping_add(1))
    }

    /// Look a page number up. A hit updates the replacement state and returns
    /// the entry with its way.
    #[inline]
    pub fn lookup(&mut self, tag: u32) -> Option<(TlbEntry, usize)> {
        let Some((set, way)) = self.find(tag) else {
            self.counters.misses += 1;
            return None;
        };
        self.repeat_hit(set, way);
        Some((self.entry(set, way), way))
    }

    /// The set and way holding `tag`, if any (nothing changes).
    #[inline]
    pub(crate) fn find(&self, tag: u32) -> Option<(usize, usize)> {
        let set = self.set_of(tag);
        self.way_of(set, tag).map(|way| (set, way))
    }

    /// The entry in way `way` of `set`.
    #[inline]
    pub(crate) fn entry(&self, set: usize, way: usize) -> TlbEntry {
        self.entries[set * WAYS + way]
    }

    /// A hit of way `way` of `set`, found by [`Tlb::find`]: the replacement
    /// state and counter change as [`Tlb::lookup`] would change them.
    #[inline]
    pub(crate) fn repeat_hit(&mut self, set: usize, way: usize) {
        self.touch(set, way);
        self.counters.hits += 1;
    }

    /// Which state the TLB is in (see `generation`).
    #[inline]
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// A hit of the entry the last change of this TLB was about (a hit on
    /// it, or its fill: `generation` unchanged since).
    #[inline]
    pub(crate) fn repeat_last_hit(&mut self) {
        self.counters.hits += 1;
    }

    /// Look without changing anything (for views and tests).
    pub fn probe(&self, tag: u32) -> Option<TlbEntry> {
        self.find(tag).map(|(set, way)| self.entry(set, way))
    }

    /// Insert an entry: an invalid way first, else the pseudo-LRU victim.
    /// Returns (set, way, evicted entry if a valid one was replaced).
    #[inline(always)]
    pub fn fill(&mut self, entry: TlbEntry) -> (usize, usize, Option<TlbEntry>) {
        let set = self.set_of(entry.tag);
        // An entry for the same page (refreshing rights or the dirty bit) is replaced in place.
        let way = match self.way_of(set, entry.tag) {
            Some(way) => way,
            None => {
                let keys = &self.keys[set];
                match keys.iter().position(|&key| key == 0) {
                    Some(way) => {
                        self.valid += 1;
                        way
                    }
                    None => self.victim(set),
                }
            }
        };
        let slot = &mut self.entries[set * WAYS + way];
        let old = *slot;
        *slot = TlbEntry { valid: true, ..entry };
        self.keys[set][way] = entry.tag.wrapping_add(1);
        self.touch(set, way);
        self.counters.fills += 1;
        (set, way, (old.valid && old.tag != entry.tag).then_some(old))
    }

    /// Update the dirty bit of a cached entry in place.
    pub fn set_dirty(&mut self, tag: u32) {
        let set = self.set_of(tag);
        if let Some(way) = self.way_of(set, tag) {
            self.generation += 1;
            self.entries[set * WAYS + way].dirty = true;
        }
    }

    /// Drop every entry (`mov cr3`). Returns how many valid entries were dropped.
    pub fn flush(&mut self) -> u32 {
        self.generation += 1;
        let dropped = self.valid;
        if dropped != 0 {
            self.entries.iter_mut().for_each(|entry| entry.valid = false);
            self.keys.iter_mut().for_each(|keys| *keys = [0; WAYS]);
        }
        self.lru.iter_mut().for_each(|bits| *bits = 0);
        self.valid = 0;
        self.counters.flushes += 1;
        self.counters.entries_flushed += dropped as u64;
        dropped
    }

    /// Drop the entry for `tag` if present (`invlpg`). Returns whether one was there.
    pub fn invalidate(&mut self, tag: u32) -> bool {
        let set = self.set_of(tag);
        let Some(way) = self.way_of(set, tag) else {
            return false;
        };
        self.generation += 1;
        self.entries[set * WAYS + way].valid = false;
        self.keys[set][way] = 0;
        self.valid -= 1;
        self.counters.invalidations += 1;
        true
    }

    /// Every entry, set-major, for display.
    pub fn entries(&self) -> &[TlbEntry] {
        &self.entries
    }

    /// The replacement bits of a set, for display.
    pub fn lru_bits(&self, set: usize) -> u8 {
        self.lru.get(set).copied().unwrap_or(0)
    }

    /// The way the pseudo-LRU bits name as the next victim of a full set.
    pub fn victim_of(&self, set: usize) -> usize {
        self.victim(set.min(self.set_mask))
    }

    pub fn valid_count(&self) -> usize {
        self.valid as usize
    }

    /// Tree pseudo-LRU for 4 ways (Intel's i486 scheme): bit 0 says which
    /// pair was used less recently (0 → ways 0/1 are the victims' side), bit 1
    /// chooses within ways 0/1, bit 2 within ways 2/3. A bit value of 0 points
    /// at the lower way/pair as the next victim.
    #[inline]
    fn touch(&mut self, set: usize, way: usize) {
        self.generation += 1;
        let bits = &mut self.lru[set];
        match way {
            0 => *bits = (*bits | 0b001) | 0b010,
            1 => *bits = (*bits | 0b001) & !0b010,
            2 => *bits = (*bits & !0b001) | 0b100,
            _ => *bits = (*bits & !0b001) & !0b100,
        }
    }

    fn victim(&self, set: usize) -> usize {
        let bits = self.lru[set];
        if bits & 0b001 == 0 {
            if bits & 0b010 == 0 { 0 } else { 1 }
        } else if bits & 0b100 == 0 {
            2
        } else {
            3
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(tag: u32) -> TlbEntry {
        TlbEntry { valid: true, tag, frame: tag + 0x100, writable: true, user: true, dirty: false }
    }

    #[test]
    fn pages_eight_apart_share_a_set_of_the_486_tlb() {
        let tlb = Tlb::new(TlbKind::Unified, 32);
        assert_eq!(tlb.sets(), 8);
        assert_eq!(tlb.set_of(0x10), tlb.set_of(0x18));
        assert_ne!(tlb.set_of(0x10), tlb.set_of(0x11));
    }

    #[test]
    fn a_fifth_page_in_a_set_evicts_the_pseudo_least_recently_used() {
        let mut tlb = Tlb::new(TlbKind::Unified, 32);
        for page in [0, 8, 16, 24] {
            tlb.fill(entry(page));
        }
        // Use 0 and 16 again: the tree then points at the 8/24 side... and within it.
        assert!(tlb.lookup(0).is_some());
        assert!(tlb.lookup(16).is_some());
        let (_, _, evicted) = tlb.fill(entry(32));
        let evicted = evicted.expect("a full set evicts");
        assert!(evicted.tag == 8 || evicted.tag == 24, "evicted {evicted:?}");
        assert!(tlb.probe(0).is_some() && tlb.probe(16).is_some());
    }

    #[test]
    fn flush_drops_everything_and_invalidate_one() {
        let mut tlb = Tlb::new(TlbKind::Data, 64);
        for page in 0..10 {
            tlb.fill(entry(page));
        }
        assert!(tlb.invalidate(3));
        assert!(!tlb.invalidate(3));
        assert_eq!(tlb.valid_count(), 9);
        assert_eq!(tlb.flush(), 9);
        assert_eq!(tlb.valid_count(), 0);
        assert!(tlb.lookup(1).is_none());
    }

    #[test]
    fn the_count_of_valid_entries_follows_fills_refills_invalidations_and_flushes() {
        // The MMU skips an empty TLB's search on this count (the Pentium's 4 MB TLB).
        let mut tlb = Tlb::new(TlbKind::Large, 8);
        assert!(!tlb.holds_any());
        tlb.fill(entry(3));
        tlb.fill(entry(3)); // the same page again: replaced in place
        assert_eq!(tlb.valid_count(), 1);
        assert!(tlb.holds_any());
        assert!(tlb.invalidate(3));
        assert!(!tlb.holds_any());
        for page in [0, 2, 4, 6, 8] {
            tlb.fill(entry(page)); // five pages in one set of four: one evicted
        }
        assert_eq!(tlb.valid_count(), 4);
        assert_eq!(tlb.flush(), 4);
        assert!(!tlb.holds_any());
    }

    #[test]
    fn a_stale_entry_keeps_translating_until_flushed() {
        let mut tlb = Tlb::new(TlbKind::Unified, 32);
        tlb.fill(entry(5));
        // Nothing here knows the page table changed: the old frame is returned.
        assert_eq!(tlb.lookup(5).map(|(entry, _)| entry.frame), Some(0x105));
        tlb.invalidate(5);
        assert!(tlb.lookup(5).is_none());
    }
}
