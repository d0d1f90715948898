//! A GRUB-bootable ISO of the native image and a scenario's modules
//! (`grub-mkrescue`, from Debian's grub-pc-bin, with xorriso and mtools), so
//! the kernel boots on other emulators and on real machines.

use crate::modules::{self, Programs};
use crate::{Result, TaskError, install, native, paths, process};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Build `target/iso/<name>.iso` and return its path.
pub fn build(programs: &Programs, name: &str) -> Result<PathBuf> {
    install::ensure_debian(&[install::GRUB_MKRESCUE, install::XORRISO, install::MTOOLS])?;
    let image = native::build_image()?;
    let modules = modules::export(programs)?;
    let root = paths::target().join("iso").join(name);
    let _ = std::fs::remove_dir_all(&root);
    let boot = root.join("boot");
    std::fs::create_dir_all(boot.join("grub"))?;
    std::fs::copy(&image, boot.join("kernel.elf"))?;
    let mut menu = String::from(
        "# The L4 X.0 kernel with sigma0 and the scenario's programs, on COM1 and the screen.\n\
         set timeout=1\nset default=0\n\
         serial --unit=0 --speed=115200\nterminal_input serial console\nterminal_output serial console\n",
    );
    let _ = writeln!(menu, "menuentry \"L4/x86 X.0 microkernel: {name}\" {{");
    let _ = writeln!(menu, "    multiboot /boot/kernel.elf");
    for module in &modules {
        let file = module
            .file_name()
            .and_then(|file| file.to_str())
            .ok_or_else(|| TaskError::new(format!("{}: not a file name", module.display())))?;
        std::fs::copy(module, boot.join(file))?;
        let _ = writeln!(menu, "    module /boot/{file} {}", file.trim_end_matches(".elf"));
    }
    let _ = writeln!(menu, "    boot\n}}");
    std::fs::write(boot.join("grub").join("grub.cfg"), menu)?;
    let iso = paths::target().join("iso").join(format!("{name}.iso"));
    let mut command = std::process::Command::new("grub-mkrescue");
    command.arg("-o").arg(&iso).arg(&root);
    process::output(&mut command)?;
    Ok(iso)
}
