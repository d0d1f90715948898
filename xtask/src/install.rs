//! Installing what a command needs, when it is missing.

use crate::process::{self, describe, on_path};
use crate::{Result, TaskError, paths};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Once;

/// Make rustup install the targets and components `rust-toolchain.toml` lists.
/// With `RUSTUP_AUTO_INSTALL=0` (as on these machines) nothing else would.
pub fn ensure_toolchain() -> Result<()> {
    static ONCE: Once = Once::new();
    let mut outcome = Ok(());
    ONCE.call_once(|| {
        let mut command = Command::new("rustup");
        command.args(["toolchain", "install"]).current_dir(paths::root());
        outcome = process::output(&mut command).map(|_| ()).map_err(|error| {
            TaskError::new(format!(
                "{error}\nrustup could not install the pinned toolchain of rust-toolchain.toml. \
                 Install rustup (https://rustup.rs) and check that the registry is reachable."
            ))
        });
    });
    outcome
}

/// A program the commands need and the Debian package that provides it.
#[derive(Clone, Copy, Debug)]
pub struct DebianTool {
    pub program: &'static str,
    pub package: &'static str,
}

pub const QEMU: DebianTool = DebianTool { program: "qemu-system-i386", package: "qemu-system-x86" };
pub const CHROMIUM: DebianTool = DebianTool { program: "chromium", package: "chromium" };
pub const CHROMEDRIVER: DebianTool = DebianTool { program: "chromedriver", package: "chromium-driver" };
pub const NODE: DebianTool = DebianTool { program: "node", package: "nodejs" };
pub const NPM: DebianTool = DebianTool { program: "npm", package: "npm" };
pub const GRUB_MKRESCUE: DebianTool = DebianTool { program: "grub-mkrescue", package: "grub-pc-bin" };
pub const XORRISO: DebianTool = DebianTool { program: "xorriso", package: "xorriso" };
pub const MTOOLS: DebianTool = DebianTool { program: "mformat", package: "mtools" };
pub const GDB: DebianTool = DebianTool { program: "gdb", package: "gdb" };

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Install the missing ones with apt-get when running as root; otherwise say
/// exactly which packages to install and how.
pub fn ensure_debian(tools: &[DebianTool]) -> Result<()> {
    let missing: Vec<&DebianTool> = tools.iter().filter(|tool| !on_path(tool.program)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut packages: Vec<&str> = missing.iter().map(|tool| tool.package).collect();
    packages.dedup();
    let programs: Vec<&str> = missing.iter().map(|tool| tool.program).collect();
    if !is_root() || !on_path("apt-get") {
        return Err(TaskError::new(format!(
            "missing {}. Install with:\n    sudo apt-get install -y {}",
            programs.join(", "),
            packages.join(" ")
        )));
    }
    eprintln!("xtask: installing {} (for {})", packages.join(" "), programs.join(", "));
    let mut update = Command::new("apt-get");
    update.args(["update", "-qq"]).env("DEBIAN_FRONTEND", "noninteractive");
    process::output(&mut update)?;
    let mut install = Command::new("apt-get");
    install
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(&packages)
        .env("DEBIAN_FRONTEND", "noninteractive");
    process::output(&mut install)?;
    let still_missing: Vec<&str> =
        missing.iter().filter(|tool| !on_path(tool.program)).map(|tool| tool.program).collect();
    if still_missing.is_empty() {
        Ok(())
    } else {
        Err(TaskError::new(format!(
            "installed {} but still cannot find {}",
            packages.join(" "),
            still_missing.join(", ")
        )))
    }
}

/// Install the browser tests' node packages (playwright-core, pinned by the
/// lock file) into `tests/e2e/node_modules` if they are not there yet.
pub fn ensure_node_modules() -> Result<()> {
    ensure_debian(&[NODE, NPM])?;
    let folder = paths::e2e_sources();
    let marker = folder.join("node_modules").join(".package-lock.json");
    let lock = folder.join("package-lock.json");
    let fresh =
        match (marker.metadata().and_then(|meta| meta.modified()), lock.metadata().and_then(|meta| meta.modified())) {
            (Ok(installed), Ok(locked)) => installed >= locked,
            _ => false,
        };
    if fresh {
        return Ok(());
    }
    let mut command = Command::new("npm");
    command.args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]).current_dir(&folder);
    process::output(&mut command).map(|_| ()).map_err(|error| {
        TaskError::new(format!(
            "{error}\n`{}` in {} failed; is the npm registry reachable?",
            describe(&command),
            folder.display()
        ))
    })
}

/// The wasm-bindgen tools, built from the locked workspace (`xtask/wasm-tools`)
/// so their version always equals the `wasm-bindgen` crate's. Returns the
/// folder holding `wasm-bindgen-tool` and `wasm-bindgen-test-runner`.
pub fn wasm_tools() -> Result<PathBuf> {
    let mut command = process::cargo();
    command.args(["build", "--quiet", "--release", "--package", "wasm-tools"]);
    process::run(&mut command)?;
    Ok(paths::target().join("release"))
}
