//! # The L4/x86 X.0 kernel
//!
//! What lives here is only what cannot live outside a µ-kernel (Liedtke, "On
//! µ-Kernel Construction", SOSP 1995): address spaces built recursively by
//! grant, map and flush; threads; synchronous IPC; unique ids. Pagers,
//! drivers and memory policy are user programs.
//!
//! Design principles:
//! - **Event driven, one kernel stack.** Every entry (system call, exception,
//!   interrupt) runs to completion in [`Kernel::entry`] and names the thread
//!   to resume. Nothing in here blocks or waits; a blocked IPC is state in
//!   the thread control block.
//! - **Hardware only through [`Hardware`].** The same source runs natively (the
//!   `native-boot` image, real instructions) and on the machine model (the
//!   `sim` crate, in the browser). Page tables live in physical memory in the
//!   real i386 format, written through the trait, so the model's MMU walks the
//!   very tables this kernel built.
//! - **Decode, then perform.** Every register and memory word a user thread
//!   controls is an allegation until checked; checking has no side effects,
//!   performing cannot fail. No `unwrap`, `expect` or panic on user data.
//! - **No heap.** All state is in fixed tables inside [`Kernel`], indexed by
//!   small integers, `#[repr(C)]` with 32-bit fields, so its layout is the same
//!   in the 32-bit native build, in wasm32 and on a 64-bit host.
//! - **Everything it does is reported** as a [`KernelEvent`] to the sink the
//!   hardware layer provides; the explorer and the model-vs-QEMU trace test
//!   are built on that stream.
//!
//! Must never depend on: `machine-model`, `sim`, `std`, any allocator, or any
//! crate that is not `no_std`. Only `ia32`.
#![no_std]

#[cfg(test)]
extern crate std;

pub mod audit;
pub mod boot;
pub mod boot_loader;
pub mod cost;
mod debugger;
pub mod event;
mod exceptions;
pub mod fastpath;
mod fault_fastpath;
pub mod hardware;
pub mod inspect;
mod interrupts;
pub mod io_mapping;
mod ipc;
mod kip;
pub mod layout;
pub mod mapping;
mod memory;
pub mod pool;
mod ports;
mod schedule;
pub mod space;
mod syscalls;
pub mod thread;
mod transfer;

pub use boot::{BootInfo, BootModule, MemoryRegion};
pub use event::KernelEvent;
pub use hardware::{CpuKind, Hardware};
pub use thread::Frame;

use ia32::PhysAddr;
use ia32::abi::ThreadId;
use layout::SegmentWindow;
use mapping::MappingDatabase;
use pool::Pool;
use schedule::ReadyQueues;
use space::Spaces;
use thread::{NONE, State, Threads};

/// The kernel's version, shown in its banner.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The EFLAGS bits a user thread keeps across the kernel.
const USER_FLAGS: u32 = {
    use ia32::registers::eflags::*;
    STATUS | TF | DF | AC | ID
};

/// Choices made when the machine starts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Config {
    /// Honour thread_schedule's small-space ids (segment-based switching).
    pub small_spaces: bool,
    /// Stop the system when a thread enters the kernel debugger
    /// (`enter_kdebug`); otherwise log and continue.
    pub stop_in_debugger: bool,
    /// Use 4 MB pages where the CPU has them (Pentium).
    pub large_pages: bool,
    /// Nobody continues a thread in the kernel debugger by hand (the command
    /// line, the native image): `enter_kdebug` says so on the console and
    /// the thread goes on. The explorer turns it off: its run stops at the
    /// kernel-debugger event, as at a breakpoint, until the user continues.
    pub headless: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self { small_spaces: true, stop_in_debugger: false, large_pages: true, headless: true }
    }
}

/// Why the CPU entered the kernel.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cause {
    /// `int n` (or `int3`) executed by the current thread.
    Software,
    /// An exception raised by the current thread.
    Exception,
    /// A hardware interrupt (the current thread was interrupted, or the CPU was idle).
    Interrupt { irq: u8 },
}

/// One kernel entry.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Trap {
    pub vector: u8,
    pub error_code: u32,
    /// CR2 for a page fault.
    pub fault_address: u32,
    pub cause: Cause,
}

/// What the CPU does after the kernel.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
    /// Return to user mode with the frame the kernel wrote. With
    /// `reload_segments`, DS/ES/FS/GS are reloaded first (the user
    /// descriptors changed: a small-space switch).
    Resume { reload_segments: bool },
    /// No thread can run: wait for an interrupt.
    Idle,
    /// The system stops (the kernel debugger was entered with stopping on).
    Stop(StopReason),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum StopReason {
    /// `enter_kdebug` or a breakpoint, by `thread` at `eip`.
    KernelDebugger { thread: ThreadId, eip: u32 },
    /// No thread exists any more.
    NoThreads,
    /// Boot failed (no sigma0, or the kernel memory does not fit).
    BootFailed,
}

