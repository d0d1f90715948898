//! Benchmarks, each printing figures measured side by side in one run.
//!
//! `cargo xtask bench native`: the kernel's one-way IPC on the native image —
//! instructions from the entry stub to the iret into the partner, counted
//! exactly by single-stepping in QEMU, and the cycles the model's cost tables
//! give that instruction sequence — beside the paper's figures.
//!
//! `cargo xtask bench paper`: the paper's cost figures (kernel entry and
//! exit, null call hot and cold, one-way IPC between and within spaces,
//! small spaces, TLB reloads after a switch, the echo RPC) beside the
//! model's, each measured on both modelled CPUs with the real kernel, and
//! what each model figure is made of (`sim/examples/paper`).
//!
//! `cargo xtask bench model`: the model's speed (simulated instructions per
//! host second) on a tight integer loop and on a loop over 64 pages with a
//! CR3 load every 1,000 instructions — natively (release build) and in
//! headless Chromium (the explorer's release bundle), side by side; with
//! `--peers`, the same loops in QEMU and v86 too (`peers.rs`).
//!
//! `cargo xtask bench explorer`: the explorer's goals (load, step → repaint,
//! scrubbing, frames while running, bundle size) in headless Chromium, by
//! `tests/e2e/bench.mjs` against the release build.
//!
//! `cargo xtask bench gdb`: gdb's cost on the model — a ten-million-
//! instruction program run to its verdict bare and under the gdb server
//! (`continue`, no breakpoints), alternating, and the time a
//! `reverse-stepi` from its end takes (`sim/examples/gdb-speed.rs`).

use crate::arguments::Arguments;
use xtask::modules::Programs;
use xtask::qemu::Cpu;
use xtask::server::Server;
use xtask::{Result, TaskError, calibrate, install, paths, web};

pub fn run(mut arguments: Arguments) -> Result<i32> {
    let what = arguments.subcommand();
    match what.as_deref() {
        Some("native") => {
            arguments.finish("bench native", "no options")?;
            native()
        }
        Some("paper") => {
            arguments.finish("bench paper", "no options")?;
            paper()
        }
        Some("model") => {
            let instructions = arguments
                .value("--instructions")?
                .map(|text| text.parse::<u64>())
                .transpose()
                .map_err(|_| TaskError::new("--instructions takes a number, e.g. --instructions 50000000"))?
                .unwrap_or(20_000_000);
            let peers = arguments.flag("--peers");
            arguments.finish("bench model", "[--instructions N] [--peers]")?;
            model(instructions, peers)
        }
        Some("explorer") => {
            arguments.finish("bench explorer", "no options")?;
            explorer()
        }
        Some("gdb") => {
            arguments.finish("bench gdb", "no options")?;
            gdb()
        }
        None => {
            // `--help` prints the usage and ends here.
            arguments
                .finish("bench native|paper|model|explorer|gdb", "`model` takes --instructions N; the others none")?;
            Err(TaskError::new("name a benchmark: `cargo xtask bench native`, `paper`, `model`, `explorer` or `gdb`"))
        }
        Some(other) => Err(TaskError::new(format!(
            "unknown benchmark `{other}`: use `cargo xtask bench native`, `paper`, `model`, `explorer` or `gdb`"
        ))),
    }
}

fn paper() -> Result<i32> {
    let status = xtask::process::cargo()
        .args(["run", "--quiet", "--release", "--package", "sim", "--example", "paper"])
        .current_dir(paths::root())
        .status()?;
    Ok(if status.success() { 0 } else { 1 })
}

fn native() -> Result<i32> {
    println!("One-way register IPC between two address spaces (ping-pong), kernel part:");
    println!("{:10} {:>8} {:>13} {:>14} {:>22}", "cpu", "spaces", "instructions", "model cycles", "paper (whole IPC)");
    let limits = calibrate::Limits { per_path: 200, entries: 3_000, time: std::time::Duration::from_secs(60) };
    for (cpu, name, paper) in
        [(Cpu::I486, "486", "250 cycles (486/50)"), (Cpu::Pentium, "pentium", "121 cycles (Pentium/166)")]
    {
        for (spaces, options) in [("large", vec![]), ("small", vec!["small-spaces"])] {
            let samples = calibrate::trace(cpu, &Programs::Scenario("ping-pong".into()), &options, limits)?;
            let mut paths: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
            for sample in &samples {
                *paths.entry(sample.path.as_str()).or_default() += 1;
            }
            eprintln!("xtask: traced {} kernel entries: {paths:?}", samples.len());
            // The steady state: the most frequent IPC path of the run.
            let Some(path) =
                ["ipc-fast", "ipc-short"].into_iter().max_by_key(|path| paths.get(path).copied().unwrap_or(0))
            else {
                continue;
            };
            let ipc: Vec<_> = samples.into_iter().filter(|sample| sample.path == path).collect();
            if ipc.is_empty() {
                return Err(TaskError::new("no one-way IPC was traced in ping-pong"));
            }
            let table = crate::commands::calibrate::price(&ipc, cpu, &format!("bench-{name}-{spaces}"))?;
            let (count, instructions, cycles, _) = table.get(path).cloned().unwrap_or_default();
            println!(
                "{name:10} {spaces:>8} {instructions:>13.0} {cycles:>14.0} {paper:>22}   ({path}, median of {count})"
            );
        }
    }
    println!(
        "\nThe instruction count runs from the entry stub to the final iret (the user's `int 0x30`\n\
         and the hardware's entry and iret are not in it). The model cycles price that sequence with\n\
         the cost tables; the model adds the int and iret, the CR3 load, and the TLB and cache misses\n\
         the kernel's accesses cause, when it runs it. The paper's figures are for the whole IPC."
    );
    Ok(0)
}

