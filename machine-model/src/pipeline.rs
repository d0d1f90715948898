//! Turning table costs into clocks as instructions run: data-dependent
//! counts, prefixes, address-generation interlocks, and on the Pentium the
//! U/V pairing of two simple instructions and branch prediction.
//!
//! Pentium model (a simplification, docs/ARCHITECTURE.md "What the model
//! simplifies"): an instruction that may go to U waits there for a partner;
//! the next one pairs if it may go to V, neither has a cache miss or other
//! penalty, and it does not read or write a register the first one writes
//! (implicit ESP use by push/pop excepted). A pair costs the longer of the
//! two. Flags dependencies other than CMP/TEST + Jcc cannot arise between
//! pairable classes. Ignored: the rule that code must already be in the
//! cache to pair, data-cache bank conflicts, and the read-modify-write pair
//! matrix.
//! Branches go through a 256-entry, 4-way BTB with 2-bit counters (AF):
//! a miss predicts not taken; a taken branch allocates an entry.

use crate::CpuModel;
use crate::costs::{Cost, CostTable, Pairing, Variable};
use crate::decode::Decoded;

/// One set of the branch target buffer, field by field (a lookup compares
/// four addresses; a hit ages the other three ways at once).
#[derive(Clone, Copy, Debug, Default)]
struct BtbSet {
    /// Bit per way: the entry is valid.
    valid: u8,
    addresses: [u32; 4],
    targets: [u32; 4],
    /// 2-bit counters: 0, 1 predict not taken; 2, 3 predict taken.
    counters: [u8; 4],
    /// Per way (byte `way`), saturating at 255: hits in the set since the
    /// way's own last use.
    ages: u32,
}

impl BtbSet {
    /// The first valid way holding `address`.
    #[inline]
    fn way_of(&self, address: u32) -> Option<usize> {
        (0..4).find(|&way| self.valid & (1 << way) != 0 && self.addresses[way] == address)
    }

    /// Every way's age one more (saturating), then `way`'s 0.
    #[inline]
    fn age_all_but(&mut self, way: usize) {
        let ages = self.ages;
        // Bytes at 255 stay: their high bit and all seven others are set.
        let full = ((ages & 0x7F7F_7F7F).wrapping_add(0x0101_0101)) & ages & 0x8080_8080;
        let aged = ages.wrapping_add(0x0101_0101 & !(full >> 7));
        self.ages = aged & !(0xFF << (8 * way));
    }

    /// The way a new entry replaces: the last invalid way, else the last of
    /// the oldest.
    #[inline]
    fn victim(&self) -> usize {
        if self.valid != 0b1111 {
            let invalid = (!self.valid & 0b1111) as u32;
            return (31 - invalid.leading_zeros()) as usize;
        }
        let ages = self.ages.to_le_bytes();
        let mut victim = 0;
        let mut oldest = 0;
        for (way, &age) in ages.iter().enumerate() {
            if age >= oldest {
                victim = way;
                oldest = age;
            }
        }
        victim
    }
}

/// The Pentium's branch target buffer: 64 sets × 4 ways.
#[derive(Clone, Debug)]
struct Btb {
    sets: Box<[BtbSet; 64]>,
}

impl Default for Btb {
    fn default() -> Self {
        Self { sets: Box::new([BtbSet::default(); 64]) }
    }
}

impl Btb {
    /// Predict, then learn the outcome. Returns whether the prediction was wrong.
    #[inline]
    fn predict_and_update(&mut self, address: u32, taken: bool, target: u32) -> bool {
        let set = &mut self.sets[((address >> 2) & 63) as usize];
        match set.way_of(address) {
            Some(way) => {
                let counter = set.counters[way];
                let predicted_taken = counter >= 2;
                let wrong = predicted_taken != taken || (taken && set.targets[way] != target);
                set.counters[way] = if taken { (counter + 1).min(3) } else { counter.saturating_sub(1) };
                if taken {
                    set.targets[way] = target;
                }
                set.age_all_but(way);
                wrong
            }
            None => {
                if taken {
                    let way = set.victim();
                    set.valid |= 1 << way;
                    set.addresses[way] = address;
                    set.targets[way] = target;
                    set.counters[way] = 3;
                    set.ages &= !(0xFF << (8 * way));
                }
                // A miss predicts not taken.
                taken
            }
        }
    }
}

