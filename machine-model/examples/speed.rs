//! The model's speed on its benchmark workloads, natively: run by
//! `cargo xtask bench model` in a release build. Prints one line per CPU and
//! workload: `cpu<TAB>workload<TAB>instructions<TAB>milliseconds`, then the
//! cost of a snapshot and a restore of the whole machine (16 MB, its pages
//! shared copy-on-write between snapshots) as `snapshot<TAB>µs<TAB>µs`.

use machine_model::CpuModel;
use machine_model::workload::{Workload, measure};
use std::time::Instant;

/// Microseconds per snapshot and per restore of a machine that keeps writing
/// to 64 pages between them (so each restore undoes real changes).
fn snapshot_cost() -> (f64, f64) {
    use machine_model::RunLimit;
    use machine_model::workload::{CODE, bare_machine, user_frame};
    let mut machine = bare_machine(CpuModel::I486);
    // A loop that stores to 64 pages: mov [esi], eax; add esi, 0x1000; cmp; jb; jmp.
    let code = [
        0xBE, 0x00, 0x00, 0x50, 0x00, // mov esi, 0x500000
        0x89, 0x06, // mov [esi], eax
        0x40, // inc eax
        0x81, 0xC6, 0x00, 0x10, 0x00, 0x00, // add esi, 0x1000
        0x81, 0xFE, 0x00, 0x00, 0x54, 0x00, // cmp esi, 0x540000
        0x72, 0xEF, // jb 5
        0xEB, 0xE8, // jmp 0
    ];
    machine.memory.write(ia32::PhysAddr(CODE), &code);
    if machine.return_to_user(&user_frame(), false).is_err() {
        return (f64::NAN, f64::NAN);
    }
    let rounds = 2_000;
    let (mut taking, mut restoring) = (0.0, 0.0);
    for _ in 0..rounds {
        if !matches!(machine.run(RunLimit::instructions(400)), Ok(machine_model::Exit::Limit)) {
            eprintln!("speed: the snapshot workload stopped unexpectedly");
            std::process::exit(1);
        }
        let started = Instant::now();
        let snapshot = machine.snapshot();
        taking += started.elapsed().as_secs_f64();
        let _ = machine.run(RunLimit::instructions(400));
        let started = Instant::now();
        machine.restore(&snapshot);
        restoring += started.elapsed().as_secs_f64();
    }
    (taking / rounds as f64 * 1e6, restoring / rounds as f64 * 1e6)
}

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
    let (taking, restoring) = snapshot_cost();
    println!("snapshot\t{taking:.1}\t{restoring:.1}");
}