/// Interrupt lines.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Irq {
    /// The attached thread's TCB index, NONE if none.
    pub owner: u16,
    /// Arrived while the owner was not waiting.
    pub pending: bool,
    /// Masked at the PIC until the owner acknowledges it (its next receive).
    pub masked: bool,
}

impl Irq {
    const DETACHED: Irq = Irq { owner: NONE, pending: false, masked: true };
}

/// Counters for the explorer and the benchmarks. Kernel entries and IPCs
/// are read through [`Statistics::entries`] and [`Statistics::ipcs`]: an
/// IPC the fast path takes is counted once, in `fast_ipcs`, for both (one
/// memory increment fewer on the path).
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Statistics {
    /// Kernel entries other than the fast path's IPCs.
    pub(crate) other_entries: u64,
    /// IPCs other than the fast path's.
    pub(crate) other_ipcs: u64,
    /// IPCs the fast path took (each one kernel entry).
    pub(crate) fast_ipcs: u64,
    pub page_faults: u64,
    pub space_switches: u64,
    pub small_space_switches: u64,
    pub tlb_flushes: u64,
    pub page_invalidations: u64,
    /// Pages that message transfers looked up in a page table (to check them
    /// or to copy through them).
    pub transfer_page_lookups: u64,
}

impl Statistics {
    /// Kernel entries, of every kind.
    pub fn entries(&self) -> u64 {
        self.other_entries + self.fast_ipcs
    }

    /// IPC system calls, of every kind.
    pub fn ipcs(&self) -> u64 {
        self.other_ipcs + self.fast_ipcs
    }
}

impl core::fmt::Debug for Statistics {
    /// The totals, as the counters were before the fast path's were split off.
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        formatter
            .debug_struct("Statistics")
            .field("entries", &self.entries())
            .field("ipcs", &self.ipcs())
            .field("page_faults", &self.page_faults)
            .field("space_switches", &self.space_switches)
            .field("small_space_switches", &self.small_space_switches)
            .field("tlb_flushes", &self.tlb_flushes)
            .field("page_invalidations", &self.page_invalidations)
            .field("transfer_page_lookups", &self.transfer_page_lookups)
            .finish()
    }
}

/// The kernel: all of its state.
#[derive(Clone, Debug)]
pub struct Kernel {
    pub config: Config,
    pub(crate) booted: bool,
    pub(crate) cpu: CpuKind,
    /// Microseconds since boot (advanced by the timer).
    pub clock: u64,
    pub(crate) threads: Threads,
    pub(crate) pool: Pool,
    pub(crate) spaces: Spaces,
    pub(crate) mapping: MappingDatabase,
    pub(crate) ready: ReadyQueues,
    /// The running thread's TCB index (NONE when idle).
    pub(crate) current: u16,
    /// A thread the scheduler should switch to (IPC hand-off), if ready.
    pub(crate) handoff: u16,
    /// Head of the timeout list.
    pub(crate) wakeups: u16,
    /// The page directory in CR3.
    pub(crate) loaded_directory: u32,
    /// The user segment window in the GDT.
    pub(crate) loaded_window: SegmentWindow,
    pub(crate) irqs: [Irq; 16],
    pub(crate) memory_high: u32,
    pub(crate) kip: PhysAddr,
    pub(crate) reload_segments: bool,
    pub(crate) stop: Option<StopReason>,
    /// The thread that yielded in this entry (for the switch event).
    pub(crate) previous_after_yield: u16,
    /// A thread of a higher priority than the running one became ready in
    /// this entry: the running thread is preempted at the exit.
    pub(crate) preemption_due: bool,
    /// A small call changed a task's small space in this entry: the exit
    /// must look at the spaces even if the caller goes on.
    pub(crate) space_changed: bool,
    /// A thread may wait for console input (`kd_inchar`): the timer tick
    /// looks at the console only then, not at every TCB on every tick.
    pub(crate) console_readers: bool,
    /// The second frame of each task's I/O bitmap.
    pub(crate) io_second_frames: [u32; 256],
    /// Who holds which I/O ports from whom.
    pub(crate) io_mappings: io_mapping::IoMappings,
    pub statistics: Statistics,
}

