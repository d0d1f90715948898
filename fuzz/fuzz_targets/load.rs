//! Any bytes as an ELF file, as the explorer's upload and the boot loaders
//! take it: the loader returns an error or an image whose every segment
//! lies inside the image's extent without wrapping around 4 GB (so the
//! placement check of the extent covers every byte that would be written),
//! with no more file bytes than memory bytes — never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(image) = asm::loader::Image::parse(data) else { return };
    let (low, high) = image.extent();
    for segment in image.segments() {
        assert!(segment.end() >= segment.address, "a segment wraps around 4 GB: {:#x}+{:#x}", segment.address, segment.memory_size);
        assert!(low <= segment.address && segment.end() <= high, "a segment lies outside the extent");
        assert!(segment.data.len() as u64 <= segment.memory_size as u64, "more file bytes than memory bytes");
    }
    // What the boot loaders decide next (16 MB, as the explorer's machine).
    let _ = kernel::boot_loader::check_module_placement(low, high, 16 << 20);
    let _ = image.symbols().count();
});
