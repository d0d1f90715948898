//! # sim — the composition root
//!
//! Puts the kernel on the machine model: implements the kernel's `Hardware`
//! trait over a `machine_model::Machine`, loads boot modules, runs user code
//! until it traps, calls the kernel's entry, resumes whichever thread the
//! kernel chose, and keeps the event log the explorer draws from.
//!
//! Used by the command-line runner, the tests and the wasm bridge. It is the
//! only place where kernel and model meet: the kernel never names a model type
//! and the model never names a kernel type.
//!
//! Deterministic: the same modules, configuration and input give the same
//! states at the same cycle counts, so the explorer's reverse step is a
//! snapshot (a clone: memory pages are shared copy-on-write) plus replay.
//!
//! Must never depend on: `wasm-bridge`, `web-ui`, any browser crate.

pub mod calibration;
pub mod debugger;
pub mod entry_costs;
#[cfg(not(target_arch = "wasm32"))]
pub mod gdb;
pub mod hardware;
pub mod inspect;
pub mod lesson;
pub mod loading;
pub mod log;
pub mod names;
pub mod scenarios;
pub mod soak;

/// The kernel's hardware over the system's fields (a macro, so that the
/// borrows stay field by field and `self.kernel` stays usable).
macro_rules! hardware {
    ($system:ident, $failure:ident) => {
        hardware::ModelHardware {
            machine: &mut $system.machine,
            console: &mut $system.console,
            input: &mut $system.input,
            log: &mut $system.log,
            costs: &$system.costs,
            kernel_instructions: &mut $system.kernel_instructions,
            failure: &mut $failure,
            work: kernel::cost::Work::NONE,
            last_charge: &mut $system.last_charge,
        }
    };
}

pub use calibration::KernelCosts;
pub use ia32;
/// The kernel and the model, for the explorer's bridge (which may depend on `sim` only).
pub use kernel as kernel_crate;
pub use kernel::event::LINE_PREFIX as EVENT_LINE_PREFIX;
pub use kernel::{Config as KernelConfig, Kernel, KernelEvent, Statistics, StopReason};
pub use loading::{BootError, Module};
pub use log::{EventLog, KernelCounts, LoggedEvent, Source};
pub use machine_model as model;
pub use machine_model::{CpuModel, EventFilter, Machine, MachineEvent};
pub use names::ThreadNames;

use kernel::{Cause, Frame, Outcome, Trap, layout};
use machine_model::{EntryCause, Exit, KernelEntry, MachineConfig, MachineError, RunLimit, UserFrame};
use std::collections::VecDeque;

/// How to build the system.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SystemConfig {
    pub cpu: CpuModel,
    /// Installed memory in KB, a multiple of 4 (QEMU's `-m 16` reports
    /// 16256 KB to a multiboot kernel: 128 KB less than asked).
    pub memory_kb: u32,
    /// Honour small-space ids (segment-based address-space switching).
    pub small_spaces: bool,
    /// Stop the system at `enter_kdebug` (else log and continue).
    pub stop_in_debugger: bool,
    /// Nobody continues by hand at `enter_kdebug`: the kernel says so on the
    /// console and goes on (`run`; the explorer turns it off and stops its
    /// run at the kernel-debugger event instead).
    pub headless: bool,
    /// Which machine events go into the log (kernel events always do).
    pub machine_events: EventFilter,
    /// Let the kernel use 4 MB pages where the CPU has them (the Pentium);
    /// on by default, as natively.
    pub large_pages: bool,
}

impl SystemConfig {
    pub const fn new(cpu: CpuModel) -> Self {
        Self {
            cpu,
            memory_kb: 16 * 1024,
            small_spaces: false,
            stop_in_debugger: false,
            headless: true,
            machine_events: EventFilter::NONE,
            large_pages: true,
        }
    }
}

/// What the system is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Nothing booted yet.
    Off,
    /// A user thread runs.
    Running,
    /// No thread is ready; the CPU waits for an interrupt.
    Idle,
    /// A program wrote its verdict to the `isa-debug-exit` port.
    Exited { value: u32 },
    /// The kernel stopped the system.
    Stopped(StopReason),
    /// The model cannot go on (a broken frame, a supervisor fault).
    Failed(String),
}

