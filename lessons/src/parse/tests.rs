use super::*;
use crate::{Check, Cpu, Look, Target};

const LESSON: &str = r#"---
title: A short lesson
summary: One map, seen in the tree.
cpu: 486, pentium
threads:
  pager: 4.0
  client: 5.0
---

# A short lesson

The root task is the **pager**: it maps a page to its client.

## The client asks

The client sends its first message.

**Go:** ipc from client to pager

**Look:** timeline

**Predict:** Who runs next?

**Reveal:** The pager, because
the client waits for its answer.

**Check:** pager runs
**Check:** messages in this step = 1

## The page arrives

**Machine:** pentium

Text with a `code` word, and an example that is not a program:

```asm
mov eax, 1
```

**Go:** map of page to client

**Check:** client has page read-only from pager

## Programs

```asm file=map.asm
%include "l4.inc"
_start:
    int3
```

```asm file=extra.inc
; nothing
```
"#;

#[test]
fn a_whole_lesson_is_read() {
    let lesson = parse("short.md", LESSON).unwrap();
    assert_eq!(lesson.title, "A short lesson");
    assert_eq!(lesson.cpus, vec![Cpu::I486, Cpu::Pentium]);
    assert_eq!(lesson.threads.len(), 2);
    assert!(lesson.introduction.contains("**pager**"), "{}", lesson.introduction);
    assert!(!lesson.introduction.contains("# A short lesson"));
    assert_eq!(lesson.steps.len(), 2);

    let first = &lesson.steps[0];
    assert_eq!(first.title, "The client asks");
    assert_eq!(first.line, 14);
    assert_eq!(first.text, "The client sends its first message.");
    assert!(matches!(first.go.as_ref().map(|go| &go.value.target), Some(Target::Ipc { .. })));
    assert_eq!(first.go.as_ref().map(|go| go.line), Some(18));
    assert_eq!(first.look.as_ref().map(|look| look.value), Some(Look::Timeline));
    assert_eq!(first.predict.as_deref(), Some("Who runs next?"));
    assert_eq!(first.reveal.as_deref(), Some("The pager, because\nthe client waits for its answer."));
    assert_eq!(first.checks.len(), 2);
    assert_eq!(first.checks[1].line, 28);
    assert!(matches!(first.checks[1].value, Check::Count { .. }));

    let second = &lesson.steps[1];
    assert!(second.text.contains("```asm\nmov eax, 1\n```"), "{}", second.text);
    assert_eq!(lesson.machine_at(0), (Cpu::I486, false));
    assert_eq!(lesson.machine_at(1), (Cpu::Pentium, false));
    assert_eq!(lesson.boot_step(0), None);
    assert_eq!(lesson.boot_step(1), Some(1));

    assert_eq!(lesson.programs.len(), 2);
    assert_eq!(lesson.programs[0].file, "map.asm");
    assert_eq!(lesson.programs[0].source, "%include \"l4.inc\"\n_start:\n    int3\n");
    assert_eq!(lesson.programs[0].first_line, 47);
    assert_eq!(&LESSON.lines().nth(46).unwrap(), &"%include \"l4.inc\"");
}

#[test]
fn bad_lessons_get_every_error_with_its_line_and_a_hint() {
    let broken = "---\ntitle: Broken\ncolour: red\n---\n\n**Go:** ipc\n\n## One\n\n**Goo:** ipc\n\n**Go:** dance\n\n**Check:** ping has\n\n**Predict:** What?\n\n## Programs\n\n```asm\nnop\n```\n";
    let errors = parse("broken.md", broken).unwrap_err();
    let lines: Vec<usize> = errors.list.iter().map(|error| error.line).collect();
    assert_eq!(lines, vec![0, 3, 6, 8, 10, 12, 14, 20], "{}", errors.render());
    let rendered = errors.render();
    assert!(rendered.contains("broken.md:10: error: unknown step key `Goo`"), "{rendered}");
    assert!(rendered.contains("hint: the keys are Go, Look"), "{rendered}");
    assert!(rendered.contains("broken.md:3: error: unknown front-matter key `colour`"), "{rendered}");
    assert!(rendered.contains("reveals nothing"), "{rendered}");
    assert!(rendered.contains("no file name"), "{rendered}");
    assert!(rendered.ends_with("8 errors in broken.md\n"), "{rendered}");
}

#[test]
fn bold_prose_without_a_colon_is_text_and_empty_files_say_what_is_missing() {
    let lesson = parse(
        "prose.md",
        "# Prose\n\n## One\n\n**Notice** the tree.\n\nA **bold:** word inside.\n\n**A question to take away:** why?\n\n## Programs\n\n```asm file=a.asm\nnop\n```\n",
    )
    .unwrap();
    assert!(lesson.steps[0].text.contains("**Notice** the tree."));
    assert!(lesson.steps[0].text.contains("A **bold:** word inside."));
    assert!(lesson.steps[0].text.contains("**A question to take away:** why?"), "bold words with a colon are prose");
    let errors = parse("empty.md", "").unwrap_err().render();
    assert!(errors.contains("no title") && errors.contains("no steps") && errors.contains("no program"), "{errors}");
}
