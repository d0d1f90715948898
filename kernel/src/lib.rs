//! # The L4/x86 X.0 kernel
//!
//! What lives here is only what cannot live outside a µ-kernel (Liedtke, "On
//! µ-Kernel Construction", SOSP 1995): address spaces built recursively by
//! grant, map and flush; threads; synchronous IPC; unique ids. Pagers, drivers
//! and memory policy are user programs.
//!
//! Design principles:
//! - **Event driven, one kernel stack.** Every entry (system call, exception,
//!   interrupt) runs to completion and names the thread to resume. Nothing in
//!   here blocks or waits.
//! - **Hardware only through [`Hardware`].** The same source runs natively (the
//!   `native-boot` image, real instructions) and on the machine model (the
//!   `sim` crate, in the browser). Page tables live in physical memory in the
//!   real i386 format, written through the trait, so the model's MMU walks the
//!   very tables this kernel built.
//! - **Decode, then perform.** Every register and memory word a user thread
//!   controls is an allegation until checked; checking has no side effects,
//!   performing cannot fail. No `unwrap`, `expect` or panic on user data.
//! - **No heap.** All state is in fixed tables inside [`Kernel`], indexed by
//!   small integers, `#[repr(C)]` with 32-bit fields, so its layout is the same
//!   in the 32-bit native build, in wasm32 and on a 64-bit host.
//! - **Everything it does is reported** as a [`KernelEvent`] to the sink the
//!   hardware layer provides; the explorer and the model-vs-QEMU trace test
//!   are built on that stream.
//!
//! Must never depend on: `machine-model`, `sim`, `std`, any allocator, or any
//! crate that is not `no_std`. Only `ia32`.
#![no_std]

pub mod boot;
pub mod event;
pub mod hardware;

pub use boot::{BootInfo, BootModule, MemoryRegion};
pub use event::KernelEvent;
pub use hardware::{CpuKind, Hardware};

/// The kernel's version, shown in its banner.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The kernel: all of its state.
#[derive(Debug, Default, Clone)]
pub struct Kernel {
    booted: bool,
}

impl Kernel {
    pub const fn new() -> Self {
        Self { booted: false }
    }

    /// Whether [`Kernel::boot`] has run.
    pub fn is_booted(&self) -> bool {
        self.booted
    }
}
