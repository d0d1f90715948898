//! `impl kernel::Hardware` for the machine model.
//!
//! Every privileged operation the kernel asks for becomes the model's
//! operation with the model's charge: port I/O through the devices, `mov
//! cr3` and `invlpg` through the MMU, the kernel's own memory accesses
//! through the TLB and caches at the virtual addresses the native build
//! uses. Physical memory itself is read and written directly (the kernel's
//! window maps it 1:1); once paging is on those accesses are also charged as
//! accesses through the window, because on the hardware they are.

use crate::calibration::KernelCosts;
use crate::log::{EventLog, Source};
use ia32::registers::{cr0, cr4};
use ia32::{PhysAddr, VirtAddr};
use kernel::cost::{Path, Work};
use kernel::layout;
use kernel::{CpuKind, Hardware, KernelEvent};
use machine_model::{CpuModel, Machine, MachineError};
use std::collections::VecDeque;

/// The kernel's view of the model while one kernel entry runs.
#[derive(Debug)]
pub struct ModelHardware<'a> {
    pub machine: &'a mut Machine,
    pub console: &'a mut Vec<u8>,
    pub input: &'a mut VecDeque<u8>,
    pub log: &'a mut EventLog,
    pub costs: &'a KernelCosts,
    /// Kernel instructions charged since boot (each path's measured count).
    pub kernel_instructions: &'a mut u64,
    /// The first thing that went wrong on the model's side (a supervisor
    /// fault while the kernel touched its memory): the system stops with it.
    pub failure: &'a mut Option<MachineError>,
    /// The work of this entry so far (counted as the native image counts
    /// it; the path's charge depends on it).
    pub work: Work,
    /// What the last charged entry cost: its path, work, instructions and cycles.
    pub last_charge: &'a mut Option<KernelCharge>,
}

/// What one kernel entry was charged for its own instructions.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct KernelCharge {
    pub path: Path,
    pub work: Work,
    pub instructions: u64,
    pub cycles: u64,
}

impl ModelHardware<'_> {
    /// Charge an access to physical memory through the kernel's window.
    fn through_window(&mut self, address: PhysAddr, size: usize, write: bool) {
        if self.machine.cpu.cr0 & cr0::PG == 0 || size == 0 {
            return;
        }
        let linear = layout::window(address);
        if let Err(error) = self.machine.kernel_access(linear, size as u32, write) {
            self.failure.get_or_insert(error);
        }
    }
}

