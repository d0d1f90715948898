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

#[test]
fn kernel_instructions_and_cache_misses_are_counted_in_a_step() {
    // One id_nearest between two gos: the kernel ran exactly its path's
    // measured instructions (the fast id_nearest: the caller asks for
    // itself), and the cold caches missed since boot.
    let small = crate::KernelCosts::built_in(crate::CpuModel::I486)
        .cost(kernel::cost::Path::SmallFast)
        .map_or(0, |cost| cost.instructions);
    assert!(small > 0, "the calibration table has the small-fast path");
    let text = format!(
        "---\ntitle: Null call\n---\n\n## Before\n\n**Go:** instruction null_call\n\n## The call\n\n\
         **Go:** instruction after_null\n\n**Check:** kernel instructions in this step = {small}\n\n\
         **Check:** kernel entries in this step = 1\n\n**Check:** cache misses > 0\n\n## Programs\n\n\
         ```asm file=null.asm\n%include \"l4.inc\"\n_start:\n    xor esi, esi\nnull_call:\n    int 0x31\n\
         after_null:\n    jmp after_null\n```\n"
    );
    let prepared = prepare("null.md", &text).unwrap_or_else(|errors| panic!("{}", errors.render()));
    let reports = walk(&prepared, |_, _| {}).unwrap();
    assert!(reports.iter().all(StepReport::passed), "{reports:?}");
    let (_, _, outcome) = &reports[1].checks[0];
    assert_eq!(outcome.found, format!("kernel instructions in this step: {small}"));
}

#[test]
fn the_tlb_holds_a_page_until_its_mapping_goes() {
    // The root task writes its page (the TLB caches the translation), then
    // flushes its own mapping: the kernel invalidates the entry.
    let text = "---\ntitle: TLB\n---\n\n## Written\n\n**Go:** instruction flush\n\n\
                **Check:** the tlb holds page writable\n\n**Check:** the tlb holds page\n\n\
                **Check:** the tlb holds page read-only\n\n## Flushed\n\n**Go:** instruction flushed\n\n\
                **Check:** the tlb does not hold page\n\n**Check:** the tlb holds page\n\n## Programs\n\n\
                ```asm file=tlb.asm\n%include \"l4.inc\"\n_start:\n    mov dword [page], 1\nflush:\n\
                \x20   mov eax, page | (12 << 2)\n    mov ecx, L4_FP_FLUSH_PAGE | L4_FP_ALL_SPACES\n    int 0x32\n\
                flushed:\n    jmp flushed\nsection .data\nalign 4096\npage: dd 0\n```\n";
    let prepared = prepare("tlb.md", text).unwrap_or_else(|errors| panic!("{}", errors.render()));
    let reports = walk(&prepared, |_, _| {}).unwrap();
    let met: Vec<Vec<bool>> =
        reports.iter().map(|report| report.checks.iter().map(|(_, _, outcome)| outcome.met).collect()).collect();
    assert_eq!(met, vec![vec![true, true, false], vec![true, false]], "{reports:?}");
    let (_, _, written) = &reports[0].checks[0];
    assert!(written.found.contains("holds frame") && written.found.ends_with("writable"), "{}", written.found);
    let (_, _, flushed) = &reports[1].checks[0];
    assert!(flushed.found.starts_with("no TLB holds frame"), "{}", flushed.found);
}
