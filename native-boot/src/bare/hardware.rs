//! `impl kernel::Hardware` with real instructions.

use super::{port, serial};
use core::fmt::Write;
use ia32::{PhysAddr, VirtAddr};
use kernel::cost::Work;
use kernel::{CpuKind, Hardware, KernelEvent, layout};

/// The port `cargo xtask calibrate` reads each entry's path and work from
/// (QEMU's `cpu_out` trace event; the POST port, harmless on a PC).
const CALIBRATION_PORT: u16 = 0x80;
/// The first word of a calibration record: this marker | the path's index.
const CALIBRATION_MARKER: u32 = 0xCA1B_0000;

/// The machine we run on.
#[derive(Debug, Clone, Copy)]
pub struct NativeHardware {
    pub cpu: CpuKind,
    /// Top of RAM: physical accesses at or above it read 0xFF, writes vanish.
    pub memory_high: u32,
    /// Whether kernel events go out on COM2.
    pub events: bool,
    /// `calibrate` on the command line: every entry reports its path and
    /// work on the calibration port (`cargo xtask calibrate`).
    pub calibrating: bool,
    /// The work of this entry so far (a fresh copy of the machine per entry).
    pub work: Work,
    /// This entry went into the kernel debugger (`enter_kdebug` or a
    /// breakpoint): with `tables` on the command line the table levels
    /// follow on the console.
    pub entered_debugger: bool,
}

/// The kernel has booted: what follows are kernel entries. `cargo xtask
/// calibrate` stops QEMU here (a gdb breakpoint on this symbol) to turn its
/// execution log on at the same instruction every run, so never inlined.
#[inline(never)]
#[unsafe(no_mangle)]
pub extern "C" fn calibration_booted() {
    // Safety: writing the POST port has no effect on the machine.
    unsafe {
        core::arch::asm!("out dx, eax", in("dx") CALIBRATION_PORT, in("eax") CALIBRATION_MARKER | 0xFFFF, options(nomem, nostack, preserves_flags))
    };
}

/// Report one entry's path and work: five words on the calibration port.
/// Never inlined, and only `out`s: the calibration leaves its instructions
/// out of the count by its address range.
#[inline(never)]
#[unsafe(no_mangle)]
extern "C" fn calibration_report(path: u32, work: &Work) {
    let words = [CALIBRATION_MARKER | path, work.calls, work.bytes, work.cleared, work.console];
    for word in words {
        // Safety: writing the POST port has no effect on the machine.
        unsafe {
            core::arch::asm!("out dx, eax", in("dx") CALIBRATION_PORT, in("eax") word, options(nomem, nostack, preserves_flags))
        };
    }
}

/// A CPU that lets software toggle EFLAGS.ID has `cpuid`; the 486s QEMU
/// models do not (nor did most real ones). With `cpuid`, family 5 is a Pentium.
pub fn detect_cpu() -> CpuKind {
    let toggled: u32;
    // Safety: pushes and pops EFLAGS on our own stack; restores the original value.
    unsafe {
        core::arch::asm!(
            "pushfd",
            "pushfd",
            "xor dword ptr [esp], 0x200000",
            "popfd",
            "pushfd",
            "pop {toggled}",
            "xor {toggled}, [esp]",
            "popfd",
            toggled = out(reg) toggled,
        );
    }
    if toggled & (1 << 21) == 0 {
        return CpuKind::I486;
    }
    let signature: u32;
    // Safety: cpuid exists (the ID flag toggled); leaf 1 only reads identification.
    unsafe {
        core::arch::asm!(
            "push ebx",
            "cpuid",
            "pop ebx",
            inout("eax") 1u32 => signature,
            out("ecx") _,
            out("edx") _,
        );
    }
    if (signature >> 8) & 0xF >= 5 { CpuKind::Pentium } else { CpuKind::I486 }
}

/// Keep the compiler from moving memory accesses across this point (no
/// instruction is emitted). A word written here may be a page-table entry
/// that changes what another address means to the MMU, or one the MMU
/// updates (accessed and dirty bits); the compiler knows neither. With the
/// access inlined as one move (no `memcpy` call of unknown length around
/// it) and no fence, a non-incremental build read GRUB's boot modules as
/// garbage ("not an ELF file"; `qemu_boot::the_iso_boots_through_grub`).
#[inline(always)]
fn hardware_order() {
    core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
}

impl NativeHardware {
    /// Read physical memory without counting it: what is not installed RAM
    /// reads as 0xFF, as on the bus.
    fn copy_in(&self, address: PhysAddr, buffer: &mut [u8]) {
        let present = self.installed(address, buffer.len());
        let source = layout::window(address) as usize as *const u8;
        // Safety: the window maps all installed RAM (boot tables, then the
        // kernel's own in every space); only the installed part is read.
        unsafe { core::ptr::copy_nonoverlapping(source, buffer.as_mut_ptr(), present) };
        if present < buffer.len() {
            buffer[present..].fill(0xFF);
        }
    }

    /// How many of `length` bytes at `address` are installed RAM.
    fn installed(&self, address: PhysAddr, length: usize) -> usize {
        let start = address.value() as u64;
        let high = self.memory_high as u64;
        if start >= high { 0 } else { (high - start).min(length as u64) as usize }
    }
}

impl Hardware for NativeHardware {
    const ASSEMBLY_FAST_PATHS: bool = true;

    fn cpu(&self) -> CpuKind {
        self.cpu
    }

