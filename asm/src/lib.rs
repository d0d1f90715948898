//! # asm — the assembler and the loader for L4/x86 user programs
//!
//! User programs are what a student edits and steps through, and what the
//! kernel's tests and boot modules are made of. This crate turns NASM-like
//! Intel syntax into ELF32 i386 executables, and loads ELF32 executables
//! (ours or anyone's) for the boot path and the explorer.
//!
//! Design principles:
//! - **The loader is `no_std` without an allocator** (module [`loader`]), so
//!   the native image can use it; it validates everything it reads and
//!   reports malformed files as errors, never panics.
//! - **Instruction selection comes from iced-x86's opcode tables.** For a
//!   mnemonic and its operands every matching `Code` is encoded and the
//!   shortest wins; nothing here hand-writes an x86 encoder.
//! - **Errors a person can act on**: file:line:column, the line with a caret
//!   under the culprit, and a hint ("did you mean `eax`?", "write `dword
//!   [ebx]`"). Assembly goes on after an error to report the others.
//! - **The same code runs at build time, in tests and in the browser**: files
//!   come from a [`source::FileProvider`], not from the file system.
//!
//! Must never depend on: the kernel, the model, `sim`, or anything that
//! needs more than `alloc` outside the `assembler` feature.
#![cfg_attr(not(feature = "assembler"), no_std)]

pub mod loader;

#[cfg(feature = "assembler")]
mod assemble;
#[cfg(feature = "assembler")]
pub mod diagnostic;
#[cfg(feature = "assembler")]
mod elf;
#[cfg(feature = "assembler")]
mod expression;
#[cfg(feature = "assembler")]
mod lexer;
#[cfg(feature = "assembler")]
mod operands;
#[cfg(feature = "assembler")]
mod parse;
#[cfg(feature = "assembler")]
mod preprocess;
#[cfg(feature = "assembler")]
mod select;
#[cfg(feature = "assembler")]
pub mod source;

#[cfg(feature = "assembler")]
pub use assemble::{Options, Program, SectionImage, SourceLine, Symbol, assemble};
#[cfg(feature = "assembler")]
pub use diagnostic::{Diagnostic, Diagnostics};
#[cfg(feature = "assembler")]
pub use source::{FileProvider, MemoryFiles};
