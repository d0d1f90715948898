//! Arithmetic and logic: add adc sub sbb cmp and or xor test, inc dec neg
//! not, mul imul div idiv (with #DE), and the decimal adjusts.

use super::operands::{mask, parity, sign, sign_extend};
use crate::cpu::register;
use crate::fault::Fault;
use crate::machine::Machine;
use ia32::registers::eflags::{AF, CF, OF, PF, SF, ZF};
use iced_x86::{Instruction, Mnemonic};

/// The two-operand ALU group.
pub(crate) fn alu(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = machine.operand_size(instruction, 0);
    let mnemonic = instruction.mnemonic();
    let writes = !matches!(mnemonic, Mnemonic::Cmp | Mnemonic::Test);
    if writes {
        machine.check_writable_operand(instruction, 0)?;
    }
    let a = machine.read_operand(instruction, 0)?;
    let b = machine.read_operand(instruction, 1)? & mask(size);
    let carry = machine.cpu.flag(CF) as u32;
    let result = match mnemonic {
        Mnemonic::Add => {
            let result = a.wrapping_add(b) & mask(size);
            machine.flags_add(a, b, 0, result, size);
            result
        }
        Mnemonic::Adc => {
            let result = a.wrapping_add(b).wrapping_add(carry) & mask(size);
            machine.flags_add(a, b, carry, result, size);
            result
        }
        Mnemonic::Sub | Mnemonic::Cmp => {
            let result = a.wrapping_sub(b) & mask(size);
            machine.flags_sub(a, b, 0, result, size);
            result
        }
        Mnemonic::Sbb => {
            let result = a.wrapping_sub(b).wrapping_sub(carry) & mask(size);
            machine.flags_sub(a, b, carry, result, size);
            result
        }
        Mnemonic::And | Mnemonic::Test => {
            let result = a & b;
            machine.flags_logic(result, size);
            result
        }
        Mnemonic::Or => {
            let result = a | b;
            machine.flags_logic(result, size);
            result
        }
        _ => {
            let result = a ^ b;
            machine.flags_logic(result, size);
            result
        }
    };
    if writes { machine.write_operand(instruction, 0, result) } else { Ok(()) }
}

/// inc and dec: like add/sub 1, but CF is kept.
pub(crate) fn inc_dec(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = machine.operand_size(instruction, 0);
    machine.check_writable_operand(instruction, 0)?;
    let value = machine.read_operand(instruction, 0)?;
    let carry = machine.cpu.flag(CF);
    let result = if instruction.mnemonic() == Mnemonic::Inc {
        let result = value.wrapping_add(1) & mask(size);
        machine.flags_add(value, 1, 0, result, size);
        result
    } else {
        let result = value.wrapping_sub(1) & mask(size);
        machine.flags_sub(value, 1, 0, result, size);
        result
    };
    machine.cpu.set_flag(CF, carry);
    machine.write_operand(instruction, 0, result)
}

pub(crate) fn neg(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = machine.operand_size(instruction, 0);
    machine.check_writable_operand(instruction, 0)?;
    let value = machine.read_operand(instruction, 0)?;
    let result = 0u32.wrapping_sub(value) & mask(size);
    machine.flags_sub(0, value, 0, result, size);
    machine.write_operand(instruction, 0, result)
}

pub(crate) fn not(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = machine.operand_size(instruction, 0);
    machine.check_writable_operand(instruction, 0)?;
    let value = machine.read_operand(instruction, 0)?;
    machine.write_operand(instruction, 0, !value & mask(size))
}

/// Flags after a multiply: CF = OF = `overflow`; SF, ZF, PF from the low
/// half and AF cleared (all four are undefined by Intel).
fn multiply_flags(machine: &mut Machine, low: u32, size: u32, overflow: bool) {
    machine.set_status(overflow, parity(low), false, low & mask(size) == 0, low & sign(size) != 0, overflow);
}

/// One-operand mul and imul: the accumulator times r/m into (E)DX:(E)AX (AX for bytes).
pub(crate) fn multiply_wide(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = machine.operand_size(instruction, 0);
    let source = machine.read_operand(instruction, 0)?;
    let accumulator = machine.cpu.registers[register::EAX] & mask(size);
    let signed = instruction.mnemonic() == Mnemonic::Imul;
    let product: u64 = if signed {
        (sign_extend(accumulator, size) as i64 * sign_extend(source, size) as i64) as u64
    } else {
        accumulator as u64 * source as u64
    };
    let bits = 8 * size;
    let low = product as u32 & mask(size);
    let high = (product >> bits) as u32 & mask(size);
    let overflow = if signed {
        // The high half is not just the sign extension of the low half.
        let low_signed = sign_extend(low, size) as i64;
        (product as i64) != low_signed
    } else {
        high != 0
    };
    match size {
        1 => machine.cpu.write16(register::EAX, product as u16),
        2 => {
            machine.cpu.write16(register::EAX, low as u16);
            machine.cpu.write16(register::EDX, high as u16);
        }
        _ => {
            machine.cpu.registers[register::EAX] = low;
            machine.cpu.registers[register::EDX] = high;
        }
    }
    multiply_flags(machine, low, size, overflow);
    machine.extra = source;
    Ok(())
}

/// Two- and three-operand imul: a truncated signed product.
pub(crate) fn multiply_truncated(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = machine.operand_size(instruction, 0);
    let (a, b) = if instruction.op_count() == 3 {
        (machine.read_operand(instruction, 1)?, machine.read_operand(instruction, 2)?)
    } else {
        (machine.read_operand(instruction, 0)?, machine.read_operand(instruction, 1)?)
    };
    let product = sign_extend(a & mask(size), size) as i64 * sign_extend(b & mask(size), size) as i64;
    let low = product as u32 & mask(size);
    let overflow = product != sign_extend(low, size) as i64;
    multiply_flags(machine, low, size, overflow);
    machine.extra = b;
    machine.write_operand(instruction, 0, low)
}

