//! Booting like L4 on a PC: whoever loaded us (the native image's multiboot
//! entry, or the simulator) has placed the boot modules in physical memory
//! and describes them in a [`BootInfo`]. Parsing ELF is the loader's job, as
//! it was RMGR's for L4; the kernel only sees entry points and ranges.

use crate::event::KernelEvent;
use crate::hardware::Hardware;
use crate::{Kernel, VERSION};

/// A range of physical memory, [low, high).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct MemoryRegion {
    pub low: u32,
    pub high: u32,
}

/// One loaded boot module: where its image lies and where it starts.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct BootModule {
    /// Physical memory its segments occupy.
    pub memory: MemoryRegion,
    /// Entry point (a virtual address; sigma0 and the root task run 1:1).
    pub entry: u32,
    /// Initial stack pointer, or 0 if the module sets up its own.
    pub stack: u32,
}

/// Maximum number of boot modules the kernel accepts.
pub const MAX_BOOT_MODULES: usize = 8;

/// What the loader tells the kernel.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct BootInfo {
    /// Installed main memory, [0, high).
    pub main_memory: MemoryRegion,
    /// Memory the kernel image occupies.
    pub kernel_image: MemoryRegion,
    /// The modules in boot order: sigma0, the root task, then more.
    pub modules: [BootModule; MAX_BOOT_MODULES],
    pub module_count: u32,
}

impl Kernel {
    /// Bring the kernel up: print the banner and report what was found.
    pub fn boot(&mut self, hardware: &mut impl Hardware, info: &BootInfo) {
        let cpu = hardware.cpu();
        let mut line = LineBuffer::new();
        let _ = core::fmt::write(
            &mut line,
            format_args!(
                "L4/x86 X.0 microkernel {VERSION} on {} with {} KB\r\n",
                cpu.name(),
                info.main_memory.high / 1024
            ),
        );
        hardware.console_write(line.as_bytes());
        hardware.emit(&KernelEvent::Boot { cpu, memory_kb: info.main_memory.high / 1024 });
        hardware.emit(&KernelEvent::BootModules { count: info.module_count });
        self.booted = true;
    }
}

/// A fixed buffer for formatting one console line without a heap.
pub(crate) struct LineBuffer {
    bytes: [u8; 128],
    length: usize,
}

impl LineBuffer {
    pub(crate) const fn new() -> Self {
        Self { bytes: [0; 128], length: 0 }
    }
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.length]
    }
}

impl core::fmt::Write for LineBuffer {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        let room = self.bytes.len() - self.length;
        let take = text.len().min(room);
        self.bytes[self.length..self.length + take].copy_from_slice(&text.as_bytes()[..take]);
        self.length += take;
        if take < text.len() { Err(core::fmt::Error) } else { Ok(()) }
    }
}
