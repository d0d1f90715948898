//! The ELF32 i386 loader: `no_std`, no allocator, for the native image's
//! boot path as much as for the simulator and the explorer.
//!
//! Everything read from the file is checked before it is trusted: a
//! truncated or hostile file gives a [`LoadError`] that says what is wrong,
//! never a panic and never a read outside the file.

use core::fmt;
use object::LittleEndian as Le;
use object::elf::{self, FileHeader32, ProgramHeader32};
use object::read::elf::{FileHeader, ProgramHeader, Sym};

/// At most this many program headers are accepted.
pub const MAX_SEGMENTS: usize = 64;
/// No segment may be larger than this in memory (256 MB).
pub const MAX_SEGMENT_SIZE: u32 = 256 << 20;

/// Why a file cannot be loaded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LoadError {
    /// Not an ELF file (wrong magic) or shorter than its header.
    NotElf,
    /// ELF, but 64-bit.
    NotThirtyTwoBit,
    /// ELF, but big-endian.
    NotLittleEndian,
    /// Built for another machine (e_machine).
    WrongMachine(u16),
    /// Not an executable (e_type: 1 relocatable, 3 shared object, 4 core).
    NotExecutable(u16),
    /// The program header table lies outside the file or is malformed.
    BadProgramHeaders,
    TooManySegments(usize),
    NoLoadableSegments,
    /// Segment `index`'s file data lies outside the file.
    SegmentOutsideFile {
        index: usize,
    },
    /// Segment `index` has more file bytes than memory bytes.
    FileLargerThanMemory {
        index: usize,
    },
    /// Segment `index` is larger than MAX_SEGMENT_SIZE.
    SegmentTooLarge {
        index: usize,
        size: u32,
    },
    /// Segment `index` wraps past the top of the address space.
    SegmentWraps {
        index: usize,
    },
    /// Two loadable segments overlap in memory.
    SegmentsOverlap {
        first: usize,
        second: usize,
    },
    /// The entry point lies in no executable segment.
    EntryOutsideCode {
        entry: u32,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::NotElf => write!(formatter, "not an ELF file (no \\x7fELF header, or the file is too short)"),
            LoadError::NotThirtyTwoBit => write!(formatter, "a 64-bit ELF file: programs must be ELF32 i386"),
            LoadError::NotLittleEndian => {
                write!(formatter, "a big-endian ELF file: programs must be little-endian i386")
            }
            LoadError::WrongMachine(machine) => {
                write!(formatter, "built for machine {machine} (e_machine), not i386 (3)")
            }
            LoadError::NotExecutable(kind) => {
                let what = match kind {
                    1 => "a relocatable object (link it first)",
                    3 => "a shared object",
                    4 => "a core dump",
                    _ => "not an executable",
                };
                write!(formatter, "{what} (e_type {kind}); the loader takes statically linked executables")
            }
            LoadError::BadProgramHeaders => {
                write!(formatter, "the program header table lies outside the file or has a wrong entry size")
            }
            LoadError::TooManySegments(count) => {
                write!(formatter, "{count} program headers; at most {MAX_SEGMENTS} are accepted")
            }
            LoadError::NoLoadableSegments => write!(formatter, "no PT_LOAD segment: nothing to load"),
            LoadError::SegmentOutsideFile { index } => {
                write!(formatter, "segment {index}'s data lies beyond the end of the file (truncated?)")
            }
            LoadError::FileLargerThanMemory { index } => {
                write!(formatter, "segment {index} has more file bytes than memory bytes")
            }
            LoadError::SegmentTooLarge { index, size } => {
                write!(formatter, "segment {index} is {size} bytes in memory; at most {MAX_SEGMENT_SIZE} are accepted")
            }
            LoadError::SegmentWraps { index } => {
                write!(formatter, "segment {index} wraps past the top of the 4 GB address space")
            }
            LoadError::SegmentsOverlap { first, second } => {
                write!(formatter, "segments {first} and {second} overlap in memory")
            }
            LoadError::EntryOutsideCode { entry } => {
                write!(formatter, "the entry point {entry:#x} lies in no executable segment")
            }
        }
    }
}

/// A loadable segment.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Segment<'data> {
    pub address: u32,
    /// Bytes from the file (the rest of `memory_size` is zero).
    pub data: &'data [u8],
    pub memory_size: u32,
    pub writable: bool,
    pub executable: bool,
}

impl Segment<'_> {
    /// One past the last byte in memory.
    pub fn end(&self) -> u32 {
        self.address.wrapping_add(self.memory_size)
    }
}

/// A symbol from the file's symbol table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ImageSymbol<'data> {
    pub name: &'data [u8],
    pub address: u32,
    pub is_function: bool,
}

/// A validated ELF32 i386 executable.
#[derive(Clone, Copy, Debug)]
pub struct Image<'data> {
    data: &'data [u8],
    header: &'data FileHeader32<Le>,
    program_headers: &'data [ProgramHeader32<Le>],
}

