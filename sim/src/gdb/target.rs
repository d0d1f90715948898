//! The debugger as a `gdbstub` target: L4 threads are gdb threads (the
//! thread id is the L4 id), registers and memory are each thread's own,
//! breakpoints and watchpoints go to the debugger's points, and resuming —
//! forwards or backwards — is remembered here and done by the event loop
//! (`super::session`), which can watch the connection meanwhile.

use super::arch::{I486, I486RegisterNumber, I486Registers};
use crate::debugger::points::PointError;
use crate::debugger::threads::AccessError;
use crate::debugger::{Debugger, Stop};
use gdbstub::common::{Signal, Tid};
use gdbstub::stub::MultiThreadStopReason;
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::ext::base::multithread::{
    MultiThreadBase, MultiThreadResume, MultiThreadResumeOps, MultiThreadSchedulerLocking,
    MultiThreadSchedulerLockingOps, MultiThreadSingleStep, MultiThreadSingleStepOps,
};
use gdbstub::target::ext::base::reverse_exec::{ReverseCont, ReverseContOps, ReverseStep, ReverseStepOps};
use gdbstub::target::ext::base::single_register_access::{SingleRegisterAccess, SingleRegisterAccessOps};
use gdbstub::target::ext::breakpoints::{
    Breakpoints, BreakpointsOps, HwBreakpoint, HwBreakpointOps, HwWatchpoint, HwWatchpointOps, SwBreakpoint,
    SwBreakpointOps, WatchKind,
};
use gdbstub::target::ext::monitor_cmd::{ConsoleOutput, MonitorCmd, MonitorCmdOps};
use gdbstub::target::ext::thread_extra_info::{ThreadExtraInfo, ThreadExtraInfoOps};
use gdbstub::target::{Target, TargetError, TargetResult};
use ia32::abi::ThreadId;

/// errno values gdb shows as their messages.
const EFAULT: u8 = 14;
const ESRCH: u8 = 3;
const EPERM: u8 = 1;

/// What gdb asked the machine to do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Continue,
    Step,
    ReverseContinue,
    ReverseStep,
}

/// A fatal error of the target: none is ever raised (every failure is an
/// error code to gdb), but gdbstub asks for a type.
#[derive(Debug)]
pub enum Fatal {}

impl std::fmt::Display for Fatal {
    fn fmt(&self, _formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {}
    }
}

/// The target gdbstub talks to.
pub struct Stub<'a> {
    pub debugger: &'a mut Debugger,
    /// Where the program's console output goes, and how much of it has:
    /// printed once, however often the machine goes back and forth.
    pub console: &'a mut dyn std::io::Write,
    pub printed: usize,
    /// What the next wait for a stop does.
    pub action: Option<Action>,
    /// The thread gdb last looked at: where new breakpoints and
    /// watchpoints are bound (gdb does not say which thread it means).
    pub selected: ThreadId,
    /// The thread the last stop named.
    stopped: ThreadId,
    /// The thread gdb steps, and whether it asked the others to stay put
    /// (as it does to step one thread over a breakpoint).
    stepping: Option<ThreadId>,
    locked: bool,
}

pub fn thread_of(tid: Tid) -> ThreadId {
    ThreadId(tid.get() as u32)
}

pub fn tid_of(thread: ThreadId) -> Tid {
    Tid::new(thread.raw() as usize).unwrap_or(Tid::MIN)
}

impl std::fmt::Debug for Stub<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Stub")
            .field("action", &self.action)
            .field("selected", &self.selected)
            .finish_non_exhaustive()
    }
}

/// Print the console output `system` has beyond `printed`.
pub fn echo(system: &crate::System, console: &mut dyn std::io::Write, printed: &mut usize) {
    let text = system.console();
    if text.len() > *printed {
        let _ = console.write_all(&text[*printed..]);
        let _ = console.flush();
        *printed = text.len();
    }
}

impl<'a> Stub<'a> {
    pub fn new(debugger: &'a mut Debugger, console: &'a mut dyn std::io::Write, printed: usize) -> Self {
        let selected = debugger.current_thread();
        Self { debugger, console, printed, action: None, selected, stopped: selected, stepping: None, locked: false }
    }

    pub fn echo_console(&mut self) {
        echo(self.debugger.system(), self.console, &mut self.printed);
    }

