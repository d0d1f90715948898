//! `l4-soak` (what `cargo xtask soak` starts): the hostile-task soak on the
//! model — both CPUs, several seeds, in parallel on the available cores —
//! with the kernel's invariants checked every few hundred calls, and the
//! replay of one call that broke them (`sim::soak` says how).

use sim::CpuModel;
use sim::soak::{self, RunReport, RunSpec};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: cargo xtask soak [--calls N] [--cpu 486|pentium|both] [--seeds K] [--jobs J]
                        [--seconds S] [--small-spaces] [--replay SEED:CALL]

Runs scenarios/stress/hostile.asm on the machine model: K seeds on each CPU
(odd seeds with small spaces on), in parallel on J host threads (default:
the available cores), until N hostile system calls were made in all (default
10,000,000) or S seconds have passed. The kernel's invariants are checked
every few hundred calls; a failure is narrowed down to the call that caused
it and printed with the command that replays it.

  --replay SEED:CALL   run SEED from boot to hostile call CALL and show it:
                       the thread, its registers, the kernel's events and
                       the checks after it (with --cpu and --small-spaces as
                       the failure's line says)

The last line: `soak: N system calls, N audits, N panics, N invariant breaks`.
exit status: 0 all passed, 1 a failure, 64 usage.";

struct Options {
    calls: u64,
    cpus: Vec<CpuModel>,
    seeds: u32,
    jobs: usize,
    seconds: Option<u64>,
    small_spaces: bool,
    replay: Option<(u32, u64)>,
}

fn parse_number<T: std::str::FromStr>(flag: &str, value: Option<String>) -> Result<T, String> {
    let text = value.ok_or_else(|| format!("{flag} needs a value"))?;
    text.replace(['_', ','], "").parse().map_err(|_| format!("{flag}: `{text}` is not a number"))
}

fn parse(arguments: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        calls: 10_000_000,
        cpus: vec![CpuModel::I486, CpuModel::Pentium],
        seeds: 4,
        jobs: std::thread::available_parallelism().map(|count| count.get()).unwrap_or(1),
        seconds: None,
        small_spaces: false,
        replay: None,
    };
    let mut arguments = arguments.peekable();
    while let Some(argument) = arguments.next() {
        match argument.as_str() {
            "--calls" => options.calls = parse_number("--calls", arguments.next())?,
            "--seeds" => options.seeds = parse_number::<u32>("--seeds", arguments.next())?.max(1),
            "--jobs" => options.jobs = parse_number::<usize>("--jobs", arguments.next())?.max(1),
            "--seconds" => options.seconds = Some(parse_number("--seconds", arguments.next())?),
            "--small-spaces" => options.small_spaces = true,
            "--cpu" => {
                options.cpus = match arguments.next().as_deref() {
                    Some("486") | Some("i486") => vec![CpuModel::I486],
                    Some("pentium") => vec![CpuModel::Pentium],
                    Some("both") => vec![CpuModel::I486, CpuModel::Pentium],
                    other => return Err(format!("--cpu takes 486, pentium or both, not {other:?}")),
                }
            }
            "--replay" => {
                let text = arguments.next().ok_or("--replay needs SEED:CALL")?;
                let (seed, call) = text.split_once(':').ok_or("--replay takes SEED:CALL, e.g. --replay 3:123456")?;
                options.replay = Some((
                    parse_number("--replay's seed", Some(seed.to_string()))?,
                    parse_number("--replay's call", Some(call.to_string()))?,
                ));
            }
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok(options)
}

fn cpu_name(cpu: CpuModel) -> &'static str {
    if cpu == CpuModel::I486 { "486" } else { "pentium" }
}

fn replay(options: &Options, seed: u32, call: u64) -> ExitCode {
    let cpu = options.cpus[0];
    println!("soak: replaying seed {seed} on the {} to hostile call {call}", cpu_name(cpu));
    match soak::replay(cpu, seed, options.small_spaces, call) {
        Ok(found) => {
            print!("{}", found.text);
            if found.failed { ExitCode::from(1) } else { ExitCode::SUCCESS }
        }
        Err(message) => {
            eprintln!("soak: {message}");
            ExitCode::from(1)
        }
    }
}

fn describe(report: &RunReport) -> String {
    let seconds = report.elapsed.as_secs_f64();
    format!(
        "soak: {:>7} seed {:>3}{} {:>9} hostile calls ({:>9} in all, {:>9} kernel entries), {:>6} audits, {:>7.1} s simulated, {:>6.1} s, {:>6.0} calls/s",
        cpu_name(report.spec.cpu),
        report.spec.seed,
        if report.spec.small_spaces { " small" } else { "      " },
        report.calls,
        report.all_calls,
        report.kernel_entries,
        report.audits,
        report.simulated_cycles as f64 / (report.spec.cpu.default_clock_mhz() as f64 * 1e6),
        seconds,
        report.calls as f64 / seconds.max(0.001)
    )
}

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("l4-soak: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(64);
        }
    };
    if let Some((seed, call)) = options.replay {
        return replay(&options, seed, call);
    }
    // Seeds 1..=K on each CPU; odd seeds with small spaces on.
    let mut specs = Vec::new();
    let runs = options.cpus.len() as u64 * options.seeds as u64;
    for seed in 1..=options.seeds {
        for &cpu in &options.cpus {
            specs.push(RunSpec {
                cpu,
                seed,
                small_spaces: options.small_spaces || seed % 2 == 1,
                calls: options.calls.div_ceil(runs),
                time_limit: options.seconds.map(Duration::from_secs),
            });
        }
    }
    println!(
        "soak: {} runs ({} seeds × {} CPUs) of {} hostile calls each, {} at a time",
        specs.len(),
        options.seeds,
        options.cpus.len(),
        options.calls.div_ceil(runs),
        options.jobs
    );
    let started = Instant::now();
    let queue = Arc::new(Mutex::new(specs));
    let reports = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..options.jobs)
        .map(|_| {
            let queue = Arc::clone(&queue);
            let reports = Arc::clone(&reports);
            std::thread::spawn(move || {
                loop {
                    let Some(spec) = queue.lock().map(|mut queue| queue.pop()).unwrap_or(None) else { return };
                    let report = soak::run(spec);
                    println!("{}", describe(&report));
                    if let Some(failure) = &report.failure {
                        println!(
                            "soak: FAILURE ({}) at hostile call {}: {}\n      replay: {}",
                            failure.kind.name(),
                            failure.call,
                            failure.message,
                            spec.replay_command(failure.call)
                        );
                    }
                    if let Ok(mut reports) = reports.lock() {
                        reports.push(report);
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    let reports = reports.lock().map(|reports| reports.clone()).unwrap_or_default();
    let count = |kind: soak::FailureKind| {
        reports.iter().filter(|report| report.failure.as_ref().is_some_and(|failure| failure.kind == kind)).count()
    };
    let calls: u64 = reports.iter().map(|report| report.calls).sum();
    let audits: u64 = reports.iter().map(|report| report.audits).sum();
    for cpu in &options.cpus {
        let on_cpu: u64 = reports.iter().filter(|report| report.spec.cpu == *cpu).map(|report| report.calls).sum();
        println!("soak: {on_cpu} hostile system calls on the {}", cpu_name(*cpu));
    }
    let others = count(soak::FailureKind::Program) + count(soak::FailureKind::System);
    println!("soak: {:.0} s on {} host threads", started.elapsed().as_secs_f64(), options.jobs);
    println!(
        "soak: {calls} system calls, {audits} audits, {} panics, {} invariant breaks{}",
        count(soak::FailureKind::Panic),
        count(soak::FailureKind::Invariant),
        if others > 0 { format!(", {others} other failures") } else { String::new() }
    );
    let failed = reports.iter().any(|report| report.failure.is_some());
    if failed { ExitCode::from(1) } else { ExitCode::SUCCESS }
}
