//! Building the native image for the bare-metal i486 target.
//!
//! Stable Rust with `RUSTC_BOOTSTRAP=1`, a custom target file
//! (`native-boot/i486-l4.json`: LLVM cpu i486, soft float, no SSE/MMX), and
//! `core` rebuilt from source, because the prebuilt i686 `core` contains SSE2
//! instructions that fault on `-cpu 486` and `-cpu pentium`.

use crate::{Result, install, paths, process};
use std::path::PathBuf;
use std::process::Command;

/// The target specification file.
pub fn target_spec() -> PathBuf {
    paths::root().join("native-boot").join("i486-l4.json")
}

/// A cargo command set up for the bare-metal target (`subcommand` = build, clippy, …).
pub fn cargo_for_target(subcommand: &str) -> Command {
    let mut command = process::cargo();
    command
        .env("RUSTC_BOOTSTRAP", "1")
        .arg(subcommand)
        .arg("--package")
        .arg("native-boot")
        .arg("--profile")
        .arg("kernel")
        .arg("--target")
        .arg(target_spec())
        .args([
            "-Zjson-target-spec",
            "-Zbuild-std=core,alloc,compiler_builtins",
            "-Zbuild-std-features=compiler-builtins-mem",
        ])
        .arg("--target-dir")
        .arg(paths::native_target());
    command
}

/// Build the multiboot image and return its path.
pub fn build_image() -> Result<PathBuf> {
    install::ensure_toolchain()?;
    let mut command = cargo_for_target("build");
    command.arg("--quiet");
    process::run(&mut command)?;
    Ok(image_path())
}

/// Where `build_image` puts the image.
pub fn image_path() -> PathBuf {
    paths::native_target().join("i486-l4").join("kernel").join("native-boot")
}
