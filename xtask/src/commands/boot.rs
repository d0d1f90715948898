//! `cargo xtask boot [--cpu 486|pentium] [--gdb]`

use crate::arguments::Arguments;
use xtask::qemu::{Cpu, QemuConfig, verdict_text};
use xtask::{Result, install, native, process};

pub fn run(mut arguments: Arguments) -> Result<i32> {
    let cpu = match arguments.value("--cpu")? {
        Some(text) => Cpu::parse(&text)?,
        None => Cpu::I486,
    };
    let gdb = arguments.flag("--gdb");
    arguments.finish("boot", "--cpu 486|pentium, --gdb")?;
    install::ensure_debian(&[install::QEMU])?;
    let image = native::build_image()?;
    let mut config = QemuConfig::new(cpu, &image);
    config.gdb = gdb;
    if gdb {
        println!("QEMU waits for gdb on localhost:1234. Attach with:");
        println!(
            "    gdb -q -ex 'set architecture i386' -ex 'file {}' -ex 'target remote localhost:1234' -ex 'break native_main' -ex 'continue'",
            image.display()
        );
    }
    eprintln!("xtask: booting {} on -cpu {} (serial below; Ctrl-C stops QEMU)", image.display(), cpu.qemu_name());
    let status = process::status(&mut config.command())?;
    let code = status.code().unwrap_or(1);
    eprintln!("xtask: QEMU exited with {code}: {}", verdict_text(code));
    Ok(if code == 33 { 0 } else { 1 })
}
