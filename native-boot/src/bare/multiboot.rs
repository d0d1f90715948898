//! The multiboot (v1) information the loader left in EBX, copied out in
//! full at once: the loader's structures may lie where we are about to
//! write (QEMU puts them at 0x9000, where the root task's information goes).

use kernel::boot::MAX_BOOT_MODULES;
use kernel::layout;

const FLAG_MEMORY: u32 = 1 << 0;
const FLAG_COMMAND_LINE: u32 = 1 << 2;
const FLAG_MODULES: u32 = 1 << 3;
const NAME_LENGTH: usize = 64;

/// One module as the loader placed it.
#[derive(Clone, Copy, Debug)]
pub struct RawModule {
    pub start: u32,
    pub end: u32,
    name: [u8; NAME_LENGTH],
    name_length: usize,
}

impl RawModule {
    /// The module's name: the last path component of its command line.
    pub fn name(&self) -> &[u8] {
        let text = &self.name[..self.name_length];
        let word = text.split(|byte| *byte == b' ').next().unwrap_or(text);
        let file = word.rsplit(|byte| *byte == b'/').next().unwrap_or(word);
        file.strip_suffix(b".elf").unwrap_or(file)
    }
}

/// What we need from the loader.
#[derive(Clone, Copy, Debug)]
pub struct Multiboot {
    command_line: [u8; 128],
    command_line_length: usize,
    modules: [RawModule; MAX_BOOT_MODULES],
    /// How many modules the loader reported (may exceed the array).
    module_count: u32,
}

/// Read a word of physical memory through the window.
///
/// # Safety
/// The address must be installed RAM mapped by the boot window.
unsafe fn word(address: u32) -> u32 {
    // Safety: as the caller promises.
    unsafe { (layout::window(ia32::PhysAddr(address)) as usize as *const u32).read_unaligned() }
}

/// Copy a NUL-terminated string (at most `buffer.len()` bytes).
///
/// # Safety
/// As for [`word`], for every byte up to the terminator.
unsafe fn string(address: u32, buffer: &mut [u8]) -> usize {
    for (index, slot) in buffer.iter_mut().enumerate() {
        // Safety: as the caller promises.
        let byte = unsafe { (layout::window(ia32::PhysAddr(address + index as u32)) as usize as *const u8).read() };
        if byte == 0 {
            return index;
        }
        *slot = byte;
    }
    buffer.len()
}

impl Multiboot {
    /// Only the memory size: read before the window covers all RAM (the
    /// information itself lies in the first 4 MB, which the boot stub maps).
    ///
    /// # Safety
    /// `address` must be the multiboot information the loader passed.
    pub unsafe fn memory_high(address: u32) -> u32 {
        // Safety: as the caller promises.
        let (flags, upper) = unsafe { (word(address), word(address + 8)) };
        if flags & FLAG_MEMORY != 0 { upper.saturating_add(1024).saturating_mul(1024) } else { 0 }
    }

    /// Everything, once the window covers all RAM.
    ///
    /// # Safety
    /// `address` must be the multiboot information the loader passed.
    pub unsafe fn read(address: u32) -> Self {
        let empty = RawModule { start: 0, end: 0, name: [0; NAME_LENGTH], name_length: 0 };
        let mut info = Multiboot {
            command_line: [0; 128],
            command_line_length: 0,
            modules: [empty; MAX_BOOT_MODULES],
            module_count: 0,
        };
        // Safety: the loader's structures lie in RAM, which the window maps.
        unsafe {
            let flags = word(address);
            if flags & FLAG_COMMAND_LINE != 0 {
                info.command_line_length = string(word(address + 16), &mut info.command_line);
            }
            if flags & FLAG_MODULES != 0 {
                info.module_count = word(address + 20);
                let list = word(address + 24);
                for (index, module) in info.modules.iter_mut().enumerate().take(info.module_count as usize) {
                    let entry = list + 16 * index as u32;
                    module.start = word(entry);
                    module.end = word(entry + 4);
                    module.name_length = string(word(entry + 8), &mut module.name);
                }
            }
        }
        info
    }

    /// The modules (at most MAX_BOOT_MODULES; see `module_count` for more).
    pub fn modules(&self) -> &[RawModule] {
        &self.modules[..(self.module_count as usize).min(MAX_BOOT_MODULES)]
    }

    pub fn module_count(&self) -> u32 {
        self.module_count
    }

    /// Whether the kernel command line holds `option` as a word.
    pub fn has_option(&self, option: &[u8]) -> bool {
        self.command_line[..self.command_line_length].split(|byte| *byte == b' ').any(|word| word == option)
    }
}
