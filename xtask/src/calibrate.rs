//! Counting the kernel's instructions on the native image, exactly and
//! fast: QEMU runs a program one instruction per translation block
//! (`-singlestep`) and logs every block it executes in the kernel's address
//! range (`-d exec,nochain -dfilter`) into a pipe this process reads as it
//! comes — no debugger round trip per instruction, no disk (the log of a
//! run is gigabytes). An entry runs from an entry stub to the next one; the
//! kernel, started with `calibrate`, ends each entry it runs in Rust with a
//! record on the POST port (its `cost::Path` and the work it did,
//! `cost::Work`), which QEMU logs in the same stream (`trace:memory_region_ops_write`, a byte at a time); the
//! record's own instructions (`calibration_report`) are left out of the
//! count. An entry without a record that went through `ipc_fastpath` to its
//! `iretd` is the assembly IPC fast path (with the work of a window switch
//! when it passed `ipc_fastpath_window`); through `id_nearest_fastpath`, the
//! assembly id_nearest; through `page_fault_fastpath`, the assembly page
//! fault (a window switch at `fault_fastpath_window`). Interrupts are traced like any entry
//! (nothing masks them, unlike gdb's single-step).
//!
//! The log begins where the boot ends, at the same instruction every run
//! (`log_from_boot`), so two calibrations of the same sources are identical.
//!
//! The traces are priced with the model's cost tables and fitted (a base
//! plus a cost per unit of work, per path) by `l4-price` (the `sim` crate);
//! the results become the model's charge for kernel work
//! (`sim/data/kernel-paths.txt`).

use crate::modules::{self, Programs};
use crate::qemu::{Cpu, QemuConfig};
use crate::{Result, TaskError, install, native, paths};
use object::{Object, ObjectSection, ObjectSymbol};
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::io::BufRead;
use std::process::Stdio;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// The names of `kernel::cost::Path`, in its `ALL` order (the record's
/// index). Kept equal by the `kernel_paths` test in the tests crate.
pub const PATH_NAMES: [&str; 14] = [
    "ipc-fast",
    "ipc-short",
    "ipc-block",
    "ipc-long",
    "ipc-error",
    "page-fault",
    "fault-fast",
    "sigma0-fault",
    "interrupt",
    "small-syscall",
    "small-fast",
    "management",
    "debugger",
    "exception",
];

/// The port and marker of a calibration record (`native-boot/src/bare/hardware.rs`).
const CALIBRATION_PORT: u32 = 0x80;
const CALIBRATION_MARKER: u32 = 0xCA1B_0000;

/// One recorded kernel entry.
#[derive(Clone, Debug)]
pub struct Sample {
    /// The `cost::Path` name.
    pub path: String,
    /// The entry's work (`cost::Work`: calls, bytes, cleared, console).
    pub work: [u32; 4],
    /// (EIP, instruction bytes, times executed in a row).
    pub instructions: Vec<(u32, Vec<u8>, u32)>,
}

impl Sample {
    /// Instructions executed (a repeated instruction counts each time).
    pub fn count(&self) -> u32 {
        self.instructions.iter().map(|(_, _, repeat)| *repeat).sum()
    }
}

/// What the image tells about its own code.
struct Image {
    /// The loaded sections holding code: (address, bytes).
    code: Vec<(u32, Vec<u8>)>,
    stubs: HashSet<u32>,
    fastpath: u32,
    /// Where the fast path switches small-space windows.
    fastpath_window: u32,
    small_fastpath: u32,
    /// The page-fault fast path, and where it switches windows.
    fault_fastpath: u32,
    fault_fastpath_window: u32,
    trap_common: u32,
    /// `calibration_booted`: where the run stops for its log to be turned on.
    booted: u32,
    /// `calibration_report`: [start, end).
    report: (u32, u32),
    /// The kernel image's range, for QEMU's log filter.
    low: u32,
    high: u32,
}

