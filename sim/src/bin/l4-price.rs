//! `l4-price TRACES`: price the kernel-path traces `cargo xtask calibrate`
//! recorded on the native image with the model's cost tables.
//!
//! The traces file holds `sample PATH` lines, each followed by the
//! instructions of one kernel entry (`EIP BYTES REPEAT`, hex). Output, per
//! path: the median instructions and cycles over its samples.
//!
//! Options: `--cpu 486|pentium` (which table; default 486), `--samples`
//! (print every sample too).

use machine_model::CpuModel;
use machine_model::pricing::{self, TracedInstruction};
use std::collections::BTreeMap;
use std::process::ExitCode;

fn parse(text: &str) -> Result<Vec<(String, Vec<TracedInstruction>)>, String> {
    let mut samples: Vec<(String, Vec<TracedInstruction>)> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(path) = line.strip_prefix("sample ") {
            samples.push((path.to_string(), Vec::new()));
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
        let Some((_, instructions)) = samples.last_mut() else {
            return Err(format!("line {}: an instruction before any `sample` line", number + 1));
        };
        instructions.push(TracedInstruction { eip, bytes, repeat });
    }
    Ok(samples)
}

fn median(values: &mut [u32]) -> u32 {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or(0)
}

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let mut file = None;
    let mut cpu = CpuModel::I486;
    let mut each = false;
    let mut index = 0;
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
    let mut per_path: BTreeMap<String, (Vec<u32>, Vec<u32>)> = BTreeMap::new();
    for (path, trace) in &samples {
        match pricing::price(cpu, trace) {
            Ok(price) => {
                if each {
                    println!("sample {path} {} {}", price.instructions, price.cycles);
                }
                let entry = per_path.entry(path.clone()).or_default();
                entry.0.push(price.instructions);
                entry.1.push(price.cycles);
            }
            Err(error) => {
                eprintln!("error: a {path} sample: {error}");
                return ExitCode::from(1);
            }
        }
    }
    for (path, (mut instructions, mut cycles)) in per_path {
        let count = instructions.len();
        println!("{path} {} {} {count}", median(&mut instructions), median(&mut cycles));
    }
    ExitCode::SUCCESS
}
