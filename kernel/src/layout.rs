//! Where everything lives, in physical and in virtual memory — the same on
//! the native image and in the machine model, so that kernel events name the
//! same frames on both and the model's TLB sees the addresses the hardware
//! sees.
//!
//! Physical:
//! ```text
//! 0x0000_0000 .. 0x000A_0000   free memory (sigma0's)
//! 0x000A_0000 .. 0x0010_0000   dedicated: VGA, BIOS (sigma0 hands them out)
//! 0x0010_0000 .. 0x0020_0000   the native kernel image (reserved mem0)
//! 0x0020_0000 .. 0x003F_7000   the kernel's state (the `Kernel` struct natively)
//! 0x003F_7000                  the kernel info page
//! 0x003F_8000                  GDT, then IDT at +0x100
//! 0x003F_9000                  the TSS page (the TSS ends at the page's end)
//! 0x003F_A000 .. 0x003F_C000   the shared "no I/O ports" bitmap (all ones)
//! 0x003F_C000 .. 0x0040_0000   the kernel stack
//! 0x0040_0000 .. top - pool    free memory (sigma0's; boot modules load here)
//! top - pool  .. top           the kernel's pool: page directories, tables (reserved mem1)
//! ```
//! Virtual, in every address space:
//! ```text
//! 0x0000_0000 .. 0xC000_0000   user space
//! 0xC000_0000 .. 0xE000_0000   the small-space area (512 MB)
//! 0xEFC0_0000 .. 0xF000_0000   per space: the TSS page and the I/O bitmap (2 pages at 0xEFFF_E000)
//! 0xF000_0000 .. 0xF000_0000 + RAM   all physical memory, supervisor only (the kernel's window)
//! ```

use ia32::segment::{GateDescriptor, SegmentDescriptor, Selector, access};
use ia32::{PAGE_SIZE, PhysAddr, VirtAddr};

/// Start of the kernel's window onto physical memory.
pub const PHYSICAL_WINDOW: u32 = 0xF000_0000;
/// The window covers at most 240 MB of RAM.
pub const MAX_MEMORY: u32 = 0x0F00_0000;

pub const KERNEL_IMAGE: PhysAddr = PhysAddr(0x0010_0000);
pub const KERNEL_IMAGE_END: PhysAddr = PhysAddr(0x0020_0000);
/// Where the `Kernel` struct lives natively (and where the model pretends it lives).
pub const KERNEL_STATE: PhysAddr = PhysAddr(0x0020_0000);
pub const KERNEL_STATE_END: PhysAddr = PhysAddr(0x003F_7000);
/// The kernel info page (sigma0 maps it read-only to whoever asks).
pub const KIP: PhysAddr = PhysAddr(0x003F_7000);
pub const GDT: PhysAddr = PhysAddr(0x003F_8000);
pub const IDT: PhysAddr = PhysAddr(0x003F_8100);
/// The TSS page: the TSS occupies its last 104 bytes.
pub const TSS_PAGE: PhysAddr = PhysAddr(0x003F_9000);
pub const TSS: PhysAddr = PhysAddr(0x003F_9000 + PAGE_SIZE - TSS_SIZE);
pub const TSS_SIZE: u32 = 104;
/// Two pages of ones: the I/O bitmap of every task without I/O ports.
pub const NO_PORTS_BITMAP: PhysAddr = PhysAddr(0x003F_A000);
pub const KERNEL_STACK: PhysAddr = PhysAddr(0x003F_C000);
pub const KERNEL_STACK_TOP: PhysAddr = PhysAddr(0x0040_0000);
/// End of reserved mem0 (image, state, tables, stack).
pub const RESERVED_END: PhysAddr = PhysAddr(0x0040_0000);
/// Dedicated memory handed out by sigma0: VGA and BIOS.
pub const DEDICATED_LOW: u32 = 0x000A_0000;
pub const DEDICATED_HIGH: u32 = 0x0010_0000;

pub const USER_LIMIT: u32 = ia32::abi::USER_LIMIT;
pub const SMALL_SPACE_AREA: u32 = ia32::abi::SMALL_SPACE_AREA;
pub const SMALL_SPACE_AREA_END: u32 = SMALL_SPACE_AREA + ia32::abi::SMALL_SPACE_AREA_SIZE;
/// The per-space kernel region holding the TSS page and the I/O bitmap.
pub const PER_SPACE_REGION: VirtAddr = VirtAddr(0xEFC0_0000);
pub const TSS_PAGE_VIRTUAL: VirtAddr = VirtAddr(0xEFFF_D000);
pub const IO_BITMAP_VIRTUAL: VirtAddr = VirtAddr(0xEFFF_E000);
/// The TSS's linear address: it ends exactly where the I/O bitmap begins.
pub const TSS_VIRTUAL: VirtAddr = VirtAddr(0xEFFF_E000 - TSS_SIZE);
/// The I/O bitmap: 8 KB for ports 0..65535, right after the TSS.
pub const IO_BITMAP_SIZE: u32 = 8192;

/// Kernel virtual address of a physical address (through the window).
pub const fn window(address: PhysAddr) -> u32 {
    PHYSICAL_WINDOW + address.value()
}

/// CR0 while the kernel runs: protection, paging, write protection in
/// ring 0 too (the kernel's writes into user memory honour read-only
/// mappings), and no floating point for anyone: with EM every
/// x87 instruction raises #NM (exception 7), as on a machine without one.
/// The kernel keeps no FPU state per thread, so offering the one FPU would
/// let tasks read each other's registers; the model has no FPU either.
/// NE: a numeric error would be #MF, never the FERR# line (IRQ 13), which
/// QEMU 7.2 raises without its I/O lock and aborts on (docs/ABI.md).
/// CD and NW clear: caches on, write-back as the CPU allows.
pub const CONTROL_REGISTER_0: u32 = {
    use ia32::registers::cr0::*;
    PE | PG | WP | NE | ET | EM
};

