//! One benchmark workload on one CPU, for a profiler (callgrind counts
//! instructions repeatably on a busy machine):
//! `profile CPU WORKLOAD INSTRUCTIONS` with CPU `486` or `pentium` and
//! WORKLOAD `integer` or `paging`. Prints what `speed` prints for it.

use machine_model::CpuModel;
use machine_model::workload::{Workload, measure};
use std::time::Instant;

fn main() {
    let arguments: Vec<String> = std::env::args().collect();
    let model = match arguments.get(1).map(String::as_str) {
        Some("pentium") => CpuModel::Pentium,
        _ => CpuModel::I486,
    };
    let workload = match arguments.get(2).map(String::as_str) {
        Some("paging") => Workload::PagesWithCr3Loads,
        _ => Workload::IntegerLoop,
    };
    let instructions = arguments.get(3).and_then(|text| text.parse().ok()).unwrap_or(2_000_000);
    let start = Instant::now();
    match measure(model, workload, instructions, || start.elapsed().as_secs_f64() * 1000.0) {
        Ok(result) => println!(
            "{}\t{}\t{}\t{:.1}\tcycles {}",
            model.name(),
            workload.name(),
            result.instructions,
            result.milliseconds,
            result.cycles
        ),
        Err(error) => {
            eprintln!("profile: {error}");
            std::process::exit(1);
        }
    }
}
