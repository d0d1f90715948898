//! i486 clock counts (CYCLES.md; Intel i486 PRM and IBM's ALP transcription
//! of Intel's table are the primary sources; HPC, NG, MAME cross-check).

use super::{Cost, CostTable, Form, ShiftKind, Variable, common, shift_kind};
use crate::CpuModel;
use iced_x86::{Instruction, Mnemonic, OpKind};

pub(super) static TABLE: CostTable = CostTable {
    model: CpuModel::I486,
    instruction: cost,
    // INT imm8, protected mode, to inner privilege: 71 (ALP, PRM, HPC, 86B).
    int_to_inner: 71,
    // INT 3 to inner: 71 (PRM, HPC); ALP prints 82. PRM chosen: same source as the INT n row.
    int3_to_inner: 71,
    // Exceptions and interrupts: Intel gives no separate figure; charged as INT n to inner.
    exception_to_inner: 71,
    // INT imm8, protected mode, same privilege: 44 (ALP, PRM, HPC, 86B); a
    // hardware interrupt in the idle loop is charged as it.
    interrupt_same_privilege: 44,
    // IRET, protected mode, to outer privilege: 36 (ALP, PRM, 86B).
    iret_to_outer: 36,
    // MOV CR3, r32: 4 (ALP, PRM, HPC, MAME).
    mov_cr3: 4,
    // INVLPG: 12 if the TLB entry is present, 11 if not (ALP, PRM).
    invlpg_present: 12,
    invlpg_absent: 11,
    // MOV Sreg, r16 in protected mode: 3 (ALP, PRM "pm=3", MAME); NG says 9.
    mov_segment: 3,
    segment_load_extra: 0,
    // TLB miss: ≈ 9 cycles (Liedtke 1995, REFERENCE.md input).
    tlb_miss: 9,
    // Primary cache miss on a 486/50: ≈ 3 cycles (REFERENCE.md, derived from the
    // paper's 57 cycles = 3 TLB misses × 9 + 10 cache misses × 3).
    cache_miss: 3,
    // Misaligned access: +3 (PRM; 86B timing_misaligned = 3).
    misaligned: 3,
    // OUT DX, AL at CPL ≤ IOPL: 10; IN AL, DX: 8 (PRM, NG DX forms).
    port_out_kernel: 10,
    port_in_kernel: 8,
    mispredict_u: 0,
    mispredict_v: 0,
    // +1 clock per prefix byte (PRM; MA ch. 13).
    prefix: 1,
    // AGI: +1 when an address register was written by the previous instruction (PRM; MA ch. 12).
    agi: 1,
};

fn fixed(base: u16) -> Cost {
    Cost { base, ..Cost::default() }
}

fn branch(not_taken: u16, taken: u16) -> Cost {
    Cost { base: not_taken, taken: taken as i16 - not_taken as i16, ..Cost::default() }
}

fn repeat(single: u16, zero: u16, one: u16, setup: u16, per: u16, repeated: bool) -> Cost {
    if repeated {
        Cost { base: 0, variable: Variable::Repeat { zero, one, setup, per }, ..Cost::default() }
    } else {
        fixed(single)
    }
}

