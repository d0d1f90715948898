//! `cargo xtask calibrate`: count the kernel's instructions per path on the
//! native image (QEMU, single-stepped through gdb), price them with the
//! model's cost tables, and write `sim/data/kernel-paths.txt`, from which
//! the model charges kernel work. See `xtask::calibrate`.

use crate::arguments::Arguments;
use crate::commands::bench::symbol_address;
use std::collections::BTreeMap;
use std::path::PathBuf;
use xtask::calibrate::{self, PATH_NAMES, Sample};
use xtask::modules::Programs;
use xtask::qemu::Cpu;
use xtask::{Result, TaskError, paths, process};

/// Where the root task of every workload starts (the assembler's default
/// link address): tracing begins there, after the boot and sigma0's start.
const ROOT_ENTRY: u32 = 0x0040_0000;

/// Single steps per workload.
const STEPS: usize = 60_000;

/// What runs while the kernel is traced, and where tracing starts: between
/// them, every path. Most start at the root task's entry; ping-pong starts at
/// ping's call loop, past the page faults, so its steady-state register IPCs
/// (the fast path) are what is traced; sigma0's own start has the page faults
/// the kernel resolves for it; ipc-registers' send errors have failing IPCs.
/// (Interrupts are not traced: QEMU masks them while gdb single-steps.)
fn workloads() -> Result<Vec<(Programs, calibrate::Start)>> {
    let root = calibrate::Start::At(ROOT_ENTRY);
    let test = |name: &str| {
        (Programs::Files(vec![paths::root().join("scenarios").join("tests").join(format!("{name}.asm"))]), root)
    };
    let errors = Programs::Files(vec![paths::root().join("scenarios").join("tests").join("ipc-registers.asm")]);
    let hello = Programs::Scenario("hello".into());
    Ok(vec![
        (Programs::Scenario("ping-pong".into()), calibrate::Start::At(crate::commands::bench::ping_loop()?)),
        (hello.clone(), calibrate::Start::At(symbol_address(&hello, 0, "_start")?)),
        (errors.clone(), calibrate::Start::At(symbol_address(&errors, 1, "send_errors")?)),
        (Programs::Scenario("ping-pong".into()), root),
        (Programs::Scenario("hello".into()), root),
        test("ipc-registers"),
        test("ipc-memory"),
        test("map-grant-unmap"),
        test("threads-schedule"),
        test("exceptions"),
    ])
}

/// Trace every workload on `cpu`; returns all samples.
pub fn trace_all(cpu: Cpu, per_path: usize) -> Result<Vec<Sample>> {
    let mut samples = Vec::new();
    for (programs, start) in workloads()? {
        eprintln!("xtask: tracing the kernel on -cpu {} under {programs:?}", cpu.qemu_name());
        samples.extend(calibrate::trace(cpu, &programs, start, per_path, STEPS)?);
    }
    Ok(samples)
}

/// Price samples with `l4-price`: path → (instructions, cycles, samples).
pub fn price(samples: &[Sample], cpu: Cpu, name: &str) -> Result<BTreeMap<String, (u32, u32, u32)>> {
    let file = paths::target().join("calibration").join(format!("traces-{name}.txt"));
    std::fs::create_dir_all(file.parent().unwrap_or(&paths::target()))?;
    std::fs::write(&file, calibrate::write_samples(samples))?;
    let mut command = process::cargo();
    command.args(["run", "--quiet", "--release", "--package", "sim", "--bin", "l4-price", "--"]);
    command.arg(&file).arg("--cpu").arg(cpu.qemu_name());
    let output = process::output(&mut command)?;
    let mut table = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if let [path, instructions, cycles, count] = fields[..] {
            let number = |text: &str| text.parse::<u32>().map_err(|_| TaskError::new(format!("l4-price: `{line}`")));
            table.insert(path.to_string(), (number(instructions)?, number(cycles)?, number(count)?));
        }
    }
    Ok(table)
}

pub fn run(arguments: Arguments) -> Result<i32> {
    arguments.finish("calibrate", "no options")?;
    let mut tables = Vec::new();
    for (cpu, name) in [(Cpu::I486, "486"), (Cpu::Pentium, "pentium")] {
        let samples = trace_all(cpu, 25)?;
        tables.push(price(&samples, cpu, name)?);
    }
    let mut text = String::from(
        "# Kernel path costs for the machine model, written by `cargo xtask calibrate`.\n\
         #\n\
         # The model does not interpret the kernel (ring 0 runs natively); each kernel\n\
         # entry names the path it took (kernel::cost::Path) and the model charges that\n\
         # path's cycles from this table. The numbers come from the native image:\n\
         # calibrate single-steps each path in QEMU (-cpu 486 and -cpu pentium), records\n\
         # the instructions the real binary executes from the entry stub to the iret,\n\
         # and prices that sequence with the model's cost tables (median over the\n\
         # samples). `iret`, `mov cr3`, `invlpg` and port I/O are left out of the price:\n\
         # the model charges them itself when the kernel asks for them. The numbers are\n\
         # never fitted to the paper's figures.\n\
         #\n\
         # Format: path i486-instructions i486-cycles pentium-instructions pentium-cycles\n",
    );
    let mut missing = Vec::new();
    for path in PATH_NAMES {
        match (tables[0].get(path), tables[1].get(path)) {
            (Some(i486), Some(pentium)) => {
                text.push_str(&format!("{path} {} {} {} {}\n", i486.0, i486.1, pentium.0, pentium.1));
                eprintln!(
                    "xtask: {path:14} 486: {:4} instructions {:5} cycles ({} samples)   Pentium: {:4} instructions {:5} cycles ({} samples)",
                    i486.0, i486.1, i486.2, pentium.0, pentium.1, pentium.2
                );
            }
            _ => missing.push(path),
        }
    }
    let file: PathBuf = paths::root().join("sim").join("data").join("kernel-paths.txt");
    std::fs::write(&file, text)?;
    eprintln!("xtask: wrote {}", file.display());
    if !missing.is_empty() {
        eprintln!("xtask: no samples for {}: the model charges nothing for them", missing.join(", "));
    }
    Ok(0)
}
