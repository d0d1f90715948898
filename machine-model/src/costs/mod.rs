//! Cycle costs: one table per CPU, kept apart from the instruction handlers.
//!
//! Every figure names its source with the tags of `../shared/CYCLES.md`
//! (ALP, PRM, NG, HPC, AF, MA, MAME, 86B, DM97, AP500). Where sources
//! disagree the choice and the alternative are written next to the number;
//! a number no source gives is marked `estimate` with its reasoning.
//! Table cells assume what Intel's tables assume: cache hits, TLB hits,
//! aligned operands. Misses and misalignment are separate parameters below,
//! charged when they happen.

mod i486;
mod pentium;

use crate::CpuModel;
use iced_x86::{Instruction, OpKind, Register};

/// Pentium pairing class (DM97 §2.1.2, AP500; CYCLES.md "Pentium pairing in brief").
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Pairing {
    /// Pairs in either pipe.
    Both,
    /// Pairs only in the U pipe (first of a pair).
    UOnly,
    /// Pairs only in the V pipe (second of a pair): branches.
    VOnly,
    /// Never pairs.
    #[default]
    None,
}

/// How an instruction's clock count depends on what it did at run time.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Variable {
    /// A fixed count (`base`), plus `taken` if a branch was taken.
    #[default]
    Fixed,
    /// REP string: `zero` clocks for c = 0, `one` for c = 1, else `setup + per × c`.
    Repeat { zero: u16, one: u16, setup: u16, per: u16 },
    /// Plus `per` clocks for each unit of the handler's count (bits scanned,
    /// ENTER nesting levels).
    PerStep { per: u16 },
}

/// The cost of one decoded instruction.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Cost {
    /// Clocks with everything hitting, a branch not taken.
    pub base: u16,
    /// Clocks added when a branch is taken (or SETcc sets, CMPXCHG fails);
    /// negative when that path is the faster one (SETcc to memory on the 486).
    pub taken: i16,
    pub variable: Variable,
    pub pairing: Pairing,
    /// Prefix bytes other than REP/REPNE.
    pub prefixes: u8,
    /// General registers read to form a memory address (bit per register number).
    pub address_registers: u8,
    /// General registers read as operands.
    pub reads: u8,
    /// General registers written.
    pub writes: u8,
    /// Whether the instruction is a branch the Pentium's BTB predicts.
    pub predicted_branch: bool,
    /// A multi-cycle instruction (for the P5's 0F/prefix decode rule).
    pub multi_cycle: bool,
    /// An 0F-escaped opcode other than Jcc (P5: +1 decode clock).
    pub escape_0f: bool,
    /// Uses ESP implicitly (push, pop, call, ret): PUSH+PUSH and POP+POP still pair.
    pub implicit_stack: bool,
}

/// A CPU's cost table: per-instruction costs plus the costs of events that
/// are not instructions (ring transitions, misses).
#[derive(Debug)]
pub struct CostTable {
    pub model: CpuModel,
    /// Per-instruction cost from the decoded instruction and its prefix count.
    pub instruction: fn(&Instruction) -> Cost,
    /// `int n` to an inner privilege level (ring 3 → 0).
    pub int_to_inner: u32,
    /// `int3` to an inner privilege level.
    pub int3_to_inner: u32,
    /// Exception or hardware interrupt delivered from ring 3 to ring 0.
    pub exception_to_inner: u32,
    /// A hardware interrupt delivered in ring 0 (the kernel's idle loop):
    /// to the same privilege, no stack switch.
    pub interrupt_same_privilege: u32,
    /// `iret` to an outer privilege level (ring 0 → 3).
    pub iret_to_outer: u32,
    /// `mov cr3, r32`.
    pub mov_cr3: u32,
    pub invlpg_present: u32,
    pub invlpg_absent: u32,
    /// `mov sreg, r16` in protected mode.
    pub mov_segment: u32,
    /// Extra clocks for a segment load beyond the table cell (0: the cells include it).
    pub segment_load_extra: u32,
    /// A TLB miss: the hardware page walk.
    pub tlb_miss: u32,
    /// A primary cache miss (line fill).
    pub cache_miss: u32,
    /// A misaligned memory access.
    pub misaligned: u32,
    /// `out dx, al` / `in al, dx` by the kernel (protected mode, CPL ≤ IOPL).
    pub port_out_kernel: u32,
    pub port_in_kernel: u32,
    /// Pentium: mispredicted branch in the U / V pipe.
    pub mispredict_u: u32,
    pub mispredict_v: u32,
    /// Clocks per prefix byte (486: PRM; P5: DM97, and pairs only in U).
    pub prefix: u32,
    /// Address-generation interlock.
    pub agi: u32,
}

