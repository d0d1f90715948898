//! `impl kernel::Hardware` with real instructions.

use super::serial;
use core::fmt::Write;
use ia32::PhysAddr;
use kernel::{CpuKind, Hardware, KernelEvent};

/// The machine we run on.
#[derive(Debug)]
pub struct NativeHardware {
    cpu: CpuKind,
}

impl NativeHardware {
    pub fn new() -> Self {
        Self { cpu: detect_cpu() }
    }
}

/// A CPU that lets software toggle EFLAGS.ID has `cpuid`; the 486s QEMU
/// models do not (nor did most real ones). With `cpuid`, family 5 is a Pentium.
fn detect_cpu() -> CpuKind {
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

impl Hardware for NativeHardware {
    fn cpu(&self) -> CpuKind {
        self.cpu
    }

    fn read_physical(&mut self, address: PhysAddr, buffer: &mut [u8]) {
        let source = address.value() as usize as *const u8;
        // Safety: paging is off, so physical addresses are directly addressable;
        // the kernel only names memory below the top the loader reported.
        unsafe { core::ptr::copy_nonoverlapping(source, buffer.as_mut_ptr(), buffer.len()) };
    }

    fn write_physical(&mut self, address: PhysAddr, data: &[u8]) {
        let destination = address.value() as usize as *mut u8;
        // Safety: as for `read_physical`.
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), destination, data.len()) };
    }

    fn console_write(&mut self, bytes: &[u8]) {
        serial::write_bytes(bytes);
    }

    fn console_read(&mut self) -> Option<u8> {
        serial::read_byte()
    }

    fn emit(&mut self, event: &KernelEvent) {
        let _ = write!(serial::Writer, "{}{}\r\n", kernel::event::LINE_PREFIX, event);
    }
}
