//! Shifts, rotates, double shifts, bit tests and bit scans, with the
//! hardware's rules for counts of 0 and 1: a masked count of 0 changes no
//! flags; OF is defined only for a count of 1 (it is computed the same way
//! for larger counts, which Intel leaves undefined).

use super::operands::{mask, parity, sign, sign_extend};
use crate::fault::Fault;
use crate::machine::Machine;
use ia32::registers::eflags::{AF, CF, OF, PF, SF, ZF};
use iced_x86::{Instruction, Mnemonic, OpKind};

/// The shift count: CL, an immediate, or 1 — masked to 5 bits (486 and later).
fn shift_count(machine: &mut Machine, instruction: &Instruction) -> Result<u32, Fault> {
    let count = if instruction.op_count() < 2 { 1 } else { machine.read_operand(instruction, 1)? };
    Ok(count & 0x1F)
}

pub(crate) fn shift_rotate(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = machine.operand_size(instruction, 0);
    let bits = 8 * size;
    machine.check_writable_operand(instruction, 0)?;
    let value = machine.read_operand(instruction, 0)?;
    let count = shift_count(machine, instruction)?;
    machine.extra = count;
    if count == 0 {
        return Ok(());
    }
    let carry_in = machine.cpu.flag(CF) as u32;
    let msb = |value: u32| value & sign(size) != 0;
    let (result, carry, overflow, status) = match instruction.mnemonic() {
        Mnemonic::Shl | Mnemonic::Sal => {
            let result = if count >= 32 { 0 } else { (value << count) & mask(size) };
            let carry = count <= bits && (value >> (bits - count)) & 1 != 0;
            (result, carry, msb(result) != carry, true)
        }
        Mnemonic::Shr => {
            let result = if count >= 32 { 0 } else { value >> count };
            let carry = count <= bits && (value >> (count - 1)) & 1 != 0;
            (result, carry, msb(value), true)
        }
        Mnemonic::Sar => {
            let signed = sign_extend(value, size);
            let result = (signed >> count.min(31)) as u32 & mask(size);
            let carry = (signed >> (count - 1).min(31)) & 1 != 0;
            (result, carry, false, true)
        }
        Mnemonic::Rol => {
            let rotate = count % bits;
            let result =
                if rotate == 0 { value } else { ((value << rotate) | (value >> (bits - rotate))) & mask(size) };
            let carry = result & 1 != 0;
            (result, carry, msb(result) != carry, false)
        }
        Mnemonic::Ror => {
            let rotate = count % bits;
            let result =
                if rotate == 0 { value } else { ((value >> rotate) | (value << (bits - rotate))) & mask(size) };
            let carry = msb(result);
            let second = result & (sign(size) >> 1) != 0;
            (result, carry, carry != second, false)
        }
        Mnemonic::Rcl => {
            let rotate = if size == 4 { count } else { count % (bits + 1) };
            let mut result = value;
            let mut carry = carry_in;
            for _ in 0..rotate {
                let out = (result >> (bits - 1)) & 1;
                result = ((result << 1) | carry) & mask(size);
                carry = out;
            }
            (result, carry != 0, msb(result) != (carry != 0), false)
        }
        _ => {
            // Rcr: OF for a count of 1 is MSB(original) XOR the original CF.
            let rotate = if size == 4 { count } else { count % (bits + 1) };
            let overflow = msb(value) != (carry_in != 0);
            let mut result = value;
            let mut carry = carry_in;
            for _ in 0..rotate {
                let out = result & 1;
                result = (result >> 1) | (carry << (bits - 1));
                carry = out;
            }
            (result & mask(size), carry != 0, overflow, false)
        }
    };
    if status {
        // Shifts set SF, ZF, PF from the result; AF is undefined (cleared).
        machine.set_status(carry, parity(result), false, result == 0, result & sign(size) != 0, overflow);
    } else {
        machine.cpu.set_flag(CF, carry);
        machine.cpu.set_flag(OF, overflow);
    }
    machine.write_operand(instruction, 0, result)
}

