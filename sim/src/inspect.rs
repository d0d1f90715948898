//! Looking at the system without touching it: page walks in software, user
//! memory of any space, disassembly with the programs' labels, page tables,
//! the VGA text screen. Nothing here charges cycles or fills a TLB: the
//! explorer must not change what it shows.

use crate::System;
use iced_x86::{Decoder, DecoderOptions, Formatter, NasmFormatter};

/// A present mapping found by walking a page directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation {
    pub physical: u32,
    pub writable: bool,
    pub user: bool,
    pub large: bool,
}

/// A run of pages mapped to consecutive frames with the same rights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MappedRange {
    pub virtual_start: u32,
    /// One past the last byte.
    pub virtual_end: u64,
    pub physical_start: u32,
    pub writable: bool,
    pub user: bool,
    pub large: bool,
}

/// One disassembled instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disassembled {
    pub address: u32,
    pub bytes: Vec<u8>,
    pub text: String,
    /// The label at this address, if the program has one.
    pub label: Option<String>,
}

/// A label of a loaded program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub address: u32,
    pub name: String,
}

impl System {
    fn physical_u32(&self, address: u32) -> u32 {
        self.machine().memory.read_u32(address)
    }

    /// Translate `linear` through the page directory at `directory`.
    pub fn walk(&self, directory: u32, linear: u32) -> Option<Translation> {
        let directory_entry = self.physical_u32((directory & !0xFFF) + (linear >> 22) * 4);
        if directory_entry & 1 == 0 {
            return None;
        }
        if directory_entry & 0x80 != 0 && self.machine().model() == crate::CpuModel::Pentium {
            return Some(Translation {
                physical: (directory_entry & 0xFFC0_0000) | (linear & 0x003F_FFFF),
                writable: directory_entry & 2 != 0,
                user: directory_entry & 4 != 0,
                large: true,
            });
        }
        let table_entry = self.physical_u32((directory_entry & !0xFFF) + ((linear >> 12) & 0x3FF) * 4);
        if table_entry & 1 == 0 {
            return None;
        }
        Some(Translation {
            physical: (table_entry & !0xFFF) | (linear & 0xFFF),
            writable: directory_entry & table_entry & 2 != 0,
            user: directory_entry & table_entry & 4 != 0,
            large: false,
        })
    }

    /// Read `length` bytes at `linear` in the space of `directory`; unmapped
    /// bytes are `None`.
    pub fn read_linear(&self, directory: u32, linear: u32, length: usize) -> Vec<Option<u8>> {
        (0..length as u32)
            .map(|offset| {
                let address = linear.wrapping_add(offset);
                self.walk(directory, address).map(|translation| self.machine().memory.read_u8(translation.physical))
            })
            .collect()
    }

    /// The present entries of a page directory: (index, entry).
    pub fn directory_entries(&self, directory: u32) -> Vec<(u32, u32)> {
        (0..1024)
            .map(|index| (index, self.physical_u32((directory & !0xFFF) + index * 4)))
            .filter(|(_, entry)| entry & 1 != 0)
            .collect()
    }

    /// The present entries of a page table: (index, entry).
    pub fn table_entries(&self, table: u32) -> Vec<(u32, u32)> {
        (0..1024)
            .map(|index| (index, self.physical_u32((table & !0xFFF) + index * 4)))
            .filter(|(_, entry)| entry & 1 != 0)
            .collect()
    }

    /// The user part of a space, as runs of pages (below `limit`).
    pub fn mapped_ranges(&self, directory: u32, limit: u32) -> Vec<MappedRange> {
        let mut ranges: Vec<MappedRange> = Vec::new();
        let mut add = |virtual_start: u32, size: u32, physical_start: u32, writable: bool, user: bool, large: bool| {
            if let Some(last) = ranges.last_mut()
                && last.virtual_end == virtual_start as u64
                && last.physical_start as u64 + (last.virtual_end - last.virtual_start as u64) == physical_start as u64
                && last.writable == writable
                && last.user == user
                && last.large == large
            {
                last.virtual_end += size as u64;
                return;
            }
            ranges.push(MappedRange {
                virtual_start,
                virtual_end: virtual_start as u64 + size as u64,
                physical_start,
                writable,
                user,
                large,
            });
        };
        for (index, directory_entry) in self.directory_entries(directory) {
            let base = index << 22;
            if base >= limit {
                break;
            }
            if directory_entry & 0x80 != 0 && self.machine().model() == crate::CpuModel::Pentium {
                add(
                    base,
                    1 << 22,
                    directory_entry & 0xFFC0_0000,
                    directory_entry & 2 != 0,
                    directory_entry & 4 != 0,
                    true,
                );
                continue;
            }
            for (table_index, entry) in self.table_entries(directory_entry) {
                add(
                    base | (table_index << 12),
                    4096,
                    entry & !0xFFF,
                    directory_entry & entry & 2 != 0,
                    directory_entry & entry & 4 != 0,
                    false,
                );
            }
        }
        ranges
    }

