//! Where the cycles the user's instructions did not spend went: the CPU's
//! own entry into ring 0 and its `iret` back, the kernel's path (charged by
//! the host from the calibration), the CR3 loads and segment reloads it
//! asked for, and the TLB refills and cache misses of all of these.
//!
//! Why a ledger and not events: the Costs view breaks one IPC into these
//! parts, for the message selected on the timeline and averaged over a run.
//! Machine events are optional (a benchmark runs without them) and name no
//! cache misses; the ledger is a handful of counters the machine keeps
//! always, added to where it charges those cycles anyway — never on the path
//! of a user instruction. Each part is booked from what was charged, so the
//! parts of an entry add up to exactly the cycles it took.

use crate::machine::Machine;

/// Cycles (and counts) booked since power-on, by what they paid for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    /// The CPU entering ring 0 (gate, stack switch, the frame pushed).
    pub entry: u64,
    /// The `iret` to ring 3 (without the segment loads before it).
    pub exit: u64,
    /// `mov sreg` of the data segments on the way out (a small-space switch,
    /// or selectors a thread had changed).
    pub segment_reload: u64,
    /// `mov cr3`: the switch of address space (its flush's cost shows later,
    /// as refills).
    pub space_switch: u64,
    /// Page walks, and their cycles.
    pub tlb_refills: u64,
    pub tlb_refill_cycles: u64,
    /// Read misses of the data (or unified) cache, and their cycles.
    pub cache_misses: u64,
    pub cache_miss_cycles: u64,
    /// The kernel's own instructions, as the calibration counts them, and
    /// their cycles.
    pub kernel_instructions: u64,
    pub kernel_path: u64,
    /// `invlpg` and port I/O by the kernel.
    pub other: u64,
}

impl Ledger {
    /// Every cycle booked.
    pub fn cycles(&self) -> u64 {
        self.entry
            + self.exit
            + self.segment_reload
            + self.space_switch
            + self.tlb_refill_cycles
            + self.cache_miss_cycles
            + self.kernel_path
            + self.other
    }

    /// What was booked after `earlier` (a reading of the same ledger).
    pub fn since(&self, earlier: &Ledger) -> Ledger {
        Ledger {
            entry: self.entry - earlier.entry,
            exit: self.exit - earlier.exit,
            segment_reload: self.segment_reload - earlier.segment_reload,
            space_switch: self.space_switch - earlier.space_switch,
            tlb_refills: self.tlb_refills - earlier.tlb_refills,
            tlb_refill_cycles: self.tlb_refill_cycles - earlier.tlb_refill_cycles,
            cache_misses: self.cache_misses - earlier.cache_misses,
            cache_miss_cycles: self.cache_miss_cycles - earlier.cache_miss_cycles,
            kernel_instructions: self.kernel_instructions - earlier.kernel_instructions,
            kernel_path: self.kernel_path - earlier.kernel_path,
            other: self.other - earlier.other,
        }
    }

    /// Add another ledger's bookings (for sums over many entries).
    pub fn add(&mut self, other: &Ledger) {
        self.entry += other.entry;
        self.exit += other.exit;
        self.segment_reload += other.segment_reload;
        self.space_switch += other.space_switch;
        self.tlb_refills += other.tlb_refills;
        self.tlb_refill_cycles += other.tlb_refill_cycles;
        self.cache_misses += other.cache_misses;
        self.cache_miss_cycles += other.cache_miss_cycles;
        self.kernel_instructions += other.kernel_instructions;
        self.kernel_path += other.kernel_path;
        self.other += other.other;
    }
}

/// The page walks and cache read misses so far: taken before an operation,
/// handed to [`Machine::book_refills`] after it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RefillMark {
    walks: u64,
    read_misses: u64,
}

impl Machine {
    /// The ledger of everything the machine charged outside user instructions.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub(crate) fn refill_mark(&self) -> RefillMark {
        RefillMark { walks: self.mmu.walks, read_misses: self.caches.data().counters.read_misses }
    }

    /// Book the walks and read misses since `mark` as refills; returns
    /// their cycles (part of what the operation charged as its penalty).
    pub(crate) fn book_refills(&mut self, mark: RefillMark) -> u64 {
        let walks = self.mmu.walks - mark.walks;
        let misses = self.caches.data().counters.read_misses - mark.read_misses;
        let walk_cycles = walks * self.costs.tlb_miss as u64;
        let miss_cycles = misses * self.costs.cache_miss as u64;
        self.ledger.tlb_refills += walks;
        self.ledger.tlb_refill_cycles += walk_cycles;
        self.ledger.cache_misses += misses;
        self.ledger.cache_miss_cycles += miss_cycles;
        walk_cycles + miss_cycles
    }

    /// The host ran the kernel's path: `instructions` of it, `cycles` long.
    pub fn charge_kernel_path(&mut self, instructions: u64, cycles: u64) {
        self.cycles += cycles;
        self.ledger.kernel_instructions += instructions;
        self.ledger.kernel_path += cycles;
        // The path's price includes its exit's loads of DS, ES, FS and GS
        // (the native exit stub reloads them every time): the exit books
        // them apart (`return_to_user`).
        self.exit_segment_loads = (4 * self.costs.mov_segment as u64).min(cycles);
    }
}
