//! Operands: registers of every width, memory through segments, immediates;
//! and the arithmetic flags, computed exactly as the hardware defines them.

use crate::cpu::segment;
use crate::fault::Fault;
use crate::machine::Machine;
use iced_x86::{Instruction, OpKind, Register};

pub(crate) use crate::flags::{mask, parity, sign};

/// Sign-extend the low `size` bytes.
#[inline]
pub(crate) const fn sign_extend(value: u32, size: u32) -> i32 {
    match size {
        1 => value as u8 as i8 as i32,
        2 => value as u16 as i16 as i32,
        _ => value as i32,
    }
}

/// Segment register index (ES=0 … GS=5) of an iced segment register.
#[inline]
pub(crate) fn segment_index(register: Register) -> usize {
    match register {
        Register::ES => segment::ES,
        Register::CS => segment::CS,
        Register::SS => segment::SS,
        Register::FS => segment::FS,
        Register::GS => segment::GS,
        _ => segment::DS,
    }
}

impl Machine {
    /// Read a general register of any width (8, 16 or 32 bits), zero-extended.
    #[inline]
    pub(crate) fn read_register(&self, register: Register) -> u32 {
        let number = register.number();
        match register.size() {
            1 => self.cpu.read8(number) as u32,
            2 => self.cpu.registers[number] & 0xFFFF,
            _ => self.cpu.registers[number],
        }
    }

    #[inline]
    pub(crate) fn write_register(&mut self, register: Register, value: u32) {
        let number = register.number();
        match register.size() {
            1 => self.cpu.write8(number, value as u8),
            2 => self.cpu.write16(number, value as u16),
            _ => self.cpu.registers[number] = value,
        }
    }

    /// The offset part of a memory operand (before the segment base).
    #[inline]
    pub(crate) fn effective_address(&self, instruction: &Instruction) -> u32 {
        let mut address = instruction.memory_displacement32();
        let base = instruction.memory_base();
        if base != Register::None {
            address = address.wrapping_add(self.read_register(base));
        }
        let index = instruction.memory_index();
        if index != Register::None {
            address = address.wrapping_add(self.read_register(index).wrapping_mul(instruction.memory_index_scale()));
        }
        if base.size() == 2 || index.size() == 2 {
            address &= 0xFFFF;
        }
        address
    }

    /// (segment, offset) of the memory operand.
    #[inline]
    pub(crate) fn memory_operand(&self, instruction: &Instruction) -> (usize, u32) {
        (segment_index(instruction.memory_segment()), self.effective_address(instruction))
    }

    /// The size in bytes of operand `operand`.
    #[inline]
    pub(crate) fn operand_size(&self, instruction: &Instruction, operand: u32) -> u32 {
        match instruction.op_kind(operand) {
            OpKind::Register => instruction.op_register(operand).size() as u32,
            OpKind::Memory => instruction.memory_size().size() as u32,
            OpKind::Immediate8 => 1,
            OpKind::Immediate16 | OpKind::Immediate8to16 => 2,
            _ => 4,
        }
    }

    /// Read operand `operand` (register, memory or immediate), zero-extended to 32 bits.
    #[inline]
    pub(crate) fn read_operand(&mut self, instruction: &Instruction, operand: u32) -> Result<u32, Fault> {
        match instruction.op_kind(operand) {
            OpKind::Register => Ok(self.read_register(instruction.op_register(operand))),
            OpKind::Memory => {
                let (seg, offset) = self.memory_operand(instruction);
                let size = instruction.memory_size().size() as u32;
                self.read(seg, offset, size)
            }
            OpKind::Immediate8 => Ok(instruction.immediate8() as u32),
            OpKind::Immediate16 => Ok(instruction.immediate16() as u32),
            OpKind::Immediate32 => Ok(instruction.immediate32()),
            OpKind::Immediate8to16 => Ok(instruction.immediate8to16() as u16 as u32),
            OpKind::Immediate8to32 => Ok(instruction.immediate8to32() as u32),
            OpKind::Immediate8_2nd => Ok(instruction.immediate8_2nd() as u32),
            _ => Err(Fault::invalid_opcode()),
        }
    }

    /// Write operand `operand` (register or memory).
    #[inline]
    pub(crate) fn write_operand(&mut self, instruction: &Instruction, operand: u32, value: u32) -> Result<(), Fault> {
        match instruction.op_kind(operand) {
            OpKind::Register => {
                self.write_register(instruction.op_register(operand), value);
                Ok(())
            }
            OpKind::Memory => {
                let (seg, offset) = self.memory_operand(instruction);
                let size = instruction.memory_size().size() as u32;
                self.write(seg, offset, size, value)
            }
            _ => Err(Fault::invalid_opcode()),
        }
    }

    /// For read-modify-write: check the destination can be written before
    /// anything changes (so a fault leaves the instruction undone).
    #[inline]
    pub(crate) fn check_writable_operand(&mut self, instruction: &Instruction, operand: u32) -> Result<(), Fault> {
        if instruction.op_kind(operand) == OpKind::Memory {
            let (seg, offset) = self.memory_operand(instruction);
            let size = instruction.memory_size().size() as u32;
            self.probe_write(seg, offset, size)?;
        }
        Ok(())
    }

    /// Set all six status flags at once (bits outside STATUS are kept).
    #[inline(always)]
    pub(crate) fn set_status(
        &mut self,
        carry: bool,
        parity_flag: bool,
        adjust: bool,
        zero: bool,
        negative: bool,
        overflow: bool,
    ) {
        self.cpu.set_status_bits(crate::flags::status(carry, parity_flag, adjust, zero, negative, overflow));
    }

    /// Flags of `a + b + carry_in` with `result` masked to `size`.
    #[inline(always)]
    pub(crate) fn flags_add(&mut self, a: u32, b: u32, carry_in: u32, result: u32, size: u32) {
        self.cpu.set_status_bits(crate::flags::status_add(a, b, carry_in, result, size));
    }

    /// Flags of `a - b - borrow_in` with `result` masked to `size`.
    #[inline(always)]
    pub(crate) fn flags_sub(&mut self, a: u32, b: u32, borrow_in: u32, result: u32, size: u32) {
        self.cpu.set_status_bits(crate::flags::status_sub(a, b, borrow_in, result, size));
    }

    /// Flags of AND/OR/XOR/TEST: CF=OF=0, AF undefined (cleared, as Intel parts do).
    #[inline]
    pub(crate) fn flags_logic(&mut self, result: u32, size: u32) {
        self.cpu.set_status_bits(crate::flags::status_logic(result, size));
    }

    /// Whether condition code `cc` (the low nibble of Jcc/SETcc) holds.
    #[inline]
    pub(crate) fn condition(&self, cc: u32) -> bool {
        self.cpu.condition(cc)
    }
}

/// The condition code (0..15) of a Jcc/SETcc mnemonic, in x86 encoding order.
pub(crate) fn condition_code(mnemonic: iced_x86::Mnemonic) -> Option<u32> {
    use iced_x86::Mnemonic::*;
    Some(match mnemonic {
        Jo | Seto => 0,
        Jno | Setno => 1,
        Jb | Setb => 2,
        Jae | Setae => 3,
        Je | Sete => 4,
        Jne | Setne => 5,
        Jbe | Setbe => 6,
        Ja | Seta => 7,
        Js | Sets => 8,
        Jns | Setns => 9,
        Jp | Setp => 10,
        Jnp | Setnp => 11,
        Jl | Setl => 12,
        Jge | Setge => 13,
        Jle | Setle => 14,
        Jg | Setg => 15,
        _ => return None,
    })
}
