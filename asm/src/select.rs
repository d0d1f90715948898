//! Instruction selection from iced-x86's opcode tables.
//!
//! For a mnemonic, every `Code` valid in 32-bit mode is a candidate. A
//! candidate whose operand kinds accept the written operands is encoded at
//! the instruction's address; among those that encode, the default operand
//! and address size (32-bit) wins, then the shortest encoding. A memory
//! operand without a size that leaves candidates of different sizes is
//! ambiguous, as in NASM. Branch displacements out of range simply fail to
//! encode, so `jmp` picks rel8 when it reaches and rel32 otherwise.

use crate::operands::{Address, Distance};
use iced_x86::{Code, Encoder, Instruction, OpCodeOperandKind as Kind, OpKind, Register, RepPrefixKind};
use std::collections::HashMap;
use std::sync::OnceLock;

/// An operand with every expression evaluated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Resolved {
    Register(Register),
    Memory { size: Option<u32>, segment: Option<Register>, address: Address, far: bool },
    Immediate { value: i64, size: Option<u32>, relocatable: bool, distance: Distance },
    Far { selector: u16, offset: u32 },
}

/// Prefixes written before the mnemonic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Prefixes {
    pub rep: bool,
    pub repne: bool,
    pub lock: bool,
    /// `o16`: the 16-bit operand-size form (0x66).
    pub operand16: bool,
}

/// Why selection failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SelectError {
    UnknownMnemonic,
    /// No form takes these operands; the text names what the forms take.
    NoForm(String),
    /// A memory operand needs a size; the sizes that would fit.
    AmbiguousSize(Vec<u32>),
    /// Every matching form failed to encode (the first encoder message).
    Encoding(String),
}

/// What was chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    pub code: Code,
    pub bytes: Vec<u8>,
}

/// NASM spellings that iced names differently; in 32-bit code the plain
/// forms of pusha/popa/pushf/popf/iret are the 32-bit ones.
const ALIASES: &[(&str, &str)] = &[
    ("jz", "je"),
    ("jnz", "jne"),
    ("jc", "jb"),
    ("jnae", "jb"),
    ("jnc", "jae"),
    ("jnb", "jae"),
    ("jna", "jbe"),
    ("jnbe", "ja"),
    ("jpe", "jp"),
    ("jpo", "jnp"),
    ("jnge", "jl"),
    ("jnl", "jge"),
    ("jng", "jle"),
    ("jnle", "jg"),
    ("setz", "sete"),
    ("setnz", "setne"),
    ("setc", "setb"),
    ("setnae", "setb"),
    ("setnc", "setae"),
    ("setnb", "setae"),
    ("setna", "setbe"),
    ("setnbe", "seta"),
    ("setpe", "setp"),
    ("setpo", "setnp"),
    ("setnge", "setl"),
    ("setnl", "setge"),
    ("setng", "setle"),
    ("setnle", "setg"),
    ("sal", "shl"),
    ("pusha", "pushad"),
    ("popa", "popad"),
    ("pushf", "pushfd"),
    ("popf", "popfd"),
    ("iret", "iretd"),
    ("pushaw", "pusha"),
    ("popaw", "popa"),
    ("pushfw", "pushf"),
    ("popfw", "popf"),
    ("iretw", "iret"),
    ("xlat", "xlatb"),
    ("retn", "ret"),
    ("loopz", "loope"),
    ("loopnz", "loopne"),
    ("int1", "int1"),
    ("icebp", "int1"),
    ("fwait", "wait"),
];

/// Mnemonics whose operands are implicit (string instructions).
const STRINGS: &[&str] = &[
    "movsb", "movsw", "movsd", "stosb", "stosw", "stosd", "lodsb", "lodsw", "lodsd", "cmpsb", "cmpsw", "cmpsd",
    "scasb", "scasw", "scasd", "insb", "insw", "insd", "outsb", "outsw", "outsd", "xlatb",
];

