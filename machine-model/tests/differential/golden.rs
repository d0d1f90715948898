//! Golden vectors (tests/vectors/*.txt): hand-written cases for the subtle
//! corners, checked against the model on both CPUs and, where they do not
//! fault, against the host CPU — so the file itself is verified.

use super::helper::{Case, SCRATCH_SIZE, State};
use iced_x86::{Decoder, DecoderOptions, Formatter, NasmFormatter};

const FLAG_NAMES: &[(&str, u32)] =
    &[("CF", 1), ("PF", 4), ("AF", 0x10), ("ZF", 0x40), ("SF", 0x80), ("DF", 0x400), ("OF", 0x800)];
const ALL: u32 = 0x8D5 | 0x400;

#[derive(Debug, Default, Clone)]
pub struct Expectation {
    pub registers: Vec<(usize, u32)>,
    pub flags: Option<u32>,
    pub defined: u32,
    pub memory: Vec<(usize, u8)>,
    pub fault: Option<u8>,
}

#[derive(Debug, Clone)]
pub struct Vector {
    pub line: usize,
    pub text: String,
    pub case: Case,
    pub expected: Expectation,
}

fn register_number(name: &str) -> Option<usize> {
    ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"].iter().position(|register| *register == name)
}

fn flags(text: &str) -> Result<u32, String> {
    text.split('+')
        .filter(|part| !part.is_empty())
        .map(|part| {
            FLAG_NAMES
                .iter()
                .find(|(name, _)| *name == part)
                .map(|(_, bit)| *bit)
                .ok_or(format!("unknown flag `{part}`"))
        })
        .try_fold(0, |all, bit| bit.map(|bit| all | bit))
}

fn fields(text: &str, registers: &mut [u32; 8], scratch: &mut [u8]) -> Result<Expectation, String> {
    let mut expectation = Expectation { defined: ALL, ..Expectation::default() };
    for item in text.split_whitespace() {
        let (key, value) = item.split_once('=').ok_or(format!("`{item}` is not key=value"))?;
        if let Some(number) = register_number(key) {
            let value = u32::from_str_radix(value, 16).map_err(|error| format!("{key}: {error}"))?;
            registers[number] = value;
            expectation.registers.push((number, value));
        } else if key == "flags" {
            expectation.flags = Some(flags(value)?);
        } else if key == "defined" {
            expectation.defined = flags(value)?;
        } else if key == "fault" {
            let vector = match value {
                "#DE" => 0,
                "#UD" => 6,
                "#GP" => 13,
                "#PF" => 14,
                other => return Err(format!("unknown fault `{other}`")),
            };
            expectation.fault = Some(vector);
        } else if let Some(offset) = key.strip_prefix("mem+") {
            let offset = usize::from_str_radix(offset, 16).map_err(|error| format!("{key}: {error}"))?;
            for (index, byte) in value.split(',').enumerate() {
                let byte = u8::from_str_radix(byte, 16).map_err(|error| format!("{key}: {error}"))?;
                scratch[offset + index] = byte;
                expectation.memory.push((offset + index, byte));
            }
        } else {
            return Err(format!("unknown field `{key}`"));
        }
    }
    Ok(expectation)
}

/// Parse a vector file; every malformed line is an error naming the line.
pub fn parse(text: &str) -> Result<Vec<Vector>, String> {
    let mut vectors = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = trimmed.split('|').map(str::trim).collect();
        let [bytes, disassembly, before, after] = parts.as_slice() else {
            return Err(format!("line {line_number}: expected 4 fields separated by |"));
        };
        let code: Vec<u8> = bytes
            .split_whitespace()
            .map(|byte| u8::from_str_radix(byte, 16))
            .collect::<Result<_, _>>()
            .map_err(|error| format!("line {line_number}: bytes: {error}"))?;
        let mut decoder = Decoder::with_ip(32, &code, 0, DecoderOptions::NONE);
        let instruction = decoder.decode();
        let mut formatted = String::new();
        NasmFormatter::new().format(&instruction, &mut formatted);
        if formatted != *disassembly || instruction.len() != code.len() {
            return Err(format!("line {line_number}: bytes decode to `{formatted}`, the file says `{disassembly}`"));
        }
        let mut registers = [0u32; 8];
        registers[4] = super::generate::STACK;
        let mut scratch = vec![0u8; SCRATCH_SIZE];
        let initial =
            fields(before, &mut registers, &mut scratch).map_err(|error| format!("line {line_number}: {error}"))?;
        let eflags = initial.flags.unwrap_or(0) | 0x202;
        let mut after_registers = registers;
        let mut after_scratch = scratch.clone();
        let expected = fields(after, &mut after_registers, &mut after_scratch)
            .map_err(|error| format!("line {line_number}: {error}"))?;
        vectors.push(Vector {
            line: line_number,
            text: trimmed.to_string(),
            case: Case { before: State { registers, eflags, scratch }, code },
            expected,
        });
    }
    Ok(vectors)
}

/// Check an outcome against a vector's expectation.
pub fn check(vector: &Vector, outcome: Result<&State, u8>) -> Result<(), String> {
    let expected = &vector.expected;
    match (outcome, expected.fault) {
        (Err(vector_number), Some(fault)) if vector_number == fault => Ok(()),
        (Err(raised), _) => Err(format!("raised exception {raised}")),
        (Ok(_), Some(fault)) => Err(format!("completed, but exception {fault} was expected")),
        (Ok(state), None) => {
            for (number, value) in &expected.registers {
                if state.registers[*number] != *value {
                    return Err(format!("register {number}: {:#x}, expected {value:#x}", state.registers[*number]));
                }
            }
            if let Some(flags) = expected.flags {
                let mask = expected.defined;
                if state.eflags & mask != flags & mask {
                    return Err(format!(
                        "flags {:#x}, expected {:#x} (mask {mask:#x})",
                        state.eflags & mask,
                        flags & mask
                    ));
                }
            }
            for (offset, byte) in &expected.memory {
                if state.scratch[*offset] != *byte {
                    return Err(format!(
                        "scratch+{offset:#x} is {:#04x}, expected {byte:#04x}",
                        state.scratch[*offset]
                    ));
                }
            }
            Ok(())
        }
    }
}
