//! # xtask — build orchestration
//!
//! `cargo xtask serve | boot | test | …` (the alias lives in
//! `.cargo/config.toml`). The library half is shared with the `tests` crate so
//! that a QEMU boot test builds and runs the image exactly as `cargo xtask
//! boot` does, and the browser tests are served by the same server as
//! `cargo xtask serve`.
//!
//! Every tool a command needs and does not find is installed by the command:
//! rustup components and targets (from `rust-toolchain.toml`), Debian packages
//! when running as root, npm packages into the project, wasm-bindgen built from
//! the locked workspace into `target/`. Nothing is installed globally that the
//! project could keep to itself.
//!
//! Must never depend on: the kernel, the model or the UI crates (it builds
//! them; it does not link them).

pub mod calibrate;
pub mod disk;
pub mod fuzz;
pub mod gdb;
pub mod install;
pub mod iso;
pub mod modules;
pub mod native;
pub mod paths;
pub mod process;
pub mod qemu;
pub mod server;
pub mod web;

/// An error a person can act on: what went wrong and how to fix it.
#[derive(Debug)]
pub struct TaskError {
    pub message: String,
}

impl TaskError {
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into() }
    }
}

impl std::fmt::Display for TaskError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl std::error::Error for TaskError {}

impl From<std::io::Error> for TaskError {
    fn from(error: std::io::Error) -> Self {
        Self::new(error.to_string())
    }
}

pub type Result<T> = std::result::Result<T, TaskError>;