/// div and idiv: (E)DX:(E)AX (AX for bytes) by r/m; #DE on a zero divisor or
/// a quotient that does not fit. Flags are undefined; they are left as they were.
pub(crate) fn divide(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = machine.operand_size(instruction, 0);
    let divisor = machine.read_operand(instruction, 0)? & mask(size);
    if divisor == 0 {
        return Err(Fault::divide_error());
    }
    let registers = machine.cpu.registers;
    let dividend: u64 = match size {
        1 => registers[register::EAX] as u64 & 0xFFFF,
        2 => ((registers[register::EDX] as u64 & 0xFFFF) << 16) | (registers[register::EAX] as u64 & 0xFFFF),
        _ => ((registers[register::EDX] as u64) << 32) | registers[register::EAX] as u64,
    };
    let bits = 8 * size;
    let (quotient, remainder) = if instruction.mnemonic() == Mnemonic::Idiv {
        let dividend = match size {
            1 => dividend as u16 as i16 as i64,
            2 => dividend as u32 as i32 as i64,
            _ => dividend as i64,
        };
        let divisor = sign_extend(divisor, size) as i64;
        let (quotient, remainder) = match (dividend.checked_div(divisor), dividend.checked_rem(divisor)) {
            (Some(quotient), Some(remainder)) => (quotient, remainder),
            _ => return Err(Fault::divide_error()),
        };
        let limit = 1i64 << (bits - 1);
        if quotient >= limit || quotient < -limit {
            return Err(Fault::divide_error());
        }
        (quotient as u32 & mask(size), remainder as u32 & mask(size))
    } else {
        let quotient = dividend / divisor as u64;
        if quotient > mask(size) as u64 {
            return Err(Fault::divide_error());
        }
        (quotient as u32, (dividend % divisor as u64) as u32)
    };
    match size {
        1 => {
            machine.cpu.write8(0, quotient as u8);
            machine.cpu.write8(4, remainder as u8);
        }
        2 => {
            machine.cpu.write16(register::EAX, quotient as u16);
            machine.cpu.write16(register::EDX, remainder as u16);
        }
        _ => {
            machine.cpu.registers[register::EAX] = quotient;
            machine.cpu.registers[register::EDX] = remainder;
        }
    }
    Ok(())
}

/// daa, das, aaa, aas, aam, aad.
pub(crate) fn decimal_adjust(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let al = machine.cpu.read8(0) as u32;
    let ah = machine.cpu.read8(4) as u32;
    let carry = machine.cpu.flag(CF);
    let adjust = machine.cpu.flag(AF);
    match instruction.mnemonic() {
        Mnemonic::Daa | Mnemonic::Das => {
            let add = instruction.mnemonic() == Mnemonic::Daa;
            let mut value = al;
            let mut new_carry = false;
            let mut new_adjust = false;
            if al & 0x0F > 9 || adjust {
                value = if add { value + 6 } else { value.wrapping_sub(6) } & 0xFF;
                new_carry = carry || if add { al + 6 > 0xFF } else { al < 6 };
                new_adjust = true;
            }
            if al > 0x99 || carry {
                value = if add { value + 0x60 } else { value.wrapping_sub(0x60) } & 0xFF;
                new_carry = true;
            }
            machine.cpu.write8(0, value as u8);
            // OF is undefined; Intel parts compute it like the add/sub of the correction.
            let overflow = if add {
                (al ^ value) & (value & 0x80) != 0 && al & 0x80 == 0
            } else {
                al & 0x80 != 0 && value & 0x80 == 0
            };
            machine.set_status(new_carry, parity(value), new_adjust, value == 0, value & 0x80 != 0, overflow);
        }
        Mnemonic::Aaa | Mnemonic::Aas => {
            // Since the 80286 the adjustment is applied to all of AX, so a
            // carry or borrow out of AL reaches AH (the 8086 adjusted AL alone).
            let add = instruction.mnemonic() == Mnemonic::Aaa;
            let adjusting = al & 0x0F > 9 || adjust;
            let ax = (ah << 8) | al;
            let adjusted = match (adjusting, add) {
                (true, true) => ax.wrapping_add(0x106),
                (true, false) => ax.wrapping_sub(6).wrapping_sub(0x100),
                (false, _) => ax,
            } & 0xFFFF;
            let new_al = adjusted & 0x0F;
            machine.cpu.write16(register::EAX, ((adjusted & 0xFF00) | new_al) as u16);
            // SF, ZF, PF, OF are undefined: computed from AL as Intel parts do.
            let flags = machine.cpu.eflags() & !(CF | AF | SF | ZF | PF | OF);
            machine.cpu.set_eflags(
                flags
                    | if adjusting { CF | AF } else { 0 }
                    | if new_al == 0 { ZF } else { 0 }
                    | if parity(new_al) { PF } else { 0 },
            );
        }
        Mnemonic::Aam => {
            let base = instruction.immediate8() as u32;
            if base == 0 {
                return Err(Fault::divide_error());
            }
            let (high, low) = (al / base, al % base);
            machine.cpu.write8(4, high as u8);
            machine.cpu.write8(0, low as u8);
            machine.set_status(false, parity(low), false, low == 0, low & 0x80 != 0, false);
        }
        _ => {
            let base = instruction.immediate8() as u32;
            let value = (al + ah * base) & 0xFF;
            machine.cpu.write8(0, value as u8);
            machine.cpu.write8(4, 0);
            machine.set_status(false, parity(value), false, value == 0, value & 0x80 != 0, false);
        }
    }
    Ok(())
}
