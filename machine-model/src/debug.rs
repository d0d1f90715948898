//! Debugger hooks: what a debugger attached to the machine asks of it.
//!
//! A debugger needs three things from the CPU: stop before the instruction
//! at an address (a breakpoint), stop before the next instruction whatever
//! it is, or before the one begun at a given count of `Machine::attempts`
//! (a pause, for stepping and for arriving at an exact moment when
//! replaying), and report the instruction that read or wrote a watched
//! piece of memory (a watchpoint). The i486 has the debug registers
//! DR0–DR7 for the first and the last; these hooks play their part from
//! outside the architecture, for three reasons: the program cannot see or
//! change them, there is no limit of four, and they cost no modelled cycle —
//! a run with hooks set counts exactly the cycles, TLB fills and cache lines
//! of a run without them, so a debugged run can be compared with (and
//! replayed as) an undebugged one.
//!
//! Breakpoints compare EIP, the address within the code segment, because
//! that is the program's own address whatever segment base a small address
//! space adds. Watchpoints compare physical addresses after the MMU's
//! translation, on every data access a user instruction makes (not on
//! instruction fetches and not on the CPU's own accesses to descriptor
//! tables and the TSS): a watched word is a memory cell, whichever mapping
//! reaches it. The host reports the accesses its kernel makes (an IPC that
//! copies a message into watched memory) through
//! [`DebugHooks::kernel_access`] and takes the hit after the kernel entry.
//! Everything here is checked only while some hook is set; the
//! interpreter's hot path pays one flag test per instruction.

/// Which accesses a watchpoint reports.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum WatchKind {
    Read,
    Write,
    /// Reads and writes.
    Access,
}

impl WatchKind {
    fn reports(self, write: bool) -> bool {
        match self {
            WatchKind::Read => !write,
            WatchKind::Write => write,
            WatchKind::Access => true,
        }
    }
}

/// Watched bytes of physical memory.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Watchpoint {
    pub physical: u32,
    /// Bytes watched from `physical` on (at least 1).
    pub length: u32,
    pub kind: WatchKind,
}

impl Watchpoint {
    fn overlaps(&self, physical: u32, length: u32) -> bool {
        let start = self.physical as u64;
        let end = start + self.length.max(1) as u64;
        let access_start = physical as u64;
        access_start < end && start < access_start + length as u64
    }
}

/// An access that a watchpoint reported: the first one of the instruction.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct WatchHit {
    /// The watchpoint that reported it.
    pub watchpoint: Watchpoint,
    /// Where the access began: linear and physical address, and its size.
    pub linear: u32,
    pub physical: u32,
    pub size: u32,
    pub write: bool,
    /// EIP of the instruction that made the access (0 for the kernel's).
    pub eip: u32,
    /// The kernel made it, not a user instruction (`linear` is then the
    /// physical address).
    pub by_kernel: bool,
}

/// What stopped a run before an instruction.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Stop {
    /// EIP is one of the breakpoints.
    Breakpoint,
    /// The host asked to stop before the next instruction.
    Pause,
}

/// The hooks a debugger has set.
#[derive(Clone, Debug, Default)]
pub struct DebugHooks {
    /// EIPs to stop before.
    breakpoints: Vec<u32>,
    watchpoints: Vec<Watchpoint>,
    /// Stop before the next instruction (once).
    pause: bool,
    /// Stop before the instruction begun when `Machine::attempts` has this
    /// value (once).
    pause_at: Option<u64>,
    /// Run the instruction at this EIP once without stopping at its
    /// breakpoint (resuming from a breakpoint). Forgotten at the next
    /// instruction or kernel entry, whichever comes first.
    pass: Option<u32>,
    /// The current instruction's first watched access, until it completes.
    pending: Option<WatchHit>,
    /// Breakpoints or a pause are set: check before each instruction.
    before_instructions: bool,
}

impl DebugHooks {
    /// Stop before any instruction whose EIP is in `addresses`.
    pub fn set_breakpoints(&mut self, addresses: &[u32]) {
        self.breakpoints = addresses.to_vec();
        self.breakpoints.sort_unstable();
        self.breakpoints.dedup();
        self.update();
    }

