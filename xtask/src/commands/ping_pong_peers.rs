//! `cargo xtask bench model --peers`, the kernel's part: one-way IPC round
//! trips per host second of ping-pong on the model (`l4-run`) and on QEMU
//! (TCG) booting the native image — the same kernel sources and the same
//! programs (issue 16 asks for the model at ten times QEMU).
//!
//! Both run `scenarios/ping-pong.asm` with its round-trip count set to N
//! and to 2N (copies written under `target/peers/`); the rate is N over the
//! difference of the two times, so that starting the emulator, booting,
//! assembling and creating the tasks drop out. Each time is the fastest of
//! three runs. QEMU missing is reported, not a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use xtask::modules::{self, Programs};
use xtask::qemu::{self, Cpu, QemuConfig};
use xtask::{Result, TaskError, native, paths};

/// Round trips of the shorter run (the longer makes twice as many).
const ROUND_TRIPS: u64 = 40_000;
/// Runs of each length; the fastest counts.
const REPEATS: usize = 3;
/// The line of `ping-pong.asm` the copies change.
const COUNT_LINE: &str = "ROUND_TRIPS equ 10000";

/// Round trips per host second on one CPU: the model's and QEMU's.
pub struct PingPong {
    pub cpu: Cpu,
    pub model: std::result::Result<f64, String>,
    pub qemu: std::result::Result<f64, String>,
}

/// Measure both CPUs.
pub fn measure() -> Result<Vec<PingPong>> {
    let programs = [program(ROUND_TRIPS)?, program(2 * ROUND_TRIPS)?];
    let runner = modules::runner()?;
    // The native image and each program's boot modules, made once.
    let native =
        native::build_image().map_err(|error| format!("the native image did not build: {error}")).and_then(|image| {
            let mut exported = Vec::new();
            for program in &programs {
                let modules = modules::export(&Programs::Files(vec![program.clone()]))
                    .map_err(|error| format!("exporting {}: {error}", program.display()))?;
                exported.push(modules);
            }
            Ok((image, exported))
        });
    let mut results = Vec::new();
    for cpu in Cpu::ALL {
        let model = rate(|index| run_model(&runner, cpu, &programs[index]));
        let qemu = match &native {
            Ok((image, exported)) => rate(|index| run_qemu(image, cpu, &exported[index])),
            Err(error) => Err(error.clone()),
        };
        results.push(PingPong { cpu, model, qemu });
    }
    Ok(results)
}

/// Print the table and the ratios.
pub fn print(results: &[PingPong]) {
    println!("\nping-pong, one-way IPC round trips per host second (N and 2N round trips, boot taken out):");
    println!("{:8} {:>14} {:>14} {:>14}", "cpu", "model", "QEMU TCG", "model ÷ QEMU");
    let show = |value: &std::result::Result<f64, String>| match value {
        Ok(rate) => format!("{rate:.0}"),
        Err(_) => "—".to_string(),
    };
    for result in results {
        let ratio = match (&result.model, &result.qemu) {
            (Ok(model), Ok(qemu)) if *qemu > 0.0 => format!("{:.2}", model / qemu),
            _ => "—".to_string(),
        };
        println!("{:8} {:>14} {:>14} {:>14}", result.cpu.qemu_name(), show(&result.model), show(&result.qemu), ratio);
        for (who, value) in [("model", &result.model), ("QEMU", &result.qemu)] {
            if let Err(error) = value {
                println!("  {} {who}: left out — {error}", result.cpu.qemu_name());
            }
        }
    }
    println!("Goal: the model at ten times QEMU's round trips per second on both CPUs.");
}

/// `ping-pong.asm` with `round_trips` round trips, written under `target/peers/`.
fn program(round_trips: u64) -> Result<PathBuf> {
    let source_path = paths::root().join("scenarios").join("ping-pong.asm");
    let source = std::fs::read_to_string(&source_path)?;
    if !source.contains(COUNT_LINE) {
        return Err(TaskError::new(format!(
            "{} no longer has the line `{COUNT_LINE}` this benchmark changes; update xtask/src/commands/ping_pong_peers.rs",
            source_path.display()
        )));
    }
    let folder = paths::target().join("peers");
    std::fs::create_dir_all(&folder)?;
    let path = folder.join(format!("ping-pong-{round_trips}.asm"));
    let changed = source
        .replace(COUNT_LINE, &format!("ROUND_TRIPS equ {round_trips}"))
        .replace("ping made 10000 round trips", &format!("ping made {round_trips} round trips"));
    std::fs::write(&path, changed)?;
    Ok(path)
}

/// N ÷ (time of 2N − time of N), each time the fastest of `REPEATS`;
/// `run(0)` runs N round trips, `run(1)` 2N.
fn rate(mut run: impl FnMut(usize) -> std::result::Result<Duration, String>) -> std::result::Result<f64, String> {
    let mut fastest = [Duration::MAX; 2];
    for _ in 0..REPEATS {
        for (index, time) in fastest.iter_mut().enumerate() {
            *time = (*time).min(run(index)?);
        }
    }
    let difference = fastest[1].saturating_sub(fastest[0]).as_secs_f64();
    if difference <= 0.0 {
        return Err(format!("2N round trips took no longer than N ({:?} and {:?})", fastest[0], fastest[1]));
    }
    Ok(ROUND_TRIPS as f64 / difference)
}

fn run_model(runner: &Path, cpu: Cpu, program: &Path) -> std::result::Result<Duration, String> {
    let started = Instant::now();
    // l4-run takes the same CPU names as QEMU's -cpu.
    let status = Command::new(runner)
        .args(["--cpu", cpu.qemu_name(), "--module"])
        .arg(program)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|error| format!("cannot run {}: {error}", runner.display()))?;
    let elapsed = started.elapsed();
    if !status.success() {
        return Err(format!("l4-run --module {} failed ({status})", program.display()));
    }
    Ok(elapsed)
}

fn run_qemu(image: &Path, cpu: Cpu, modules: &[PathBuf]) -> std::result::Result<Duration, String> {
    let mut config = QemuConfig::new(cpu, image);
    config.modules = modules.to_vec();
    let outcome = qemu::run_captured(&config, Duration::from_secs(300)).map_err(|error| error.to_string())?;
    match outcome.status {
        Some(33) => Ok(outcome.elapsed),
        Some(status) => Err(format!("QEMU ended with {status}: {}", qemu::verdict_text(status))),
        None => Err("QEMU did not finish within 300 s".to_string()),
    }
}
