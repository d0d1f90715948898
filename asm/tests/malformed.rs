//! Hostile input never panics: truncated and corrupted ELF files give a
//! clear error, and random source text gives diagnostics.
#![allow(clippy::unwrap_used)] // test support code: a failed unwrap is a failed test

use asm::loader::{Image, LoadError};
use asm::{MemoryFiles, Options, assemble};

fn valid_elf() -> Vec<u8> {
    let source = "\
section .text
_start: mov eax, [value]
        ret
section .data
value: dd 7
section .bss
space: resb 100
";
    assemble("p.asm", &MemoryFiles::new().with("p.asm", source), &Options::default()).unwrap().to_elf().unwrap()
}

struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Parse, and if that succeeds, walk everything a loader would touch.
fn exercise(bytes: &[u8]) -> Result<usize, LoadError> {
    let image = Image::parse(bytes)?;
    let mut total = 0;
    for segment in image.segments() {
        total += segment.data.len() + segment.memory_size as usize;
    }
    total += image.symbols().count();
    let _ = image.extent();
    Ok(total)
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    let elf = valid_elf();
    assert!(exercise(&elf).is_ok());
    for length in 0..elf.len() {
        // Cut inside the program headers or a segment's data must fail; cuts in
        // the section tables may still load (symbols are optional).
        let outcome = exercise(&elf[..length]);
        if length < 0x1000 + 1 {
            assert!(outcome.is_err(), "a file cut at {length} bytes was accepted");
        }
    }
}

#[test]
fn random_corruption_never_panics() {
    let elf = valid_elf();
    let mut random = Random(0xE1F_5EED);
    let mut rejected = 0;
    for _ in 0..20_000 {
        let mut bytes = elf.clone();
        for _ in 0..(random.next() % 8 + 1) {
            // Mostly the headers (first 256 bytes), sometimes anywhere.
            let limit = if random.next().is_multiple_of(4) { bytes.len() } else { 256 };
            let position = (random.next() as usize) % limit;
            bytes[position] = random.next() as u8;
        }
        if exercise(&bytes).is_err() {
            rejected += 1;
        }
    }
    assert!(rejected > 1000, "corruption was rejected only {rejected} times");
}

fn header_field(bytes: &mut [u8], offset: usize, value: &[u8]) {
    bytes[offset..offset + value.len()].copy_from_slice(value);
}

#[test]
fn each_malformation_names_its_cause() {
    let elf = valid_elf();
    let check = |mutate: &dyn Fn(&mut Vec<u8>), expected: &dyn Fn(LoadError) -> bool, what: &str| {
        let mut bytes = elf.clone();
        mutate(&mut bytes);
        match Image::parse(&bytes) {
            Err(error) => {
                assert!(expected(error), "{what}: got {error:?}");
                assert!(!error.to_string().is_empty());
            }
            Ok(_) => panic!("{what}: accepted"),
        }
    };
    check(&|bytes| bytes[0] = b'X', &|error| error == LoadError::NotElf, "magic");
    check(&|bytes| bytes[4] = 2, &|error| error == LoadError::NotThirtyTwoBit, "class");
    check(&|bytes| bytes[5] = 2, &|error| error == LoadError::NotLittleEndian, "endianness");
    check(
        &|bytes| header_field(bytes, 18, &62u16.to_le_bytes()),
        &|error| error == LoadError::WrongMachine(62),
        "machine",
    );
    check(&|bytes| header_field(bytes, 16, &1u16.to_le_bytes()), &|error| error == LoadError::NotExecutable(1), "type");
    check(
        &|bytes| header_field(bytes, 28, &0xFFFF_0000u32.to_le_bytes()),
        &|error| error == LoadError::BadProgramHeaders,
        "phoff",
    );
    check(
        &|bytes| header_field(bytes, 24, &0x1234u32.to_le_bytes()),
        &|error| matches!(error, LoadError::EntryOutsideCode { entry: 0x1234 }),
        "entry",
    );
    let first_header = 52;
    // Segment 0's file size beyond the file.
    check(
        &|bytes| header_field(bytes, first_header + 16, &0x0100_0000u32.to_le_bytes()),
        &|error| {
            matches!(error, LoadError::SegmentOutsideFile { index: 0 } | LoadError::FileLargerThanMemory { index: 0 })
        },
        "filesz",
    );
    // A huge memory size.
    check(
        &|bytes| header_field(bytes, first_header + 20, &0x8000_0000u32.to_le_bytes()),
        &|error| matches!(error, LoadError::SegmentTooLarge { index: 0, .. }),
        "memsz",
    );
    // Segment 1 moved onto segment 0.
    check(
        &|bytes| header_field(bytes, first_header + 32 + 8, &0x0040_0000u32.to_le_bytes()),
        &|error| matches!(error, LoadError::SegmentsOverlap { first: 0, second: 1 }),
        "overlap",
    );
    // A segment at the top of memory that wraps.
    check(
        &|bytes| header_field(bytes, first_header + 64 + 8, &0xFFFF_FFF0u32.to_le_bytes()),
        &|error| matches!(error, LoadError::SegmentWraps { index: 2 }),
        "wrap",
    );
    // No loadable segment at all.
    check(
        &|bytes| {
            for index in 0..3 {
                header_field(bytes, first_header + 32 * index, &6u32.to_le_bytes())
            }
        },
        &|error| error == LoadError::NoLoadableSegments,
        "no PT_LOAD",
    );
    // Too many program headers.
    check(
        &|bytes| header_field(bytes, 44, &200u16.to_le_bytes()),
        &|error| matches!(error, LoadError::TooManySegments(200) | LoadError::BadProgramHeaders),
        "phnum",
    );
}

#[test]
fn random_source_text_gives_diagnostics_not_panics() {
    let words = [
        "mov",
        "eax",
        "[",
        "]",
        "+",
        "*",
        ",",
        ":",
        "label",
        ".local",
        "%macro",
        "%endmacro",
        "%define",
        "%1",
        "%%x",
        "db",
        "dd",
        "times",
        "equ",
        "$",
        "$$",
        "section",
        ".text",
        ".bss",
        "0x10",
        "-",
        "(",
        ")",
        "'a'",
        "\"str",
        "jmp",
        "short",
        "dword",
        "byte",
        "push",
        "pop",
        "rep",
        "movsb",
        "lea",
        "esp",
        "ebp",
        "4",
        "/",
        "0",
        "%include",
        "align",
        "org",
        "<<",
        ">>",
        "~",
        "&",
        "|",
        "^",
        "%",
        "\n",
        "\n",
        "\n",
    ];
    let mut random = Random(0x50_0FCE);
    for _ in 0..3000 {
        let count = random.next() % 40;
        let mut source = String::new();
        for _ in 0..count {
            source.push_str(words[(random.next() % words.len() as u64) as usize]);
            source.push(' ');
        }
        let files = MemoryFiles::new().with("fuzz.asm", &source);
        match assemble("fuzz.asm", &files, &Options::default()) {
            Ok(program) => {
                let _ = program.to_elf();
            }
            Err(diagnostics) => {
                let rendered = diagnostics.render();
                assert!(rendered.contains("error"), "{rendered}");
            }
        }
    }
}
