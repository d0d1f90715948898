//! The explorer as a debugger people trust: the views show the present,
//! however the machine got there (a step, a run, a seek, a step back).
#![allow(clippy::unwrap_used)]

use wasm_bridge::{CpuChoice, Session, SessionConfig};

fn session(scenario: &str, cpu: CpuChoice) -> Session {
    Session::new(SessionConfig { scenario: scenario.into(), cpu, small_spaces: false }).unwrap()
}

/// The TLB view's marks: (tlb, set, way, mark) of every marked entry.
fn marks(session: &Session) -> Vec<(String, u32, u32, &'static str)> {
    session
        .tlbs()
        .into_iter()
        .flat_map(|tlb| {
            let name = tlb.name.to_string();
            tlb.entries
                .into_iter()
                .filter(|entry| !entry.mark.is_empty())
                .map(move |entry| (name.clone(), entry.set, entry.way, entry.mark))
        })
        .collect()
}

#[test]
fn the_code_view_and_the_thread_table_show_the_cpus_eip_while_stepping() {
    let mut session = session("ping-pong", CpuChoice::I486);
    session.step_ipc();
    session.step_ipc();
    for _ in 0..12 {
        session.step_instruction();
        let eip = session.cpu().eip;
        let code = session.code(40);
        assert_eq!(code.eip, eip, "the code view's header follows the CPU");
        let current: Vec<u32> = code.lines.iter().filter(|line| line.current).map(|line| line.address).collect();
        assert_eq!(current, vec![eip], "the ▶ is on the instruction about to run");
        let running = session.threads().into_iter().find(|thread| thread.running).unwrap();
        assert_eq!(running.eip, eip, "the running thread's EIP in the thread table is the CPU's");
    }
}

#[test]
fn the_last_steps_marks_are_the_same_after_a_step_back_a_seek_or_a_step() {
    let mut session = session("ping-pong", CpuChoice::Pentium);
    session.step_ipc();
    session.step_ipc();
    session.step_ipc();
    let position = session.position();
    // Back one: the marks are of the instruction that led to position - 1.
    session.reverse_step();
    assert_eq!(session.position(), position - 1);
    let after_back = marks(&session);
    let flushed_after_back = session.tlbs().iter().any(|tlb| tlb.flushed);
    // The same moment reached forwards, one instruction at a time at the end.
    let mut forwards = self::session("ping-pong", CpuChoice::Pentium);
    forwards.seek(position - 2);
    forwards.step_instruction();
    assert_eq!(forwards.position(), position - 1);
    assert_eq!(marks(&forwards), after_back, "a step forward and a step back mark the same");
    assert_eq!(forwards.tlbs().iter().any(|tlb| tlb.flushed), flushed_after_back);
    // And by one long seek from the start.
    let mut seeking = self::session("ping-pong", CpuChoice::Pentium);
    seeking.seek(position - 1);
    assert_eq!(marks(&seeking), after_back, "a seek marks the same");
    // A run to the same moment too.
    let mut running = self::session("ping-pong", CpuChoice::Pentium);
    while running.position() < position - 1 {
        let remaining = position - 1 - running.position();
        running.run_slice(remaining.min(1000));
    }
    assert_eq!(marks(&running), after_back, "a run marks the same");
}

#[test]
fn the_costs_do_not_depend_on_how_a_run_is_sliced() {
    let costs: Vec<_> = [1_000u64, 5_000, 250_000, 5_000_000]
        .into_iter()
        .map(|slice| {
            let mut session = session("ping-pong", CpuChoice::I486);
            while session.position() < 1_500_000 && session.run_slice(slice.min(1_500_000 - session.position())) {}
            let costs = session.costs();
            (slice, costs.ipcs, costs.cycles_per_ipc, costs.tlb_misses, costs.cycles)
        })
        .collect();
    for (slice, ipcs, cycles_per_ipc, misses, cycles) in &costs[1..] {
        assert_eq!(
            (*ipcs, *cycles_per_ipc, *misses, *cycles),
            (costs[0].1, costs[0].2, costs[0].3, costs[0].4),
            "slices of {slice} instructions against slices of {}",
            costs[0].0
        );
    }
}

