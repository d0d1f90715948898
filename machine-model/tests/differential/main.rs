//! The model against real silicon: every integer instruction form the model
//! executes, with random operands, run on the host CPU in 32-bit mode and in
//! the model; registers, defined flags and memory must agree.
//!
//! CI runs `L4_DIFFERENTIAL_CASES` (default 200) cases per form; set it to
//! millions for a long run, and `L4_DIFFERENTIAL_SEED` to reproduce one.
#![allow(clippy::unwrap_used)] // test support code: a failed unwrap is a failed test

#[path = "../common/mod.rs"]
mod common;
mod compare;
mod costs;
mod generate;
mod helper;

use helper::{Case, Helper, SCRATCH, SCRATCH_SIZE, SLOT, State};
use iced_x86::{Code, Formatter, NasmFormatter};
use machine_model::{CpuModel, Exit, Machine, RunLimit, UserFrame};

fn run_on_model(machine: &mut Machine, case: &Case) -> Result<State, String> {
    let mut code = case.code.clone();
    code.resize(helper::CODE_SIZE, 0x90);
    code.extend_from_slice(&[0xCD, 0x30]); // int 0x30 ends the case
    machine.memory.write(ia32::PhysAddr(SLOT), &code);
    machine.memory.write(ia32::PhysAddr(SCRATCH), &case.before.scratch);
    let frame = UserFrame {
        registers: case.before.registers,
        eip: SLOT,
        eflags: case.before.eflags,
        segments: [
            common::USER_DATA,
            common::USER_CODE,
            common::USER_DATA,
            common::USER_DATA,
            common::USER_DATA,
            common::USER_DATA,
        ],
    };
    machine.return_to_user(&frame, false).map_err(|error| error.to_string())?;
    match machine.run(RunLimit::instructions(100)) {
        Ok(Exit::KernelEntry(entry)) if entry.vector == 0x30 => {
            let mut scratch = vec![0u8; SCRATCH_SIZE];
            machine.memory.read(ia32::PhysAddr(SCRATCH), &mut scratch);
            Ok(State { registers: entry.frame.registers, eflags: entry.frame.eflags, scratch })
        }
        Ok(Exit::KernelEntry(entry)) => Err(format!(
            "the model raised exception {} ({:?}) at {:#x}",
            entry.vector, entry.error_code, entry.frame.eip
        )),
        other => Err(format!("the model stopped with {other:?}")),
    }
}

fn disassemble(bytes: &[u8]) -> String {
    let mut decoder = iced_x86::Decoder::with_ip(32, bytes, SLOT as u64, iced_x86::DecoderOptions::NONE);
    let instruction = decoder.decode();
    let mut text = String::new();
    NasmFormatter::new().format(&instruction, &mut text);
    text
}

fn cases_per_form() -> usize {
    std::env::var("L4_DIFFERENTIAL_CASES").ok().and_then(|text| text.parse().ok()).unwrap_or(200)
}

fn seed() -> u64 {
    std::env::var("L4_DIFFERENTIAL_SEED").ok().and_then(|text| text.parse().ok()).unwrap_or(0x4C34_4D6F_6465_6C21)
}

#[test]
fn every_form_agrees_with_the_host_cpu() {
    let forms = generate::forms();
    assert!(forms.len() > 300, "only {} forms found", forms.len());
    let mut helper = Helper::start();
    let mut machines = [common::machine(CpuModel::I486), common::machine(CpuModel::Pentium)];
    for machine in machines.iter_mut() {
        // Enter user mode once so every case starts from ring 0 after an int 0x30.
        common::start(machine, &[0xCD, 0x30]);
        common::run_to_entry(machine);
    }
    let count = cases_per_form();
    let seed = seed();
    let mut random = generate::Random::new(seed);
    let mut failures = Vec::new();
    let mut total = 0usize;
    for code in forms.iter().copied() {
        let cases: Vec<Case> = (0..count * 2).filter_map(|_| generate::case(code, &mut random)).take(count).collect();
        if cases.is_empty() {
            failures.push(format!("{code:?}: no case could be generated"));
            continue;
        }
        total += cases.len();
        let silicon = helper.run(&cases);
        let machine = if code == Code::Cmpxchg8b_m64 { &mut machines[1] } else { &mut machines[0] };
        for (case, silicon) in cases.iter().zip(silicon.iter()) {
            let verdict = match run_on_model(machine, case) {
                Ok(model) => compare::difference(case, silicon, &model),
                Err(error) => Some(error),
            };
            if let Some(problem) = verdict {
                failures.push(format!(
                    "{code:?} `{}` ({:02x?}) with {:x?}, eflags {:#x}: {problem}",
                    disassemble(&case.code),
                    case.code,
                    case.before.registers,
                    case.before.eflags
                ));
                break;
            }
        }
    }
    println!("{} forms, {total} cases, seed {seed}", forms.len());
    assert!(failures.is_empty(), "{} forms disagree with the host CPU:\n{}", failures.len(), failures.join("\n"));
}

mod golden;

fn model_outcome(machine: &mut Machine, case: &Case) -> Result<State, u8> {
    run_on_model(machine, case).map_err(|error| {
        // "the model raised exception N (…)": recover N.
        error.split_whitespace().nth(4).and_then(|word| word.parse().ok()).unwrap_or(255)
    })
}

#[test]
fn golden_vectors_hold_on_the_model_and_on_silicon() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/tricky.txt");
    let text = std::fs::read_to_string(&path).expect("vector file");
    let vectors = golden::parse(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    assert!(vectors.len() >= 40, "only {} vectors", vectors.len());
    let mut failures = Vec::new();
    for model in [CpuModel::I486, CpuModel::Pentium] {
        let mut machine = common::machine(model);
        common::start(&mut machine, &[0xCD, 0x30]);
        common::run_to_entry(&mut machine);
        for vector in &vectors {
            let outcome = model_outcome(&mut machine, &vector.case);
            if let Err(problem) = golden::check(vector, outcome.as_ref().map_err(|fault| *fault)) {
                failures.push(format!("{model:?} line {}: `{}`: {problem}", vector.line, vector.text));
            }
        }
    }
    let mut helper = Helper::start();
    let runnable: Vec<&golden::Vector> = vectors.iter().filter(|vector| vector.expected.fault.is_none()).collect();
    let cases: Vec<Case> = runnable.iter().map(|vector| vector.case.clone()).collect();
    for (vector, silicon) in runnable.iter().zip(helper.run(&cases)) {
        if let Err(problem) = golden::check(vector, Ok(&silicon)) {
            failures.push(format!("host CPU line {}: `{}`: {problem}", vector.line, vector.text));
        }
    }
    assert!(failures.is_empty(), "golden vectors failed:\n{}", failures.join("\n"));
}

#[test]
fn a_malformed_vector_file_is_reported_with_its_line() {
    let error = golden::parse("# comment\nd3 e0 | shr eax,cl | eax=1 | eax=1\n").expect_err("the disassembly is wrong");
    assert!(error.contains("line 2") && error.contains("shl eax,cl"), "{error}");
    let error = golden::parse("40 | inc eax | eax=zz | eax=1\n").expect_err("bad hex");
    assert!(error.contains("line 1") && error.contains("eax"), "{error}");
}