    /// The thread gdb names, noted as the one it looks at.
    fn look_at(&mut self, tid: Tid) -> ThreadId {
        // gdbstub's stand-in before gdb has named a thread (a stub rebuilt
        // after a bad packet): 1 is no L4 thread's id (it is IRQ 0's).
        if tid.get() == 1 {
            return self.selected;
        }
        let thread = thread_of(tid);
        if self.debugger.system().kernel().thread_summary(thread).is_some() {
            self.selected = thread;
        }
        thread
    }

    /// A debugger stop as gdb's stop reason.
    pub fn stop_reason(&mut self, stop: &Stop) -> MultiThreadStopReason<u32> {
        let mut thread = stop.thread();
        if let (Stop::Stepped { .. }, true, Some(stepped)) = (stop, self.locked, self.stepping) {
            // gdb stepped one thread with the others held (over a
            // breakpoint) and takes any other thread's stop for a broken
            // promise; the kernel may still have switched after the
            // instruction. The stepped thread did its step: report that.
            thread = stepped;
        }
        let tid = tid_of(thread);
        let switched = thread != self.stopped;
        self.selected = thread;
        self.stopped = thread;
        match *stop {
            // A step that ends in the thread gdb stepped is a trace trap; one
            // that ends in another (after an IPC, a page fault, an interrupt)
            // is a plain stop of that thread: gdb says "Thread N stopped."
            // and switches to it, instead of calling it a stray signal.
            Stop::Stepped { .. } if switched => {
                MultiThreadStopReason::SignalWithThread { tid, signal: Signal::SIGZERO }
            }
            Stop::Stepped { .. } => MultiThreadStopReason::SignalWithThread { tid, signal: Signal::SIGTRAP },
            Stop::Breakpoint { .. } => MultiThreadStopReason::SwBreak(tid),
            Stop::Watchpoint { address, kind, .. } => MultiThreadStopReason::Watch {
                tid,
                kind: match kind {
                    machine_model::WatchKind::Read => WatchKind::Read,
                    machine_model::WatchKind::Write => WatchKind::Write,
                    machine_model::WatchKind::Access => WatchKind::ReadWrite,
                },
                addr: address,
            },
            Stop::Interrupted { .. } => MultiThreadStopReason::SignalWithThread { tid, signal: Signal::SIGINT },
            Stop::HistoryStart { .. } => MultiThreadStopReason::ReplayLog {
                tid: Some(tid),
                pos: gdbstub::target::ext::base::reverse_exec::ReplayLogPosition::Begin,
            },
            Stop::Ended { .. } => MultiThreadStopReason::ReplayLog {
                tid: Some(tid),
                pos: gdbstub::target::ext::base::reverse_exec::ReplayLogPosition::End,
            },
        }
    }
}

fn access_error(error: AccessError) -> TargetError<Fatal> {
    TargetError::Errno(match error {
        AccessError::NoThread => ESRCH,
        AccessError::Unmapped { .. } => EFAULT,
        AccessError::SegmentRegister => EPERM,
    })
}

fn point_error(error: PointError) -> TargetError<Fatal> {
    match error {
        PointError::Unmapped { .. } => TargetError::Errno(EFAULT),
    }
}

impl Target for Stub<'_> {
    type Arch = I486;
    type Error = Fatal;

    fn base_ops(&mut self) -> BaseOps<'_, I486, Fatal> {
        BaseOps::MultiThread(self)
    }

    fn support_breakpoints(&mut self) -> Option<BreakpointsOps<'_, Self>> {
        Some(self)
    }

    fn support_monitor_cmd(&mut self) -> Option<MonitorCmdOps<'_, Self>> {
        Some(self)
    }
}