/// GDT selectors.
pub mod selector {
    use ia32::segment::Selector;
    pub const KERNEL_CODE: Selector = Selector(0x08);
    pub const KERNEL_DATA: Selector = Selector(0x10);
    pub const USER_CODE: Selector = Selector(0x1B);
    pub const USER_DATA: Selector = Selector(0x23);
    pub const TSS: Selector = Selector(0x28);
    /// Number of GDT entries.
    pub const COUNT: usize = 6;
}

/// The window of a user code/data segment: base and size in bytes. (C
/// layout: the IPC fast path's assembly reads and writes it.)
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(C)]
pub struct SegmentWindow {
    pub base: u32,
    /// Size in bytes (2^32 for a large space).
    pub size: u64,
}

impl SegmentWindow {
    /// A large space: base 0, the whole 4 GB (kernel memory is protected by
    /// the U/S bit of its pages, so the kernel can keep using these segments).
    pub const LARGE: SegmentWindow = SegmentWindow { base: 0, size: 1 << 32 };
}

/// The user code and data descriptors for a segment window.
pub const fn user_descriptors(window: SegmentWindow) -> (SegmentDescriptor, SegmentDescriptor) {
    (
        SegmentDescriptor::flat(window.base, window.size, true, 3),
        SegmentDescriptor::flat(window.base, window.size, false, 3),
    )
}

/// A user segment window and the two GDT descriptors that make it (32
/// bytes on every target, for the assembly's shift).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(C, align(32))]
pub struct UserWindow {
    pub window: SegmentWindow,
    /// The encoded user code and data descriptors.
    pub code: u64,
    pub data: u64,
}

/// The user window of each small-space id, computed at compile time: entry
/// 0, and every id without a window of its own, is the large space. Why a
/// table: the IPC fast path's assembly indexes it by the receiver's
/// small-space id, so that a switch between windows is a few loads and
/// stores. (`Kernel::switch_space` computes the same window and descriptors
/// from the id with these same functions: reading the table there made the
/// native general paths a few instructions longer.)
pub static USER_WINDOWS: [UserWindow; 256] = user_windows();

const fn user_windows() -> [UserWindow; 256] {
    let mut table = [UserWindow { window: SegmentWindow::LARGE, code: 0, data: 0 }; 256];
    let mut id = 0;
    while id < 256 {
        let window = match ia32::abi::SmallSpaceId(id as u8).window() {
            Some((size, offset)) => SegmentWindow { base: SMALL_SPACE_AREA + offset, size: size as u64 },
            None => SegmentWindow::LARGE,
        };
        let (code, data) = user_descriptors(window);
        table[id] = UserWindow { window, code: code.encode(), data: data.encode() };
        id += 1;
    }
    table
}

/// The whole GDT (descriptor values), for a given user window.
pub fn gdt(window: SegmentWindow) -> [u64; selector::COUNT] {
    let (user_code, user_data) = user_descriptors(window);
    let tss = SegmentDescriptor {
        base: TSS_VIRTUAL.value(),
        raw_limit: TSS_SIZE + IO_BITMAP_SIZE - 1,
        access: access::PRESENT | access::TSS32_AVAILABLE,
        granularity: false,
        default_big: false,
    };
    [
        0,
        SegmentDescriptor::flat(0, 1 << 32, true, 0).encode(),
        SegmentDescriptor::flat(0, 1 << 32, false, 0).encode(),
        user_code.encode(),
        user_data.encode(),
        tss.encode(),
    ]
}

/// GDTR/IDTR values: linear base and limit.
pub fn gdt_register() -> (u32, u16) {
    (window(GDT), (selector::COUNT * 8 - 1) as u16)
}
pub fn idt_register() -> (u32, u16) {
    (window(IDT), 256 * 8 - 1)
}

/// Vectors user mode may raise with `int n`: the system calls and int3.
pub const fn user_vector(vector: u8) -> bool {
    vector == 3 || (vector >= 0x30 && vector <= 0x36)
}

/// The IDT gate for `vector`, entering at `handler` (the native stub; the
/// model never executes ring 0, so it passes 0).
pub fn idt_gate(vector: u8, handler: u32) -> GateDescriptor {
    let dpl = if user_vector(vector) { 3 } else { 0 };
    GateDescriptor::new(selector::KERNEL_CODE, handler, access::INTERRUPT_GATE32, dpl)
}

/// The TSS contents the kernel relies on: ESP0/SS0 and the I/O map base.
pub fn tss_fields() -> [(u32, u32); 3] {
    [
        (4, window(KERNEL_STACK_TOP)),
        (8, selector::KERNEL_DATA.0 as u32),
        // I/O map base (high half of the word at 100): the bitmap follows the TSS.
        (100, TSS_SIZE << 16),
    ]
}

/// The size of the kernel's page pool for `memory` bytes of RAM: 1/16 of
/// memory, at least 1 MB, at most 8 MB, in whole pages.
pub const fn pool_size(memory: u32) -> u32 {
    let sixteenth = (memory / 16) & !(PAGE_SIZE - 1);
    if sixteenth < (1 << 20) {
        1 << 20
    } else if sixteenth > (8 << 20) {
        8 << 20
    } else {
        sixteenth
    }
}

/// The selector a user thread starts with.
pub const USER_CODE_SELECTOR: Selector = selector::USER_CODE;
pub const USER_DATA_SELECTOR: Selector = selector::USER_DATA;
