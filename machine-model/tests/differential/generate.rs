//! Test cases: every iced `Code` of the integer instructions the model
//! executes, in 32-bit mode, with register, memory and immediate operands
//! chosen at random. Memory operands are absolute addresses inside the
//! scratch area, so every general register can hold a random value (ESP
//! excepted: it points into the scratch area for the stack instructions).

use super::helper::{Case, SCRATCH, SCRATCH_SIZE, SLOT, State};
use iced_x86::{Code, Encoder, Instruction, Mnemonic, OpCodeOperandKind, OpCodeOperandKind as K, OpKind, Register};

/// A small deterministic generator (xorshift64*).
pub struct Random(u64);

impl Random {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, limit: u64) -> u64 {
        self.next() % limit
    }
    /// A 32-bit value biased towards edge cases (0, ±1, sign bits, small numbers).
    pub fn word(&mut self) -> u32 {
        match self.below(8) {
            0 => [0, 1, 0xFFFF_FFFF, 0x8000_0000, 0x7FFF_FFFF, 0x80, 0x7F, 0xFF, 0x8000, 0x7FFF, 0xFFFF]
                [self.below(11) as usize],
            1 => self.below(64) as u32,
            _ => self.next() as u32,
        }
    }
}

/// The stack pointer every case starts with.
pub const STACK: u32 = SCRATCH + 192;

const TESTED: &[Mnemonic] = {
    use Mnemonic::*;
    &[
        Add, Adc, Sub, Sbb, Cmp, And, Or, Xor, Test, Inc, Dec, Neg, Not, Mul, Imul, Div, Idiv, Shl, Shr, Sar, Rol, Ror,
        Rcl, Rcr, Shld, Shrd, Bt, Bts, Btr, Btc, Bsf, Bsr, Mov, Movzx, Movsx, Xchg, Cmpxchg, Xadd, Bswap, Lea, Seto,
        Setno, Setb, Setae, Sete, Setne, Setbe, Seta, Sets, Setns, Setp, Setnp, Setl, Setge, Setle, Setg, Cbw, Cwde,
        Cwd, Cdq, Lahf, Sahf, Push, Pop, Pusha, Pushad, Popa, Popad, Pushf, Pushfd, Popf, Popfd, Enter, Leave, Clc,
        Stc, Cmc, Cld, Std, Xlatb, Daa, Das, Aaa, Aas, Aam, Aad, Nop, Cmpxchg8b, Movsb, Movsw, Movsd, Stosb, Stosw,
        Stosd, Lodsb, Lodsw, Lodsd, Cmpsb, Cmpsw, Cmpsd, Scasb, Scasw, Scasd,
    ]
};

/// The forms under test: each a `Code` valid in 32-bit mode whose operands
/// are general registers, memory or immediates.
pub fn forms() -> Vec<Code> {
    Code::values()
        .filter(|code| TESTED.contains(&code.mnemonic()))
        .filter(|code| {
            let info = code.op_code();
            info.mode32()
                && info.is_instruction()
                && info.decoder_option() == iced_x86::DecoderOptions::NONE
                && (0..info.op_count()).all(|index| supported(info.op_kind(index)))
        })
        // The 0F 1F multi-byte NOP is a P6 instruction (#UD on these CPUs);
        // BSWAP r16 is undefined; SAL's /6 encoding is an undocumented alias.
        .filter(|code| !matches!(code, Code::Nop_rm16 | Code::Nop_rm32 | Code::Bswap_r16))
        .filter(|code| !format!("{code:?}").starts_with("Sal_"))
        .collect()
}

fn supported(kind: OpCodeOperandKind) -> bool {
    use OpCodeOperandKind::*;
    matches!(
        kind,
        r8_or_mem
            | r16_or_mem
            | r32_or_mem
            | r8_reg
            | r16_reg
            | r32_reg
            | r8_opcode
            | r16_opcode
            | r32_opcode
            | r16_rm
            | r32_rm
            | mem
            | imm8
            | imm8_const_1
            | imm8sex16
            | imm8sex32
            | imm16
            | imm32
            | al
            | ax
            | eax
            | cl
            | seg_rSI
            | es_rDI
            | seg_rDI
            | seg_rBX_al
    )
}

fn register(size: usize, number: usize) -> Register {
    let base = match size {
        1 => Register::AL,
        2 => Register::AX,
        _ => Register::EAX,
    };
    Register::try_from(base as usize + number).unwrap_or(base)
}

/// A random register of `size` bytes, never (E)SP/SP (AH for bytes is fine).
fn random_register(random: &mut Random, size: usize) -> Register {
    loop {
        let number = random.below(8) as usize;
        if size == 1 || number != 4 {
            return register(size, number);
        }
    }
}

