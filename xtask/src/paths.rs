//! Where things are.

use std::path::{Path, PathBuf};

/// The workspace root (the folder holding `rust-toolchain.toml`).
pub fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or_else(|| manifest.to_path_buf())
}

/// `target/` of the workspace.
pub fn target() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"))
}

/// The native image's own target folder (kept apart: it is built with
/// `RUSTC_BOOTSTRAP=1` and `-Zbuild-std`, which must not disturb host builds).
pub fn native_target() -> PathBuf {
    target().join("native")
}

/// The built explorer site (static files + wasm bundle).
pub fn site() -> PathBuf {
    target().join("site")
}

/// Artifacts of the browser tests (screenshots).
pub fn e2e_artifacts() -> PathBuf {
    target().join("e2e")
}

/// Node packages for the browser tests.
pub fn e2e_sources() -> PathBuf {
    root().join("tests").join("e2e")
}
