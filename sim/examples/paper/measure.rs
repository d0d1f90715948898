//! The measurement of `cargo xtask bench paper` (`main.rs`): `program.asm`
//! run on the model with every kernel entry's cost kept, its phases taken
//! apart with the machine's ledger. Also compiled into the tests crate
//! (`tests/tests/paper_goals.rs`), which holds the model to issue 14's goal.

use sim::entry_costs::{AverageParts, CostRecord};
use sim::model::Ledger;
use sim::{Budget, CpuModel, RunResult, System, SystemConfig};

pub const PROGRAM: &str = include_str!("program.asm");
/// Round trips per IPC phase (program.asm's ROUNDS).
pub const ROUNDS: u64 = 2000;
pub const ID_NEAREST: u8 = 0x31;
pub const IPC: u8 = 0x30;

/// Kernel entries of one kind in a phase, averaged.
#[derive(Clone, Copy)]
pub struct Average {
    pub count: u64,
    pub total: f64,
    pub parts: AverageParts,
}

impl Average {
    pub fn of<'a>(records: impl Iterator<Item = &'a CostRecord>) -> Result<Self, String> {
        let (mut count, mut total, mut parts) = (0, 0, Ledger::default());
        for record in records {
            count += 1;
            total += record.cost.total;
            parts.add(&record.cost.parts);
        }
        if count == 0 {
            return Err("a phase made no kernel entry of its kind".into());
        }
        let idle = total - parts.cycles();
        Ok(Self { count, total: total as f64 / count as f64, parts: AverageParts::of(&parts, idle, count) })
    }

    /// The part that is neither the CPU's entry nor its exit.
    pub fn kernel(&self) -> f64 {
        self.total - self.parts.entry - self.parts.exit
    }

    /// What it is made of, part by part.
    pub fn breakdown(&self) -> String {
        let parts = &self.parts;
        let mut text = format!(
            "entry {:.0} · kernel path {:.0} ({:.0} instructions)",
            parts.entry, parts.kernel_path, parts.kernel_instructions
        );
        let optional = [
            (parts.space_switch, "CR3 load".to_string()),
            (parts.segment_reload, "segment reloads".to_string()),
            (parts.tlb_refill_cycles, format!("{:.1} TLB refills", parts.tlb_refills)),
            (parts.cache_miss_cycles, format!("{:.1} cache misses", parts.cache_misses)),
            (parts.other, "invlpg and ports".to_string()),
            (parts.idle, "waiting".to_string()),
        ];
        for (cycles, what) in optional {
            if cycles >= 0.05 {
                text += &format!(" · {what} {cycles:.1}");
            }
        }
        text + &format!(" · exit {:.0}", parts.exit)
    }
}

/// What one run of the program measured.
pub struct Phases {
    pub null_hot: Average,
    pub null_cold: Average,
    pub between: Average,
    pub within: Average,
    /// User to user, the loops' own instructions included.
    pub round_trip_between: f64,
}

/// Run `program.asm` on `cpu` and take its phases apart.
pub fn measure(cpu: CpuModel, small_spaces: bool) -> Result<Phases, String> {
    let elf = sim::scenarios::assemble("paper.asm", PROGRAM)?;
    let mut config = SystemConfig::new(cpu);
    config.small_spaces = small_spaces;
    let mut system = System::new(config);
    system.log_mut().keep_entry_costs = sim::entry_costs::Keep::Every;
    system
        .boot(&[sim::scenarios::sigma0()?, sim::Module::new("paper.asm", elf)])
        .map_err(|error| format!("boot: {error:?}"))?;
    let budget = Budget { stop_in_kernel_debugger: true, ..Budget::cycles(u64::MAX) };
    let mut marks = Vec::new();
    while marks.len() < 5 {
        match system.run(budget) {
            RunResult::Event => marks.push(system.machine().cycles),
            RunResult::Limit => {}
            other => {
                let console = String::from_utf8_lossy(system.console()).into_owned();
                return Err(format!("the program stopped early: {other:?}\n{console}"));
            }
        }
    }
    let result = system.run(Budget::cycles(u64::MAX));
    let console = String::from_utf8_lossy(system.console()).into_owned();
    if result != (RunResult::Exited { value: 0x10 }) {
        return Err(format!("the program's checks failed: {result:?}\n{console}"));
    }
    let records: Vec<CostRecord> = system.log().entry_costs().records().copied().collect();
    let phase = |index: usize| {
        let (from, to) = (marks[index], marks[index + 1]);
        records.iter().filter(move |record| (from..to).contains(&record.cost.started))
    };
    let of_vector = |index: usize, vector: u8| Average::of(phase(index).filter(|record| record.cost.vector == vector));
    // A cold call is one with no interrupt since the eviction before it
    // (the timer's entry would have brought the kernel's lines back).
    let mut ticked = false;
    let cold = phase(1).filter(|record| match record.cost.vector {
        ID_NEAREST => !std::mem::replace(&mut ticked, false),
        0x20..=0x2F => {
            ticked = true;
            false
        }
        _ => false,
    });
    // The markers' entries and any timer ticks are not part of a round trip.
    let others: u64 = phase(2).filter(|record| record.cost.vector != IPC).map(|record| record.cost.total).sum();
    Ok(Phases {
        null_hot: of_vector(0, ID_NEAREST)?,
        null_cold: Average::of(cold)?,
        between: of_vector(2, IPC)?,
        within: of_vector(3, IPC)?,
        round_trip_between: (marks[3] - marks[2] - others) as f64 / ROUNDS as f64,
    })
}