/// Why [`System::run`] returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunResult {
    /// The instruction or cycle budget ran out; the system can go on.
    Limit,
    /// The run was asked to stop at a kernel event and one happened.
    Event,
    /// `isa-debug-exit`: QEMU would exit with `(value << 1) | 1`.
    Exited {
        value: u32,
    },
    Stopped(StopReason),
    Failed(String),
    /// Every thread waits for something that can never happen (no timeout,
    /// no interrupt, no input).
    Dead,
    /// A thread waits in `inchar` and no input is queued.
    WaitingForInput,
    /// The machine's debugger hooks stopped the run (`machine_model::debug`;
    /// only when something set them — see [`debugger`]).
    Debugger(DebuggerStop),
}

/// What the machine's debugger hooks stopped a run for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DebuggerStop {
    /// Before the instruction at EIP, which is a breakpoint's.
    Breakpoint,
    /// Before the next instruction, as asked.
    Pause,
    /// The instruction that just completed touched watched memory.
    Watchpoint(machine_model::WatchHit),
}

/// How far [`System::run`] may go.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Budget {
    /// User instructions to execute at most.
    pub instructions: u64,
    /// Stop when the cycle counter reaches this.
    pub until_cycle: u64,
    /// Return after the first kernel entry that logged a kernel event.
    pub stop_at_kernel_event: bool,
    /// Return after a kernel entry that entered the kernel debugger
    /// (`enter_kdebug`, a breakpoint in the program).
    pub stop_in_kernel_debugger: bool,
}

impl Budget {
    pub const fn instructions(count: u64) -> Self {
        Self { instructions: count, until_cycle: u64::MAX, stop_at_kernel_event: false, stop_in_kernel_debugger: false }
    }
    pub const fn cycles(until: u64) -> Self {
        Self { instructions: u64::MAX, until_cycle: until, stop_at_kernel_event: false, stop_in_kernel_debugger: false }
    }

    /// Whether the kernel events logged in one entry end the run.
    fn stops_at<'a>(&self, mut events: impl Iterator<Item = &'a Source>) -> bool {
        (self.stop_at_kernel_event || self.stop_in_kernel_debugger)
            && events.any(|source| match source {
                Source::Kernel(event) => {
                    self.stop_at_kernel_event || matches!(event, KernelEvent::KernelDebugger { .. })
                }
                _ => false,
            })
    }
}

/// A frozen system, for going back in time: the machine (memory shared
/// copy-on-write), the kernel, and what the system had printed and logged.
#[derive(Clone, Debug)]
pub struct SystemSnapshot {
    machine: machine_model::MachineSnapshot,
    kernel: Box<Kernel>,
    console: Vec<u8>,
    input: VecDeque<u8>,
    log: EventLog,
    status: Status,
    kernel_entries: u64,
    kernel_instructions: u64,
    system_calls: Box<[u64; 256]>,
}

impl SystemSnapshot {
    /// User instructions retired when it was taken.
    pub fn instructions(&self) -> u64 {
        self.machine.instructions()
    }
    /// User instructions begun when it was taken (`Machine::attempts`).
    pub fn attempts(&self) -> u64 {
        self.machine.attempts()
    }
    /// The log's next sequence number when it was taken.
    pub fn next_sequence(&self) -> u64 {
        self.log.next_sequence()
    }
}

/// The simulated system: kernel + machine + what has happened so far.
#[derive(Clone, Debug)]
pub struct System {
    config: SystemConfig,
    machine: Machine,
    kernel: Box<Kernel>,
    console: Vec<u8>,
    input: VecDeque<u8>,
    log: EventLog,
    costs: KernelCosts,
    status: Status,
    modules: Vec<Module>,
    /// Kernel entries handled since boot (for the runner's report).
    kernel_entries: u64,
    /// Kernel instructions charged since boot: each kernel path's count from
    /// the calibration table (measured on the native image).
    kernel_instructions: u64,
    /// System calls (`int 0x30`..`0x36`, `int3`) made by each task.
    system_calls: Box<[u64; 256]>,
    /// What the last kernel entry was charged for its instructions.
    last_charge: Option<hardware::KernelCharge>,
    /// What the views call each thread.
    names: ThreadNames,
}

