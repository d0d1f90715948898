//! `impl kernel::Hardware` for the machine model.

use crate::LoggedEvent;
use ia32::PhysAddr;
use kernel::{CpuKind, Hardware, KernelEvent};
use machine_model::{CpuModel, Machine};

/// The kernel's view of the model while one kernel entry runs.
#[derive(Debug)]
pub struct ModelHardware<'a> {
    pub machine: &'a mut Machine,
    pub console: &'a mut Vec<u8>,
    pub events: &'a mut Vec<LoggedEvent>,
}

impl Hardware for ModelHardware<'_> {
    fn cpu(&self) -> CpuKind {
        match self.machine.config().cpu {
            CpuModel::I486 => CpuKind::I486,
            CpuModel::Pentium => CpuKind::Pentium,
        }
    }
    fn read_physical(&mut self, address: PhysAddr, buffer: &mut [u8]) {
        self.machine.memory.read(address, buffer);
    }
    fn write_physical(&mut self, address: PhysAddr, data: &[u8]) {
        self.machine.memory.write(address, data);
    }
    fn console_write(&mut self, bytes: &[u8]) {
        self.console.extend_from_slice(bytes);
    }
    fn console_read(&mut self) -> Option<u8> {
        None
    }
    fn emit(&mut self, event: &KernelEvent) {
        self.events.push(LoggedEvent::Kernel(*event));
    }
}