/// The i486 cost of an instruction.
pub(super) fn cost(instruction: &Instruction) -> Cost {
    let form = Form::of(instruction);
    let memory = form.has_memory();
    let size = if instruction.op_count() > 0 && instruction.op0_kind() == OpKind::Register {
        instruction.op0_register().size()
    } else {
        instruction.memory_size().size()
    };
    let repeated = instruction.has_rep_prefix() || instruction.has_repne_prefix();
    use Mnemonic::*;
    let mut cost = match instruction.mnemonic() {
        // MOV: 1 in every form (ALP, NG, PRM, HPC).
        Mov if instruction.op0_register().is_segment_register() => fixed(if memory { 9 } else { 3 }), // ALP, PRM, MAME
        Mov if instruction.op1_register().is_segment_register() => fixed(3), // ALP, NG, HPC, MAME
        Mov if instruction.op0_register().is_cr() || instruction.op1_register().is_cr() => fixed(4),
        Mov => fixed(1),
        Movzx | Movsx => fixed(3),  // ALP, NG, PRM, MAME, AF
        Xchg if memory => fixed(5), // ALP, PRM, NG (MA measured 9)
        Xchg => fixed(3),           // ALP, NG, PRM
        Lea => fixed(if instruction.memory_index() != iced_x86::Register::None { 2 } else { 1 }), // PRM, NG "1-2"
        Push if instruction.op0_kind() == OpKind::Register && instruction.op0_register().is_segment_register() => {
            fixed(3)
        }
        Push if memory => fixed(4), // ALP, NG, PRM, AF
        Push => fixed(1),           // ALP, NG, PRM
        // POP: PRM for every form (r 4, m 5, Sreg 9 in protected mode). ALP: r 4, m 6, Sreg 3; MA measured r 1.
        Pop if instruction.op0_kind() == OpKind::Register && instruction.op0_register().is_segment_register() => {
            fixed(9)
        }
        Pop if memory => fixed(5),
        Pop => fixed(4),
        Pusha | Pushad => fixed(11), // ALP, NG, PRM, MAME
        Popa | Popad => fixed(9),
        Pushf | Pushfd => fixed(3), // protected mode (ALP, NG)
        Popf | Popfd => fixed(6),   // protected mode
        Lahf => fixed(3),
        Sahf => fixed(2),
        Cbw | Cwde | Cwd | Cdq => fixed(3),       // ALP, NG, PRM, AF
        Lds | Les | Lfs | Lgs | Lss => fixed(12), // "6/12": 12 in protected mode (MAME's reading of ALP/PRM)
        Xlatb => fixed(4),                        // i486 PRM (not in CYCLES.md; unverified transcription)
        Add | Adc | Sub | Sbb | And | Or | Xor => match form {
            Form::RegisterMemory => fixed(2),
            Form::MemoryRegister | Form::MemoryImmediate => fixed(3),
            _ => fixed(1), // ALP, NG, PRM, AF
        },
        Cmp | Test => fixed(if memory { 2 } else { 1 }), // ALP, NG, PRM
        Inc | Dec | Neg | Not => fixed(if memory { 3 } else { 1 }), // ALP, NG, PRM
        // MUL/IMUL: 13-18 / 13-26 / 13-42, data-dependent with an early-out Intel
        // does not specify (CYCLES.md "Not found"). Lower bound 13, as MAME.
        Mul | Imul => fixed(13),
        Div => fixed(match size {
            1 => 16,
            2 => 24,
            _ => 40,
        }), // all sources agree
        Idiv => fixed(match (size, memory) {
            (1, false) => 19,
            (2, false) => 27,
            (_, false) => 43,
            (1, true) => 20,
            (2, true) => 28,
            _ => 44,
        }),
        Daa | Das => fixed(2), // i486 PRM (not in CYCLES.md; unverified)
        Aaa | Aas => fixed(3), // i486 PRM (not in CYCLES.md; unverified)
        Aam => fixed(15),      // i486 PRM (not in CYCLES.md; unverified)
        Aad => fixed(14),      // i486 PRM (not in CYCLES.md; unverified)
        Shl | Sal | Shr | Sar | Rol | Ror => match shift_kind(instruction) {
            ShiftKind::One | ShiftKind::Cl => fixed(if memory { 4 } else { 3 }), // ALP, NG, PRM
            ShiftKind::Immediate => fixed(if memory { 4 } else { 2 }),
        },
        // RCL/RCR by 1: 3/4; by CL or imm: 8-30 / 9-31 — lower bound (the count dependence is not given).
        Rcl | Rcr if shift_kind(instruction) == ShiftKind::One => fixed(if memory { 4 } else { 3 }),
        Rcl | Rcr => fixed(if memory { 9 } else { 8 }),
        Shld | Shrd => match instruction.op2_kind() {
            OpKind::Register => fixed(if memory { 4 } else { 3 }), // by CL (PRM, NG)
            _ => fixed(if memory { 3 } else { 2 }),                // by imm8
        },
        Bt => fixed(match form {
            Form::MemoryRegister => 8,
            _ => 3,
        }), // ALP, NG, PRM
        Bts | Btr | Btc => fixed(match form {
            Form::MemoryRegister => 13,
            Form::MemoryImmediate => 8,
            _ => 6,
        }),
        // BSF/BSR: ranges 6-42 / 6-103; MAME's rule: base 6 (register) or 7 (memory) + 1 per bit scanned.
        Bsf | Bsr => {
            Cost { base: if memory { 7 } else { 6 }, variable: Variable::PerStep { per: 1 }, ..Cost::default() }
        }
        Bswap => fixed(1),
        // SETcc: register 4 if set / 3 if not; memory 3 / 4 (PRM, NG).
        Seto | Setno | Setb | Setae | Sete | Setne | Setbe | Seta | Sets | Setns | Setp | Setnp | Setl | Setge
        | Setle | Setg => {
            if memory {
                branch(4, 3)
            } else {
                branch(3, 4)
            }
        }
        // CMPXCHG: r,r 6; r,m 7 if equal, 10 if not (ALP). The "taken" path is the failed compare.
        Cmpxchg => {
            if memory {
                branch(7, 10)
            } else {
                fixed(6)
            }
        }
        Xadd => fixed(if memory { 4 } else { 3 }),
        // Jcc: 3 taken, 1 not taken (ALP, NG, PRM).
        Jo | Jno | Jb | Jae | Je | Jne | Jbe | Ja | Js | Jns | Jp | Jnp | Jl | Jge | Jle | Jg => branch(1, 3),
        Jmp if matches!(instruction.op0_kind(), OpKind::FarBranch16 | OpKind::FarBranch32) => fixed(19), // PM (ALP, PRM)
        Jmp if matches!(instruction.op0_kind(), OpKind::NearBranch16 | OpKind::NearBranch32) => fixed(3),
        Jmp => fixed(5),
        Call if matches!(instruction.op0_kind(), OpKind::FarBranch16 | OpKind::FarBranch32) => fixed(20),
        Call if matches!(instruction.op0_kind(), OpKind::NearBranch16 | OpKind::NearBranch32) => fixed(3),
        Call => fixed(5),
        Ret => fixed(5),
        Retf => fixed(17),         // same privilege, PM (PRM, 86B); ALP 18
        Iret | Iretd => fixed(20), // same privilege, PM (PRM, 86B); ALP 15
        // LOOP 7 taken / 6 not (PRM, NG); LOOPE/NE 9 / 6; JCXZ 8 / 5.
        Loop => branch(6, 7),
        Loope | Loopne => branch(6, 9),
        Jecxz | Jcxz => branch(5, 8),
        // ENTER imm16,0: 14; imm16,1: 17; imm16,L: 17+3L (ALP, NG, PRM).
        Enter => match instruction.immediate8_2nd() {
            0 => fixed(14),
            _ => Cost { base: 17, variable: Variable::PerStep { per: 3 }, ..Cost::default() },
        },
        Leave => fixed(5),
        // Strings (ALP, NG, PRM): single / REP c=0 / c=1 / setup + per·c.
        Movsb | Movsw | Movsd => repeat(7, 5, 13, 12, 3, repeated),
        Stosb | Stosw | Stosd => repeat(5, 5, 11, 7, 4, repeated),
        Lodsb | Lodsw | Lodsd => repeat(5, 5, 11, 7, 4, repeated),
        Cmpsb | Cmpsw | Cmpsd => repeat(8, 5, 14, 7, 7, repeated),
        Scasb | Scasw | Scasd => repeat(6, 5, 12, 7, 5, repeated),
        // INS/OUTS: 17 (real-mode column; the protected-mode cells are not in CYCLES.md).
        // REP INS/OUTS is not in CYCLES.md either: estimate, each iteration as one INS/OUTS.
        Insb | Insw | Insd | Outsb | Outsw | Outsd => repeat(17, 5, 17, 0, 17, repeated),
        Clc | Stc | Cmc | Cld | Std => fixed(2),
        Cli | Sti => fixed(5),
        Nop | Pause => fixed(1),
        Hlt => fixed(4),
        Bound => fixed(7),
        // IN/OUT at CPL > IOPL (user mode; the bitmap is consulted): IN 29 imm / 28 DX, OUT 31 / 30 (PRM, NG).
        In => fixed(if instruction.op1_kind() == OpKind::Register { 28 } else { 29 }),
        Out => fixed(if instruction.op0_kind() == OpKind::Register { 30 } else { 31 }),
        // INT n/INT3 are charged at delivery (int_to_inner); INTO: 3 when not taken.
        Int | Int3 | Int1 => fixed(0),
        Into => fixed(3),
        // Not in CYCLES.md; i486 PRM figures, unverified transcription.
        Lar | Verr | Verw => fixed(11),
        Lsl => fixed(10),
        Arpl => fixed(9),
        Sgdt | Sidt => fixed(10),
        Sldt | Str | Smsw => fixed(2),
        Wait => fixed(1),
        _ => fixed(1),
    };
    let shared = common(instruction);
    cost.prefixes = shared.prefixes;
    cost.address_registers = shared.address_registers;
    cost.reads = shared.reads;
    cost.writes = shared.writes;
    cost.implicit_stack = shared.implicit_stack;
    // PRM / DM97: an index register in the address, and a displacement with an
    // immediate, each cost one more clock on the 486.
    if instruction.memory_index() != iced_x86::Register::None && instruction.mnemonic() != Lea {
        cost.base += 1;
    }
    if memory && instruction.memory_displ_size() > 0 && form == Form::MemoryImmediate {
        cost.base += 1;
    }
    cost
}