impl System {
    pub fn new(config: SystemConfig) -> Self {
        let mut machine_config = MachineConfig::new(config.cpu);
        machine_config.memory_bytes = (config.memory_kb.clamp(8 * 1024, 240 * 1024) & !3) * 1024;
        let mut machine = Machine::new(machine_config);
        machine.events.set_filter(config.machine_events);
        Self {
            config,
            machine,
            kernel: Box::new(Kernel::new()),
            console: Vec::new(),
            input: VecDeque::new(),
            log: EventLog::default(),
            costs: KernelCosts::built_in(config.cpu),
            status: Status::Off,
            modules: Vec::new(),
            kernel_entries: 0,
            kernel_instructions: 0,
            system_calls: Box::new([0; 256]),
            last_charge: None,
            names: ThreadNames::default(),
        }
    }

    /// Load the modules (sigma0 first, then the root task, then more) and
    /// boot the kernel. On success the first thread is ready to run.
    pub fn boot(&mut self, modules: &[Module]) -> Result<(), BootError> {
        let info = loading::load_modules(&mut self.machine, modules)?;
        loading::write_descriptor_tables(&mut self.machine);
        self.modules = modules.to_vec();
        let module_names: Vec<&str> = modules.iter().map(|module| module.name.as_str()).collect();
        self.names = ThreadNames::defaults(&module_names);
        self.kernel.config = KernelConfig {
            small_spaces: self.config.small_spaces,
            stop_in_debugger: self.config.stop_in_debugger,
            large_pages: self.config.large_pages,
            headless: self.config.headless,
        };
        let mut frame = Frame::default();
        let mut failure = None;
        let outcome = {
            let mut hardware = hardware!(self, failure);
            self.kernel.boot(&mut hardware, &info, &mut frame)
        };
        self.after_kernel(outcome, frame, failure);
        Ok(())
    }

    /// Queue bytes for the kernel debugger's `inchar`.
    pub fn feed_input(&mut self, bytes: &[u8]) {
        self.input.extend(bytes.iter().copied());
    }

    /// Run until the budget is spent or something ends the run.
    pub fn run(&mut self, budget: Budget) -> RunResult {
        let end = self.machine.instructions.saturating_add(budget.instructions);
        loop {
            if self.machine.cycles >= budget.until_cycle || self.machine.instructions >= end {
                return RunResult::Limit;
            }
            match self.status.clone() {
                Status::Off => return RunResult::Failed("the system has not been booted".into()),
                Status::Exited { value } => return RunResult::Exited { value },
                Status::Stopped(reason) => return RunResult::Stopped(reason),
                Status::Failed(message) => return RunResult::Failed(message),
                Status::Running => {
                    let limit =
                        RunLimit { instructions: end - self.machine.instructions, until_cycle: budget.until_cycle };
                    match self.machine.run(limit) {
                        Ok(Exit::KernelEntry(entry)) => {
                            let logged = self.log.next_sequence();
                            self.enter_kernel(entry);
                            if let Some(hit) = self.machine.debug.take_hit() {
                                // The kernel touched watched memory (a message copied in).
                                return RunResult::Debugger(DebuggerStop::Watchpoint(hit));
                            }
                            if budget.stops_at(self.log.since(logged).map(|entry| &entry.source)) {
                                return RunResult::Event;
                            }
                        }
                        Ok(Exit::Limit) => {
                            self.drain_machine_events();
                            return RunResult::Limit;
                        }
                        Ok(Exit::DebugExit { value }) => {
                            self.drain_machine_events();
                            self.status = Status::Exited { value };
                        }
                        Ok(Exit::Stopped(stop)) => {
                            self.drain_machine_events();
                            return RunResult::Debugger(match stop {
                                machine_model::debug::Stop::Breakpoint => DebuggerStop::Breakpoint,
                                machine_model::debug::Stop::Pause => DebuggerStop::Pause,
                            });
                        }
                        Ok(Exit::Watchpoint(hit)) => {
                            self.drain_machine_events();
                            return RunResult::Debugger(DebuggerStop::Watchpoint(hit));
                        }
                        Err(error) => self.fail(error),
                    }
                }
                Status::Idle => {
                    if !self.kernel.can_wake() {
                        if self.kernel.waiting_for_input() && self.input.is_empty() {
                            return RunResult::WaitingForInput;
                        }
                        if !self.kernel.waiting_for_input() {
                            return RunResult::Dead;
                        }
                    }
                    match self.machine.halt(budget.until_cycle) {
                        Some(irq) => {
                            let logged = self.log.next_sequence();
                            self.interrupt_while_idle(irq);
                            if let Some(hit) = self.machine.debug.take_hit() {
                                return RunResult::Debugger(DebuggerStop::Watchpoint(hit));
                            }
                            if budget.stops_at(self.log.since(logged).map(|entry| &entry.source)) {
                                return RunResult::Event;
                            }
                        }
                        None if self.machine.next_interrupt_cycle().is_none() => return RunResult::Dead,
                        None => return RunResult::Limit,
                    }
                }
            }
        }
    }

