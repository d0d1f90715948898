//! Everything that runs on the bare machine.

mod descriptors;
mod entry;
mod hardware;
mod port;
mod serial;
mod traps;

use core::fmt::Write;
use hardware::NativeHardware;
use kernel::{BootInfo, Kernel, MemoryRegion};

/// Multiboot info: flags bit 0 says mem_lower/mem_upper are valid.
const MULTIBOOT_INFO_MEMORY: u32 = 1 << 0;
/// The value a multiboot loader leaves in EAX.
const MULTIBOOT_LOADER_MAGIC: u32 = 0x2BAD_B002;

static mut KERNEL: Kernel = Kernel::new();

/// Called by the entry stub with the loader's EAX and EBX.
#[unsafe(no_mangle)]
extern "C" fn native_main(magic: u32, multiboot_info: u32) -> ! {
    serial::init();
    descriptors::init();
    let mut hardware = NativeHardware::new();
    if magic != MULTIBOOT_LOADER_MAGIC {
        let _ = writeln!(serial::Writer, "native-boot: not started by a multiboot loader (EAX={magic:#x})\r");
        exit(crate::exit::Verdict::KernelStop);
    }
    let memory_high = memory_high(multiboot_info);
    let info = BootInfo {
        main_memory: MemoryRegion { low: 0, high: memory_high },
        kernel_image: image_region(),
        ..BootInfo::default()
    };
    // Safety: single-threaded boot; nothing else references KERNEL yet.
    let kernel = unsafe { &mut *core::ptr::addr_of_mut!(KERNEL) };
    kernel.boot(&mut hardware, &info);
    exit(crate::exit::Verdict::Success);
}

/// Top of memory from the multiboot info's mem_upper (KB above 1 MB).
fn memory_high(multiboot_info: u32) -> u32 {
    let info = multiboot_info as *const u32;
    // Safety: the loader passes a valid multiboot info structure in EBX; with
    // paging off, its physical address is directly readable.
    let (flags, mem_upper) = unsafe { (info.read_volatile(), info.add(2).read_volatile()) };
    if flags & MULTIBOOT_INFO_MEMORY != 0 { (mem_upper + 1024) * 1024 } else { 0 }
}

fn image_region() -> MemoryRegion {
    unsafe extern "C" {
        static __image_start: u8;
        static __image_end: u8;
    }
    let start = core::ptr::addr_of!(__image_start) as u32;
    let end = core::ptr::addr_of!(__image_end) as u32;
    MemoryRegion { low: start, high: end }
}

/// Tell QEMU the verdict and stop. On a machine without the exit device, halt.
pub fn exit(verdict: crate::exit::Verdict) -> ! {
    port::outb(crate::exit::DEBUG_EXIT_PORT, verdict as u8);
    loop {
        // Safety: halting with interrupts off parks this CPU; nothing follows.
        unsafe { core::arch::asm!("cli", "hlt", options(nomem, nostack)) };
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let _ = writeln!(serial::Writer, "\r\nkernel panic: {info}\r");
    exit(crate::exit::Verdict::KernelStop);
}
