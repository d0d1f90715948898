//! The checkpoints a debugged run leaves behind it, so that any earlier
//! moment is one restore and a short replay away.
//!
//! A checkpoint is a [`SystemSnapshot`] (memory shared copy-on-write, the
//! kernel's tables copied: about half a megabyte). Positions count the user
//! instructions begun (`Machine::attempts`). One is taken every `interval`
//! of them as the run goes forward; going back to
//! position N restores the last one at or before N and replays the rest,
//! which the model's determinism makes exact. The first checkpoint is the
//! moment the debugger started at and is never dropped; when there are too
//! many, every other later one goes and the interval doubles — a longer
//! history costs a longer replay, not more memory.

use crate::{System, SystemSnapshot};

/// Instructions between checkpoints at first: a replay of at most this
/// many takes a few milliseconds on the model (see docs/BENCHMARKS.md).
pub const INTERVAL: u64 = 100_000;
/// At most this many checkpoints (about 65 MB of kernel tables).
pub const MAX_CHECKPOINTS: usize = 128;

/// Checkpoints in order of position.
#[derive(Debug)]
pub struct History {
    checkpoints: Vec<SystemSnapshot>,
    interval: u64,
}

impl History {
    /// A history that begins with the system as it is.
    pub fn new(system: &System) -> Self {
        Self { checkpoints: vec![system.snapshot()], interval: INTERVAL }
    }

    /// The position the history begins at.
    pub fn start(&self) -> u64 {
        self.checkpoints.first().map_or(0, SystemSnapshot::attempts)
    }

    pub fn len(&self) -> usize {
        self.checkpoints.len()
    }

    pub fn is_empty(&self) -> bool {
        self.checkpoints.is_empty()
    }

    pub fn interval(&self) -> u64 {
        self.interval
    }

    /// Where the next checkpoint is due.
    pub fn next_due(&self) -> u64 {
        self.checkpoints.last().map_or(0, SystemSnapshot::attempts).saturating_add(self.interval)
    }

    /// Take a checkpoint if one is due (the system must be between two
    /// instructions of a running thread, as after a run's budget ran out).
    pub fn record_if_due(&mut self, system: &System) {
        if system.machine().attempts >= self.next_due() && *system.status() == crate::Status::Running {
            self.record(system);
        }
    }

    /// Take a checkpoint now (replacing one at the same position).
    pub fn record(&mut self, system: &System) {
        let position = system.machine().attempts;
        let at = self.checkpoints.partition_point(|checkpoint| checkpoint.attempts() < position);
        if self.checkpoints.get(at).is_some_and(|checkpoint| checkpoint.attempts() == position) {
            self.checkpoints[at] = system.snapshot();
        } else if at > 0 {
            self.checkpoints.insert(at, system.snapshot());
        }
        if self.checkpoints.len() > MAX_CHECKPOINTS {
            // Keep the first, the third, …: the first is the start.
            let mut index = 0;
            self.checkpoints.retain(|_| {
                index += 1;
                index % 2 == 1
            });
            self.interval *= 2;
        }
    }

    /// Forget the checkpoints at and after `position` (a debugger changed
    /// memory or registers there: they hold the old future), keeping the first.
    pub fn forget_from(&mut self, position: u64) {
        let keep = self.checkpoints.partition_point(|checkpoint| checkpoint.attempts() < position).max(1);
        self.checkpoints.truncate(keep);
    }

    /// The last checkpoint at or before `position` (the first if none is).
    pub fn at_or_before(&self, position: u64) -> Option<&SystemSnapshot> {
        let after = self.checkpoints.partition_point(|checkpoint| checkpoint.attempts() <= position);
        self.checkpoints.get(after.saturating_sub(1))
    }

    /// The last checkpoint strictly before `position`.
    pub fn before(&self, position: u64) -> Option<&SystemSnapshot> {
        let after = self.checkpoints.partition_point(|checkpoint| checkpoint.attempts() < position);
        after.checked_sub(1).and_then(|index| self.checkpoints.get(index))
    }
}
