//! Lessons in a session: every step followed as a student would (`n`),
//! with each check met once its go has run; going back, switching the CPU
//! and opening at a step all arrive at the very moment the steps reach.
#![allow(clippy::unwrap_used)]

use wasm_bridge::{CpuChoice, LessonSource, Session, SessionConfig};

fn session() -> Session {
    Session::new(SessionConfig { scenario: "hello".into(), cpu: CpuChoice::I486, small_spaces: false }).unwrap()
}

/// A session following built-in lesson `name` on `cpu` to the moment the
/// go of its step `title` reached.
fn at_step(name: &str, cpu: CpuChoice, title: &str) -> Session {
    let mut session = session();
    session.open_lesson(LessonSource::Builtin(name.into()), Some(cpu)).unwrap();
    loop {
        session.lesson_next();
        let lesson = session.lesson().unwrap();
        let step = lesson.current.clone().unwrap();
        if lesson.went && step.title == title {
            return session;
        }
        assert!(step.index as usize + 1 < lesson.step_titles.len(), "{name} on {cpu:?}: no step `{title}`");
    }
}

fn open(name: &str) -> Session {
    let mut session = session();
    session.open_lesson(LessonSource::Builtin(name.into()), None).unwrap();
    session
}

/// Press `n` until the lesson's last step has run its go; at every step
/// whose go has run, every check must be met.
fn follow(session: &mut Session) -> Vec<(u32, u64)> {
    let mut reached = Vec::new();
    for _ in 0..100 {
        session.lesson_next();
        let lesson = session.lesson().unwrap();
        let step = lesson.current.clone().unwrap();
        if lesson.went {
            assert_eq!(lesson.problem, None, "step {}", step.title);
            for check in &step.checks {
                assert_eq!(check.met, Some(true), "step `{}`: `{}` — {}", step.title, check.text, check.found);
            }
            reached.push((step.index, session.position()));
            if step.index as usize + 1 == lesson.step_titles.len() {
                return reached;
            }
        } else {
            assert!(step.checks.iter().all(|check| check.met.is_none()), "checks wait for the go");
        }
    }
    panic!("the lesson did not end");
}

#[test]
fn every_built_in_lesson_is_followed_with_n_and_every_check_is_met_on_each_cpu() {
    for summary in wasm_bridge::lessons() {
        for cpu in &summary.cpus {
            let mut session = session();
            session.open_lesson(LessonSource::Builtin(summary.name.clone()), Some(*cpu)).unwrap();
            assert_eq!(session.status().cpu, *cpu);
            let reached = follow(&mut session);
            assert!(!reached.is_empty(), "{}", summary.name);
        }
    }
}

#[test]
fn going_back_and_opening_at_a_step_arrive_at_the_same_moment() {
    let mut session = open("ipc");
    let reached = follow(&mut session);
    let (index, position) = reached[3];
    let registers_then = {
        let mut again = open("ipc");
        again.lesson_go_to(Some(index as usize), true);
        assert_eq!(again.position(), position);
        again.cpu()
    };
    // Back from the last step to step 4, with p: two presses per step.
    let mut other = open("ipc");
    follow(&mut other);
    while other.lesson().unwrap().current.as_ref().map(|step| step.index) != Some(index)
        || !other.lesson().unwrap().went
    {
        other.lesson_previous();
    }
    assert_eq!(other.position(), position);
    assert_eq!(other.cpu(), registers_then);
    let lesson = other.lesson().unwrap();
    assert!(lesson.current.unwrap().checks.iter().all(|check| check.met == Some(true)));
    // One more p: the step's start, its checks not evaluated.
    other.lesson_previous();
    let lesson = other.lesson().unwrap();
    assert!(!lesson.went);
    assert!(other.position() < position);
}

#[test]
fn the_student_may_wander_and_n_comes_back_to_the_lesson_first() {
    let mut session = open("ipc");
    session.lesson_next();
    session.lesson_next();
    let position = session.position();
    for _ in 0..25 {
        session.step_instruction();
    }
    assert_ne!(session.position(), position);
    session.lesson_next(); // step 2 begins where step 1 left off
    session.lesson_next();
    let step = session.lesson().unwrap().current.unwrap();
    assert_eq!(step.index, 1);
    assert!(step.checks.iter().all(|check| check.met == Some(true)), "{:?}", step.checks);
}

#[test]
fn switching_the_cpu_keeps_the_step_and_its_checks() {
    let mut session = open("ipc");
    for _ in 0..4 {
        session.lesson_next();
    }
    let before = session.lesson().unwrap();
    session.reconfigure(CpuChoice::Pentium, false);
    let after = session.lesson().unwrap();
    assert_eq!(session.status().cpu, CpuChoice::Pentium);
    assert_eq!(after.cpu, CpuChoice::Pentium);
    assert_eq!(after.current.as_ref().map(|step| step.index), before.current.as_ref().map(|step| step.index));
    assert_eq!(after.went, before.went);
    assert!(after.current.unwrap().checks.iter().all(|check| check.met == Some(true)));
}