#[test]
fn a_moment_reached_by_a_step_an_ipc_or_a_breakpoint_is_reopened_exactly() {
    let mut original = session("ping-pong", CpuChoice::I486);
    let mut moments = Vec::new();
    for _ in 0..3 {
        original.step_ipc();
        moments.push((original.moment(), original.status(), original.cpu()));
        original.step_event();
        moments.push((original.moment(), original.status(), original.cpu()));
        original.step_instruction();
        moments.push((original.moment(), original.status(), original.cpu()));
    }
    for ((position, sequence), status, cpu) in moments {
        let mut reopened = session("ping-pong", CpuChoice::I486);
        reopened.seek_moment(position, sequence);
        let now = reopened.status();
        assert_eq!(
            (now.instructions, now.cycles, now.current_thread),
            (status.instructions, status.cycles, status.current_thread)
        );
        assert_eq!(reopened.cpu(), cpu, "the registers of the moment at instruction {position}, event {sequence}");
    }
}

#[test]
fn going_back_by_kernel_events_stops_where_going_forward_stopped() {
    let mut session = session("ping-pong", CpuChoice::Pentium);
    for _ in 0..40 {
        session.step_event();
    }
    let mut forward = Vec::new();
    for _ in 0..6 {
        session.step_event();
        forward.push((session.moment(), session.status().cycles, session.cpu()));
    }
    // Back from the last stop: each earlier stop of `e`, in turn.
    for expected in forward.iter().rev().skip(1) {
        session.reverse_event();
        assert_eq!((session.moment(), session.status().cycles, session.cpu()), expected.clone());
    }
    // From between two stops, back to the one before.
    session.step_event();
    let stop = (session.moment(), session.status().cycles, session.cpu());
    session.step_instruction();
    session.step_instruction();
    if session.moment().1 == stop.0.1 {
        session.reverse_event();
        assert_eq!((session.moment(), session.status().cycles, session.cpu()), stop);
    }
}

#[test]
fn a_long_trace_is_exported_in_chunks_keeping_the_latest_events_and_saying_what_it_leaves_out() {
    let mut session = session("ping-pong", CpuChoice::I486);
    while session.position() < 400_000 && session.run_slice(50_000) {}
    // A small limit stands for the explorer's: the same code path.
    let limit = 5_000;
    let mut export = wasm_bridge::export::TraceExport::begin(&session, limit);
    assert!(export.left_out > 0, "this run holds more than {limit} trace events");
    assert!(export.describe().contains("keeps the latest"), "{}", export.describe());
    let mut chunks = 0;
    let mut text = String::new();
    while let Some(chunk) = export.next_chunk(&session, 1_000) {
        let chunk = chunk.unwrap();
        assert!(chunk.len() < 1_000 * 400, "a chunk stays small ({} bytes)", chunk.len());
        text.push_str(&chunk);
        chunks += 1;
    }
    assert!(chunks > 3, "written in chunks ({chunks})");
    let parsed: serde_json::Value = serde_json::from_str(&text).expect("the chunks make one JSON document");
    let events = parsed["traceEvents"].as_array().unwrap();
    assert!(events.len() <= limit + 200, "at most the limit, plus the names and open states ({})", events.len());
    assert_eq!(parsed["otherData"]["left_out"], export.left_out);
    // The latest message is in it; the first is not.
    let arrows = session.timeline(0, u64::MAX).arrows;
    let last = arrows.last().unwrap().event;
    assert!(events.iter().any(|event| event["args"]["event"] == last));
    assert!(!events.iter().any(|event| event["args"]["event"] == arrows[0].event));
    // Going back in time during an export stops it with a message.
    let mut interrupted = wasm_bridge::export::TraceExport::begin(&session, limit);
    let _ = interrupted.next_chunk(&session, 10);
    session.seek(1_000);
    assert!(interrupted.next_chunk(&session, 10).unwrap().unwrap_err().contains("went back in time"));
}

#[test]
fn the_event_a_stop_was_for_is_known_to_the_views() {
    let mut session = session("ping-pong", CpuChoice::I486);
    session.step_ipc();
    let delivered =
        session.events(&wasm_bridge::EventQuery { kind: Some("ipc".into()), limit: 1, ..Default::default() });
    assert_eq!(session.stop_event(), Some(delivered[0].index), "i: the delivered message");
    session.step_instruction();
    assert_eq!(session.stop_event(), None, "a plain step is for no event");
    session.step_event();
    let first = session.stop_event().unwrap();
    assert_eq!(
        session
            .events(&wasm_bridge::EventQuery { limit: 100_000, ..Default::default() })
            .iter()
            .find(|event| event.index == first)
            .map(|event| event.source),
        Some("kernel")
    );
}

