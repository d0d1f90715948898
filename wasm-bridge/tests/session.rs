//! The explorer's session on the host: stepping, time travel, breakpoints,
//! editing, and the views.
#![allow(clippy::unwrap_used)]

use wasm_bridge::{Breakpoint, CpuChoice, EventQuery, Session, SessionConfig};

fn session(scenario: &str, cpu: CpuChoice) -> Session {
    Session::new(SessionConfig { scenario: scenario.into(), cpu, small_spaces: false }).unwrap()
}

/// Everything the views show, as comparable values (the TLB view's marks of
/// what the last step did, and its "flushed" banner, are left out: they
/// describe a step, not a state).
fn picture(session: &Session) -> Vec<(&'static str, String)> {
    let mut tlbs = session.tlbs();
    for tlb in &mut tlbs {
        tlb.flushed = false;
        for entry in &mut tlb.entries {
            entry.mark = "";
        }
    }
    vec![
        ("position", format!("{}", session.status().instructions)),
        ("cycles", format!("{}", session.status().cycles)),
        ("cpu", format!("{:?}", session.cpu())),
        ("threads", format!("{:?}", session.threads())),
        ("tlbs", format!("{tlbs:?}")),
        ("mapping", format!("{:?}", session.mapping_trees(true))),
        ("console", session.console()),
        ("timeline", format!("{:?}", session.timeline(0, u64::MAX))),
        ("costs", format!("{:?}", session.costs())),
    ]
}

fn assert_same(now: &[(&'static str, String)], before: &[(&'static str, String)]) {
    for ((name, value), (_, earlier)) in now.iter().zip(before) {
        if value != earlier {
            let at = value.chars().zip(earlier.chars()).position(|(left, right)| left != right).unwrap_or(0);
            let from = at.saturating_sub(80);
            panic!(
                "the {name} view differs at {at}:\n now: …{}\n was: …{}",
                value.chars().skip(from).take(200).collect::<String>(),
                earlier.chars().skip(from).take(200).collect::<String>()
            );
        }
    }
}

#[test]
fn reverse_step_restores_exactly_the_earlier_state() {
    let mut session = session("ping-pong", CpuChoice::Pentium);
    for _ in 0..300 {
        session.step_event();
    }
    let before = picture(&session);
    let events_before = session.events(&EventQuery { limit: 100_000, ..EventQuery::default() });
    session.step_instruction();
    session.step_ipc();
    assert_ne!(picture(&session), before, "stepping changed something");
    // Back to exactly where we were.
    let target: u64 = before[0].1.parse().unwrap();
    session.seek(target);
    assert_same(&picture(&session), &before);
    assert_eq!(session.events(&EventQuery { limit: 100_000, ..EventQuery::default() }), events_before);
}

#[test]
fn reverse_step_goes_back_one_instruction() {
    let mut session = session("hello", CpuChoice::I486);
    for _ in 0..50 {
        session.step_instruction();
    }
    let before = picture(&session);
    session.step_instruction();
    session.reverse_step();
    assert_same(&picture(&session), &before);
}

#[test]
fn step_ipc_stops_at_a_delivered_message_and_the_timeline_shows_it() {
    let mut session = session("ping-pong", CpuChoice::I486);
    session.step_ipc();
    let last_ipc = session.events(&EventQuery { kind: Some("ipc".into()), limit: 1, ..EventQuery::default() });
    assert_eq!(last_ipc.len(), 1);
    let arrows = session.timeline(0, u64::MAX).arrows;
    assert!(arrows.iter().any(|arrow| arrow.event == last_ipc[0].index), "the message is an arrow");
}

#[test]
fn event_breakpoints_stop_the_run() {
    let mut session = session("ping-pong", CpuChoice::I486);
    session.add_breakpoint(Breakpoint::Event { kind: "map".into(), thread: None, to: None, frame: None });
    let going = session.run_slice(10_000_000);
    assert!(!going, "the breakpoint stopped it");
    assert!(session.status().stop.starts_with("breakpoint: next map"), "{}", session.status().stop);
    let last = session.events(&EventQuery { limit: 1, kind: Some("map".into()), ..EventQuery::default() });
    assert_eq!(last.len(), 1);
}

