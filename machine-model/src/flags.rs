//! The six status flags (CF, PF, AF, ZF, SF, OF) as the hardware defines
//! them, computed eagerly or from a deferred operation.
//!
//! Why deferred: most arithmetic results' flags are overwritten before
//! anything reads them (`add; xor; inc; dec; jnz` reads one flag of the
//! last). The interpreter's specialised forms therefore record the
//! operation ([`Pending`]) instead of computing six flags, and whoever
//! reads EFLAGS computes them from it — with the very functions the eager
//! path uses, so both give the same bits. Only [`crate::cpu::CpuState`]
//! holds a `Pending`; its `eflags()` is the one way to read the register.

use ia32::registers::eflags::{AF, CF, OF, PF, SF, ZF};

/// All-ones for an operand of `size` bytes.
#[inline]
pub(crate) const fn mask(size: u32) -> u32 {
    if size >= 4 { u32::MAX } else { (1 << (8 * size)) - 1 }
}

/// The sign bit of an operand of `size` bytes.
#[inline]
pub(crate) const fn sign(size: u32) -> u32 {
    1 << (8 * size - 1)
}

#[inline]
pub(crate) fn parity(value: u32) -> bool {
    (value as u8).count_ones().is_multiple_of(2)
}

/// The status bits of six conditions, each 0 or 1 shifted to its place.
#[inline(always)]
pub(crate) fn status(carry: bool, parity_flag: bool, adjust: bool, zero: bool, negative: bool, overflow: bool) -> u32 {
    ((carry as u32) * CF)
        | ((parity_flag as u32) * PF)
        | ((adjust as u32) * AF)
        | ((zero as u32) * ZF)
        | ((negative as u32) * SF)
        | ((overflow as u32) * OF)
}

/// Carry and overflow of `a + b + carry_in` giving `result` (masked to `size`).
#[inline(always)]
fn add_carry_overflow(a: u32, b: u32, carry_in: u32, result: u32, size: u32) -> (bool, bool) {
    let carry = a as u64 + b as u64 + carry_in as u64 > mask(size) as u64;
    let overflow = ((a ^ result) & (b ^ result) & sign(size)) != 0;
    (carry, overflow)
}

/// Carry (borrow) and overflow of `a - b - borrow_in` giving `result`.
#[inline(always)]
fn sub_carry_overflow(a: u32, b: u32, borrow_in: u32, result: u32, size: u32) -> (bool, bool) {
    let carry = (a as u64) < b as u64 + borrow_in as u64;
    let overflow = ((a ^ b) & (a ^ result) & sign(size)) != 0;
    (carry, overflow)
}

/// The status bits of `a + b + carry_in` with `result` masked to `size`.
#[inline(always)]
pub(crate) fn status_add(a: u32, b: u32, carry_in: u32, result: u32, size: u32) -> u32 {
    let (carry, overflow) = add_carry_overflow(a, b, carry_in, result, size);
    let adjust = ((a ^ b ^ result) & 0x10) != 0;
    status(carry, parity(result), adjust, result == 0, result & sign(size) != 0, overflow)
}

/// The status bits of `a - b - borrow_in` with `result` masked to `size`.
#[inline(always)]
pub(crate) fn status_sub(a: u32, b: u32, borrow_in: u32, result: u32, size: u32) -> u32 {
    let (carry, overflow) = sub_carry_overflow(a, b, borrow_in, result, size);
    let adjust = ((a ^ b ^ result) & 0x10) != 0;
    status(carry, parity(result), adjust, result == 0, result & sign(size) != 0, overflow)
}

/// The status bits of AND/OR/XOR/TEST: CF=OF=0, AF undefined (cleared, as Intel parts do).
#[inline(always)]
pub(crate) fn status_logic(result: u32, size: u32) -> u32 {
    status(false, parity(result), false, result == 0, result & sign(size) != 0, false)
}

/// The status flags a [`Pending`] operation defines: all but CF, which is
/// cheap to compute and which INC and DEC keep, so it is always stored.
pub(crate) const DEFERRED: u32 = PF | AF | ZF | SF | OF;

/// Which 32-bit operation defines the deferred status flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum Operation {
    /// None: the stored EFLAGS hold them.
    #[default]
    Stored,
    /// `a + b` (ADD).
    Add,
    /// `a - b` (SUB, CMP).
    Subtract,
    /// AND, OR, XOR, TEST.
    Logic,
    /// INC (`a + 1`).
    Increment,
    /// DEC (`a - 1`).
    Decrement,
}

impl Operation {
    /// CF of the operation on `a` and `b` giving `result` (INC and DEC keep
    /// CF: `None`).
    #[inline(always)]
    pub fn carry(self, a: u32, b: u32, result: u32) -> Option<bool> {
        match self {
            Operation::Add => Some(add_carry_overflow(a, b, 0, result, 4).0),
            Operation::Subtract => Some(sub_carry_overflow(a, b, 0, result, 4).0),
            Operation::Logic | Operation::Stored => Some(false),
            Operation::Increment | Operation::Decrement => None,
        }
    }
}

