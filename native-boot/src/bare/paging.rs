//! The boot page tables: before the kernel builds its own (in sigma0's
//! directory, at `Kernel::boot`), the boot stub maps only the first 4 MB.
//! Here the window grows to cover all of RAM, so the loader can read the
//! boot modules and the kernel can reach its pool at the top of memory.

use kernel::layout;

/// Page tables for RAM above the first 4 MB (up to the kernel's 240 MB).
const EXTRA_TABLES: usize = (layout::MAX_MEMORY as usize >> 22) - 1;

#[repr(C, align(4096))]
struct Tables([[u32; 1024]; EXTRA_TABLES]);

static mut WINDOW_TABLES: Tables = Tables([[0; 1024]; EXTRA_TABLES]);

unsafe extern "C" {
    static mut boot_directory: [u32; 1024];
}

/// Physical address of a static (the image is loaded 0xF0000000 below its link address).
fn physical<T>(pointer: *const T) -> u32 {
    pointer as u32 - layout::PHYSICAL_WINDOW
}

/// Map [4 MB, `memory_high`) at the window, then flush the TLB.
pub fn extend_window(memory_high: u32) {
    let chunks = (memory_high.min(layout::MAX_MEMORY) as usize).div_ceil(1 << 22);
    // Safety: runs once at boot, single-threaded, before anything else uses
    // these tables; the directory is the one in CR3, and the entries added
    // map only RAM the loader reported.
    unsafe {
        let tables = &mut *core::ptr::addr_of_mut!(WINDOW_TABLES);
        let directory = &mut *core::ptr::addr_of_mut!(boot_directory);
        for chunk in 1..chunks {
            let table = &mut tables.0[chunk - 1];
            for (index, entry) in table.iter_mut().enumerate() {
                *entry = (((chunk as u32) << 22) + ((index as u32) << 12)) | 0x3;
            }
            let slot = (layout::PHYSICAL_WINDOW >> 22) as usize + chunk;
            directory[slot] = physical(table.as_ptr()) | 0x3;
        }
        let root = physical(directory.as_ptr());
        core::arch::asm!("mov cr3, {}", in(reg) root, options(nostack, preserves_flags));
    }
}
