//! Flags, I/O, identification, time stamp, segment queries, and everything
//! privileged or absent: privileged instructions at CPL 3 raise #GP(0), x87
//! instructions #NM (CR0.EM/TS) or #UD (no FPU is modelled), instructions
//! these CPUs lack raise #UD.

use crate::CpuModel;
use crate::cpu::register;
use crate::fault::Fault;
use crate::machine::Machine;
use ia32::registers::{cr0, cr4, eflags};
use ia32::segment::Selector;
use iced_x86::{Instruction, Mnemonic, OpKind};

pub(crate) fn flag_operation(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    match instruction.mnemonic() {
        Mnemonic::Clc => machine.cpu.set_flag(eflags::CF, false),
        Mnemonic::Stc => machine.cpu.set_flag(eflags::CF, true),
        Mnemonic::Cmc => {
            let carry = machine.cpu.flag(eflags::CF);
            machine.cpu.set_flag(eflags::CF, !carry);
        }
        Mnemonic::Cld => machine.cpu.set_flag(eflags::DF, false),
        Mnemonic::Std => machine.cpu.set_flag(eflags::DF, true),
        Mnemonic::Cli | Mnemonic::Sti => {
            if machine.cpu.cpl > machine.cpu.iopl() {
                return Err(Fault::general_protection(0));
            }
            machine.cpu.set_flag(eflags::IF, instruction.mnemonic() == Mnemonic::Sti);
        }
        _ => return Err(Fault::invalid_opcode()),
    }
    Ok(())
}

pub(crate) fn nop(_machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    // 0F 1F /0 (the "multi-byte NOP") arrived with the Pentium Pro: #UD here.
    if instruction.op_count() > 0 {
        return Err(Fault::invalid_opcode());
    }
    Ok(())
}

pub(crate) fn input(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = instruction.op0_register().size() as u32;
    let port = if instruction.op1_kind() == OpKind::Register {
        machine.cpu.registers[register::EDX] as u16
    } else {
        instruction.immediate8() as u16
    };
    let value = machine.port_in(port, size)?;
    machine.write_register(instruction.op0_register(), value);
    Ok(())
}

pub(crate) fn output(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let size = instruction.op1_register().size() as u32;
    let port = if instruction.op0_kind() == OpKind::Register {
        machine.cpu.registers[register::EDX] as u16
    } else {
        instruction.immediate8() as u16
    };
    let value = machine.read_register(instruction.op1_register());
    machine.port_out(port, size, value)
}

/// cpuid (Pentium only): leaf 0 = "GenuineIntel" with highest leaf 1; leaf 1
/// = family 5, model 2 (P54C), stepping 12, and the features the model has.
/// The FPU bit is clear because no x87 is modelled.
pub(crate) fn cpuid(machine: &mut Machine, _instruction: &Instruction) -> Result<(), Fault> {
    let leaf = machine.cpu.registers[register::EAX];
    let (eax, ebx, ecx, edx) = match leaf {
        0 => (1, u32::from_le_bytes(*b"Genu"), u32::from_le_bytes(*b"ntel"), u32::from_le_bytes(*b"ineI")),
        1 => {
            // VME, DE, PSE, TSC, MSR, MCE, CX8.
            let features = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 7) | (1 << 8);
            (0x052C, 0, 0, features)
        }
        _ => (0, 0, 0, 0),
    };
    machine.cpu.registers[register::EAX] = eax;
    machine.cpu.registers[register::EBX] = ebx;
    machine.cpu.registers[register::ECX] = ecx;
    machine.cpu.registers[register::EDX] = edx;
    Ok(())
}

/// rdtsc (Pentium only): the cycle counter; #GP at CPL 3 when CR4.TSD is set.
pub(crate) fn rdtsc(machine: &mut Machine, _instruction: &Instruction) -> Result<(), Fault> {
    if machine.cpu.cr4 & cr4::TSD != 0 && machine.cpu.cpl > 0 {
        return Err(Fault::general_protection(0));
    }
    let cycles = machine.cycles;
    machine.cpu.registers[register::EAX] = cycles as u32;
    machine.cpu.registers[register::EDX] = (cycles >> 32) as u32;
    Ok(())
}

/// Instructions that need CPL 0.
pub(crate) fn privileged(machine: &mut Machine, _instruction: &Instruction) -> Result<(), Fault> {
    if machine.cpu.cpl > 0 {
        return Err(Fault::general_protection(0));
    }
    Err(Fault::invalid_opcode())
}

pub(crate) fn undefined(_machine: &mut Machine, _instruction: &Instruction) -> Result<(), Fault> {
    Err(Fault::invalid_opcode())
}

