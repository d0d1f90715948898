//! # The i486 and Pentium machine model
//!
//! The machine the kernel runs on in the browser, and the thing students look
//! at. It must behave like the hardware in everything the kernel and user
//! programs can observe, and count time the way Liedtke's paper does.
//!
//! Design principles:
//! - Only ring-3 code is interpreted. Ring 0 is the kernel, compiled natively
//!   (or to wasm); when user code traps, the model does what the CPU does on
//!   the way in and hands the trap to its host.
//! - Real structures: TLBs with sets, ways and replacement; stale entries stay
//!   until flushed. Segment registers with hidden descriptor caches.
//! - Every cycle charged names its source in a cost table apart from the code.
//! - Deterministic: the same inputs give the same states.
//!
//! Must never depend on: `kernel`, `sim`, or anything that knows L4. It is a PC.
#![forbid(unsafe_code)]

mod access;
pub mod cache;
pub mod costs;
pub mod cpu;
pub mod debug;
pub mod decode;
pub mod devices;
pub mod events;
pub mod fault;
pub(crate) mod flags;
pub mod interpreter;
pub mod ledger;
pub mod machine;
pub mod memory;
pub mod mmu;
pub mod pipeline;
pub mod pricing;
pub mod snapshot;
pub mod tlb;
mod transitions;
pub mod workload;

pub use debug::{DebugHooks, WatchHit, WatchKind, Watchpoint};
pub use events::{EventFilter, MachineEvent};
pub use fault::{EntryCause, Fault, FaultKind, KernelEntry, MachineError, UserFrame};
pub use ledger::Ledger;
pub use machine::{Exit, Machine, RunLimit};
pub use memory::PhysicalMemory;
pub use snapshot::MachineSnapshot;

/// Which processor to model.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum CpuModel {
    /// Intel i486DX.
    #[default]
    I486,
    /// Intel Pentium (P5).
    Pentium,
}

impl CpuModel {
    /// The clock the paper's figures assume: a 486 at 50 MHz, a Pentium at 166 MHz.
    pub const fn default_clock_mhz(self) -> u32 {
        match self {
            CpuModel::I486 => 50,
            CpuModel::Pentium => 166,
        }
    }
    pub const fn name(self) -> &'static str {
        match self {
            CpuModel::I486 => "i486",
            CpuModel::Pentium => "Pentium",
        }
    }
}

/// How to build a machine.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct MachineConfig {
    pub cpu: CpuModel,
    pub clock_mhz: u32,
    /// Installed RAM in bytes (a multiple of 4 KB).
    pub memory_bytes: u32,
}

impl MachineConfig {
    pub const fn new(cpu: CpuModel) -> Self {
        Self { cpu, clock_mhz: cpu.default_clock_mhz(), memory_bytes: 16 << 20 }
    }
}
