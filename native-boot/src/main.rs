//! # native-boot — the kernel on a real i486 or Pentium
//!
//! The bootable multiboot (v1) image: a 32-bit ELF that QEMU's `-kernel`, GRUB
//! or any multiboot loader starts in protected mode. It sets up the GDT and
//! IDT, the serial port, and implements the kernel's `Hardware` trait with
//! real instructions. The kernel crate is the very one the browser runs.
//!
//! Built only for the bare-metal target `i486-l4.json` (no SSE, no x87, no
//! cpuid or rdtsc on the way to the kernel), by `cargo xtask boot`. On any
//! other target this binary only explains how to build it, so that the
//! workspace-wide `cargo clippy` and `cargo test` stay simple.
//!
//! Must never depend on: `machine-model`, `sim`, `wasm-bridge`, `web-ui`, or
//! anything that needs `std`.
#![cfg_attr(target_os = "none", no_std, no_main)]

pub mod exit;

#[cfg(target_os = "none")]
mod bare;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "native-boot is the bootable kernel image for a bare i486/Pentium.\n\
         Build and boot it in QEMU with `cargo xtask boot [--cpu 486|pentium]`."
    );
    std::process::exit(2);
}