/// x87 escape: #NM when CR0.EM or CR0.TS is set; otherwise #UD, since the
/// model has no floating-point unit.
pub(crate) fn floating_point(machine: &mut Machine, _instruction: &Instruction) -> Result<(), Fault> {
    if machine.cpu.cr0 & (cr0::EM | cr0::TS) != 0 {
        return Err(Fault::raise(7, None));
    }
    Err(Fault::invalid_opcode())
}

/// wait/fwait: #NM when CR0.TS and CR0.MP are both set, else nothing.
pub(crate) fn wait(machine: &mut Machine, _instruction: &Instruction) -> Result<(), Fault> {
    if machine.cpu.cr0 & cr0::TS != 0 && machine.cpu.cr0 & cr0::MP != 0 {
        return Err(Fault::raise(7, None));
    }
    Ok(())
}

/// sgdt, sidt, sldt, str, smsw: allowed at CPL 3 on these CPUs (no UMIP).
pub(crate) fn store_system(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    match instruction.mnemonic() {
        Mnemonic::Sgdt | Mnemonic::Sidt => {
            let table = if instruction.mnemonic() == Mnemonic::Sgdt { machine.cpu.gdtr } else { machine.cpu.idtr };
            if instruction.op0_kind() != OpKind::Memory {
                return Err(Fault::invalid_opcode());
            }
            let (seg, offset) = machine.memory_operand(instruction);
            machine.probe_write(seg, offset, 6)?;
            machine.write(seg, offset, 2, table.limit as u32)?;
            machine.write(seg, offset.wrapping_add(2), 4, table.base)
        }
        Mnemonic::Sldt => {
            let selector = machine.cpu.ldtr.selector.0 as u32;
            machine.write_operand(instruction, 0, selector)
        }
        Mnemonic::Str => {
            let selector = machine.cpu.tr.selector.0 as u32;
            machine.write_operand(instruction, 0, selector)
        }
        _ => {
            let value =
                if machine.operand_size(instruction, 0) == 4 { machine.cpu.cr0 } else { machine.cpu.cr0 & 0xFFFF };
            machine.write_operand(instruction, 0, value)
        }
    }
}

/// lar, lsl, verr, verw: report through ZF whether the selector is usable.
pub(crate) fn segment_query(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let operand = if matches!(instruction.mnemonic(), Mnemonic::Verr | Mnemonic::Verw) { 0 } else { 1 };
    let selector = Selector(machine.read_operand(instruction, operand)? as u16);
    let cpl = machine.cpu.cpl;
    let descriptor = if selector.is_null() { None } else { machine.descriptor_for(selector).ok() };
    let visible = descriptor.filter(|descriptor| {
        let privileged_enough =
            descriptor.is_conforming() && descriptor.is_code() || descriptor.dpl() >= cpl.max(selector.rpl());
        let type_ok = match instruction.mnemonic() {
            Mnemonic::Verr => descriptor.is_readable(),
            Mnemonic::Verw => descriptor.is_writable(),
            // lar/lsl: code, data, TSS and LDT descriptors; not gates.
            _ => descriptor.is_code_or_data() || matches!(descriptor.system_type(), 1 | 2 | 3 | 9 | 11),
        };
        privileged_enough && type_ok
    });
    machine.cpu.set_flag(eflags::ZF, visible.is_some());
    if let Some(descriptor) = visible {
        match instruction.mnemonic() {
            Mnemonic::Lar => {
                let raw = descriptor.encode();
                let rights = ((raw >> 32) as u32) & 0x00F0_FF00;
                machine.write_operand(instruction, 0, rights)?;
            }
            Mnemonic::Lsl => machine.write_operand(instruction, 0, descriptor.byte_limit())?,
            _ => {}
        }
    }
    Ok(())
}

/// arpl r/m16, r16: raise the destination selector's RPL to the source's.
pub(crate) fn arpl(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    machine.check_writable_operand(instruction, 0)?;
    let destination = machine.read_operand(instruction, 0)?;
    let source = machine.read_operand(instruction, 1)?;
    if destination & 3 < source & 3 {
        machine.cpu.set_flag(eflags::ZF, true);
        machine.write_operand(instruction, 0, (destination & !3) | (source & 3))
    } else {
        machine.cpu.set_flag(eflags::ZF, false);
        Ok(())
    }
}

/// Whether an instruction exists on the given CPU.
pub(crate) fn exists_on(mnemonic: Mnemonic, model: CpuModel) -> bool {
    match mnemonic {
        Mnemonic::Cpuid | Mnemonic::Rdtsc | Mnemonic::Cmpxchg8b | Mnemonic::Rdmsr | Mnemonic::Wrmsr | Mnemonic::Rsm => {
            model == CpuModel::Pentium
        }
        _ => true,
    }
}
