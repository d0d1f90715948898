//! Pricing an instruction trace with the cost tables: how the kernel's own
//! paths, recorded instruction by instruction on the native image, become
//! the cycles the model charges for them (`cargo xtask calibrate`).
//!
//! The trace is priced as straight-line execution through the same pipeline
//! model the interpreter uses (Pentium pairing and branch prediction
//! included), with no memory effects: the TLB and cache effects of the
//! kernel's accesses are charged separately, as they happen, through
//! `kernel_access`. Instructions whose cost the model charges by itself when
//! the kernel asks for them (`iret`, `mov cr3`, `invlpg`, port I/O) are
//! counted but not priced, so nothing is charged twice.

use crate::CpuModel;
use crate::costs;
use crate::decode::Decoded;
use crate::pipeline::Pipeline;
use iced_x86::{Code, Decoder, DecoderOptions, Mnemonic};

/// One executed instruction: where, its bytes, and how many times it ran in
/// a row (a `rep` instruction single-steps once per iteration).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TracedInstruction {
    pub eip: u32,
    pub bytes: Vec<u8>,
    pub repeat: u32,
}

/// What a trace costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Price {
    /// Instructions executed (a repeated string instruction counts once per iteration).
    pub instructions: u32,
    /// Cycles from the cost tables, without the instructions the model charges itself.
    pub cycles: u32,
}

/// Whether the model charges this instruction itself when the kernel asks for it.
fn charged_elsewhere(mnemonic: Mnemonic, code: Code) -> bool {
    matches!(mnemonic, Mnemonic::Iret | Mnemonic::Iretd | Mnemonic::Invlpg | Mnemonic::In | Mnemonic::Out)
        || code == Code::Mov_cr_r32
}

/// Price a trace on `cpu` as if nothing ran before it (the Pentium's branch
/// target buffer empty). Fails on bytes that do not decode.
pub fn price(cpu: CpuModel, trace: &[TracedInstruction]) -> Result<Price, String> {
    price_after(cpu, &mut Pipeline::default(), trace)
}

/// Price a trace as the path costs when it runs again and again (every IPC
/// of a ping-pong): the Pentium's branch target buffer has learnt its
/// branches from the run before, as the hardware's keeps them from one
/// kernel entry to the next (the user code between has few branches to
/// displace 256 entries); the entry itself drains the pipes. Priced once
/// to train the buffer, then again: deterministic, whatever ran before.
/// The 486 predicts nothing, so its price is `price`'s.
pub fn price_hot(cpu: CpuModel, trace: &[TracedInstruction]) -> Result<Price, String> {
    let mut pipeline = Pipeline::default();
    price_after(cpu, &mut pipeline, trace)?;
    price_after(cpu, &mut pipeline, trace)
}

/// Price a trace after whatever `pipeline` ran before (its branch target
/// buffer kept; the entry drains the pipes).
fn price_after(cpu: CpuModel, pipeline: &mut Pipeline, trace: &[TracedInstruction]) -> Result<Price, String> {
    let table = costs::table(cpu);
    pipeline.interrupted();
    let mut price = Price::default();
    for (index, traced) in trace.iter().enumerate() {
        let mut decoder = Decoder::with_ip(32, &traced.bytes, traced.eip as u64, DecoderOptions::NONE);
        let instruction = decoder.decode();
        if instruction.is_invalid() {
            return Err(format!("the instruction at {:#010x} ({:02x?}) does not decode", traced.eip, traced.bytes));
        }
        let repeat = traced.repeat.max(1);
        price.instructions +=
            if instruction.has_rep_prefix() || instruction.has_repe_prefix() || instruction.has_repne_prefix() {
                repeat
            } else {
                1
            };
        if charged_elsewhere(instruction.mnemonic(), instruction.code()) {
            pipeline.interrupted();
            continue;
        }
        let sequential = traced.eip.wrapping_add(instruction.len() as u32);
        let next = trace.get(index + 1).map_or(sequential, |next| next.eip);
        let taken = next != sequential;
        let decoded = Decoded::new(instruction, cpu, table);
        price.cycles += if cpu == CpuModel::I486 {
            pipeline.charge::<false>(table, &decoded, traced.eip, next, taken, repeat, 0)
        } else {
            pipeline.charge::<true>(table, &decoded, traced.eip, next, taken, repeat, 0)
        };
    }
    Ok(price)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn traced(eip: u32, bytes: &[u8]) -> TracedInstruction {
        TracedInstruction { eip, bytes: bytes.to_vec(), repeat: 1 }
    }

    #[test]
    fn straight_line_code_costs_the_table_and_pairs_on_the_pentium() {
        // mov eax, ebx ; mov ecx, edx ; add esi, 4 ; iretd
        let trace = [
            traced(0x1000, &[0x89, 0xD8]),
            traced(0x1002, &[0x89, 0xD1]),
            traced(0x1004, &[0x83, 0xC6, 0x04]),
            traced(0x1007, &[0xCF]),
        ];
        let i486 = price(CpuModel::I486, &trace).unwrap();
        assert_eq!(i486, Price { instructions: 4, cycles: 3 }, "three 1-clock instructions; iret charged by the model");
        let pentium = price(CpuModel::Pentium, &trace).unwrap();
        assert_eq!(pentium.instructions, 4);
        assert_eq!(pentium.cycles, 2, "the two movs pair");
        assert!(price(CpuModel::I486, &[traced(0, &[0x0F, 0xFF])]).is_err());
    }

    #[test]
    fn a_hot_path_has_its_taken_branches_predicted_on_the_pentium() {
        // jmp short +1 (taken) ; nop ; iretd
        let trace = [traced(0x2000, &[0xEB, 0x01]), traced(0x2003, &[0x90]), traced(0x2004, &[0xCF])];
        let cold = price(CpuModel::Pentium, &trace).unwrap();
        let hot = price_hot(CpuModel::Pentium, &trace).unwrap();
        let table = costs::table(CpuModel::Pentium);
        assert_eq!(
            cold.cycles,
            hot.cycles + table.mispredict_u,
            "an empty BTB misses the jump; a trained one does not"
        );
        assert_eq!(hot, price_hot(CpuModel::Pentium, &trace).unwrap(), "the same however often it is asked");
        // The 486 predicts nothing: the same either way.
        assert_eq!(price(CpuModel::I486, &trace).unwrap(), price_hot(CpuModel::I486, &trace).unwrap());
    }
}