fn explorer() -> Result<i32> {
    install::ensure_debian(&[install::CHROMIUM])?;
    install::ensure_node_modules()?;
    let site = web::build_site()?;
    let wasm = site.folder.join("pkg").join("explorer_bg.wasm");
    let gzipped = web::gzipped_size(&wasm).ok_or_else(|| TaskError::new("gzip is missing: `apt-get install gzip`"))?;
    let editor = web::gzipped_size(&site.folder.join("editor.js")).unwrap_or(0);
    println!("Explorer, release build, headless Chromium, 1280×800, served from localhost.");
    println!(
        "bundle: {} KB wasm after wasm-bindgen, {} KB gzipped, with the editor (CodeMirror) {} KB gzipped (goal ≤ 2048 KB gzipped)",
        site.wasm_bytes / 1024,
        gzipped / 1024,
        (gzipped + editor) / 1024
    );
    let report = browser_script(&site, "bench.mjs", &[])?;
    print!("{}", String::from_utf8_lossy(&report));
    Ok(0)
}

/// Run `tests/e2e/SCRIPT` with node against `site` served on a free port,
/// in Debian's Chromium; its standard output.
fn browser_script(site: &web::Site, script: &str, arguments: &[String]) -> Result<Vec<u8>> {
    let server = Server::start(&site.folder, 0)?;
    let output = std::process::Command::new("node")
        .arg(script)
        .args(arguments)
        .current_dir(paths::e2e_sources())
        .env("L4_EXPLORER_URL", server.url())
        .env("L4_CHROMIUM", "/usr/bin/chromium")
        .stderr(std::process::Stdio::inherit())
        .output()?;
    drop(server);
    if !output.status.success() {
        return Err(TaskError::new(format!("tests/e2e/{script} failed ({})", output.status)));
    }
    Ok(output.stdout)
}

/// Lines `cpu<TAB>workload<TAB>instructions<TAB>milliseconds` → (cpu, workload, M instructions/s).
fn speeds(text: &str) -> Vec<(String, String, f64)> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [cpu, workload, instructions, milliseconds] = fields[..] else { return None };
            let (instructions, milliseconds) = (instructions.parse::<f64>().ok()?, milliseconds.parse::<f64>().ok()?);
            Some((cpu.to_string(), workload.to_string(), instructions / milliseconds / 1000.0))
        })
        .collect()
}

fn model(instructions: u64, peers: bool) -> Result<i32> {
    install::ensure_debian(&[install::CHROMIUM])?;
    install::ensure_node_modules()?;
    let native = xtask::process::cargo()
        .args(["run", "--quiet", "--release", "--package", "machine-model", "--example", "speed", "--"])
        .arg(instructions.to_string())
        .current_dir(paths::root())
        .stderr(std::process::Stdio::inherit())
        .output()?;
    if !native.status.success() {
        return Err(TaskError::new(format!("the native speed run failed ({})", native.status)));
    }
    let site = web::build_site()?;
    let browser = browser_script(&site, "bench-model.mjs", &[instructions.to_string()])?;
    let native_text = String::from_utf8_lossy(&native.stdout).into_owned();
    let snapshot = native_text
        .lines()
        .find_map(|line| line.strip_prefix("snapshot\t"))
        .map(|rest| rest.replace('\t', " µs, restore "));
    let native = speeds(&native_text);
    let browser = speeds(&String::from_utf8_lossy(&browser));
    println!("Simulated user instructions per host second, {instructions} per run, kernel events off:");
    println!("{:8} {:32} {:>12} {:>12} {:>8}", "cpu", "workload", "native M/s", "browser M/s", "ratio");
    for (cpu, workload, native_speed) in &native {
        let in_browser =
            browser.iter().find(|(other_cpu, other, _)| other_cpu == cpu && other == workload).map(|entry| entry.2);
        let (browser_text, ratio) = match in_browser {
            Some(speed) => (format!("{speed:.1}"), format!("{:.2}", speed / native_speed)),
            None => ("?".into(), "?".into()),
        };
        println!("{cpu:8} {workload:32} {native_speed:>12.1} {browser_text:>12} {ratio:>8}");
    }
    println!("Goals: 150 M/s natively and 75 M/s in the browser on the integer loop.");
    if let Some(snapshot) = snapshot {
        println!("Whole-machine snapshot (16 MB, pages shared copy-on-write), natively: {snapshot} µs");
    }
    if peers {
        print_peers(&native);
        super::ping_pong_peers::print(&super::ping_pong_peers::measure()?);
    }
    Ok(0)
}

