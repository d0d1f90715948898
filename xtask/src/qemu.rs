//! Running the native image in `qemu-system-i386`.

use crate::{Result, TaskError, install};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The CPUs the image supports.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cpu {
    I486,
    Pentium,
}

impl Cpu {
    pub const ALL: [Cpu; 2] = [Cpu::I486, Cpu::Pentium];

    /// The `-cpu` value QEMU knows.
    pub fn qemu_name(self) -> &'static str {
        match self {
            Cpu::I486 => "486",
            Cpu::Pentium => "pentium",
        }
    }

    pub fn parse(text: &str) -> Result<Self> {
        match text.to_ascii_lowercase().as_str() {
            "486" | "i486" => Ok(Cpu::I486),
            "pentium" | "p5" | "586" => Ok(Cpu::Pentium),
            other => Err(TaskError::new(format!("unknown CPU `{other}`: use `--cpu 486` or `--cpu pentium`"))),
        }
    }
}

/// How to run QEMU.
#[derive(Clone, Debug)]
pub struct QemuConfig {
    pub cpu: Cpu,
    pub image: PathBuf,
    pub modules: Vec<PathBuf>,
    pub memory_mb: u32,
    /// Wait for gdb on localhost:1234 before the first instruction.
    pub gdb: bool,
    /// Where the kernel's event lines (COM2) go; `None`: nowhere, and the
    /// kernel is told not to send them (`events=off`).
    pub events: Option<PathBuf>,
    /// Virtual time from the instruction count (`-icount shift=0,sleep=off`):
    /// the timer ticks after a fixed number of instructions, whatever the
    /// host's speed, so a run is reproducible.
    pub instruction_clock: bool,
    /// Further words for the kernel command line (`small-spaces`).
    pub options: Vec<String>,
    /// Bytes for the console (COM1) input, fed on QEMU's stdin.
    pub input: Vec<u8>,
    /// Serve gdb on this TCP port (stopped at the first instruction); with
    /// `gdb` the default 1234 is used.
    pub gdb_port: Option<u16>,
    /// Boot this ISO (through its boot loader) instead of `-kernel`/`-initrd`.
    pub cdrom: Option<PathBuf>,
    /// Serve QEMU's monitor on this Unix socket (else none).
    pub monitor: Option<PathBuf>,
}

impl QemuConfig {
    pub fn new(cpu: Cpu, image: &Path) -> Self {
        Self {
            cpu,
            image: image.to_path_buf(),
            modules: Vec::new(),
            memory_mb: 16,
            gdb: false,
            events: None,
            instruction_clock: false,
            options: Vec::new(),
            input: Vec::new(),
            gdb_port: None,
            cdrom: None,
            monitor: None,
        }
    }

    /// The QEMU command line, serial port on stdio.
    pub fn command(&self) -> Command {
        let mut command = Command::new(install::QEMU.program);
        command.arg("-cpu").arg(self.cpu.qemu_name()).arg("-m").arg(self.memory_mb.to_string());
        if let Some(iso) = &self.cdrom {
            // The ISO's own boot loader (GRUB) loads the kernel and modules.
            command.arg("-cdrom").arg(iso);
        } else {
            command.arg("-kernel").arg(&self.image);
        }
        command
            .args(["-serial", "stdio"])
            .args(["-display", "none", "-no-reboot"])
            .args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]);
        match &self.monitor {
            Some(socket) => command.arg("-monitor").arg(format!("unix:{},server,nowait", socket.display())),
            None => command.args(["-monitor", "none"]),
        };
        let mut options = self.options.clone();
        match &self.events {
            Some(path) => {
                command.arg("-serial").arg(format!("file:{}", path.display()));
            }
            None => options.push("events=off".into()),
        }
        if self.cdrom.is_none() {
            if !options.is_empty() {
                command.arg("-append").arg(options.join(" "));
            }
            if !self.modules.is_empty() {
                let list: Vec<String> = self.modules.iter().map(|module| module.display().to_string()).collect();
                command.arg("-initrd").arg(list.join(","));
            }
        }
        if self.instruction_clock {
            command.args(["-icount", "shift=0,sleep=off"]);
        }
        if self.gdb {
            command.args(["-s", "-S"]);
        } else if let Some(port) = self.gdb_port {
            command.arg("-gdb").arg(format!("tcp:127.0.0.1:{port}")).arg("-S");
        }
        command
    }
}

/// What a QEMU run produced.
#[derive(Clone, Debug)]
pub struct QemuOutcome {
    /// QEMU's exit status (`None` if it was killed at the timeout).
    pub status: Option<i32>,
    /// Everything written to the serial port.
    pub serial: String,
    pub timed_out: bool,
    pub elapsed: Duration,
}

/// Run headless with a timeout, capturing the serial port.
pub fn run_captured(config: &QemuConfig, timeout: Duration) -> Result<QemuOutcome> {
    install::ensure_debian(&[install::QEMU])?;
    let mut command = config.command();
    let stdin = if config.input.is_empty() { Stdio::null() } else { Stdio::piped() };
    command.stdin(stdin).stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn().map_err(|error| TaskError::new(format!("cannot start QEMU: {error}")))?;
    if let Some(mut input) = child.stdin.take() {
        let bytes = config.input.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            let _ = input.write_all(&bytes);
            // Keep the pipe open a little: QEMU reads the console as the guest asks.
            std::thread::sleep(Duration::from_secs(60));
        });
    }
    let mut stdout = child.stdout.take().ok_or_else(|| TaskError::new("QEMU has no stdout pipe"))?;
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status.code();
        }
        if started.elapsed() > timeout {
            timed_out = true;
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let serial = reader.join().map_err(|_| TaskError::new("serial reader thread failed"))?;
    Ok(QemuOutcome {
        status,
        serial: String::from_utf8_lossy(&serial).replace('\r', ""),
        timed_out,
        elapsed: started.elapsed(),
    })
}

/// What QEMU's exit status means for our image (see `native-boot/src/exit.rs`).
pub fn verdict_text(status: i32) -> &'static str {
    match status {
        33 => "success",
        35 => "failure reported by the scenario",
        37 => "the kernel stopped (see the serial output above)",
        0 => "QEMU shut down without a verdict",
        _ => "QEMU itself failed",
    }
}
