//! Booting like L4 on a PC: whoever loaded us (the native image's multiboot
//! entry, or the simulator) has placed the boot modules in physical memory
//! at their link addresses and describes them in a [`BootInfo`]. Parsing ELF
//! is the loader's job, as it was RMGR's for L4; the kernel only sees entry
//! points and ranges.
//!
//! Sigma0 (module 0) starts with EAX = the KIP's address; the root task
//! (module 1) with EAX = 0x2BADB002 and EBX = the multiboot info, paged by
//! sigma0. Further modules start as tasks 5, 6, … (as RMGR starts them),
//! also paged by sigma0. Every other task is inactive, with the root task
//! as its chief.

use crate::event::KernelEvent;
use crate::hardware::Hardware;
use crate::memory::SIGMA0_TASK;
use crate::syscalls::BOOT_PRIORITY;
use crate::thread::{Frame, TaskState, register};
use crate::{Kernel, Outcome, StopReason, VERSION, cost, layout};
use ia32::PhysAddr;
use ia32::abi::ThreadId;

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
/// The root task's task number and id.
pub const ROOT_TASK: u8 = 4;
/// The task number of the third boot module; later modules follow.
pub const FIRST_FURTHER_TASK: u8 = 5;

/// What the loader tells the kernel.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct BootInfo {
    /// Installed main memory, [0, high).
    pub main_memory: MemoryRegion,
    /// The modules in boot order: sigma0, the root task, then more.
    pub modules: [BootModule; MAX_BOOT_MODULES],
    pub module_count: u32,
    /// Physical address of the multiboot information (for the root task's EBX).
    pub multiboot_info: u32,
}

/// A fixed buffer for formatting one console line without a heap.
pub(crate) struct LineBuffer {
    bytes: [u8; 160],
    length: usize,
}

