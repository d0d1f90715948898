//! Data movement: mov, movzx/movsx, xchg, cmpxchg, xadd, bswap, lea, the
//! stack (push/pop, pusha/popa, pushf/popf, enter/leave), conversions,
//! lahf/sahf, xlat, far-pointer loads, setcc, segment register moves.

use super::operands::{condition_code, mask, sign_extend};
use crate::cpu::{register, segment};
use crate::fault::Fault;
use crate::machine::Machine;
use ia32::registers::eflags;
use ia32::segment::Selector;
use iced_x86::{Instruction, Mnemonic, OpKind};

pub(crate) fn mov(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let value = machine.read_operand(instruction, 1)?;
    machine.write_operand(instruction, 0, value)
}

/// `mov sreg, r/m16`: a full segment load with all checks. `mov cs` is #UD.
pub(crate) fn mov_to_segment(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let seg = super::operands::segment_index(instruction.op0_register());
    let selector = machine.read_operand(instruction, 1)? as u16;
    machine.load_segment(seg, Selector(selector))?;
    if seg == segment::SS {
        // A load of SS inhibits interrupts for one instruction; the model
        // checks interrupts between `run` iterations only, which is later.
    }
    machine.penalty += machine.costs.segment_load_extra;
    Ok(())
}

/// `mov r/m, sreg`: a 16-bit selector (zero-extended into a 32-bit register).
pub(crate) fn mov_from_segment(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let seg = super::operands::segment_index(instruction.op1_register());
    let selector = machine.cpu.segments[seg].selector.0 as u32;
    if instruction.op0_kind() == OpKind::Register && instruction.op0_register().size() == 4 {
        machine.write_register(instruction.op0_register(), selector);
        return Ok(());
    }
    machine.write_operand(instruction, 0, selector)
}

pub(crate) fn movzx(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let value = machine.read_operand(instruction, 1)?;
    machine.write_operand(instruction, 0, value)
}

pub(crate) fn movsx(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = machine.operand_size(instruction, 1);
    let value = sign_extend(machine.read_operand(instruction, 1)?, size) as u32;
    let destination = machine.operand_size(instruction, 0);
    machine.write_operand(instruction, 0, value & mask(destination))
}

pub(crate) fn xchg(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    machine.check_writable_operand(instruction, 0)?;
    machine.check_writable_operand(instruction, 1)?;
    let first = machine.read_operand(instruction, 0)?;
    let second = machine.read_operand(instruction, 1)?;
    machine.write_operand(instruction, 0, second)?;
    machine.write_operand(instruction, 1, first)
}

pub(crate) fn cmpxchg(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = machine.operand_size(instruction, 0);
    // The destination is always written (with its own value on failure), as on the hardware.
    machine.check_writable_operand(instruction, 0)?;
    let destination = machine.read_operand(instruction, 0)?;
    let accumulator = machine.cpu.registers[register::EAX] & mask(size);
    let result = accumulator.wrapping_sub(destination) & mask(size);
    machine.flags_sub(accumulator, destination, 0, result, size);
    if accumulator == destination {
        let source = machine.read_operand(instruction, 1)?;
        machine.write_operand(instruction, 0, source)
    } else {
        machine.write_operand(instruction, 0, destination)?;
        let eax = machine.cpu.registers[register::EAX];
        machine.cpu.registers[register::EAX] = (eax & !mask(size)) | destination;
        machine.taken = true;
        Ok(())
    }
}

