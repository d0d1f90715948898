//! x86 port I/O.

/// Write a byte to an I/O port.
pub fn outb(port: u16, value: u8) {
    // Safety: port writes have no memory effects visible to Rust; the ports we
    // use (COM1, PIC, PIT, debug exit) are owned by this kernel.
    unsafe { core::arch::asm!("out dx, al", in("dx") port, in("al") value, options(nomem, nostack, preserves_flags)) };
}

/// Read a byte from an I/O port.
pub fn inb(port: u16) -> u8 {
    let value: u8;
    // Safety: as for `outb`; reading a UART register has no memory effects.
    unsafe { core::arch::asm!("in al, dx", out("al") value, in("dx") port, options(nomem, nostack, preserves_flags)) };
    value
}