impl LineBuffer {
    pub(crate) const fn new() -> Self {
        Self { bytes: [0; 160], length: 0 }
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

fn say(hardware: &mut impl Hardware, arguments: core::fmt::Arguments<'_>) {
    let mut line = LineBuffer::new();
    let _ = core::fmt::write(&mut line, arguments);
    hardware.console_write(line.as_bytes());
}

impl Kernel {
    /// Bring the kernel up and start sigma0 and the root task. `frame`
    /// receives the registers of the first thread to run.
    ///
    /// Boot once, on a kernel fresh from [`Kernel::new`] (natively it is a
    /// static in the kernel-state section; resetting it here would need a
    /// second copy of half a megabyte on a 16 KB stack). A second call stops.
    pub fn boot<H: Hardware>(&mut self, hardware: &mut H, info: &BootInfo, frame: &mut Frame) -> Outcome {
        if self.booted || self.stop.is_some() {
            return Outcome::Stop(StopReason::BootFailed);
        }
        self.cpu = hardware.cpu();
        let memory = info.main_memory.high.min(layout::MAX_MEMORY) & !(ia32::PAGE_SIZE - 1);
        self.memory_high = memory;
        say(
            hardware,
            format_args!("L4/x86 X.0 microkernel {VERSION} on {} with {} KB\r\n", self.cpu.name(), memory / 1024),
        );
        hardware.emit(&KernelEvent::Boot { cpu: self.cpu, memory_kb: memory / 1024 });
        match self.bring_up(hardware, info) {
            Ok(()) => {
                self.booted = true;
                self.exit(hardware, frame, cost::Path::Management)
            }
            Err(reason) => {
                say(hardware, format_args!("boot failed: {reason}\r\n"));
                self.stop = Some(StopReason::BootFailed);
                Outcome::Stop(StopReason::BootFailed)
            }
        }
    }

    fn bring_up<H: Hardware>(&mut self, hardware: &mut H, info: &BootInfo) -> Result<(), &'static str> {
        let memory = self.memory_high;
        let pool_size = layout::pool_size(memory);
        let pool_low = memory.checked_sub(pool_size).ok_or("less memory than the kernel's pool needs")?;
        if pool_low < layout::RESERVED_END.value() + (1 << 20) {
            return Err("too little memory: the kernel needs at least 6 MB");
        }
        let count = info.module_count.min(MAX_BOOT_MODULES as u32) as usize;
        for (index, module) in info.modules[..count].iter().enumerate() {
            hardware.emit(&KernelEvent::BootModule {
                index: index as u32,
                low: module.memory.low,
                high: module.memory.high,
                entry: module.entry,
            });
            let inside_free = module.memory.low >= layout::RESERVED_END.value() && module.memory.high <= pool_low;
            let low_memory = module.memory.high <= layout::DEDICATED_LOW && module.memory.low >= 0x1000;
            if module.memory.high < module.memory.low || !(inside_free || low_memory) {
                return Err(
                    "a boot module lies in kernel memory (link it at 4 MB or above, below the top 1/16 of memory)",
                );
            }
        }
        if count == 0 {
            return Err("no sigma0: the first boot module must be sigma0");
        }
        self.pool.init(pool_low, pool_size);
        hardware.emit(&KernelEvent::KernelMemory { low: pool_low, high: memory });
        self.spaces.large_pages = self.config.large_pages && self.cpu.has_large_pages();
        self.spaces.set_pool_low(pool_low);
        self.spaces
            .build_window(hardware, &mut self.pool, memory)
            .ok_or("the kernel's pool is too small for the memory window")?;
        self.mapping.init();
        // No task may use I/O ports it was not given.
        let ones = [0xFFu8; 512];
        for offset in (0..2 * ia32::PAGE_SIZE).step_by(ones.len()) {
            hardware.write_physical(layout::NO_PORTS_BITMAP.offset(offset), &ones);
        }
        self.write_kip(hardware, info);
        // Every task number is the root task's to create; 0 (kernel), 1 and 3 are never used.
        for number in 5..=255usize {
            let task = &mut self.threads.tasks[number];
            task.state = TaskState::Inactive;
            task.chief = ROOT_TASK;
            task.id = ThreadId::new(number as u8, 0, 1, ROOT_TASK);
        }
        let sigma0 = info.modules[0];
        let sigma0_thread = self
            .create_task(
                hardware,
                ThreadId::SIGMA0,
                ROOT_TASK,
                255,
                ThreadId::NIL,
                sigma0.entry,
                sigma0.stack,
                BOOT_PRIORITY,
            )
            .ok_or("out of kernel memory creating sigma0")?;
        self.threads.tcb_mut(sigma0_thread).frame.set(register::EAX, self.kip.value());
        self.open_all_ports(hardware, SIGMA0_TASK);
        let directory = PhysAddr(self.threads.tasks[SIGMA0_TASK as usize].directory);
        hardware.enable_paging(directory, self.spaces.large_pages);
        self.loaded_directory = directory.value();
        if count > 1 {
            let root = info.modules[1];
            let root_thread = self
                .create_task(
                    hardware,
                    ThreadId::ROOT_TASK,
                    ROOT_TASK,
                    255,
                    ThreadId::SIGMA0,
                    root.entry,
                    root.stack,
                    BOOT_PRIORITY,
                )
                .ok_or("out of kernel memory creating the root task")?;
            let frame = &mut self.threads.tcb_mut(root_thread).frame;
            frame.set(register::EAX, 0x2BAD_B002);
            frame.set(register::EBX, info.multiboot_info);
        }
        // Further modules start as tasks 5, 6, … paged by sigma0, chief the
        // root task — as RMGR starts them on Hazelnut.
        for (index, module) in info.modules[..count].iter().enumerate().skip(2) {
            let number = FIRST_FURTHER_TASK + (index - 2) as u8;
            let id = ThreadId::new(number, 0, 1, ROOT_TASK);
            self.create_task(hardware, id, ROOT_TASK, 255, ThreadId::SIGMA0, module.entry, module.stack, BOOT_PRIORITY)
                .ok_or("out of kernel memory creating a boot module's task")?;
        }
        self.init_interrupts(hardware);
        Ok(())
    }
}