/// Per-CPU run-time cost state.
#[derive(Clone, Debug, Default)]
pub struct Pipeline {
    last_writes: u8,
    /// An instruction waits in the U pipe for a partner: its clocks, the
    /// registers it writes, whether it uses the stack implicitly.
    u_waiting: bool,
    u_cycles: u32,
    u_writes: u8,
    u_implicit_stack: bool,
    previous_multi_cycle: bool,
    btb: Btb,
    /// Instructions that issued in the V pipe.
    pub pairs: u64,
    pub mispredictions: u64,
    pub agi_stalls: u64,
}

/// The clocks of an instruction from its table entry and what it did.
pub fn table_cycles(cost: &Cost, taken: bool, count: u32) -> u32 {
    let base = if taken { (cost.base as i32 + cost.taken as i32).max(0) as u32 } else { cost.base as u32 };
    match cost.variable {
        Variable::Fixed => base,
        Variable::Repeat { zero, one, setup, per } => match count {
            0 => zero as u32,
            1 => one as u32,
            _ => setup as u32 + per as u32 * count,
        },
        Variable::PerStep { per } => base + per as u32 * count,
    }
}

impl Pipeline {
    /// An exception or interrupt drains the pipes.
    pub fn interrupted(&mut self) {
        self.u_waiting = false;
        self.last_writes = 0;
        self.previous_multi_cycle = false;
    }

