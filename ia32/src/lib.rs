//! # ia32 — the vocabulary every other crate speaks
//!
//! Types only: physical and virtual addresses, page frames, page-directory and
//! page-table entries, segment selectors and descriptors, control-register and
//! EFLAGS bits, and the bit layouts of the L4/x86 X.0 binary interface (thread
//! ids, flexpages, timeouts, message dopes, result words).
//!
//! Why a crate of its own: the kernel, the machine model, the assembler and the
//! explorer must agree on every bit. Declaring each layout once (as seL4 does in
//! its `.bf` files) means a disagreement is a compile error, not a bug hunt.
//!
//! Rules: `no_std`, no dependencies, no allocation, no `unsafe`. Every type is a
//! newtype with named accessors; there are no arithmetic operators that would let
//! a `PhysAddr` be added to a `VirtAddr` by accident.
//!
//! Must never depend on: anything. Everything depends on it.
#![no_std]
#![forbid(unsafe_code)]

pub mod abi;
pub mod address;
pub mod paging;
pub mod registers;
pub mod segment;

pub use address::{Frame, PAGE_SIZE, PhysAddr, SUPERPAGE_SIZE, VirtAddr};
