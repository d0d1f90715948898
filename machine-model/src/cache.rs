//! On-chip caches, modelled for accounting: which lines are present, hits,
//! misses, and the cycles misses cost. No data is stored in them; memory is
//! always coherent (no DMA, one CPU).
//!
//! i486: 8 KB unified, 4-way, 16-byte lines, 128 sets, tree pseudo-LRU,
//! write-through without write-allocate.
//! Pentium: 8 KB code + 8 KB data, each 2-way, 32-byte lines, 128 sets, LRU;
//! the data cache is write-back; a write miss does not allocate a line.

/// Counters of one cache.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct CacheCounters {
    pub read_hits: u64,
    pub read_misses: u64,
    pub write_hits: u64,
    pub write_misses: u64,
}

/// The way of a four-way set whose key is `key`, if any: four unrolled
/// compares (the caches' and the TLBs' sets keep their keys this way, 0 for
/// an empty way, which no key is).
#[inline(always)]
pub(crate) fn way_holding(keys: &[u32; 4], key: u32) -> Option<usize> {
    if keys[0] == key {
        Some(0)
    } else if keys[1] == key {
        Some(1)
    } else if keys[2] == key {
        Some(2)
    } else if keys[3] == key {
        Some(3)
    } else {
        None
    }
}

/// A set-associative cache of line tags: 2-way (Pentium) or 4-way (i486).
///
/// Each set's tags are one array of four (a 2-way cache leaves the last two
/// at 0, which no line matches), so a lookup is four unrolled compares:
/// the interpreter asks on every new code line and every data access.
#[derive(Clone, Debug)]
pub struct Cache {
    name: &'static str,
    /// Sets - 1 (the set count is a power of two).
    set_mask: usize,
    set_bits: u32,
    ways: usize,
    line_shift: u32,
    /// Per set, per way: tag (line address >> set bits) + 1; 0 = invalid.
    tags: Vec<[u32; 4]>,
    lru: Vec<u8>,
    pub counters: CacheCounters,
    /// Counts every change of lines or replacement state: while it stays,
    /// a line looked up last is still there and a look-up of it again
    /// changes nothing but the hit counter (`Cache::repeat_read`).
    generation: u64,
}

impl Cache {
    /// A cache of `size` bytes in sets of `ways` (2 or 4) lines of `line` bytes.
    pub fn new(name: &'static str, size: usize, ways: usize, line: usize) -> Self {
        assert!(ways == 2 || ways == 4, "the modelled caches are 2- or 4-way");
        let sets = size / (ways * line);
        assert!(sets.is_power_of_two() && line.is_power_of_two(), "cache geometry in powers of two");
        Self {
            name,
            set_mask: sets - 1,
            set_bits: sets.trailing_zeros(),
            ways,
            line_shift: line.trailing_zeros(),
            tags: vec![[0; 4]; sets],
            lru: vec![0; sets],
            counters: CacheCounters::default(),
            generation: 0,
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }
    pub fn line_size(&self) -> u32 {
        1 << self.line_shift
    }
    /// log2 of the line size.
    #[inline]
    pub fn line_shift(&self) -> u32 {
        self.line_shift
    }
    pub fn sets(&self) -> usize {
        self.set_mask + 1
    }
    pub fn ways(&self) -> usize {
        self.ways
    }

    /// The line number an address falls into.
    #[inline]
    pub fn line_of(&self, physical: u32) -> u32 {
        physical >> self.line_shift
    }

    /// The set and tag of the line holding `physical`.
    #[inline]
    fn place(&self, physical: u32) -> (usize, u32) {
        let line = physical >> self.line_shift;
        (line as usize & self.set_mask, (line >> self.set_bits) + 1)
    }

    /// The way of `set` holding `tag`, if one does.
    #[inline]
    fn way_of(&self, set: usize, tag: u32) -> Option<usize> {
        way_holding(&self.tags[set], tag)
    }

    /// A read (or instruction fetch) of the line holding `physical`:
    /// true on a hit; a miss allocates the line.
    #[inline(always)]
    pub fn read(&mut self, physical: u32) -> bool {
        let (set, tag) = self.place(physical);
        if let Some(way) = self.way_of(set, tag) {
            self.touch(set, way);
            self.counters.read_hits += 1;
            return true;
        }
        self.allocate(set, tag);
        false
    }

    /// A read miss: the line goes to an invalid way, else the victim.
    #[inline(never)]
    fn allocate(&mut self, set: usize, tag: u32) {
        self.counters.read_misses += 1;
        let tags = &self.tags[set];
        let way = tags[..self.ways].iter().position(|&tag| tag == 0).unwrap_or_else(|| self.victim(set));
        self.tags[set][way] = tag;
        self.touch(set, way);
    }

    /// A write: true on a hit. A miss does not allocate (both CPUs).
    #[inline]
    pub fn write(&mut self, physical: u32) -> bool {
        let (set, tag) = self.place(physical);
        if let Some(way) = self.way_of(set, tag) {
            self.touch(set, way);
            self.counters.write_hits += 1;
            return true;
        }
        self.counters.write_misses += 1;
        false
    }

    /// Whether the line holding `physical` is present (no state change).
    pub fn contains(&self, physical: u32) -> bool {
        let (set, tag) = self.place(physical);
        self.way_of(set, tag).is_some()
    }

    /// Invalidate everything (INVD/WBINVD, or a cold start).
    pub fn invalidate_all(&mut self) {
        self.generation += 1;
        self.tags.iter_mut().for_each(|tags| *tags = [0; 4]);
        self.lru.iter_mut().for_each(|bits| *bits = 0);
    }

    pub fn valid_lines(&self) -> usize {
        self.tags.iter().flatten().filter(|&&tag| tag != 0).count()
    }

    /// Which state the cache is in (see `generation`).
    #[inline]
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// A read of the line the last change of this cache was about (a hit
    /// on it, or its fill: `generation` unchanged since): a hit whose touch
    /// would set the replacement bits it set then.
    #[inline]
    pub(crate) fn repeat_read(&mut self) {
        self.counters.read_hits += 1;
    }

    #[inline]
    fn touch(&mut self, set: usize, way: usize) {
        self.generation += 1;
        let bits = &mut self.lru[set];
        if self.ways == 2 {
            *bits = if way == 0 { 1 } else { 0 };
            return;
        }
        match way {
            0 => *bits = (*bits | 0b001) | 0b010,
            1 => *bits = (*bits | 0b001) & !0b010,
            2 => *bits = (*bits & !0b001) | 0b100,
            _ => *bits = (*bits & !0b001) & !0b100,
        }
    }

    fn victim(&self, set: usize) -> usize {
        let bits = self.lru[set];
        if self.ways == 2 {
            return (bits & 1) as usize;
        }
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

    #[test]
    fn the_486_cache_has_128_sets_of_16_byte_lines() {
        let mut cache = Cache::new("L1", 8192, 4, 16);
        assert_eq!(cache.sets(), 128);
        assert!(!cache.read(0x1000));
        assert!(cache.read(0x100F));
        assert!(!cache.read(0x1010));
        // Four more lines in the same set (2 KB apart) evict the first.
        for index in 1..=4 {
            cache.read(0x1000 + index * 2048);
        }
        assert!(!cache.contains(0x1000));
    }

    #[test]
    fn write_misses_do_not_allocate() {
        let mut cache = Cache::new("D", 8192, 2, 32);
        assert!(!cache.write(0x40));
        assert!(!cache.read(0x40));
        assert!(cache.write(0x5F));
        assert_eq!(cache.counters.write_misses, 1);
        assert_eq!(cache.counters.write_hits, 1);
    }
}