fn table() -> &'static HashMap<String, Vec<Code>> {
    static TABLE: OnceLock<HashMap<String, Vec<Code>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table: HashMap<String, Vec<Code>> = HashMap::new();
        for code in Code::values() {
            let info = code.op_code();
            if code == Code::INVALID
                || !info.mode32()
                || !info.is_instruction()
                || info.decoder_option() != iced_x86::DecoderOptions::NONE
            {
                continue;
            }
            if info.encoding() != iced_x86::EncodingKind::Legacy {
                continue;
            }
            // `pop cs` existed only on the 8086: since the 286, 0F escapes to two-byte opcodes.
            if code.cpuid_features().contains(&iced_x86::CpuidFeature::INTEL8086_ONLY) {
                continue;
            }
            table.entry(format!("{:?}", code.mnemonic()).to_ascii_lowercase()).or_default().push(code);
        }
        table
    })
}

/// The integer instructions, which suggestions prefer on a tie ("movv" → "mov", not "movd").
const COMMON: &[&str] = &[
    "mov", "add", "sub", "cmp", "and", "or", "xor", "test", "inc", "dec", "push", "pop", "call", "ret", "jmp", "lea",
    "int", "nop", "shl", "shr", "sar", "mul", "imul", "div", "idiv", "neg", "not", "movzx", "movsx", "xchg", "loop",
    "adc", "sbb", "rol", "ror", "rcl", "rcr", "hlt", "cli", "sti", "in", "out", "je", "jne", "jmp", "leave", "enter",
];

/// Every mnemonic the assembler knows, in a fixed order (for suggestions).
pub fn mnemonics() -> Vec<&'static str> {
    static ORDERED: OnceLock<Vec<&'static str>> = OnceLock::new();
    ORDERED
        .get_or_init(|| {
            let mut rest: Vec<&'static str> =
                table().keys().map(String::as_str).chain(ALIASES.iter().map(|(alias, _)| *alias)).collect();
            rest.sort_unstable();
            rest.dedup();
            rest.retain(|name| !COMMON.contains(name));
            COMMON.iter().copied().chain(rest).collect()
        })
        .clone()
}

/// The iced mnemonic name for a written one.
pub fn canonical(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    ALIASES.iter().find(|(alias, _)| *alias == lower).map(|(_, real)| real.to_string()).unwrap_or(lower)
}

pub fn is_known(name: &str) -> bool {
    let name = canonical(name);
    if matches!(name.as_str(), "o16" | "o32" | "a32" | "retw" | "retfw") {
        return true;
    }
    table().contains_key(&name) || STRINGS.contains(&name.as_str())
}

/// Whether an immediate fits a kind.
fn fits(kind: Kind, value: i64) -> bool {
    match kind {
        Kind::imm8 => (-128..=255).contains(&value),
        Kind::imm8sex16 => (-128..=127).contains(&value) || (0xFF80..=0xFFFF).contains(&value),
        Kind::imm8sex32 => (-128..=127).contains(&value) || (0xFFFF_FF80..=0xFFFF_FFFF).contains(&value),
        Kind::imm16 => (-32768..=65535).contains(&value),
        Kind::imm32 => (-(1i64 << 31)..=0xFFFF_FFFF).contains(&value),
        Kind::imm8_const_1 => value == 1,
        _ => false,
    }
}

fn register_kind_accepts(kind: Kind, register: Register) -> bool {
    match kind {
        Kind::r8_reg | Kind::r8_or_mem | Kind::r8_opcode => register.is_gpr8(),
        Kind::r16_reg | Kind::r16_rm | Kind::r16_or_mem | Kind::r16_opcode | Kind::r16_reg_mem => register.is_gpr16(),
        Kind::r32_reg | Kind::r32_rm | Kind::r32_or_mem | Kind::r32_opcode | Kind::r32_reg_mem => register.is_gpr32(),
        Kind::al => register == Register::AL,
        Kind::cl => register == Register::CL,
        Kind::ax => register == Register::AX,
        Kind::dx => register == Register::DX,
        Kind::eax => register == Register::EAX,
        Kind::seg_reg => register.is_segment_register(),
        Kind::es => register == Register::ES,
        Kind::cs => register == Register::CS,
        Kind::ss => register == Register::SS,
        Kind::ds => register == Register::DS,
        Kind::fs => register == Register::FS,
        Kind::gs => register == Register::GS,
        Kind::cr_reg => register.is_cr(),
        Kind::dr_reg => register.is_dr(),
        Kind::tr_reg => register.is_tr(),
        Kind::st0 => register == Register::ST0,
        Kind::sti_opcode => register.is_st(),
        Kind::mm_reg | Kind::mm_rm | Kind::mm_or_mem => register.is_mm(),
        Kind::xmm_reg | Kind::xmm_rm | Kind::xmm_or_mem => register.is_xmm(),
        _ => false,
    }
}

