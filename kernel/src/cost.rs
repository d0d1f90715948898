//! Kernel paths, for accounting.
//!
//! The kernel is not interpreted in the machine model, so the model cannot
//! count its instructions. Instead each kernel entry names the path it took;
//! the model charges that path's cycles from a calibration table measured on
//! the native image (`cargo xtask calibrate`), never from numbers typed in.

/// The kinds of work one kernel entry does, as the calibration measures them.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash, PartialOrd, Ord)]
pub enum Path {
    /// ipc: the fast path the native image runs in assembly (a register
    /// call or reply-and-wait to a waiting partner in the same clan, no
    /// timeout to remove, no change of user segments).
    IpcFast,
    /// ipc: a register message delivered to a waiting receiver (a send, a
    /// call, a reply-and-wait), or a receive that found one waiting.
    IpcShort,
    /// ipc that blocked the caller with nothing delivered (no receiver waiting,
    /// or a receive with no sender).
    IpcBlock,
    /// ipc with memory dwords, strings or fpages.
    IpcLong,
    /// ipc that failed (bad partner, timeout 0, cut).
    IpcError,
    /// A page fault turned into an IPC to the pager.
    PageFault,
    /// page fault: the fast path the native image runs in assembly (a user
    /// fault in a large space, delivered as registers to a pager in the
    /// same clan that already waits for it, no timeout to remove).
    FaultFast,
    /// A page fault of sigma0 resolved by the kernel itself.
    Sigma0Fault,
    /// A hardware interrupt (timer tick or device IRQ).
    Interrupt,
    /// id_nearest, thread_switch, thread_schedule.
    Small,
    /// id_nearest of a thread in the caller's clan (or of itself), which
    /// the native image answers in assembly: nothing else changes, and the
    /// caller goes on.
    SmallFast,
    /// lthread_ex_regs, task_new, fpage_unmap.
    Management,
    /// The kernel debugger.
    Debugger,
    /// Any other exception.
    Exception,
}

impl Path {
    pub const ALL: [Path; 14] = [
        Path::IpcFast,
        Path::IpcShort,
        Path::IpcBlock,
        Path::IpcLong,
        Path::IpcError,
        Path::PageFault,
        Path::FaultFast,
        Path::Sigma0Fault,
        Path::Interrupt,
        Path::Small,
        Path::SmallFast,
        Path::Management,
        Path::Debugger,
        Path::Exception,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Path::IpcFast => "ipc-fast",
            Path::IpcShort => "ipc-short",
            Path::IpcBlock => "ipc-block",
            Path::IpcLong => "ipc-long",
            Path::IpcError => "ipc-error",
            Path::PageFault => "page-fault",
            Path::FaultFast => "fault-fast",
            Path::Sigma0Fault => "sigma0-fault",
            Path::Interrupt => "interrupt",
            Path::Small => "small-syscall",
            Path::SmallFast => "small-fast",
            Path::Management => "management",
            Path::Debugger => "debugger",
            Path::Exception => "exception",
        }
    }
}

/// The work one kernel entry did at the hardware boundary, counted by the
/// `Hardware` implementation (the kernel makes the same calls natively and
/// in the model, so both count the same): a path's cost is a base plus a
/// cost per unit of each, fitted by `cargo xtask calibrate` from native
/// measurements over varied workloads. A 16-byte string and a 64 KB one
/// then cost what each really costs.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[repr(C)]
pub struct Work {
    /// Calls to read or write physical memory (page-table walks, user
    /// memory, copies: each has its fixed cost).
    pub calls: u32,
    /// Bytes those calls read or wrote.
    pub bytes: u32,
    /// Bytes of physical memory cleared (new page tables and directories).
    pub cleared: u32,
    /// Bytes written to the kernel-debugger console.
    pub console: u32,
}

impl Work {
    pub const NONE: Work = Work { calls: 0, bytes: 0, cleared: 0, console: 0 };
    /// The units, in the order of [`Work::units`].
    pub const NAMES: [&'static str; 4] = ["calls", "bytes", "cleared", "console"];

    pub const fn units(&self) -> [u32; 4] {
        [self.calls, self.bytes, self.cleared, self.console]
    }
}
