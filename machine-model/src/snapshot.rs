//! Snapshots of the whole machine, for stepping backwards.
//!
//! A snapshot shares every memory page with the live machine (pages are
//! reference-counted and copied on their first write afterwards), so taking
//! one costs one pointer per page plus the CPU, TLB, cache and device state —
//! not a copy of RAM. The decoded-instruction cache is left out: it is
//! derived from memory and rebuilt on demand after a restore.

use crate::machine::Machine;

/// A frozen machine.
#[derive(Clone, Debug)]
pub struct MachineSnapshot {
    machine: Machine,
}

impl MachineSnapshot {
    /// Pages written since the snapshot was taken (the memory it now holds alone).
    pub fn pages_diverged(&self, live: &Machine) -> usize {
        live.memory.pages_changed_since(&self.machine.memory.snapshot())
    }
    /// The cycle count when the snapshot was taken.
    pub fn cycles(&self) -> u64 {
        self.machine.cycles
    }
    pub fn instructions(&self) -> u64 {
        self.machine.instructions
    }
    /// Instructions begun (see `Machine::attempts`) when it was taken.
    pub fn attempts(&self) -> u64 {
        self.machine.attempts
    }
}

impl Machine {
    /// Freeze the whole machine.
    pub fn snapshot(&self) -> MachineSnapshot {
        let mut machine = self.clone_without_decode_cache();
        machine.events = Default::default();
        // The events' clock goes with the machine: an event recorded before
        // the next stamp (an interrupt request at the top of the loop)
        // carries it, after a restore as in the run it replays.
        machine.events.now = self.events.now;
        MachineSnapshot { machine }
    }

    /// Return to a snapshot. Events recorded since are kept in the sink's
    /// filter settings only; the decode cache starts empty. The debugger's
    /// breakpoints and watchpoints stay (they are not machine state); a
    /// pause or pass it asked for is forgotten.
    pub fn restore(&mut self, snapshot: &MachineSnapshot) {
        let filter = self.events.filter();
        let mut debug = std::mem::take(&mut self.debug);
        debug.forget_requests();
        *self = snapshot.machine.clone_without_decode_cache();
        self.events.set_filter(filter);
        self.debug = debug;
        self.devices_changed();
    }
}
