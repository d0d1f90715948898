//! Any text as a share link's lesson part (deflate + base64url): the
//! lesson's text or an error, never a panic, and never more than the
//! decoder's limit however well the input compresses.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(lesson) = lessons::link::decode(&text) {
        let _ = lessons::parse("link.md", &lesson);
    }
    let _ = lessons::link::decode_bytes(&text);
    // What a link carries comes back as it was.
    if text.len() <= 4096 {
        let encoded = lessons::link::encode(&text);
        assert_eq!(lessons::link::decode(&encoded).as_deref(), Ok(&*text), "a share link does not round-trip");
    }
});