/// CMPXCHG8B m64 (Pentium): compare EDX:EAX with m64; equal → store ECX:EBX.
pub(crate) fn cmpxchg8b(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    if instruction.op0_kind() != OpKind::Memory {
        return Err(Fault::invalid_opcode());
    }
    let (seg, offset) = machine.memory_operand(instruction);
    machine.probe_write(seg, offset, 8)?;
    let low = machine.read(seg, offset, 4)?;
    let high = machine.read(seg, offset.wrapping_add(4), 4)?;
    let registers = machine.cpu.registers;
    let equal = low == registers[register::EAX] && high == registers[register::EDX];
    if equal {
        machine.write(seg, offset, 4, registers[register::EBX])?;
        machine.write(seg, offset.wrapping_add(4), 4, registers[register::ECX])?;
    } else {
        machine.write(seg, offset, 4, low)?;
        machine.write(seg, offset.wrapping_add(4), 4, high)?;
        machine.cpu.registers[register::EAX] = low;
        machine.cpu.registers[register::EDX] = high;
    }
    machine.cpu.set_flag(eflags::ZF, equal);
    Ok(())
}

pub(crate) fn xadd(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = machine.operand_size(instruction, 0);
    machine.check_writable_operand(instruction, 0)?;
    let destination = machine.read_operand(instruction, 0)?;
    let source = machine.read_operand(instruction, 1)?;
    let sum = destination.wrapping_add(source) & mask(size);
    machine.flags_add(destination, source, 0, sum, size);
    machine.write_operand(instruction, 1, destination)?;
    machine.write_operand(instruction, 0, sum)
}

pub(crate) fn bswap(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let register = instruction.op0_register();
    if register.size() != 4 {
        // BSWAP with a 16-bit operand is undefined; Intel parts clear the register's low word.
        machine.write_register(register, 0);
        return Ok(());
    }
    let value = machine.read_register(register);
    machine.write_register(register, value.swap_bytes());
    Ok(())
}

pub(crate) fn lea(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    if instruction.op1_kind() != OpKind::Memory {
        return Err(Fault::invalid_opcode());
    }
    let address = machine.effective_address(instruction);
    let size = machine.operand_size(instruction, 0);
    machine.write_operand(instruction, 0, address & mask(size))
}

/// The operand size of a push/pop: how far it moves the stack pointer.
fn stack_size(instruction: &Instruction) -> u32 {
    match instruction.stack_pointer_increment().unsigned_abs() {
        2 => 2,
        _ => 4,
    }
}

pub(crate) fn push(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = stack_size(instruction);
    let value = match instruction.op0_kind() {
        OpKind::Register if instruction.op0_register().is_segment_register() => {
            machine.cpu.segments[super::operands::segment_index(instruction.op0_register())].selector.0 as u32
        }
        OpKind::Memory => {
            let (seg, offset) = machine.memory_operand(instruction);
            machine.read(seg, offset, size)?
        }
        // `push esp` pushes the value before the push.
        _ => machine.read_operand(instruction, 0)?,
    };
    machine.push(size, value & mask(size))
}

pub(crate) fn pop(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = stack_size(instruction);
    let old_sp = machine.cpu.registers[register::ESP];
    let value = machine.peek(0, size)?;
    match instruction.op0_kind() {
        OpKind::Register if instruction.op0_register().is_segment_register() => {
            let seg = super::operands::segment_index(instruction.op0_register());
            machine.load_segment(seg, Selector(value as u16))?;
            machine.set_stack_pointer(old_sp.wrapping_add(size));
            machine.penalty += machine.costs.segment_load_extra;
        }
        OpKind::Memory => {
            // `pop [esp+…]` computes the address with ESP already incremented.
            machine.set_stack_pointer(old_sp.wrapping_add(size));
            let (seg, offset) = machine.memory_operand(instruction);
            if let Err(fault) = machine.write(seg, offset, size, value) {
                machine.cpu.registers[register::ESP] = old_sp;
                return Err(fault);
            }
        }
        _ => {
            machine.set_stack_pointer(old_sp.wrapping_add(size));
            machine.write_register(instruction.op0_register(), value);
        }
    }
    Ok(())
}

pub(crate) fn pusha(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = if instruction.mnemonic() == Mnemonic::Pusha { 2 } else { 4 };
    let sp = machine.stack_pointer();
    machine.probe_write(segment::SS, sp.wrapping_sub(8 * size), 8 * size)?;
    let saved = machine.cpu.registers;
    for (index, value) in saved.iter().enumerate() {
        let value = if index == register::ESP { sp } else { *value };
        machine.push(size, value & mask(size))?;
    }
    Ok(())
}

