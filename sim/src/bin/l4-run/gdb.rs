//! `l4-run --gdb [PORT]`: the booted system under gdb. Stops before the
//! root task's first instruction, prints the gdb command that attaches
//! (with `file` of the root task's ELF, so its labels are symbols), serves
//! gdb on 127.0.0.1 (`sim::gdb`), and when gdb detaches lets the programs
//! run on to their verdict.

use sim::debugger::Debugger;
use sim::gdb::{Outcome, Server};
use sim::{Budget, Module, RunResult, System, scenarios};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// Where the ELF files gdb reads come from.
pub struct Programs<'a> {
    pub modules: &'a [Module],
    /// The file each module came from, when it was an ELF file given on the command line.
    pub files: Vec<Option<PathBuf>>,
    /// Assembler sources whose `; threads:` lines name threads.
    pub sources: Vec<String>,
    /// Names a lesson gave (they win over the sources').
    pub lesson_names: bool,
}

/// Serve gdb; the exit status (as `l4-run` without gdb would give it).
pub fn serve(mut system: System, programs: Programs, port: u16, max_cycles: u64) -> Result<u8, String> {
    if !programs.lesson_names {
        let mut names = system.thread_names().clone();
        let sources: Vec<&str> = programs.sources.iter().map(String::as_str).collect();
        scenarios::Directives::name_threads(&sources, &mut names);
        system.set_thread_names(names);
    }
    let notes: sim::gdb::Notes = Arc::new(|line: &str| eprintln!("l4-run: {line}"));
    let server = Server::bind(port, notes)
        .map_err(|error| format!("--gdb {port}: cannot listen on 127.0.0.1:{port}: {error} (choose another port)"))?;
    let folder = std::env::temp_dir().join(format!("l4-run-gdb-{}", std::process::id()));
    let files = symbol_files(&programs, &folder)?;
    let mut debugger = Debugger::new(system, max_cycles);
    let thread = debugger.current_thread();
    let names = debugger.system().thread_names();
    let eip = debugger.registers(thread).map(|registers| registers.eip).unwrap_or(0);
    let mut stdout = std::io::stdout();
    let _ = stdout.write_all(debugger.system().console());
    let root = files.get(1).cloned().flatten().unwrap_or_default();
    println!(
        "l4-run: stopped before the root task's first instruction: thread {:#010x} ({}) at {eip:#010x}.\n\
         l4-run: gdb serves on 127.0.0.1:{}; attach with:\n\
         \n    gdb -q -ex 'file {}' -ex 'target remote 127.0.0.1:{}'\n",
        thread.raw(),
        names.thread(thread.raw()),
        server.port(),
        root.display(),
        server.port()
    );
    for file in files.iter().enumerate().filter(|(index, _)| *index != 1).filter_map(|(_, file)| file.as_ref()) {
        println!("l4-run: symbols of another program: add-symbol-file {}", file.display());
    }
    let _ = stdout.flush();
    let outcome = server.serve(&mut debugger, &mut stdout);
    let status = match outcome {
        Outcome::Killed => {
            eprintln!("l4-run: gdb killed the program");
            ending_status(&debugger)
        }
        Outcome::Detached => {
            eprintln!("l4-run: gdb detached; the programs run on");
            run_on(debugger, max_cycles)
        }
    };
    let _ = std::fs::remove_dir_all(&folder);
    Ok(status)
}

/// The ELF file of each module: the one given, or one written into `folder`.
fn symbol_files(programs: &Programs, folder: &std::path::Path) -> Result<Vec<Option<PathBuf>>, String> {
    std::fs::create_dir_all(folder).map_err(|error| format!("{}: {error}", folder.display()))?;
    let mut files = Vec::new();
    for (index, module) in programs.modules.iter().enumerate() {
        if let Some(Some(path)) = programs.files.get(index) {
            files.push(Some(std::fs::canonicalize(path).unwrap_or_else(|_| path.clone())));
            continue;
        }
        let path = folder.join(format!("{}.elf", module.name.rsplit('/').next().unwrap_or(&module.name)));
        std::fs::write(&path, &module.elf).map_err(|error| format!("{}: {error}", path.display()))?;
        files.push(Some(path));
    }
    Ok(files)
}

/// The status for how the program stands (0 if it has not ended).
fn ending_status(debugger: &Debugger) -> u8 {
    match debugger.system().status() {
        sim::Status::Exited { value } => verdict_status(*value),
        sim::Status::Stopped(_) => 2,
        sim::Status::Failed(_) => 5,
        _ => 0,
    }
}

fn verdict_status(value: u32) -> u8 {
    match value {
        0x10 => 0,
        0x11 => 1,
        value => (((value << 1) | 1) & 0xFF) as u8,
    }
}

/// Run to the end without gdb, printing the console; the exit status.
fn run_on(debugger: Debugger, max_cycles: u64) -> u8 {
    let mut printed = debugger.system().console().len();
    let mut system = debugger.into_system();
    let stop = loop {
        let result = system.run(Budget { instructions: 2_000_000, ..Budget::cycles(max_cycles) });
        let console = system.console();
        let _ = std::io::stdout().write_all(&console[printed.min(console.len())..]);
        printed = console.len();
        if result != RunResult::Limit || system.machine().cycles >= max_cycles {
            break result;
        }
    };
    let _ = std::io::stdout().flush();
    match stop {
        RunResult::Exited { value } => verdict_status(value),
        RunResult::Stopped(_) => 2,
        RunResult::Dead | RunResult::WaitingForInput => 3,
        RunResult::Failed(_) => 5,
        _ => 4,
    }
}
