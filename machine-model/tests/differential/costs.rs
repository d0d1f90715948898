//! What every form costs, pinned: each integer instruction form the
//! differential test generates runs with random operands on both modelled
//! CPUs, and the cycles, results and TLB, cache and pipeline counters are
//! compared with `tests/vectors/form-costs.txt` (one line per form).
//!
//! Why: the interpreter gets handlers specialised by operand form and a
//! precomputed charge per decoded instruction (issue 16), on the condition
//! that no modelled figure changes. The system digest
//! (`tests/tests/model_digest.rs`) pins whole runs; this pins each form, so
//! a change says which one. A deliberate change of costs regenerates the
//! file with `L4_BLESS=1 cargo test -p machine-model --test differential`,
//! in a commit of its own that says why.

use super::common;
use super::generate;
use super::helper::Case;
use iced_x86::Code;
use machine_model::{CpuModel, Machine};
use std::fmt::Write as _;

const CASES: usize = 12;

/// FNV-1a over text.
fn hash(state: &mut u64, text: &str) {
    for byte in text.bytes() {
        *state ^= byte as u64;
        *state = state.wrapping_mul(0x0000_0100_0000_01B3);
    }
}

fn counters(machine: &Machine) -> String {
    let mut text = format!("{} {} {}", machine.cycles, machine.instructions, machine.mmu.walks);
    for tlb in machine.mmu.tlbs() {
        let _ = write!(text, " {:?}", tlb.counters);
    }
    for cache in machine.caches.all() {
        let _ = write!(text, " {:?}", cache.counters);
    }
    let pipeline = machine.pipeline();
    let _ = write!(text, " {} {} {}", pipeline.pairs, pipeline.mispredictions, pipeline.agi_stalls);
    text
}

fn form_line(code: Code, index: u64, machines: &mut [Machine; 2]) -> String {
    let mut random = generate::Random::new(0x436F_7374 ^ (index << 20));
    let cases: Vec<Case> = (0..CASES * 2).filter_map(|_| generate::case(code, &mut random)).take(CASES).collect();
    let mut line = format!("{code:?}");
    for machine in machines.iter_mut() {
        let started = machine.cycles;
        let mut state = 0xCBF2_9CE4_8422_2325u64;
        for case in &cases {
            let before = machine.cycles;
            let outcome = super::run_on_model(machine, case);
            hash(&mut state, &format!("{} {outcome:?} {}", machine.cycles - before, counters(machine)));
        }
        let _ = write!(line, " {}={}:{state:016x}", machine.model().name(), machine.cycles - started);
    }
    line
}

#[test]
fn every_form_costs_what_the_committed_file_says() {
    let mut machines = [common::machine(CpuModel::I486), common::machine(CpuModel::Pentium)];
    for machine in machines.iter_mut() {
        common::start(machine, &[0xCD, 0x30]);
        common::run_to_entry(machine);
    }
    let lines: Vec<String> = generate::forms()
        .into_iter()
        .enumerate()
        .map(|(index, code)| form_line(code, index as u64, &mut machines))
        .collect();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/form-costs.txt");
    let mut actual = String::from(
        "# Cycles and a digest of results and counters per form, both CPUs (tests/differential/costs.rs).\n\
         # Regenerate only for a deliberate change of costs, in a commit of its own:\n\
         # L4_BLESS=1 cargo test -p machine-model --test differential\n",
    );
    for line in &lines {
        actual.push_str(line);
        actual.push('\n');
    }
    if std::env::var_os("L4_BLESS").is_some() {
        std::fs::write(&path, &actual).expect("the vectors folder is writable");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let expected: Vec<&str> = expected.lines().filter(|line| !line.starts_with('#')).collect();
    let differences: Vec<String> = expected
        .iter()
        .zip(&lines)
        .filter(|(expected, actual)| *expected != actual)
        .map(|(expected, actual)| format!("expected: {expected}\n  actual: {actual}"))
        .collect();
    assert!(
        differences.is_empty() && expected.len() == lines.len(),
        "{} of {} forms cost differently from {} ({} lines there):\n{}",
        differences.len(),
        lines.len(),
        path.display(),
        expected.len(),
        differences.join("\n")
    );
}
