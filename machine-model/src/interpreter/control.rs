//! Control transfer: jcc, jmp, call, ret (near and far, same privilege),
//! loop/loope/loopne/jcxz, int n, int3, into, bound, iret at CPL 3.
//!
//! Relative targets are computed from the displacement and the current EIP
//! at run time, not from the address the instruction was decoded at: one
//! physical page may be reached through different code-segment bases
//! (small address spaces), and the decoded-instruction cache is physical.

use super::operands::condition_code;
use crate::cpu::{SegmentRegister, register, segment};
use crate::fault::{Fault, FaultKind};
use crate::machine::Machine;
use ia32::registers::eflags;
use ia32::segment::Selector;
use iced_x86::{Code, Instruction, Mnemonic, OpKind};

/// The operand size of a near transfer: 2 with a 0x66 prefix, else 4.
fn transfer_size(instruction: &Instruction) -> u32 {
    match instruction.op0_kind() {
        OpKind::NearBranch16 => 2,
        OpKind::Register if instruction.op0_register().size() == 2 => 2,
        OpKind::Memory if instruction.memory_size().size() == 2 => 2,
        _ => match instruction.stack_pointer_increment().unsigned_abs() {
            2 => 2,
            _ => 4,
        },
    }
}

impl Machine {
    /// The target of a relative branch, from the displacement and the EIP after it.
    fn relative_target(&self, instruction: &Instruction) -> u32 {
        let displacement = instruction.near_branch_target().wrapping_sub(instruction.next_ip()) as u32;
        let target = self.next_eip.wrapping_add(displacement);
        if instruction.op0_kind() == OpKind::NearBranch16 { target & 0xFFFF } else { target }
    }

    /// Jump within the code segment; beyond its limit is #GP(0).
    pub(super) fn jump_to(&mut self, target: u32) -> Result<(), Fault> {
        if target > self.cpu.segments[segment::CS].limit() {
            return Err(Fault::general_protection(0));
        }
        self.transfer_to(target);
        Ok(())
    }

    /// Go on at `offset` (in the code segment it is checked against): the
    /// prefetcher drops what it had and fetches the target's line anew,
    /// looking the TLB and the code cache up again even within the same line.
    pub(super) fn transfer_to(&mut self, offset: u32) {
        self.next_eip = offset;
        self.taken = true;
        self.forget_fetch_line();
    }
}

pub(crate) fn jcc(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let cc = condition_code(instruction.mnemonic()).ok_or(Fault::invalid_opcode())?;
    if machine.condition(cc) {
        let target = machine.relative_target(instruction);
        machine.jump_to(target)?;
    }
    Ok(())
}

pub(crate) fn jmp(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    match instruction.op0_kind() {
        OpKind::NearBranch16 | OpKind::NearBranch32 => {
            let target = machine.relative_target(instruction);
            machine.jump_to(target)
        }
        OpKind::FarBranch16 | OpKind::FarBranch32 => {
            let offset = if instruction.op0_kind() == OpKind::FarBranch16 {
                instruction.far_branch16() as u32
            } else {
                instruction.far_branch32()
            };
            far_transfer(machine, Selector(instruction.far_branch_selector()), offset, None)
        }
        _ if instruction.is_jmp_far_indirect() => {
            let (offset, selector) = read_far_pointer(machine, instruction)?;
            far_transfer(machine, selector, offset, None)
        }
        _ => {
            let size = transfer_size(instruction);
            let target = machine.read_operand(instruction, 0)?;
            machine.jump_to(if size == 2 { target & 0xFFFF } else { target })
        }
    }
}

pub(crate) fn call(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    match instruction.op0_kind() {
        OpKind::NearBranch16 | OpKind::NearBranch32 => {
            let size = transfer_size(instruction);
            let target = machine.relative_target(instruction);
            if target > machine.cpu.segments[segment::CS].limit() {
                return Err(Fault::general_protection(0));
            }
            machine.push(size, machine.next_eip)?;
            machine.jump_to(target)
        }
        OpKind::FarBranch16 | OpKind::FarBranch32 => {
            let sixteen = instruction.op0_kind() == OpKind::FarBranch16;
            let offset = if sixteen { instruction.far_branch16() as u32 } else { instruction.far_branch32() };
            let size = if sixteen { 2 } else { 4 };
            far_transfer(machine, Selector(instruction.far_branch_selector()), offset, Some(size))
        }
        _ if instruction.is_call_far_indirect() => {
            let size = if instruction.memory_size().size() == 4 { 2 } else { 4 };
            let (offset, selector) = read_far_pointer(machine, instruction)?;
            far_transfer(machine, selector, offset, Some(size))
        }
        _ => {
            let size = transfer_size(instruction);
            let mut target = machine.read_operand(instruction, 0)?;
            if size == 2 {
                target &= 0xFFFF;
            }
            if target > machine.cpu.segments[segment::CS].limit() {
                return Err(Fault::general_protection(0));
            }
            machine.push(size, machine.next_eip)?;
            machine.jump_to(target)
        }
    }
}

