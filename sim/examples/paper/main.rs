//! `cargo xtask bench paper`: Liedtke's figures ("On µ-Kernel Construction",
//! SOSP 1995, on a 486/50; the Pentium's IPC from HotOS 1997) beside this
//! model's, each measured in this run on the modelled i486 and Pentium with
//! the real kernel, and what each model figure is made of.
//!
//! The paper's numbers are printed, never used: the model arrives at its
//! own from the CPUs' cost tables and the kernel's calibrated paths
//! (../shared/REFERENCE.md says which figures are inputs and which are
//! outputs). Kernel entries are taken apart with the machine's ledger
//! (`machine_model::Ledger`), as the explorer's Costs view does.
//!
//! `program.asm` makes the calls in phases, each starting at an
//! `enter_kdebug` where the run stops; `tlb.rs` measures TLB reloads on the
//! bare machine.

mod measure;
mod tlb;

use measure::{Phases, measure};
use sim::CpuModel;

/// Both CPUs' measurements.
struct Cpu {
    large: Phases,
    small: Phases,
    reloads: Vec<tlb::Reload>,
    full_refill: tlb::Reload,
}

fn measure_cpu(cpu: CpuModel) -> Result<Cpu, String> {
    // 4, 14 and 28 pages: the code page and 3, 13, 27 data pages.
    let reloads = [4, 14, 28].iter().map(|pages| tlb::reload(cpu, 1, pages - 1)).collect::<Result<Vec<_>, _>>()?;
    // Every entry of every TLB: 32 I + 64 D on the Pentium, 32 on the 486.
    let full_refill = match cpu {
        CpuModel::Pentium => tlb::reload(cpu, 32, 64)?,
        CpuModel::I486 => tlb::reload(cpu, 1, 31)?,
    };
    Ok(Cpu { large: measure(cpu, false)?, small: measure(cpu, true)?, reloads, full_refill })
}

/// One line of the table: the figure, then the paper's and the model's
/// for the 486 and for the Pentium.
fn row(figure: &str, paper_486: &str, model_486: String, paper_pentium: &str, model_pentium: String) {
    println!("{figure:46} {paper_486:>9} {model_486:>11}   {paper_pentium:>9} {model_pentium:>11}");
}

fn main() {
    let (i486, pentium) = match (measure_cpu(CpuModel::I486), measure_cpu(CpuModel::Pentium)) {
        (Ok(i486), Ok(pentium)) => (i486, pentium),
        (Err(error), _) | (_, Err(error)) => {
            eprintln!("bench paper: {error}");
            std::process::exit(1);
        }
    };
    let both = [&i486, &pentium];
    let cycles = |value: f64| format!("{value:.0}");
    println!(
        "The paper's figures beside the model's, in cycles (486/50 and Pentium/166; \"—\": the paper gives none)."
    );
    println!("Every model figure is measured in this run: the kernel's real paths on the modelled CPUs.\n");
    row("figure", "486 paper", "486 model".into(), "P5 paper", "P5 model".into());
    let [a, b] = both.map(|cpu| cycles(cpu.large.null_hot.parts.entry + cpu.large.null_hot.parts.exit));
    row("kernel entry + exit (int + iret)", "107", a, "—", b);
    let [a, b] = both.map(|cpu| cycles(cpu.large.null_hot.kernel()));
    row("kernel overhead of a null call, hot", "15", a, "—", b);
    let [a, b] = both.map(|cpu| format!("+{:.0}", cpu.large.null_cold.total - cpu.large.null_hot.total));
    row("  cold (caches and TLBs displaced)", "+57", a, "—", b);
    let [a, b] = both.map(|cpu| format!("{:.0}–{:.0}", cpu.large.null_hot.total, cpu.large.null_cold.total));
    row("complete null call, hot–cold (Mach: 900)", "123–180", a, "—", b);
    let [a, b] = both.map(|cpu| cycles(cpu.large.between.total));
    row("one-way IPC between spaces (large spaces)", "250", a, "—", b);
    let [a, b] = both.map(|cpu| cycles(cpu.small.between.total));
    row("one-way IPC between spaces (small spaces)", "—", a, "121", b);
    let [a, b] = both.map(|cpu| cycles(cpu.large.within.total));
    row("one-way IPC within a space", "—", a, "—", b);
    let [a, b] = both.map(|cpu| {
        let parts = &cpu.large.between.parts;
        cycles(parts.entry + parts.exit + parts.space_switch + parts.tlb_refill_cycles)
    });
    row("mandatory cost per IPC (entry, exit, CR3, TLB)", "≥156", a, "—", b);
    for (index, (paper, pages)) in [("72", 4), ("162", 14), ("288", 28)].into_iter().enumerate() {
        let [a, b] = both.map(|cpu| cycles((cpu.reloads[index].cr3 + cpu.reloads[index].cycles) as f64));
        row(&format!("address-space switch, {pages} TLB reloads"), paper, a, "—", b);
    }
    let [a, b] = both.map(|cpu| cycles(cpu.full_refill.cycles as f64));
    row("full TLB refill (486: 32; P5: 32 I + 64 D)", "—", a, "864", b);
    // What an IPC between two small spaces costs beyond one that switches
    // nothing (the kernel's exit reloads the segment registers every time:
    // the switch is the windows the kernel's path changes).
    let [a, b] = both.map(|cpu| cycles(cpu.small.between.total - cpu.large.within.total));
    row("small-space switch (vs IPC within a space)", "39", a, "15", b);
    let [a, b] = both.map(|cpu| cycles(cpu.large.round_trip_between));
    row("echo RPC round trip between spaces", "500", a, "—", b);

    println!("\nWhat the model's figures are made of (cycles per entry, averaged):");
    for (name, cpu) in [("486", &i486), ("Pentium", &pentium)] {
        println!("{name}:");
        let entries = [
            ("null call, hot", &cpu.large.null_hot),
            ("null call, cold", &cpu.large.null_cold),
            ("IPC between large spaces", &cpu.large.between),
            ("IPC between small spaces", &cpu.small.between),
            ("IPC within a space", &cpu.large.within),
        ];
        for (what, average) in entries {
            println!("  {what:26} {:>6.0} = {}  [{} entries]", average.total, average.breakdown(), average.count);
        }
        for reload in cpu.reloads.iter().chain([&cpu.full_refill]) {
            println!(
                "  {:>2} pages after mov cr3    {:>6} = CR3 load {} · {} page walks {}",
                reload.pages(),
                reload.cr3 + reload.cycles,
                reload.cr3,
                reload.walks,
                reload.cycles
            );
        }
    }
    println!(
        "\nThe paper's 250 and 121 leave little room beyond the CPU's own entry and exit: where the model is above,\n\
         the kernel path (its instructions, priced with each CPU's cost table) is the difference — see docs/BENCHMARKS.md."
    );
}
