//! Everything the model reports, pinned: a fixed set of workloads and
//! scenarios (and `tests/fixtures/digest-mix.asm`, a mix of instruction
//! forms) runs on both CPUs, and a digest of what each reported — the
//! modelled cycles, instructions, TLB, cache and pipeline counters, the
//! kernel's and the machine's event traces with their cycle stamps, the
//! console, and the explorer's Costs view — is compared with
//! `tests/fixtures/model-digest.txt`.
//!
//! Why: the model is made faster (issue 16) on the condition that nothing it
//! reports changes. An optimisation that moves a single cycle, TLB fill or
//! event fails here. A deliberate change of behaviour (a conformance fix, a
//! kernel fast path) regenerates the file with `L4_BLESS=1 cargo test -p
//! tests --test model_digest`, in a commit of its own that says why — never
//! together with an optimisation.
//!
//! Each run is done twice where it can be: with events recorded and
//! without (the figures must not depend on whether anyone listens).
#![allow(clippy::unwrap_used)]

use sim::model::workload::{self, Workload};
use sim::model::{EventFilter, Exit, Machine, RunLimit, UserFrame};
use sim::scenarios::{self, Directives};
use sim::{Budget, CpuModel, RunResult, System, SystemConfig};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// FNV-1a, 64 bits: stable across platforms and Rust versions.
#[derive(Clone, Copy)]
struct Digest {
    state: u64,
    count: u64,
}

impl Digest {
    fn new() -> Self {
        Self { state: 0xCBF2_9CE4_8422_2325, count: 0 }
    }
    fn add(&mut self, text: &str) {
        for byte in text.bytes().chain([b'\n']) {
            self.state ^= byte as u64;
            self.state = self.state.wrapping_mul(0x0000_0100_0000_01B3);
        }
        self.count += 1;
    }
    fn show(&self) -> String {
        format!("{}:{:016x}", self.count, self.state)
    }
}

fn cpu_name(cpu: CpuModel) -> &'static str {
    match cpu {
        CpuModel::I486 => "486",
        CpuModel::Pentium => "pentium",
    }
}

/// The machine's own figures: clock, counts, every TLB, cache and pipeline counter.
fn machine_figures(machine: &Machine) -> String {
    let mut text = format!(
        "cycles={} instructions={} attempts={} walks={}",
        machine.cycles, machine.instructions, machine.attempts, machine.mmu.walks
    );
    for tlb in machine.mmu.tlbs() {
        let counters = tlb.counters;
        let _ = write!(
            text,
            " {}=[{} {} {} {} {} {}]",
            tlb.kind().name(),
            counters.hits,
            counters.misses,
            counters.fills,
            counters.flushes,
            counters.invalidations,
            counters.entries_flushed
        );
    }
    for cache in machine.caches.all() {
        let counters = cache.counters;
        let _ = write!(
            text,
            " {}=[{} {} {} {}]",
            cache.name(),
            counters.read_hits,
            counters.read_misses,
            counters.write_hits,
            counters.write_misses
        );
    }
    let pipeline = machine.pipeline();
    let _ = write!(
        text,
        " pairs={} mispredictions={} agi={}",
        pipeline.pairs, pipeline.mispredictions, pipeline.agi_stalls
    );
    // The state the next instruction starts from, too.
    let _ = write!(
        text,
        " eip={:#x} eflags={:#x} registers={:x?}",
        machine.cpu.eip,
        machine.cpu.eflags(),
        machine.cpu.registers
    );
    text
}

/// Drain the machine's recorded events into `digest`.
fn drain_machine(machine: &mut Machine, digest: &mut Digest) {
    for (cycle, event) in machine.events.drain_timed() {
        digest.add(&format!("{cycle} {event:?}"));
    }
}

/// A benchmark workload (`machine_model::workload`), `instructions` long.
fn workload_line(cpu: CpuModel, workload: Workload, events: bool) -> String {
    let mut machine = workload::prepare(cpu, workload).unwrap();
    machine.events.set_filter(if events { EventFilter::ALL } else { EventFilter::NONE });
    let mut digest = Digest::new();
    for _ in 0..20 {
        workload::advance(&mut machine, workload, 10_000).unwrap();
        drain_machine(&mut machine, &mut digest);
    }
    let name = match workload {
        Workload::IntegerLoop => "integer-loop",
        Workload::PagesWithCr3Loads => "pages-cr3",
    };
    let recorded = if events { format!(" machine-events={}", digest.show()) } else { String::new() };
    let switch = if events { "on" } else { "off" };
    format!("workload {name} {} events={switch}: {}{recorded}", cpu_name(cpu), machine_figures(&machine))
}