impl Image {
    fn read(path: &std::path::Path) -> Result<Self> {
        let data = std::fs::read(path)?;
        let file =
            object::File::parse(&*data).map_err(|error| TaskError::new(format!("{}: {error}", path.display())))?;
        let mut symbols = BTreeMap::new();
        for symbol in file.symbols() {
            if let Ok(name) = symbol.name() {
                symbols.insert(name.to_string(), (symbol.address() as u32, symbol.size() as u32));
            }
        }
        let find = |name: &str| {
            symbols.get(name).copied().ok_or_else(|| TaskError::new(format!("the image has no symbol `{name}`")))
        };
        let stubs = (0..256).map(|vector| find(&format!("trap_stub_{vector}")).map(|(address, _)| address));
        let (report, report_size) = find("calibration_report")?;
        let mut code = Vec::new();
        let (mut low, mut high) = (u32::MAX, 0);
        for section in file.sections() {
            let name = section.name().unwrap_or("");
            if name.starts_with(".text") && section.size() > 0 {
                let address = section.address() as u32;
                low = low.min(address);
                high = high.max(address + section.size() as u32);
                let bytes = section.data().map_err(|error| TaskError::new(format!("{name}: {error}")))?;
                code.push((address, bytes.to_vec()));
            }
        }
        let (fastpath, small_fastpath) = (find("ipc_fastpath")?.0, find("id_nearest_fastpath")?.0);
        let fault_fastpath = find("page_fault_fastpath")?.0;
        // The IDT gates of 14, 0x30 and 0x31 lead straight to the fast paths.
        let mut stubs: HashSet<u32> = stubs.collect::<Result<_>>()?;
        stubs.extend([fastpath, small_fastpath, fault_fastpath]);
        Ok(Self {
            code,
            stubs,
            fastpath,
            fastpath_window: find("ipc_fastpath_window")?.0,
            small_fastpath,
            fault_fastpath,
            fault_fastpath_window: find("fault_fastpath_window")?.0,
            trap_common: find("trap_common")?.0,
            booted: find("calibration_booted")?.0,
            report: (report, report + report_size.max(1)),
            low,
            high,
        })
    }

    /// Up to 15 bytes of code at `address`.
    fn bytes(&self, address: u32) -> Vec<u8> {
        for (start, bytes) in &self.code {
            if address >= *start && ((address - start) as usize) < bytes.len() {
                let from = (address - start) as usize;
                return bytes[from..(from + 15).min(bytes.len())].to_vec();
            }
        }
        Vec::new()
    }
}

/// How much to trace of one run.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Keep at most this many samples of each path.
    pub per_path: usize,
    /// Stop after this many kernel entries.
    pub entries: usize,
    /// And after this long.
    pub time: Duration,
}

/// An entry being recorded.
#[derive(Default)]
struct Entry {
    instructions: Vec<(u32, u32)>,
    record: Vec<u32>,
    through_fastpath: bool,
    through_fastpath_window: bool,
    through_small_fastpath: bool,
    through_fault_fastpath: bool,
    through_fault_fastpath_window: bool,
    through_general: bool,
}

/// Run `programs` on `cpu` (with further kernel `options`) and record its
/// kernel entries.
pub fn trace(cpu: Cpu, programs: &Programs, options: &[&str], limits: Limits) -> Result<Vec<Sample>> {
    install::ensure_debian(&[install::QEMU])?;
    let image_path = native::build_image()?;
    let image = Image::read(&image_path)?;
    let folder = paths::target().join("calibration");
    std::fs::create_dir_all(&folder)?;
    // Named per run: tests trace in parallel threads of one process.
    static RUNS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let run = format!("{}-{}-{}", cpu.qemu_name(), std::process::id(), RUNS.fetch_add(1, Ordering::Relaxed));
    let fifo = folder.join(format!("exec-{run}.fifo"));
    let _ = std::fs::remove_file(&fifo);
    let made = std::process::Command::new("mkfifo").arg(&fifo).status()?;
    if !made.success() {
        return Err(TaskError::new(format!("mkfifo {} failed", fifo.display())));
    }
    let monitor = folder.join(format!("monitor-{run}.socket"));
    let _ = std::fs::remove_file(&monitor);
    let mut config = QemuConfig::new(cpu, &image_path);
    config.monitor = Some(monitor.clone());
    // Virtual time from the instruction count: the timer does not flood a
    // run that logging slows down.
    config.instruction_clock = true;
    config.modules = modules::export(programs)?;
    config.options = options.iter().map(|option| option.to_string()).collect();
    config.options.push("calibrate".into());
    // Stopped at the first instruction until gdb, which turns the log on
    // where the boot ends (`log_from_boot`).
    let gdb_port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    config.gdb_port = Some(gdb_port);
    let mut command = config.command();
    command
        .args(["-singlestep", "-d", "trace:memory_region_ops_write"])
        .arg("-dfilter")
        .arg(format!("{:#x}..{:#x}", image.low, image.high - 1))
        .arg("-D")
        .arg(&fifo);
    command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    let mut qemu = command.spawn().map_err(|error| TaskError::new(format!("cannot start QEMU: {error}")))?;
    let logging = {
        let (monitor, booted) = (monitor.clone(), image.booted);
        std::thread::spawn(move || log_from_boot(gdb_port, booted, &monitor))
    };
    let outcome = std::fs::File::open(&fifo).map_err(TaskError::from).and_then(|log| {
        let log = std::io::BufReader::with_capacity(1 << 20, log);
        record(&image, log, limits, &mut qemu)
    });
    let _ = qemu.kill();
    let _ = qemu.wait();
    let logging = logging.join().unwrap_or_else(|_| Err(TaskError::new("the thread that starts QEMU's log panicked")));
    let outcome = logging.and(outcome);
    let _ = std::fs::remove_file(&fifo);
    let _ = std::fs::remove_file(&monitor);
    outcome
}

