//! Counting the kernel's instructions on the native image, exactly: QEMU
//! runs a program with its gdbstub; a breakpoint on every entry stub stops
//! at each kernel entry, and from there the kernel is single-stepped until
//! it is back in user mode, recording every instruction (address and
//! bytes). The kernel tells which path it took (`cost::Path`) in a byte the
//! debugger reads. The traces are priced with the model's cost tables by
//! `l4-price` (the `sim` crate), and the per-path results become the
//! model's charge for kernel work (`sim/data/kernel-paths.txt`).
//!
//! The image runs with its event lines off (as for any measurement), so the
//! traces hold the kernel's own work only.

use crate::gdb::Gdb;
use crate::modules::{self, Programs};
use crate::qemu::{Cpu, QemuConfig};
use crate::{Result, TaskError, install, native, paths};
use object::{Object, ObjectSymbol};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::Stdio;
use std::time::Duration;

/// Entry stubs to stop at: system calls, the debugger, the exceptions
/// programs provoke, the timer.
const VECTORS: &[u32] = &[0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 3, 0, 6, 13, 14, 0x20];

/// One recorded kernel entry.
#[derive(Clone, Debug)]
pub struct Sample {
    /// The `cost::Path` name the kernel reported.
    pub path: String,
    /// (EIP, instruction bytes, times executed in a row).
    pub instructions: Vec<(u32, Vec<u8>, u32)>,
}

/// The names of `kernel::cost::Path`, in its `ALL` order (the byte the
/// kernel stores is an index into it). Kept equal by the `kernel_paths`
/// test in the tests crate.
pub const PATH_NAMES: [&str; 12] = [
    "ipc-fast",
    "ipc-short",
    "ipc-block",
    "ipc-long",
    "ipc-error",
    "page-fault",
    "sigma0-fault",
    "interrupt",
    "small-syscall",
    "management",
    "debugger",
    "exception",
];

struct Symbols {
    stubs: Vec<u32>,
    idle: u32,
    last_path: u32,
}

fn symbols(image: &std::path::Path) -> Result<Symbols> {
    let data = std::fs::read(image)?;
    let file = object::File::parse(&*data).map_err(|error| TaskError::new(format!("{}: {error}", image.display())))?;
    let mut table = BTreeMap::new();
    for symbol in file.symbols() {
        if let Ok(name) = symbol.name() {
            table.insert(name.to_string(), symbol.address() as u32);
        }
    }
    let find = |name: &str| {
        table.get(name).copied().ok_or_else(|| TaskError::new(format!("the image has no symbol `{name}`")))
    };
    let stubs = VECTORS.iter().map(|vector| find(&format!("trap_stub_{vector}"))).collect::<Result<Vec<_>>>()?;
    Ok(Symbols { stubs, idle: find("idle_stub")?, last_path: find("CALIBRATION_LAST_PATH")? })
}

/// A free TCP port on localhost.
fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Where tracing starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// At the first instruction.
    Beginning,
    /// When the program first reaches this (user) address.
    At(u32),
}

/// Run `programs` on `cpu`: run at full speed to `start`, then single-step
/// (user code too: QEMU retranslates all code whenever it leaves or enters
/// single-step mode, so staying in it is far faster) and record up to
/// `per_path` entries of each kernel path, for at most `steps` instructions.
pub fn trace(cpu: Cpu, programs: &Programs, start: Start, per_path: usize, steps: usize) -> Result<Vec<Sample>> {
    install::ensure_debian(&[install::QEMU])?;
    let image = native::build_image()?;
    let symbols = symbols(&image)?;
    let mut config = QemuConfig::new(cpu, &image);
    config.modules = modules::export(programs)?;
    let port = free_port()?;
    config.gdb_port = Some(port);
    let mut command = config.command();
    command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    let mut qemu = command.spawn().map_err(|error| TaskError::new(format!("cannot start QEMU: {error}")))?;
    let outcome = record(&symbols, port, start, per_path, steps);
    let _ = qemu.kill();
    let _ = qemu.wait();
    outcome
}

fn record(symbols: &Symbols, port: u16, start: Start, per_path: usize, steps: usize) -> Result<Vec<Sample>> {
    let mut gdb = Gdb::connect(&format!("127.0.0.1:{port}"), Duration::from_secs(20))?;
    if let Start::At(address) = start {
        gdb.break_at(address)?;
        let stop = gdb.resume()?;
        if std::env::var_os("L4_CALIBRATE_DEBUG").is_some() {
            eprintln!("calibrate: start `{stop}` at {:#x}", gdb.register(crate::gdb::register::EIP)?);
        }
        if stop.starts_with('W') || stop.starts_with('X') {
            return Ok(Vec::new());
        }
        gdb.remove_break(address)?;
    }
    // Stepping from here on; an entry is recorded from its stub to the user mode it returns to.
    let mut samples = Vec::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut code: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
    let mut current: Option<Vec<(u32, Vec<u8>, u32)>> = None;
    let mut eip = gdb.register(crate::gdb::register::EIP)?;
    for _ in 0..steps {
        let in_kernel = eip >= 0xC000_0000;
        if eip == symbols.idle {
            current = None; // the kernel went idle: that entry does not count
        }
        match (&mut current, in_kernel) {
            (Some(instructions), true) => match instructions.last_mut() {
                Some(last) if last.0 == eip => last.2 += 1, // a rep instruction's next iteration
                _ => {
                    let bytes = match code.get(&eip) {
                        Some(bytes) => bytes.clone(),
                        None => {
                            let bytes = gdb.memory(eip, 15)?;
                            code.insert(eip, bytes.clone());
                            bytes
                        }
                    };
                    instructions.push((eip, bytes, 1));
                }
            },
            (Some(_), false) => {
                // Back in user mode: the entry is complete.
                let instructions = current.take().unwrap_or_default();
                let index = gdb.memory(symbols.last_path, 1)?.first().copied().unwrap_or(0xFF) as usize;
                if let Some(path) = PATH_NAMES.get(index) {
                    let count = counts.entry(path.to_string()).or_default();
                    if *count < per_path {
                        *count += 1;
                        samples.push(Sample { path: path.to_string(), instructions });
                    }
                }
            }
            (None, true) if symbols.stubs.contains(&eip) => current = Some(vec![]),
            (None, _) => {}
        }
        if let Some(instructions) = &mut current
            && instructions.is_empty()
            && symbols.stubs.contains(&eip)
        {
            let bytes = gdb.memory(eip, 15)?;
            code.insert(eip, bytes.clone());
            instructions.push((eip, bytes, 1));
        }
        let stop = gdb.step()?;
        if stop.starts_with('W') || stop.starts_with('X') {
            break;
        }
        eip = gdb.register(crate::gdb::register::EIP)?;
    }
    if std::env::var_os("L4_CALIBRATE_DEBUG").is_some() {
        eprintln!("calibrate: {} samples, last EIP {eip:#x}", samples.len());
    }
    Ok(samples)
}

/// The samples as text for `l4-price`: a `sample PATH` line, then one line
/// per instruction: `EIP BYTES REPEAT` in hex.
pub fn write_samples(samples: &[Sample]) -> String {
    let mut text = String::new();
    for sample in samples {
        let _ = writeln!(text, "sample {}", sample.path);
        for (eip, bytes, repeat) in &sample.instructions {
            let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
            let _ = writeln!(text, "{eip:08x} {hex} {repeat}");
        }
    }
    text
}

/// Where the traces of the last calibration are kept.
pub fn traces_file() -> std::path::PathBuf {
    paths::target().join("calibration").join("traces.txt")
}