/// Memory operand size in bytes for a code (by its name's m8/m16/m32/m64 part).
fn memory_size(code: Code) -> u32 {
    let name = format!("{code:?}");
    if name.contains("m64") {
        8
    } else if name.contains("rm8") || name.contains("m8") {
        1
    } else if name.contains("rm16") || name.contains("m16") {
        2
    } else {
        4
    }
}

/// Build one random case of a form.
pub fn case(code: Code, random: &mut Random) -> Option<Case> {
    let info = code.op_code();
    let mnemonic = code.mnemonic();
    let mut registers: [u32; 8] = std::array::from_fn(|_| random.word());
    registers[4] = STACK;
    let status = 0x8D5 | 0x400; // CF PF AF ZF SF OF DF
    let mut eflags = (random.next() as u32 & status) | 0x202;
    let mut scratch: Vec<u8> = (0..SCRATCH_SIZE).map(|_| random.next() as u8).collect();
    let string = matches!(
        mnemonic,
        Mnemonic::Movsb
            | Mnemonic::Movsw
            | Mnemonic::Movsd
            | Mnemonic::Stosb
            | Mnemonic::Stosw
            | Mnemonic::Stosd
            | Mnemonic::Lodsb
            | Mnemonic::Lodsw
            | Mnemonic::Lodsd
            | Mnemonic::Cmpsb
            | Mnemonic::Cmpsw
            | Mnemonic::Cmpsd
            | Mnemonic::Scasb
            | Mnemonic::Scasw
            | Mnemonic::Scasd
    );
    let instruction = if string {
        string_instruction(code, random, &mut registers, &mut eflags)?
    } else {
        let mut instruction = Instruction::default();
        instruction.set_code(code);
        let memory_at = SCRATCH + random.below((SCRATCH_SIZE - 16) as u64) as u32;
        for index in 0..info.op_count() {
            let kind = info.op_kind(index);
            let operand_register = match kind {
                K::r8_or_mem | K::r8_reg | K::r8_opcode => Some(1),
                K::r16_or_mem | K::r16_reg | K::r16_opcode | K::r16_rm => Some(2),
                K::r32_or_mem | K::r32_reg | K::r32_opcode | K::r32_rm => Some(4),
                _ => None,
            };
            let use_memory =
                kind == K::mem || matches!(kind, K::r8_or_mem | K::r16_or_mem | K::r32_or_mem) && random.below(2) == 0;
            if use_memory {
                instruction.set_op_kind(index, OpKind::Memory);
                instruction.set_memory_base(Register::None);
                instruction.set_memory_index(Register::None);
                instruction.set_memory_displacement32(memory_at);
                instruction.set_memory_displ_size(4);
                instruction.set_segment_prefix(Register::None);
            } else if let Some(size) = operand_register {
                instruction.set_op_kind(index, OpKind::Register);
                instruction.set_op_register(index, random_register(random, size));
            } else {
                match kind {
                    K::imm8 => {
                        instruction.set_op_kind(
                            index,
                            if index >= 2 && mnemonic == Mnemonic::Enter {
                                OpKind::Immediate8_2nd
                            } else {
                                OpKind::Immediate8
                            },
                        );
                        let value = random.next() as u8;
                        if index >= 1 && mnemonic == Mnemonic::Enter {
                            instruction.set_immediate8_2nd(value % 3);
                        } else {
                            instruction.set_immediate8(value);
                        }
                    }
                    K::imm8_const_1 => {
                        instruction.set_op_kind(index, OpKind::Immediate8);
                        instruction.set_immediate8(1);
                    }
                    K::imm8sex16 => {
                        instruction.set_op_kind(index, OpKind::Immediate8to16);
                        instruction.set_immediate8to16(random.next() as i8 as i16);
                    }
                    K::imm8sex32 => {
                        instruction.set_op_kind(index, OpKind::Immediate8to32);
                        instruction.set_immediate8to32(random.next() as i8 as i32);
                    }
                    K::imm16 => {
                        instruction.set_op_kind(index, OpKind::Immediate16);
                        instruction.set_immediate16(random.word() as u16);
                    }
                    K::imm32 => {
                        instruction.set_op_kind(index, OpKind::Immediate32);
                        instruction.set_immediate32(random.word());
                    }
                    K::al => set_register(&mut instruction, index, Register::AL),
                    K::ax => set_register(&mut instruction, index, Register::AX),
                    K::eax => set_register(&mut instruction, index, Register::EAX),
                    K::cl => set_register(&mut instruction, index, Register::CL),
                    K::seg_rBX_al => {
                        // xlat [ebx+al]: EBX at the scratch area, AL any byte.
                        instruction.set_op_kind(index, OpKind::Memory);
                        instruction.set_memory_base(Register::EBX);
                        instruction.set_memory_index(Register::AL);
                        instruction.set_memory_index_scale(1);
                        instruction.set_memory_displacement32(0);
                        instruction.set_memory_displ_size(0);
                        instruction.set_segment_prefix(Register::None);
                        registers[3] = SCRATCH;
                    }
                    _ => return None,
                }
            }
        }
        if mnemonic == Mnemonic::Enter {
            instruction.set_op_kind(0, OpKind::Immediate16);
            instruction.set_immediate16(random.below(24) as u16);
            instruction.set_op_kind(1, OpKind::Immediate8_2nd);
            instruction.set_immediate8_2nd(random.below(3) as u8);
        }
        if !constrain(&instruction, random, &mut registers, &mut scratch) {
            return None;
        }
        instruction
    };
    if matches!(mnemonic, Mnemonic::Popf | Mnemonic::Popfd) {
        // Only status flags and DF may change: TF would trap, AC would align-check.
        let offset = (STACK - SCRATCH) as usize;
        let value = (u32::from_le_bytes(scratch[offset..offset + 4].try_into().ok()?) & status) | 0x202;
        scratch[offset..offset + 4].copy_from_slice(&value.to_le_bytes());
    }
    let mut encoder = Encoder::new(32);
    encoder.encode(&instruction, SLOT as u64).ok()?;
    let code_bytes = encoder.take_buffer();
    if code_bytes.len() > 15 {
        return None;
    }
    let _ = memory_size(code);
    Some(Case { before: State { registers, eflags, scratch }, code: code_bytes })
}

