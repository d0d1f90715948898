//! String instructions: movs, stos, lods, cmps, scas, ins, outs, with
//! rep/repe/repne, DF, and 16- or 32-bit addressing. A fault in the middle
//! of a repeated instruction leaves ESI/EDI/ECX at the iteration that
//! faulted and EIP at the instruction, so it resumes where it stopped.

use super::operands::{mask, segment_index};
use crate::cpu::{register, segment};
use crate::fault::Fault;
use crate::machine::Machine;
use ia32::registers::eflags;
use iced_x86::{Instruction, Mnemonic, OpKind};

fn sixteen_bit_addressing(instruction: &Instruction) -> bool {
    (0..instruction.op_count()).any(|operand| {
        matches!(instruction.op_kind(operand), OpKind::MemorySegSI | OpKind::MemorySegDI | OpKind::MemoryESDI)
    })
}

pub(crate) fn string(machine: &mut Machine, instruction: &Instruction) -> Result<(), Fault> {
    let mnemonic = instruction.mnemonic();
    let size: u32 = match mnemonic {
        Mnemonic::Movsb
        | Mnemonic::Stosb
        | Mnemonic::Lodsb
        | Mnemonic::Cmpsb
        | Mnemonic::Scasb
        | Mnemonic::Insb
        | Mnemonic::Outsb => 1,
        Mnemonic::Movsw
        | Mnemonic::Stosw
        | Mnemonic::Lodsw
        | Mnemonic::Cmpsw
        | Mnemonic::Scasw
        | Mnemonic::Insw
        | Mnemonic::Outsw => 2,
        _ => 4,
    };
    let address_mask = if sixteen_bit_addressing(instruction) { 0xFFFF } else { u32::MAX };
    let step = if machine.cpu.flag(eflags::DF) { size.wrapping_neg() } else { size };
    let source_segment = segment_index(instruction.memory_segment());
    let compares = matches!(
        mnemonic,
        Mnemonic::Cmpsb | Mnemonic::Cmpsw | Mnemonic::Cmpsd | Mnemonic::Scasb | Mnemonic::Scasw | Mnemonic::Scasd
    );
    let repeated = instruction.has_rep_prefix() || instruction.has_repne_prefix();
    let until_equal = instruction.has_repne_prefix();
    let mut iterations = 0u32;
    let shape = Shape { mnemonic, size, address_mask, step, source_segment, compares, repeated, until_equal };
    let outcome = iterate(machine, &shape, &mut iterations);
    // Also when an iteration faulted: those before it were done (the
    // machine charges them with the fault).
    machine.extra = iterations;
    outcome
}

/// A string instruction taken apart.
#[derive(Clone, Copy)]
struct Shape {
    mnemonic: Mnemonic,
    size: u32,
    address_mask: u32,
    step: u32,
    source_segment: usize,
    compares: bool,
    repeated: bool,
    until_equal: bool,
}

/// Run a string instruction's iterations, counting the completed ones.
fn iterate(machine: &mut Machine, shape: &Shape, iterations: &mut u32) -> Result<(), Fault> {
    let Shape { mnemonic, size, address_mask, step, source_segment, compares, repeated, until_equal } = *shape;
    loop {
        if repeated && machine.cpu.registers[register::ECX] & address_mask == 0 {
            break;
        }
        let source = machine.cpu.registers[register::ESI] & address_mask;
        let destination = machine.cpu.registers[register::EDI] & address_mask;
        let mut advance_source = false;
        let mut advance_destination = false;
        match mnemonic {
            Mnemonic::Movsb | Mnemonic::Movsw | Mnemonic::Movsd => {
                machine.probe_write(segment::ES, destination, size)?;
                let value = machine.read(source_segment, source, size)?;
                machine.write(segment::ES, destination, size, value)?;
                advance_source = true;
                advance_destination = true;
            }
            Mnemonic::Stosb | Mnemonic::Stosw | Mnemonic::Stosd => {
                let value = machine.cpu.registers[register::EAX] & mask(size);
                machine.write(segment::ES, destination, size, value)?;
                advance_destination = true;
            }
            Mnemonic::Lodsb | Mnemonic::Lodsw | Mnemonic::Lodsd => {
                let value = machine.read(source_segment, source, size)?;
                let eax = machine.cpu.registers[register::EAX];
                machine.cpu.registers[register::EAX] = (eax & !mask(size)) | value;
                advance_source = true;
            }
            Mnemonic::Cmpsb | Mnemonic::Cmpsw | Mnemonic::Cmpsd => {
                let first = machine.read(source_segment, source, size)?;
                let second = machine.read(segment::ES, destination, size)?;
                let result = first.wrapping_sub(second) & mask(size);
                machine.flags_sub(first, second, 0, result, size);
                advance_source = true;
                advance_destination = true;
            }
            Mnemonic::Scasb | Mnemonic::Scasw | Mnemonic::Scasd => {
                let accumulator = machine.cpu.registers[register::EAX] & mask(size);
                let value = machine.read(segment::ES, destination, size)?;
                let result = accumulator.wrapping_sub(value) & mask(size);
                machine.flags_sub(accumulator, value, 0, result, size);
                advance_destination = true;
            }
            Mnemonic::Insb | Mnemonic::Insw | Mnemonic::Insd => {
                machine.probe_write(segment::ES, destination, size)?;
                let port = machine.cpu.registers[register::EDX] as u16;
                let value = machine.port_in(port, size)?;
                machine.write(segment::ES, destination, size, value)?;
                advance_destination = true;
            }
            _ => {
                let value = machine.read(source_segment, source, size)?;
                let port = machine.cpu.registers[register::EDX] as u16;
                machine.port_out(port, size, value)?;
                advance_source = true;
            }
        }
        if advance_source {
            let value = machine.cpu.registers[register::ESI];
            machine.cpu.registers[register::ESI] = (value & !address_mask) | (source.wrapping_add(step) & address_mask);
        }
        if advance_destination {
            let value = machine.cpu.registers[register::EDI];
            machine.cpu.registers[register::EDI] =
                (value & !address_mask) | (destination.wrapping_add(step) & address_mask);
        }
        *iterations += 1;
        if !repeated {
            break;
        }
        let ecx = machine.cpu.registers[register::ECX];
        machine.cpu.registers[register::ECX] = (ecx & !address_mask) | (ecx.wrapping_sub(1) & address_mask);
        if compares {
            let zero = machine.cpu.flag(eflags::ZF);
            if zero == until_equal {
                break;
            }
        }
    }
    Ok(())
}
