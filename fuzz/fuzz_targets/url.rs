//! Any text as the explorer's URL fragment (what a shared or hand-edited
//! link carries): a place and the words it did not understand, never a
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = web_ui::url::parse(&text);
});