fn set_register(instruction: &mut Instruction, index: u32, register: Register) {
    instruction.set_op_kind(index, OpKind::Register);
    instruction.set_op_register(index, register);
}

fn read_operand_value(instruction: &Instruction, operand: u32, registers: &[u32; 8], scratch: &[u8], size: u32) -> u32 {
    match instruction.op_kind(operand) {
        OpKind::Register => {
            let register = instruction.op_register(operand);
            let number = register.number();
            match register.size() {
                1 if number >= 4 => (registers[number - 4] >> 8) & 0xFF,
                1 => registers[number] & 0xFF,
                2 => registers[number] & 0xFFFF,
                _ => registers[number],
            }
        }
        OpKind::Memory => {
            let offset = (instruction.memory_displacement32() - SCRATCH) as usize;
            let mut value = 0u32;
            for byte in 0..size as usize {
                value |= (scratch[offset + byte] as u32) << (8 * byte);
            }
            value
        }
        _ => 0,
    }
}

/// Fix values so the case cannot fault on either machine (division by zero,
/// a quotient overflow, a bit offset or table index outside the scratch area).
fn constrain(instruction: &Instruction, random: &mut Random, registers: &mut [u32; 8], scratch: &mut [u8]) -> bool {
    let mnemonic = instruction.mnemonic();
    match mnemonic {
        Mnemonic::Div | Mnemonic::Idiv => {
            // A divisor that is part of the dividend (AL/AH, (E)AX, (E)DX) is rejected.
            if instruction.op0_kind() == OpKind::Register {
                let register = instruction.op0_register();
                let number = register.number();
                let aliased =
                    if register.size() == 1 { number == 0 || number == 4 } else { number == 0 || number == 2 };
                if aliased {
                    return false;
                }
            }
            let size = if instruction.op0_kind() == OpKind::Register {
                instruction.op0_register().size() as u32
            } else {
                memory_size(instruction.code())
            };
            let mut divisor = read_operand_value(instruction, 0, registers, scratch, size);
            let mask = if size == 4 { u32::MAX } else { (1 << (8 * size)) - 1 };
            if divisor & mask == 0 || (mnemonic == Mnemonic::Idiv && divisor & mask == mask) {
                // Make the divisor nonzero and not -1 (the one signed overflow case).
                let replacement = 3 + random.below(100) as u32;
                match instruction.op0_kind() {
                    OpKind::Register => {
                        let register = instruction.op0_register();
                        let number = register.number();
                        match size {
                            1 if number >= 4 => {
                                registers[number - 4] = (registers[number - 4] & !0xFF00) | (replacement << 8)
                            }
                            1 => registers[number] = (registers[number] & !0xFF) | replacement,
                            2 => registers[number] = (registers[number] & !0xFFFF) | replacement,
                            _ => registers[number] = replacement,
                        }
                    }
                    _ => {
                        let offset = (instruction.memory_displacement32() - SCRATCH) as usize;
                        for byte in 0..size as usize {
                            scratch[offset + byte] = (replacement >> (8 * byte)) as u8;
                        }
                    }
                }
                divisor = read_operand_value(instruction, 0, registers, scratch, size);
            }
            let divisor = divisor & mask;
            // Dividend's high half: below the divisor (unsigned) or the sign of the low half (signed).
            let (high_register, shift) = match size {
                1 => (0usize, 8u32),
                _ => (2usize, 0u32),
            };
            if mnemonic == Mnemonic::Div {
                let high = random.next() as u32 % divisor;
                match size {
                    1 => registers[0] = (registers[0] & !0xFF00) | (high << 8),
                    2 => registers[2] = (registers[2] & !0xFFFF) | high,
                    _ => registers[2] = high,
                }
                let _ = (high_register, shift);
            } else {
                match size {
                    1 => {
                        let low = registers[0] & 0x7F;
                        registers[0] = (registers[0] & !0xFFFF) | low;
                    }
                    2 => {
                        registers[0] &= !0x8000;
                        registers[2] &= !0xFFFF;
                    }
                    _ => {
                        let negative = registers[0] & 0x8000_0000 != 0;
                        registers[2] = if negative { u32::MAX } else { 0 };
                    }
                }
            }
        }
        Mnemonic::Bt | Mnemonic::Bts | Mnemonic::Btr | Mnemonic::Btc
            if instruction.op0_kind() == OpKind::Memory && instruction.op1_kind() == OpKind::Register =>
        {
            // A register bit offset reaches memory beyond the operand: keep it inside the scratch area.
            let register = instruction.op1_register();
            let bit = random.below(64 * 8) as u32;
            let number = register.number();
            if register.size() == 2 {
                registers[number] = (registers[number] & !0xFFFF) | bit;
            } else {
                registers[number] = bit;
            }
        }
        // aam 0 is #DE on both machines (a golden vector covers it).
        Mnemonic::Aam if instruction.immediate8() == 0 => return false,
        Mnemonic::Leave => registers[5] = SCRATCH + 32 + random.below(100) as u32,
        Mnemonic::Enter => registers[5] = SCRATCH + 128 + random.below(32) as u32 * 4,
        _ => {}
    }
    true
}