    pub fn breakpoints(&self) -> &[u32] {
        &self.breakpoints
    }

    /// Report accesses to these pieces of physical memory.
    pub fn set_watchpoints(&mut self, watchpoints: &[Watchpoint]) {
        self.watchpoints = watchpoints.to_vec();
        self.pending = None;
    }

    pub fn watchpoints(&self) -> &[Watchpoint] {
        &self.watchpoints
    }

    /// Stop before the next instruction, whatever it is.
    pub fn request_pause(&mut self) {
        self.pause = true;
        self.update();
    }

    /// Stop before the instruction begun when `attempts` instructions have
    /// been begun (`Machine::attempts`): a moment a debugger names exactly.
    pub fn request_pause_at(&mut self, attempts: u64) {
        self.pause_at = Some(attempts);
        self.update();
    }

    /// Let the instruction at `eip` run once though a breakpoint is there
    /// (the way on after stopping at it).
    pub fn pass_breakpoint_at(&mut self, eip: u32) {
        self.pass = Some(eip);
    }

    /// Forget a pause or pass still outstanding (after going back in time).
    pub fn forget_requests(&mut self) {
        self.pause = false;
        self.pause_at = None;
        self.pass = None;
        self.pending = None;
        self.update();
    }

    /// No hook at all.
    pub fn is_empty(&self) -> bool {
        self.breakpoints.is_empty() && self.watchpoints.is_empty() && !self.pause && self.pause_at.is_none()
    }

    fn update(&mut self) {
        self.before_instructions = self.pause || self.pause_at.is_some() || !self.breakpoints.is_empty();
    }

    /// Whether anything must be checked before each instruction.
    #[inline]
    pub(crate) fn checks_instructions(&self) -> bool {
        self.before_instructions
    }

    /// Whether data accesses must be checked.
    #[inline]
    pub fn watching(&self) -> bool {
        !self.watchpoints.is_empty()
    }

    /// About to begin the instruction at `eip`, `attempts` having been
    /// begun before: stop here?
    pub(crate) fn before_instruction(&mut self, eip: u32, attempts: u64) -> Option<Stop> {
        if self.pause || self.pause_at == Some(attempts) {
            self.pause = false;
            self.pause_at = None;
            self.update();
            return Some(Stop::Pause);
        }
        if self.pass.take() == Some(eip) {
            return None;
        }
        self.breakpoints.binary_search(&eip).is_ok().then_some(Stop::Breakpoint)
    }

    /// The CPU enters the kernel: a pass no longer applies.
    #[inline]
    pub(crate) fn entering_kernel(&mut self) {
        self.pass = None;
        self.pending = None;
    }

    /// A user data access of `size` bytes at `linear`, translated to
    /// `first` (and to `second` from the next page on, when it crosses one).
    pub(crate) fn access(&mut self, linear: u32, size: u32, first: u32, second: Option<u32>, write: bool, eip: u32) {
        if self.pending.is_some() {
            return;
        }
        let in_first = match second {
            Some(_) => (4096 - (linear & 0xFFF)).min(size),
            None => size,
        };
        let mut pieces = [(first, in_first), (0, 0)];
        if let Some(second) = second {
            pieces[1] = (second, size - in_first);
        }
        for watchpoint in &self.watchpoints {
            if !watchpoint.kind.reports(write) {
                continue;
            }
            if pieces.iter().any(|(physical, length)| *length > 0 && watchpoint.overlaps(*physical, *length)) {
                self.pending = Some(WatchHit {
                    watchpoint: *watchpoint,
                    linear,
                    physical: first,
                    size,
                    write,
                    eip,
                    by_kernel: false,
                });
                return;
            }
        }
    }