fn memory_kind(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::r8_or_mem
            | Kind::r16_or_mem
            | Kind::r32_or_mem
            | Kind::mem
            | Kind::mem_offs
            | Kind::mm_or_mem
            | Kind::xmm_or_mem
    )
}

/// The memory operand size a code implies (0 = any).
fn memory_size_of(code: Code) -> u32 {
    let mut probe = Instruction::default();
    probe.set_code(code);
    probe.memory_size().size() as u32
}

/// Fill in operand `index` of `instruction` for kind `kind`.
fn set_operand(
    instruction: &mut Instruction,
    index: u32,
    kind: Kind,
    operand: &Resolved,
    second_immediate: bool,
) -> bool {
    match (operand, kind) {
        (Resolved::Register(register), _) if register_kind_accepts(kind, *register) => {
            instruction.set_op_kind(index, OpKind::Register);
            instruction.set_op_register(index, *register);
        }
        (Resolved::Memory { segment, address, .. }, _) if memory_kind(kind) => {
            if kind == Kind::mem_offs && (address.base != Register::None || address.index != Register::None) {
                return false;
            }
            let sixteen = address.base.is_gpr16() || address.index.is_gpr16();
            instruction.set_op_kind(index, OpKind::Memory);
            instruction.set_memory_base(address.base);
            instruction.set_memory_index(address.index);
            instruction.set_memory_index_scale(address.scale);
            instruction.set_memory_displacement32(address.displacement as u32);
            let absolute = address.base == Register::None && address.index == Register::None;
            let displacement_size = if kind == Kind::mem_offs || address.relocatable || absolute {
                if sixteen { 2 } else { 4 }
            } else if address.displacement == 0 {
                0
            } else if (-128..=127).contains(&address.displacement) {
                1
            } else if sixteen {
                2
            } else {
                4
            };
            instruction.set_memory_displ_size(displacement_size);
            instruction.set_segment_prefix(segment.unwrap_or(Register::None));
        }
        (
            Resolved::Immediate { value, .. },
            Kind::imm8 | Kind::imm8sex16 | Kind::imm8sex32 | Kind::imm16 | Kind::imm32 | Kind::imm8_const_1,
        ) => {
            if !fits(kind, *value) {
                return false;
            }
            let value = *value;
            match kind {
                Kind::imm8 | Kind::imm8_const_1 if second_immediate => {
                    instruction.set_op_kind(index, OpKind::Immediate8_2nd);
                    instruction.set_immediate8_2nd(value as u8);
                }
                Kind::imm8 | Kind::imm8_const_1 => {
                    instruction.set_op_kind(index, OpKind::Immediate8);
                    instruction.set_immediate8(value as u8);
                }
                Kind::imm8sex16 => {
                    instruction.set_op_kind(index, OpKind::Immediate8to16);
                    instruction.set_immediate8to16(value as i8 as i16);
                }
                Kind::imm8sex32 => {
                    instruction.set_op_kind(index, OpKind::Immediate8to32);
                    instruction.set_immediate8to32(value as i8 as i32);
                }
                Kind::imm16 => {
                    instruction.set_op_kind(index, OpKind::Immediate16);
                    instruction.set_immediate16(value as u16);
                }
                _ => {
                    instruction.set_op_kind(index, OpKind::Immediate32);
                    instruction.set_immediate32(value as u32);
                }
            }
        }
        (Resolved::Immediate { value, distance, .. }, Kind::br16_1 | Kind::br32_1 | Kind::br16_2 | Kind::br32_4) => {
            let short = matches!(kind, Kind::br16_1 | Kind::br32_1);
            if (*distance == Distance::Short && !short)
                || (*distance == Distance::Near && short)
                || *distance == Distance::Far
            {
                return false;
            }
            if matches!(kind, Kind::br16_1 | Kind::br16_2) {
                instruction.set_op_kind(index, OpKind::NearBranch16);
                instruction.set_near_branch16(*value as u16);
            } else {
                instruction.set_op_kind(index, OpKind::NearBranch32);
                instruction.set_near_branch32(*value as u32);
            }
        }
        (Resolved::Far { selector, offset }, Kind::farbr4_2) => {
            instruction.set_op_kind(index, OpKind::FarBranch32);
            instruction.set_far_branch32(*offset);
            instruction.set_far_branch_selector(*selector);
        }
        (Resolved::Far { selector, offset }, Kind::farbr2_2) => {
            if *offset > 0xFFFF {
                return false;
            }
            instruction.set_op_kind(index, OpKind::FarBranch16);
            instruction.set_far_branch16(*offset as u16);
            instruction.set_far_branch_selector(*selector);
        }
        _ => return false,
    }
    true
}

