//! The GDT, IDT and TSS, at the physical addresses `kernel::layout` gives
//! them (the model puts them at the same places), reached through the
//! kernel's window.
//!
//! In ring 0 the image uses the flat kernel selectors 0x08/0x10: the user
//! data selector 0x23 may describe a small space (a segment based at the
//! small-space area), which would move every kernel access. There is no
//! LDT (the LDT register is loaded with the null selector).

use super::traps;
use kernel::layout::{self, SegmentWindow, selector};

#[repr(C, packed)]
struct Pseudo {
    limit: u16,
    base: u32,
}

/// A pointer to physical memory through the window.
fn window<T>(address: ia32::PhysAddr) -> *mut T {
    layout::window(address) as usize as *mut T
}

pub fn init() {
    let gdt = layout::gdt(SegmentWindow::LARGE);
    // Safety: the GDT, IDT and TSS pages are reserved for these tables
    // (kernel::layout), mapped by the boot window, and nothing else uses
    // them yet; boot is single-threaded with interrupts off.
    unsafe {
        let table = window::<u64>(layout::GDT);
        for (index, descriptor) in gdt.iter().enumerate() {
            table.add(index).write_volatile(*descriptor);
        }
        let idt = window::<u64>(layout::IDT);
        for vector in 0..=255u8 {
            let handler = traps::STUBS[vector as usize] as u32;
            idt.add(vector as usize).write_volatile(layout::idt_gate(vector, handler).encode());
        }
        let tss_page = window::<u8>(layout::TSS_PAGE);
        core::ptr::write_bytes(tss_page, 0, ia32::PAGE_SIZE as usize);
        for (offset, value) in layout::tss_fields() {
            window::<u32>(layout::TSS.offset(offset)).write_volatile(value);
        }
    }
    let (gdt_base, gdt_limit) = layout::gdt_register();
    let (idt_base, idt_limit) = layout::idt_register();
    let gdt_pointer = Pseudo { limit: gdt_limit, base: gdt_base };
    let idt_pointer = Pseudo { limit: idt_limit, base: idt_base };
    // Safety: the tables just written are valid; the new selectors are flat,
    // so every address keeps its meaning across the reload.
    unsafe {
        core::arch::asm!(
            "lgdt [{gdt}]",
            "lidt [{idt}]",
            "mov ax, {data}",
            "mov ds, ax",
            "mov es, ax",
            "mov ss, ax",
            "mov ax, {user_data}",
            "mov fs, ax",
            "mov gs, ax",
            "push {code}",
            "lea eax, [2f]",
            "push eax",
            "retf",
            "2:",
            "mov ax, {tss}",
            "ltr ax",
            // No LDT: the LDT register a reset (or the loader) leaves may
            // describe one — at reset base 0, limit 0xFFFF — and a thread
            // could then build descriptors of its own in its memory below
            // 64 KB and load them (a code segment, a call gate into ring 0).
            // A null LDT makes every LDT selector name no descriptor (a
            // load raises #GP; `lar`, `lsl`, `verr`, `verw` clear ZF), as
            // the model has it. No debug breakpoints either (DR7 as the
            // loader left it could hold enabled ones).
            "xor eax, eax",
            "lldt ax",
            "mov dr7, eax",
            gdt = in(reg) &gdt_pointer,
            idt = in(reg) &idt_pointer,
            data = const selector::KERNEL_DATA.0,
            user_data = const selector::USER_DATA.0,
            code = const selector::KERNEL_CODE.0 as u32,
            tss = const selector::TSS.0,
            out("eax") _,
        );
    }
}
