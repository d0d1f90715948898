//! Kernel events: one stream, two machines.
//!
//! The kernel reports what it does; the explorer draws from it, the native
//! image prints it over the serial port as lines, and a test compares the
//! two. The line format is the contract: `@k <kind> key=value …`, one event
//! per line; ids, addresses and frames in hex, counts in decimal. Nothing in
//! an event depends on time, so the same program gives the same lines on
//! the model and in QEMU.

use crate::hardware::CpuKind;
use core::fmt;
use ia32::abi::ThreadId;

/// Which half of an IPC.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Phase {
    Send,
    Receive,
}

/// Something the kernel did.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum KernelEvent {
    /// The kernel started on `cpu` with `memory_kb` of main memory.
    Boot {
        cpu: CpuKind,
        memory_kb: u32,
    },
    /// A boot module was found at [low, high) with its entry point.
    BootModule {
        index: u32,
        low: u32,
        high: u32,
        entry: u32,
    },
    /// The kernel's page pool.
    KernelMemory {
        low: u32,
        high: u32,
    },
    TaskCreated {
        task: ThreadId,
        chief: u8,
        pager: ThreadId,
    },
    TaskDeleted {
        task: ThreadId,
    },
    ThreadCreated {
        thread: ThreadId,
        pager: ThreadId,
        eip: u32,
        esp: u32,
    },
    /// The CPU now runs `to` (after `from`).
    ThreadSwitch {
        from: ThreadId,
        to: ThreadId,
    },
    /// CR3 now holds `task`'s page directory.
    SpaceSwitch {
        task: u8,
        directory: u32,
    },
    /// The user segments now cover `task`'s small space [base, base + size).
    SmallSpace {
        task: u8,
        base: u32,
        size: u32,
    },
    /// A message went from `from` to `to`: the three register words and the
    /// counts of memory dwords, strings and fpages.
    Ipc {
        from: ThreadId,
        to: ThreadId,
        words: [u32; 3],
        dwords: u32,
        strings: u32,
        fpages: u32,
    },
    /// `thread` blocks waiting for `partner` (nil: anyone) in `phase`.
    IpcWait {
        thread: ThreadId,
        partner: ThreadId,
        phase: Phase,
    },
    /// `thread`'s IPC ended with error `code` (the ABI's ec, with the send bit).
    IpcError {
        thread: ThreadId,
        code: u32,
    },
    /// A page went from `from`'s space to `to`'s: map or grant.
    Map {
        from: ThreadId,
        to: ThreadId,
        from_address: u32,
        to_address: u32,
        frame: u32,
        writable: bool,
        grant: bool,
        large: bool,
    },
    /// A mapping was removed (or made read-only).
    Unmap {
        task: u8,
        address: u32,
        frame: u32,
        downgraded: bool,
    },
    /// A page fault, turned into an IPC to `pager` (nil: handled by the kernel).
    PageFault {
        thread: ThreadId,
        address: u32,
        write: bool,
        eip: u32,
        pager: ThreadId,
    },
    /// An interrupt arrived for `owner` (nil: nobody is attached).
    Interrupt {
        irq: u8,
        owner: ThreadId,
    },
    InterruptAttached {
        irq: u8,
        thread: ThreadId,
    },
    /// An exception the kernel could not turn into anything else.
    Exception {
        thread: ThreadId,
        vector: u8,
        error_code: u32,
        eip: u32,
    },
    /// TLB entries were dropped: one page, or all of them.
    TlbFlush {
        address: u32,
        all: bool,
    },
    /// thread_schedule changed a thread's priority or timeslice.
    Schedule {
        thread: ThreadId,
        priority: u8,
        timeslice: u32,
    },
    /// `enter_kdebug` or a breakpoint stopped `thread` at `eip`.
    KernelDebugger {
        thread: ThreadId,
        eip: u32,
    },
    /// A thread was removed because it did something it cannot recover from.
    ThreadKilled {
        thread: ThreadId,
        reason: KillReason,
    },
}

/// Why the kernel removed a thread.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum KillReason {
    /// A page fault with no pager to ask.
    NoPager,
    /// An exception with no handler (no virtual IDT).
    UnhandledException,
    /// An access to the kernel's own memory.
    KernelMemory,
}

/// The prefix every event line starts with on the serial port.
pub const LINE_PREFIX: &str = "@k ";

struct Id(ThreadId);

impl fmt::Display for Id {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{:#010x}", self.0.raw())
    }
}

