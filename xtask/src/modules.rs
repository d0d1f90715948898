//! Boot modules for the native image: the same ELF files the model boots,
//! written by the simulator's runner (`l4-run --export-modules`), so sigma0
//! and every scenario program are assembled by one assembler in one place.

use crate::{Result, TaskError, paths, process};
use std::path::{Path, PathBuf};

/// What to boot after sigma0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Programs {
    /// A built-in scenario by name.
    Scenario(String),
    /// Files: `.elf` as they are, `.asm` assembled.
    Files(Vec<PathBuf>),
}

/// Build `l4-run` (release) once and return its path.
pub fn runner() -> Result<PathBuf> {
    let mut command = process::cargo();
    command.args(["build", "--quiet", "--release", "--package", "sim", "--bin", "l4-run"]);
    process::run(&mut command)?;
    Ok(paths::target().join("release").join("l4-run"))
}

/// Write sigma0 and the programs as ELF files under `target/modules/<name>/`
/// and return them in boot order.
pub fn export(programs: &Programs) -> Result<Vec<PathBuf>> {
    let runner = runner()?;
    let (name, mut arguments) = match programs {
        Programs::Scenario(name) => (name.clone(), vec!["--scenario".to_string(), name.clone()]),
        Programs::Files(files) => {
            let mut arguments = Vec::new();
            for file in files {
                arguments.push("--module".to_string());
                arguments.push(absolute(file).display().to_string());
            }
            // One folder per set of files: different sets exported at the
            // same time never share one.
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            arguments.hash(&mut hasher);
            (format!("custom-{:016x}", hasher.finish()), arguments)
        }
    };
    // Not emptied first: exports of the same programs may run at the same
    // time (the tests run in parallel); each file is replaced atomically.
    let directory = paths::target().join("modules").join(&name);
    arguments.push("--export-modules".into());
    arguments.push(directory.display().to_string());
    let output = std::process::Command::new(&runner)
        .args(&arguments)
        .output()
        .map_err(|error| TaskError::new(format!("cannot run {}: {error}", runner.display())))?;
    if !output.status.success() {
        return Err(TaskError::new(String::from_utf8_lossy(&output.stderr).trim().to_string()));
    }
    let listed = String::from_utf8_lossy(&output.stdout);
    Ok(listed.lines().map(PathBuf::from).collect())
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map(|directory| directory.join(path)).unwrap_or_else(|_| path.to_path_buf())
    }
}
