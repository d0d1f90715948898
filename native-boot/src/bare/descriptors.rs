//! The GDT and the IDT.
//!
//! GDT layout (the ABI's selectors: user code 0x1B, user data 0x23):
//! 0 null, 1 kernel code (0x08), 2 kernel data (0x10), 3 user code (0x1B),
//! 4 user data (0x23), 5 TSS (0x28).

use super::traps;
use ia32::segment::{GateDescriptor, SegmentDescriptor, Selector, access};

pub const KERNEL_CODE: Selector = Selector(0x08);
pub const KERNEL_DATA: Selector = Selector(0x10);

const GDT_ENTRIES: usize = 6;
const IDT_ENTRIES: usize = 256;

#[repr(C, align(8))]
struct Table<const N: usize>([u64; N]);

static mut GDT: Table<GDT_ENTRIES> = Table([0; GDT_ENTRIES]);
static mut IDT: Table<IDT_ENTRIES> = Table([0; IDT_ENTRIES]);

#[repr(C, packed)]
struct Pseudo {
    limit: u16,
    base: u32,
}

pub fn init() {
    let gdt = [
        0,
        SegmentDescriptor::flat(0, 1 << 32, true, 0).encode(),
        SegmentDescriptor::flat(0, 1 << 32, false, 0).encode(),
        SegmentDescriptor::flat(0, 0xC000_0000, true, 3).encode(),
        SegmentDescriptor::flat(0, 0xC000_0000, false, 3).encode(),
        0,
    ];
    // Safety: boot runs single-threaded with interrupts off; nothing else
    // holds a reference to GDT or IDT.
    unsafe {
        let table = &mut *core::ptr::addr_of_mut!(GDT);
        table.0 = gdt;
        let idt = &mut *core::ptr::addr_of_mut!(IDT);
        for (vector, entry) in traps::EXCEPTION_STUBS.iter().enumerate() {
            idt.0[vector] = GateDescriptor::new(KERNEL_CODE, *entry as u32, access::INTERRUPT_GATE32, 0).encode();
        }
    }
    let gdt_pointer = Pseudo { limit: (GDT_ENTRIES * 8 - 1) as u16, base: core::ptr::addr_of!(GDT) as u32 };
    let idt_pointer = Pseudo { limit: (IDT_ENTRIES * 8 - 1) as u16, base: core::ptr::addr_of!(IDT) as u32 };
    // Safety: the tables are static and valid; reloading the segment registers
    // with the new flat kernel selectors keeps every address meaning the same.
    unsafe {
        core::arch::asm!(
            "lgdt [{gdt}]",
            "lidt [{idt}]",
            "mov ax, {data}",
            "mov ds, ax",
            "mov es, ax",
            "mov fs, ax",
            "mov gs, ax",
            "mov ss, ax",
            "push {code}",
            "lea eax, [2f]",
            "push eax",
            "retf",
            "2:",
            gdt = in(reg) &gdt_pointer,
            idt = in(reg) &idt_pointer,
            data = const KERNEL_DATA.0,
            code = const KERNEL_CODE.0 as u32,
            out("eax") _,
        );
    }
}