pub(crate) fn popa(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = if instruction.mnemonic() == Mnemonic::Popa { 2 } else { 4 };
    let mut values = [0u32; 8];
    for (index, value) in values.iter_mut().enumerate() {
        *value = machine.peek(size * index as u32, size)?;
    }
    let sp = machine.stack_pointer();
    for (slot, number) in (0..8).rev().enumerate() {
        if number == register::ESP {
            continue;
        }
        let value = values[slot];
        if size == 2 {
            machine.cpu.write16(number, value as u16);
        } else {
            machine.cpu.registers[number] = value;
        }
    }
    machine.set_stack_pointer(sp.wrapping_add(8 * size));
    Ok(())
}

pub(crate) fn pushf(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = if instruction.mnemonic() == Mnemonic::Pushf { 2 } else { 4 };
    // The VM and RF flags are pushed as 0.
    let value = machine.cpu.eflags() & !(eflags::VM | eflags::RF);
    machine.push(size, value & mask(size))
}

/// `popf`: at CPL 3, IOPL never changes and IF only if CPL ≤ IOPL; VM and RF
/// are never loaded; bits the CPU lacks stay 0 (AC needs a 486, ID a CPU with cpuid).
pub(crate) fn popf(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = if instruction.mnemonic() == Mnemonic::Popf { 2 } else { 4 };
    let value = machine.pop(size)?;
    let mut changeable = eflags::STATUS | eflags::TF | eflags::DF | eflags::NT;
    if size == 4 {
        changeable |= eflags::AC;
        if machine.model() == crate::CpuModel::Pentium {
            changeable |= eflags::ID;
        }
    }
    if machine.cpu.cpl == 0 {
        changeable |= eflags::IOPL_MASK;
    }
    if machine.cpu.cpl <= machine.cpu.iopl() {
        changeable |= eflags::IF;
    }
    machine.cpu.set_eflags((machine.cpu.eflags() & !changeable) | (value & changeable) | eflags::RESERVED_ONE);
    Ok(())
}

pub(crate) fn enter(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = if instruction.code() == iced_x86::Code::Enterw_imm16_imm8 { 2 } else { 4 };
    let frame_size = instruction.immediate16() as u32;
    let level = (instruction.immediate8_2nd() & 31) as u32;
    let sp = machine.stack_pointer();
    let total = size * (level + 1) + frame_size;
    machine.probe_write(segment::SS, sp.wrapping_sub(total), total.max(1))?;
    let ebp = machine.cpu.registers[register::EBP];
    // A read of an outer frame pointer can fault after the pushes began:
    // the fault undoes the instruction, so ESP goes back (the words
    // written below it are rewritten when the instruction runs again).
    let saved_esp = machine.cpu.registers[register::ESP];
    let frame_pointer = match push_frames(machine, size, level, ebp) {
        Ok(frame_pointer) => frame_pointer,
        Err(fault) => {
            machine.cpu.registers[register::ESP] = saved_esp;
            return Err(fault);
        }
    };
    if size == 2 {
        machine.cpu.write16(register::EBP, frame_pointer as u16);
    } else {
        machine.cpu.registers[register::EBP] = frame_pointer;
    }
    let new_sp = machine.stack_pointer().wrapping_sub(frame_size);
    machine.set_stack_pointer(new_sp);
    machine.extra = level;
    Ok(())
}

/// ENTER's pushes: EBP, then for a nesting level the outer frame pointers
/// and the new one. Returns the new frame pointer.
fn push_frames(machine: &mut Machine, size: u32, level: u32, ebp: u32) -> Result<u32, Fault> {
    machine.push(size, ebp & mask(size))?;
    let frame_pointer = machine.stack_pointer();
    if level > 0 {
        let mut pointer = ebp;
        for _ in 1..level {
            pointer = pointer.wrapping_sub(size);
            let value = machine.read(segment::SS, pointer, size)?;
            machine.push(size, value)?;
        }
        machine.push(size, frame_pointer)?;
    }
    Ok(frame_pointer)
}