/// Whether any written operand asks for 16-bit operation.
fn wants_sixteen_bits(operands: &[Resolved]) -> bool {
    operands.iter().any(|operand| match operand {
        Resolved::Register(register) => register.is_gpr16(),
        Resolved::Memory { size: Some(2), .. } | Resolved::Immediate { size: Some(2), .. } => true,
        Resolved::Memory { address, .. } => address.base.is_gpr16() || address.index.is_gpr16(),
        _ => false,
    })
}

fn string_instruction(name: &str, prefixes: Prefixes, segment: Register) -> Option<Instruction> {
    let repeat = if prefixes.repne {
        RepPrefixKind::Repne
    } else if prefixes.rep {
        RepPrefixKind::Repe
    } else {
        RepPrefixKind::None
    };
    let built = match name {
        "movsb" => Instruction::with_movsb(32, segment, repeat),
        "movsw" => Instruction::with_movsw(32, segment, repeat),
        "movsd" => Instruction::with_movsd(32, segment, repeat),
        "stosb" => Instruction::with_stosb(32, repeat),
        "stosw" => Instruction::with_stosw(32, repeat),
        "stosd" => Instruction::with_stosd(32, repeat),
        "lodsb" => Instruction::with_lodsb(32, segment, repeat),
        "lodsw" => Instruction::with_lodsw(32, segment, repeat),
        "lodsd" => Instruction::with_lodsd(32, segment, repeat),
        "cmpsb" => Instruction::with_cmpsb(32, segment, repeat),
        "cmpsw" => Instruction::with_cmpsw(32, segment, repeat),
        "cmpsd" => Instruction::with_cmpsd(32, segment, repeat),
        "scasb" => Instruction::with_scasb(32, repeat),
        "scasw" => Instruction::with_scasw(32, repeat),
        "scasd" => Instruction::with_scasd(32, repeat),
        "insb" => Instruction::with_insb(32, repeat),
        "insw" => Instruction::with_insw(32, repeat),
        "insd" => Instruction::with_insd(32, repeat),
        "outsb" => Instruction::with_outsb(32, segment, repeat),
        "outsw" => Instruction::with_outsw(32, segment, repeat),
        "outsd" => Instruction::with_outsd(32, segment, repeat),
        "xlatb" => {
            Instruction::with1(Code::Xlat_m8, iced_x86::MemoryOperand::with_base_index(Register::EBX, Register::AL))
        }
        _ => return None,
    };
    built.ok()
}

fn encode(instruction: &Instruction, address: u32) -> Result<Vec<u8>, String> {
    let mut encoder = Encoder::new(32);
    encoder.encode(instruction, address as u64).map_err(|error| error.to_string())?;
    Ok(encoder.take_buffer())
}