/// xorshift, as `machine-model/tests/random_code.rs` uses.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Pages of random bytes run as user code from random registers: nearly
/// every instruction form, its faults and its costs, in a few seconds.
fn random_code_line(cpu: CpuModel, events: bool) -> String {
    let mut random = Random(0x5EED_1234_5678_9ABD);
    let mut machine = workload::bare_machine(cpu);
    machine.events.set_filter(if events { EventFilter::ALL } else { EventFilter::NONE });
    let mut digest = Digest::new();
    let mut outcomes = Digest::new();
    let user_data = workload::USER_DATA;
    let segments = [user_data, workload::USER_CODE, user_data, user_data, user_data, user_data];
    for program in 0..24 {
        let mut code = vec![0u8; 4 * 4096];
        code.iter_mut().for_each(|byte| *byte = random.next() as u8);
        machine.memory.write(sim::ia32::PhysAddr(workload::CODE), &code);
        for _ in 0..100 {
            let registers: [u32; 8] = std::array::from_fn(|index| match index {
                4 => workload::STACK_TOP - (random.next() as u32 % 4096),
                // Some registers point into the data pages, so memory operands hit mapped memory.
                6 | 7 => workload::DATA + (random.next() as u32 % 0x4000),
                _ => random.next() as u32,
            });
            let frame = UserFrame {
                registers,
                eip: workload::CODE + (random.next() as u32 % (4 * 4096)),
                eflags: (random.next() as u32 & 0x0CD5) | 0x202,
                segments,
            };
            machine.return_to_user(&frame, false).unwrap();
            let outcome = match machine.run(RunLimit::instructions(2_000)) {
                Ok(Exit::KernelEntry(entry)) => {
                    format!("entry {} {:?} {:#x}", entry.vector, entry.error_code, entry.frame.eip)
                }
                Ok(Exit::Limit) => {
                    machine.memory.write(sim::ia32::PhysAddr(workload::CODE + 5 * 4096), &[0xCD, 0x30]);
                    machine.cpu.eip = workload::CODE + 5 * 4096;
                    let ended = machine.run(RunLimit::instructions(10));
                    assert!(matches!(ended, Ok(Exit::KernelEntry(_))), "int 0x30 did not enter the kernel: {ended:?}");
                    "limit".to_string()
                }
                other => panic!("program {program}: the machine stopped with {other:?}"),
            };
            outcomes.add(&format!("{outcome} {}", machine.cycles));
            drain_machine(&mut machine, &mut digest);
        }
    }
    let recorded = if events { format!(" machine-events={}", digest.show()) } else { String::new() };
    format!(
        "random-code {} events={}: {} outcomes={}{recorded}",
        cpu_name(cpu),
        if events { "on" } else { "off" },
        machine_figures(&machine),
        outcomes.show()
    )
}