/// The table of a CPU model.
pub fn table(model: CpuModel) -> &'static CostTable {
    match model {
        CpuModel::I486 => &i486::TABLE,
        CpuModel::Pentium => &pentium::TABLE,
    }
}

/// Operand shapes the tables distinguish.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Form {
    /// No explicit operands.
    None,
    /// One register.
    Register,
    /// One memory operand.
    Memory,
    /// register, register
    RegisterRegister,
    /// register, immediate
    RegisterImmediate,
    /// register, memory
    RegisterMemory,
    /// memory, register
    MemoryRegister,
    /// memory, immediate
    MemoryImmediate,
    /// Anything else (branches, three operands…).
    Other,
}

fn is_immediate(kind: OpKind) -> bool {
    matches!(
        kind,
        OpKind::Immediate8
            | OpKind::Immediate16
            | OpKind::Immediate32
            | OpKind::Immediate8to16
            | OpKind::Immediate8to32
            | OpKind::Immediate8_2nd
    )
}

impl Form {
    pub(crate) fn of(instruction: &Instruction) -> Form {
        let kinds: Vec<OpKind> = (0..instruction.op_count()).map(|index| instruction.op_kind(index)).collect();
        match kinds.as_slice() {
            [] => Form::None,
            [OpKind::Register] => Form::Register,
            [OpKind::Memory] => Form::Memory,
            [OpKind::Register, OpKind::Register] => Form::RegisterRegister,
            [OpKind::Register, kind] if is_immediate(*kind) => Form::RegisterImmediate,
            [OpKind::Register, OpKind::Memory] => Form::RegisterMemory,
            [OpKind::Memory, OpKind::Register] => Form::MemoryRegister,
            [OpKind::Memory, kind] if is_immediate(*kind) => Form::MemoryImmediate,
            _ => Form::Other,
        }
    }
    pub(crate) fn has_memory(self) -> bool {
        matches!(self, Form::Memory | Form::RegisterMemory | Form::MemoryRegister | Form::MemoryImmediate)
    }
}

/// Bit for a general register in the masks (any width maps to its full register).
fn register_bit(register: Register) -> u8 {
    if register.is_gpr8() || register.is_gpr16() || register.is_gpr32() {
        let number = register.number();
        let number = if register.is_gpr8() { number & 3 } else { number };
        1 << number
    } else {
        0
    }
}

