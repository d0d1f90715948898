//! Round trip: for every instruction form the machine model executes, a
//! random instance is printed by iced-x86's NASM formatter, assembled by us,
//! disassembled, and printed again; the two texts must be identical. The
//! ELF file must load back with the right segments and symbols.
#![allow(clippy::unwrap_used)] // test support code: a failed unwrap is a failed test

use asm::loader::Image;
use asm::{MemoryFiles, Options, assemble};
use iced_x86::{
    Code, Decoder, DecoderOptions, Encoder, Formatter, Instruction, Mnemonic, NasmFormatter, OpCodeOperandKind as K,
    OpKind, Register,
};

const BASE: u32 = 0x0040_0000;

/// The mnemonics the model executes (machine-model's interpreter).
const MODEL: &[Mnemonic] = {
    use Mnemonic::*;
    &[
        Add, Adc, Sub, Sbb, Cmp, And, Or, Xor, Test, Inc, Dec, Neg, Not, Mul, Imul, Div, Idiv, Shl, Shr, Sar, Rol, Ror,
        Rcl, Rcr, Shld, Shrd, Bt, Bts, Btr, Btc, Bsf, Bsr, Mov, Movzx, Movsx, Xchg, Cmpxchg, Xadd, Bswap, Lea, Seto,
        Setno, Setb, Setae, Sete, Setne, Setbe, Seta, Sets, Setns, Setp, Setnp, Setl, Setge, Setle, Setg, Cbw, Cwde,
        Cwd, Cdq, Lahf, Sahf, Push, Pop, Pushad, Popad, Pushfd, Popfd, Enter, Leave, Clc, Stc, Cmc, Cld, Std, Daa, Das,
        Aaa, Aas, Aam, Aad, Nop, Cmpxchg8b, Jo, Jno, Jb, Jae, Je, Jne, Jbe, Ja, Js, Jns, Jp, Jnp, Jl, Jge, Jle, Jg,
        Jmp, Call, Ret, Retf, Loop, Loope, Loopne, Jecxz, Int, Int3, Into, Bound, Iretd, In, Out, Cli, Sti, Hlt, Cpuid,
        Rdtsc, Lds, Les, Lfs, Lgs, Lss, Sgdt, Sidt, Sldt, Str, Smsw, Lar, Lsl, Verr, Verw, Arpl, Wait, Invlpg, Lgdt,
        Lidt, Lldt, Ltr, Lmsw, Clts, Invd, Wbinvd,
    ]
};

struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, limit: u64) -> u64 {
        self.next() % limit
    }
}

fn register(size: usize, number: usize) -> Register {
    let base = match size {
        1 => Register::AL,
        2 => Register::AX,
        _ => Register::EAX,
    };
    Register::try_from(base as usize + number).unwrap()
}

/// The forms: 32-bit legacy codes of the model's mnemonics with operands we can generate.
fn forms() -> Vec<Code> {
    Code::values()
        .filter(|code| MODEL.contains(&code.mnemonic()))
        .filter(|code| {
            let info = code.op_code();
            info.mode32()
                && info.is_instruction()
                && info.decoder_option() == DecoderOptions::NONE
                && info.address_size() != 16
                && (0..info.op_count()).all(|index| {
                    matches!(
                        info.op_kind(index),
                        K::r8_or_mem
                            | K::r16_or_mem
                            | K::r32_or_mem
                            | K::r8_reg
                            | K::r16_reg
                            | K::r32_reg
                            | K::r8_opcode
                            | K::r16_opcode
                            | K::r32_opcode
                            | K::r16_rm
                            | K::r32_rm
                            | K::mem
                            | K::imm8
                            | K::imm8_const_1
                            | K::imm8sex32
                            | K::imm16
                            | K::imm32
                            | K::al
                            | K::ax
                            | K::eax
                            | K::cl
                            | K::dx
                            | K::br32_1
                            | K::br32_4
                            | K::seg_reg
                            | K::es
                            | K::cs
                            | K::ss
                            | K::ds
                            | K::fs
                            | K::gs
                    )
                })
        })
        .filter(|code| !matches!(code, Code::Nop_rm16 | Code::Nop_rm32))
        .filter(|code| !code.cpuid_features().contains(&iced_x86::CpuidFeature::INTEL8086_ONLY))
        .collect()
}