/// Choose and encode an instruction at `address`. `minimum_length` keeps a
/// form chosen in an earlier pass from shrinking (so layout converges).
pub fn select(
    mnemonic: &str,
    operands: &[Resolved],
    prefixes: Prefixes,
    address: u32,
    minimum_length: usize,
) -> Result<Encoded, SelectError> {
    let mut prefixes = prefixes;
    let mut name = canonical(mnemonic);
    // `retw`/`retfw`: the 16-bit returns.
    if let Some(base) = name.strip_suffix('w').filter(|base| matches!(*base, "ret" | "retf")) {
        name = base.to_string();
        prefixes.operand16 = true;
    }
    // `imul reg, imm` is `imul reg, reg, imm`; `aam`/`aad` alone mean base 10.
    let expanded;
    let ten =
        [Resolved::Immediate { value: 10, size: None, relocatable: false, distance: crate::operands::Distance::Any }];
    let operands = match operands {
        [] if name == "aam" || name == "aad" => &ten[..],
        [Resolved::Register(register), immediate @ Resolved::Immediate { .. }] if name == "imul" => {
            expanded = [Resolved::Register(*register), Resolved::Register(*register), *immediate];
            &expanded[..]
        }
        _ => operands,
    };
    // xchg is symmetric: the register-first spelling selects the r/m, r forms too.
    if name == "xchg" && operands.len() == 2 {
        let swapped = [operands[1], operands[0]];
        if let Ok(encoded) = select_named(&name, &swapped, prefixes, address, minimum_length) {
            return Ok(encoded);
        }
    }
    select_named(&name, operands, prefixes, address, minimum_length)
}

