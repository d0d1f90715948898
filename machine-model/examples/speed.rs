//! The model's speed on its benchmark workloads, natively: run by
//! `cargo xtask bench model` in a release build. Prints one line per CPU and
//! workload: `cpu<TAB>workload<TAB>instructions<TAB>milliseconds`.

use machine_model::CpuModel;
use machine_model::workload::{Workload, measure};
use std::time::Instant;

fn main() {
    let instructions: u64 = std::env::args().nth(1).and_then(|text| text.parse().ok()).unwrap_or(50_000_000);
    let start = Instant::now();
    let clock = || start.elapsed().as_secs_f64() * 1000.0;
    for (model, name) in [(CpuModel::I486, "486"), (CpuModel::Pentium, "pentium")] {
        for workload in Workload::ALL {
            match measure(model, workload, instructions, clock) {
                Ok(result) => {
                    println!("{name}\t{}\t{}\t{:.1}", workload.name(), result.instructions, result.milliseconds)
                }
                Err(error) => {
                    eprintln!("speed: {error}");
                    std::process::exit(1);
                }
            }
        }
    }
}
