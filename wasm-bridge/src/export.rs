//! The trace in the Chrome trace-event format (which Perfetto and
//! chrome://tracing open): a process per task and a track per thread (by
//! name) with its states as slices, each message as a flow arrow from
//! sender to receiver.
//!
//! A long run holds millions of events; building them all as one JSON value
//! exhausted WebAssembly's memory and killed the page. The trace is written
//! as text in chunks instead, by a [`TraceExport`] that remembers where it is
//! (so the page can write a chunk per frame and stay responsive), and it
//! keeps at most [`EXPORT_LIMIT`] trace events — the latest — saying so
//! before it starts.

use crate::session::Session;
use std::fmt::Write;

/// At most this many trace events go into one file (about 150 MB of JSON).
pub const EXPORT_LIMIT: usize = 1_000_000;

/// Microseconds (the format's unit) of a cycle count.
fn microseconds(cycles: u64, clock_mhz: u32) -> f64 {
    cycles as f64 / clock_mhz.max(1) as f64
}

fn task(thread: u32) -> u32 {
    (thread >> 16) & 0xFF
}

/// JSON string content.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '"' => escaped.push_str("\\\""),
            '\\' => escaped.push_str("\\\\"),
            control if (control as u32) < 0x20 => {
                let _ = write!(escaped, "\\u{:04x}", control as u32);
            }
            other => escaped.push(other),
        }
    }
    escaped
}

/// An export under way: which part of the timeline comes next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceExport {
    /// The first segment and arrow exported (the earlier ones are left out).
    first_segment: usize,
    first_arrow: usize,
    /// How far the timeline reached when the export began.
    segments: usize,
    arrows: usize,
    next_segment: usize,
    next_arrow: usize,
    names_written: bool,
    open_written: bool,
    finished: bool,
    /// Trace events written so far.
    pub written: usize,
    /// Trace events the file will hold, and how many were left out.
    pub total: usize,
    pub left_out: usize,
}

impl TraceExport {
    /// Begin an export of the timeline as it stands (its latest part, if
    /// it holds more than `limit` trace events).
    pub fn begin(session: &Session, limit: usize) -> Self {
        let (segments, arrows) = session.timeline.lengths();
        // Each message makes three trace events (flow start, flow end, instant).
        let whole = segments + arrows * 3;
        let (first_segment, first_arrow) = if whole <= limit {
            (0, 0)
        } else {
            // Leave out the same share of the oldest segments and messages.
            let keep = limit as f64 / whole as f64;
            (segments - (segments as f64 * keep) as usize, arrows - (arrows as f64 * keep) as usize)
        };
        let total = (segments - first_segment) + (arrows - first_arrow) * 3;
        Self {
            first_segment,
            first_arrow,
            segments,
            arrows,
            next_segment: first_segment,
            next_arrow: first_arrow,
            names_written: false,
            open_written: false,
            finished: false,
            written: 0,
            total,
            left_out: whole - total,
        }
    }

    /// What the export will leave out, in words (empty: nothing).
    pub fn describe(&self) -> String {
        if self.left_out == 0 {
            return format!("exporting the whole trace: {} events", self.total);
        }
        format!(
            "the trace holds {} events: the export keeps the latest {} (files beyond that are too large to open) — {} earlier ones are left out",
            self.total + self.left_out,
            self.total,
            self.left_out
        )
    }

