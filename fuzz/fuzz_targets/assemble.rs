//! Any text as a source file (with l4.inc available): diagnostics or a program, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

const LIBRARY: &str = include_str!("../../scenarios/lib/l4.inc");

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let files = asm::MemoryFiles::new().with("fuzz.asm", &text).with("l4.inc", LIBRARY);
    // Sections of at most 64 KB: the limit's own error path is fuzzed, and
    // no input costs seconds (a `times` of 16 M copies under coverage).
    let options = asm::Options { max_section_bytes: 1 << 16, ..asm::Options::default() };
    if let Ok(program) = asm::assemble("fuzz.asm", &files, &options) {
        let _ = program.to_elf();
    }
});
