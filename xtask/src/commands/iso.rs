//! `cargo xtask iso [--scenario NAME | --module FILE …]`: a GRUB-bootable ISO.

use crate::arguments::Arguments;
use std::path::PathBuf;
use xtask::modules::Programs;
use xtask::{Result, TaskError, iso};

pub fn run(mut arguments: Arguments) -> Result<i32> {
    let scenario = arguments.value("--scenario")?;
    let mut files = Vec::new();
    while let Some(file) = arguments.value("--module")? {
        files.push(PathBuf::from(file));
    }
    arguments.finish("iso", "--scenario NAME, --module FILE (repeatable)")?;
    let (programs, name) = match (scenario, files.is_empty()) {
        (Some(name), true) => (Programs::Scenario(name.clone()), name),
        (None, false) => (Programs::Files(files), "custom".to_string()),
        (None, true) => (Programs::Scenario("hello".into()), "hello".to_string()),
        (Some(_), false) => return Err(TaskError::new("give either --scenario or --module, not both")),
    };
    let path = iso::build(&programs, &name)?;
    println!("{}", path.display());
    eprintln!("xtask: boot it with: qemu-system-i386 -cpu pentium -m 16 -cdrom {} -serial stdio", path.display());
    Ok(0)
}
