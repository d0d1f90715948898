//! # sim — the composition root
//!
//! Puts the kernel on the machine model: implements the kernel's `Hardware`
//! trait over a `machine_model::Machine`, loads boot modules, runs user code
//! until it traps, calls the kernel's entry, resumes whichever thread the
//! kernel chose, and keeps the event log the explorer draws from.
//!
//! Used by the command-line runner, the tests and the wasm bridge. It is the
//! only place where kernel and model meet: the kernel never names a model type
//! and the model never names a kernel type.
//!
//! Must never depend on: `wasm-bridge`, `web-ui`, any browser crate.

pub mod hardware;

use kernel::{BootInfo, Kernel, KernelEvent, MemoryRegion};
pub use machine_model::CpuModel;
use machine_model::{Machine, MachineConfig};

/// One entry in the event log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoggedEvent {
    Kernel(KernelEvent),
}

/// The simulated system: kernel + machine + what has happened so far.
#[derive(Clone, Debug)]
pub struct System {
    machine: Machine,
    kernel: Kernel,
    console: Vec<u8>,
    events: Vec<LoggedEvent>,
}

impl System {
    pub fn new(cpu: CpuModel) -> Self {
        Self {
            machine: Machine::new(MachineConfig::new(cpu)),
            kernel: Kernel::new(),
            console: Vec::new(),
            events: Vec::new(),
        }
    }

    /// Boot the kernel on the machine.
    pub fn boot(&mut self) {
        let info =
            BootInfo { main_memory: MemoryRegion { low: 0, high: self.machine.memory.size() }, ..BootInfo::default() };
        let mut hardware = hardware::ModelHardware {
            machine: &mut self.machine,
            console: &mut self.console,
            events: &mut self.events,
        };
        self.kernel.boot(&mut hardware, &info);
    }

    /// Everything the kernel debugger printed so far.
    pub fn console(&self) -> &[u8] {
        &self.console
    }

    /// The event log.
    pub fn events(&self) -> &[LoggedEvent] {
        &self.events
    }

    pub fn machine(&self) -> &Machine {
        &self.machine
    }
}