    /// Clocks to charge for an instruction that just executed at `eip`
    /// and went on at `next` (a branch's target when `taken`: the BTB
    /// learns where `ret` and indirect jumps and calls went, not only
    /// direct branches). `PENTIUM` must say whether `costs` are the
    /// Pentium's (the interpreter has a loop for each CPU).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn charge<const PENTIUM: bool>(
        &mut self,
        costs: &CostTable,
        decoded: &Decoded,
        eip: u32,
        next: u32,
        taken: bool,
        count: u32,
        penalty: u32,
    ) -> u32 {
        let cost = &decoded.cost;
        // The table's clocks and the prefixes', added up at decode when they
        // do not depend on counts.
        let fixed = decoded.fixed_clocks[taken as usize];
        let mut cycles = if decoded.fixed_clocks[0] != Decoded::NOT_FIXED {
            fixed as u32
        } else {
            table_cycles(cost, taken, count) + cost.prefixes as u32 * costs.prefix
        };
        if cost.address_registers & self.last_writes != 0 {
            cycles += costs.agi;
            self.agi_stalls += 1;
        }
        self.last_writes = cost.writes;
        debug_assert_eq!(PENTIUM, costs.model != CpuModel::I486, "the loop for the other CPU");
        if !PENTIUM {
            return cycles + penalty;
        }
        self.charge_pentium(costs, decoded, eip, next, taken, cycles, penalty)
    }

    /// The Pentium's part: decode of 0F opcodes, branch prediction, pairing.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn charge_pentium(
        &mut self,
        costs: &CostTable,
        decoded: &Decoded,
        eip: u32,
        next: u32,
        taken: bool,
        mut cycles: u32,
        penalty: u32,
    ) -> u32 {
        let cost = &decoded.cost;
        if cost.escape_0f && !self.previous_multi_cycle {
            cycles += 1;
        }
        self.previous_multi_cycle = cost.multi_cycle;
        let mispredicted = cost.predicted_branch && self.btb.predict_and_update(eip, taken, next);
        if mispredicted {
            self.mispredictions += 1;
        }
        if self.u_waiting && penalty == 0 && matches!(cost.pairing, Pairing::Both | Pairing::VOnly) {
            let stack_exempt = if self.u_implicit_stack && cost.implicit_stack { !(1 << 4) } else { 0xFF };
            let dependent = (cost.reads | cost.writes | cost.address_registers) & self.u_writes & stack_exempt != 0;
            if !dependent {
                self.u_waiting = false;
                self.pairs += 1;
                let mut extra = cycles.saturating_sub(self.u_cycles);
                if mispredicted {
                    extra += costs.mispredict_v;
                }
                return extra;
            }
        }
        self.u_waiting = penalty == 0 && matches!(cost.pairing, Pairing::Both | Pairing::UOnly) && !mispredicted;
        self.u_cycles = cycles;
        self.u_writes = cost.writes;
        self.u_implicit_stack = cost.implicit_stack;
        if mispredicted {
            cycles += costs.mispredict_u;
        }
        cycles + penalty
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The BTB predicts where a branch goes, not only whether: a `ret`
    /// (the P5 has no return stack) that goes back to another caller than
    /// the last time is mispredicted — iced gives an indirect branch no
    /// target of its own, so the target is where the instruction went.
    #[test]
    fn a_ret_to_another_caller_than_last_time_is_mispredicted() {
        let table = crate::costs::table(CpuModel::Pentium);
        let ret = iced_x86::Decoder::with_ip(32, &[0xC3], 0x40_1000, iced_x86::DecoderOptions::NONE).decode();
        let decoded = Decoded::new(ret, CpuModel::Pentium, table);
        let mut pipeline = Pipeline::default();
        let mut mispredicted = Vec::new();
        for caller in [0x40_0010, 0x40_0010, 0x40_0020, 0x40_0020, 0x40_0010] {
            let before = pipeline.mispredictions;
            pipeline.charge::<true>(table, &decoded, 0x40_1000, caller, true, 0, 0);
            mispredicted.push(pipeline.mispredictions - before);
        }
        // The first: no entry yet (predicted not taken); then each change of caller.
        assert_eq!(mispredicted, [1, 0, 1, 0, 1]);
    }

    #[test]
    fn a_hit_ages_the_other_ways_and_saturates() {
        let mut set = BtbSet { valid: 0b1111, ages: u32::from_le_bytes([3, 255, 254, 9]), ..BtbSet::default() };
        set.age_all_but(3);
        assert_eq!(set.ages.to_le_bytes(), [4, 255, 255, 0]);
        set.age_all_but(0);
        assert_eq!(set.ages.to_le_bytes(), [0, 255, 255, 1]);
    }

    /// The BTB written plainly, entry by entry: what the packed one must do.
    #[derive(Clone, Copy, Default)]
    struct PlainEntry {
        valid: bool,
        address: u32,
        target: u32,
        counter: u8,
        age: u8,
    }

    fn plain_predict(ways: &mut [PlainEntry; 4], address: u32, taken: bool, target: u32) -> bool {
        match (0..4).find(|&way| ways[way].valid && ways[way].address == address) {
            Some(way) => {
                let entry = ways[way];
                let wrong = (entry.counter >= 2) != taken || (taken && entry.target != target);
                ways[way].counter = if taken { (entry.counter + 1).min(3) } else { entry.counter.saturating_sub(1) };
                if taken {
                    ways[way].target = target;
                }
                for (index, other) in ways.iter_mut().enumerate() {
                    other.age = if index == way { 0 } else { other.age.saturating_add(1) };
                }
                wrong
            }
            None => {
                if taken {
                    let ages = ways.map(|entry| if entry.valid { entry.age as u16 } else { 1000 });
                    let victim = (0..4).rev().max_by_key(|&way| (ages[way], way)).unwrap_or(0);
                    ways[victim] = PlainEntry { valid: true, address, target, counter: 3, age: 0 };
                }
                taken
            }
        }
    }

    #[test]
    fn the_packed_btb_predicts_as_the_plain_one() {
        // Branches at a few addresses of one set (256 bytes apart), more
        // than its four ways, with varying outcomes and targets.
        let mut packed = Btb::default();
        let mut plain = [PlainEntry::default(); 4];
        let mut state = 0x1234_5678u32;
        for step in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let address = 0x40_0000 + 256 * (state % 7);
            let taken = state & 0x300 != 0;
            let target = 0x40_1000 + (state >> 28);
            let expected = plain_predict(&mut plain, address, taken, target);
            assert_eq!(packed.predict_and_update(address, taken, target), expected, "step {step}");
        }
        let set = &packed.sets[0];
        for (way, entry) in plain.iter().enumerate() {
            assert_eq!(set.valid & (1 << way) != 0, entry.valid);
            assert_eq!(
                (set.addresses[way], set.targets[way], set.counters[way]),
                (entry.address, entry.target, entry.counter)
            );
            assert_eq!(set.ages.to_le_bytes()[way], entry.age, "way {way}");
        }
    }

    #[test]
    fn the_victim_is_the_last_invalid_way_else_the_last_of_the_oldest() {
        let mut set = BtbSet { valid: 0b0101, ..BtbSet::default() };
        assert_eq!(set.victim(), 3);
        set.valid = 0b1101;
        assert_eq!(set.victim(), 1);
        set.valid = 0b1111;
        set.ages = u32::from_le_bytes([7, 2, 7, 1]);
        assert_eq!(set.victim(), 2);
    }
}
