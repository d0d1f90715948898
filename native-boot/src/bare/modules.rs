//! The boot modules: the multiboot loader placed each file somewhere in
//! memory; here each ELF is loaded at its link address, as the simulator's
//! loader does, and the root task gets the same multiboot information.
//!
//! A module's file may lie where another module wants to be loaded, so all
//! files are first moved to a scratch area below the kernel's pool (which
//! nothing uses yet), and loaded from there.

use super::multiboot::{Multiboot, RawModule};
use asm::loader::Image;
use core::fmt;
use ia32::PAGE_SIZE;
use kernel::boot::MAX_BOOT_MODULES;
use kernel::boot_loader::{self, PlacementError};
use kernel::{BootInfo, BootModule, MemoryRegion, layout};

/// Why the modules cannot be loaded.
#[derive(Debug)]
pub enum ModuleError {
    NoModules,
    TooMany(u32),
    NoScratch { needed: u32 },
    FileInScratch { index: usize },
    BadElf { index: usize, error: asm::loader::LoadError },
    Placement { index: usize, low: u32, high: u32, error: PlacementError },
    Overlap { first: usize, second: usize },
    Names,
}

impl fmt::Display for ModuleError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModuleError::NoModules => {
                write!(formatter, "no boot modules: pass sigma0 first (-initrd \"sigma0.elf,root.elf\")")
            }
            ModuleError::TooMany(count) => {
                write!(formatter, "{count} modules; the kernel takes at most {MAX_BOOT_MODULES}")
            }
            ModuleError::NoScratch { needed } => {
                write!(
                    formatter,
                    "no room below the kernel pool to stage {needed} bytes of modules; give the machine more memory"
                )
            }
            ModuleError::FileInScratch { index } => {
                write!(
                    formatter,
                    "module {index} was placed where the modules are staged; give the machine more memory"
                )
            }
            ModuleError::BadElf { index, error } => write!(formatter, "module {index}: {error}"),
            ModuleError::Placement { index, low, high, error } => write!(
                formatter,
                "module {index} occupies [{low:#x}, {high:#x}), which {}; link it at another address",
                match error {
                    PlacementError::KernelMemory => "is kernel memory",
                    PlacementError::MultibootArea => "covers the multiboot information",
                }
            ),
            ModuleError::Overlap { first, second } => write!(formatter, "modules {first} and {second} overlap"),
            ModuleError::Names => write!(formatter, "the module names do not fit in the multiboot area"),
        }
    }
}

/// Physical memory as a slice, through the window.
///
/// # Safety
/// `[address, address + length)` must be installed RAM that nothing else
/// references while the slice lives.
unsafe fn physical<'a>(address: u32, length: u32) -> &'a mut [u8] {
    // Safety: the caller vouches for the range; the window maps all RAM.
    unsafe {
        core::slice::from_raw_parts_mut(layout::window(ia32::PhysAddr(address)) as usize as *mut u8, length as usize)
    }
}

fn page_up(value: u32) -> u32 {
    value.div_ceil(PAGE_SIZE) * PAGE_SIZE
}

fn overlaps(first: (u32, u32), second: (u32, u32)) -> bool {
    first.0 < second.1 && second.0 < first.1
}

/// Load every module; returns the kernel's boot description.
pub fn load(multiboot: &Multiboot, memory: u32) -> Result<BootInfo, ModuleError> {
    let raws = multiboot.modules();
    if raws.is_empty() {
        return Err(ModuleError::NoModules);
    }
    if multiboot.module_count() as usize > MAX_BOOT_MODULES {
        return Err(ModuleError::TooMany(multiboot.module_count()));
    }
    // Stage: every file to the scratch area, in order.
    let needed: u32 = raws.iter().map(|raw| page_up(raw.length())).sum();
    let scratch_high = boot_loader::free_memory_high(memory);
    let scratch_low = scratch_high.checked_sub(needed).filter(|low| *low >= layout::RESERVED_END.value());
    let scratch_low = scratch_low.ok_or(ModuleError::NoScratch { needed })?;
    let scratch = (scratch_low, scratch_high);
    let mut staged = [(0u32, 0u32); MAX_BOOT_MODULES];
    let mut at = scratch_low;
    for (index, raw) in raws.iter().enumerate() {
        if overlaps((raw.start, raw.end), scratch) {
            return Err(ModuleError::FileInScratch { index });
        }
        // Safety: the file lies in RAM outside the scratch area (checked),
        // and the scratch area is free memory below the (unused) pool.
        unsafe {
            let source = physical(raw.start, raw.length());
            physical(at, raw.length()).copy_from_slice(source);
        }
        staged[index] = (at, raw.length());
        at += page_up(raw.length());
    }
    let mut info = BootInfo {
        main_memory: MemoryRegion { low: 0, high: memory },
        module_count: raws.len() as u32,
        multiboot_info: boot_loader::MULTIBOOT_INFO,
        ..BootInfo::default()
    };
    // Check every image and its destination before writing any.
    for (index, (start, length)) in staged[..raws.len()].iter().enumerate() {
        // Safety: the staged copy lies in the scratch area, written above.
        let file = unsafe { physical(*start, *length) };
        let image = Image::parse(file).map_err(|error| ModuleError::BadElf { index, error })?;
        let (low, high) = image.extent();
        boot_loader::check_module_placement(low, high, memory).map_err(|error| ModuleError::Placement {
            index,
            low,
            high,
            error,
        })?;
        let pages = (low & !(PAGE_SIZE - 1), page_up(high));
        if overlaps(pages, scratch) {
            return Err(ModuleError::Placement { index, low, high, error: PlacementError::KernelMemory });
        }
        for (other, earlier) in info.modules[..index].iter().enumerate() {
            if overlaps(pages, (earlier.memory.low, earlier.memory.high)) {
                return Err(ModuleError::Overlap { first: other, second: index });
            }
        }
        info.modules[index] =
            BootModule { memory: MemoryRegion { low: pages.0, high: pages.1 }, entry: image.entry(), stack: 0 };
    }
    for (start, length) in &staged[..raws.len()] {
        // Safety: as above.
        let file = unsafe { physical(*start, *length) };
        let Ok(image) = Image::parse(file) else { continue };
        for segment in image.segments() {
            // Safety: the destination passed check_module_placement (free
            // RAM, not the kernel's, not the scratch area).
            let destination = unsafe { physical(segment.address, segment.memory_size) };
            let (initialized, zeroed) = destination.split_at_mut(segment.data.len());
            initialized.copy_from_slice(segment.data);
            zeroed.fill(0);
        }
    }
    let mut names: [&[u8]; MAX_BOOT_MODULES] = [&[]; MAX_BOOT_MODULES];
    for (index, raw) in raws.iter().enumerate() {
        names[index] = raw.name();
    }
    boot_loader::write_multiboot_info(&info, &names[..raws.len()], &mut |address, bytes| {
        // Safety: the multiboot area is low memory no module may use (checked).
        unsafe { physical(address, bytes.len() as u32).copy_from_slice(bytes) }
    })
    .map_err(|_| ModuleError::Names)?;
    Ok(info)
}

impl RawModule {
    fn length(&self) -> u32 {
        self.end.saturating_sub(self.start)
    }
}
