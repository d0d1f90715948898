//! `l4-price TRACES`: price the kernel-path traces `cargo xtask calibrate`
//! recorded on the native image with the model's cost tables.
//!
//! The traces file holds `sample PATH [CALLS BYTES CLEARED CONSOLE]` lines
//! (the entry's work, as `kernel::cost::Work`), each followed by the
//! instructions of one kernel entry (`EIP BYTES REPEAT`, hex). Each entry is
//! priced hot (`pricing::price_hot`: the Pentium's branch target buffer
//! knows the path's branches, as when it runs again and again). Output, per
//! path: `PATH SAMPLES BASE-INSTRUCTIONS BASE-CYCLES [UNIT INSTRUCTIONS
//! CYCLES]…` — a base plus a cost per unit of work, fitted by least squares
//! over the samples (units that do not vary are left out; a unit whose
//! cost comes out negative is dropped and the rest fitted again). Where no
//! unit varies, the base is the median.
//!
//! Options: `--cpu 486|pentium` (which table; default 486), `--samples`
//! (print every sample too). `l4-price --sources-hash ROOT` prints the hash
//! of the kernel sources the calibration describes (`sim::calibration`).

use machine_model::CpuModel;
use machine_model::pricing::{self, TracedInstruction};
use std::collections::BTreeMap;
use std::process::ExitCode;

/// One traced entry: its path, its work units, its instructions.
type Sample = (String, [f64; 4], Vec<TracedInstruction>);

fn parse(text: &str) -> Result<Vec<Sample>, String> {
    let mut samples: Vec<Sample> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("sample ") {
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let mut work = [0.0; 4];
            for (slot, text) in work.iter_mut().zip(fields.iter().skip(1)) {
                *slot = text.parse().map_err(|_| format!("line {}: `{text}` is not a count", number + 1))?;
            }
            samples.push((fields.first().copied().unwrap_or("").to_string(), work, Vec::new()));
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [eip, bytes, repeat] = fields[..] else {
            return Err(format!("line {}: expected `EIP BYTES REPEAT`", number + 1));
        };
        let bad = || format!("line {}: `{line}` is not `EIP BYTES REPEAT` in hex", number + 1);
        let eip = u32::from_str_radix(eip, 16).map_err(|_| bad())?;
        let repeat = repeat.parse().map_err(|_| bad())?;
        let bytes = (0..bytes.len() / 2)
            .map(|index| u8::from_str_radix(&bytes[2 * index..2 * index + 2], 16).map_err(|_| bad()))
            .collect::<Result<Vec<u8>, String>>()?;
        let Some((_, _, instructions)) = samples.last_mut() else {
            return Err(format!("line {}: an instruction before any `sample` line", number + 1));
        };
        instructions.push(TracedInstruction { eip, bytes, repeat });
    }
    Ok(samples)
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(0.0)
}

/// Least squares of `values` on a constant and the `units` columns of
/// `work` (Gaussian elimination on the normal equations). `None` if singular.
fn least_squares(work: &[[f64; 4]], units: &[usize], values: &[f64]) -> Option<Vec<f64>> {
    let columns = units.len() + 1;
    let row = |sample: &[f64; 4]| -> Vec<f64> {
        std::iter::once(1.0).chain(units.iter().map(|unit| sample[*unit])).collect()
    };
    let mut matrix = vec![vec![0.0; columns + 1]; columns];
    for (sample, value) in work.iter().zip(values) {
        let x = row(sample);
        for i in 0..columns {
            for j in 0..columns {
                matrix[i][j] += x[i] * x[j];
            }
            matrix[i][columns] += x[i] * value;
        }
    }
    for pivot in 0..columns {
        let best = (pivot..columns).max_by(|a, b| matrix[*a][pivot].abs().total_cmp(&matrix[*b][pivot].abs()))?;
        if matrix[best][pivot].abs() < 1e-9 {
            return None;
        }
        matrix.swap(pivot, best);
        let pivot_row = matrix[pivot].clone();
        for (other, row) in matrix.iter_mut().enumerate() {
            if other != pivot {
                let factor = row[pivot] / pivot_row[pivot];
                for (cell, top) in row.iter_mut().zip(&pivot_row).skip(pivot) {
                    *cell -= factor * top;
                }
            }
        }
    }
    Some((0..columns).map(|i| matrix[i][columns] / matrix[i][i]).collect())
}

