//! Everything that runs on the bare machine.

mod descriptors;
mod entry;
mod fastpath;
mod hardware;
mod modules;
mod multiboot;
mod paging;
mod port;
mod self_audit;
mod serial;
mod traps;

use core::fmt::Write;
use hardware::NativeHardware;
use kernel::{Cause, Frame, Kernel, Outcome, Trap};
use multiboot::Multiboot;

/// The value a multiboot loader leaves in EAX.
const MULTIBOOT_LOADER_MAGIC: u32 = 0x2BAD_B002;

/// The kernel's state, at physical 2 MB (`kernel::layout::KERNEL_STATE`):
/// the model charges the kernel's accesses to its TCBs and mapping nodes at
/// these same addresses.
#[unsafe(link_section = ".kernel_state")]
static mut KERNEL: Kernel = Kernel::new();

/// The machine, as found at boot.
static mut MACHINE: NativeHardware = NativeHardware {
    cpu: kernel::CpuKind::I486,
    memory_high: 0,
    events: true,
    calibrating: false,
    work: kernel::cost::Work::NONE,
    entered_debugger: false,
};

/// The one kernel and the machine.
///
/// # Safety
/// Single CPU; called only in ring 0 with interrupts off (boot, or a trap
/// through an interrupt gate), and the references never outlive the entry.
unsafe fn kernel_and_machine() -> (&'static mut Kernel, NativeHardware) {
    // Safety: as the caller promises: nothing else holds these references.
    unsafe { (&mut *core::ptr::addr_of_mut!(KERNEL), *core::ptr::addr_of!(MACHINE)) }
}

/// Called by the boot stub (paging on, running at the window) with the
/// loader's EAX and EBX.
#[unsafe(no_mangle)]
extern "C" fn native_main(magic: u32, multiboot_address: u32) -> ! {
    serial::CONSOLE.init();
    serial::EVENTS.init();
    if magic != MULTIBOOT_LOADER_MAGIC {
        let _ = writeln!(serial::CONSOLE.writer(), "native-boot: not started by a multiboot loader (EAX={magic:#x})\r");
        exit(crate::exit::Verdict::KernelStop);
    }
    if multiboot_address >= 1 << 22 {
        let _ = writeln!(serial::CONSOLE.writer(), "native-boot: the multiboot information lies above 4 MB\r");
        exit(crate::exit::Verdict::KernelStop);
    }
    // Safety: EBX from a multiboot loader (EAX checked), in the first 4 MB.
    let memory_high = unsafe { Multiboot::memory_high(multiboot_address) }.min(kernel::layout::MAX_MEMORY);
    paging::extend_window(memory_high);
    // Safety: as above; the window now covers all RAM.
    let multiboot = unsafe { Multiboot::read(multiboot_address) };
    descriptors::init();
    let machine = NativeHardware {
        cpu: hardware::detect_cpu(),
        memory_high,
        events: !multiboot.has_option(b"events=off"),
        calibrating: multiboot.has_option(b"calibrate"),
        work: kernel::cost::Work::NONE,
        entered_debugger: false,
    };
    // Safety: boot, single-threaded, interrupts off.
    unsafe { *core::ptr::addr_of_mut!(MACHINE) = machine };
    let info = match modules::load(&multiboot, memory_high) {
        Ok(info) => info,
        Err(error) => {
            let _ = write!(serial::CONSOLE.writer(), "native-boot: {error}\r\n");
            exit(crate::exit::Verdict::KernelStop);
        }
    };
    // Safety: boot, single-threaded, interrupts off.
    let (kernel, mut hardware) = unsafe { kernel_and_machine() };
    kernel.config.small_spaces = multiboot.has_option(b"small-spaces");
    kernel.config.large_pages = !multiboot.has_option(b"no-large-pages");
    self_audit::configure(multiboot.has_option(b"audit"), multiboot.has_option(b"tables"));
    let mut frame = Frame::default();
    let outcome = kernel.boot(&mut hardware, &info, &mut frame);
    if hardware.calibrating {
        // `cargo xtask calibrate` starts logging the kernel's instructions here.
        hardware::calibration_booted();
    }
    carry_out(outcome, &frame)
}