    /// User code entered the kernel: run the kernel's entry and resume.
    fn enter_kernel(&mut self, entry: KernelEntry) {
        self.kernel_entries += 1;
        // The entry's events begin with the CPU's kernel-entry event (the
        // last the machine reported): the same sequence number however the
        // run was sliced.
        self.drain_machine_events();
        let entered = self.log.iter().next_back().is_some_and(|event| event.kind() == "kernel-entry");
        let first = self.log.next_sequence() - entered as u64;
        self.log.entry_opened(entry.vector, self.machine.last_entry_cycle, first);
        let cause = match entry.cause {
            EntryCause::SoftwareInterrupt => {
                let task = self.kernel.current_thread().task();
                self.system_calls[task as usize] += 1;
                Cause::Software
            }
            EntryCause::Exception => Cause::Exception,
            EntryCause::Interrupt { irq } => Cause::Interrupt { irq },
        };
        let trap = Trap {
            vector: entry.vector,
            error_code: entry.error_code.unwrap_or(0),
            fault_address: entry.fault_address,
            cause,
        };
        let frame = Frame { registers: entry.frame.registers, eip: entry.frame.eip, eflags: entry.frame.eflags };
        self.kernel_entry(trap, frame);
    }

    /// A device interrupt woke the idle CPU.
    fn interrupt_while_idle(&mut self, irq: u8) {
        self.kernel_entries += 1;
        self.drain_machine_events();
        let first = self.log.next_sequence();
        self.log.entry_opened(0x20 + irq, self.machine.cycles, first);
        self.machine.interrupt_in_kernel();
        let trap = Trap { vector: 0x20 + irq, error_code: 0, fault_address: 0, cause: Cause::Interrupt { irq } };
        self.kernel_entry(trap, Frame::default());
    }

    fn kernel_entry(&mut self, trap: Trap, mut frame: Frame) {
        let mut failure = None;
        self.last_charge = None;
        let outcome = {
            let mut hardware = hardware!(self, failure);
            self.kernel.entry(&mut hardware, trap, &mut frame)
        };
        if let Some(charge) = self.last_charge {
            self.log.entry_charged(charge.path);
        }
        self.after_kernel(outcome, frame, failure);
    }