fn instance(code: Code, random: &mut Random) -> Option<Instruction> {
    let info = code.op_code();
    let mut instruction = Instruction::default();
    instruction.set_code(code);
    let mut immediates = 0;
    for index in 0..info.op_count() {
        let kind = info.op_kind(index);
        let size = match kind {
            K::r8_or_mem | K::r8_reg | K::r8_opcode => Some(1),
            K::r16_or_mem | K::r16_reg | K::r16_opcode | K::r16_rm => Some(2),
            K::r32_or_mem | K::r32_reg | K::r32_opcode | K::r32_rm => Some(4),
            _ => None,
        };
        let memory =
            kind == K::mem || (matches!(kind, K::r8_or_mem | K::r16_or_mem | K::r32_or_mem) && random.below(2) == 0);
        if memory {
            instruction.set_op_kind(index, OpKind::Memory);
            let base =
                [Register::None, Register::EBX, Register::ESI, Register::EBP, Register::ESP][random.below(5) as usize];
            let index_register = if random.below(2) == 0 {
                Register::None
            } else {
                [Register::ECX, Register::EDI, Register::EAX][random.below(3) as usize]
            };
            instruction.set_memory_base(base);
            instruction.set_memory_index(index_register);
            // NASM (and we) read `[eax*1]` as `[eax]`: an index alone gets a scale of 2 or more.
            let scales: &[u32] = if base == Register::None { &[2, 4, 8] } else { &[1, 2, 4, 8] };
            instruction.set_memory_index_scale(if index_register == Register::None {
                1
            } else {
                scales[random.below(scales.len() as u64) as usize]
            });
            let displacement = match random.below(3) {
                0 if base != Register::None => 0u32,
                1 if base != Register::None => (random.below(200) as i32 - 100) as u32,
                _ => 0x0050_0000 + random.below(0x1000) as u32,
            };
            instruction.set_memory_displacement32(displacement);
            let displ_size = if base == Register::None && index_register == Register::None {
                4
            } else if displacement == 0 {
                0
            } else if (displacement as i32) >= -128 && (displacement as i32) < 128 {
                1
            } else {
                4
            };
            instruction.set_memory_displ_size(displ_size);
        } else if let Some(size) = size {
            instruction.set_op_kind(index, OpKind::Register);
            instruction.set_op_register(index, register(size, random.below(8) as usize));
        } else {
            let value = random.next();
            match kind {
                K::imm8 if immediates > 0 => {
                    instruction.set_op_kind(index, OpKind::Immediate8_2nd);
                    instruction.set_immediate8_2nd(value as u8 % 3);
                }
                K::imm8 => {
                    instruction.set_op_kind(index, OpKind::Immediate8);
                    instruction.set_immediate8(value as u8);
                }
                K::imm8_const_1 => {
                    instruction.set_op_kind(index, OpKind::Immediate8);
                    instruction.set_immediate8(1);
                }
                K::imm8sex32 => {
                    instruction.set_op_kind(index, OpKind::Immediate8to32);
                    instruction.set_immediate8to32(value as i8 as i32);
                }
                K::imm16 => {
                    instruction.set_op_kind(index, OpKind::Immediate16);
                    instruction.set_immediate16(value as u16);
                }
                K::imm32 => {
                    instruction.set_op_kind(index, OpKind::Immediate32);
                    instruction.set_immediate32(value as u32);
                }
                K::al | K::ax | K::eax | K::cl | K::dx => {
                    let fixed = match kind {
                        K::al => Register::AL,
                        K::ax => Register::AX,
                        K::eax => Register::EAX,
                        K::cl => Register::CL,
                        _ => Register::DX,
                    };
                    instruction.set_op_kind(index, OpKind::Register);
                    instruction.set_op_register(index, fixed);
                }
                K::seg_reg | K::es | K::cs | K::ss | K::ds | K::fs | K::gs => {
                    let fixed = match kind {
                        K::es => Register::ES,
                        K::cs => Register::CS,
                        K::ss => Register::SS,
                        K::ds => Register::DS,
                        K::fs => Register::FS,
                        K::gs => Register::GS,
                        _ => [Register::ES, Register::SS, Register::DS, Register::FS, Register::GS]
                            [random.below(5) as usize],
                    };
                    instruction.set_op_kind(index, OpKind::Register);
                    instruction.set_op_register(index, fixed);
                }
                K::br32_1 => {
                    instruction.set_op_kind(index, OpKind::NearBranch32);
                    instruction.set_near_branch32(BASE + random.below(100) as u32);
                }
                K::br32_4 => {
                    instruction.set_op_kind(index, OpKind::NearBranch32);
                    instruction.set_near_branch32(BASE + 0x10000 + random.below(100) as u32);
                }
                _ => return None,
            }
            if matches!(kind, K::imm8 | K::imm8sex32 | K::imm16 | K::imm32) {
                immediates += 1;
            }
        }
    }
    let mut encoder = Encoder::new(32);
    encoder.encode(&instruction, BASE as u64).ok()?;
    let bytes = encoder.take_buffer();
    let mut decoder = Decoder::with_ip(32, &bytes, BASE as u64, DecoderOptions::NONE);
    Some(decoder.decode())
}

