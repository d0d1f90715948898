//! Lessons on the machine: the built-in lessons, and what a lesson's
//! sentences mean once its programs are assembled.
//!
//! `lessons` (the crate) reads the file; here a lesson is *prepared*: its
//! programs assembled (errors placed at their line in the lesson file), its
//! thread names and labels resolved in every `**Go:**` and `**Check:**`
//! (an unknown name is an error at its line, found before anything runs),
//! and the boot modules made. [`evaluate`] decides checks on a running
//! system and [`walk`] follows a lesson headless, as the command line and
//! the tests do; the explorer follows it with time travel
//! (`wasm_bridge::Session`), using the same matching and evaluation.

mod evaluate;
mod resolve;
mod walk;

pub use evaluate::{Baseline, CheckOutcome, evaluate};
pub use lessons::{self as format, Lesson, LessonError, LessonErrors};
pub use resolve::{ResolvedCheck, ResolvedCheckKind, ResolvedGo, ResolvedStep, ResolvedTarget, ThreadKey};
pub use walk::{GO_LIMIT, StepReport, cpu_model, describe_end, run_to, walk};

use crate::loading::Module;
use crate::names::ThreadNames;

/// A lesson that comes with the explorer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuiltinLesson {
    /// Its name in links and on the command line (`ipc`).
    pub name: &'static str,
    /// Its file (`01-ipc.md`), as errors name it.
    pub file: &'static str,
    pub text: &'static str,
}

macro_rules! lesson {
    ($name:literal, $file:literal) => {
        BuiltinLesson { name: $name, file: $file, text: include_str!(concat!("../../../scenarios/lessons/", $file)) }
    };
}

/// The built-in lessons, in the order a student takes them.
pub const LESSONS: &[BuiltinLesson] = &[
    lesson!("ipc", "01-ipc.md"),
    lesson!("inheritance", "02-inheritance.md"),
    lesson!("pager", "03-pager.md"),
    lesson!("interrupts", "04-interrupts.md"),
    lesson!("small-spaces", "05-small-spaces.md"),
    lesson!("long-ipc", "06-long-ipc.md"),
    lesson!("clans", "07-clans.md"),
    lesson!("numbers", "08-numbers.md"),
];

/// The built-in lesson called `name`.
pub fn find(name: &str) -> Option<&'static BuiltinLesson> {
    LESSONS.iter().find(|lesson| lesson.name == name)
}

/// The built-in lessons' names, for messages.
pub fn names() -> String {
    LESSONS.iter().map(|lesson| lesson.name).collect::<Vec<_>>().join(", ")
}

/// A lesson ready to run: parsed, assembled, resolved.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub lesson: Lesson,
    /// Sigma0 and the lesson's `.asm` programs, assembled.
    pub modules: Vec<Module>,
    pub names: ThreadNames,
    pub steps: Vec<ResolvedStep>,
}

/// Parse, assemble and resolve a lesson file.
pub fn prepare(file: &str, text: &str) -> Result<Prepared, LessonErrors> {
    let lesson = lessons::parse(file, text)?;
    prepare_parsed(lesson)
}

/// Assemble and resolve a parsed lesson.
pub fn prepare_parsed(lesson: Lesson) -> Result<Prepared, LessonErrors> {
    let mut errors = Vec::new();
    let sources: Vec<(&str, &str)> =
        lesson.programs.iter().map(|program| (program.file.as_str(), program.source.as_str())).collect();
    let mut modules = match crate::scenarios::sigma0() {
        Ok(sigma0) => vec![sigma0],
        Err(error) => return Err(LessonErrors { file: lesson.file.clone(), list: vec![LessonError::new(0, error)] }),
    };
    for program in lesson.programs.iter().filter(|program| program.file.ends_with(".asm")) {
        match crate::inspect::assemble_detailed_with(&program.file, &sources) {
            Ok(elf) => modules.push(Module::new(program.file.trim_end_matches(".asm"), elf)),
            Err(list) => {
                for error in list {
                    // An error in one of the lesson's own files sits at its lesson line.
                    let line = lesson
                        .programs
                        .iter()
                        .find(|known| known.file == error.file)
                        .map_or(0, |known| known.first_line + (error.line as usize).saturating_sub(1));
                    let mut message = format!("{}:{}:{}: {}", error.file, error.line, error.column, error.message);
                    if line == 0 {
                        message.push_str(" (in a library file)");
                    }
                    let mut lesson_error = LessonError::new(line, message);
                    lesson_error.hint = error.hint;
                    errors.push(lesson_error);
                }
            }
        }
    }
    let module_names: Vec<&str> = modules.iter().map(|module| module.name.as_str()).collect();
    let mut names = ThreadNames::defaults(&module_names);
    for program in &lesson.programs {
        match crate::scenarios::Directives::parse(&program.source) {
            Ok(directives) => {
                for (name, task, lthread) in directives.names {
                    names.declare(task, lthread, &name);
                }
            }
            Err(error) => errors.push(LessonError::new(program.first_line, format!("{}: {error}", program.file))),
        }
    }
    for thread in &lesson.threads {
        names.declare(thread.task, thread.lthread, &thread.name);
    }
    if !errors.is_empty() {
        return Err(LessonErrors { file: lesson.file.clone(), list: errors });
    }
    let labels = resolve::labels(&modules);
    let steps = resolve::steps(&lesson, &names, &labels, &mut errors);
    if !errors.is_empty() {
        errors.sort_by_key(|error| error.line);
        return Err(LessonErrors { file: lesson.file.clone(), list: errors });
    }
    Ok(Prepared { lesson, modules, names, steps })
}

#[cfg(test)]
mod tests;