/// A base and per-unit costs for instructions and cycles together: units
/// that vary, dropped while any cost comes out negative (or the fit is singular).
fn fit(work: &[[f64; 4]], instructions: &[f64], cycles: &[f64]) -> (Vec<usize>, Vec<f64>, Vec<f64>) {
    let mut units: Vec<usize> =
        (0..4).filter(|unit| work.iter().any(|sample| sample[*unit] != work[0][*unit])).collect();
    loop {
        if units.is_empty() {
            return (units, vec![median(instructions)], vec![median(cycles)]);
        }
        match (least_squares(work, &units, instructions), least_squares(work, &units, cycles)) {
            (Some(a), Some(b)) => {
                let worst = (1..a.len())
                    .filter(|index| a[*index] < 0.0 || b[*index] < 0.0)
                    .min_by(|x, y| a[*x].min(b[*x]).total_cmp(&a[*y].min(b[*y])));
                match worst {
                    Some(index) => {
                        units.remove(index - 1);
                    }
                    // A negative base: the units explain too much (bytes
                    // follow calls closely); the bytes go first.
                    None if a[0] < 0.0 || b[0] < 0.0 => {
                        let drop = units.iter().position(|unit| *unit == 1).unwrap_or(units.len() - 1);
                        units.remove(drop);
                    }
                    None => return (units, a, b),
                }
            }
            _ => {
                units.pop();
            }
        }
    }
}

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let mut file = None;
    let mut cpu = CpuModel::I486;
    let mut each = false;
    let mut index = 0;
    if arguments.first().map(String::as_str) == Some("--sources-hash") {
        let root = arguments.get(1).cloned().unwrap_or_else(|| ".".into());
        return match sim::calibration::sources_hash(std::path::Path::new(&root)) {
            Ok(hash) => {
                println!("{hash:016x}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: {root}: {error}");
                ExitCode::from(64)
            }
        };
    }
    while index < arguments.len() {
        match arguments[index].as_str() {
            "--cpu" => {
                index += 1;
                cpu = match arguments.get(index).map(String::as_str) {
                    Some("486") => CpuModel::I486,
                    Some("pentium") => CpuModel::Pentium,
                    _ => {
                        eprintln!("error: --cpu takes 486 or pentium");
                        return ExitCode::from(64);
                    }
                };
            }
            "--samples" => each = true,
            other if file.is_none() => file = Some(other.to_string()),
            other => {
                eprintln!("error: unexpected argument `{other}`");
                return ExitCode::from(64);
            }
        }
        index += 1;
    }
    let Some(file) = file else {
        eprintln!("usage: l4-price TRACES [--cpu 486|pentium] [--samples]");
        return ExitCode::from(64);
    };
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("error: {file}: {error}");
            return ExitCode::from(64);
        }
    };
    let samples = match parse(&text) {
        Ok(samples) => samples,
        Err(error) => {
            eprintln!("error: {file}: {error}");
            return ExitCode::from(64);
        }
    };
    type Columns = (Vec<[f64; 4]>, Vec<f64>, Vec<f64>);
    let mut per_path: BTreeMap<String, Columns> = BTreeMap::new();
    for (path, work, trace) in &samples {
        // As the path costs when it runs again and again: the Pentium's
        // branch target buffer knows its branches (`pricing::price_hot`).
        match pricing::price_hot(cpu, trace) {
            Ok(price) => {
                if each {
                    println!("sample {path} {} {} {work:?}", price.instructions, price.cycles);
                }
                let entry = per_path.entry(path.clone()).or_default();
                entry.0.push(*work);
                entry.1.push(price.instructions as f64);
                entry.2.push(price.cycles as f64);
            }
            Err(error) => {
                eprintln!("error: a {path} sample: {error}");
                return ExitCode::from(1);
            }
        }
    }
    const UNITS: [&str; 4] = ["calls", "bytes", "cleared", "console"];
    for (path, (work, instructions, cycles)) in per_path {
        let (units, a, b) = fit(&work, &instructions, &cycles);
        let mut line = format!("{path} {} {:.0} {:.0}", work.len(), a[0].max(0.0), b[0].max(0.0));
        for (index, unit) in units.iter().enumerate() {
            line.push_str(&format!(" {} {:.3} {:.3}", UNITS[*unit], a[index + 1], b[index + 1]));
        }
        println!("{line}");
    }
    ExitCode::SUCCESS
}
