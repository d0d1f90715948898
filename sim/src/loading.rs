//! The boot loader's part: place the ELF boot modules in physical memory at
//! their link addresses, write the descriptor tables the CPU needs before the
//! kernel runs, and the multiboot information for the root task — what GRUB
//! and RMGR (or the native image's boot path) do on a PC.

use asm::loader::{Image, LoadError};
use ia32::PhysAddr;
use kernel::boot::MAX_BOOT_MODULES;
use kernel::{BootInfo, BootModule, MemoryRegion, layout};
use machine_model::Machine;
use std::fmt;

/// A program to boot: a name (for messages and the multiboot command line)
/// and its ELF32 bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Module {
    pub name: String,
    pub elf: Vec<u8>,
}

impl Module {
    pub fn new(name: impl Into<String>, elf: Vec<u8>) -> Self {
        Self { name: name.into(), elf }
    }
}

use kernel::boot_loader::{self, PlacementError};
pub use kernel::boot_loader::{MULTIBOOT_AREA_END, MULTIBOOT_INFO};

/// Why the modules cannot be booted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BootError {
    NoModules,
    TooManyModules {
        count: usize,
    },
    /// The file is not a loadable ELF32 i386 executable.
    BadElf {
        module: String,
        error: LoadError,
    },
    /// A segment lies outside the memory boot modules may use.
    Placement {
        module: String,
        low: u32,
        high: u32,
        memory: u32,
    },
    /// A segment lies over the multiboot information for the root task.
    MultibootArea {
        module: String,
        low: u32,
        high: u32,
    },
    /// Two modules want the same memory.
    Overlap {
        first: String,
        second: String,
        low: u32,
        high: u32,
    },
    /// The command lines do not fit in the multiboot area.
    NamesTooLong,
}

impl fmt::Display for BootError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BootError::NoModules => write!(formatter, "no boot modules: sigma0 must be the first"),
            BootError::TooManyModules { count } => {
                write!(formatter, "{count} boot modules given; the kernel takes at most {MAX_BOOT_MODULES}")
            }
            BootError::BadElf { module, error } => write!(formatter, "{module}: {error}"),
            BootError::Placement { module, low, high, memory } => write!(
                formatter,
                "{module}: its segments occupy [{low:#x}, {high:#x}), but boot modules must lie in [0x1000, {:#x}) \
                 or [{:#x}, {:#x}) (the kernel uses the rest of the {} MB machine); link it at another address",
                layout::DEDICATED_LOW,
                layout::RESERVED_END.value(),
                boot_loader::free_memory_high(*memory),
                memory >> 20
            ),
            BootError::MultibootArea { module, low, high } => write!(
                formatter,
                "{module}: its segments occupy [{low:#x}, {high:#x}), over the multiboot information at \
                 [{MULTIBOOT_INFO:#x}, {MULTIBOOT_AREA_END:#x}); link it at another address"
            ),
            BootError::Overlap { first, second, low, high } => {
                write!(formatter, "{first} and {second} both occupy [{low:#x}, {high:#x}); link one of them elsewhere")
            }
            BootError::NamesTooLong => write!(formatter, "the module names are too long for the multiboot area"),
        }
    }
}

impl std::error::Error for BootError {}

/// Check every module, then copy their segments into memory. Returns the
/// kernel's boot description.
pub fn load_modules(machine: &mut Machine, modules: &[Module]) -> Result<BootInfo, BootError> {
    if modules.is_empty() {
        return Err(BootError::NoModules);
    }
    if modules.len() > MAX_BOOT_MODULES {
        return Err(BootError::TooManyModules { count: modules.len() });
    }
    let memory = machine.memory.size();
    let mut info = BootInfo {
        main_memory: MemoryRegion { low: 0, high: memory },
        module_count: modules.len() as u32,
        multiboot_info: MULTIBOOT_INFO,
        ..BootInfo::default()
    };
    let mut images = Vec::new();
    for (index, module) in modules.iter().enumerate() {
        let image =
            Image::parse(&module.elf).map_err(|error| BootError::BadElf { module: module.name.clone(), error })?;
        let (low, high) = image.extent();
        match boot_loader::check_module_placement(low, high, memory) {
            Ok(()) => {}
            Err(PlacementError::KernelMemory) => {
                return Err(BootError::Placement { module: module.name.clone(), low, high, memory });
            }
            Err(PlacementError::MultibootArea) => {
                return Err(BootError::MultibootArea { module: module.name.clone(), low, high });
            }
        }
        let (page_low, page_high) = (low & !0xFFF, (high + 0xFFF) & !0xFFF);
        for (other, earlier) in info.modules[..index].iter().enumerate() {
            if page_low < earlier.memory.high && earlier.memory.low < page_high {
                return Err(BootError::Overlap {
                    first: modules[other].name.clone(),
                    second: module.name.clone(),
                    low: page_low.max(earlier.memory.low),
                    high: page_high.min(earlier.memory.high),
                });
            }
        }
        info.modules[index] =
            BootModule { memory: MemoryRegion { low: page_low, high: page_high }, entry: image.entry(), stack: 0 };
        images.push(image);
    }
    for image in &images {
        for segment in image.segments() {
            machine.memory.write(PhysAddr(segment.address), segment.data);
            let zeros = vec![0u8; (segment.memory_size as usize).saturating_sub(segment.data.len())];
            machine.memory.write(PhysAddr(segment.address + segment.data.len() as u32), &zeros);
        }
    }
    write_multiboot_info(machine, &info, modules)?;
    Ok(info)
}

/// The multiboot information the root task finds in EBX.
fn write_multiboot_info(machine: &mut Machine, info: &BootInfo, modules: &[Module]) -> Result<(), BootError> {
    let names: Vec<&[u8]> = modules.iter().map(|module| module.name.as_bytes()).collect();
    boot_loader::write_multiboot_info(info, &names, &mut |address, bytes| {
        machine.memory.write(PhysAddr(address), bytes)
    })
    .map_err(|_| BootError::NamesTooLong)
}

/// What the boot code writes before the kernel runs: the GDT with a flat
/// user window, an IDT whose gates the model checks on every `int n`, and
/// the TSS fields the CPU reads on entry. The kernel changes only the user
/// descriptors afterwards (small spaces).
pub fn write_descriptor_tables(machine: &mut Machine) {
    for (index, descriptor) in layout::gdt(layout::SegmentWindow::LARGE).iter().enumerate() {
        machine.memory.write(layout::GDT.offset(index as u32 * 8), &descriptor.to_le_bytes());
    }
    for vector in 0..=255u8 {
        let gate = layout::idt_gate(vector, 0);
        machine.memory.write(layout::IDT.offset(vector as u32 * 8), &gate.encode().to_le_bytes());
    }
    for (offset, value) in layout::tss_fields() {
        machine.memory.write_u32(layout::TSS.value() + offset, value);
    }
}