impl Kernel {
    pub const fn new() -> Self {
        Self {
            config: Config { small_spaces: true, stop_in_debugger: false, large_pages: true, headless: true },
            booted: false,
            cpu: CpuKind::I486,
            clock: 0,
            threads: Threads::new(),
            pool: Pool::new(),
            spaces: Spaces::new(),
            mapping: MappingDatabase::new(),
            ready: ReadyQueues::new(),
            current: NONE,
            handoff: NONE,
            wakeups: NONE,
            loaded_directory: 0,
            loaded_window: SegmentWindow::LARGE,
            irqs: [Irq::DETACHED; 16],
            memory_high: 0,
            kip: PhysAddr(0),
            reload_segments: false,
            stop: None,
            previous_after_yield: NONE,
            preemption_due: false,
            space_changed: false,
            console_readers: false,
            io_second_frames: [0; 256],
            io_mappings: io_mapping::IoMappings::new(),
            statistics: Statistics {
                other_entries: 0,
                other_ipcs: 0,
                fast_ipcs: 0,
                page_faults: 0,
                space_switches: 0,
                small_space_switches: 0,
                tlb_flushes: 0,
                page_invalidations: 0,
                transfer_page_lookups: 0,
            },
        }
    }

    /// Whether [`Kernel::boot`] has run successfully.
    pub fn is_booted(&self) -> bool {
        self.booted
    }

    /// Whether, with no thread ready, something can still wake one without
    /// outside input: a pending timeout or an attached interrupt.
    pub fn can_wake(&self) -> bool {
        self.wakeups != NONE || self.irqs.iter().any(|irq| irq.owner != NONE)
    }

    /// The running thread's id (nil when idle).
    pub fn current_thread(&self) -> ThreadId {
        if self.current == NONE { ThreadId::NIL } else { self.threads.tcb(self.current).id }
    }

    /// The kernel's virtual address of a TCB (for `Hardware::touch`):
    /// where it lies in the native image's kernel state.
    pub(crate) fn tcb_address(&self, index: u16) -> u32 {
        let offset = core::mem::offset_of!(Kernel, threads) + core::mem::offset_of!(Threads, tcbs);
        layout::window(layout::KERNEL_STATE) + offset as u32 + index as u32 * core::mem::size_of::<thread::Tcb>() as u32
    }

    /// Handle one kernel entry. `frame` holds the interrupted thread's
    /// registers on entry, and the next thread's registers on return.
    pub fn entry<H: Hardware>(&mut self, hardware: &mut H, trap: Trap, frame: &mut Frame) -> Outcome {
        if let Some(reason) = self.stop {
            self.statistics.other_entries += 1;
            return Outcome::Stop(reason);
        }
        let current = self.current;
        let software = current != NONE && trap.cause == Cause::Software;
        // Counted in `fast_ipcs` if taken.
        if software
            && trap.vector == ia32::abi::syscall::IPC
            && let Some(outcome) = self.fast_ipc(hardware, current, frame)
        {
            return outcome;
        }
        self.statistics.other_entries += 1;
        if software
            && trap.vector == ia32::abi::syscall::ID_NEAREST
            && let Some(outcome) = self.fast_id_nearest(hardware, current, frame)
        {
            return outcome;
        }
        if current != NONE {
            self.threads.tcb_mut(current).frame = *frame;
            hardware.touch(self.tcb_address(current), 48, true);
        }
        let path = match trap.cause {
            Cause::Interrupt { irq } => self.interrupt(hardware, irq),
            Cause::Software if current == NONE => cost::Path::Exception,
            Cause::Software => match trap.vector {
                ia32::abi::syscall::IPC => self.ipc(hardware, current),
                0x31..=0x36 => self.system_call(hardware, current, trap.vector),
                3 => self.debugger(hardware, current),
                _ => self.exception(hardware, current, trap),
            },
            Cause::Exception if current == NONE => cost::Path::Exception,
            Cause::Exception => match trap.vector {
                ia32::registers::vector::PAGE_FAULT => {
                    // Natively the assembly took the faults it takes before Rust ran.
                    let fast = !H::ASSEMBLY_FAST_PATHS && self.fault_assembly_takes(current, &trap, frame);
                    let path = self.page_fault(hardware, current, trap);
                    if fast { cost::Path::FaultFast } else { path }
                }
                ia32::registers::vector::BREAKPOINT => self.debugger(hardware, current),
                _ => self.exception(hardware, current, trap),
            },
        };
        self.exit(hardware, frame, path)
    }