#[test]
fn the_mapping_trees_grow_as_pages_are_mapped() {
    let mut session = session("ping-pong", CpuChoice::Pentium);
    let before: u32 = session.mapping_trees(false).iter().map(|tree| tree.size).sum();
    session.add_breakpoint(Breakpoint::Event { kind: "map".into(), thread: None, to: None, frame: None });
    for _ in 0..5 {
        session.run_slice(10_000_000);
    }
    let after: u32 = session.mapping_trees(false).iter().map(|tree| tree.size).sum();
    assert!(after > before, "{before} → {after}");
    let tree = &session.mapping_trees(false)[0];
    assert_eq!(tree.root.task, 2, "every tree is rooted in sigma0");
}

#[test]
fn a_broken_program_reports_its_errors_and_a_fixed_one_boots() {
    let mut session = session("hello", CpuChoice::I486);
    let program = session.programs()[0].clone();
    session.step_event();
    let position = session.position();
    let broken = format!("{}\n    mov eax, ebx, ecx\n", program.source);
    session.set_program(&program.file, &broken);
    let errors = session.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].line > 10 && errors[0].file == "hello.asm", "{errors:?}");
    assert!(session.booted(), "the machine goes on with the program it booted");
    assert_eq!(session.position(), position, "and stays where it was");
    assert_eq!(session.programs()[0].source, broken, "the edit is kept");
    session.set_program(&program.file, &program.source);
    assert!(session.errors().is_empty());
    assert!(session.booted());
    session.run_slice(5_000_000);
    assert!(session.console().contains("hello from the root task"));
}

#[test]
fn the_views_show_the_machine() {
    let mut session = session("ping-pong", CpuChoice::Pentium);
    for _ in 0..40 {
        session.step_event();
    }
    let cpu = session.cpu();
    assert_eq!(cpu.segments[1].selector, 0x1B, "CS is the user code selector");
    assert!(cpu.gdt.len() >= 6);
    let tlbs = session.tlbs();
    assert_eq!(tlbs.iter().map(|tlb| tlb.name).collect::<Vec<_>>(), ["I-TLB", "D-TLB", "4M D-TLB"]);
    let code = session.code(12);
    assert!(code.lines.iter().any(|line| line.current), "the current instruction is in the listing");
    assert!(code.lines.iter().any(|line| line.label.is_some()), "with the program's labels");
    let spaces = session.spaces();
    assert!(spaces.iter().any(|space| space.task == 4));
    assert!(!session.memory_map(4).is_empty());
    assert!(!session.page_directory(4).is_empty());
    let trace = wasm_bridge::export::perfetto(&session);
    let parsed: serde_json::Value = serde_json::from_str(&trace).unwrap();
    assert!(parsed["traceEvents"].as_array().unwrap().len() > 10);
}

#[test]
fn seeking_an_event_stops_just_after_it() {
    let mut session = session("ping-pong", CpuChoice::I486);
    for _ in 0..5 {
        session.step_ipc();
    }
    let ipcs = session.events(&EventQuery { kind: Some("ipc".into()), limit: 100, ..EventQuery::default() });
    assert_eq!(ipcs.len(), 5);
    let third = ipcs[2].clone();
    session.seek_event(third.index, third.instruction);
    let now = session.events(&EventQuery { kind: Some("ipc".into()), limit: 100, ..EventQuery::default() });
    assert_eq!(now.last(), Some(&third), "the third message is the latest one");
    assert_eq!(session.timeline(0, u64::MAX).arrows.len(), 3);
    // And forwards again, to the fifth.
    session.seek_event(ipcs[4].index, ipcs[4].instruction);
    assert_eq!(session.events(&EventQuery { kind: Some("ipc".into()), limit: 100, ..EventQuery::default() }), ipcs);
}

