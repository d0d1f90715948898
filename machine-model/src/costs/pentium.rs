//! Pentium (P5) clock counts and pairing classes (CYCLES.md; ALP and NG are
//! the primary sources, DM97 and AP500 for pairing, AF and MAME cross-check).

use super::{Cost, CostTable, Form, Pairing, ShiftKind, Variable, common, shift_kind};
use crate::CpuModel;
use iced_x86::{Instruction, Mnemonic, OpKind};

pub(super) static TABLE: CostTable = CostTable {
    model: CpuModel::Pentium,
    instruction: cost,
    // INT imm8 to inner privilege: 48 (ALP); 86B uses 42.
    int_to_inner: 48,
    // INT 3 to inner privilege: 44 (ALP, NG).
    int3_to_inner: 44,
    // Exceptions and interrupts: no separate Intel figure; charged as INT n to inner.
    exception_to_inner: 48,
    // INT imm8, protected mode, same privilege: 31 (ALP; 86B 25); a
    // hardware interrupt in the idle loop is charged as it.
    interrupt_same_privilege: 31,
    // IRET to outer privilege: 27 (ALP, NG upper bound, 86B).
    iret_to_outer: 27,
    // MOV CR3, r32: ALP's CR3-specific row prints "21/46" without saying which
    // applies; 21 is used. NG gives 12/22 for every control register.
    mov_cr3: 21,
    // INVLPG: 25 (ALP, Intel Pentium reference).
    invlpg_present: 25,
    invlpg_absent: 25,
    // MOV Sreg, r16 protected: 2 (ALP, MAME). NG says 2-11 (+8 for a new
    // descriptor); one source only, so not applied.
    mov_segment: 2,
    segment_load_extra: 0,
    // TLB miss ≈ 9 cycles (Liedtke 1995, REFERENCE.md, stated for the 486 and the Pentium).
    tlb_miss: 9,
    // Primary cache miss: no source found. Estimate: a line fill from an
    // external cache with a 3-1-1-1 burst on a 66 MHz bus, critical word
    // first, at the 166 MHz core's 2.5× multiplier: 3 bus clocks ≈ 8 core clocks.
    cache_miss: 8,
    // Misaligned access: +3 (MA ch. 19; AP500 via AL-255/ventium).
    misaligned: 3,
    // OUT DX, AL at CPL ≤ IOPL: 9; IN: 4 (ALP, NG).
    port_out_kernel: 9,
    port_in_kernel: 4,
    // Mispredicted branch: +3 in U, +4 in V (DM97 §2.2).
    mispredict_u: 3,
    mispredict_v: 4,
    // +1 per prefix; prefixed instructions pair only in U (DM97).
    prefix: 1,
    // AGI: 1 clock (MA ch. 21, DM97).
    agi: 1,
};

fn cell(base: u16, pairing: Pairing) -> Cost {
    Cost { base, pairing, ..Cost::default() }
}

fn np(base: u16) -> Cost {
    cell(base, Pairing::None)
}

fn branch(not_taken: u16, taken: u16) -> Cost {
    Cost { base: not_taken, taken: taken as i16 - not_taken as i16, ..Cost::default() }
}

fn repeat(single: u16, zero: u16, one: u16, setup: u16, per: u16, repeated: bool) -> Cost {
    if repeated { Cost { variable: Variable::Repeat { zero, one, setup, per }, ..Cost::default() } } else { np(single) }
}

