//! Any bytes as an ELF file: the loader must return an error or a valid image, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(image) = asm::loader::Image::parse(data) {
        for segment in image.segments() {
            let _ = (segment.data.len(), segment.end());
        }
        let _ = image.symbols().count();
    }
});