    /// The kernel (the host) accessed `length` bytes of physical memory
    /// from `physical` during a kernel entry.
    pub fn kernel_access(&mut self, physical: u32, length: u32, write: bool) {
        if self.pending.is_some() || length == 0 {
            return;
        }
        let watched = self
            .watchpoints
            .iter()
            .find(|watchpoint| watchpoint.kind.reports(write) && watchpoint.overlaps(physical, length));
        if let Some(watchpoint) = watched {
            let hit = WatchHit {
                watchpoint: *watchpoint,
                linear: physical,
                physical,
                size: length,
                write,
                eip: 0,
                by_kernel: true,
            };
            self.pending = Some(hit);
        }
    }

    /// The instruction (or, for the host, the kernel entry) completed: its
    /// watched access, if it made one.
    #[inline]
    pub fn take_hit(&mut self) -> Option<WatchHit> {
        self.pending.take()
    }

    /// The instruction did not complete (a fault): it made no access.
    #[inline]
    pub(crate) fn discard_hit(&mut self) {
        self.pending = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakpoints_stop_before_their_instruction_unless_passed() {
        let mut hooks = DebugHooks::default();
        assert!(!hooks.checks_instructions());
        hooks.set_breakpoints(&[0x2000, 0x1000, 0x2000]);
        assert_eq!(hooks.breakpoints(), &[0x1000, 0x2000]);
        assert!(hooks.checks_instructions());
        assert_eq!(hooks.before_instruction(0x1000, 0), Some(Stop::Breakpoint));
        assert_eq!(hooks.before_instruction(0x1004, 0), None);
        hooks.pass_breakpoint_at(0x1000);
        assert_eq!(hooks.before_instruction(0x1000, 0), None, "passed once");
        assert_eq!(hooks.before_instruction(0x1000, 1), Some(Stop::Breakpoint), "and only once");
        hooks.pass_breakpoint_at(0x1000);
        hooks.entering_kernel();
        assert_eq!(hooks.before_instruction(0x1000, 1), Some(Stop::Breakpoint), "a kernel entry ends the pass");
    }

    #[test]
    fn a_pause_stops_before_the_next_instruction_once() {
        let mut hooks = DebugHooks::default();
        hooks.request_pause();
        hooks.pass_breakpoint_at(0x1000);
        assert_eq!(hooks.before_instruction(0x1000, 7), Some(Stop::Pause));
        assert!(!hooks.checks_instructions());
        assert_eq!(hooks.before_instruction(0x1000, 8), None);
        hooks.request_pause_at(10);
        assert_eq!(hooks.before_instruction(0x1000, 9), None);
        assert_eq!(hooks.before_instruction(0x1000, 10), Some(Stop::Pause));
        assert!(!hooks.checks_instructions());
    }

    #[test]
    fn watchpoints_report_the_first_matching_access_of_an_instruction() {
        let mut hooks = DebugHooks::default();
        let word = Watchpoint { physical: 0x5000, length: 4, kind: WatchKind::Write };
        hooks.set_watchpoints(&[word]);
        assert!(hooks.watching());
        hooks.access(0x40_5000, 4, 0x5000, None, false, 0x100);
        assert_eq!(hooks.take_hit(), None, "a read does not trigger a write watchpoint");
        hooks.access(0x40_4FFE, 4, 0x4FFE, Some(0x5000), true, 0x104);
        let hit = hooks.take_hit().expect("a write across the page boundary touches the word");
        assert_eq!((hit.linear, hit.eip, hit.write), (0x40_4FFE, 0x104, true));
        hooks.access(0x40_5004, 4, 0x5004, None, true, 0x108);
        assert_eq!(hooks.take_hit(), None, "the next word is not watched");
        hooks.access(0x40_5003, 1, 0x5003, None, true, 0x10C);
        hooks.discard_hit();
        assert_eq!(hooks.take_hit(), None, "a faulting instruction reports nothing");
        hooks.kernel_access(0x4000, 0x1001, true);
        let hit = hooks.take_hit().expect("the kernel's copy over the word");
        assert!(hit.by_kernel && hit.write);
        hooks.kernel_access(0x5000, 4, false);
        assert_eq!(hooks.take_hit(), None, "the kernel's read of a write-watched word");
    }
}