    /// The next chunk of the file, about `events` trace events long (None: done).
    /// Fails when the timeline was cut below where the export began (the
    /// machine went back in time meanwhile).
    pub fn next_chunk(&mut self, session: &Session, events: usize) -> Option<Result<String, String>> {
        if self.finished {
            return None;
        }
        let (segments, arrows) = session.timeline.lengths();
        if segments < self.segments || arrows < self.arrows {
            self.finished = true;
            return Some(Err("the machine went back in time during the export: export again".into()));
        }
        let status = session.status();
        let clock = status.clock_mhz;
        let names = session.system().thread_names();
        let mut out = String::with_capacity(events * 160);
        if !self.names_written {
            self.names_written = true;
            out.push_str("{\"displayTimeUnit\":\"ns\",\"otherData\":{");
            let _ = write!(
                out,
                "\"cpu\":\"{}\",\"clock_mhz\":{clock},\"scenario\":\"{}\",\"left_out\":{}}},\"traceEvents\":[",
                status.cpu.label(),
                escape(&status.scenario),
                self.left_out
            );
            let mut first = true;
            for lane in session.timeline.lanes() {
                if !first {
                    out.push(',');
                }
                first = false;
                let _ = write!(
                    out,
                    "{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":{},\"tid\":{lane},\"args\":{{\"name\":\"{}\"}}}},\
                     {{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":{},\"args\":{{\"name\":\"{}\"}}}}",
                    task(*lane),
                    escape(&names.thread(*lane)),
                    task(*lane),
                    escape(&names.task(task(*lane) as u8)),
                );
            }
            if first {
                // No lanes: the first event below must not start with a comma.
                out.push_str("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":0,\"args\":{\"name\":\"kernel\"}}");
            }
        }
        let end = session.timeline.last_cycle().max(status.cycles);
        let mut budget = events;
        while budget > 0 && self.next_segment < self.segments {
            let segment = session.timeline.segment(self.next_segment);
            let to = segment.to_cycle.unwrap_or(end);
            let _ = write!(
                out,
                ",{{\"ph\":\"X\",\"name\":\"{}\",\"cat\":\"state\",\"pid\":{},\"tid\":{},\"ts\":{},\"dur\":{}}}",
                segment.state,
                task(segment.thread),
                segment.thread,
                microseconds(segment.from_cycle, clock),
                microseconds(to.saturating_sub(segment.from_cycle), clock)
            );
            self.next_segment += 1;
            self.written += 1;
            budget -= 1;
        }
        if self.next_segment >= self.segments && !self.open_written {
            // Each thread's state now, from when it began.
            self.open_written = true;
            for segment in session.timeline.open_segments() {
                let _ = write!(
                    out,
                    ",{{\"ph\":\"X\",\"name\":\"{}\",\"cat\":\"state\",\"pid\":{},\"tid\":{},\"ts\":{},\"dur\":{}}}",
                    segment.state,
                    task(segment.thread),
                    segment.thread,
                    microseconds(segment.from_cycle, clock),
                    microseconds(end.saturating_sub(segment.from_cycle), clock)
                );
            }
        }
        while budget > 0 && self.next_arrow < self.arrows {
            let arrow = session.timeline.arrow(self.next_arrow);
            let number = self.next_arrow;
            let ts = microseconds(arrow.cycle, clock);
            let _ = write!(
                out,
                ",{{\"ph\":\"s\",\"id\":{number},\"name\":\"{kind}\",\"cat\":\"ipc\",\"pid\":{},\"tid\":{},\"ts\":{ts}}}\
                 ,{{\"ph\":\"f\",\"bp\":\"e\",\"id\":{number},\"name\":\"{kind}\",\"cat\":\"ipc\",\"pid\":{},\"tid\":{},\"ts\":{ts}}}\
                 ,{{\"ph\":\"i\",\"s\":\"t\",\"name\":\"{kind} {}\",\"cat\":\"ipc\",\"pid\":{},\"tid\":{},\"ts\":{ts},\
                 \"args\":{{\"from\":\"{}\",\"to\":\"{}\",\"event\":{}}}}}",
                task(arrow.from),
                arrow.from,
                task(arrow.to),
                arrow.to,
                escape(&arrow.label),
                task(arrow.to),
                arrow.to,
                escape(&names.thread(arrow.from)),
                escape(&names.thread(arrow.to)),
                arrow.event,
                kind = arrow.kind,
            );
            self.next_arrow += 1;
            self.written += 3;
            budget = budget.saturating_sub(3);
        }
        if self.next_segment >= self.segments && self.open_written && self.next_arrow >= self.arrows {
            self.finished = true;
            out.push_str("]}");
        }
        Some(Ok(out))
    }
}

/// The whole trace (at most `limit` events) as one string: for the tests
/// and the JavaScript API, where the run is short.
pub fn perfetto_limited(session: &Session, limit: usize) -> Result<String, String> {
    let mut export = TraceExport::begin(session, limit);
    let mut text = String::new();
    while let Some(chunk) = export.next_chunk(session, 50_000) {
        text.push_str(&chunk?);
    }
    Ok(text)
}

/// The trace as one string (at most [`EXPORT_LIMIT`] events).
pub fn perfetto(session: &Session) -> String {
    perfetto_limited(session, EXPORT_LIMIT).unwrap_or_else(|problem| format!("{{\"error\":\"{}\"}}", escape(&problem)))
}
