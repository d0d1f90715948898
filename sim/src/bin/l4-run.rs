//! `l4-run` (what `cargo xtask run` starts): boot the kernel on the model
//! with our sigma0 and the given modules, print the kernel-debugger console,
//! and exit with the program's verdict.

use sim::lesson::{self, Prepared};
use sim::{Budget, CpuModel, EventFilter, Module, RunResult, System, SystemConfig, scenarios};
use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask run [--scenario NAME | --lesson NAME|FILE.md | --module FILE …] [options]

Boots the L4 kernel on the machine model with sigma0 and the given modules
(the first module is the root task; .elf files are loaded as they are, .asm
files are assembled first), prints the kernel-debugger console, and exits
with the program's isa-debug-exit verdict.

A lesson is first followed step by step — each step's go, then each check
with what the machine shows — and then its programs run to their verdict.

options:
  --scenario NAME        a built-in scenario (hello, ping-pong, …)
  --lesson NAME|FILE     a built-in lesson (ipc, …) or a lesson file (docs/LESSONS.md)
  --no-steps             with --lesson: only run its programs, do not follow the steps
  --module FILE          a boot module after sigma0 (repeat for more)
  --cpu 486|pentium      the processor (default 486; a lesson's first CPU)
  --small-spaces         honour small-space ids (segment-based switching)
  --memory MB            installed memory (default 16)
  --memory-kb KB         installed memory in KB (QEMU's -m 16 gives a multiboot kernel 16256)
  --events FILE          write the kernel events in the native image's line format (`@k kind key=value`)
  --export-modules DIR   write the boot modules (sigma0 first) as ELF files into DIR and exit
  --input TEXT           console input for the kernel debugger's inchar (\\n, \\r allowed)
  --trace FILE.jsonl     write kernel and machine events as JSON lines
  --machine-events       include machine events (TLB fills, page walks, …) in the trace
  --max-cycles N         stop after N cycles (default 2,000,000,000)
  --stop-in-debugger     stop at enter_kdebug instead of logging and going on
  --summary              print cycles, instructions, kernel statistics and every thread at the end
  --gdb [PORT]           stop before the root task's first instruction and serve gdb on 127.0.0.1:PORT
                         (default 1234; 0 picks a free port); prints the command that attaches

exit status: 0 verdict success (0x10), 1 verdict failure (0x11), other verdicts
as QEMU reports them ((value << 1) | 1); 2 stopped in the kernel debugger,
3 dead system, 4 cycle limit, 5 model failure, 6 a lesson step not reached or
a check not met, 64 usage, lesson or boot error.";

#[derive(Clone)]
struct Options {
    scenario: Option<String>,
    lesson: Option<String>,
    steps: bool,
    /// Whether --cpu, --small-spaces and --input were given (they win over a lesson's).
    cpu_given: bool,
    input_given: bool,
    modules: Vec<String>,
    config: SystemConfig,
    input: Vec<u8>,
    trace: Option<String>,
    events: Option<String>,
    export: Option<String>,
    max_cycles: u64,
    summary: bool,
    /// Serve gdb on this port.
    gdb: Option<u16>,
}

fn parse(arguments: &[String]) -> Result<Options, String> {
    let mut options = Options {
        scenario: None,
        lesson: None,
        steps: true,
        cpu_given: false,
        input_given: false,
        modules: Vec::new(),
        config: SystemConfig::new(CpuModel::I486),
        input: Vec::new(),
        trace: None,
        events: None,
        export: None,
        max_cycles: 2_000_000_000,
        summary: false,
        gdb: None,
    };
    let mut machine_events = false;
    let mut index = 0;
    while index < arguments.len() {
        let flag = arguments[index].as_str();
        let mut value = || {
            index += 1;
            arguments.get(index).cloned().ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag {
            "--scenario" => options.scenario = Some(value()?),
            "--lesson" => options.lesson = Some(value()?),
            "--no-steps" => options.steps = false,
            "--module" => options.modules.push(value()?),
            "--cpu" => {
                options.cpu_given = true;
                options.config.cpu = match value()?.as_str() {
                    "486" | "i486" => CpuModel::I486,
                    "pentium" | "586" => CpuModel::Pentium,
                    other => return Err(format!("--cpu {other}: choose 486 or pentium")),
                }
            }
            "--small-spaces" => options.config.small_spaces = true,
            "--memory" => {
                let text = value()?;
                let megabytes: u32 = text.parse().map_err(|_| format!("--memory {text}: give megabytes, e.g. 16"))?;
                if !(8..=240).contains(&megabytes) {
                    return Err(format!("--memory {megabytes}: the kernel runs with 8 to 240 MB"));
                }
                options.config.memory_kb = megabytes * 1024;
            }
            "--memory-kb" => {
                let text = value()?;
                let kilobytes: u32 =
                    text.parse().map_err(|_| format!("--memory-kb {text}: give kilobytes, e.g. 16256"))?;
                if !(8192..=245_760).contains(&kilobytes) || !kilobytes.is_multiple_of(4) {
                    return Err(format!("--memory-kb {kilobytes}: the kernel runs with 8 to 240 MB, in 4 KB pages"));
                }
                options.config.memory_kb = kilobytes;
            }
            "--events" => options.events = Some(value()?),
            "--export-modules" => options.export = Some(value()?),
            "--input" => {
                options.input_given = true;
                options.input = unescape(&value()?);
            }
            "--trace" => options.trace = Some(value()?),
            "--machine-events" => machine_events = true,
            "--max-cycles" => {
                let text = value()?;
                options.max_cycles =
                    text.replace(['_', ','], "").parse().map_err(|_| format!("--max-cycles {text}: not a number"))?;
            }
            "--stop-in-debugger" => options.config.stop_in_debugger = true,
            "--summary" => options.summary = true,
            "--gdb" => options.gdb = Some(gdb_port(arguments, &mut index)?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option {other}")),
        }
        index += 1;
    }
    let sources = options.scenario.is_some() as u8 + options.lesson.is_some() as u8 + !options.modules.is_empty() as u8;
    if sources == 0 {
        return Err("name a --scenario, a --lesson or at least one --module (the root task)".into());
    }
    if sources > 1 {
        return Err("give one of --scenario, --lesson or --module, not several".into());
    }
    if machine_events {
        options.config.machine_events = EventFilter::CHANGES;
    }
    Ok(options)
}

/// `\n`, `\r`, `\t` and `\\` in --input.
fn unescape(text: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut characters = text.chars();
    while let Some(character) = characters.next() {
        if character != '\\' {
            let mut buffer = [0; 4];
            bytes.extend_from_slice(character.encode_utf8(&mut buffer).as_bytes());
            continue;
        }
        match characters.next() {
            Some('n') => bytes.push(b'\n'),
            Some('r') => bytes.push(b'\r'),
            Some('t') => bytes.push(b'\t'),
            Some(other) => {
                let mut buffer = [0; 4];
                bytes.extend_from_slice(other.encode_utf8(&mut buffer).as_bytes());
            }
            None => bytes.push(b'\\'),
        }
    }
    bytes
}

fn load_module(path: &str) -> Result<Module, String> {
    let bytes = std::fs::read(path).map_err(|error| format!("{path}: {error}"))?;
    let name = std::path::Path::new(path).file_stem().and_then(|stem| stem.to_str()).unwrap_or(path).to_string();
    if path.ends_with(".asm") {
        // Its includes next to it first, then the library (as `cargo xtask asm`).
        return Ok(Module::new(name, scenarios::assemble_file(std::path::Path::new(path))?));
    }
    Ok(Module::new(name, bytes))
}

/// A built-in lesson by name, or a lesson file; its errors rendered.
fn prepare_lesson(name: &str) -> Result<Prepared, String> {
    let (file, text) = match lesson::find(name) {
        Some(builtin) => (builtin.file.to_string(), builtin.text.to_string()),
        None if name.ends_with(".md") || std::path::Path::new(name).exists() => {
            let text = std::fs::read_to_string(name).map_err(|error| format!("{name}: {error}"))?;
            (name.to_string(), text)
        }
        None => {
            return Err(format!(
                "no lesson called `{name}`; the lessons are: {} (or give a .md file)",
                lesson::names()
            ));
        }
    };
    lesson::prepare(&file, &text).map_err(|errors| errors.render().trim_end().to_string())
}

/// Follow a lesson's steps, printing each; whether all were reached and met.
fn follow_steps(prepared: &Prepared) -> Result<bool, String> {
    let lesson = &prepared.lesson;
    println!("lesson: {} ({} steps, {})", lesson.title, lesson.steps.len(), lesson.cpu().key());
    let reports = lesson::walk(prepared, |report, _| {
        let total = lesson.steps.len();
        println!("step {}/{total}: {}", report.index + 1, report.title);
        if let Err(problem) = &report.reached {
            println!("  ✘ go: {problem}");
        }
        for (text, line, outcome) in &report.checks {
            let mark = if outcome.met { "✔" } else { "✘" };
            println!("  {mark} {text}   ({}; line {line})", outcome.found);
        }
    })?;
    let passed = reports.iter().filter(|report| report.passed()).count();
    println!("lesson: {passed} of {} steps reached with every check met\n", reports.len());
    Ok(passed == reports.len())
}

fn modules(options: &Options) -> Result<Vec<Module>, String> {
    if let Some(name) = &options.lesson {
        return Ok(prepare_lesson(name)?.modules);
    }
    if let Some(name) = &options.scenario {
        let scenario = scenarios::find(name)
            .ok_or_else(|| format!("no scenario called `{name}`; the scenarios are: {}", scenarios::names()))?;
        return scenario.modules();
    }
    let mut modules = vec![scenarios::sigma0()?];
    for path in &options.modules {
        modules.push(load_module(path)?);
    }
    Ok(modules)
}

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&arguments) {
        Ok(options) => options,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(64);
        }
    };
    match run(&options) {
        Ok(code) => ExitCode::from(code),
        // A lesson's errors are rendered whole already (`file:line: error: …`).
        Err(message) if message.contains(": error: ") => {
            eprintln!("{message}");
            ExitCode::from(64)
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(64)
        }
    }
}

fn export(modules: &[Module], directory: &str, options: &Options) -> Result<u8, String> {
    std::fs::create_dir_all(directory).map_err(|error| format!("{directory}: {error}"))?;
    if options.lesson.is_some() {
        // How the native image must run them: `cargo xtask boot --lesson` reads this.
        let settings = format!(
            "cpu={}\nsmall-spaces={}\ninput={}\n",
            match options.config.cpu {
                CpuModel::I486 => "486",
                CpuModel::Pentium => "pentium",
            },
            options.config.small_spaces as u8,
            String::from_utf8_lossy(&options.input).replace('\n', "\\n").replace('\r', "\\r"),
        );
        let path = std::path::Path::new(directory).join("lesson.settings");
        std::fs::write(&path, settings).map_err(|error| format!("{}: {error}", path.display()))?;
    }
    for module in modules {
        // Written beside and renamed into place: another export of the same
        // programs running at the same time (tests run in parallel) never
        // leaves a reader with a half-written file.
        let path = std::path::Path::new(directory).join(format!("{}.elf", module.name));
        let partial = std::path::Path::new(directory).join(format!(".{}.elf.{}", module.name, std::process::id()));
        std::fs::write(&partial, &module.elf).map_err(|error| format!("{}: {error}", partial.display()))?;
        std::fs::rename(&partial, &path).map_err(|error| format!("{}: {error}", path.display()))?;
        println!("{}", path.display());
    }
    Ok(0)
}

fn run(options: &Options) -> Result<u8, String> {
    let mut options_for_lesson;
    let mut options = options;
    let mut steps_met = true;
    let mut names = None;
    if let Some(name) = &options.lesson {
        let mut prepared = prepare_lesson(name)?;
        options_for_lesson = options.clone();
        if options.cpu_given {
            let chosen = match options.config.cpu {
                CpuModel::I486 => lessons_cpu::I486,
                CpuModel::Pentium => lessons_cpu::Pentium,
            };
            prepared.lesson.cpus.retain(|cpu| *cpu != chosen);
            prepared.lesson.cpus.insert(0, chosen);
        } else {
            options_for_lesson.config.cpu = lesson::cpu_model(prepared.lesson.cpu());
        }
        options_for_lesson.config.small_spaces |= prepared.lesson.small_spaces;
        if !options.input_given {
            options_for_lesson.input = prepared.lesson.input.clone().into_bytes();
        }
        if options.export.is_none() && options.steps {
            steps_met = follow_steps(&prepared)?;
        }
        names = Some(prepared.names.clone());
        options = &options_for_lesson;
    }
    let modules = modules(options)?;
    if let Some(directory) = &options.export {
        return export(&modules, directory, options);
    }
    let mut events = match &options.events {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|error| format!("--events {path}: {error}"))?,
        )),
        None => None,
    };
    let mut trace = match &options.trace {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|error| format!("--trace {path}: {error}"))?,
        )),
        None => None,
    };
    let mut system = System::new(options.config);
    system.feed_input(&options.input);
    system.boot(&modules).map_err(|error| error.to_string())?;
    let lesson_names = names.is_some();
    if let Some(names) = names {
        system.set_thread_names(names);
    }
    if let Some(port) = options.gdb {
        let programs =
            gdb::Programs { modules: &modules, files: module_files(options), sources: sources(options)?, lesson_names };
        return gdb::serve(system, programs, port, options.max_cycles);
    }
    let mut printed = 0;
    let mut written = 0;
    let outcome = loop {
        let result = system.run(Budget { instructions: 2_000_000, ..Budget::cycles(options.max_cycles) });
        let console = system.console();
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(&console[printed..]);
        let _ = stdout.flush();
        printed = console.len();
        if let Some(trace) = trace.as_mut() {
            for entry in system.log().since(written) {
                writeln!(trace, "{}", entry.to_json()).map_err(|error| format!("writing the trace: {error}"))?;
            }
        }
        if let Some(events) = events.as_mut() {
            for entry in system.log().since(written) {
                if let sim::Source::Kernel(event) = &entry.source {
                    writeln!(events, "{}{event}", kernel_line_prefix())
                        .map_err(|error| format!("writing the events: {error}"))?;
                }
            }
        }
        written = system.log().next_sequence();
        system.log_mut().forget_before(written);
        if result == RunResult::Limit && system.machine().cycles < options.max_cycles {
            continue;
        }
        break result;
    };
    if let Some(mut events) = events {
        events.flush().map_err(|error| format!("writing the events: {error}"))?;
    }
    if let Some(mut trace) = trace {
        trace.flush().map_err(|error| format!("writing the trace: {error}"))?;
    }
    if options.summary {
        print_summary(&system);
    }
    let cycles = system.machine().cycles;
    Ok(match outcome {
        RunResult::Exited { value: 0x10 } if !steps_met => {
            eprintln!("l4-run: the programs succeeded, but a lesson step was not reached or a check not met");
            6
        }
        RunResult::Exited { value: 0x10 } => 0,
        RunResult::Exited { value: 0x11 } => 1,
        RunResult::Exited { value } => {
            eprintln!("l4-run: the program exited with verdict {value:#x}");
            (((value << 1) | 1) & 0xFF) as u8
        }
        RunResult::Stopped(reason) => {
            eprintln!("l4-run: the kernel stopped the system: {reason:?} (cycle {cycles})");
            2
        }
        RunResult::Dead => {
            eprintln!(
                "l4-run: dead system at cycle {cycles}: every thread waits for something that cannot happen \
                 (no timeout pending, no interrupt attached)"
            );
            3
        }
        RunResult::WaitingForInput => {
            eprintln!("l4-run: a thread waits for console input and --input has no more; give more with --input");
            3
        }
        RunResult::Limit | RunResult::Event | RunResult::Debugger(_) => {
            eprintln!("l4-run: cycle limit reached ({} cycles); raise it with --max-cycles", options.max_cycles);
            4
        }
        RunResult::Failed(message) => {
            eprintln!("l4-run: the machine model stopped: {message}");
            5
        }
    })
}

