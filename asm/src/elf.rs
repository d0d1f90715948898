//! Writing the assembled program as an ELF32 i386 executable with
//! `object`'s ELF writer: one PT_LOAD per section (text R-X, data RW-,
//! bss RW- with memsz > filesz), section headers, and a symbol table so
//! the explorer can show labels in the disassembly.

use crate::assemble::Program;
use object::Endianness;
use object::elf;
use object::write::StringId;
use object::write::elf::{FileHeader, ProgramHeader, SectionHeader, Sym, Writer};

const PAGE: u64 = 4096;

/// Errors only if a table outgrows what ELF32 can address.
pub fn write(program: &Program) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let mut writer = Writer::new(Endianness::Little, false, &mut bytes);
    writer.reserve_file_header();
    writer.reserve_program_headers(program.sections.len() as u32);
    // Section contents, each at a file offset congruent to its address modulo the page size.
    let mut offsets = Vec::new();
    for section in &program.sections {
        let here = writer.reserved_len();
        let wanted = here + ((section.address as u64).wrapping_sub(here) % PAGE);
        writer.reserve_until(wanted);
        offsets.push(writer.reserve(section.bytes.len() as u64, 1));
    }
    writer.reserve_null_section_index();
    let section_names: Vec<StringId> =
        program.sections.iter().map(|section| writer.add_section_name(section.name.as_bytes())).collect();
    let section_indices: Vec<u32> = program.sections.iter().map(|_| writer.reserve_section_index().0).collect();
    writer.reserve_null_symbol_index();
    let symbol_names: Vec<StringId> =
        program.symbols.iter().map(|symbol| writer.add_string(symbol.name.as_bytes())).collect();
    // Local symbols first, as ELF requires.
    let mut order: Vec<usize> = (0..program.symbols.len()).collect();
    order.sort_by_key(|index| program.symbols[*index].global);
    for index in &order {
        let section = program.symbols[*index]
            .section
            .and_then(|name| program.sections.iter().position(|section| section.name == name));
        writer
            .reserve_symbol_index(section.map(|position| object::write::elf::SectionIndex(section_indices[position])));
    }
    writer.reserve_symtab();
    writer.reserve_symtab_section_index();
    writer.reserve_strtab().map_err(|error| error.to_string())?;
    writer.reserve_strtab_section_index();
    writer.reserve_shstrtab_section_index();
    writer.reserve_shstrtab().map_err(|error| error.to_string())?;
    writer.reserve_section_headers();

    writer
        .write_file_header(&FileHeader {
            os_abi: elf::ELFOSABI_SYSV,
            abi_version: 0,
            e_type: elf::ET_EXEC,
            e_machine: elf::EM_386,
            e_entry: program.entry as u64,
            e_flags: elf::FileFlags(0),
        })
        .map_err(|error| error.to_string())?;
    writer.write_align_program_headers();
    for (section, offset) in program.sections.iter().zip(&offsets) {
        let mut flags = elf::PF_R;
        if section.writable {
            flags |= elf::PF_W;
        }
        if section.executable {
            flags |= elf::PF_X;
        }
        writer.write_program_header(&ProgramHeader {
            p_type: elf::PT_LOAD,
            p_flags: flags,
            p_offset: *offset,
            p_vaddr: section.address as u64,
            p_paddr: section.address as u64,
            p_filesz: section.bytes.len() as u64,
            p_memsz: section.size as u64,
            p_align: PAGE,
        });
    }
    for (section, offset) in program.sections.iter().zip(&offsets) {
        writer.pad_until(*offset);
        writer.write(&section.bytes);
    }
    writer.write_null_symbol();
    let local_count = program.symbols.iter().filter(|symbol| !symbol.global).count() as u32 + 1;
    for index in &order {
        let symbol = &program.symbols[*index];
        let section = symbol.section.and_then(|name| program.sections.iter().position(|section| section.name == name));
        let kind = if section.is_some_and(|position| program.sections[position].executable) {
            elf::STT_FUNC
        } else if section.is_some() {
            elf::STT_OBJECT
        } else {
            elf::STT_NOTYPE
        };
        let binding = if symbol.global { elf::STB_GLOBAL } else { elf::STB_LOCAL };
        let name = writer.string_offset(Some(symbol_names[*index]));
        writer.write_symbol(&Sym {
            st_name: name,
            section: section.map(|position| section_indices[position]),
            st_info: elf::SymbolInfo::new(binding, kind),
            st_other: elf::STV_DEFAULT.into(),
            st_shndx: if section.is_some() { elf::SHN_UNDEF } else { elf::SHN_ABS },
            st_value: symbol.address as u64,
            st_size: 0,
        });
    }
    writer.write_strtab();
    writer.write_shstrtab();
    writer.write_null_section_header();
    for (((section, offset), name), _) in
        program.sections.iter().zip(&offsets).zip(&section_names).zip(&section_indices)
    {
        let mut flags = elf::SHF_ALLOC;
        if section.writable {
            flags |= elf::SHF_WRITE;
        }
        if section.executable {
            flags |= elf::SHF_EXECINSTR;
        }
        let name = writer.section_name_offset(Some(*name));
        writer.write_section_header(&SectionHeader {
            sh_name: name,
            sh_type: if section.bytes.is_empty() && section.size > 0 { elf::SHT_NOBITS } else { elf::SHT_PROGBITS },
            sh_flags: flags,
            sh_addr: section.address as u64,
            sh_offset: *offset,
            sh_size: section.size as u64,
            sh_link: 0,
            sh_info: 0,
            sh_addralign: if section.executable { 16 } else { 4 },
            sh_entsize: 0,
        });
    }
    writer.write_symtab_section_header(local_count);
    writer.write_strtab_section_header();
    writer.write_shstrtab_section_header();
    Ok(bytes)
}
