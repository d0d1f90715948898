//! # lessons — the lesson format
//!
//! A lesson is one Markdown file, readable as it is on a code-hosting site:
//! a small front matter (title, summary, CPUs, small spaces, typed input,
//! thread names), an introduction, numbered steps (each a level-2 heading
//! with its text and a few keyed paragraphs — `**Go:**`, `**Look:**`,
//! `**Predict:**`, `**Reveal:**`, `**Check:**`, `**Machine:**`) and the
//! programs as fenced assembly blocks with file names. `docs/LESSONS.md`
//! is the teacher's guide to it.
//!
//! This crate is the format only — syntax, not meaning: it parses the
//! file (with pulldown-cmark; the front matter's few `key: value` lines by
//! hand), checks every key and sentence against the grammar, and reports
//! errors with the line and a hint. Whether a thread or a label a sentence
//! names exists, and whether a check holds, is decided by `sim::lesson`,
//! which knows the assembled programs and the machine.
//!
//! Also here, because both the page and the command line need them: the
//! lesson text as HTML that cannot run script ([`html::to_html`]), and the
//! codec that puts a lesson or a program into a link ([`link`]).
//!
//! Must never depend on: any other crate of the workspace (it is parsed in
//! the browser, on the command line and in tests alike).

pub mod error;
mod front_matter;
pub mod grammar;
pub mod html;
pub mod link;
mod parse;

pub use error::{LessonError, LessonErrors};
pub use grammar::{
    Check, Comparison, Counter, Go, Look, MachineChoice, Place, Register, StateName, Target, ThreadReference,
};
pub use parse::parse;

/// The CPUs a lesson runs on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cpu {
    I486,
    Pentium,
}

impl Cpu {
    /// `486`/`i486` or `pentium`/`p5`.
    pub fn parse(word: &str) -> Option<Self> {
        match word.trim().to_ascii_lowercase().as_str() {
            "486" | "i486" => Some(Cpu::I486),
            "pentium" | "p5" => Some(Cpu::Pentium),
            _ => None,
        }
    }

    /// The name in files and links.
    pub fn key(self) -> &'static str {
        match self {
            Cpu::I486 => "486",
            Cpu::Pentium => "pentium",
        }
    }
}

/// A value with the line of the lesson file it came from (1-based).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Located<T> {
    pub line: usize,
    /// The sentence as the file wrote it (what the page shows).
    pub text: String,
    pub value: T,
}

/// A name the lesson gives a thread: `ping: 5.0` or `ping: 0x04050001`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ThreadName {
    pub name: String,
    pub task: u8,
    pub lthread: u8,
    pub line: usize,
}

/// One program of the lesson: a fenced ```` ```asm file=NAME.asm ```` block.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ProgramFile {
    pub file: String,
    pub source: String,
    /// The lesson line of the program's first line (so an assembler error
    /// at program line n is at lesson line `first_line + n - 1`).
    pub first_line: usize,
}

/// One step: a level-2 heading and what follows it.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Step {
    pub title: String,
    pub line: usize,
    /// The step's text (Markdown, without its keyed paragraphs).
    pub text: String,
    /// What the explorer runs to when the student presses "go".
    pub go: Option<Located<Go>>,
    /// The view the student should look at.
    pub look: Option<Located<Look>>,
    /// A question to answer before going (Markdown), and its answer.
    pub predict: Option<String>,
    pub reveal: Option<String>,
    /// Conditions on the views the explorer shows as met or not.
    pub checks: Vec<Located<Check>>,
    /// From this step on, the machine is booted with this CPU / small spaces.
    pub machine: Option<Located<MachineChoice>>,
}

/// A whole lesson.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Lesson {
    /// The file it was read from (`ipc.md`), as errors name it.
    pub file: String,
    pub title: String,
    pub summary: String,
    /// The CPUs it runs on; the first is the one it opens on.
    pub cpus: Vec<Cpu>,
    pub small_spaces: bool,
    /// Typed into the kernel debugger's console at boot.
    pub input: String,
    pub threads: Vec<ThreadName>,
    /// The text before the first step (Markdown).
    pub introduction: String,
    pub steps: Vec<Step>,
    /// The programs: the first is the root task, the others boot as tasks 5, 6, ….
    pub programs: Vec<ProgramFile>,
}

impl Lesson {
    /// The CPU it opens on.
    pub fn cpu(&self) -> Cpu {
        self.cpus.first().copied().unwrap_or(Cpu::I486)
    }

    /// The CPU and small spaces in force at step `index` (0-based): the
    /// front matter's, changed by every `**Machine:**` up to that step.
    pub fn machine_at(&self, index: usize) -> (Cpu, bool) {
        let mut cpu = self.cpu();
        let mut small_spaces = self.small_spaces;
        for step in self.steps.iter().take(index + 1) {
            if let Some(machine) = &step.machine {
                cpu = machine.value.cpu.unwrap_or(cpu);
                small_spaces = machine.value.small_spaces.unwrap_or(small_spaces);
            }
        }
        (cpu, small_spaces)
    }

    /// The index of the step where the machine was last booted anew at or
    /// before step `index` (None: at the lesson's start).
    pub fn boot_step(&self, index: usize) -> Option<usize> {
        (0..=index.min(self.steps.len().saturating_sub(1))).rev().find(|&at| {
            self.steps.get(at).and_then(|step| step.machine.as_ref()).is_some_and(|machine| {
                let before = if at == 0 { (self.cpu(), self.small_spaces) } else { self.machine_at(at - 1) };
                before != self.machine_at(at) || machine.value.restart
            })
        })
    }
}
