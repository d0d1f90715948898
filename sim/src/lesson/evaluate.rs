//! Whether a check holds on the system as it is now. Each outcome says
//! what was found ("client_b has it writable"), so a check that fails tells
//! the student — and the teacher who wrote it — what the views show instead.

use super::resolve::{ResolvedCheck, ResolvedCheckKind, ThreadKey};
use crate::System;
use crate::names::ThreadNames;
use kernel::thread::State;
use lessons::grammar::{Counter, Register, Rights, Segment, StateName};

/// Counter values when a step's go began, for `… in this step` checks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    values: [u64; COUNTERS.len()],
}

const COUNTERS: [Counter; 16] = [
    Counter::KernelEntries,
    Counter::Messages,
    Counter::SpaceSwitches,
    Counter::Cr3Loads,
    Counter::SmallSpaceSwitches,
    Counter::ThreadSwitches,
    Counter::TlbMisses,
    Counter::TlbFlushes,
    Counter::PageFaults,
    Counter::Maps,
    Counter::Grants,
    Counter::Unmaps,
    Counter::Cycles,
    Counter::Instructions,
    Counter::KernelInstructions,
    Counter::CacheMisses,
];

impl Baseline {
    /// The counters now.
    pub fn now(system: &System) -> Self {
        let mut values = [0; COUNTERS.len()];
        for (value, counter) in values.iter_mut().zip(COUNTERS) {
            *value = counter_value(system, counter);
        }
        Self { values }
    }

    fn value(&self, counter: Counter) -> u64 {
        COUNTERS.iter().position(|known| *known == counter).map_or(0, |index| self.values[index])
    }
}

/// A counter's value since boot.
pub fn counter_value(system: &System, counter: Counter) -> u64 {
    let counts = system.log().counts();
    let machine = system.machine();
    match counter {
        Counter::KernelEntries => system.kernel_entries(),
        Counter::Messages => counts.messages,
        Counter::SpaceSwitches | Counter::Cr3Loads => counts.space_switches,
        Counter::SmallSpaceSwitches => counts.small_space_switches,
        Counter::ThreadSwitches => counts.thread_switches,
        Counter::TlbMisses => machine.mmu.tlbs().iter().map(|tlb| tlb.counters.misses).sum(),
        // Every TLB of the CPU is flushed together: count the code TLB's.
        Counter::TlbFlushes => machine.mmu.code.counters.flushes,
        Counter::PageFaults => counts.page_faults,
        Counter::Maps => counts.maps,
        Counter::Grants => counts.grants,
        Counter::Unmaps => counts.unmaps,
        Counter::Cycles => machine.cycles,
        Counter::Instructions => machine.instructions,
        Counter::KernelInstructions => system.kernel_instructions(),
        // The misses that cost cycles: reads (the model's caches do not allocate on a write miss).
        Counter::CacheMisses => machine.caches.all().iter().map(|cache| cache.counters.read_misses).sum(),
    }
}

/// A check's result, with what was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckOutcome {
    pub met: bool,
    /// What the views show, in words.
    pub found: String,
}

fn outcome(met: bool, found: impl Into<String>) -> CheckOutcome {
    CheckOutcome { met, found: found.into() }
}

/// The mapping of `frame` in the space of `thread`'s task: (writable, the
/// parent node's task).
fn mapping_of(system: &System, task: u8, frame: u32) -> Option<(bool, Option<u8>)> {
    let kernel = system.kernel();
    let directory = kernel.task_summaries().find(|summary| summary.number == task)?.directory;
    let nodes: Vec<_> = kernel.mapping_summaries().collect();
    nodes.iter().filter(|node| node.task == task).find_map(|node| {
        let translation = system.walk(directory, node.address)?;
        (translation.physical & !0xFFF == frame).then(|| {
            let parent = nodes.iter().find(|other| other.index == node.parent).map(|parent| parent.task);
            (node.writable, parent)
        })
    })
}

/// The TLB entries that translate a user address to `frame`: (the TLB's
/// name, writable), over every TLB of the CPU.
fn tlb_entries(system: &System, frame: u32) -> Vec<(&'static str, bool)> {
    let mut found = Vec::new();
    for tlb in system.machine().mmu.tlbs() {
        let shift = tlb.kind().page_shift();
        for entry in tlb.entries().iter().filter(|entry| entry.valid && entry.user) {
            if entry.frame == frame >> shift {
                found.push((tlb.kind().name(), entry.writable));
            }
        }
    }
    found
}

fn thread_state(system: &System, key: ThreadKey) -> Option<(StateName, &'static str)> {
    let summary = system.kernel().thread_summaries().find(|summary| key.is(summary.id.raw()))?;
    Some(match summary.state {
        _ if summary.running => (StateName::Running, "running"),
        State::Ready => (StateName::Ready, "ready"),
        State::Sending => (StateName::Sending, "sending"),
        State::Receiving => (StateName::Receiving, "receiving"),
        State::WaitingForInput => (StateName::Waiting, "waiting for input"),
        State::Stopped => (StateName::Waiting, "stopped"),
        State::Inactive | State::Free => (StateName::Inactive, "inactive"),
    })
}