/// A system booted with `modules`, run to its verdict in slices (as the
/// explorer runs it), its log digested as it goes.
fn system_line(name: &str, cpu: CpuModel, small_spaces: bool, input: &[u8], events: bool) -> String {
    let modules = match (scenarios::find(name), scenarios::find_test(name)) {
        (Some(scenario), _) => scenario.modules().unwrap(),
        (None, Some(program)) => program.modules().unwrap(),
        (None, None) => {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(format!("{name}.asm"));
            let source = std::fs::read_to_string(&path).unwrap();
            let elf = scenarios::assemble(&format!("{name}.asm"), &source).unwrap_or_else(|error| panic!("{error}"));
            vec![scenarios::sigma0().unwrap(), sim::Module::new(name, elf)]
        }
    };
    let mut config = SystemConfig::new(cpu);
    config.small_spaces = small_spaces;
    config.machine_events = if events { EventFilter::CHANGES } else { EventFilter::NONE };
    let mut system = System::new(config);
    system.feed_input(input);
    system.boot(&modules).unwrap();
    let mut kernel_events = Digest::new();
    let mut machine_events = Digest::new();
    let result = loop {
        let result = system.run(Budget { until_cycle: 2_000_000_000, ..Budget::instructions(250_000) });
        let next = system.log().next_sequence();
        for entry in system.log().iter() {
            match &entry.source {
                sim::Source::Machine(_) => machine_events.add(&format!("{entry:?}")),
                _ => kernel_events.add(&format!("{entry:?}")),
            }
        }
        system.log_mut().forget_before(next);
        if result != RunResult::Limit || system.machine().cycles >= 2_000_000_000 {
            break result;
        }
    };
    let mut console = Digest::new();
    console.add(&String::from_utf8_lossy(system.console()));
    let counts = system.log().counts();
    let mut line = format!(
        "system {name}{} {} events={}: result={result:?} {} kernel-instructions={} kernel-entries={} statistics={:?} counts=[{} {} {} {} {}] console={} kernel-events={}",
        if small_spaces { " small-spaces" } else { "" },
        cpu_name(cpu),
        if events { "on" } else { "off" },
        machine_figures(system.machine()),
        system.kernel_instructions(),
        system.kernel_entries(),
        system.kernel().statistics,
        counts.ipc_cycles,
        counts.ipc_entries,
        counts.tlb_misses,
        counts.messages,
        counts.space_switches,
        console.show(),
        kernel_events.show(),
    );
    if events {
        let _ = write!(line, " machine-events={}", machine_events.show());
    }
    line
}

/// The explorer's Costs view after running a scenario to its end.
fn costs_line(name: &str, cpu: wasm_bridge::CpuChoice) -> String {
    let mut session =
        wasm_bridge::Session::new(wasm_bridge::SessionConfig { scenario: name.into(), cpu, small_spaces: false })
            .unwrap();
    while session.run_slice(100_000) {}
    format!("costs {name} {cpu:?}: position={} {:?}", session.position(), session.costs())
}

fn digest_lines() -> Vec<String> {
    let mut lines = Vec::new();
    for cpu in [CpuModel::I486, CpuModel::Pentium] {
        for workload in Workload::ALL {
            for events in [false, true] {
                lines.push(workload_line(cpu, workload, events));
            }
        }
        for events in [false, true] {
            lines.push(random_code_line(cpu, events));
        }
        for scenario in scenarios::SCENARIOS {
            for events in [false, true] {
                lines.push(system_line(scenario.name, cpu, false, &[], events));
            }
        }
        lines.push(system_line("ping-pong", cpu, true, &[], true));
        for events in [false, true] {
            lines.push(system_line("digest-mix", cpu, false, &[], events));
        }
        for program in scenarios::TESTS {
            let directives = Directives::parse(program.source).unwrap();
            lines.push(system_line(program.name(), cpu, directives.small_spaces, &directives.input, true));
        }
    }
    for cpu in [wasm_bridge::CpuChoice::I486, wasm_bridge::CpuChoice::Pentium] {
        for scenario in ["ping-pong", "many-threads"] {
            lines.push(costs_line(scenario, cpu));
        }
    }
    lines
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join("model-digest.txt")
}

#[test]
fn every_modelled_figure_matches_the_committed_digest() {
    let lines = digest_lines();
    let mut actual = String::from(
        "# What the model reports for a fixed set of runs (tests/tests/model_digest.rs).\n\
         # Regenerate only for a deliberate change of behaviour, in a commit of its own:\n\
         # L4_BLESS=1 cargo test -p tests --test model_digest\n",
    );
    for line in &lines {
        actual.push_str(line);
        actual.push('\n');
    }
    let path = fixture();
    if std::env::var_os("L4_BLESS").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {} ({error}); bless it first", path.display()));
    let differences: Vec<String> = expected
        .lines()
        .filter(|line| !line.starts_with('#'))
        .zip(lines.iter())
        .filter(|(expected, actual)| expected != actual)
        .map(|(expected, actual)| format!("expected: {expected}\n  actual: {actual}"))
        .collect();
    let expected_count = expected.lines().filter(|line| !line.starts_with('#')).count();
    assert!(
        differences.is_empty() && expected_count == lines.len(),
        "{} of {} runs report differently from {} ({} lines expected):\n{}",
        differences.len(),
        lines.len(),
        path.display(),
        expected_count,
        differences.join("\n")
    );
}