impl MultiThreadBase for Stub<'_> {
    fn read_registers(&mut self, registers: &mut I486Registers, tid: Tid) -> TargetResult<(), Self> {
        let thread = self.look_at(tid);
        registers.0 = self.debugger.registers(thread).map_err(access_error)?;
        Ok(())
    }

    fn write_registers(&mut self, registers: &I486Registers, tid: Tid) -> TargetResult<(), Self> {
        let thread = self.look_at(tid);
        self.debugger.set_registers(thread, registers.0).map_err(access_error)
    }

    fn support_single_register_access(&mut self) -> Option<SingleRegisterAccessOps<'_, Tid, Self>> {
        Some(self)
    }

    fn read_addrs(&mut self, start: u32, data: &mut [u8], tid: Tid) -> TargetResult<usize, Self> {
        let thread = self.look_at(tid);
        self.debugger.read_memory(thread, start, data).map_err(access_error)
    }

    fn write_addrs(&mut self, start: u32, data: &[u8], tid: Tid) -> TargetResult<(), Self> {
        let thread = self.look_at(tid);
        self.debugger.write_memory(thread, start, data).map_err(access_error)
    }

    fn list_active_threads(&mut self, thread_is_active: &mut dyn FnMut(Tid)) -> Result<(), Fatal> {
        // The running thread first: gdb takes the first as the current one.
        let current = self.debugger.current_thread();
        let threads = self.debugger.threads();
        if threads.iter().any(|thread| thread.id == current) {
            thread_is_active(tid_of(current));
        }
        for thread in threads.iter().filter(|thread| thread.id != current) {
            thread_is_active(tid_of(thread.id));
        }
        Ok(())
    }

    fn is_thread_alive(&mut self, tid: Tid) -> Result<bool, Fatal> {
        Ok(self.debugger.system().kernel().thread_summary(thread_of(tid)).is_some())
    }

    fn support_resume(&mut self) -> Option<MultiThreadResumeOps<'_, Self>> {
        Some(self)
    }

    fn support_thread_extra_info(&mut self) -> Option<ThreadExtraInfoOps<'_, Self>> {
        Some(self)
    }
}

impl SingleRegisterAccess<Tid> for Stub<'_> {
    fn read_register(&mut self, tid: Tid, number: I486RegisterNumber, buffer: &mut [u8]) -> TargetResult<usize, Self> {
        let thread = self.look_at(tid);
        let registers = I486Registers(self.debugger.registers(thread).map_err(access_error)?);
        match number.read(&registers) {
            Some(value) if buffer.len() >= 4 => {
                buffer[..4].copy_from_slice(&value.to_le_bytes());
                Ok(4)
            }
            _ => Ok(0),
        }
    }

    fn write_register(&mut self, tid: Tid, number: I486RegisterNumber, value: &[u8]) -> TargetResult<(), Self> {
        let thread = self.look_at(tid);
        let Some(bytes) = value.get(..4).filter(|_| number.word().is_some()) else {
            // The x87 registers: the model has none to change.
            return Ok(());
        };
        let mut registers = I486Registers(self.debugger.registers(thread).map_err(access_error)?);
        number.write(&mut registers, u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]));
        self.debugger.set_registers(thread, registers.0).map_err(access_error)
    }
}

impl MultiThreadResume for Stub<'_> {
    fn resume(&mut self) -> Result<(), Fatal> {
        // Done in the event loop's wait for a stop.
        if self.action.is_none() {
            self.action = Some(Action::Continue);
        }
        Ok(())
    }

    fn clear_resume_actions(&mut self) -> Result<(), Fatal> {
        self.action = None;
        self.stepping = None;
        self.locked = false;
        Ok(())
    }

    fn set_resume_action_continue(&mut self, _tid: Tid, _signal: Option<Signal>) -> Result<(), Fatal> {
        // L4 threads have no signals to deliver: a signal is ignored.
        if self.action.is_none() {
            self.action = Some(Action::Continue);
        }
        Ok(())
    }

    fn support_single_step(&mut self) -> Option<MultiThreadSingleStepOps<'_, Self>> {
        Some(self)
    }

    fn support_reverse_step(&mut self) -> Option<ReverseStepOps<'_, Tid, Self>> {
        Some(self)
    }

    fn support_reverse_cont(&mut self) -> Option<ReverseContOps<'_, Tid, Self>> {
        Some(self)
    }

    fn support_scheduler_locking(&mut self) -> Option<MultiThreadSchedulerLockingOps<'_, Self>> {
        Some(self)
    }
}