/// movs/stos/lods/cmps/scas, with or without a REP prefix.
fn string_instruction(
    code: Code,
    random: &mut Random,
    registers: &mut [u32; 8],
    eflags: &mut u32,
) -> Option<Instruction> {
    let repeat = random.below(2) == 0;
    let backwards = random.below(2) == 0;
    if backwards {
        *eflags |= 0x400;
    } else {
        *eflags &= !0x400;
    }
    registers[6] = SCRATCH + if backwards { 100 } else { 8 } + random.below(16) as u32;
    registers[7] = SCRATCH + if backwards { 220 } else { 130 } + random.below(16) as u32;
    registers[1] = random.below(9) as u32;
    let mnemonic = code.mnemonic();
    let compare = matches!(
        mnemonic,
        Mnemonic::Cmpsb | Mnemonic::Cmpsw | Mnemonic::Cmpsd | Mnemonic::Scasb | Mnemonic::Scasw | Mnemonic::Scasd
    );
    let prefix = match (repeat, compare, random.below(2)) {
        (false, _, _) => iced_x86::RepPrefixKind::None,
        (true, true, 0) => iced_x86::RepPrefixKind::Repne,
        _ => iced_x86::RepPrefixKind::Repe,
    };
    let instruction = match code {
        Code::Movsb_m8_m8 => Instruction::with_movsb(32, Register::None, prefix),
        Code::Movsw_m16_m16 => Instruction::with_movsw(32, Register::None, prefix),
        Code::Movsd_m32_m32 => Instruction::with_movsd(32, Register::None, prefix),
        Code::Stosb_m8_AL => Instruction::with_stosb(32, prefix),
        Code::Stosw_m16_AX => Instruction::with_stosw(32, prefix),
        Code::Stosd_m32_EAX => Instruction::with_stosd(32, prefix),
        Code::Lodsb_AL_m8 => Instruction::with_lodsb(32, Register::None, prefix),
        Code::Lodsw_AX_m16 => Instruction::with_lodsw(32, Register::None, prefix),
        Code::Lodsd_EAX_m32 => Instruction::with_lodsd(32, Register::None, prefix),
        Code::Cmpsb_m8_m8 => Instruction::with_cmpsb(32, Register::None, prefix),
        Code::Cmpsw_m16_m16 => Instruction::with_cmpsw(32, Register::None, prefix),
        Code::Cmpsd_m32_m32 => Instruction::with_cmpsd(32, Register::None, prefix),
        Code::Scasb_AL_m8 => Instruction::with_scasb(32, prefix),
        Code::Scasw_AX_m16 => Instruction::with_scasw(32, prefix),
        Code::Scasd_EAX_m32 => Instruction::with_scasd(32, prefix),
        _ => return None,
    };
    instruction.ok()
}