fn select_named(
    name: &str,
    operands: &[Resolved],
    prefixes: Prefixes,
    address: u32,
    minimum_length: usize,
) -> Result<Encoded, SelectError> {
    let name = name.to_string();
    if STRINGS.contains(&name.as_str()) && operands.is_empty() {
        let instruction = string_instruction(&name, prefixes, Register::None).ok_or(SelectError::UnknownMnemonic)?;
        let bytes = encode(&instruction, address).map_err(SelectError::Encoding)?;
        return Ok(Encoded { code: instruction.code(), bytes });
    }
    let candidates = table().get(&name).ok_or(SelectError::UnknownMnemonic)?;
    let sixteen_wanted = wants_sixteen_bits(operands);
    let mut encoded: Vec<(bool, Encoded, u32)> = Vec::new();
    let mut first_error = None;
    let mut shapes = Vec::new();
    for &code in candidates {
        let info = code.op_code();
        let count = info.op_count();
        shapes.push(describe_form(code));
        if count as usize != operands.len() {
            continue;
        }
        let mut instruction = Instruction::default();
        instruction.set_code(code);
        let code_memory_size = memory_size_of(code);
        let code_far_pointer = {
            let mut probe = Instruction::default();
            probe.set_code(code);
            matches!(probe.memory_size(), iced_x86::MemorySize::SegPtr16 | iced_x86::MemorySize::SegPtr32)
        };
        let mut accepted = true;
        let mut immediates = 0;
        for (index, operand) in operands.iter().enumerate() {
            let kind = info.op_kind(index as u32);
            // `far` selects the far-pointer forms of jmp and call; lds & co. only have those.
            let transfer = matches!(code.mnemonic(), iced_x86::Mnemonic::Jmp | iced_x86::Mnemonic::Call);
            if let Resolved::Memory { far, .. } = operand
                && ((*far && !code_far_pointer) || (!*far && code_far_pointer && transfer))
            {
                accepted = false;
                break;
            }
            if let Resolved::Memory { size: Some(size), .. } = operand
                && code_memory_size != 0
                && *size != code_memory_size
            {
                accepted = false;
                break;
            }
            if let Resolved::Immediate { size: Some(size), .. } = operand
                && info.operand_size() != 0
                && info.operand_size() != size * 8
                && !matches!(kind, Kind::imm8 | Kind::imm16)
            {
                accepted = false;
                break;
            }
            let second = matches!(operand, Resolved::Immediate { .. }) && immediates > 0;
            if matches!(operand, Resolved::Immediate { .. }) {
                immediates += 1;
            }
            // `lldt dx`: the r32/m16 forms of instructions that read a selector
            // name the register by its 16-bit name.
            let widened;
            let reads_selector = matches!(
                code.mnemonic(),
                iced_x86::Mnemonic::Lldt
                    | iced_x86::Mnemonic::Ltr
                    | iced_x86::Mnemonic::Verr
                    | iced_x86::Mnemonic::Verw
                    | iced_x86::Mnemonic::Lmsw
            );
            let operand = match operand {
                Resolved::Register(register)
                    if reads_selector && kind == Kind::r32_or_mem && code_memory_size == 2 && register.is_gpr16() =>
                {
                    widened = Resolved::Register(register.full_register32());
                    &widened
                }
                other => other,
            };
            if !set_operand(&mut instruction, index as u32, kind, operand, second) {
                accepted = false;
                break;
            }
        }
        if !accepted {
            continue;
        }
        if prefixes.rep {
            instruction.set_has_rep_prefix(true);
        }
        if prefixes.repne {
            instruction.set_has_repne_prefix(true);
        }
        if prefixes.lock {
            instruction.set_has_lock_prefix(true);
        }
        if prefixes.operand16 && info.operand_size() == 32 {
            continue;
        }
        let non_default =
            (info.operand_size() == 16 && !sixteen_wanted && !prefixes.operand16) || info.address_size() == 16;
        match encode(&instruction, address) {
            Ok(bytes) => encoded.push((non_default, Encoded { code, bytes }, code_memory_size)),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    // jmp and call through memory default to the 32-bit operand size, as in NASM.
    if matches!(name.as_str(), "jmp" | "call") && encoded.iter().any(|(non_default, _, _)| !*non_default) {
        encoded.retain(|(non_default, _, _)| !*non_default);
    }
    // A memory operand without a size that fits forms of different sizes is ambiguous.
    let unsized_memory = operands.iter().any(|operand| matches!(operand, Resolved::Memory { size: None, .. }));
    let sized_immediate = operands.iter().any(|operand| matches!(operand, Resolved::Immediate { size: Some(_), .. }));
    if unsized_memory && !sized_immediate {
        let mut sizes: Vec<u32> = encoded.iter().map(|(_, _, size)| *size).filter(|size| *size != 0).collect();
        sizes.sort_unstable();
        sizes.dedup();
        if sizes.len() > 1 {
            return Err(SelectError::AmbiguousSize(sizes));
        }
    }
    if let Some(Resolved::Immediate { size: Some(size), .. }) =
        operands.iter().find(|operand| matches!(operand, Resolved::Immediate { size: Some(_), .. }))
        && unsized_memory
    {
        encoded.retain(|(_, _, memory)| *memory == 0 || memory == size);
    }
    encoded.sort_by_key(|(non_default, candidate, _)| (*non_default, candidate.bytes.len()));
    if let Some(best_default) = encoded.first().map(|(non_default, _, _)| *non_default) {
        encoded.retain(|(non_default, _, _)| *non_default == best_default);
    }
    let chosen = encoded
        .iter()
        .find(|(_, candidate, _)| candidate.bytes.len() >= minimum_length)
        .or_else(|| encoded.last())
        .map(|(_, candidate, _)| candidate.clone());
    match chosen {
        Some(candidate) => Ok(candidate),
        None => match first_error {
            Some(error) => Err(SelectError::Encoding(error)),
            None => {
                shapes.sort();
                shapes.dedup();
                Err(SelectError::NoForm(shapes.join(", ")))
            }
        },
    }
}

/// How a form's operands read ("r/m32, imm8").
fn describe_form(code: Code) -> String {
    let info = code.op_code();
    let parts: Vec<&str> = (0..info.op_count())
        .map(|index| match info.op_kind(index) {
            Kind::r8_reg | Kind::r8_opcode => "r8",
            Kind::r16_reg | Kind::r16_rm | Kind::r16_opcode => "r16",
            Kind::r32_reg | Kind::r32_rm | Kind::r32_opcode => "r32",
            Kind::r8_or_mem => "r/m8",
            Kind::r16_or_mem => "r/m16",
            Kind::r32_or_mem => "r/m32",
            Kind::mem | Kind::mem_offs => "m",
            Kind::imm8 | Kind::imm8sex16 | Kind::imm8sex32 => "imm8",
            Kind::imm16 => "imm16",
            Kind::imm32 => "imm32",
            Kind::imm8_const_1 => "1",
            Kind::al => "al",
            Kind::ax => "ax",
            Kind::eax => "eax",
            Kind::cl => "cl",
            Kind::dx => "dx",
            Kind::seg_reg => "sreg",
            Kind::br16_1 | Kind::br32_1 | Kind::br16_2 | Kind::br32_4 => "label",
            Kind::farbr2_2 | Kind::farbr4_2 => "sel:offset",
            Kind::cr_reg => "crN",
            Kind::dr_reg => "drN",
            _ => "…",
        })
        .collect();
    if parts.is_empty() { "(no operands)".to_string() } else { parts.join(", ") }
}
