//! The built-in scenarios: our sigma0 plus the programs each scenario boots,
//! as assembler sources compiled into the binary, so the browser has them
//! too and a user's edit is assembled the same way.

use crate::loading::Module;
use asm::{FileProvider, MemoryFiles, Options};

/// One program of a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Program {
    /// File name (`hello.asm`), as diagnostics show it.
    pub file: &'static str,
    pub source: &'static str,
}

/// A scenario: the programs that boot after sigma0, the first being the root task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scenario {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub programs: &'static [Program],
    /// Whether its kernel event trace is independent of timer preemption
    /// (the model-vs-QEMU trace comparison runs these).
    pub deterministic: bool,
}

macro_rules! program {
    ($file:literal) => {
        Program { file: $file, source: include_str!(concat!("../../scenarios/", $file)) }
    };
}

/// The root pager every scenario boots first.
pub const SIGMA0: Program = program!("sigma0.asm");

/// The assembler library (`%include "l4.inc"`).
pub const LIBRARY: &[Program] = &[program!("lib/l4.inc"), program!("lib/check.inc"), program!("lib/testing.inc")];

/// Every built-in scenario.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "hello",
        title: "Hello, sigma0",
        description: "The root task prints through the kernel debugger; its first `out` faults and sigma0 maps it the port.",
        programs: &[program!("hello.asm")],
        deterministic: true,
    },
    Scenario {
        name: "ping-pong",
        title: "Ping-pong across address spaces",
        description: "The root task pages two tasks it creates; they exchange 10,000 register IPCs.",
        programs: &[program!("ping-pong.asm")],
        deterministic: true,
    },
    Scenario {
        name: "many-threads",
        title: "64 threads in a ring",
        description: "The root task starts 63 more threads; a token goes round the ring of 64 a hundred times (6,400 IPCs within one space).",
        programs: &[program!("many-threads.asm")],
        deterministic: true,
    },
];

/// The ABI conformance programs (`scenarios/tests/`): each checks its own
/// results and ends with a verdict; the expected console and event traces
/// live next to them.
pub const TESTS: &[Program] = &[
    program!("tests/ipc-registers.asm"),
    program!("tests/ipc-memory.asm"),
    program!("tests/map-grant-unmap.asm"),
    program!("tests/clans-tasks.asm"),
    program!("tests/threads-schedule.asm"),
    program!("tests/exceptions.asm"),
    program!("tests/sigma0-protocol.asm"),
    program!("tests/kdebug.asm"),
    program!("tests/kdebug-input.asm"),
    program!("tests/pagefault-timeouts.asm"),
    program!("tests/interrupts.asm"),
    program!("tests/small-spaces.asm"),
    program!("tests/map-rights.asm"),
    program!("tests/transfer-abort.asm"),
    program!("tests/transfer-timeouts.asm"),
    program!("tests/task-delete.asm"),
    program!("tests/schedule-returns.asm"),
    program!("tests/io-ports.asm"),
    program!("tests/string-faults.asm"),
    program!("tests/segment-registers.asm"),
];

/// How a program wants to be run: `; test: small-spaces`, `; test: input=TEXT`
/// (with `\n` for a newline), `; test: nondeterministic` lines at its top;
/// and what its threads are called: `; threads: ping=5.0 pong=0x04060001`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Directives {
    pub small_spaces: bool,
    pub input: Vec<u8>,
    /// Its kernel events depend on timing (interrupts from devices, timer
    /// preemption): not compared between the model and QEMU.
    pub nondeterministic: bool,
    /// (name, task, lthread) from `; threads:` lines.
    pub names: Vec<(String, u8, u8)>,
}

impl Directives {
    pub fn parse(source: &str) -> Result<Self, String> {
        let mut directives = Directives::default();
        for (number, line) in source.lines().enumerate() {
            if let Some(rest) = line.trim().strip_prefix("; threads:") {
                let names =
                    crate::names::parse_directive(rest).map_err(|error| format!("line {}: {error}", number + 1))?;
                directives.names.extend(names);
                continue;
            }
            let Some(rest) = line.trim().strip_prefix("; test:") else { continue };
            for word in rest.split_whitespace() {
                match word.split_once('=') {
                    None if word == "small-spaces" => directives.small_spaces = true,
                    None if word == "nondeterministic" => directives.nondeterministic = true,
                    Some(("input", text)) => {
                        directives.input = text.replace("\\n", "\n").replace("\\r", "\r").into_bytes();
                    }
                    _ => return Err(format!("line {}: unknown test directive `{word}`", number + 1)),
                }
            }
        }
        Ok(directives)
    }
}

