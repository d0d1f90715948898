//! View types: what the explorer draws, as plain serializable data.

use serde::Serialize;
use sim::{Source, System};

/// The CPU the user picked.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Default)]
pub enum CpuChoice {
    #[default]
    I486,
    Pentium,
}

impl CpuChoice {
    /// Parse "486"/"i486" or "pentium"/"p5" (case-insensitive).
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "486" | "i486" => Ok(CpuChoice::I486),
            "pentium" | "p5" => Ok(CpuChoice::Pentium),
            other => Err(format!("unknown CPU `{other}`: choose `486` or `pentium`")),
        }
    }
    pub(crate) fn model(self) -> sim::CpuModel {
        match self {
            CpuChoice::I486 => sim::CpuModel::I486,
            CpuChoice::Pentium => sim::CpuModel::Pentium,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            CpuChoice::I486 => "i486",
            CpuChoice::Pentium => "Pentium",
        }
    }
}

/// One event for the log.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct EventView {
    /// Position in the log.
    pub index: usize,
    /// "kernel" or "machine".
    pub source: &'static str,
    /// The event kind ("boot", "ipc-send", …).
    pub kind: &'static str,
    /// The event in the kernel's line format.
    pub text: String,
}

/// Everything the explorer shows.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct SystemView {
    pub cpu: CpuChoice,
    pub clock_mhz: u32,
    pub memory_kb: u32,
    /// The kernel-debugger console so far.
    pub console: String,
    pub events: Vec<EventView>,
}

impl SystemView {
    pub fn of(system: &System, cpu: CpuChoice) -> Self {
        let config = system.machine().config();
        let events = system
            .log()
            .iter()
            .filter(|entry| matches!(entry.source, Source::Kernel(_)))
            .map(|entry| EventView {
                index: entry.sequence as usize,
                source: entry.origin(),
                kind: entry.kind(),
                text: entry.describe(),
            })
            .collect();
        Self {
            cpu,
            clock_mhz: config.clock_mhz,
            memory_kb: config.memory_bytes / 1024,
            console: String::from_utf8_lossy(system.console()).into_owned(),
            events,
        }
    }
}