#[test]
fn going_back_across_checkpoints_restores_the_timeline_and_the_log() {
    // many-threads: tens of thousands of instructions, so going back crosses
    // several checkpoints (every 20,000 instructions) and rewinds the
    // timeline to one of them before replaying.
    let mut fresh = session("many-threads", CpuChoice::I486);
    fresh.seek(45_123);
    let expected = picture(&fresh);
    let expected_events = fresh.events(&EventQuery { limit: 100_000, ..EventQuery::default() });
    let mut travelled = session("many-threads", CpuChoice::I486);
    travelled.seek(90_000);
    assert!(travelled.timeline(0, u64::MAX).arrows.len() > fresh.timeline(0, u64::MAX).arrows.len());
    travelled.seek(45_123);
    assert_same(&picture(&travelled), &expected);
    assert_eq!(travelled.events(&EventQuery { limit: 100_000, ..EventQuery::default() }), expected_events);
    // Steps back from there start at the short-lived checkpoints taken on the way.
    for _ in 0..3 {
        travelled.reverse_step();
    }
    let mut direct = session("many-threads", CpuChoice::I486);
    direct.seek(45_120);
    assert_same(&picture(&travelled), &picture(&direct));
}

#[test]
fn a_seek_in_slices_arrives_where_a_seek_at_once_does() {
    let mut direct = session("many-threads", CpuChoice::I486);
    direct.seek(31_007);
    let expected = picture(&direct);
    let mut sliced = session("many-threads", CpuChoice::I486);
    sliced.seek(70_000);
    // Back in slices of at most 1,000 instructions: each slice makes progress.
    sliced.begin_seek(31_007, None);
    assert_eq!(sliced.seeking(), Some(31_007));
    let mut slices = 0;
    let mut last = sliced.position();
    while !sliced.continue_seek(1_000) {
        slices += 1;
        assert!(sliced.position() > last, "slice {slices} made no progress");
        assert!(sliced.position() - last <= 1_000, "a slice ran {} instructions", sliced.position() - last);
        last = sliced.position();
    }
    assert!(slices >= 5, "the replay from the checkpoint at 20,000 took {slices} slices");
    assert_eq!(sliced.seeking(), None);
    assert_same(&picture(&sliced), &expected);
    // A new seek replaces one under way; a step first finishes it.
    sliced.begin_seek(60_000, None);
    assert!(!sliced.continue_seek(500));
    sliced.begin_seek(5_000, None);
    assert!(!sliced.continue_seek(500));
    assert_eq!(sliced.seeking(), Some(5_000));
    sliced.step_instruction();
    assert_eq!(sliced.seeking(), None);
    direct.seek(5_000);
    direct.step_instruction();
    assert_same(&picture(&sliced), &picture(&direct));
}

/// A thread in a small space runs at offsets from its segment base: the code
/// view lists the thread's own addresses, as its ELF symbols are, so labels
/// are found and branch targets read as the program wrote them — in a large
/// space and a small one alike.
#[test]
fn the_code_of_a_small_space_thread_is_shown_at_its_own_addresses() {
    for small_spaces in [false, true] {
        let mut session =
            Session::new(SessionConfig { scenario: "ping-pong".into(), cpu: CpuChoice::Pentium, small_spaces })
                .unwrap();
        // Well inside the round trips: ping or pong is running.
        session.seek(100_000);
        let code_segment_base = session.cpu().segments[1].base;
        assert_eq!(code_segment_base != 0, small_spaces, "CS base {code_segment_base:#x}");
        let code = session.code(40);
        let current: Vec<_> = code.lines.iter().filter(|line| line.current).collect();
        assert_eq!(current.len(), 1, "{code:#?}");
        assert_eq!(current[0].address, code.eip);
        assert!(code.lines[0].address < code.eip, "the listing starts before EIP, at a label: {code:#?}");
        assert!(code.lines.iter().any(|line| line.label.is_some()), "labels from the ELF symbols: {code:#?}");
        let mut targets = 0;
        for line in &code.lines {
            let Some(operand) = line.text.strip_prefix('j').and_then(|rest| rest.split_whitespace().last()) else {
                continue;
            };
            let Some(hex) = operand.strip_suffix('h') else { continue };
            let target = u32::from_str_radix(hex, 16).unwrap();
            assert!((0x40_0000..0x50_0000).contains(&target), "{}: a target in the root's image", line.text);
            targets += 1;
        }
        assert!(targets > 0, "the listing has branches: {code:#?}");
    }
}