impl MultiThreadSchedulerLocking for Stub<'_> {
    fn set_resume_action_scheduler_lock(&mut self) -> Result<(), Fatal> {
        // gdb steps one thread over a breakpoint and wants the others to
        // stay. The kernel, not gdb, decides who runs; but a step is one
        // instruction of the running thread — the one at the breakpoint —
        // and its stop is reported as that thread's (see `stop_reason`).
        self.locked = true;
        Ok(())
    }
}

impl MultiThreadSingleStep for Stub<'_> {
    fn set_resume_action_step(&mut self, tid: Tid, _signal: Option<Signal>) -> Result<(), Fatal> {
        // One CPU: a step is the next instruction of whichever thread runs.
        self.action = Some(Action::Step);
        self.stepping = Some(thread_of(tid));
        Ok(())
    }
}

impl ReverseStep<Tid> for Stub<'_> {
    fn reverse_step(&mut self, _tid: Tid) -> Result<(), Fatal> {
        self.action = Some(Action::ReverseStep);
        Ok(())
    }
}

impl ReverseCont<Tid> for Stub<'_> {
    fn reverse_cont(&mut self) -> Result<(), Fatal> {
        self.action = Some(Action::ReverseContinue);
        Ok(())
    }
}

impl Breakpoints for Stub<'_> {
    fn support_sw_breakpoint(&mut self) -> Option<SwBreakpointOps<'_, Self>> {
        Some(self)
    }

    fn support_hw_breakpoint(&mut self) -> Option<HwBreakpointOps<'_, Self>> {
        Some(self)
    }

    fn support_hw_watchpoint(&mut self) -> Option<HwWatchpointOps<'_, Self>> {
        Some(self)
    }
}

impl SwBreakpoint for Stub<'_> {
    fn add_sw_breakpoint(&mut self, address: u32, _kind: usize) -> TargetResult<bool, Self> {
        self.debugger.add_breakpoint(self.selected, address).map_err(point_error)?;
        Ok(true)
    }

    fn remove_sw_breakpoint(&mut self, address: u32, _kind: usize) -> TargetResult<bool, Self> {
        Ok(self.debugger.remove_breakpoint(address))
    }
}

impl HwBreakpoint for Stub<'_> {
    fn add_hw_breakpoint(&mut self, address: u32, kind: usize) -> TargetResult<bool, Self> {
        self.add_sw_breakpoint(address, kind)
    }

    fn remove_hw_breakpoint(&mut self, address: u32, kind: usize) -> TargetResult<bool, Self> {
        self.remove_sw_breakpoint(address, kind)
    }
}

fn watch_kind(kind: WatchKind) -> machine_model::WatchKind {
    match kind {
        WatchKind::Read => machine_model::WatchKind::Read,
        WatchKind::Write => machine_model::WatchKind::Write,
        WatchKind::ReadWrite => machine_model::WatchKind::Access,
    }
}

impl HwWatchpoint for Stub<'_> {
    fn add_hw_watchpoint(&mut self, address: u32, length: u32, kind: WatchKind) -> TargetResult<bool, Self> {
        self.debugger.add_watch(self.selected, address, length, watch_kind(kind)).map_err(point_error)?;
        Ok(true)
    }

    fn remove_hw_watchpoint(&mut self, address: u32, length: u32, kind: WatchKind) -> TargetResult<bool, Self> {
        Ok(self.debugger.remove_watch(address, length, watch_kind(kind)))
    }
}

impl ThreadExtraInfo for Stub<'_> {
    fn thread_extra_info(&self, tid: Tid, buffer: &mut [u8]) -> Result<usize, Fatal> {
        let thread = thread_of(tid);
        let text = match self.debugger.threads().into_iter().find(|info| info.id == thread) {
            Some(info) => format!("{} {:#010x} {}", info.name, info.id.raw(), info.state),
            None => format!("{:#010x} gone", thread.raw()),
        };
        let length = text.len().min(buffer.len());
        buffer[..length].copy_from_slice(&text.as_bytes()[..length]);
        Ok(length)
    }
}

impl MonitorCmd for Stub<'_> {
    fn handle_monitor_cmd(&mut self, command: &[u8], mut out: ConsoleOutput<'_>) -> Result<(), Fatal> {
        let command = String::from_utf8_lossy(command);
        let text = super::monitor::run(self.debugger, &command);
        for line in text.lines() {
            gdbstub::outputln!(out, "{line}");
        }
        Ok(())
    }
}