#[test]
fn a_watchpoint_stops_a_run_at_the_write_and_is_listed_with_the_breakpoints() {
    let mut session = session("ping-pong", CpuChoice::I486);
    for _ in 0..4 {
        session.step_ipc();
    }
    let task = session.status().current_thread >> 16 & 0xFF;
    let stack = session.register_value("esp").unwrap();
    // The word just below the stack pointer: the next push writes it.
    let watched = stack - 4;
    session.add_watchpoint(task, watched, 4, wasm_bridge::WatchKind::Write).unwrap();
    assert!(session.breakpoint_list().iter().any(|breakpoint| breakpoint.description.contains("a write of 4 bytes")));
    let position = session.position();
    assert!(!session.run_slice(1_000_000), "the run stops");
    assert!(session.status().stop.starts_with("watchpoint: the instruction at"), "{}", session.status().stop);
    assert!(session.status().stop.contains("wrote 4 bytes"), "{}", session.status().stop);
    assert!(session.position() > position);
    // An unmapped address cannot be watched, and says why.
    let problem = session.add_watchpoint(task, 0x3000_0000, 4, wasm_bridge::WatchKind::Write).unwrap_err();
    assert!(problem.contains("is not mapped"), "{problem}");
    // Removed, the run goes on past it.
    let id = session.breakpoint_list()[0].id;
    session.remove_breakpoint(id);
    assert!(session.run_slice(1_000));
}

#[test]
fn the_costs_view_breaks_an_ipc_into_parts_that_add_up_for_the_average_and_a_timeline_message() {
    for cpu in [CpuChoice::I486, CpuChoice::Pentium] {
        let mut session = session("ping-pong", cpu);
        while session.position() < 400_000 && session.run_slice(50_000) {}
        let costs = session.costs();
        let average = session.ipc_breakdown_average().unwrap();
        let sum: f64 = average.parts.iter().map(|part| part.cycles).sum();
        assert!((sum - average.total).abs() < 1e-6, "{cpu:?}: the parts add up: {sum} against {}", average.total);
        assert!((average.total - costs.cycles_per_ipc).abs() < 1e-6, "{cpu:?}: the average is the cycles per IPC");
        let names: Vec<_> = average.parts.iter().map(|part| part.name).collect();
        for name in ["CPU entry", "Kernel path", "Address-space switch", "TLB refills", "Cache misses", "CPU exit"] {
            assert!(names.contains(&name), "{cpu:?}: {name} in {names:?}");
        }
        // A message on the timeline: the entry that delivered it.
        let timeline = session.timeline(0, u64::MAX);
        let arrow = timeline.arrows.iter().rev().find(|arrow| arrow.kind == "ipc").unwrap();
        let selected = session.ipc_breakdown_of(arrow.event).unwrap();
        assert!(selected.title.starts_with("the message from "), "{cpu:?}: {}", selected.title);
        let sum: f64 = selected.parts.iter().map(|part| part.cycles).sum();
        assert_eq!(sum, selected.total, "{cpu:?}: {selected:?}");
        let path = &selected.parts.iter().find(|part| part.name == "Kernel path").unwrap().detail;
        // The fast path's calibrated count (`sim/data/kernel-paths.txt`).
        let model = match cpu {
            CpuChoice::I486 => sim::CpuModel::I486,
            CpuChoice::Pentium => sim::CpuModel::Pentium,
        };
        let fast = sim::KernelCosts::built_in(model).cost(sim::kernel_crate::cost::Path::IpcFast).unwrap();
        let expected = format!("{} instructions (ipc-fast)", fast.instructions);
        assert!(path.starts_with(&expected), "{cpu:?}: ping-pong's round trips: {path}, not {expected}");
        let switch = selected.parts.iter().find(|part| part.name == "Address-space switch").unwrap();
        assert!(switch.cycles > 0.0, "{cpu:?}: ping and pong are two large spaces: {switch:?}");
        // Nothing for an event no entry logged (before the log, after the present).
        assert_eq!(session.ipc_breakdown_of(u64::MAX), None);
        // Back before the message, it has not happened; at it again, the same figures.
        session.seek(arrow.instruction.saturating_sub(1_000));
        assert_eq!(session.ipc_breakdown_of(arrow.event), None, "{cpu:?}: not yet");
        session.seek_event(arrow.event, arrow.instruction);
        assert_eq!(session.ipc_breakdown_of(arrow.event), Some(selected), "{cpu:?}: the replay");
    }
}