/// Every trap, exception and interrupt, from the stubs in `traps`.
#[unsafe(no_mangle)]
extern "C" fn native_trap(saved: &traps::TrapFrame) -> ! {
    let vector = saved.vector as u8;
    let from_user = saved.came_from_user();
    let cause = match vector {
        0x20..=0x2F => Cause::Interrupt { irq: vector - 0x20 },
        3 | 0x30..=0x36 if from_user => Cause::Software,
        0..=31 if from_user => Cause::Exception,
        _ => kernel_fault(saved),
    };
    let fault_address = if vector == ia32::registers::vector::PAGE_FAULT {
        let address = read_cr2();
        if from_user {
            self_audit::fault_reached_rust(saved, address);
        }
        address
    } else {
        0
    };
    let trap = Trap { vector, error_code: saved.error_code, fault_address, cause };
    let mut frame = if from_user { saved.user_frame() } else { Frame::default() };
    // Safety: a trap through an interrupt gate: interrupts are off.
    let (kernel, mut hardware) = unsafe { kernel_and_machine() };
    let outcome = kernel.entry(&mut hardware, trap, &mut frame);
    self_audit::after_entry(kernel, &mut hardware, cause == Cause::Software);
    carry_out(outcome, &frame)
}

/// Do what the kernel decided.
fn carry_out(outcome: Outcome, frame: &Frame) -> ! {
    match outcome {
        Outcome::Resume { reload_segments } => traps::resume_user(frame, reload_segments),
        Outcome::Idle => traps::idle(),
        Outcome::Stop(reason) => {
            let _ = write!(serial::CONSOLE.writer(), "\r\nnative-boot: the kernel stopped: {reason:?}\r\n");
            exit(crate::exit::Verdict::KernelStop)
        }
    }
}

pub(crate) fn read_cr2() -> u32 {
    let value: u32;
    // Safety: reading CR2 has no side effects.
    unsafe { core::arch::asm!("mov {}, cr2", out(reg) value, options(nomem, nostack, preserves_flags)) };
    value
}

/// An exception in ring 0 (or a vector nothing should raise) is a kernel bug:
/// report it and stop.
fn kernel_fault(saved: &traps::TrapFrame) -> ! {
    let cr2 = if saved.vector == 14 { read_cr2() } else { 0 };
    let _ = write!(
        serial::CONSOLE.writer(),
        "\r\nnative-boot: unexpected exception {} ({}) in ring 0, error={:#x} at {:#010x} cs={:#x} eflags={:#x} cr2={:#x}\r\n",
        saved.vector,
        ia32::registers::vector::mnemonic(saved.vector as u8),
        saved.error_code,
        saved.eip,
        saved.cs,
        saved.eflags,
        cr2
    );
    // What it was doing: the words the interrupted code had on its stack
    // (an `iret` frame, if it was leaving), CR3 and the kernel's current
    // thread, so that a failing soak names more than an address.
    let first = core::ptr::addr_of!(saved.user_esp);
    let top = kernel::layout::window(kernel::layout::KERNEL_STACK_TOP);
    let words = (top.saturating_sub(first as u32) / 4).min(5) as usize;
    // Safety: the fault came from ring 0 on the kernel stack (the CPU pushed
    // no ESP and SS): the words after EFLAGS are the kernel stack's, and
    // only those below its top are read.
    let stack = unsafe { core::slice::from_raw_parts(first, words) };
    let cr3: u32;
    // Safety: reading CR3 has no side effects.
    unsafe { core::arch::asm!("mov {}, cr3", out(reg) cr3, options(nomem, nostack, preserves_flags)) };
    // Safety: as in `native_trap`; the kernel stops right after.
    let (kernel, _) = unsafe { kernel_and_machine() };
    let _ = write!(
        serial::CONSOLE.writer(),
        "native-boot: stack {stack:08x?} cr3={cr3:#x} current thread {:?}\r\n",
        kernel.current_thread()
    );
    exit(crate::exit::Verdict::KernelStop);
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
    let _ = write!(serial::CONSOLE.writer(), "\r\nkernel panic: {info}\r\n");
    exit(crate::exit::Verdict::KernelStop);
}

/// The image has no heap. The ELF reader (`object`, through `asm::loader`)
/// links the `alloc` crate but never allocates on the loader's path; should
/// anything try, the allocation fails and the kernel stops with a message.
struct NoHeap;

// Safety: `alloc` always fails (null), which GlobalAlloc permits; `dealloc`
// is then never called with a pointer from us.
unsafe impl core::alloc::GlobalAlloc for NoHeap {
    unsafe fn alloc(&self, _layout: core::alloc::Layout) -> *mut u8 {
        core::ptr::null_mut()
    }
    unsafe fn dealloc(&self, _pointer: *mut u8, _layout: core::alloc::Layout) {}
}

#[global_allocator]
static HEAP: NoHeap = NoHeap;