/// Fill the fields every table shares: prefixes, register masks.
pub(crate) fn common(instruction: &Instruction) -> Cost {
    let mut cost = Cost::default();
    let mut prefixes = 0u8;
    if instruction.has_segment_prefix() {
        prefixes += 1;
    }
    if instruction.has_lock_prefix() {
        prefixes += 1;
    }
    // Operand- and address-size prefixes: 16-bit operands or addressing in 32-bit code.
    let sixteen_operand = (0..instruction.op_count()).any(|index| {
        let kind = instruction.op_kind(index);
        (kind == OpKind::Register && instruction.op_register(index).is_gpr16())
            || (kind == OpKind::Memory && instruction.memory_size().size() == 2 && !is_segment_instruction(instruction))
    });
    if sixteen_operand && !is_segment_instruction(instruction) {
        prefixes += 1;
    }
    if instruction.memory_base().is_gpr16() || instruction.memory_index().is_gpr16() {
        prefixes += 1;
    }
    cost.prefixes = prefixes;
    cost.address_registers = register_bit(instruction.memory_base()) | register_bit(instruction.memory_index());
    for index in 0..instruction.op_count() {
        if instruction.op_kind(index) == OpKind::Register {
            let bit = register_bit(instruction.op_register(index));
            if index == 0 {
                cost.writes |= bit;
                if !matches!(
                    instruction.mnemonic(),
                    iced_x86::Mnemonic::Mov
                        | iced_x86::Mnemonic::Movzx
                        | iced_x86::Mnemonic::Movsx
                        | iced_x86::Mnemonic::Lea
                        | iced_x86::Mnemonic::Pop
                ) {
                    cost.reads |= bit;
                }
            } else {
                cost.reads |= bit;
            }
        }
    }
    // Implicit stack pointer use.
    if instruction.stack_pointer_increment() != 0 {
        cost.reads |= 1 << 4;
        cost.writes |= 1 << 4;
        cost.implicit_stack = true;
    }
    cost.escape_0f = is_two_byte(instruction);
    cost
}

/// Segment loads and stores take a 16-bit operand without a size prefix.
fn is_segment_instruction(instruction: &Instruction) -> bool {
    (0..instruction.op_count()).any(|index| {
        instruction.op_kind(index) == OpKind::Register && instruction.op_register(index).is_segment_register()
    }) || matches!(
        instruction.mnemonic(),
        iced_x86::Mnemonic::Lds
            | iced_x86::Mnemonic::Les
            | iced_x86::Mnemonic::Lfs
            | iced_x86::Mnemonic::Lgs
            | iced_x86::Mnemonic::Lss
            | iced_x86::Mnemonic::Arpl
            | iced_x86::Mnemonic::Lar
            | iced_x86::Mnemonic::Lsl
            | iced_x86::Mnemonic::Verr
            | iced_x86::Mnemonic::Verw
            | iced_x86::Mnemonic::Sldt
            | iced_x86::Mnemonic::Str
            | iced_x86::Mnemonic::Smsw
    )
}

/// Whether the opcode is in the 0F two-byte map.
fn is_two_byte(instruction: &Instruction) -> bool {
    use iced_x86::Mnemonic::*;
    matches!(
        instruction.mnemonic(),
        Movzx
            | Movsx
            | Bt
            | Bts
            | Btr
            | Btc
            | Bsf
            | Bsr
            | Shld
            | Shrd
            | Bswap
            | Cmpxchg
            | Xadd
            | Cmpxchg8b
            | Cpuid
            | Rdtsc
            | Lfs
            | Lgs
            | Lss
            | Seto
            | Setno
            | Setb
            | Setae
            | Sete
            | Setne
            | Setbe
            | Seta
            | Sets
            | Setns
            | Setp
            | Setnp
            | Setl
            | Setge
            | Setle
            | Setg
            | Lar
            | Lsl
            | Imul
    ) && !(instruction.mnemonic() == Imul && instruction.op_count() != 2)
        || (instruction.mnemonic() == Push || instruction.mnemonic() == Pop)
            && matches!(instruction.op0_register(), Register::FS | Register::GS)
}

/// How a shift or rotate gets its count.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ShiftKind {
    /// The D0/D1 forms: by 1.
    One,
    /// By CL.
    Cl,
    /// By an immediate byte (C0/C1).
    Immediate,
}

pub(crate) fn shift_kind(instruction: &Instruction) -> ShiftKind {
    if instruction.op_count() > 1 && instruction.op1_kind() == OpKind::Register {
        return ShiftKind::Cl;
    }
    // iced names the by-one forms …_1 (e.g. Shl_rm32_1).
    if format!("{:?}", instruction.code()).ends_with("_1") { ShiftKind::One } else { ShiftKind::Immediate }
}
