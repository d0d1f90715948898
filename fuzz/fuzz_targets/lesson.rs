//! Any text as a lesson file (what "Open a lesson file…" and `cargo xtask
//! run --lesson FILE` read): a lesson or its list of mistakes, never a
//! panic; and a parsed lesson's text renders to HTML.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(lesson) = lessons::parse("fuzz.md", &text) {
        let _ = lesson.cpu();
    }
    let _ = lessons::html::to_html(&text);
});
