//! Building the explorer: yew → wasm32 → wasm-bindgen → `target/site/`.

use crate::{Result, TaskError, install, paths, process};
use std::path::{Path, PathBuf};

/// The built site and its sizes.
#[derive(Clone, Debug)]
pub struct Site {
    pub folder: PathBuf,
    /// The wasm module after wasm-bindgen, in bytes.
    pub wasm_bytes: u64,
}

/// Build the explorer in release mode into `target/site/`.
pub fn build_site() -> Result<Site> {
    install::ensure_toolchain()?;
    let mut build = process::cargo();
    build.args(["build", "--quiet", "--release", "--package", "web-ui", "--target", "wasm32-unknown-unknown"]);
    process::run(&mut build)?;
    let tools = install::wasm_tools()?;
    let input = paths::target().join("wasm32-unknown-unknown").join("release").join("web-ui.wasm");
    let site = paths::site();
    let package = site.join("pkg");
    if package.exists() {
        std::fs::remove_dir_all(&package)?;
    }
    let mut bindgen = std::process::Command::new(tools.join("wasm-bindgen-tool"));
    bindgen
        .args(["--target", "web", "--no-typescript", "--out-name", "explorer", "--out-dir"])
        .arg(&package)
        .arg(&input);
    process::run(&mut bindgen)?;
    optimize_wasm(&package.join("explorer_bg.wasm"))?;
    copy_folder(&paths::root().join("static"), &site)?;
    bundle_editor(&site)?;
    let wasm_bytes = std::fs::metadata(package.join("explorer_bg.wasm"))
        .map_err(|error| TaskError::new(format!("wasm-bindgen left no explorer_bg.wasm: {error}")))?
        .len();
    Ok(Site { folder: site, wasm_bytes })
}

/// Optimise the wasm module in place with binaryen's `wasm-opt -O3` (npm,
/// `web-ui/optimizer`): the model runs 7–10 % faster in Chromium than as
/// rustc and wasm-bindgen leave it (docs/BENCHMARKS.md). It takes ~35 s, so
/// the result is kept in `target/wasm-opt/`, named by a hash of its input,
/// and reused while the module is unchanged.
fn optimize_wasm(module: &Path) -> Result<()> {
    let folder = paths::root().join("web-ui").join("optimizer");
    install::ensure_node_packages(&folder)?;
    let input = std::fs::read(module)?;
    let cache = paths::target().join("wasm-opt");
    // Named as `modules::export` names its folders: the standard hasher
    // (a new toolchain may name the same input anew: one more run).
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    input.hash(&mut hasher);
    let optimized = cache.join(format!("{:016x}.wasm", hasher.finish()));
    if !optimized.exists() {
        // Only the latest module is worth keeping.
        if cache.exists() {
            std::fs::remove_dir_all(&cache)?;
        }
        std::fs::create_dir_all(&cache)?;
        let partial = cache.join("partial.wasm");
        let mut optimizer = std::process::Command::new(folder.join("node_modules").join(".bin").join("wasm-opt"));
        // The features the module uses are read from its target_features section.
        optimizer.arg("-O3").arg(module).arg("-o").arg(&partial);
        process::run(&mut optimizer).map_err(|error| {
            TaskError::new(format!(
                "{error}\nwasm-opt comes from npm's binaryen in {}; delete its node_modules \
                 folder and build again to reinstall it",
                folder.display()
            ))
        })?;
        std::fs::rename(&partial, &optimized)?;
    }
    std::fs::copy(&optimized, module)?;
    Ok(())
}

/// The program editor (CodeMirror 6 from npm, `web-ui/editor`), bundled by
/// esbuild into `site/editor.js`; the page keeps a plain text area without it.
fn bundle_editor(site: &Path) -> Result<()> {
    let folder = paths::root().join("web-ui").join("editor");
    install::ensure_node_packages(&folder)?;
    let mut esbuild = std::process::Command::new(folder.join("node_modules").join(".bin").join("esbuild"));
    esbuild
        .args(["editor.js", "--bundle", "--minify", "--format=iife", "--target=es2020", "--log-level=warning"])
        .arg(format!("--outfile={}", site.join("editor.js").display()))
        .current_dir(&folder);
    process::run(&mut esbuild)
}

fn copy_folder(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let destination = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_folder(&entry.path(), &destination)?;
        } else {
            std::fs::copy(entry.path(), &destination)?;
        }
    }
    Ok(())
}

/// The size of `path` after `gzip -9`, as a server would send it; `None` without gzip.
pub fn gzipped_size(path: &Path) -> Option<u64> {
    let output = std::process::Command::new("gzip").arg("-9").arg("-c").arg(path).output().ok()?;
    output.status.success().then_some(output.stdout.len() as u64)
}
