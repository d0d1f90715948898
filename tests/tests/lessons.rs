//! Every built-in lesson, followed step by step on the model on each CPU it
//! runs on: each go is reached and each check is met — so a lesson whose
//! text or program drifts from what the machine does fails here first.
#![allow(clippy::unwrap_used)]

use sim::lesson::{self, format::Cpu};

#[test]
fn every_built_in_lesson_is_followed_to_its_end_with_every_check_met() {
    let mut failures = Vec::new();
    for builtin in lesson::LESSONS {
        let prepared =
            lesson::prepare(builtin.file, builtin.text).unwrap_or_else(|errors| panic!("{}", errors.render()));
        for cpu in prepared.lesson.cpus.clone() {
            let mut on_cpu = prepared.clone();
            on_cpu.lesson.cpus.retain(|other| *other != cpu);
            on_cpu.lesson.cpus.insert(0, cpu);
            let reports = lesson::walk(&on_cpu, |_, _| {}).unwrap();
            assert_eq!(reports.len(), prepared.lesson.steps.len());
            for report in reports.iter().filter(|report| !report.passed()) {
                failures.push(format!(
                    "{} on the {}: step {} `{}`: {:?} {:?}",
                    builtin.name,
                    cpu.key(),
                    report.index + 1,
                    report.title,
                    report.reached,
                    report.checks.iter().filter(|(_, _, outcome)| !outcome.met).collect::<Vec<_>>()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_lesson_whose_check_does_not_hold_is_reported_with_what_the_machine_shows() {
    let builtin = lesson::find("ipc").unwrap();
    // The same lesson, with one check made false: the walk must say so.
    let text = builtin.text.replace("**Check:** pong runs", "**Check:** ping runs");
    let prepared = lesson::prepare(builtin.file, &text).unwrap();
    let reports = lesson::walk(&prepared, |_, _| {}).unwrap();
    let (sentence, _, outcome) = &reports[0].checks[0];
    assert_eq!(sentence, "ping runs");
    assert!(!outcome.met);
    assert_eq!(outcome.found, "ping is receiving");
    assert!(!reports[0].passed());
    assert_eq!(Cpu::parse("pentium"), Some(Cpu::Pentium));
}

#[test]
fn the_example_in_docs_lessons_runs_with_every_check_met() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let guide = std::fs::read_to_string(root.join("docs/LESSONS.md")).unwrap();
    let start = guide.find("````markdown\n").expect("docs/LESSONS.md has its example") + "````markdown\n".len();
    let end = start + guide[start..].find("\n````").unwrap();
    let prepared =
        lesson::prepare("one-page.md", &guide[start..end]).unwrap_or_else(|errors| panic!("{}", errors.render()));
    let reports = lesson::walk(&prepared, |_, _| {}).unwrap();
    assert!(reports.iter().all(|report| report.passed()), "{reports:?}");
}