    /// Do what the kernel decided.
    fn after_kernel(&mut self, outcome: Outcome, frame: Frame, failure: Option<MachineError>) {
        self.drain_machine_events();
        if let Some(error) = failure {
            return self.fail(error);
        }
        match outcome {
            Outcome::Resume { reload_segments } => {
                let user = user_frame(&frame);
                // As the native exit path: a data segment register that no
                // longer holds the user selector (a thread loaded another,
                // or a null one) is loaded again, so no thread passes its
                // segment registers on to the next.
                use machine_model::cpu::segment;
                let changed = [segment::DS, segment::ES, segment::FS, segment::GS].into_iter().any(|seg| {
                    let register = &self.machine.cpu.segments[seg];
                    !register.usable || register.selector.0 != user.segments[seg]
                });
                match self.machine.return_to_user(&user, reload_segments || changed) {
                    Ok(()) => self.status = Status::Running,
                    Err(error) => self.fail(error),
                }
                self.drain_machine_events();
                self.log.entry_closed(self.machine.ledger(), self.machine.cycles);
            }
            Outcome::Idle => self.status = Status::Idle,
            Outcome::Stop(reason) => self.status = Status::Stopped(reason),
        }
    }

    fn fail(&mut self, error: MachineError) {
        self.drain_machine_events();
        self.status = Status::Failed(error.to_string());
    }

    fn drain_machine_events(&mut self) {
        drain_into(&mut self.machine, &mut self.log);
    }

    pub fn config(&self) -> SystemConfig {
        self.config
    }
    pub fn status(&self) -> &Status {
        &self.status
    }
    /// Everything the kernel debugger printed so far.
    pub fn console(&self) -> &[u8] {
        &self.console
    }
    /// The event log.
    pub fn log(&self) -> &EventLog {
        &self.log
    }
    pub fn log_mut(&mut self) -> &mut EventLog {
        &mut self.log
    }
    pub fn machine(&self) -> &Machine {
        &self.machine
    }
    pub fn kernel(&self) -> &Kernel {
        &self.kernel
    }
    /// Watch these pieces of physical memory: a run then stops with
    /// `RunResult::Debugger(DebuggerStop::Watchpoint(…))` after the
    /// instruction (or the kernel entry) that touched one. They stay set
    /// across snapshots restored (they are not machine state).
    pub fn set_watchpoints(&mut self, pieces: &[machine_model::Watchpoint]) {
        self.machine.debug.set_watchpoints(pieces);
    }

    /// What the views call each thread (defaults from the modules at boot).
    pub fn thread_names(&self) -> &ThreadNames {
        &self.names
    }

    /// Replace the names (a lesson's, or a program's `; threads:` lines).
    pub fn set_thread_names(&mut self, names: ThreadNames) {
        self.names = names;
    }

    pub fn modules(&self) -> &[Module] {
        &self.modules
    }
    /// System calls made by the threads of `task` since boot.
    pub fn system_calls(&self, task: u8) -> u64 {
        self.system_calls[task as usize]
    }

    /// What the last kernel entry was charged for its own instructions: its
    /// path, the work it did, and the instructions and cycles that gave.
    pub fn last_kernel_charge(&self) -> Option<hardware::KernelCharge> {
        self.last_charge
    }

    /// Kernel entries handled since boot.
    pub fn kernel_entries(&self) -> u64 {
        self.kernel_entries
    }

    /// Instructions the kernel ran since boot, as the model charges them: each
    /// path's count measured on the native image (`cargo xtask calibrate`).
    pub fn kernel_instructions(&self) -> u64 {
        self.kernel_instructions
    }
    /// Freeze the system (cheap: memory pages are shared until written).
    pub fn snapshot(&self) -> SystemSnapshot {
        SystemSnapshot {
            machine: self.machine.snapshot(),
            kernel: self.kernel.clone(),
            console: self.console.clone(),
            input: self.input.clone(),
            log: self.log.clone(),
            status: self.status.clone(),
            kernel_entries: self.kernel_entries,
            kernel_instructions: self.kernel_instructions,
            system_calls: self.system_calls.clone(),
        }
    }

    /// Return to a snapshot of this system. Replaying from there with the
    /// same input gives the same states again (the model is deterministic).
    pub fn restore(&mut self, snapshot: &SystemSnapshot) {
        self.machine.restore(&snapshot.machine);
        self.kernel = snapshot.kernel.clone();
        self.console = snapshot.console.clone();
        self.input = snapshot.input.clone();
        self.log = snapshot.log.clone();
        self.status = snapshot.status.clone();
        self.kernel_entries = snapshot.kernel_entries;
        self.kernel_instructions = snapshot.kernel_instructions;
        self.system_calls = snapshot.system_calls.clone();
    }

