//! `cargo xtask calibrate`: count the kernel's instructions per path on the
//! native image (QEMU's execution log, see `xtask::calibrate`), price them
//! with the model's cost tables, fit a base and a cost per unit of work for
//! each path, and write `sim/data/kernel-paths.txt`, from which the model
//! charges kernel work — with the hash of the kernel sources it was
//! measured on, so that a test notices when it is stale.

use crate::arguments::Arguments;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;
use xtask::calibrate::{self, Limits, PATH_NAMES, Sample};
use xtask::modules::Programs;
use xtask::qemu::Cpu;
use xtask::{Result, TaskError, paths, process};

/// A fitted path: samples, base (instructions, cycles), per unit (name, instructions, cycles).
pub type Fitted = (u32, f64, f64, Vec<(String, f64, f64)>);

/// What runs while the kernel is traced: between them, every path — the
/// fast path and the register IPCs (ping-pong, large and small spaces),
/// blocking and failing IPCs, long IPC with strings and faults in them,
/// map/grant/unmap, the small system calls, thread and task management,
/// the kernel debugger, exceptions, sigma0's faults (every boot), interrupts
/// (the timer, and a driver's IRQ 4).
fn workloads() -> Vec<(Programs, Vec<&'static str>)> {
    let test =
        |name: &str| Programs::Files(vec![paths::root().join("scenarios").join("tests").join(format!("{name}.asm"))]);
    let mut list = vec![
        (Programs::Scenario("ping-pong".into()), vec![]),
        (Programs::Scenario("ping-pong".into()), vec!["small-spaces"]),
        (Programs::Scenario("many-threads".into()), vec![]),
        (Programs::Scenario("hello".into()), vec![]),
    ];
    for name in [
        "ipc-registers",
        "ipc-memory",
        "string-faults",
        "map-grant-unmap",
        "map-rights",
        "threads-schedule",
        "clans-tasks",
        "task-delete",
        "exceptions",
        "kdebug",
        "interrupts",
        "io-ports",
        "small-spaces",
        "sigma0-protocol",
    ] {
        list.push((test(name), vec![]));
    }
    list
}

/// Trace every workload on `cpu`; returns all samples.
pub fn trace_all(cpu: Cpu, per_path: usize) -> Result<Vec<Sample>> {
    let mut samples = Vec::new();
    let limits = Limits { per_path, entries: 6_000, time: Duration::from_secs(40) };
    for (programs, options) in workloads() {
        eprintln!("xtask: tracing the kernel on -cpu {} under {programs:?} {options:?}", cpu.qemu_name());
        samples.extend(calibrate::trace(cpu, &programs, &options, limits)?);
    }
    Ok(samples)
}

/// Price and fit samples with `l4-price`: path → its fit.
pub fn price(samples: &[Sample], cpu: Cpu, name: &str) -> Result<BTreeMap<String, Fitted>> {
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
        let bad = || TaskError::new(format!("l4-price: `{line}`"));
        if fields.len() < 4 || !(fields.len() - 4).is_multiple_of(3) {
            return Err(bad());
        }
        let number = |text: &str| text.parse::<f64>().map_err(|_| bad());
        let units = fields[4..]
            .chunks(3)
            .map(|group| Ok((group[0].to_string(), number(group[1])?, number(group[2])?)))
            .collect::<Result<Vec<_>>>()?;
        table.insert(fields[0].to_string(), (number(fields[1])? as u32, number(fields[2])?, number(fields[3])?, units));
    }
    Ok(table)
}