fn print_summary(system: &System) {
    let machine = system.machine();
    let statistics = system.kernel().statistics;
    eprintln!(
        "l4-run: {} on {}: {} cycles ({:.1} µs), {} user instructions, {} kernel entries, {} IPCs, \
         {} page faults, {} address-space switches, {} small-space switches{}",
        machine.model().name(),
        format_args!("{} MHz", machine.config().clock_mhz),
        machine.cycles,
        machine.microseconds(),
        machine.instructions,
        system.kernel_entries(),
        statistics.ipcs(),
        statistics.page_faults,
        statistics.space_switches,
        statistics.small_space_switches,
        match system.kernel_costs().unmeasured() {
            unmeasured if unmeasured.is_empty() => String::new(),
            unmeasured =>
                format!(" (kernel paths never measured, their instructions not charged: {})", unmeasured.join(", ")),
        }
    );
    for thread in system.kernel().thread_summaries() {
        eprintln!(
            "l4-run:   thread {:#010x} {:<9} priority {:3} partner {:#010x} eip {:#010x} esp {:#010x}{}",
            thread.id.raw(),
            thread.state.name(),
            thread.priority,
            thread.partner.raw(),
            thread.eip,
            thread.esp,
            if thread.senders > 0 { format!(", {} senders queued", thread.senders) } else { String::new() }
        );
    }
}