impl Directives {
    /// The names of every program's `; threads:` lines over `names`.
    pub fn name_threads(sources: &[&str], names: &mut crate::names::ThreadNames) {
        for source in sources {
            if let Ok(directives) = Directives::parse(source) {
                for (name, task, lthread) in directives.names {
                    names.declare(task, lthread, &name);
                }
            }
        }
    }
}

impl Program {
    /// The program's name: its file name without folder and `.asm`.
    pub fn name(&self) -> &'static str {
        let file = self.file.rsplit('/').next().unwrap_or(self.file);
        file.strip_suffix(".asm").unwrap_or(file)
    }

    /// Sigma0 and this program as the root task.
    pub fn modules(&self) -> Result<Vec<Module>, String> {
        let file = self.file.rsplit('/').next().unwrap_or(self.file);
        Ok(vec![sigma0()?, Module::new(self.name(), assemble(file, self.source)?)])
    }
}

/// The test program called `name`.
pub fn find_test(name: &str) -> Option<&'static Program> {
    TESTS.iter().find(|program| program.name() == name)
}

/// The scenario called `name`.
pub fn find(name: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|scenario| scenario.name == name)
}

/// The names of all scenarios, for error messages.
pub fn names() -> String {
    SCENARIOS.iter().map(|scenario| scenario.name).collect::<Vec<_>>().join(", ")
}

/// The library files plus `extra` under their names.
pub fn files_with(extra: &[(&str, &str)]) -> MemoryFiles {
    let mut files = MemoryFiles::new();
    for program in LIBRARY {
        let name = program.file.rsplit('/').next().unwrap_or(program.file);
        files.insert(name, program.source);
    }
    for (name, text) in extra {
        files.insert(name, text);
    }
    files
}

/// Assemble one source (with the library available) into an ELF image.
/// The error is the rendered diagnostics: file, line, column, caret, hint.
pub fn assemble(file: &str, source: &str) -> Result<Vec<u8>, String> {
    let files = files_with(&[(file, source)]);
    let program = asm::assemble(file, &files, &Options::default()).map_err(|diagnostics| diagnostics.render())?;
    program.to_elf().map_err(|error| format!("{file}: {error}"))
}

/// Files on disk for a program given on the command line: an `%include` is
/// looked up next to the including file first (as `cargo xtask asm` does),
/// then in the built-in library.
struct NextToTheProgram {
    library: MemoryFiles,
}

impl FileProvider for NextToTheProgram {
    fn read(&self, name: &str, from: Option<&str>) -> Option<(String, String)> {
        let path = match from {
            Some(from) => std::path::Path::new(from).parent().unwrap_or(std::path::Path::new(".")).join(name),
            None => std::path::PathBuf::from(name),
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Some((path.display().to_string(), text)),
            Err(_) => self.library.read(name, from),
        }
    }
}

/// Assemble a program from disk (`cargo xtask run --module FILE.asm`, and
/// `boot`): its includes next to it, then the library.
pub fn assemble_file(path: &std::path::Path) -> Result<Vec<u8>, String> {
    let files = NextToTheProgram { library: files_with(&[]) };
    let name = path.display().to_string();
    let program = asm::assemble(&name, &files, &Options::default()).map_err(|diagnostics| diagnostics.render())?;
    program.to_elf().map_err(|error| format!("{name}: {error}"))
}

/// Sigma0 as a boot module.
pub fn sigma0() -> Result<Module, String> {
    Ok(Module::new("sigma0", assemble(SIGMA0.file, SIGMA0.source)?))
}

impl Scenario {
    /// Sigma0 and the scenario's programs, assembled.
    pub fn modules(&self) -> Result<Vec<Module>, String> {
        let mut modules = vec![sigma0()?];
        for program in self.programs {
            let name = program.file.trim_end_matches(".asm");
            modules.push(Module::new(name, assemble(program.file, program.source)?));
        }
        Ok(modules)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_assembles() {
        for scenario in SCENARIOS {
            let modules = scenario.modules().unwrap_or_else(|error| panic!("{}: {error}", scenario.name));
            assert_eq!(modules.len(), scenario.programs.len() + 1);
        }
    }

    #[test]
    fn assembly_errors_are_rendered_with_their_line() {
        let error = assemble("broken.asm", "_start:\n    mov eax, ebx, ecx\n").unwrap_err();
        assert!(error.contains("broken.asm:2:"), "{error}");
    }
}