impl<'data> Image<'data> {
    /// Check everything the loader will rely on.
    pub fn parse(data: &'data [u8]) -> Result<Self, LoadError> {
        if data.len() < 16 || &data[..4] != b"\x7fELF" {
            return Err(LoadError::NotElf);
        }
        // e_ident[EI_CLASS] = 1: 32-bit; e_ident[EI_DATA] = 1: little-endian.
        if data[4] != 1 {
            return Err(LoadError::NotThirtyTwoBit);
        }
        if data[5] != 1 {
            return Err(LoadError::NotLittleEndian);
        }
        let header = FileHeader32::<Le>::parse(data).map_err(|_| LoadError::NotElf)?;
        let endian = Le;
        let machine = header.e_machine(endian);
        if machine != elf::EM_386 {
            return Err(LoadError::WrongMachine(machine.0));
        }
        let kind = header.e_type(endian);
        if kind != elf::ET_EXEC {
            return Err(LoadError::NotExecutable(kind.0));
        }
        let program_headers = header.program_headers(endian, data).map_err(|_| LoadError::BadProgramHeaders)?;
        if program_headers.len() > MAX_SEGMENTS {
            return Err(LoadError::TooManySegments(program_headers.len()));
        }
        let image = Self { data, header, program_headers };
        let mut loadable = 0;
        for (index, program_header) in program_headers.iter().enumerate() {
            if program_header.p_type(endian) != elf::PT_LOAD {
                continue;
            }
            loadable += 1;
            let file_size = program_header.p_filesz(endian);
            let memory_size = program_header.p_memsz(endian);
            let offset = program_header.p_offset(endian);
            if (offset as u64) + (file_size as u64) > data.len() as u64 {
                return Err(LoadError::SegmentOutsideFile { index });
            }
            if file_size > memory_size {
                return Err(LoadError::FileLargerThanMemory { index });
            }
            if memory_size > MAX_SEGMENT_SIZE {
                return Err(LoadError::SegmentTooLarge { index, size: memory_size });
            }
            if program_header.p_vaddr(endian).checked_add(memory_size).is_none() {
                return Err(LoadError::SegmentWraps { index });
            }
        }
        if loadable == 0 {
            return Err(LoadError::NoLoadableSegments);
        }
        // Overlaps between loadable segments (n ≤ 64, so pairwise is fine).
        for (first, a) in image.indexed_segments() {
            for (second, b) in image.indexed_segments() {
                if second > first
                    && a.memory_size > 0
                    && b.memory_size > 0
                    && a.address < b.end()
                    && b.address < a.end()
                {
                    return Err(LoadError::SegmentsOverlap { first, second });
                }
            }
        }
        let entry = image.entry();
        if !image.segments().any(|segment| segment.executable && (segment.address..segment.end()).contains(&entry)) {
            return Err(LoadError::EntryOutsideCode { entry });
        }
        Ok(image)
    }

    pub fn entry(&self) -> u32 {
        self.header.e_entry(Le)
    }

    fn indexed_segments(&self) -> impl Iterator<Item = (usize, Segment<'data>)> + '_ {
        let data = self.data;
        self.program_headers.iter().enumerate().filter(|(_, header)| header.p_type(Le) == elf::PT_LOAD).map(
            move |(index, header)| {
                let offset = header.p_offset(Le) as usize;
                let size = header.p_filesz(Le) as usize;
                let flags = header.p_flags(Le);
                (
                    index,
                    Segment {
                        address: header.p_vaddr(Le),
                        // Checked in `parse`: the range lies inside the file.
                        data: data.get(offset..offset + size).unwrap_or(&[]),
                        memory_size: header.p_memsz(Le),
                        writable: flags.0 & elf::PF_W.0 != 0,
                        executable: flags.0 & elf::PF_X.0 != 0,
                    },
                )
            },
        )
    }

    /// The loadable segments.
    pub fn segments(&self) -> impl Iterator<Item = Segment<'data>> + '_ {
        self.indexed_segments().map(|(_, segment)| segment)
    }

    /// The lowest and one-past-highest address of all segments.
    pub fn extent(&self) -> (u32, u32) {
        let low = self.segments().map(|segment| segment.address).min().unwrap_or(0);
        let high = self.segments().map(|segment| segment.end()).max().unwrap_or(0);
        (low, high)
    }

    /// The symbols of the first symbol table, if the file has one. Malformed
    /// tables yield nothing rather than an error: symbols are only a help.
    pub fn symbols(&self) -> impl Iterator<Item = ImageSymbol<'data>> + '_ {
        let data = self.data;
        let table =
            self.header.sections(Le, data).ok().and_then(|sections| sections.symbols(Le, data, elf::SHT_SYMTAB).ok());
        let count = table.as_ref().map_or(0, |table| table.len());
        (0..count).filter_map(move |index| {
            let table = table.as_ref()?;
            let symbol = table.symbol(object::read::SymbolIndex(index)).ok()?;
            let name = symbol.name(Le, table.strings()).ok()?;
            let kind = symbol.st_type();
            if name.is_empty() || kind == elf::STT_SECTION || kind == elf::STT_FILE {
                return None;
            }
            Some(ImageSymbol { name, address: symbol.st_value(Le), is_function: kind == elf::STT_FUNC })
        })
    }
}
