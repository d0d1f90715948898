//! `cargo xtask bench model --peers`: the model's two loops run by the
//! emulators it is compared with, in the same run: QEMU (TCG) and v86 (its
//! npm package, interpreter only and with its JIT).
//!
//! The loops are `xtask/peers/loops.asm`, a multiboot kernel made by the
//! project's assembler; each peer runs it with N iterations and with 2N,
//! and the speed is the difference in instructions over the difference in
//! time, so that starting the emulator and booting drop out. A peer that is
//! missing (QEMU not installed, npm unreachable) is reported and left out.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;
use xtask::{Result, TaskError, install, paths, process};

/// The two loops and the instructions one iteration of each executes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Loop {
    Integer,
    Paging,
}

impl Loop {
    pub const ALL: [Loop; 2] = [Loop::Integer, Loop::Paging];

    /// The name `machine_model::workload` prints for it.
    pub fn name(self) -> &'static str {
        match self {
            Loop::Integer => "integer loop",
            Loop::Paging => "64 pages, mov cr3 every 1,000",
        }
    }

    /// loops.asm: 1,000 rounds of five and two for the outer count; three
    /// sweeps of 64 pages (1 + 64 · 5 + 2 each), then five.
    fn instructions_per_iteration(self) -> u64 {
        match self {
            Loop::Integer => 5_002,
            Loop::Paging => 974,
        }
    }
}

/// The emulators.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    Qemu,
    V86Jit,
    V86Interpreter,
}

impl Peer {
    pub const ALL: [Peer; 3] = [Peer::Qemu, Peer::V86Jit, Peer::V86Interpreter];

    pub fn name(self) -> &'static str {
        match self {
            Peer::Qemu => "QEMU TCG",
            Peer::V86Jit => "v86 JIT",
            Peer::V86Interpreter => "v86 interpreter",
        }
    }

    /// Iterations for the shorter run: about a second of work at the
    /// peer's speed on this kind of machine.
    fn iterations(self, which: Loop) -> u64 {
        match (self, which) {
            (Peer::Qemu, Loop::Integer) => 400_000,
            (Peer::Qemu, Loop::Paging) => 200_000,
            (Peer::V86Jit, Loop::Integer) => 200_000,
            (Peer::V86Jit, Loop::Paging) => 200_000,
            (Peer::V86Interpreter, Loop::Integer) => 30_000,
            (Peer::V86Interpreter, Loop::Paging) => 100_000,
        }
    }
}

/// A peer's speed on each loop, M instructions per second, or why it could
/// not be measured.
pub type Speeds = std::result::Result<Vec<(Loop, f64)>, String>;

/// Every peer's [`Speeds`].
pub fn measure() -> Vec<(Peer, Speeds)> {
    let qemu = install::ensure_debian(&[install::QEMU]).map_err(|error| format!("QEMU is missing: {error}"));
    let v86 = install::ensure_node_packages(&folder())
        .map_err(|error| format!("v86 could not be installed from npm: {error}"));
    Peer::ALL
        .into_iter()
        .map(|peer| {
            let ready = match peer {
                Peer::Qemu => qemu.clone(),
                Peer::V86Jit | Peer::V86Interpreter => v86.clone(),
            };
            let result = ready.and_then(|()| {
                Loop::ALL
                    .into_iter()
                    .map(|which| Ok((which, speed(peer, which)?)))
                    .collect::<std::result::Result<_, _>>()
            });
            (peer, result)
        })
        .collect()
}

/// `xtask/peers`: the loops' source and the v86 runner with its lock file.
fn folder() -> PathBuf {
    paths::root().join("xtask").join("peers")
}

fn speed(peer: Peer, which: Loop) -> std::result::Result<f64, String> {
    let iterations = peer.iterations(which);
    let short = image(which, iterations).map_err(|error| error.to_string())?;
    let long = image(which, 2 * iterations).map_err(|error| error.to_string())?;
    let short_time = run(peer, &short)?;
    let long_time = run(peer, &long)?;
    let seconds = long_time - short_time;
    if seconds <= 0.0 {
        return Err(format!("{}: the longer run was not slower ({short_time:.3} s, {long_time:.3} s)", peer.name()));
    }
    Ok((iterations * which.instructions_per_iteration()) as f64 / seconds / 1e6)
}

/// The loops as a multiboot kernel (`target/peers/`).
fn image(which: Loop, iterations: u64) -> Result<PathBuf> {
    let directory = paths::target().join("peers");
    std::fs::create_dir_all(&directory)?;
    let name = match which {
        Loop::Integer => "integer",
        Loop::Paging => "paging",
    };
    let output = directory.join(format!("{name}-{iterations}.elf"));
    let mut command = process::cargo();
    command.args(["run", "--quiet", "--release", "--package", "asm", "--bin", "l4asm", "--"]);
    command.arg(folder().join("loops.asm")).arg("-o").arg(&output);
    command.args(["--base", "0x100000", "-D"]).arg(format!("ITERATIONS={iterations}"));
    if which == Loop::Paging {
        command.args(["-D", "PAGING=1"]);
    }
    process::run(&mut command).map_err(|error| TaskError::new(format!("assembling the peers' loops: {error}")))?;
    Ok(output)
}

/// Seconds one run of `image` takes in `peer`.
fn run(peer: Peer, image: &Path) -> std::result::Result<f64, String> {
    match peer {
        Peer::Qemu => {
            let started = Instant::now();
            let status = Command::new("qemu-system-i386")
                .args(["-display", "none", "-serial", "null", "-no-reboot", "-kernel"])
                .arg(image)
                .args(["-device", "isa-debug-exit,iobase=0xf4,iosize=1"])
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .status()
                .map_err(|error| format!("cannot run qemu-system-i386: {error}"))?;
            // isa-debug-exit with 0: QEMU exits with (0 << 1) | 1.
            if status.code() != Some(1) {
                return Err(format!("QEMU ended with {status} instead of the loops' exit"));
            }
            Ok(started.elapsed().as_secs_f64())
        }
        Peer::V86Jit | Peer::V86Interpreter => {
            let mode = if peer == Peer::V86Jit { "jit" } else { "interpreter" };
            let output = Command::new("node")
                .arg(folder().join("v86.mjs"))
                .arg(image)
                .arg(mode)
                .current_dir(folder())
                .stderr(Stdio::inherit())
                .output()
                .map_err(|error| format!("cannot run node: {error}"))?;
            let text = String::from_utf8_lossy(&output.stdout);
            match text.trim().parse::<f64>() {
                Ok(milliseconds) if output.status.success() => Ok(milliseconds / 1000.0),
                _ => Err(format!("v86 ({mode}) failed ({}): {}", output.status, text.trim())),
            }
        }
    }
}
