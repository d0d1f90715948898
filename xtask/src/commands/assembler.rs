//! `cargo xtask asm FILE [-o OUT.elf] [--base ADDRESS] [--entry SYMBOL] [-I DIR]… [-D NAME=VALUE]…`:
//! the project's assembler (the `l4asm` binary of the `asm` crate).

use crate::arguments::Arguments;
use xtask::{Result, process};

pub fn run(arguments: Arguments) -> Result<i32> {
    let mut command = process::cargo();
    command.args(["run", "--quiet", "--release", "--package", "asm", "--bin", "l4asm", "--"]);
    command.args(arguments.rest());
    let status = process::status(&mut command)?;
    Ok(status.code().unwrap_or(1))
}
