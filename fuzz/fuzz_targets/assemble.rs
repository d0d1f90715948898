//! Any text as a source file (with l4.inc available): diagnostics or a program, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

const LIBRARY: &str = include_str!("../../scenarios/lib/l4.inc");

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let files = asm::MemoryFiles::new().with("fuzz.asm", &text).with("l4.inc", LIBRARY);
    if let Ok(program) = asm::assemble("fuzz.asm", &files, &asm::Options::default()) {
        let _ = program.to_elf();
    }
});