/// shld / shrd r/m, r, imm8|CL.
pub(crate) fn double_shift(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = machine.operand_size(instruction, 0);
    let bits = 8 * size;
    machine.check_writable_operand(instruction, 0)?;
    let destination = machine.read_operand(instruction, 0)?;
    let source = machine.read_operand(instruction, 1)?;
    let count = machine.read_operand(instruction, 2)? & 0x1F;
    machine.extra = count;
    if count == 0 {
        return Ok(());
    }
    let left = instruction.mnemonic() == Mnemonic::Shld;
    // Concatenate in 64 bits; for a 16-bit operand a count above 16 is
    // undefined (Intel parts shift through a 32-bit concatenation, as here).
    let (result, carry) = if left {
        let wide = ((destination as u64) << bits) | source as u64;
        let shifted = wide << count;
        ((shifted >> bits) as u32 & mask(size), (wide >> (2 * bits - count)) & 1 != 0)
    } else {
        let wide = ((source as u64) << bits) | destination as u64;
        ((wide >> count) as u32 & mask(size), (wide >> (count - 1)) & 1 != 0)
    };
    let overflow = (result ^ destination) & sign(size) != 0;
    machine.set_status(carry, parity(result), false, result == 0, result & sign(size) != 0, overflow);
    machine.write_operand(instruction, 0, result)
}

/// bt, bts, btr, btc.
pub(crate) fn bit_test(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = machine.operand_size(instruction, 0);
    let bits = 8 * size;
    let offset = machine.read_operand(instruction, 1)?;
    let modifies = instruction.mnemonic() != Mnemonic::Bt;
    let (value, bit, location) = if instruction.op0_kind() == OpKind::Memory {
        let (seg, base) = machine.memory_operand(instruction);
        let address = if instruction.op1_kind() == OpKind::Register {
            // A register bit offset is signed and may reach outside the operand.
            let signed = sign_extend(offset, machine.operand_size(instruction, 1)) as i64;
            let unit = signed.div_euclid(bits as i64);
            base.wrapping_add((unit * size as i64) as u32)
        } else {
            base
        };
        let bit = if instruction.op1_kind() == OpKind::Register {
            (sign_extend(offset, machine.operand_size(instruction, 1)) as i64).rem_euclid(bits as i64) as u32
        } else {
            offset % bits
        };
        if modifies {
            machine.probe_write(seg, address, size)?;
        }
        (machine.read(seg, address, size)?, bit, Some((seg, address)))
    } else {
        (machine.read_operand(instruction, 0)?, offset % bits, None)
    };
    let was_set = (value >> bit) & 1 != 0;
    machine.cpu.set_flag(CF, was_set);
    if !modifies {
        return Ok(());
    }
    let result = match instruction.mnemonic() {
        Mnemonic::Bts => value | (1 << bit),
        Mnemonic::Btr => value & !(1 << bit),
        _ => value ^ (1 << bit),
    };
    match location {
        Some((seg, address)) => machine.write(seg, address, size, result),
        None => machine.write_operand(instruction, 0, result),
    }
}

/// bsf and bsr. A zero source sets ZF and leaves the destination as it was.
pub(crate) fn bit_scan(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = machine.operand_size(instruction, 1);
    let source = machine.read_operand(instruction, 1)? & mask(size);
    let flags = machine.cpu.eflags() & !(ZF | CF | OF | SF | AF | PF);
    if source == 0 {
        machine.cpu.set_eflags(flags | ZF);
        machine.extra = 0;
        return Ok(());
    }
    machine.cpu.set_eflags(flags);
    let index =
        if instruction.mnemonic() == Mnemonic::Bsf { source.trailing_zeros() } else { 31 - source.leading_zeros() };
    // Steps scanned, for the data-dependent clock count.
    machine.extra = if instruction.mnemonic() == Mnemonic::Bsf { index } else { 8 * size - 1 - index };
    machine.write_operand(instruction, 0, index)
}