fn hex(text: &str) -> Option<u32> {
    u32::from_str_radix(text.trim_start_matches("0x"), 16).ok()
}

/// Run the boot unlogged (tens of millions of instructions copying and
/// clearing memory), stopped by gdb where it ends (`calibration_booted`),
/// turn the execution log on there, and let the run go on. The log begins
/// at the same instruction in every run, and QEMU's clock counts
/// instructions, so a workload's samples are the same from run to run
/// (turned on when the boot's marker went past, as before 2026-12-06, the
/// log began a wall-clock wait later, and the samples varied).
fn log_from_boot(port: u16, booted: u32, monitor: &std::path::Path) -> Result<()> {
    let mut gdb = crate::gdb::Gdb::connect(&format!("127.0.0.1:{port}"), Duration::from_secs(30))?;
    gdb.break_at(booted)?;
    let stop = gdb.resume()?;
    if !stop.starts_with('T') && !stop.starts_with('S') {
        return Err(TaskError::new(format!("QEMU did not stop at calibration_booted ({stop})")));
    }
    start_logging(monitor)?;
    gdb.remove_break(booted)?;
    // Detach: the run goes on without gdb.
    gdb.command("D")?;
    Ok(())
}

/// Turn the execution log on.
fn start_logging(monitor: &std::path::Path) -> Result<()> {
    use std::io::Write;
    let mut socket = std::os::unix::net::UnixStream::connect(monitor)
        .map_err(|error| TaskError::new(format!("QEMU's monitor at {}: {error}", monitor.display())))?;
    socket.write_all(b"log exec,nochain,trace:memory_region_ops_write\n")?;
    socket.flush()?;
    // Let the monitor read it before the socket goes.
    std::thread::sleep(Duration::from_millis(50));
    Ok(())
}

