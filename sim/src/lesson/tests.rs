use super::*;

#[test]
fn every_built_in_lesson_prepares() {
    for builtin in LESSONS {
        if let Err(errors) = prepare(builtin.file, builtin.text) {
            panic!("{}", errors.render());
        }
    }
}

#[test]
fn unknown_names_and_assembly_errors_are_placed_in_the_lesson() {
    let text = "---\ntitle: Broken\nthreads:\n  ping: 5.0\n---\n\n## One\n\n**Go:** ipc from pong to ping\n\n**Check:** ping has nowhere\n\n## Programs\n\n```asm file=broken.asm\n_start:\n    mov eax, ebx, ecx\n```\n";
    let errors = prepare("broken.md", text).unwrap_err();
    // Assembly errors come first: nothing can be resolved without the labels.
    assert_eq!(errors.list.len(), 1, "{}", errors.render());
    assert_eq!(errors.list[0].line, 17, "{}", errors.render());
    assert!(errors.list[0].message.starts_with("broken.asm:2:"), "{}", errors.render());

    let fixed = text.replace("mov eax, ebx, ecx", "int3");
    let errors = prepare("broken.md", &fixed).unwrap_err();
    let rendered = errors.render();
    assert_eq!(errors.list.iter().map(|error| error.line).collect::<Vec<_>>(), vec![9, 11], "{rendered}");
    assert!(rendered.contains("no thread is called `pong`"), "{rendered}");
    assert!(rendered.contains("the threads are") && rendered.contains("ping"), "{rendered}");
    assert!(rendered.contains("no program has a label `nowhere`"), "{rendered}");
}