fn format(instruction: &Instruction) -> String {
    let mut formatter = NasmFormatter::new();
    formatter.options_mut().set_branch_leading_zeros(false);
    let mut text = String::new();
    formatter.format(instruction, &mut text);
    text
}

#[test]
fn every_model_form_assembles_back_to_itself() {
    let forms = forms();
    assert!(forms.len() > 400, "only {} forms", forms.len());
    let mut random = Random(0x5EED_1234_ABCD);
    let mut failures = Vec::new();
    let mut checked = 0;
    for code in &forms {
        for _ in 0..20 {
            let Some(instruction) = instance(*code, &mut random) else { continue };
            let text = format(&instruction);
            // Branches name absolute targets; our source is placed at BASE, as the instance was.
            let source = format!("org {BASE:#x}\n{text}\n");
            let files = MemoryFiles::new().with("form.asm", &source);
            let program = match assemble("form.asm", &files, &Options::default()) {
                Ok(program) => program,
                Err(diagnostics) => {
                    failures.push(format!(
                        "{code:?}: `{text}` does not assemble: {}",
                        diagnostics.render().replace('\n', " / ")
                    ));
                    break;
                }
            };
            let bytes = &program.sections[0].bytes;
            let mut decoder = Decoder::with_ip(32, bytes, BASE as u64, DecoderOptions::NONE);
            let decoded = decoder.decode();
            let again = format(&decoded);
            // xchg is symmetric: `xchg ax,cx` may come back as the one-byte `xchg cx,ax`.
            let same = again == text
                || (decoded.mnemonic() == Mnemonic::Xchg && {
                    let mut written: Vec<&str> = text["xchg ".len()..].split(',').collect();
                    let mut read: Vec<&str> = again["xchg ".len()..].split(',').collect();
                    written.sort_unstable();
                    read.sort_unstable();
                    written == read
                });
            if !same || decoded.len() != bytes.len() {
                failures.push(format!("{code:?}: `{text}` assembled to {bytes:02x?} = `{again}`"));
                break;
            }
            checked += 1;
        }
    }
    println!("{} forms, {checked} instructions", forms.len());
    assert!(failures.is_empty(), "{} forms fail the round trip:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_elf_loads_back_with_its_segments_and_symbols() {
    let source = "\
section .text
global _start
_start: mov eax, [value]
        jmp _start
section .data
value: dd 0x12345678
section .bss
buffer: resb 8192
";
    let program = assemble("p.asm", &MemoryFiles::new().with("p.asm", source), &Options::default()).unwrap();
    let elf = program.to_elf().unwrap();
    let image = Image::parse(&elf).unwrap();
    assert_eq!(image.entry(), BASE);
    let segments: Vec<_> = image.segments().collect();
    assert_eq!(segments.len(), 3);
    assert_eq!((segments[0].address, segments[0].executable, segments[0].writable), (BASE, true, false));
    assert_eq!(
        (segments[1].address, segments[1].data, segments[1].writable),
        (BASE + 0x1000, &[0x78, 0x56, 0x34, 0x12][..], true)
    );
    assert_eq!((segments[2].address, segments[2].data.len(), segments[2].memory_size), (BASE + 0x2000, 0, 8192));
    let symbols: Vec<(String, u32)> =
        image.symbols().map(|symbol| (String::from_utf8_lossy(symbol.name).into_owned(), symbol.address)).collect();
    assert!(symbols.contains(&("_start".to_string(), BASE)));
    assert!(symbols.contains(&("value".to_string(), BASE + 0x1000)));
    assert!(symbols.contains(&("buffer".to_string(), BASE + 0x2000)));
}
