//! How the image tells QEMU its verdict: QEMU's `isa-debug-exit` device at
//! port 0xF4. Writing `v` makes QEMU exit with status `(v << 1) | 1`, so no
//! verdict can be confused with QEMU's own 0 (clean shutdown) or 1 (error).

/// I/O port of the `isa-debug-exit` device (`-device isa-debug-exit,iobase=0xf4,iosize=0x04`).
pub const DEBUG_EXIT_PORT: u16 = 0xF4;

/// The image's verdicts and the value written to the port for each.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Verdict {
    /// Everything ran as expected. QEMU exits with 33.
    Success = 0x10,
    /// A scenario reported failure. QEMU exits with 35.
    Failure = 0x11,
    /// The kernel stopped on something it cannot continue from (an unexpected
    /// exception in ring 0, a panic). QEMU exits with 37.
    KernelStop = 0x12,
}

impl Verdict {
    /// The exit status QEMU reports for this verdict.
    pub const fn qemu_status(self) -> i32 {
        ((self as i32) << 1) | 1
    }
    /// The verdict behind a QEMU exit status, if it is one of ours.
    pub const fn from_qemu_status(status: i32) -> Option<Self> {
        match status {
            33 => Some(Verdict::Success),
            35 => Some(Verdict::Failure),
            37 => Some(Verdict::KernelStop),
            _ => None,
        }
    }
}