    fn read_physical(&mut self, address: PhysAddr, buffer: &mut [u8]) {
        self.work.calls += 1;
        self.work.bytes += buffer.len() as u32;
        self.copy_in(address, buffer);
    }

    fn write_physical(&mut self, address: PhysAddr, data: &[u8]) {
        self.work.calls += 1;
        self.work.bytes += data.len() as u32;
        let present = self.installed(address, data.len());
        let destination = layout::window(address) as usize as *mut u8;
        // Safety: as for `copy_in`; the kernel writes only memory it owns.
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), destination, present) };
    }

    // The word accesses are most of the kernel's physical accesses (page
    // tables, directories): one load or store each, counted as the byte
    // versions count them.
    fn read_physical_u32(&mut self, address: PhysAddr) -> u32 {
        self.work.calls += 1;
        self.work.bytes += 4;
        if self.installed(address, 4) < 4 {
            let mut bytes = [0u8; 4];
            self.copy_in(address, &mut bytes);
            return u32::from_le_bytes(bytes);
        }
        hardware_order();
        // Safety: the four bytes are installed RAM, which the window maps.
        let value = unsafe { core::ptr::read_unaligned(layout::window(address) as usize as *const u32) };
        hardware_order();
        value
    }

    fn write_physical_u32(&mut self, address: PhysAddr, value: u32) {
        self.work.calls += 1;
        self.work.bytes += 4;
        let present = self.installed(address, 4);
        let destination = layout::window(address) as usize as *mut u8;
        hardware_order();
        // Safety: as for `write_physical`: only installed bytes are written.
        unsafe {
            if present == 4 {
                core::ptr::write_unaligned(destination as *mut u32, value);
            } else {
                core::ptr::copy_nonoverlapping(value.to_le_bytes().as_ptr(), destination, present);
            }
        }
        hardware_order();
    }

    fn zero_physical(&mut self, address: PhysAddr, length: u32) {
        self.work.cleared += length;
        let present = self.installed(address, length as usize);
        let destination = layout::window(address) as usize as *mut u32;
        // Safety: as for `write_physical`; a word loop (`rep stosd`) over
        // whole words of installed RAM, then the odd bytes.
        unsafe {
            core::arch::asm!(
                "rep stosd",
                inout("edi") destination => _,
                inout("ecx") present / 4 => _,
                in("eax") 0u32,
                options(nostack, preserves_flags),
            );
            let tail = (destination as *mut u8).add(present & !3);
            core::ptr::write_bytes(tail, 0, present & 3);
        }
    }

    fn port_out8(&mut self, port: u16, value: u8) {
        port::outb(port, value);
    }

    fn port_in8(&mut self, port: u16) -> u8 {
        port::inb(port)
    }

    fn enable_paging(&mut self, directory: PhysAddr, large_pages: bool) {
        // Paging is on since the boot stub; this moves to the kernel's own
        // tables (sigma0's directory), with 4 MB pages if asked.
        if self.cpu().has_large_pages() {
            // CR4 (a Pentium's; the i486 has none) gets a known value: PSE
            // if asked for, nothing else (a loader may leave VME, PVI, TSD
            // or DE set, which would change what user code may do).
            let value: u32 = if large_pages { 0x10 } else { 0 };
            // Safety: only on a Pentium; setting CR4.PSE changes no current
            // mapping (the boot tables use 4 KB pages), and the other bits
            // cleared affect only virtual-8086 mode, `rdtsc` from ring 3 and
            // the debug registers' I/O breakpoints, none of which the kernel
            // uses.
            unsafe { core::arch::asm!("mov cr4, {}", in(reg) value, options(nostack, preserves_flags)) };
        }
        self.load_page_directory(directory);
        // Safety: PE, PG and WP are on since the boot stub; this adds NE and
        // EM, and clears CD and NW (QEMU starts with caches disabled). No
        // x87 instruction runs in the kernel.
        unsafe {
            core::arch::asm!(
                "mov cr0, {}",
                in(reg) kernel::layout::CONTROL_REGISTER_0,
                options(nostack, preserves_flags),
            )
        };
    }

    fn load_page_directory(&mut self, directory: PhysAddr) {
        // Safety: the kernel hands us one of its page directories, which map
        // the kernel window exactly as the current one does.
        unsafe { core::arch::asm!("mov cr3, {}", in(reg) directory.value(), options(nostack, preserves_flags)) };
    }

    fn invalidate_page(&mut self, address: VirtAddr) {
        // Safety: invlpg only drops a TLB entry.
        unsafe { core::arch::asm!("invlpg [{}]", in(reg) address.value(), options(nostack, preserves_flags)) };
    }

    fn console_write(&mut self, bytes: &[u8]) {
        self.work.console += bytes.len() as u32;
        serial::CONSOLE.write_bytes(bytes);
    }

    fn console_read(&mut self) -> Option<u8> {
        serial::CONSOLE.read_byte()
    }

    fn kernel_path(&mut self, path: kernel::cost::Path) {
        if self.calibrating {
            let index = kernel::cost::Path::ALL.iter().position(|candidate| *candidate == path).unwrap_or(0xFF);
            calibration_report(index as u32, &self.work);
        }
    }

    fn events_enabled(&self) -> bool {
        self.events
    }

    fn emit(&mut self, event: &KernelEvent) {
        if matches!(event, KernelEvent::KernelDebugger { .. }) {
            self.entered_debugger = true;
        }
        if self.events {
            let _ = writeln!(serial::EVENTS.writer(), "{}{}", kernel::event::LINE_PREFIX, event);
        }
    }
}