impl KernelEvent {
    /// The event's kind, as used in the line format and by filters.
    pub const fn kind(&self) -> &'static str {
        match self {
            KernelEvent::Boot { .. } => "boot",
            KernelEvent::BootModule { .. } => "module",
            KernelEvent::KernelMemory { .. } => "kernel-memory",
            KernelEvent::TaskCreated { .. } => "task-new",
            KernelEvent::TaskDeleted { .. } => "task-delete",
            KernelEvent::ThreadCreated { .. } => "thread-new",
            KernelEvent::ThreadSwitch { .. } => "switch",
            KernelEvent::SpaceSwitch { .. } => "space",
            KernelEvent::SmallSpace { .. } => "small-space",
            KernelEvent::Ipc { .. } => "ipc",
            KernelEvent::IpcWait { .. } => "ipc-wait",
            KernelEvent::IpcError { .. } => "ipc-error",
            KernelEvent::Map { .. } => "map",
            KernelEvent::Unmap { .. } => "unmap",
            KernelEvent::PageFault { .. } => "pagefault",
            KernelEvent::Interrupt { .. } => "irq",
            KernelEvent::InterruptAttached { .. } => "irq-attach",
            KernelEvent::Exception { .. } => "exception",
            KernelEvent::TlbFlush { .. } => "tlb-flush",
            KernelEvent::Schedule { .. } => "schedule",
            KernelEvent::KernelDebugger { .. } => "kdebug",
            KernelEvent::ThreadKilled { .. } => "kill",
        }
    }

    /// The threads an event is about (for filters in the explorer).
    pub fn threads(&self) -> [Option<ThreadId>; 2] {
        match *self {
            KernelEvent::TaskCreated { task, .. } | KernelEvent::TaskDeleted { task } => [Some(task), None],
            KernelEvent::ThreadCreated { thread, .. }
            | KernelEvent::IpcWait { thread, .. }
            | KernelEvent::IpcError { thread, .. }
            | KernelEvent::PageFault { thread, .. }
            | KernelEvent::Exception { thread, .. }
            | KernelEvent::Schedule { thread, .. }
            | KernelEvent::KernelDebugger { thread, .. }
            | KernelEvent::InterruptAttached { thread, .. }
            | KernelEvent::ThreadKilled { thread, .. } => [Some(thread), None],
            KernelEvent::ThreadSwitch { from, to }
            | KernelEvent::Ipc { from, to, .. }
            | KernelEvent::Map { from, to, .. } => [Some(from), Some(to)],
            KernelEvent::Interrupt { owner, .. } => [Some(owner), None],
            _ => [None, None],
        }
    }
}

impl fmt::Display for KernelEvent {
    /// The line format, without the prefix and the newline.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.kind())?;
        match *self {
            KernelEvent::Boot { cpu, memory_kb } => write!(formatter, " cpu={} memory_kb={memory_kb}", cpu.name()),
            KernelEvent::BootModule { index, low, high, entry } => {
                write!(formatter, " index={index} low={low:#x} high={high:#x} entry={entry:#x}")
            }
            KernelEvent::KernelMemory { low, high } => write!(formatter, " low={low:#x} high={high:#x}"),
            KernelEvent::TaskCreated { task, chief, pager } => {
                write!(formatter, " task={} chief={chief:#x} pager={}", Id(task), Id(pager))
            }
            KernelEvent::TaskDeleted { task } => write!(formatter, " task={}", Id(task)),
            KernelEvent::ThreadCreated { thread, pager, eip, esp } => {
                write!(formatter, " thread={} pager={} eip={eip:#x} esp={esp:#x}", Id(thread), Id(pager))
            }
            KernelEvent::ThreadSwitch { from, to } => write!(formatter, " from={} to={}", Id(from), Id(to)),
            KernelEvent::SpaceSwitch { task, directory } => {
                write!(formatter, " task={task:#x} directory={directory:#x}")
            }
            KernelEvent::SmallSpace { task, base, size } => {
                write!(formatter, " task={task:#x} base={base:#x} size={size:#x}")
            }
            KernelEvent::Ipc { from, to, words, dwords, strings, fpages } => write!(
                formatter,
                " from={} to={} w0={:#x} w1={:#x} w2={:#x} dwords={dwords} strings={strings} fpages={fpages}",
                Id(from),
                Id(to),
                words[0],
                words[1],
                words[2]
            ),
            KernelEvent::IpcWait { thread, partner, phase } => write!(
                formatter,
                " thread={} partner={} phase={}",
                Id(thread),
                Id(partner),
                if phase == Phase::Send { "send" } else { "receive" }
            ),
            KernelEvent::IpcError { thread, code } => write!(formatter, " thread={} code={code:#x}", Id(thread)),
            KernelEvent::Map { from, to, from_address, to_address, frame, writable, grant, large } => write!(
                formatter,
                " from={} to={} from_address={from_address:#x} to_address={to_address:#x} frame={frame:#x} writable={} grant={} large={}",
                Id(from),
                Id(to),
                writable as u8,
                grant as u8,
                large as u8
            ),
            KernelEvent::Unmap { task, address, frame, downgraded } => {
                write!(
                    formatter,
                    " task={task:#x} address={address:#x} frame={frame:#x} downgraded={}",
                    downgraded as u8
                )
            }
            KernelEvent::PageFault { thread, address, write, eip, pager } => write!(
                formatter,
                " thread={} address={address:#x} write={} eip={eip:#x} pager={}",
                Id(thread),
                write as u8,
                Id(pager)
            ),
            KernelEvent::Interrupt { irq, owner } => write!(formatter, " irq={irq} owner={}", Id(owner)),
            KernelEvent::InterruptAttached { irq, thread } => write!(formatter, " irq={irq} thread={}", Id(thread)),
            KernelEvent::Exception { thread, vector, error_code, eip } => {
                write!(formatter, " thread={} vector={vector} error={error_code:#x} eip={eip:#x}", Id(thread))
            }
            KernelEvent::TlbFlush { address, all } => write!(formatter, " address={address:#x} all={}", all as u8),
            KernelEvent::Schedule { thread, priority, timeslice } => {
                write!(formatter, " thread={} priority={priority} timeslice={timeslice}", Id(thread))
            }
            KernelEvent::KernelDebugger { thread, eip } => write!(formatter, " thread={} eip={eip:#x}", Id(thread)),
            KernelEvent::ThreadKilled { thread, reason } => {
                let reason = match reason {
                    KillReason::NoPager => "no-pager",
                    KillReason::UnhandledException => "unhandled-exception",
                    KillReason::KernelMemory => "kernel-memory",
                };
                write!(formatter, " thread={} reason={reason}", Id(thread))
            }
        }
    }
}
