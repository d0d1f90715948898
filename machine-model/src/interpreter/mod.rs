//! The interpreter: a table from iced-x86's `Code` to a handler function,
//! one per CPU model, built once. Handlers are grouped by family in the
//! submodules. Anything a 486 or Pentium would not execute in ring 3 maps to
//! a handler that raises the hardware's exception (#UD, #GP, #NM) — never a
//! host panic.

mod arithmetic;
mod control;
mod data;
pub(crate) mod forms;
pub(crate) mod operands;
mod shifts;
mod strings;
mod system;

use crate::CpuModel;
use crate::decode::Handler;
use iced_x86::{Code, CpuidFeature, Instruction, Mnemonic};
use std::sync::OnceLock;

/// The handler for an instruction on a CPU model.
pub fn handler_for(instruction: &Instruction, model: CpuModel) -> Handler {
    let table = match model {
        CpuModel::I486 => {
            static TABLE: OnceLock<Vec<Handler>> = OnceLock::new();
            TABLE.get_or_init(|| build_table(CpuModel::I486))
        }
        CpuModel::Pentium => {
            static TABLE: OnceLock<Vec<Handler>> = OnceLock::new();
            TABLE.get_or_init(|| build_table(CpuModel::Pentium))
        }
    };
    table.get(instruction.code() as usize).copied().unwrap_or(system::undefined)
}

fn build_table(model: CpuModel) -> Vec<Handler> {
    Code::values().map(|code| classify(code, model)).collect()
}

/// Whether every CPUID feature a code needs is present on the model.
fn available(code: Code, model: CpuModel) -> Availability {
    let mut outcome = Availability::Yes;
    for feature in code.cpuid_features() {
        match feature {
            CpuidFeature::INTEL8086
            | CpuidFeature::INTEL8086_ONLY
            | CpuidFeature::INTEL186
            | CpuidFeature::INTEL286
            | CpuidFeature::INTEL386
            | CpuidFeature::INTEL486 => {}
            CpuidFeature::FPU
            | CpuidFeature::FPU287
            | CpuidFeature::FPU387
            | CpuidFeature::FPU287XL_ONLY
            | CpuidFeature::FPU387SL_ONLY => outcome = Availability::FloatingPoint,
            CpuidFeature::TSC | CpuidFeature::MSR | CpuidFeature::CX8 | CpuidFeature::CPUID
                if model == CpuModel::Pentium => {}
            _ => return Availability::No,
        }
    }
    outcome
}

enum Availability {
    Yes,
    FloatingPoint,
    No,
}

fn classify(code: Code, model: CpuModel) -> Handler {
    use Mnemonic::*;
    if code == Code::INVALID {
        return system::undefined;
    }
    match available(code, model) {
        Availability::No => return system::undefined,
        Availability::FloatingPoint if code.mnemonic() != Wait => return system::floating_point,
        _ => {}
    }
    // Forms that only exist in 64-bit mode never decode in 32-bit code.
    match code {
        Code::Mov_Sreg_rm16 | Code::Mov_Sreg_r32m16 => return data::mov_to_segment,
        Code::Mov_rm16_Sreg | Code::Mov_r32m16_Sreg => return data::mov_from_segment,
        _ => {}
    }
    let mnemonic = code.mnemonic();
    if !system::exists_on(mnemonic, model) {
        return system::undefined;
    }
    match mnemonic {
        Mov => {
            if is_system_register_move(code) {
                system::privileged
            } else {
                data::mov
            }
        }
        Movzx => data::movzx,
        Movsx => data::movsx,
        Xchg => data::xchg,
        Cmpxchg => data::cmpxchg,
        Cmpxchg8b => data::cmpxchg8b,
        Xadd => data::xadd,
        Bswap => data::bswap,
        Lea => data::lea,
        Push => data::push,
        Pop => data::pop,
        Pusha | Pushad => data::pusha,
        Popa | Popad => data::popa,
        Pushf | Pushfd => data::pushf,
        Popf | Popfd => data::popf,
        Enter => data::enter,
        Leave => data::leave,
        Cbw | Cwde | Cwd | Cdq => data::convert,
        Lahf => data::lahf,
        Sahf => data::sahf,
        Xlatb => data::xlat,
        Lds | Les | Lfs | Lgs | Lss => data::load_far_pointer,
        Seto | Setno | Setb | Setae | Sete | Setne | Setbe | Seta | Sets | Setns | Setp | Setnp | Setl | Setge
        | Setle | Setg => data::setcc,
        Add | Adc | Sub | Sbb | Cmp | And | Or | Xor | Test => arithmetic::alu,
        Inc | Dec => arithmetic::inc_dec,
        Neg => arithmetic::neg,
        Not => arithmetic::not,
        Mul => arithmetic::multiply_wide,
        Imul => {
            if matches!(code, Code::Imul_rm8 | Code::Imul_rm16 | Code::Imul_rm32) {
                arithmetic::multiply_wide
            } else {
                arithmetic::multiply_truncated
            }
        }
        Div | Idiv => arithmetic::divide,
        Daa | Das | Aaa | Aas | Aam | Aad => arithmetic::decimal_adjust,
        Shl | Sal | Shr | Sar | Rol | Ror | Rcl | Rcr => shifts::shift_rotate,
        Shld | Shrd => shifts::double_shift,
        Bt | Bts | Btr | Btc => shifts::bit_test,
        Bsf | Bsr => shifts::bit_scan,
        Jo | Jno | Jb | Jae | Je | Jne | Jbe | Ja | Js | Jns | Jp | Jnp | Jl | Jge | Jle | Jg => control::jcc,
        Jmp => control::jmp,
        Call => control::call,
        Ret => control::ret,
        Retf => control::retf,
        Iret | Iretd => control::iret,
        Loop | Loope | Loopne | Jecxz | Jcxz => control::loop_family,
        Int | Int3 | Int1 => control::int,
        Into => control::into,
        Bound => control::bound,
        Movsb | Movsw | Movsd | Stosb | Stosw | Stosd | Lodsb | Lodsw | Lodsd | Cmpsb | Cmpsw | Cmpsd | Scasb
        | Scasw | Scasd | Insb | Insw | Insd | Outsb | Outsw | Outsd => strings::string,
        Clc | Stc | Cmc | Cld | Std | Cli | Sti => system::flag_operation,
        Nop | Pause => system::nop,
        In => system::input,
        Out => system::output,
        Cpuid => system::cpuid,
        Rdtsc => system::rdtsc,
        Wait => system::wait,
        Sgdt | Sidt | Sldt | Str | Smsw => system::store_system,
        Lar | Lsl | Verr | Verw => system::segment_query,
        Arpl => system::arpl,
        Hlt | Lgdt | Lidt | Lldt | Ltr | Lmsw | Clts | Invd | Wbinvd | Invlpg | Rdmsr | Wrmsr | Rdpmc | Rsm => {
            system::privileged
        }
        _ => system::undefined,
    }
}

fn is_system_register_move(code: Code) -> bool {
    matches!(
        code,
        Code::Mov_r32_cr | Code::Mov_cr_r32 | Code::Mov_r32_dr | Code::Mov_dr_r32 | Code::Mov_r32_tr | Code::Mov_tr_r32
    )
}