/// The hello program with `lines` inserted before its verdict.
fn hello_with(session: &Session, lines: &str) -> (String, String) {
    let program = session.programs()[0].clone();
    let source = program
        .source
        .replace("    debug_exit DEBUG_EXIT_SUCCESS", &format!("{lines}\n    debug_exit DEBUG_EXIT_SUCCESS"));
    assert_ne!(source, program.source, "hello.asm ends with its verdict");
    (program.file, source)
}

#[test]
fn enter_kdebug_stops_a_run_like_a_breakpoint_and_running_again_continues() {
    let mut session = session("hello", CpuChoice::I486);
    let (file, source) = hello_with(&session, "    enter_kdebug \"look here\"");
    session.set_program(&file, &source);
    assert!(!session.run_slice(50_000_000), "the run stops at enter_kdebug");
    let status = session.status();
    assert!(status.stop.contains("in the kernel debugger") && status.stop.contains("r continues"), "{}", status.stop);
    assert!(session.console().contains("--- look here ---"), "{}", session.console());
    assert!(!session.console().contains("goes on"), "the explorer is not headless: {}", session.console());
    assert!(!status.state.contains("exited"), "not at the end yet: {}", status.state);
    let mut slices = 0;
    while session.run_slice(1_000_000) {
        slices += 1;
        assert!(slices < 1000, "the run does not end");
    }
    assert_eq!(session.status().stop, "the program ended: success (verdict 0x10)");
}

#[test]
fn a_thread_removed_for_an_unhandled_exception_is_named_in_the_status() {
    let mut session = session("hello", CpuChoice::I486);
    let (file, source) = hello_with(&session, "at_rdtsc:\n    rdtsc");
    session.set_program(&file, &source);
    let mut slices = 0;
    while session.run_slice(1_000_000) {
        slices += 1;
        assert!(slices < 1000, "the run does not end");
    }
    let stop = session.status().stop;
    assert!(
        stop.starts_with("unhandled exception #UD (invalid opcode) in thread 04040001 at eip 004")
            && stop.contains(": the thread is removed; every other thread waits"),
        "{stop}"
    );
    assert!(
        session.console().contains(&format!("--- {} ---", stop.split(';').next().unwrap())),
        "the console says it in the same words"
    );
}

/// The event log with machine events: every row has its text (kernel and
/// machine events are kept as logged and written when shown), machine
/// events among them, in order, and the same after a step back and forth
/// (an interrupt request replayed from a snapshot once carried cycle 0: the
/// snapshot dropped the events' clock).
#[test]
fn the_event_log_with_machine_events_shows_every_event_in_words() {
    let mut session = session("ping-pong", CpuChoice::I486);
    while session.status().instructions < 20_000 {
        session.run_slice(1_000);
    }
    let query = EventQuery { machine: true, limit: 300, ..EventQuery::default() };
    let events = session.events(&query);
    assert!(events.len() > 200, "{} events", events.len());
    assert!(events.iter().all(|event| !event.text.is_empty()), "a row without words");
    assert!(events.iter().any(|event| event.source == "machine" && event.text.starts_with("tlb-")), "no TLB event");
    assert!(events.iter().any(|event| event.source == "kernel"), "no kernel event");
    assert!(events.windows(2).all(|pair| pair[0].index < pair[1].index), "out of order");
    let kinds: Vec<&str> = events.iter().map(|event| event.kind).collect();
    assert!(events.iter().zip(&kinds).all(|(event, kind)| event.text.starts_with(kind)), "text and kind disagree");
    session.reverse_step();
    session.step_instruction();
    let again = session.events(&query);
    let first = again.iter().zip(&events).position(|(now, before)| now != before);
    assert!(
        first.is_none(),
        "a step back and forth changed the log: {:?}",
        first.map(|index| (&again[index], &events[index]))
    );
    assert_eq!(again.len(), events.len());
}