    /// The labels of every loaded program, by address.
    pub fn labels(&self) -> Vec<Label> {
        let mut labels = Vec::new();
        for module in self.modules() {
            let Ok(image) = asm::loader::Image::parse(&module.elf) else { continue };
            let (low, high) = image.extent();
            for symbol in image.symbols() {
                // Constants (`equ`) are not places in the program.
                if symbol.address < low || symbol.address >= high {
                    continue;
                }
                if let Ok(name) = core::str::from_utf8(symbol.name) {
                    labels.push(Label { address: symbol.address, name: name.to_string() });
                }
            }
        }
        labels.sort_by_key(|label| label.address);
        labels
    }

    /// `count` instructions starting at the nearest label at or before
    /// `eip` (within 256 bytes), or at `eip`, in the space of `directory`,
    /// with the window moved so that `eip` is included. Addresses, branch
    /// targets and labels are the thread's own, relative to its code
    /// segment's `base` (0 in a large space; a small space's base there),
    /// as the ELF symbols are; the bytes are read at `base + address`.
    pub fn disassemble(&self, directory: u32, base: u32, eip: u32, count: usize) -> Vec<Disassembled> {
        let labels = self.labels();
        let start = labels
            .iter()
            .rev()
            .find(|label| label.address <= eip && eip - label.address <= 256)
            .map_or(eip, |label| label.address);
        let window = 16 * (count + 64);
        let bytes: Vec<u8> =
            self.read_linear(directory, base.wrapping_add(start), window).into_iter().map_while(|byte| byte).collect();
        // Decoded at the thread's own addresses, so that branch targets are too.
        let mut decoder = Decoder::with_ip(32, &bytes, start as u64, DecoderOptions::NONE);
        let mut formatter = NasmFormatter::new();
        formatter.options_mut().set_space_after_operand_separator(true);
        let mut lines = Vec::new();
        while decoder.can_decode() {
            let instruction = decoder.decode();
            let address = instruction.ip32();
            let offset = (address - start) as usize;
            let mut text = String::new();
            if instruction.is_invalid() {
                text.push_str("(bytes that are no instruction)");
            } else {
                formatter.format(&instruction, &mut text);
            }
            let label = labels.iter().find(|label| label.address == address).map(|label| label.name.clone());
            lines.push(Disassembled {
                address,
                bytes: bytes[offset..offset + instruction.len()].to_vec(),
                text,
                label,
            });
            // Keep `eip` inside the window: drop from the front when it is far behind.
            if lines.len() > count && lines.iter().position(|line| line.address >= eip).is_some_and(|at| at > count / 2)
            {
                lines.remove(0);
            }
            if lines.len() >= count && lines.iter().any(|line| line.address >= eip) {
                break;
            }
        }
        lines
    }

    /// The VGA text screen (80 × 25 cells at 0xB8000): (character, attribute).
    pub fn vga_text(&self) -> Vec<(u8, u8)> {
        (0..80 * 25u32)
            .map(|cell| {
                let address = 0xB8000 + cell * 2;
                (self.machine().memory.read_u8(address), self.machine().memory.read_u8(address + 1))
            })
            .collect()
    }
}

/// One assembly error, for an editor to show at its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramError {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub length: u32,
    pub message: String,
    pub hint: Option<String>,
}

/// Assemble one source with the library; on failure, every error with its place.
pub fn assemble_detailed(file: &str, source: &str) -> Result<Vec<u8>, Vec<ProgramError>> {
    assemble_detailed_with(file, &[(file, source)])
}

/// Assemble `file`, one of `sources` (which it may `%include`, as it may the
/// library); on failure, every error with its place.
pub fn assemble_detailed_with(file: &str, sources: &[(&str, &str)]) -> Result<Vec<u8>, Vec<ProgramError>> {
    assemble_with_lines(file, sources).map(|(elf, _)| elf)
}

/// Which source line made an instruction's bytes: in the program's own
/// files (a macro's bytes are the line that used the macro).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    pub address: u32,
    pub length: u32,
    pub file: String,
    pub line: u32,
}

/// Assemble `file` (one of `sources`) and say which line made which bytes
/// (every line, in the assembler's order; those that made none have length 0).
pub fn assemble_with_lines(
    file: &str,
    sources: &[(&str, &str)],
) -> Result<(Vec<u8>, Vec<SourceLine>), Vec<ProgramError>> {
    let files = crate::scenarios::files_with(sources);
    let program = asm::assemble(file, &files, &asm::Options::default()).map_err(|diagnostics| {
        diagnostics
            .list
            .iter()
            .map(|diagnostic| ProgramError {
                file: diagnostics.sources.name(diagnostic.span.file).to_string(),
                line: diagnostic.span.line,
                column: diagnostic.span.column,
                length: diagnostic.span.length,
                message: diagnostic.message.clone(),
                hint: diagnostic.hint.clone(),
            })
            .collect::<Vec<_>>()
    })?;
    let elf = program.to_elf().map_err(|error| {
        vec![ProgramError { file: file.to_string(), line: 0, column: 0, length: 0, message: error, hint: None }]
    })?;
    let lines = program
        .lines
        .iter()
        .map(|line| {
            let (file, number) = line.invoked_from.clone().unwrap_or_else(|| (line.file.clone(), line.line));
            SourceLine { address: line.address, length: line.length, file, line: number }
        })
        .collect();
    Ok((elf, lines))
}