/// The hash of the kernel sources the table describes (`l4-price --sources-hash`).
fn sources_hash() -> Result<String> {
    let mut command = process::cargo();
    command.args(["run", "--quiet", "--release", "--package", "sim", "--bin", "l4-price", "--", "--sources-hash"]);
    command.arg(paths::root());
    let output = process::output(&mut command)?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// `0.250` → `0.25`, `12.000` → `12`.
fn short(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" { "0".into() } else { text.to_string() }
}

pub fn run(arguments: Arguments) -> Result<i32> {
    arguments.finish("calibrate", "no options")?;
    let started = std::time::Instant::now();
    let mut tables = Vec::new();
    for (cpu, name) in [(Cpu::I486, "486"), (Cpu::Pentium, "pentium")] {
        let samples = trace_all(cpu, 40)?;
        tables.push(price(&samples, cpu, name)?);
    }
    let mut text = format!(
        "# Kernel path costs for the machine model, written by `cargo xtask calibrate`.\n\
         #\n\
         # The model does not interpret the kernel (ring 0 runs natively); each kernel\n\
         # entry names the path it took (kernel::cost::Path) and the work it did at the\n\
         # hardware boundary (kernel::cost::Work), and the model charges the path's base\n\
         # plus its cost per unit of work from this table. The numbers come from the\n\
         # native image: calibrate runs varied workloads in QEMU (-cpu 486 and -cpu\n\
         # pentium) logging every kernel instruction executed from the entry stub to the\n\
         # iret, prices each entry with the model's cost tables, and fits base and\n\
         # per-unit costs by least squares over the entries of each path. `iret`,\n\
         # `mov cr3`, `invlpg` and port I/O are left out of the price: the model charges\n\
         # them itself when the kernel asks for them. The numbers are never fitted to the\n\
         # paper's figures.\n\
         #\n\
         # Format: path i486-instructions i486-cycles pentium-instructions pentium-cycles,\n\
         # then per unit of work: unit i486-instructions i486-cycles pentium-instructions\n\
         # pentium-cycles (per unit).\n\
         # sources {}\n",
        sources_hash()?
    );
    let mut missing = Vec::new();
    for path in PATH_NAMES {
        match (tables[0].get(path), tables[1].get(path)) {
            (Some(i486), Some(pentium)) => {
                text.push_str(&format!(
                    "{path} {} {} {} {}",
                    short(i486.1.round()),
                    short(i486.2.round()),
                    short(pentium.1.round()),
                    short(pentium.2.round())
                ));
                let mut units: Vec<&String> = i486.3.iter().chain(&pentium.3).map(|unit| &unit.0).collect();
                units.sort();
                units.dedup();
                for unit in units {
                    let of =
                        |fit: &Fitted| fit.3.iter().find(|entry| &entry.0 == unit).map_or((0.0, 0.0), |e| (e.1, e.2));
                    let (a, b) = (of(i486), of(pentium));
                    text.push_str(&format!(" {unit} {} {} {} {}", short(a.0), short(a.1), short(b.0), short(b.1)));
                }
                text.push('\n');
                eprintln!(
                    "xtask: {path:14} 486: {:5.0} instructions {:6.0} cycles ({} samples)   Pentium: {:5.0} instructions {:6.0} cycles ({} samples){}",
                    i486.1,
                    i486.2,
                    i486.0,
                    pentium.1,
                    pentium.2,
                    pentium.0,
                    if i486.3.is_empty() { String::new() } else { " + per unit of work".into() }
                );
            }
            _ => missing.push(path),
        }
    }
    let file: PathBuf = paths::root().join("sim").join("data").join("kernel-paths.txt");
    if missing.len() == PATH_NAMES.len() {
        // Nothing traced at all: the image never reached the calibration
        // marker (or the log never reached us). Keep the table there is.
        return Err(TaskError::new(format!(
            "no kernel entry was traced on either CPU, so {} is left as it was; \
             `cargo xtask boot --scenario ping-pong` shows whether the native image boots",
            file.display()
        )));
    }
    std::fs::write(&file, text)?;
    eprintln!("xtask: wrote {} in {:.0} s", file.display(), started.elapsed().as_secs_f64());
    if !missing.is_empty() {
        eprintln!("xtask: no samples for {}: the model charges nothing for them", missing.join(", "));
    }
    Ok(0)
}