/// A 32-bit operation whose deferred status flags have not been computed yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct Pending {
    pub operation: Operation,
    pub a: u32,
    pub b: u32,
    pub result: u32,
}

impl Pending {
    /// The deferred status bits (not CF), exactly as the eager functions
    /// above give them.
    #[inline]
    pub fn status(&self) -> u32 {
        let (a, b, result) = (self.a, self.b, self.result);
        DEFERRED
            & match self.operation {
                Operation::Stored => 0,
                Operation::Add => status_add(a, b, 0, result, 4),
                Operation::Subtract => status_sub(a, b, 0, result, 4),
                Operation::Logic => status_logic(result, 4),
                Operation::Increment => status_add(a, 1, 0, result, 4),
                Operation::Decrement => status_sub(a, 1, 0, result, 4),
            }
    }

    /// OF alone.
    #[inline]
    pub fn overflow(&self) -> bool {
        let (a, b, result) = (self.a, self.b, self.result);
        match self.operation {
            Operation::Stored | Operation::Logic => false,
            Operation::Add => add_carry_overflow(a, b, 0, result, 4).1,
            Operation::Subtract => sub_carry_overflow(a, b, 0, result, 4).1,
            Operation::Increment => add_carry_overflow(a, 1, 0, result, 4).1,
            Operation::Decrement => sub_carry_overflow(a, 1, 0, result, 4).1,
        }
    }
}

/// Whether condition code `cc` (the low nibble of Jcc/SETcc) holds for `eflags`.
#[inline]
pub(crate) fn condition_of(eflags: u32, cc: u32) -> bool {
    let set = |flag: u32| eflags & flag != 0;
    let outcome = match cc >> 1 {
        0 => set(OF),
        1 => set(CF),
        2 => set(ZF),
        3 => set(CF) || set(ZF),
        4 => set(SF),
        5 => set(PF),
        6 => set(SF) != set(OF),
        _ => set(ZF) || (set(SF) != set(OF)),
    };
    outcome != (cc & 1 != 0)
}

/// Whether condition code `cc` holds after `pending`, with CF from
/// `carry`, computing only the flags it needs (a pending operation always
/// defines the other five).
#[inline]
pub(crate) fn condition_pending(pending: &Pending, carry: bool, cc: u32) -> bool {
    let zero = pending.result == 0;
    let negative = pending.result & 0x8000_0000 != 0;
    let outcome = match cc >> 1 {
        0 => pending.overflow(),
        1 => carry,
        2 => zero,
        3 => carry || zero,
        4 => negative,
        5 => parity(pending.result),
        6 => negative != pending.overflow(),
        _ => zero || (negative != pending.overflow()),
    };
    outcome != (cc & 1 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation's deferred flags, every flag and condition, against the eager ones.
    #[test]
    fn deferred_flags_are_the_eager_ones() {
        let values =
            [0, 1, 2, 0x0F, 0x10, 0x7F, 0x80, 0xFF, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0001, 0xFFFF_FFFE, u32::MAX];
        for &a in &values {
            for &b in &values {
                for old_carry in [false, true] {
                    let kept = old_carry as u32 * CF;
                    let cases = [
                        (Operation::Add, a.wrapping_add(b), status_add(a, b, 0, a.wrapping_add(b), 4)),
                        (Operation::Subtract, a.wrapping_sub(b), status_sub(a, b, 0, a.wrapping_sub(b), 4)),
                        (Operation::Logic, a & b, status_logic(a & b, 4)),
                        (
                            Operation::Increment,
                            a.wrapping_add(1),
                            (status_add(a, 1, 0, a.wrapping_add(1), 4) & !CF) | kept,
                        ),
                        (
                            Operation::Decrement,
                            a.wrapping_sub(1),
                            (status_sub(a, 1, 0, a.wrapping_sub(1), 4) & !CF) | kept,
                        ),
                    ];
                    for (operation, result, eager) in cases {
                        let b = if matches!(operation, Operation::Increment | Operation::Decrement) { 1 } else { b };
                        let pending = Pending { operation, a, b, result };
                        let carry = operation.carry(a, b, result).unwrap_or(old_carry);
                        let deferred = pending.status() | (carry as u32 * CF);
                        assert_eq!(deferred, eager, "{operation:?} {a:#x} {b:#x}");
                        assert_eq!(pending.overflow(), eager & OF != 0, "{operation:?} {a:#x} {b:#x}");
                        for cc in 0..16 {
                            assert_eq!(condition_pending(&pending, carry, cc), condition_of(eager, cc), "cc {cc}");
                        }
                    }
                }
            }
        }
    }
}
