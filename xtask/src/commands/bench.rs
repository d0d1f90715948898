//! `cargo xtask bench native`: the kernel's one-way IPC on the native image —
//! instructions from the entry stub to the iret into the partner, counted
//! exactly by single-stepping in QEMU, and the cycles the model's cost tables
//! give that instruction sequence — beside the paper's figures.

use crate::arguments::Arguments;
use xtask::modules::Programs;
use xtask::qemu::Cpu;
use xtask::{Result, TaskError, calibrate};

pub fn run(mut arguments: Arguments) -> Result<i32> {
    let what = arguments.subcommand();
    match what.as_deref() {
        Some("native") => {
            arguments.finish("bench native", "no options")?;
            native()
        }
        other => {
            Err(TaskError::new(format!("unknown benchmark `{}`: use `cargo xtask bench native`", other.unwrap_or(""))))
        }
    }
}

/// The address of ping's loop in the ping-pong program: tracing starts there.
fn ping_loop() -> Result<u32> {
    use object::{Object, ObjectSymbol};
    let modules = xtask::modules::export(&Programs::Scenario("ping-pong".into()))?;
    let elf = modules.last().ok_or_else(|| TaskError::new("ping-pong has no modules"))?;
    let data = std::fs::read(elf)?;
    let file = object::File::parse(&*data).map_err(|error| TaskError::new(format!("{}: {error}", elf.display())))?;
    file.symbols()
        .find(|symbol| symbol.name() == Ok("ping.call"))
        .map(|symbol| symbol.address() as u32)
        .ok_or_else(|| TaskError::new("ping-pong.elf has no symbol `ping.call`"))
}

fn native() -> Result<i32> {
    println!("One-way register IPC between two address spaces (ping-pong), kernel part:");
    println!("{:10} {:>13} {:>14} {:>22}", "cpu", "instructions", "model cycles", "paper (whole IPC)");
    for (cpu, name, paper) in
        [(Cpu::I486, "486", "250 cycles (486/50)"), (Cpu::Pentium, "pentium", "121 cycles (Pentium/166)")]
    {
        let start = calibrate::Start::At(ping_loop()?);
        let samples = calibrate::trace(cpu, &Programs::Scenario("ping-pong".into()), start, 60, 20_000)?;
        let paths: Vec<&str> = samples.iter().map(|sample| sample.path.as_str()).collect();
        eprintln!("xtask: traced {} kernel entries: {paths:?}", samples.len());
        let ipc: Vec<_> = samples.into_iter().filter(|sample| sample.path == "ipc-short").collect();
        if ipc.is_empty() {
            return Err(TaskError::new("no one-way IPC was traced in ping-pong"));
        }
        let table = crate::commands::calibrate::price(&ipc, cpu, &format!("bench-{name}"))?;
        let (instructions, cycles, count) = table.get("ipc-short").copied().unwrap_or_default();
        println!("{name:10} {instructions:>13} {cycles:>14} {paper:>22}   (median of {count})");
    }
    println!(
        "\nThe instruction count runs from the entry stub to the final iret (the user's `int 0x30`\n\
         and the hardware's entry and iret are not in it). The model cycles price that sequence with\n\
         the cost tables; the model adds the int and iret, the CR3 load, and the TLB and cache misses\n\
         the kernel's accesses cause, when it runs it. The paper's figures are for the whole IPC."
    );
    Ok(0)
}
