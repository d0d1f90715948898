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
    /// A built-in lesson by name, or a lesson file: its programs.
    Lesson(String),
}

/// How a lesson wants its programs run (written next to them by the export).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LessonSettings {
    pub cpu: Option<String>,
    pub small_spaces: bool,
    /// Console input as `--input` takes it (`\n` for a newline).
    pub input: Option<String>,
}

/// The settings of a lesson's export (`lesson.settings` beside its modules).
pub fn lesson_settings(modules: &[PathBuf]) -> Option<LessonSettings> {
    let folder = modules.first()?.parent()?;
    let text = std::fs::read_to_string(folder.join("lesson.settings")).ok()?;
    let mut settings = LessonSettings::default();
    for line in text.lines() {
        match line.split_once('=') {
            Some(("cpu", value)) => settings.cpu = Some(value.to_string()),
            Some(("small-spaces", value)) => settings.small_spaces = value == "1",
            Some(("input", value)) if !value.is_empty() => settings.input = Some(value.to_string()),
            _ => {}
        }
    }
    Some(settings)
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
        Programs::Lesson(name) => {
            // A file is named by its absolute path; a built-in lesson by its name.
            let path = Path::new(name);
            let (folder, argument) = if path.exists() {
                let stem = path.file_stem().and_then(|stem| stem.to_str()).unwrap_or("lesson").to_string();
                (format!("lesson-file-{stem}"), absolute(path).display().to_string())
            } else {
                (format!("lesson-{name}"), name.clone())
            };
            (folder, vec!["--lesson".to_string(), argument])
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