pub(crate) fn leave(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = if instruction.code() == iced_x86::Code::Leavew { 2 } else { 4 };
    let saved_sp = machine.cpu.registers[register::ESP];
    let ebp = machine.cpu.registers[register::EBP];
    machine.set_stack_pointer(ebp);
    match machine.pop(size) {
        Ok(value) => {
            if size == 2 {
                machine.cpu.write16(register::EBP, value as u16);
            } else {
                machine.cpu.registers[register::EBP] = value;
            }
            Ok(())
        }
        Err(fault) => {
            machine.cpu.registers[register::ESP] = saved_sp;
            Err(fault)
        }
    }
}

/// cbw, cwde, cwd, cdq.
pub(crate) fn convert(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let eax = machine.cpu.registers[register::EAX];
    match instruction.mnemonic() {
        Mnemonic::Cbw => machine.cpu.write16(register::EAX, eax as u8 as i8 as i16 as u16),
        Mnemonic::Cwde => machine.cpu.registers[register::EAX] = eax as u16 as i16 as i32 as u32,
        Mnemonic::Cwd => {
            let high = if eax & 0x8000 != 0 { 0xFFFF } else { 0 };
            machine.cpu.write16(register::EDX, high);
        }
        _ => machine.cpu.registers[register::EDX] = if eax & 0x8000_0000 != 0 { u32::MAX } else { 0 },
    }
    Ok(())
}

pub(crate) fn lahf(machine: &mut Machine, _instruction: &Instruction) -> Result<(), Fault> {
    let flags = (machine.cpu.eflags() & 0xD5) | 0x02;
    machine.cpu.write8(4, flags as u8);
    Ok(())
}

pub(crate) fn sahf(machine: &mut Machine, _instruction: &Instruction) -> Result<(), Fault> {
    let ah = machine.cpu.read8(4) as u32;
    let status = eflags::CF | eflags::PF | eflags::AF | eflags::ZF | eflags::SF;
    machine.cpu.set_eflags((machine.cpu.eflags() & !status) | (ah & status));
    Ok(())
}

/// xlat: AL = [seg:EBX + AL].
pub(crate) fn xlat(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let seg = super::operands::segment_index(instruction.memory_segment());
    let base = if instruction.memory_base().size() == 2 {
        machine.cpu.registers[register::EBX] & 0xFFFF
    } else {
        machine.cpu.registers[register::EBX]
    };
    let mut offset = base.wrapping_add(machine.cpu.read8(0) as u32);
    if instruction.memory_base().size() == 2 {
        offset &= 0xFFFF;
    }
    let value = machine.read(seg, offset, 1)?;
    machine.cpu.write8(0, value as u8);
    Ok(())
}

/// lds/les/lfs/lgs/lss r, m16:32.
pub(crate) fn load_far_pointer(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    if instruction.op1_kind() != OpKind::Memory {
        return Err(Fault::invalid_opcode());
    }
    let seg = match instruction.mnemonic() {
        Mnemonic::Lds => segment::DS,
        Mnemonic::Les => segment::ES,
        Mnemonic::Lfs => segment::FS,
        Mnemonic::Lgs => segment::GS,
        _ => segment::SS,
    };
    let size = instruction.op0_register().size() as u32;
    let (memory_segment, offset) = machine.memory_operand(instruction);
    let pointer = machine.read(memory_segment, offset, size)?;
    let selector = machine.read(memory_segment, offset.wrapping_add(size), 2)?;
    machine.load_segment(seg, Selector(selector as u16))?;
    machine.write_register(instruction.op0_register(), pointer);
    Ok(())
}

pub(crate) fn setcc(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let cc = condition_code(instruction.mnemonic()).ok_or(Fault::invalid_opcode())?;
    let value = machine.condition(cc) as u32;
    machine.taken = value != 0;
    machine.write_operand(instruction, 0, value)
}