/// m16:16 or m16:32 for far indirect transfers.
fn read_far_pointer(machine: &mut Machine, instruction: &Instruction) -> Result<(u32, Selector), Fault> {
    let (seg, offset) = machine.memory_operand(instruction);
    let size = if instruction.memory_size().size() == 4 { 2 } else { 4 };
    let target = machine.read(seg, offset, size)?;
    let selector = machine.read(seg, offset.wrapping_add(size), 2)?;
    Ok((target, Selector(selector as u16)))
}

/// A far jmp/call to a code segment at the same privilege level. Gates and
/// TSS descriptors are not reachable from ring 3 in this kernel's GDT (their
/// DPL is 0), so they fault with #GP(selector) as the hardware would.
fn far_transfer(machine: &mut Machine, selector: Selector, offset: u32, push_size: Option<u32>) -> Result<(), Fault> {
    let code = load_code_descriptor(machine, selector)?;
    if offset > code.byte_limit() {
        return Err(Fault::general_protection(0));
    }
    if let Some(size) = push_size {
        let sp = machine.stack_pointer();
        machine.probe_write(segment::SS, sp.wrapping_sub(2 * size), 2 * size)?;
        let old_cs = machine.cpu.segments[segment::CS].selector.0 as u32;
        machine.push(size, old_cs)?;
        machine.push(size, machine.next_eip)?;
    }
    let rpl_adjusted = Selector((selector.0 & !3) | machine.cpu.cpl as u16);
    machine.cpu.segments[segment::CS] = SegmentRegister::loaded(rpl_adjusted, code);
    machine.transfer_to(offset);
    Ok(())
}

/// Checks for a code-segment target at CPL.
fn load_code_descriptor(machine: &mut Machine, selector: Selector) -> Result<ia32::segment::SegmentDescriptor, Fault> {
    if selector.is_null() {
        return Err(Fault::general_protection(0));
    }
    let code = selector.error_code();
    let descriptor = machine.descriptor_for(selector)?;
    let cpl = machine.cpu.cpl;
    if !descriptor.is_code() {
        return Err(Fault::general_protection(code));
    }
    let allowed = if descriptor.is_conforming() {
        descriptor.dpl() <= cpl
    } else {
        selector.rpl() <= cpl && descriptor.dpl() == cpl
    };
    if !allowed {
        return Err(Fault::general_protection(code));
    }
    if !descriptor.is_present() {
        return Err(Fault::raise(11, Some(code)));
    }
    Ok(descriptor)
}

pub(crate) fn ret(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = transfer_size(instruction);
    let release = if instruction.op_count() > 0 { instruction.immediate16() as u32 } else { 0 };
    let target = machine.peek(0, size)?;
    let target = if size == 2 { target & 0xFFFF } else { target };
    if target > machine.cpu.segments[segment::CS].limit() {
        return Err(Fault::general_protection(0));
    }
    let sp = machine.stack_pointer();
    machine.set_stack_pointer(sp.wrapping_add(size).wrapping_add(release));
    machine.transfer_to(target);
    Ok(())
}

/// retf [imm16] to the same privilege level (a lower-privilege return from
/// CPL 3 cannot exist; a selector with RPL < CPL is #GP).
pub(crate) fn retf(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = if matches!(instruction.code(), Code::Retfw | Code::Retfw_imm16) { 2 } else { 4 };
    let release = if instruction.op_count() > 0 { instruction.immediate16() as u32 } else { 0 };
    let offset = machine.peek(0, size)?;
    let selector = Selector(machine.peek(size, size)? as u16);
    if selector.rpl() != machine.cpu.cpl {
        return Err(Fault::general_protection(selector.error_code()));
    }
    let code = load_code_descriptor(machine, selector)?;
    let offset = if size == 2 { offset & 0xFFFF } else { offset };
    if offset > code.byte_limit() {
        return Err(Fault::general_protection(0));
    }
    let sp = machine.stack_pointer();
    machine.set_stack_pointer(sp.wrapping_add(2 * size).wrapping_add(release));
    machine.cpu.segments[segment::CS] = SegmentRegister::loaded(selector, code);
    machine.transfer_to(offset);
    Ok(())
}