use sim::lesson::format::Cpu as lessons_cpu;

// In a folder of its own: a file in `src/bin/` would be a binary of its own.
#[path = "l4-run/gdb.rs"]
mod gdb;

/// `--gdb` takes an optional port (default 1234).
fn gdb_port(arguments: &[String], index: &mut usize) -> Result<u16, String> {
    match arguments.get(*index + 1).filter(|next| !next.starts_with("--")) {
        Some(text) => {
            *index += 1;
            text.parse().map_err(|_| format!("--gdb {text}: give a port number, e.g. --gdb 1234"))
        }
        None => Ok(1234),
    }
}

/// The ELF file each boot module came from, when one was given (sigma0 first).
fn module_files(options: &Options) -> Vec<Option<std::path::PathBuf>> {
    let mut files = vec![None];
    if options.scenario.is_none() && options.lesson.is_none() {
        files.extend(options.modules.iter().map(|path| path.ends_with(".elf").then(|| path.into())));
    }
    files
}

/// The assembler sources of the programs (their `; threads:` lines name threads).
fn sources(options: &Options) -> Result<Vec<String>, String> {
    if let Some(name) = &options.scenario {
        let scenario = scenarios::find(name).ok_or_else(|| format!("no scenario called `{name}`"))?;
        return Ok(scenario.programs.iter().map(|program| program.source.to_string()).collect());
    }
    Ok(options
        .modules
        .iter()
        .filter(|path| path.ends_with(".asm"))
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .collect())
}

/// The prefix of an event line on the native image's serial port.
fn kernel_line_prefix() -> &'static str {
    sim::EVENT_LINE_PREFIX
}