impl Hardware for ModelHardware<'_> {
    fn cpu(&self) -> CpuKind {
        match self.machine.config().cpu {
            CpuModel::I486 => CpuKind::I486,
            CpuModel::Pentium => CpuKind::Pentium,
        }
    }

    fn read_physical(&mut self, address: PhysAddr, buffer: &mut [u8]) {
        self.work.calls += 1;
        self.work.bytes += buffer.len() as u32;
        self.through_window(address, buffer.len(), false);
        if self.machine.debug.watching() {
            self.machine.debug.kernel_access(address.value(), buffer.len() as u32, false);
        }
        self.machine.memory.read(address, buffer);
    }

    fn write_physical(&mut self, address: PhysAddr, data: &[u8]) {
        self.work.calls += 1;
        self.work.bytes += data.len() as u32;
        self.through_window(address, data.len(), true);
        if self.machine.debug.watching() {
            self.machine.debug.kernel_access(address.value(), data.len() as u32, true);
        }
        self.machine.memory.write(address, data);
    }

    fn zero_physical(&mut self, address: PhysAddr, length: u32) {
        // Counted as the native image counts it (one `rep stosd`), charged
        // through the window like any write.
        self.work.cleared += length;
        if self.machine.debug.watching() {
            self.machine.debug.kernel_access(address.value(), length, true);
        }
        const ZEROS: [u8; 512] = [0; 512];
        let mut done = 0;
        while done < length {
            let take = (length - done).min(ZEROS.len() as u32);
            self.through_window(address.offset(done), take as usize, true);
            self.machine.memory.write(address.offset(done), &ZEROS[..take as usize]);
            done += take;
        }
    }

    fn port_out8(&mut self, port: u16, value: u8) {
        self.machine.kernel_port_out(port, 1, value as u32);
        self.machine.devices_changed();
    }

    fn port_in8(&mut self, port: u16) -> u8 {
        self.machine.kernel_port_in(port, 1) as u8
    }

    fn enable_paging(&mut self, directory: PhysAddr, large_pages: bool) {
        let machine = &mut *self.machine;
        machine.load_cr3(directory.value());
        let cr4 = if large_pages { cr4::PSE } else { 0 };
        machine.write_control(layout::CONTROL_REGISTER_0, cr4);
        // What the native boot code does right after: the descriptor tables
        // move to their addresses in the kernel's window, the task register
        // and the ring-0 stack are loaded.
        let (gdt_base, gdt_limit) = layout::gdt_register();
        let (idt_base, idt_limit) = layout::idt_register();
        machine.load_descriptor_tables(gdt_base, gdt_limit, idt_base, idt_limit);
        // The data segments hold the flat user selector in the kernel too.
        // (The native exit loads them every time, and the kernel paths'
        // calibrated prices include those loads; the model's exit loads them
        // only when their descriptor caches must change — a small-space
        // switch, or a thread that loaded others.)
        use machine_model::cpu::segment;
        let mut outcome = machine.load_task_register(layout::selector::TSS);
        for (register, selector) in [
            (segment::SS, layout::selector::KERNEL_DATA),
            (segment::DS, layout::selector::USER_DATA),
            (segment::ES, layout::selector::USER_DATA),
            (segment::FS, layout::selector::USER_DATA),
            (segment::GS, layout::selector::USER_DATA),
        ] {
            outcome = outcome.and_then(|()| machine.load_segment_register(register, selector));
        }
        if let Err(error) = outcome {
            self.failure.get_or_insert(error);
        }
        machine.cpu.registers[machine_model::cpu::register::ESP] = layout::window(layout::KERNEL_STACK_TOP);
        machine.cpu.cpl = 0;
    }

    fn load_page_directory(&mut self, directory: PhysAddr) {
        self.machine.load_cr3(directory.value());
    }

    fn invalidate_page(&mut self, address: VirtAddr) {
        self.machine.invlpg(address.value());
    }

    fn console_write(&mut self, bytes: &[u8]) {
        self.work.console += bytes.len() as u32;
        crate::drain_into(self.machine, self.log);
        self.console.extend_from_slice(bytes);
        let cycle = self.machine.cycles;
        self.log.push_console(cycle, self.machine.instructions, bytes);
    }

    fn console_read(&mut self) -> Option<u8> {
        self.input.pop_front()
    }

    fn emit(&mut self, event: &KernelEvent) {
        // Machine events the kernel's work caused so far come first.
        crate::drain_into(self.machine, self.log);
        let cycle = self.machine.cycles;
        self.log.push(cycle, self.machine.instructions, Source::Kernel(*event));
    }

    fn touch(&mut self, address: u32, size: u32, write: bool) {
        if self.machine.cpu.cr0 & cr0::PG == 0 {
            return;
        }
        if let Err(error) = self.machine.kernel_access(address, size, write) {
            self.failure.get_or_insert(error);
        }
    }

    fn kernel_path(&mut self, path: Path) {
        let (instructions, cycles) = self.costs.charge(path, &self.work);
        self.machine.charge_kernel_path(instructions, cycles);
        *self.kernel_instructions += instructions;
        *self.last_charge = Some(KernelCharge { path, work: self.work, instructions, cycles });
    }
}

/// The kernel's view of memory for inspection (the audit, the explorer's
/// page-table view): reads physical memory without charging anything or
/// touching the TLBs and caches; everything else does nothing.
#[derive(Debug)]
pub struct InspectionHardware<'a> {
    pub machine: &'a Machine,
}

impl Hardware for InspectionHardware<'_> {
    fn cpu(&self) -> CpuKind {
        match self.machine.config().cpu {
            CpuModel::I486 => CpuKind::I486,
            CpuModel::Pentium => CpuKind::Pentium,
        }
    }
    fn read_physical(&mut self, address: PhysAddr, buffer: &mut [u8]) {
        self.machine.memory.read(address, buffer);
    }
    fn write_physical(&mut self, _address: PhysAddr, _data: &[u8]) {}
    fn port_out8(&mut self, _port: u16, _value: u8) {}
    fn port_in8(&mut self, _port: u16) -> u8 {
        0xFF
    }
    fn enable_paging(&mut self, _directory: PhysAddr, _large_pages: bool) {}
    fn load_page_directory(&mut self, _directory: PhysAddr) {}
    fn invalidate_page(&mut self, _address: VirtAddr) {}
    fn console_write(&mut self, _bytes: &[u8]) {}
    fn console_read(&mut self) -> Option<u8> {
        None
    }
    fn emit(&mut self, _event: &KernelEvent) {}
}