/// iret at CPL 3 to CPL 3: EIP, CS, EFLAGS from the stack, with popf's rules.
pub(crate) fn iret(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    if machine.cpu.flag(eflags::NT) {
        // A nested-task return would switch tasks through the TSS back link,
        // which this kernel's TSS leaves 0.
        return Err(Fault::raise(10, Some(0)));
    }
    let size = if instruction.code() == Code::Iretw { 2 } else { 4 };
    let offset = machine.peek(0, size)?;
    let selector = Selector(machine.peek(size, size)? as u16);
    let flags = machine.peek(2 * size, size)?;
    if selector.rpl() < machine.cpu.cpl {
        return Err(Fault::general_protection(selector.error_code()));
    }
    if selector.rpl() > machine.cpu.cpl {
        // Only reachable from a more privileged level.
        return Err(Fault::general_protection(selector.error_code()));
    }
    let code = load_code_descriptor(machine, selector)?;
    if offset > code.byte_limit() {
        return Err(Fault::general_protection(0));
    }
    let sp = machine.stack_pointer();
    machine.set_stack_pointer(sp.wrapping_add(3 * size));
    let mut changeable = eflags::STATUS | eflags::TF | eflags::DF | eflags::NT;
    if size == 4 {
        changeable |= eflags::AC | if machine.model() == crate::CpuModel::Pentium { eflags::ID } else { 0 };
    }
    if machine.cpu.cpl <= machine.cpu.iopl() {
        changeable |= eflags::IF;
    }
    machine.cpu.set_eflags((machine.cpu.eflags() & !changeable) | (flags & changeable) | eflags::RESERVED_ONE);
    machine.cpu.segments[segment::CS] = SegmentRegister::loaded(selector, code);
    machine.transfer_to(offset);
    Ok(())
}

pub(crate) fn loop_family(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    // The count register is CX with a 0x67 prefix (codes ending in _CX), else ECX.
    let sixteen = matches!(
        instruction.code(),
        Code::Loopne_rel8_16_CX
            | Code::Loopne_rel8_32_CX
            | Code::Loope_rel8_16_CX
            | Code::Loope_rel8_32_CX
            | Code::Loop_rel8_16_CX
            | Code::Loop_rel8_32_CX
            | Code::Jcxz_rel8_16
            | Code::Jcxz_rel8_32
    );
    let count_mask = if sixteen { 0xFFFF } else { u32::MAX };
    let zero = machine.cpu.flag(eflags::ZF);
    let jump = match instruction.mnemonic() {
        Mnemonic::Jecxz | Mnemonic::Jcxz => machine.cpu.registers[register::ECX] & count_mask == 0,
        mnemonic => {
            let ecx = machine.cpu.registers[register::ECX];
            let count = ecx.wrapping_sub(1) & count_mask;
            machine.cpu.registers[register::ECX] = (ecx & !count_mask) | count;
            count != 0
                && match mnemonic {
                    Mnemonic::Loope => zero,
                    Mnemonic::Loopne => !zero,
                    _ => true,
                }
        }
    };
    if jump {
        let target = machine.relative_target(instruction);
        machine.jump_to(target)?;
    }
    Ok(())
}

pub(crate) fn int(_machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let vector = match instruction.mnemonic() {
        Mnemonic::Int3 => 3,
        Mnemonic::Int1 => 1,
        _ => instruction.immediate8(),
    };
    let kind = if instruction.mnemonic() == Mnemonic::Int1 { FaultKind::Trap } else { FaultKind::Software };
    Err(Fault { vector, error_code: None, kind })
}

pub(crate) fn into(machine: &mut Machine, _instruction: &Instruction) -> Result<(), Fault> {
    if machine.cpu.flag(eflags::OF) {
        machine.taken = true;
        return Err(Fault { vector: 4, error_code: None, kind: FaultKind::Software });
    }
    Ok(())
}

/// bound r, m: #BR unless lower ≤ r ≤ upper (signed).
pub(crate) fn bound(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    if instruction.op1_kind() != OpKind::Memory {
        return Err(Fault::invalid_opcode());
    }
    let size = instruction.op0_register().size() as u32;
    let (seg, offset) = machine.memory_operand(instruction);
    let lower = super::operands::sign_extend(machine.read(seg, offset, size)?, size);
    let upper = super::operands::sign_extend(machine.read(seg, offset.wrapping_add(size), size)?, size);
    let index = super::operands::sign_extend(machine.read_register(instruction.op0_register()), size);
    if index < lower || index > upper {
        return Err(Fault::raise(5, None));
    }
    Ok(())
}
