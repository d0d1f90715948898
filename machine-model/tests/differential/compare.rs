//! What may be compared: Intel leaves some flags (and, for a zero BSF/BSR
//! source, the destination) undefined. Only defined results are compared.

use super::helper::{Case, State};
use iced_x86::{Decoder, DecoderOptions, Mnemonic, OpKind};

const CF: u32 = 1;
const PF: u32 = 1 << 2;
const AF: u32 = 1 << 4;
const ZF: u32 = 1 << 6;
const SF: u32 = 1 << 7;
const OF: u32 = 1 << 11;
const DF: u32 = 1 << 10;
const ALL: u32 = CF | PF | AF | ZF | SF | OF | DF;

/// The flags an instruction leaves defined, and registers to ignore.
pub struct Defined {
    pub flags: u32,
    pub ignore_register: Option<usize>,
    /// Scratch bytes whose value is undefined (offset, length).
    pub ignore_memory: Option<(usize, usize)>,
}

fn count_of(instruction: &iced_x86::Instruction, before: &State) -> u32 {
    let operand = if matches!(instruction.mnemonic(), Mnemonic::Shld | Mnemonic::Shrd) { 2 } else { 1 };
    if instruction.op_count() <= operand {
        return 1;
    }
    match instruction.op_kind(operand) {
        OpKind::Register => before.registers[1] & 0x1F,
        _ => instruction.immediate8() as u32 & 0x1F,
    }
}

pub fn defined(case: &Case) -> Defined {
    let mut decoder = Decoder::with_ip(32, &case.code, 0, DecoderOptions::NONE);
    let instruction = decoder.decode();
    let mnemonic = instruction.mnemonic();
    let size = if instruction.op_count() > 0 && instruction.op0_kind() == OpKind::Register {
        instruction.op0_register().size() as u32
    } else {
        instruction.memory_size().size() as u32
    };
    use Mnemonic::*;
    let flags = match mnemonic {
        And | Or | Xor | Test => ALL & !AF,
        Mul | Imul => CF | OF | DF,
        Div | Idiv => DF,
        Shl | Shr | Sar => {
            let count = count_of(&instruction, &case.before);
            match count {
                0 => ALL,
                1 => ALL & !AF,
                _ if count >= 8 * size && matches!(mnemonic, Shl | Shr) => ALL & !(AF | OF | CF),
                _ => ALL & !(AF | OF),
            }
        }
        Rol | Ror | Rcl | Rcr => {
            let count = count_of(&instruction, &case.before);
            match count {
                0 => ALL,
                1 => ALL,
                _ => ALL & !OF,
            }
        }
        Shld | Shrd => match count_of(&instruction, &case.before) {
            0 => ALL,
            1 => ALL & !AF,
            count if count > 8 * size => DF,
            _ => ALL & !(AF | OF),
        },
        Bt | Bts | Btr | Btc => CF | ZF | DF,
        Bsf | Bsr => ZF | DF,
        Daa | Das => ALL & !OF,
        Aaa | Aas => CF | AF | DF,
        Aam | Aad => SF | ZF | PF | DF,
        _ => ALL,
    };
    let mut ignore_register = None;
    if matches!(mnemonic, Bsf | Bsr) && instruction.op0_kind() == OpKind::Register {
        // With a zero source the destination is undefined.
        ignore_register = Some(instruction.op0_register().full_register32().number());
    }
    let mut ignore_memory = None;
    if matches!(mnemonic, Shld | Shrd) && count_of(&instruction, &case.before) > 8 * size {
        // A count above the operand size leaves the result undefined.
        if instruction.op0_kind() == OpKind::Register {
            ignore_register = Some(instruction.op0_register().full_register32().number());
        } else {
            let offset = instruction.memory_displacement32().wrapping_sub(super::helper::SCRATCH) as usize;
            ignore_memory = Some((offset, size as usize));
        }
    }
    Defined { flags, ignore_register, ignore_memory }
}

/// Describe the differences, or `None` if the model agrees with the silicon.
pub fn difference(case: &Case, silicon: &State, model: &State) -> Option<String> {
    let defined = defined(case);
    let mut problems = Vec::new();
    for register in 0..8 {
        if Some(register) == defined.ignore_register {
            continue;
        }
        if silicon.registers[register] != model.registers[register] {
            problems.push(format!(
                "{}: silicon {:#010x}, model {:#010x}",
                ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"][register],
                silicon.registers[register],
                model.registers[register]
            ));
        }
    }
    let silicon_flags = silicon.eflags & defined.flags;
    let model_flags = model.eflags & defined.flags;
    if silicon_flags != model_flags {
        problems.push(format!("flags (mask {:#x}): silicon {silicon_flags:#x}, model {model_flags:#x}", defined.flags));
    }
    let ignored =
        |index: usize| defined.ignore_memory.is_some_and(|(offset, length)| (offset..offset + length).contains(&index));
    if let Some(offset) =
        (0..silicon.scratch.len()).find(|&index| !ignored(index) && silicon.scratch[index] != model.scratch[index])
    {
        problems.push(format!(
            "memory at scratch+{offset:#x}: silicon {:#04x}, model {:#04x}",
            silicon.scratch[offset], model.scratch[offset]
        ));
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}