/// The same loops in QEMU and v86, beside the model's native figures.
fn print_peers(native: &[(String, String, f64)]) {
    println!("\nThe same loops in the peers, this run (M instructions/s; N and 2N iterations, boot time taken out):");
    let results = super::peers::measure();
    print!("{:32}", "workload");
    for (peer, _) in &results {
        print!(" {:>16}", peer.name());
    }
    println!(" {:>14} {:>14}", "model 486", "model Pentium");
    for which in super::peers::Loop::ALL {
        print!("{:32}", which.name());
        for (_, result) in &results {
            match result {
                Ok(speeds) => {
                    let speed = speeds.iter().find(|(other, _)| *other == which).map_or(0.0, |entry| entry.1);
                    print!(" {speed:>16.1}");
                }
                Err(_) => print!(" {:>16}", "—"),
            }
        }
        for cpu in ["486", "pentium"] {
            let model = native.iter().find(|(other_cpu, workload, _)| other_cpu == cpu && workload == which.name());
            match model {
                Some((_, _, speed)) => print!(" {speed:>14.1}"),
                None => print!(" {:>14}", "?"),
            }
        }
        println!();
    }
    for (peer, result) in &results {
        match result {
            Ok(speeds) => {
                let ratios: Vec<String> = speeds
                    .iter()
                    .filter_map(|(which, speed)| {
                        let model =
                            native.iter().find(|(cpu, workload, _)| cpu == "486" && workload == which.name())?;
                        Some(format!("{} {:.2}", which.name(), model.2 / speed))
                    })
                    .collect();
                println!("model (i486, native) ÷ {}: {}", peer.name(), ratios.join(", "));
            }
            Err(error) => println!("{}: left out — {error}", peer.name()),
        }
    }
}

/// gdb's cost: continue under the gdb server against the bare model, and
/// reverse-stepi at the end of a ten-million-instruction run.
fn gdb() -> Result<i32> {
    let output = xtask::process::cargo()
        .args(["run", "--quiet", "--release", "--package", "sim", "--example", "gdb-speed"])
        .current_dir(paths::root())
        .stderr(std::process::Stdio::inherit())
        .output()?;
    if !output.status.success() {
        return Err(TaskError::new(format!("the gdb speed run failed ({})", output.status)));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut plain = Vec::new();
    let mut debugged = Vec::new();
    let mut steps = Vec::new();
    let mut worst = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields[..] {
            ["plain", instructions, milliseconds] | ["gdb", instructions, milliseconds] => {
                let (Ok(instructions), Ok(milliseconds)) = (instructions.parse::<f64>(), milliseconds.parse::<f64>())
                else {
                    continue;
                };
                let speed = instructions / milliseconds / 1000.0;
                if fields[0] == "plain" { plain.push(speed) } else { debugged.push(speed) }
            }
            ["reverse-stepi", milliseconds] => steps.extend(milliseconds.parse::<f64>().ok()),
            ["worst-reverse-stepi", milliseconds] => worst.extend(milliseconds.parse::<f64>().ok()),
            _ => {}
        }
    }
    println!("A root task of 10 million instructions (integer loop, a system call every 1,000 rounds), i486,");
    println!("from its first instruction to its verdict; runs alternate, release build:");
    println!("{:6} {:>16} {:>16} {:>8}", "run", "bare M instr/s", "gdb M instr/s", "ratio");
    for (index, (bare, under)) in plain.iter().zip(&debugged).enumerate() {
        println!("{:6} {bare:>16.1} {under:>16.1} {:>8.2}", index + 1, under / bare);
    }
    steps.sort_by(f64::total_cmp);
    if let (Some(fastest), Some(slowest)) = (steps.first(), steps.last()) {
        println!(
            "reverse-stepi at the end of the run: {} answers, {fastest:.2} to {slowest:.2} ms (median {:.2} ms)",
            steps.len(),
            steps[steps.len() / 2]
        );
    }
    if let Some(slowest) = worst.iter().copied().reduce(f64::max) {
        println!(
            "reverse-stepi from just before a checkpoint (a whole interval replayed): {} answers, at most {slowest:.1} ms",
            worst.len()
        );
    }
    println!("Goals: continue under gdb at ≥ 0.5 of the bare speed; reverse-stepi within 100 ms.");
    Ok(0)
}