    /// Pick the next thread, switch address space if needed, and hand its
    /// registers to the exit path.
    pub(crate) fn exit<H: Hardware>(&mut self, hardware: &mut H, frame: &mut Frame, path: cost::Path) -> Outcome {
        if let Some(reason) = self.stop {
            return Outcome::Stop(reason);
        }
        let next = self.choose_next();
        let previous =
            if self.current == NONE { core::mem::replace(&mut self.previous_after_yield, NONE) } else { self.current };
        self.previous_after_yield = NONE;
        if next == NONE {
            if previous != NONE && self.threads.tcb(previous).state != State::Ready {
                self.current = NONE;
            }
            hardware.kernel_path(path);
            if self.threads.tcbs.iter().all(|tcb| !tcb.in_use() || tcb.state == State::Stopped) {
                self.stop = Some(StopReason::NoThreads);
                return Outcome::Stop(StopReason::NoThreads);
            }
            return Outcome::Idle;
        }
        if next != previous {
            let from = if previous == NONE { ThreadId::NIL } else { self.threads.tcb(previous).id };
            hardware.emit(&KernelEvent::ThreadSwitch { from, to: self.threads.tcb(next).id });
        }
        self.current = next;
        // A small call (id_nearest, thread_switch, thread_schedule) whose
        // caller goes on left the spaces as they were unless it said so:
        // the loaded directory and window are already the caller's.
        let space_changed = core::mem::take(&mut self.space_changed);
        if next != previous || path != cost::Path::Small || space_changed {
            self.switch_space(hardware, next);
        }
        hardware.touch(self.tcb_address(next), 48, false);
        *frame = self.threads.tcb(next).frame;
        // Only flags user mode may hold: no NT (iret would switch tasks), no
        // VM, IOPL 0 (I/O goes through the bitmap), interrupts on.
        frame.eflags =
            (frame.eflags & USER_FLAGS) | ia32::registers::eflags::IF | ia32::registers::eflags::RESERVED_ONE;
        hardware.kernel_path(path);
        let reload = core::mem::take(&mut self.reload_segments);
        Outcome::Resume { reload_segments: reload }
    }

    /// Make `next`'s address space the active one: a CR3 load for a large
    /// space; for a small space only the user segment descriptors change.
    fn switch_space<H: Hardware>(&mut self, hardware: &mut H, next: u16) {
        let task_number = self.threads.tcb(next).id.task();
        let task = &self.threads.tasks[task_number as usize];
        let (directory, small_id) = (task.directory, task.small);
        let small =
            if self.config.small_spaces && small_id != 0 { ia32::abi::SmallSpaceId(small_id).window() } else { None };
        let window = match small {
            Some((size, offset)) => SegmentWindow { base: layout::SMALL_SPACE_AREA + offset, size: size as u64 },
            None => SegmentWindow::LARGE,
        };
        // A small space runs in whatever large space is loaded (its pages are in
        // every space's small-space area); a large space needs its own directory.
        if small.is_none() && self.loaded_directory != directory && directory != 0 {
            self.loaded_directory = directory;
            hardware.load_page_directory(PhysAddr(directory));
            self.statistics.space_switches += 1;
            if hardware.events_enabled() {
                self.report_space_switch(hardware, task_number);
            }
        }
        if window != self.loaded_window {
            self.loaded_window = window;
            let (code, data) = layout::user_descriptors(window);
            let user_code_offset = layout::selector::USER_CODE.index() as u32 * 8;
            let user_data_offset = layout::selector::USER_DATA.index() as u32 * 8;
            hardware.write_physical(layout::GDT.offset(user_code_offset), &code.encode().to_le_bytes());
            hardware.write_physical(layout::GDT.offset(user_data_offset), &data.encode().to_le_bytes());
            self.reload_segments = true;
            self.statistics.small_space_switches += 1;
            if small.is_some() {
                hardware.emit(&KernelEvent::SmallSpace {
                    task: task_number,
                    base: window.base,
                    size: window.size as u32,
                });
            }
        }
    }
}

impl Kernel {
    /// CR3 now holds `task`'s page directory (also reported by the native
    /// image's assembly fast path after it loaded CR3).
    pub fn report_space_switch<H: Hardware>(&self, hardware: &mut H, task: u8) {
        let directory = self.threads.tasks[task as usize].directory;
        hardware.emit(&KernelEvent::SpaceSwitch { task, directory });
    }

    /// `task`'s small-space window is now the loaded one (also reported by
    /// the native image's assembly fast path after it switched windows).
    pub fn report_small_space<H: Hardware>(&self, hardware: &mut H, task: u8) {
        let window = self.loaded_window;
        hardware.emit(&KernelEvent::SmallSpace { task, base: window.base, size: window.size as u32 });
    }
}

impl Default for Kernel {
    fn default() -> Self {
        Self::new()
    }
}
