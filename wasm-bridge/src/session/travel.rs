//! Travel in time: the moment the machine is at, seeking to a moment (at
//! once or in slices across frames), and stepping back by an instruction or
//! a kernel event — a checkpoint restored and replayed forward.

use super::*;

impl Session {
    /// The moment the machine is at: (user instructions retired, events
    /// logged). The position alone is not enough: kernel entries (a page
    /// fault before its instruction retires, interrupts while idle) happen
    /// between instructions, so one position can be several moments.
    pub fn moment(&self) -> (u64, u64) {
        (self.position(), self.seen)
    }

    /// Go to a moment [`Session::moment`] gave: to its position, then on
    /// through the kernel entries that had happened there.
    pub fn seek_moment(&mut self, position: u64, sequence: u64) {
        self.finish_seek();
        if (position, sequence) < self.moment() && position <= self.position() {
            // An earlier moment at this very position: from just before it.
            self.seek(position.saturating_sub(1));
        }
        match sequence.checked_sub(1) {
            Some(last) => self.seek_event(last, position),
            None => self.seek(position),
        }
    }

    /// Go to `position` (user instructions retired), forwards or backwards.
    pub fn seek(&mut self, position: u64) {
        self.begin_seek(position, None);
        self.finish_seek();
    }

    /// Go to the moment just after event `index` happened (it happened
    /// while the machine stood at `instruction`): seek there, then run on to
    /// the kernel entry that emitted it.
    pub fn seek_event(&mut self, index: u64, instruction: u64) {
        self.begin_seek(instruction, Some(index));
        self.finish_seek();
    }

    /// Start going to `position` (and then on to just after event `event`,
    /// if given) without getting there yet: going back restores the nearest
    /// checkpoint at once; the replay from there is done by
    /// [`Session::continue_seek`], in slices the caller sizes — so that a
    /// long way back never blocks the page for more than a frame. A seek
    /// begun while another is under way replaces it.
    pub fn begin_seek(&mut self, position: u64, event: Option<u64>) {
        self.stop_event = event;
        let replaying = position < self.position();
        if replaying {
            let nearest = self
                .checkpoints
                .iter()
                .chain(&self.fine_checkpoints)
                .filter(|checkpoint| checkpoint.snapshot.instructions() <= position)
                .max_by_key(|checkpoint| checkpoint.snapshot.instructions());
            if let Some(checkpoint) = nearest.or(self.boot.as_ref()).cloned() {
                self.system.restore(&checkpoint.snapshot);
                self.seen = checkpoint.snapshot.next_sequence();
                let seen = self.seen;
                self.history.retain(|event| event.index < seen);
                self.entry_costs.retain(|record| record.end <= seen);
                self.timeline.rewind(&checkpoint.timeline);
                self.machine_events.retain(|event| event.sequence < seen);
                self.last_step.clear();
            }
        }
        // A replay continues a replay: its short-lived checkpoints are still wanted.
        let replaying = replaying || self.seeking.as_ref().is_some_and(|seek| seek.replaying);
        self.seeking = Some(Seek { position, event, replaying });
    }

    /// Where a seek under way is going (user instructions retired).
    pub fn seeking(&self) -> Option<u64> {
        self.seeking.as_ref().map(|seek| seek.position)
    }

    /// Go on with the seek under way for about `instructions` user
    /// instructions (a slice ends at a short-lived checkpoint). Returns
    /// whether it has arrived (or no seek is under way).
    pub fn continue_seek(&mut self, instructions: u64) -> bool {
        let Some(Seek { position, event, replaying }) = self.seeking else { return true };
        let mut done = 0u64;
        while self.position() < position {
            if done >= instructions {
                return false;
            }
            let mut budget = (position - self.position()).min(instructions.saturating_sub(done).max(1));
            if replaying && budget > FINE_INTERVAL {
                budget = FINE_INTERVAL - self.position() % FINE_INTERVAL;
            }
            let before = self.position();
            let result = self.advance(Budget::instructions(budget));
            done += (self.position() - before).max(1);
            if Self::finished(&result) {
                self.stop = self.describe(&result);
                self.seeking = None;
                return true;
            }
            let here = self.position();
            // Only near the target: earlier ones would be pushed out unused
            // (and each costs a copy of the kernel's tables).
            let near = position - here.min(position) <= FINE_INTERVAL * FINE_NEAR_TARGET;
            if replaying && near && here < position && here.is_multiple_of(FINE_INTERVAL) {
                let known = self.fine_checkpoints.iter().any(|checkpoint| checkpoint.snapshot.instructions() == here);
                if !known {
                    if self.fine_checkpoints.len() == MAX_FINE_CHECKPOINTS {
                        self.fine_checkpoints.pop_front();
                    }
                    let checkpoint = self.checkpoint();
                    let at = self.fine_checkpoints.partition_point(|other| other.snapshot.instructions() < here);
                    self.fine_checkpoints.insert(at, checkpoint);
                }
            }
        }
        self.stop.clear();
        if let Some(index) = event {
            while self.seen <= index {
                let result = self.advance(Budget { stop_at_kernel_event: true, ..Budget::instructions(50_000_000) });
                if Self::finished(&result) {
                    self.stop = self.describe(&result);
                    self.seeking = None;
                    return true;
                }
            }
            self.stop = format!("at event {index}");
        }
        self.seeking = None;
        true
    }

    /// Finish the seek under way at once.
    pub fn finish_seek(&mut self) {
        while !self.continue_seek(u64::MAX) {}
    }

    /// Back one instruction.
    pub fn reverse_step(&mut self) {
        self.finish_seek();
        let position = self.position();
        if position > 0 {
            self.seek(position - 1);
        }
    }

    /// Back to the moment the last step to a kernel event (`e`) before this
    /// one stopped at: just after the kernel entry that logged it. Found by
    /// replaying, from before the latest kernel event of an earlier
    /// position, the very steps `e` takes — so `B` stops exactly where `e`
    /// does, in the other direction.
    pub fn reverse_event(&mut self) {
        self.finish_seek();
        let now = self.moment();
        let (position, seen) = now;
        let from = self
            .history
            .iter()
            .rev()
            .filter(|event| event.source == "kernel" && event.index < seen && event.instruction < position)
            .map(|event| event.instruction.saturating_sub(1))
            .next()
            .unwrap_or(0);
        self.seek(from);
        let mut last_stop = None;
        while self.moment() < now {
            let budget = position.saturating_sub(self.position()).max(1);
            let result = self.advance(Budget { stop_at_kernel_event: true, ..Budget::instructions(budget) });
            let here = self.moment();
            if here >= now {
                break;
            }
            if result == RunResult::Event {
                last_stop = Some(here);
            }
            if Self::finished(&result) {
                break;
            }
        }
        match last_stop {
            Some((position, sequence)) => self.seek_moment(position, sequence),
            None => self.seek(from),
        }
        self.stop = "back to the previous kernel event".into();
    }
}