#[test]
fn a_broken_lesson_is_refused_with_its_errors_and_the_machine_goes_on() {
    let mut session = session();
    session.step_ipc();
    let position = session.position();
    let errors = session
        .open_lesson(
            LessonSource::File {
                file: "broken.md".into(),
                text: "# Broken\n\n## One\n\n**Goo:** ipc\n\n## Programs\n\n```asm file=a.asm\nnop\n```\n".into(),
            },
            None,
        )
        .unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].file.as_str(), errors[0].line), ("broken.md", 5));
    assert!(errors[0].hint.as_deref().unwrap_or("").contains("Go, Look"));
    assert_eq!(session.position(), position, "the running machine is kept");
    assert!(session.lesson().is_none());
}

#[test]
fn threads_are_named_in_the_event_log_and_by_the_lesson() {
    let mut session = open("ipc");
    session.lesson_next();
    session.lesson_next();
    let names = session.names();
    assert_eq!(names.thread(0x0405_0001), "ping");
    assert_eq!(names.thread(0x0405_0401), "echo");
    let events = session.events(&wasm_bridge::EventQuery { kind: Some("ipc".into()), limit: 5, ..Default::default() });
    let last = events.last().unwrap();
    assert!(last.text.contains("from=ping to=pong"), "{}", last.text);
    assert!(last.detail.contains("from=0x04050001"), "{}", last.detail);
}

#[test]
fn a_step_that_names_its_machine_says_which_cpu_it_runs_on() {
    // The small-spaces lesson chosen on the 486: its fifth step names the
    // Pentium, so the panel must say that step runs there, not on the 486.
    let mut session = session();
    session.open_lesson(LessonSource::Builtin("small-spaces".into()), Some(CpuChoice::I486)).unwrap();
    let mut seen = Vec::new();
    for _ in 0..30 {
        session.lesson_next();
        let lesson = session.lesson().unwrap();
        if lesson.current.as_ref().is_some_and(|step| step.index >= 5) {
            break;
        }
        assert_eq!(lesson.cpu, CpuChoice::I486, "the chosen CPU stays");
        assert_eq!(lesson.step_cpu, session.status().cpu, "the step's CPU is the one booted");
        seen.push(lesson.step_cpu);
    }
    assert_eq!(seen.first(), Some(&CpuChoice::I486));
    assert!(seen.contains(&CpuChoice::Pentium), "a step runs on the Pentium: {seen:?}");
}

/// Lesson 8 compares one IPC between spaces with the paper's 250 cycles: at
/// that step the latest message, which the explorer chooses when the step
/// opens the Costs view, is ping's to pong, and its own cost is the paper's
/// order — not the average of every IPC so far, which the maps of 64 page
/// faults make many times larger.
#[test]
fn the_message_a_costs_step_is_about_is_the_latest_and_costs_what_one_ipc_does() {
    for cpu in [CpuChoice::I486, CpuChoice::Pentium] {
        let session = at_step("numbers", cpu, "A message to another space");
        let message = session.latest_message().unwrap();
        let breakdown = session.ipc_breakdown_of(message).unwrap();
        assert!(breakdown.title.starts_with("the message from ping to pong"), "{cpu:?}: {}", breakdown.title);
        let average = session.ipc_breakdown_average().unwrap();
        assert!(breakdown.total < 400.0, "{cpu:?}: one IPC between spaces: {}", breakdown.total);
        assert!(average.total > 10.0 * breakdown.total, "{cpu:?}: the average {} with the maps", average.total);
    }
}

/// The small-spaces lesson ends looking at the costs after its program
/// ran to the end, where the newest message is sigma0's map to the root
/// task (16,000 cycles) after the root task's calls to sigma0: the message
/// chosen is the newest the fast path delivered, ping's or pong's, whose
/// cost is one IPC's.
#[test]
fn at_a_programs_end_the_message_a_costs_step_chooses_is_one_the_fast_path_delivered() {
    let session = at_step("small-spaces", CpuChoice::Pentium, "The Pentium with CR3 loads");
    let message = session.latest_message().unwrap();
    let breakdown = session.ipc_breakdown_of(message).unwrap();
    assert!(breakdown.title.starts_with("the message from p"), "{}", breakdown.title);
    assert!(breakdown.total < 400.0, "one IPC between spaces: {}", breakdown.total);
}

/// Lesson 8's TLB step says pong's code page is still in the 486's one TLB
/// after its loop has read 64 pages: the loop's jump fetches its code line
/// again at every turn, and that use keeps the page from being replaced
/// (the model once looked a line up only when the fetch moved on to
/// another, and the page was gone).
#[test]
fn after_pongs_64_pages_its_code_page_is_still_in_the_tlb() {
    for cpu in [CpuChoice::I486, CpuChoice::Pentium] {
        let session = at_step("numbers", cpu, "Refilling the TLB");
        let code_page = session.system().machine().cpu.eip & !0xFFF;
        let code_tlb = &session.tlbs()[0];
        let holding = code_tlb.entries.iter().filter(|entry| entry.valid && entry.page == code_page).count();
        assert_eq!(holding, 1, "{cpu:?}: {} holds pong's code page {code_page:#x}", code_tlb.name);
    }
}