/// The Pentium cost of an instruction.
pub(super) fn cost(instruction: &Instruction) -> Cost {
    let form = Form::of(instruction);
    let memory = form.has_memory();
    let size = if instruction.op_count() > 0 && instruction.op0_kind() == OpKind::Register {
        instruction.op0_register().size()
    } else {
        instruction.memory_size().size()
    };
    let repeated = instruction.has_rep_prefix() || instruction.has_repne_prefix();
    let displacement_and_immediate = memory && instruction.memory_displ_size() > 0 && form == Form::MemoryImmediate;
    use Mnemonic::*;
    use Pairing::{Both, UOnly};
    let mut cost = match instruction.mnemonic() {
        Mov if instruction.op0_register().is_segment_register() => np(if memory { 3 } else { 2 }), // ALP, MAME
        Mov if instruction.op1_register().is_segment_register() => np(1),                          // ALP, NG, HPC, MAME
        Mov if instruction.op0_register().is_cr() || instruction.op1_register().is_cr() => np(4),
        // MOV: 1, UV; m,imm with displacement + immediate does not pair (rule 4).
        Mov => cell(1, if displacement_and_immediate { Pairing::None } else { Both }),
        Movzx | Movsx => np(3),
        Xchg if memory => np(3), // ALP, NG (AF measured > 15)
        Xchg if instruction.op0_register().number() == 0 || instruction.op1_register().number() == 0 => np(2),
        Xchg => np(3),
        Lea => cell(1, Both),
        Push if instruction.op0_kind() == OpKind::Register && instruction.op0_register().is_segment_register() => np(1),
        Push if memory => np(2),
        // PUSH imm: UV per AP500, AF, 86B (NG says NP).
        Push => cell(1, Both),
        Pop if instruction.op0_kind() == OpKind::Register && instruction.op0_register().is_segment_register() => np(3),
        Pop if memory => np(3),
        Pop => cell(1, Both),
        Pusha | Pushad | Popa | Popad => np(5),
        Pushf | Pushfd => np(3), // protected mode (ALP); NG/MAME 9
        Popf | Popfd => np(4),   // protected mode (ALP); NG/MAME 6
        Lahf | Sahf => np(2),
        Cbw | Cwde => np(3),
        Cwd | Cdq => np(2),
        Lss => np(8), // protected mode (ALP)
        Lds | Les | Lfs | Lgs => np(4),
        Xlatb => np(4), // Intel Pentium reference (not in CYCLES.md; unverified)
        Add | Sub | And | Or | Xor | Cmp => {
            let base = match form {
                Form::RegisterMemory => 2,
                Form::MemoryRegister | Form::MemoryImmediate if instruction.mnemonic() != Cmp => 3,
                Form::MemoryRegister | Form::MemoryImmediate => 2,
                _ => 1,
            };
            cell(base, if displacement_and_immediate { Pairing::None } else { Both })
        }
        Adc | Sbb => {
            let base = match form {
                Form::RegisterMemory => 2,
                Form::MemoryRegister | Form::MemoryImmediate => 3,
                _ => 1,
            };
            cell(base, if displacement_and_immediate { Pairing::None } else { UOnly })
        }
        // TEST m,imm does not pair (AF, AP500).
        Test if form == Form::MemoryImmediate => np(2),
        Test => cell(if memory { 2 } else { 1 }, Both),
        Inc | Dec => cell(if memory { 3 } else { 1 }, Both),
        Neg | Not => np(if memory { 3 } else { 1 }),
        Mul | Imul if instruction.op_count() == 1 => np(if size == 4 { 10 } else { 11 }), // ALP, NG (AF 9 for 32-bit)
        Imul => np(10),
        Div => np(match size {
            1 => 17,
            2 => 25,
            _ => 41,
        }),
        Idiv => np(match size {
            1 => 22,
            2 => 30,
            _ => 46,
        }),
        Daa | Das => np(3), // Intel Pentium reference (not in CYCLES.md; unverified)
        Aaa | Aas => np(3), // idem
        Aam => np(18),      // idem
        Aad => np(10),      // idem
        Shl | Sal | Shr | Sar => match shift_kind(instruction) {
            ShiftKind::Cl => np(4), // ALP, NG (AF 4/5)
            _ => cell(if memory { 3 } else { 1 }, UOnly),
        },
        Rol | Ror => match shift_kind(instruction) {
            ShiftKind::Cl => np(4),
            ShiftKind::One => cell(if memory { 3 } else { 1 }, UOnly),
            // Rotates by imm ≠ 1 do not pair (AF, DM97; NG and AP500 say PU).
            ShiftKind::Immediate => np(if memory { 3 } else { 1 }),
        },
        Rcl | Rcr => match shift_kind(instruction) {
            ShiftKind::One => cell(if memory { 3 } else { 1 }, UOnly),
            // By CL 7-24 / 9-26, by imm 8-25 / 10-27: lower bounds (AF gives 7/9, 8/10).
            ShiftKind::Cl => np(if memory { 9 } else { 7 }),
            ShiftKind::Immediate => np(if memory { 10 } else { 8 }),
        },
        Shld | Shrd => match instruction.op2_kind() {
            OpKind::Register => np(if memory { 5 } else { 4 }),
            _ => np(4),
        },
        Bt => np(match form {
            Form::MemoryRegister => 9,
            _ => 4,
        }),
        Bts | Btr | Btc => np(match form {
            Form::MemoryRegister => 13,
            Form::MemoryImmediate => 8,
            _ => 7,
        }),
        Bsf | Bsr => Cost {
            // MAME's rule: base 6 (BSF) or 7 (BSR) + 1 per bit scanned; +1 with a memory operand (ALP ranges).
            base: if instruction.mnemonic() == Bsf { 6 } else { 7 } + memory as u16,
            variable: Variable::PerStep { per: 1 },
            ..Cost::default()
        },
        Bswap => np(1),
        Seto | Setno | Setb | Setae | Sete | Setne | Setbe | Seta | Sets | Setns | Setp | Setnp | Setl | Setge
        | Setle | Setg => np(if memory { 2 } else { 1 }),
        Cmpxchg => np(if memory { 6 } else { 5 }), // NG, MAME (ALP 6 for all)
        Cmpxchg8b => np(10),
        Xadd => np(if memory { 4 } else { 3 }),
        Jo | Jno | Jb | Jae | Je | Jne | Jbe | Ja | Js | Jns | Jp | Jnp | Jl | Jge | Jle | Jg => {
            Cost { base: 1, pairing: Pairing::VOnly, predicted_branch: true, ..Cost::default() }
        }
        Jmp if matches!(instruction.op0_kind(), OpKind::FarBranch16 | OpKind::FarBranch32) => np(3),
        Jmp if matches!(instruction.op0_kind(), OpKind::NearBranch16 | OpKind::NearBranch32) => {
            Cost { base: 1, pairing: Pairing::VOnly, predicted_branch: true, ..Cost::default() }
        }
        Jmp => Cost { base: 2, predicted_branch: true, ..Cost::default() },
        Call if matches!(instruction.op0_kind(), OpKind::FarBranch16 | OpKind::FarBranch32) => np(4),
        Call if matches!(instruction.op0_kind(), OpKind::NearBranch16 | OpKind::NearBranch32) => {
            Cost { base: 1, pairing: Pairing::VOnly, predicted_branch: true, ..Cost::default() }
        }
        Call => Cost { base: 2, predicted_branch: true, ..Cost::default() },
        Ret => Cost { base: if instruction.op_count() > 0 { 3 } else { 2 }, predicted_branch: true, ..Cost::default() },
        Retf => np(4),          // same privilege (ALP)
        Iret | Iretd => np(10), // same privilege (ALP, 86B)
        // LOOP: 5 not taken / 6 taken (ALP, NG "5/6"); LOOPE/NE 7 / 8; JCXZ 5 / 6.
        Loop => branch(5, 6),
        Loope | Loopne => branch(7, 8),
        Jecxz | Jcxz => branch(5, 6),
        Enter => match instruction.immediate8_2nd() {
            0 => np(11),
            _ => Cost { base: 15, variable: Variable::PerStep { per: 2 }, ..Cost::default() },
        },
        Leave => np(3),
        // Strings (ALP; AF in brackets where it differs).
        Movsb | Movsw | Movsd => repeat(4, 6, 13, 13, 1, repeated), // REP: 13+c read from ALP's "13(E)CX" [AF 12+c]
        Stosb | Stosw | Stosd => repeat(3, 6, 10, 9, 1, repeated),  // REP: 9+c [AF 10+c]
        Lodsb | Lodsw | Lodsd => repeat(2, 7, 10, 7, 3, repeated),  // REP: 7+3c (ALP, AF)
        // REPE CMPS 9+4c, REPNE CMPS 8+4c (ALP); c = 0: 7.
        Cmpsb | Cmpsw | Cmpsd if instruction.has_repne_prefix() => repeat(5, 7, 12, 8, 4, repeated),
        Cmpsb | Cmpsw | Cmpsd => repeat(5, 7, 13, 9, 4, repeated),
        Scasb | Scasw | Scasd => repeat(4, 7, 13, 9, 4, repeated), // 9+4c (ALP, AF)
        // INS 9, OUTS 13 (real-mode column). REP forms are not in CYCLES.md:
        // estimate, each iteration as one INS/OUTS.
        Insb | Insw | Insd => repeat(9, 7, 9, 0, 9, repeated),
        Outsb | Outsw | Outsd => repeat(13, 7, 13, 0, 13, repeated),
        Clc | Stc | Cmc | Cld | Std => np(2),
        Cli | Sti => np(7), // ALP, NG, MAME (AF 6-9)
        Nop | Pause => cell(1, Both),
        Hlt => np(4),
        Bound => np(8),
        // IN/OUT at CPL > IOPL: IN 21, OUT 26 (ALP, NG).
        In => np(21),
        Out => np(26),
        Int | Int3 | Int1 => np(0), // charged at delivery
        Into => np(4),
        Cpuid => np(14), // ALP, NG, MAME, 86B
        // RDTSC: no Intel figure. AF measured 11 at CPL > 0 (only source).
        Rdtsc => np(11),
        Lar | Lsl | Verr | Verw => np(8), // Intel Pentium reference (not in CYCLES.md; unverified)
        Arpl => np(7),                    // idem
        Sgdt | Sidt => np(4),             // idem
        Sldt | Str | Smsw => np(2),       // idem
        Wait => np(1),
        _ => np(1),
    };
    let shared = common(instruction);
    cost.prefixes = shared.prefixes;
    cost.address_registers = shared.address_registers;
    cost.reads = shared.reads;
    cost.writes = shared.writes;
    cost.implicit_stack = shared.implicit_stack;
    cost.escape_0f = shared.escape_0f;
    cost.multi_cycle = cost.base > 1 || !matches!(cost.variable, Variable::Fixed);
    if cost.prefixes > 0 && cost.pairing == Both {
        cost.pairing = UOnly; // DM97: prefixed instructions pair only in U.
    }
    cost
}
