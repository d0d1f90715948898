//! Kernel events: one stream, two machines.
//!
//! The kernel reports what it does; the explorer draws from it, the native
//! image prints it over the serial port as lines, and a test compares the two.
//! The line format is the contract: `@k <kind> key=value …`, one event per line,
//! numbers in hex with `0x` where they are addresses or ids, decimal otherwise.

use crate::hardware::CpuKind;
use core::fmt;

/// Something the kernel did.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum KernelEvent {
    /// The kernel started on `cpu` with `memory_kb` of main memory.
    Boot { cpu: CpuKind, memory_kb: u32 },
    /// The loader handed over `count` boot modules.
    BootModules { count: u32 },
}

/// The prefix every event line starts with on the serial port.
pub const LINE_PREFIX: &str = "@k ";

impl KernelEvent {
    /// The event's kind, as used in the line format and by filters.
    pub const fn kind(&self) -> &'static str {
        match self {
            KernelEvent::Boot { .. } => "boot",
            KernelEvent::BootModules { .. } => "modules",
        }
    }
}

impl fmt::Display for KernelEvent {
    /// The line format, without the prefix and the newline.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.kind())?;
        match self {
            KernelEvent::Boot { cpu, memory_kb } => {
                write!(formatter, " cpu={} memory_kb={memory_kb}", cpu.name())
            }
            KernelEvent::BootModules { count } => write!(formatter, " count={count}"),
        }
    }
}
