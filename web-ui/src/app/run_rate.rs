//! The live speed of a run, for the status bar: modelled user instructions
//! per second of wall time, and how fast the modelled machine runs against
//! a real one of its clock (its cycles against the wall clock), over the
//! last second of frames.

use std::collections::VecDeque;

/// How far back the rate looks, in milliseconds.
const WINDOW_MILLISECONDS: f64 = 1_000.0;
/// A rate from less than this much time would jump about.
const SHORTEST_MILLISECONDS: f64 = 200.0;
/// Frames further apart than this mean the run was paused in between.
const LONGEST_GAP_MILLISECONDS: f64 = 250.0;

/// What the status bar shows while running.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct RunRate {
    /// Modelled user instructions per wall-clock second.
    pub instructions_per_second: f64,
    /// Modelled time per wall-clock time: 1.0 runs as fast as the real CPU.
    pub real_time: f64,
}

/// Samples of (wall milliseconds, instructions, modelled microseconds).
#[derive(Default)]
pub struct RunRateTracker {
    samples: VecDeque<(f64, u64, u64)>,
}

impl RunRateTracker {
    /// A frame while running: where the machine stands now.
    pub fn sample(&mut self, now: f64, instructions: u64, microseconds: u64) {
        // A jump back (a seek, a restart) or a pause makes the old samples meaningless.
        if self.samples.back().is_some_and(|&(then, before, time)| {
            instructions < before || microseconds < time || now - then > LONGEST_GAP_MILLISECONDS
        }) {
            self.samples.clear();
        }
        self.samples.push_back((now, instructions, microseconds));
        while self.samples.front().is_some_and(|&(then, _, _)| now - then > WINDOW_MILLISECONDS) {
            self.samples.pop_front();
        }
    }

    /// The rate over the samples, once they span enough time.
    pub fn rate(&self) -> Option<RunRate> {
        let (&(first_time, first_instructions, first_microseconds), &(last_time, last_instructions, last_microseconds)) =
            (self.samples.front()?, self.samples.back()?);
        let elapsed = last_time - first_time;
        if elapsed < SHORTEST_MILLISECONDS {
            return None;
        }
        Some(RunRate {
            instructions_per_second: (last_instructions - first_instructions) as f64 * 1_000.0 / elapsed,
            real_time: (last_microseconds - first_microseconds) as f64 / (elapsed * 1_000.0),
        })
    }
}

/// "12.3 M instructions/s · 0.41× real time" for the status bar.
pub fn describe(rate: RunRate) -> String {
    let instructions = rate.instructions_per_second;
    let amount = if instructions >= 1e6 {
        format!("{:.1} M", instructions / 1e6)
    } else if instructions >= 1e3 {
        format!("{:.0} k", instructions / 1e3)
    } else {
        format!("{instructions:.0}")
    };
    // Two significant digits below 10 (a slow run is a few thousandths).
    let digits = match rate.real_time {
        factor if factor >= 10.0 => 0,
        factor if factor >= 0.1 => 2,
        factor if factor >= 0.01 => 3,
        factor if factor >= 0.001 => 4,
        _ => 5,
    };
    let real_time = format!("{:.*}", digits, rate.real_time);
    format!("{amount} instructions/s · {real_time}× real time")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_spans_the_last_second_and_restarts_after_a_jump_back() {
        let mut tracker = RunRateTracker::default();
        tracker.sample(0.0, 0, 0);
        tracker.sample(100.0, 1_000_000, 10_000);
        assert_eq!(tracker.rate(), None, "a tenth of a second is too short to tell");
        for step in 2..=5 {
            tracker.sample(100.0 * step as f64, 1_000_000 * step, 10_000 * step);
        }
        let rate = tracker.rate().expect("half a second of samples");
        assert_eq!(rate.instructions_per_second, 10_000_000.0);
        assert_eq!(rate.real_time, 0.1);
        // Samples older than a second go.
        for step in 1..=5 {
            tracker.sample(500.0 + 200.0 * step as f64, 5_000_000 + 1_000_000 * step, 50_000 + 10_000 * step);
        }
        let rate = tracker.rate().expect("samples of the last second");
        assert_eq!(rate.instructions_per_second, 5_000_000.0);
        // A pause (no frames for a while) starts over.
        tracker.sample(2_000.0, 10_000_001, 100_001);
        assert_eq!(tracker.rate(), None);
        // A seek back starts over.
        tracker.sample(1_700.0, 10, 1);
        assert_eq!(tracker.rate(), None);
    }

    #[test]
    fn the_description_names_the_unit_and_the_real_time_factor() {
        let text = describe(RunRate { instructions_per_second: 12_345_678.0, real_time: 0.4142 });
        assert_eq!(text, "12.3 M instructions/s · 0.41× real time");
        let text = describe(RunRate { instructions_per_second: 2_600.0, real_time: 12.0 });
        assert_eq!(text, "3 k instructions/s · 12× real time");
        let text = describe(RunRate { instructions_per_second: 53_000.0, real_time: 0.003_14 });
        assert_eq!(text, "53 k instructions/s · 0.0031× real time");
    }
}
