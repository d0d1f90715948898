//! `l4-run` (what `cargo xtask run` starts): boot the kernel on the model
//! with our sigma0 and the given modules, print the kernel-debugger console,
//! and exit with the program's verdict.

use sim::{Budget, CpuModel, EventFilter, Module, RunResult, System, SystemConfig, scenarios};
use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask run [--scenario NAME | --module FILE …] [options]

Boots the L4 kernel on the machine model with sigma0 and the given modules
(the first module is the root task; .elf files are loaded as they are, .asm
files are assembled first), prints the kernel-debugger console, and exits
with the program's isa-debug-exit verdict.

options:
  --scenario NAME        a built-in scenario (hello, ping-pong, …)
  --module FILE          a boot module after sigma0 (repeat for more)
  --cpu 486|pentium      the processor (default 486)
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

exit status: 0 verdict success (0x10), 1 verdict failure (0x11), other verdicts
as QEMU reports them ((value << 1) | 1); 2 stopped in the kernel debugger,
3 dead system, 4 cycle limit, 5 model failure, 64 usage or boot error.";

struct Options {
    scenario: Option<String>,
    modules: Vec<String>,
    config: SystemConfig,
    input: Vec<u8>,
    trace: Option<String>,
    events: Option<String>,
    export: Option<String>,
    max_cycles: u64,
    summary: bool,
}

fn parse(arguments: &[String]) -> Result<Options, String> {
    let mut options = Options {
        scenario: None,
        modules: Vec::new(),
        config: SystemConfig::new(CpuModel::I486),
        input: Vec::new(),
        trace: None,
        events: None,
        export: None,
        max_cycles: 2_000_000_000,
        summary: false,
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
            "--module" => options.modules.push(value()?),
            "--cpu" => {
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
            "--input" => options.input = unescape(&value()?),
            "--trace" => options.trace = Some(value()?),
            "--machine-events" => machine_events = true,
            "--max-cycles" => {
                let text = value()?;
                options.max_cycles =
                    text.replace(['_', ','], "").parse().map_err(|_| format!("--max-cycles {text}: not a number"))?;
            }
            "--stop-in-debugger" => options.config.stop_in_debugger = true,
            "--summary" => options.summary = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option {other}")),
        }
        index += 1;
    }
    if options.scenario.is_none() && options.modules.is_empty() {
        return Err("name a --scenario or at least one --module (the root task)".into());
    }
    if options.scenario.is_some() && !options.modules.is_empty() {
        return Err("give either --scenario or --module, not both".into());
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

fn modules(options: &Options) -> Result<Vec<Module>, String> {
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
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(64)
        }
    }
}

fn export(modules: &[Module], directory: &str) -> Result<u8, String> {
    std::fs::create_dir_all(directory).map_err(|error| format!("{directory}: {error}"))?;
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
    let modules = modules(options)?;
    if let Some(directory) = &options.export {
        return export(&modules, directory);
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
        RunResult::Limit | RunResult::Event => {
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
        statistics.ipcs,
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

/// The prefix of an event line on the native image's serial port.
fn kernel_line_prefix() -> &'static str {
    sim::EVENT_LINE_PREFIX
}