    /// Bytes queued for `inchar` that nobody has read yet.
    pub fn pending_input(&self) -> usize {
        self.input.len()
    }

    /// The kernel's self-check (mapping database against the page tables),
    /// without disturbing the machine.
    pub fn audit(&self) -> Result<kernel::audit::AuditSummary, kernel::audit::AuditError> {
        let mut hardware = hardware::InspectionHardware { machine: &self.machine };
        self.kernel.audit(&mut hardware)
    }

    /// Every valid TLB entry must agree with the page tables CR3 points at:
    /// present, the same frame, no more write right. A stale entry after an
    /// unmap (a missing `invlpg` or flush) fails here.
    pub fn check_tlbs(&self) -> Result<usize, String> {
        let machine = &self.machine;
        if machine.cpu.cr0 & ia32::registers::cr0::PG == 0 {
            return Ok(0);
        }
        let directory = machine.cpu.cr3 & !0xFFF;
        let mut checked = 0;
        for tlb in machine.mmu.tlbs() {
            let large_tlb = matches!(tlb.kind(), machine_model::tlb::TlbKind::Large);
            for entry in tlb.entries().iter().filter(|entry| entry.valid) {
                checked += 1;
                let linear = if large_tlb { entry.tag << 22 } else { entry.tag << 12 };
                let directory_entry = machine.memory.read_u32(directory + (linear >> 22) * 4);
                let describe = |what: &str| {
                    format!(
                        "{} entry {linear:#010x} -> frame {:#x} (writable {}): {what} (CR3 {directory:#x})",
                        tlb.kind().name(),
                        entry.frame,
                        entry.writable
                    )
                };
                if directory_entry & 1 == 0 {
                    return Err(describe("the directory entry is not present"));
                }
                let (frame, writable) = if directory_entry & 0x80 != 0 {
                    let base = directory_entry & 0xFFC0_0000;
                    let frame = if large_tlb { base >> 22 } else { (base + (linear & 0x003F_F000)) >> 12 };
                    (frame, directory_entry & 2 != 0)
                } else {
                    if large_tlb {
                        return Err(describe("a 4 MB entry, but the directory has a page table there"));
                    }
                    let table_entry =
                        machine.memory.read_u32((directory_entry & !0xFFF) + ((linear >> 12) & 0x3FF) * 4);
                    if table_entry & 1 == 0 {
                        return Err(describe("the page is no longer mapped"));
                    }
                    (table_entry >> 12, directory_entry & table_entry & 2 != 0)
                };
                if frame != entry.frame {
                    return Err(describe(&format!("the page tables now map frame {frame:#x}")));
                }
                if entry.writable && !writable {
                    return Err(describe("the page tables no longer allow writes"));
                }
            }
        }
        Ok(checked)
    }

    /// The kernel path costs the model charges.
    pub fn kernel_costs(&self) -> &KernelCosts {
        &self.costs
    }
    /// Charge kernel paths from another table (tests, what-if comparisons).
    pub fn set_kernel_costs(&mut self, costs: KernelCosts) {
        self.costs = costs;
    }
}

/// Move the machine's recorded events into the log, in order.
pub(crate) fn drain_into(machine: &mut Machine, log: &mut EventLog) {
    if machine.events.enabled() {
        let instruction = machine.instructions;
        for (cycle, event) in machine.events.drain_timed() {
            log.push(cycle, instruction, Source::Machine(event));
        }
    }
}

/// The registers the exit path loads: the kernel's frame plus the flat user
/// selectors every L4 thread runs with.
fn user_frame(frame: &Frame) -> UserFrame {
    let code = layout::selector::USER_CODE.0;
    let data = layout::selector::USER_DATA.0;
    UserFrame {
        registers: frame.registers,
        eip: frame.eip,
        eflags: frame.eflags,
        segments: [data, code, data, data, data, data],
    }
}
