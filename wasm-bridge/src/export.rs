//! The trace in the Chrome trace-event format (which Perfetto and
//! chrome://tracing open): a track per thread with its states as slices,
//! each message as a flow arrow from sender to receiver.

use crate::session::Session;
use serde_json::{Value, json};

/// Microseconds (the format's unit) of a cycle count.
fn microseconds(cycles: u64, clock_mhz: u32) -> f64 {
    cycles as f64 / clock_mhz.max(1) as f64
}

/// The whole run so far as a JSON trace.
pub fn perfetto(session: &Session) -> String {
    let status = session.status();
    let clock = status.clock_mhz;
    let timeline = session.timeline.all();
    let mut events: Vec<Value> = Vec::new();
    let task = |thread: u32| (thread >> 16) & 0xFF;
    for lane in &timeline.lanes {
        events.push(json!({"ph": "M", "name": "thread_name", "pid": task(*lane), "tid": lane, "args": {"name": format!("{lane:#010x}")}}));
        events.push(json!({"ph": "M", "name": "process_name", "pid": task(*lane), "args": {"name": format!("task {:#x}", task(*lane))}}));
    }
    let end = timeline.last_cycle.max(status.cycles);
    for segment in &timeline.segments {
        let to = segment.to_cycle.unwrap_or(end);
        events.push(json!({
            "ph": "X", "name": segment.state, "cat": "state",
            "pid": task(segment.thread), "tid": segment.thread,
            "ts": microseconds(segment.from_cycle, clock), "dur": microseconds(to.saturating_sub(segment.from_cycle), clock),
        }));
    }
    for (number, arrow) in timeline.arrows.iter().enumerate() {
        let ts = microseconds(arrow.cycle, clock);
        events.push(json!({"ph": "s", "id": number, "name": arrow.kind, "cat": "ipc", "pid": task(arrow.from), "tid": arrow.from, "ts": ts}));
        events.push(json!({"ph": "f", "bp": "e", "id": number, "name": arrow.kind, "cat": "ipc", "pid": task(arrow.to), "tid": arrow.to, "ts": ts}));
        events.push(json!({
            "ph": "i", "s": "t", "name": format!("{} {}", arrow.kind, arrow.label), "cat": "ipc",
            "pid": task(arrow.to), "tid": arrow.to, "ts": ts,
            "args": {"from": format!("{:#010x}", arrow.from), "to": format!("{:#010x}", arrow.to), "event": arrow.event},
        }));
    }
    json!({
        "traceEvents": events,
        "displayTimeUnit": "ns",
        "otherData": {"cpu": status.cpu.label(), "clock_mhz": clock, "scenario": status.scenario},
    })
    .to_string()
}
