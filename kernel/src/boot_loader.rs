//! What every boot loader of this kernel does the same way — the native
//! image's multiboot path and the simulator's loader — so that the root task
//! sees the same machine on both: where boot modules may lie, and the
//! multiboot information it finds in EBX.
//!
//! Loading ELF is not here (that is `asm::loader`, as RMGR did it for L4);
//! this is only the layout both loaders must agree on.

use crate::boot::{BootInfo, MAX_BOOT_MODULES};
use crate::layout;

/// Where the multiboot information for the root task goes: low memory,
/// which sigma0 maps 1:1 to the root task when it touches it.
pub const MULTIBOOT_INFO: u32 = 0x0000_9000;
/// The information, the module list and the names must end here.
pub const MULTIBOOT_AREA_END: u32 = 0x0000_A000;

/// Why a module's memory is not acceptable.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PlacementError {
    /// Outside [0x1000, 640 KB) and [4 MB, start of the kernel pool).
    KernelMemory,
    /// Over the multiboot information area.
    MultibootArea,
}

/// Check that a module occupying [low, high) leaves the kernel's memory and
/// the multiboot area alone on a machine with `memory` bytes of RAM.
pub fn check_module_placement(low: u32, high: u32, memory: u32) -> Result<(), PlacementError> {
    let free_high = memory.min(layout::MAX_MEMORY) - layout::pool_size(memory.min(layout::MAX_MEMORY));
    let low_memory = low >= 0x1000 && high <= layout::DEDICATED_LOW;
    let high_memory = low >= layout::RESERVED_END.value() && high <= free_high;
    if high < low || !(low_memory || high_memory) {
        return Err(PlacementError::KernelMemory);
    }
    if high > MULTIBOOT_INFO && low < MULTIBOOT_AREA_END {
        return Err(PlacementError::MultibootArea);
    }
    Ok(())
}

/// The highest address modules may use, for messages.
pub fn free_memory_high(memory: u32) -> u32 {
    let memory = memory.min(layout::MAX_MEMORY);
    memory - layout::pool_size(memory)
}

const FLAG_MEMORY: u32 = 1 << 0;
const FLAG_CMDLINE: u32 = 1 << 2;
const FLAG_MODS: u32 = 1 << 3;
/// The kernel's command line in the information.
const COMMAND_LINE: &[u8] = b"l4-kernel";

/// Write the multiboot information (flags MEMORY | CMDLINE | MODS) for the
/// loaded modules, as GRUB leaves it, through `write(physical, bytes)`.
/// `names[i]` is module i's name. Fails if the names do not fit.
pub fn write_multiboot_info(
    info: &BootInfo,
    names: &[&[u8]],
    write: &mut dyn FnMut(u32, &[u8]),
) -> Result<(), &'static str> {
    let count = (info.module_count as usize).min(MAX_BOOT_MODULES).min(names.len());
    let module_list = MULTIBOOT_INFO + 0x80;
    let mut strings = module_list + 16 * count as u32;
    let mut put_string = |write: &mut dyn FnMut(u32, &[u8]), text: &[u8]| -> Result<u32, &'static str> {
        let at = strings;
        let end = at + text.len() as u32 + 1;
        if end > MULTIBOOT_AREA_END {
            return Err("the module names do not fit in the multiboot area");
        }
        write(at, text);
        write(at + text.len() as u32, &[0]);
        strings = end;
        Ok(at)
    };
    let command_line = put_string(write, COMMAND_LINE)?;
    for (index, name) in names[..count].iter().enumerate() {
        let name = put_string(write, name)?;
        let region = info.modules[index].memory;
        let entry = module_list + 16 * index as u32;
        for (offset, value) in [(0, region.low), (4, region.high), (8, name), (12, 0)] {
            write(entry + offset, &u32::to_le_bytes(value));
        }
    }
    let memory_kb = info.main_memory.high / 1024;
    let fields = [
        (0, FLAG_MEMORY | FLAG_CMDLINE | FLAG_MODS),
        (4, 640),
        (8, memory_kb.saturating_sub(1024)),
        (12, 0),
        (16, command_line),
        (20, count as u32),
        (24, module_list),
    ];
    for (offset, value) in fields {
        write(MULTIBOOT_INFO + offset, &value.to_le_bytes());
    }
    Ok(())
}