fn register_value(system: &System, register: Register) -> u64 {
    let cpu = &system.machine().cpu;
    // The CPU's register file is in x86 encoding order: eax ecx edx ebx esp ebp esi edi.
    let general = |index: usize| cpu.registers[index] as u64;
    match register {
        Register::Eax => general(0),
        Register::Ecx => general(1),
        Register::Edx => general(2),
        Register::Ebx => general(3),
        Register::Esp => general(4),
        Register::Ebp => general(5),
        Register::Esi => general(6),
        Register::Edi => general(7),
        Register::Eip => cpu.eip as u64,
        Register::Eflags => cpu.eflags() as u64,
        Register::Cr3 => cpu.cr3 as u64,
        Register::SegmentBase(segment) => {
            let index = match segment {
                Segment::Es => 0,
                Segment::Cs => 1,
                Segment::Ss => 2,
                Segment::Ds => 3,
                Segment::Fs => 4,
                Segment::Gs => 5,
            };
            cpu.segments[index].cache.base as u64
        }
    }
}

fn holds(key: Option<ThreadKey>, raw: u32) -> bool {
    key.is_none_or(|key| key.is(raw))
}

/// Evaluate a check now; `baseline` holds the counters when the step began.
pub fn evaluate(check: &ResolvedCheck, system: &System, baseline: &Baseline, names: &ThreadNames) -> CheckOutcome {
    let name_of = |key: ThreadKey| match key {
        ThreadKey::Thread { task, lthread } => names.thread(((task as u32) << 16) | ((lthread as u32) << 10) | 1),
        ThreadKey::Interrupt(irq) => format!("irq {irq}"),
    };
    match &check.kind {
        ResolvedCheckKind::Has { thread, frame, rights, from } => {
            let Some(task) = thread.task() else { return outcome(false, "an interrupt has no address space") };
            match mapping_of(system, task, *frame) {
                None => outcome(false, format!("{} does not have frame {frame:#x}", names.task(task))),
                Some((writable, parent)) => {
                    let rights_ok = match rights {
                        None => true,
                        Some(Rights::Writable) => writable,
                        Some(Rights::ReadOnly) => !writable,
                    };
                    let parent_ok = from.is_none_or(|from| from.task() == parent);
                    let mut found = format!(
                        "{} has frame {frame:#x} {}",
                        names.task(task),
                        if writable { "writable" } else { "read-only" }
                    );
                    if let Some(parent) = parent {
                        found.push_str(&format!(", mapped from {}", names.task(parent)));
                    }
                    outcome(rights_ok && parent_ok, found)
                }
            }
        }
        ResolvedCheckKind::HasNot { thread, frame } => {
            let Some(task) = thread.task() else { return outcome(true, "an interrupt has no address space") };
            match mapping_of(system, task, *frame) {
                None => outcome(true, format!("{} does not have frame {frame:#x}", names.task(task))),
                Some((writable, _)) => outcome(
                    false,
                    format!(
                        "{} has frame {frame:#x} {}",
                        names.task(task),
                        if writable { "writable" } else { "read-only" }
                    ),
                ),
            }
        }
        ResolvedCheckKind::State { thread, state } => match thread_state(system, *thread) {
            Some((found, words)) => outcome(found == *state, format!("{} is {words}", name_of(*thread))),
            None => outcome(*state == StateName::Inactive, format!("{} does not exist", name_of(*thread))),
        },
        ResolvedCheckKind::Count { counter, since_step, comparison, value } => {
            let mut actual = counter_value(system, *counter);
            if *since_step {
                actual = actual.saturating_sub(baseline.value(*counter));
            }
            let when = if *since_step { " in this step" } else { "" };
            outcome(comparison.holds(actual, *value), format!("{}{when}: {actual}", counter.name()))
        }
        ResolvedCheckKind::Register { register, comparison, value } => {
            let actual = register_value(system, *register);
            outcome(comparison.holds(actual, *value), format!("{} is {actual:#x}", register.name()))
        }
        ResolvedCheckKind::SpaceLoaded { thread } => {
            let Some(task) = thread.task() else { return outcome(false, "an interrupt has no address space") };
            let cr3 = system.machine().cpu.cr3 & !0xFFF;
            let directory = system
                .kernel()
                .task_summaries()
                .find(|summary| summary.number == task)
                .map(|summary| summary.directory);
            let loaded = system
                .kernel()
                .task_summaries()
                .find(|summary| summary.directory != 0 && summary.directory & !0xFFF == cr3)
                .map_or_else(
                    || format!("{cr3:#x}"),
                    |summary| format!("{}'s page directory", names.task(summary.number)),
                );
            outcome(directory.is_some_and(|directory| directory & !0xFFF == cr3), format!("cr3 holds {loaded}"))
        }
        ResolvedCheckKind::LastMessage { from, to } => match system.log().counts().last_message {
            Some((sender, receiver)) => outcome(
                holds(*from, sender) && holds(*to, receiver),
                format!("the last message went from {} to {}", names.thread(sender), names.thread(receiver)),
            ),
            None => outcome(false, "no message has been delivered yet"),
        },
        ResolvedCheckKind::Tlb { frame, holds, rights } => {
            let entries = tlb_entries(system, *frame);
            let matching = entries.iter().any(|(_, writable)| match rights {
                None => true,
                Some(Rights::Writable) => *writable,
                Some(Rights::ReadOnly) => !*writable,
            });
            let found = match entries.first() {
                None => format!("no TLB holds frame {frame:#x}"),
                Some((tlb, writable)) => {
                    format!("the {tlb} holds frame {frame:#x} {}", if *writable { "writable" } else { "read-only" })
                }
            };
            outcome(if *holds { matching } else { entries.is_empty() }, found)
        }
        ResolvedCheckKind::Console { text } => {
            let console = String::from_utf8_lossy(system.console());
            if console.contains(text.as_str()) {
                outcome(true, format!("the console shows \"{text}\""))
            } else {
                let last = console.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or("").trim();
                outcome(false, format!("the console's last line is \"{last}\""))
            }
        }
    }
}
