//! `cargo xtask run …`: the kernel on the machine model, headless (the
//! `l4-run` binary of the `sim` crate; `cargo xtask run --help` lists its flags).

use crate::arguments::Arguments;
use xtask::{Result, modules};

pub fn run(arguments: Arguments) -> Result<i32> {
    let runner = modules::runner()?;
    let status = xtask::process::status(std::process::Command::new(runner).args(arguments.rest()))?;
    Ok(status.code().unwrap_or(1))
}