fn record(image: &Image, mut log: impl BufRead, limits: Limits, qemu: &mut std::process::Child) -> Result<Vec<Sample>> {
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut current: Option<Entry> = None;
    let mut entries = 0usize;
    let mut line = String::new();
    let mut word = 0u32;
    loop {
        line.clear();
        if log.read_line(&mut line)? == 0 {
            break;
        }
        if let Some(rest) = line.strip_prefix("Trace ") {
            // `Trace 0: 0x7f.. [00000000/f0100052/000000b0/ff000201] `
            let Some(pc) = rest.split('[').nth(1).and_then(|fields| fields.split('/').nth(1)).and_then(hex) else {
                continue;
            };
            if pc >= image.report.0 && pc < image.report.1 {
                continue; // the calibration record's own instructions
            }
            if image.stubs.contains(&pc) {
                if let Some(entry) = current.take() {
                    finish(image, entry, &mut samples, &mut counts, limits.per_path);
                }
                entries += 1;
                if entries > limits.entries || started.elapsed() > limits.time {
                    let _ = qemu.kill();
                    break;
                }
                current = Some(Entry::default());
            }
            let Some(entry) = &mut current else { continue };
            entry.through_fastpath |= pc == image.fastpath;
            entry.through_fastpath_window |= pc == image.fastpath_window;
            entry.through_small_fastpath |= pc == image.small_fastpath;
            entry.through_fault_fastpath |= pc == image.fault_fastpath;
            entry.through_fault_fastpath_window |= pc == image.fault_fastpath_window;
            entry.through_general |= pc == image.trap_common;
            match entry.instructions.last_mut() {
                Some(last) if last.0 == pc => last.1 += 1,
                _ => entry.instructions.push((pc, 1)),
            }
        } else if let Some(at) = line.find("memory_region_ops_write ") {
            // `memory_region_ops_write cpu 0 mr 0x… addr 0x81 value 0x1b size 1 name 'ioport80'`:
            // QEMU splits a dword `out` to the POST port into its bytes.
            let fields: Vec<&str> = line[at..].split_whitespace().collect();
            let after = |key: &str| fields.iter().position(|field| *field == key).and_then(|i| fields.get(i + 1));
            let (Some(port), Some(value)) =
                (after("addr").and_then(|text| hex(text)), after("value").and_then(|text| hex(text)))
            else {
                continue;
            };
            if !(CALIBRATION_PORT..CALIBRATION_PORT + 4).contains(&port) {
                continue;
            }
            let shift = 8 * (port - CALIBRATION_PORT);
            word = (word & !(0xFF << shift)) | ((value & 0xFF) << shift);
            if port != CALIBRATION_PORT + 3 {
                continue;
            }
            // (The boot's own marker, `CALIBRATION_MARKER | 0xFFFF`, comes
            // before any entry: `log_from_boot` stops the run there.)
            if let Some(entry) = &mut current {
                entry.record.push(word);
            }
        }
    }
    if let Some(entry) = current.take() {
        // An entry cut off by the end of the run counts only if complete.
        if entry.record.len() == 5 {
            finish(image, entry, &mut samples, &mut counts, limits.per_path);
        }
    }
    Ok(samples)
}

fn finish(
    image: &Image,
    entry: Entry,
    samples: &mut Vec<Sample>,
    counts: &mut BTreeMap<String, usize>,
    per_path: usize,
) {
    // An assembly path's entry ends in its `iretd`. (QEMU's log has shown
    // an entry cut off after the first instruction of `ipc_fastpath`, the
    // next line an interrupt stub: twice in some 120 samples, which pulled
    // the fitted base 4 cycles below every complete sample.)
    let ended_in_iret = entry.instructions.last().is_some_and(|&(pc, _)| image.bytes(pc).first() == Some(&0xCF));
    let (path, work) = match entry.record[..] {
        [marker, calls, bytes, cleared, console] if marker & 0xFFFF_0000 == CALIBRATION_MARKER => {
            match PATH_NAMES.get((marker & 0xFFFF) as usize) {
                Some(path) => (*path, [calls, bytes, cleared, console]),
                None => return,
            }
        }
        // A window switch writes the GDT's two user descriptors: the Rust
        // kernel's `switch_space` does it with two `write_physical` calls of
        // 8 bytes, and the model counts that work for its charge.
        [] if entry.through_fastpath && !entry.through_general && ended_in_iret => {
            ("ipc-fast", if entry.through_fastpath_window { [2, 16, 0, 0] } else { [0; 4] })
        }
        [] if entry.through_small_fastpath && !entry.through_general && ended_in_iret => ("small-fast", [0; 4]),
        [] if entry.through_fault_fastpath && !entry.through_general && ended_in_iret => {
            ("fault-fast", if entry.through_fault_fastpath_window { [2, 16, 0, 0] } else { [0; 4] })
        }
        _ => return,
    };
    let count = counts.entry(path.to_string()).or_default();
    if *count >= per_path {
        return;
    }
    *count += 1;
    let instructions =
        entry.instructions.into_iter().map(|(pc, repeat)| (pc, image.bytes(pc), repeat)).collect::<Vec<_>>();
    samples.push(Sample { path: path.to_string(), work, instructions });
}

/// The samples as text for `l4-price`: a `sample PATH CALLS BYTES CLEARED
/// CONSOLE` line, then one line per instruction: `EIP BYTES REPEAT` in hex.
pub fn write_samples(samples: &[Sample]) -> String {
    let mut text = String::new();
    for sample in samples {
        let [calls, bytes, cleared, console] = sample.work;
        let _ = writeln!(text, "sample {} {calls} {bytes} {cleared} {console}", sample.path);
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
