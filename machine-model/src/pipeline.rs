//! Turning table costs into clocks as instructions run: data-dependent
//! counts, prefixes, address-generation interlocks, and on the Pentium the
//! U/V pairing of two simple instructions and branch prediction.
//!
//! Pentium model (documented simplification, see docs/MACHINE-MODEL.md): an
//! instruction that may go to U waits there for a partner; the next one
//! pairs if it may go to V, neither has a cache miss or other penalty, and
//! it does not read or write a register the first one writes (implicit ESP
//! use by push/pop excepted). A pair costs the longer of the two. Flags
//! dependencies other than CMP/TEST + Jcc cannot arise between pairable
//! classes. Ignored: the rule that code must already be in the cache to
//! pair, data-cache bank conflicts, and the read-modify-write pair matrix.
//! Branches go through a 256-entry, 4-way BTB with 2-bit counters (AF):
//! a miss predicts not taken; a taken branch allocates an entry.

use crate::CpuModel;
use crate::costs::{Cost, CostTable, Pairing, Variable};
use crate::decode::Decoded;

#[derive(Clone, Copy, Debug, Default)]
struct USlot {
    cycles: u32,
    writes: u8,
    implicit_stack: bool,
}

#[derive(Clone, Copy, Debug, Default)]
struct BtbEntry {
    valid: bool,
    address: u32,
    target: u32,
    /// 2-bit counter: 0, 1 predict not taken; 2, 3 predict taken.
    counter: u8,
    age: u8,
}

/// The Pentium's branch target buffer: 64 sets × 4 ways.
#[derive(Clone, Debug)]
struct Btb {
    sets: Box<[[BtbEntry; 4]; 64]>,
}

impl Default for Btb {
    fn default() -> Self {
        Self { sets: Box::new([[BtbEntry::default(); 4]; 64]) }
    }
}

impl Btb {
    /// Predict, then learn the outcome. Returns whether the prediction was wrong.
    #[inline]
    fn predict_and_update(&mut self, address: u32, taken: bool, target: u32) -> bool {
        let ways = &mut self.sets[((address >> 2) & 63) as usize];
        let hit = (0..4).find(|&way| ways[way].valid && ways[way].address == address);
        match hit {
            Some(way) => {
                let entry = &mut ways[way];
                let predicted_taken = entry.counter >= 2;
                let wrong = predicted_taken != taken || (taken && entry.target != target);
                entry.counter = if taken { (entry.counter + 1).min(3) } else { entry.counter.saturating_sub(1) };
                if taken {
                    entry.target = target;
                }
                for (index, other) in ways.iter_mut().enumerate() {
                    other.age = if index == way { 0 } else { other.age.saturating_add(1) };
                }
                wrong
            }
            None => {
                if taken {
                    // The oldest way, an invalid one before any (the last
                    // of equals).
                    let mut victim = 0;
                    let mut oldest = 0u16;
                    for (index, entry) in ways.iter().enumerate() {
                        let age = if entry.valid { entry.age as u16 } else { 1000 };
                        if age >= oldest {
                            victim = index;
                            oldest = age;
                        }
                    }
                    ways[victim] = BtbEntry { valid: true, address, target, counter: 3, age: 0 };
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
    u_slot: Option<USlot>,
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
        self.u_slot = None;
        self.last_writes = 0;
        self.previous_multi_cycle = false;
    }

    /// Clocks to charge for an instruction that just executed. `PENTIUM`
    /// must say whether `costs` are the Pentium's (the interpreter has a
    /// loop for each CPU).
    #[inline(always)]
    pub fn charge<const PENTIUM: bool>(
        &mut self,
        costs: &CostTable,
        decoded: &Decoded,
        eip: u32,
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
        self.charge_pentium(costs, decoded, eip, taken, cycles, penalty)
    }

    /// The Pentium's part: decode of 0F opcodes, branch prediction, pairing.
    #[inline(always)]
    fn charge_pentium(
        &mut self,
        costs: &CostTable,
        decoded: &Decoded,
        eip: u32,
        taken: bool,
        mut cycles: u32,
        penalty: u32,
    ) -> u32 {
        let cost = &decoded.cost;
        if cost.escape_0f && !self.previous_multi_cycle {
            cycles += 1;
        }
        self.previous_multi_cycle = cost.multi_cycle;
        let mispredicted = cost.predicted_branch
            && self.btb.predict_and_update(eip, taken, decoded.instruction.near_branch_target() as u32);
        if mispredicted {
            self.mispredictions += 1;
        }
        let pairs = match self.u_slot {
            Some(slot) if penalty == 0 && matches!(cost.pairing, Pairing::Both | Pairing::VOnly) => {
                let stack_exempt = if slot.implicit_stack && cost.implicit_stack { !(1 << 4) } else { 0xFF };
                let dependent = (cost.reads | cost.writes | cost.address_registers) & slot.writes & stack_exempt != 0;
                !dependent
            }
            _ => false,
        };
        if pairs {
            let slot = self.u_slot.take().unwrap_or_default();
            self.pairs += 1;
            let mut extra = cycles.saturating_sub(slot.cycles);
            if mispredicted {
                extra += costs.mispredict_v;
            }
            return extra;
        }
        self.u_slot = if penalty == 0 && matches!(cost.pairing, Pairing::Both | Pairing::UOnly) && !mispredicted {
            Some(USlot { cycles, writes: cost.writes, implicit_stack: cost.implicit_stack })
        } else {
            None
        };
        if mispredicted {
            cycles += costs.mispredict_u;
        }
        cycles + penalty
    }
}
