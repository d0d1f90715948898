//! Breakpoints and watchpoints as a debugger sets them: on a virtual
//! address of one thread's address space, bound to the physical memory
//! that address reaches there.
//!
//! A breakpoint belongs to the code, not to an address alone: it stops a
//! thread that is about to execute the instruction at its address *and*
//! whose space maps that address to the same frame — the thread runs that
//! very instruction. Another program at the same virtual address in another
//! space runs on; tasks that share the code (ping and pong run the root
//! task's image, mapped to them by their pager) all stop, as they would at
//! an `int3` written into it. A watchpoint belongs to the memory it names:
//! the machine reports any user access to those physical bytes, whichever
//! mapping reaches them.
//!
//! The binding is made when the point is set, through the page tables of
//! the thread the debugger has selected. An address its space does not map
//! (yet) is bound to the boot module loaded there, if any (boot modules lie
//! in physical memory at their link addresses, as their pagers map them);
//! otherwise setting the point fails. A breakpoint's binding is remembered
//! after it is removed, so that gdb's habit of removing every breakpoint at
//! a stop and inserting it again at the next resume — with whichever thread
//! it has selected by then — keeps it on the same code.

use crate::System;
use machine_model::{DebugHooks, WatchHit, WatchKind, Watchpoint};
use std::collections::BTreeMap;

/// Why a point cannot be set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointError {
    /// The address is mapped neither in the thread's space nor by a boot module.
    Unmapped { address: u32 },
}

impl std::fmt::Display for PointError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PointError::Unmapped { address } => {
                write!(formatter, "{address:#010x} is not mapped in the thread's address space")
            }
        }
    }
}

/// A breakpoint: the instruction at `address` in the frame `physical`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Breakpoint {
    pub address: u32,
    pub physical: u32,
}

/// A watchpoint on `length` bytes from `address`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Watch {
    pub address: u32,
    pub length: u32,
    pub kind: WatchKind,
    /// The physical pieces (one per page the range touches).
    pieces: Vec<Watchpoint>,
}

/// Every point set.
#[derive(Clone, Debug, Default)]
pub struct Points {
    breakpoints: Vec<Breakpoint>,
    /// Address → physical binding of every breakpoint ever set.
    bindings: BTreeMap<u32, u32>,
    watches: Vec<Watch>,
}

/// The physical address `address` reaches in the space of `directory`, or
/// in the boot module loaded there.
pub fn bind(system: &System, directory: Option<u32>, address: u32) -> Option<u32> {
    if let Some(translation) = directory.and_then(|directory| system.walk(directory, address))
        && translation.user
    {
        return Some(translation.physical);
    }
    system
        .modules()
        .iter()
        .filter_map(|module| asm::loader::Image::parse(&module.elf).ok())
        .any(|image| image.segments().any(|segment| segment.address <= address && address < segment.end()))
        .then_some(address)
}

impl Points {
    pub fn breakpoints(&self) -> &[Breakpoint] {
        &self.breakpoints
    }

    pub fn watches(&self) -> &[Watch] {
        &self.watches
    }

    /// Set a breakpoint at `address` in the space of `directory`.
    pub fn add_breakpoint(&mut self, system: &System, directory: Option<u32>, address: u32) -> Result<(), PointError> {
        let physical = match self.bindings.get(&address) {
            Some(physical) => *physical,
            None => bind(system, directory, address).ok_or(PointError::Unmapped { address })?,
        };
        self.bindings.insert(address, physical);
        if !self.breakpoints.iter().any(|breakpoint| breakpoint.address == address) {
            self.breakpoints.push(Breakpoint { address, physical });
        }
        Ok(())
    }

    /// Remove the breakpoint at `address`; whether there was one.
    pub fn remove_breakpoint(&mut self, address: u32) -> bool {
        let before = self.breakpoints.len();
        self.breakpoints.retain(|breakpoint| breakpoint.address != address);
        self.breakpoints.len() != before
    }

    /// Watch `length` bytes from `address` in the space of `directory`.
    pub fn add_watch(
        &mut self,
        system: &System,
        directory: Option<u32>,
        address: u32,
        length: u32,
        kind: WatchKind,
    ) -> Result<(), PointError> {
        let length = length.max(1);
        let mut pieces = Vec::new();
        let mut at = address as u64;
        let end = address as u64 + length as u64;
        while at < end {
            let page_end = ((at >> 12) + 1) << 12;
            let piece_end = page_end.min(end);
            let virtual_address = at as u32;
            let physical =
                bind(system, directory, virtual_address).ok_or(PointError::Unmapped { address: virtual_address })?;
            pieces.push(Watchpoint { physical, length: (piece_end - at) as u32, kind });
            at = piece_end;
        }
        self.watches.push(Watch { address, length, kind, pieces });
        Ok(())
    }

    /// Remove a watchpoint; whether there was one.
    pub fn remove_watch(&mut self, address: u32, length: u32, kind: WatchKind) -> bool {
        let length = length.max(1);
        match self.watches.iter().position(|watch| (watch.address, watch.length, watch.kind) == (address, length, kind))
        {
            Some(index) => {
                self.watches.remove(index);
                true
            }
            None => false,
        }
    }

    /// Tell the machine what to check.
    pub fn arm(&self, hooks: &mut DebugHooks) {
        let addresses: Vec<u32> = self.breakpoints.iter().map(|breakpoint| breakpoint.address).collect();
        hooks.set_breakpoints(&addresses);
        let pieces: Vec<Watchpoint> = self.watches.iter().flat_map(|watch| watch.pieces.iter().copied()).collect();
        hooks.set_watchpoints(&pieces);
    }

    /// The machine stopped before the instruction at EIP for a breakpoint
    /// there: the breakpoint, if the running thread's space reaches its code.
    pub fn breakpoint_hit(&self, system: &System) -> Option<Breakpoint> {
        let cpu = &system.machine().cpu;
        let eip = cpu.eip;
        let linear = cpu.segments[machine_model::cpu::segment::CS].base().wrapping_add(eip);
        let physical = system.walk(cpu.cr3, linear)?.physical;
        self.breakpoints.iter().find(|breakpoint| breakpoint.address == eip && breakpoint.physical == physical).copied()
    }

    /// The watchpoint an access the machine reported belongs to.
    pub fn watch_for(&self, hit: &WatchHit) -> Option<&Watch> {
        self.watches.iter().find(|watch| watch.pieces.contains(&hit.watchpoint))
    }
}
