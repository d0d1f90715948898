//! gdb's cost on the model, side by side in one run: `cargo xtask bench gdb`
//! runs this in a release build.
//!
//! A root task of about ten million instructions (an integer loop with a
//! system call every thousand rounds) runs from its first instruction to
//! its verdict twice each way, alternating: on the bare system, and under
//! the gdb server with a client that sends `continue` over TCP and waits
//! for the stop (no breakpoints). Then the client steps back one
//! instruction at a time from the end (`bs`) and each answer is timed.
//! Prints `plain<TAB>instructions<TAB>ms`, `gdb<TAB>instructions<TAB>ms`
//! lines and `reverse-stepi<TAB>ms` lines; then, without the protocol,
//! `worst-reverse-stepi<TAB>ms` lines: steps back from the position just
//! before a checkpoint, where the replay is longest (a whole interval).

use sim::debugger::Debugger;
use sim::gdb::{Notes, Server};
use sim::{Budget, CpuModel, Module, RunResult, System, SystemConfig, scenarios};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Instant;

const WORKLOAD: &str = "\
%include \"l4.inc\"
section .text
_start:
    mov esp, stack_top
    mov ebx, 2500
.outer:
    mov ecx, 1000
.inner:
    add eax, ecx
    xor edx, eax
    dec ecx
    jnz .inner
    push ebx
    l4_myself
    pop ebx
    dec ebx
    jnz .outer
    debug_exit DEBUG_EXIT_SUCCESS
section .bss
    resb 4096
stack_top:
";

fn debugger() -> Result<Debugger, String> {
    let mut system = System::new(SystemConfig::new(CpuModel::I486));
    let program = scenarios::assemble("workload.asm", WORKLOAD)?;
    system.boot(&[scenarios::sigma0()?, Module::new("workload", program)]).map_err(|error| error.to_string())?;
    Ok(Debugger::new(system, u64::MAX))
}

/// The bare system from the root task's first instruction to its verdict.
fn plain() -> Result<(u64, f64), String> {
    let mut system = debugger()?.into_system();
    let start = system.machine().instructions;
    let started = Instant::now();
    let result = system.run(Budget::cycles(u64::MAX));
    let milliseconds = started.elapsed().as_secs_f64() * 1000.0;
    if result != (RunResult::Exited { value: 0x10 }) {
        return Err(format!("the workload ended with {result:?}"));
    }
    Ok((system.machine().instructions - start, milliseconds))
}

fn frame(payload: &str) -> Vec<u8> {
    let sum = payload.bytes().fold(0u8, |sum, byte| sum.wrapping_add(byte));
    format!("${payload}#{sum:02x}").into_bytes()
}

/// Send a command and wait for its reply packet.
fn command(stream: &mut TcpStream, payload: &str) -> std::io::Result<String> {
    stream.write_all(&frame(payload))?;
    let mut reply = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        stream.read_exact(&mut byte)?;
        match (byte[0], reply.is_empty()) {
            (b'$', true) => reply.push(b'$'),
            (_, true) => {}
            (b'#', false) => {
                let mut checksum = [0u8; 2];
                stream.read_exact(&mut checksum)?;
                stream.write_all(b"+")?;
                return Ok(String::from_utf8_lossy(&reply[1..]).into_owned());
            }
            (other, false) => reply.push(other),
        }
    }
}

/// The same run under the gdb server: `continue` to the end, then steps back.
fn under_gdb(reverse_steps: usize) -> Result<(f64, Vec<f64>), String> {
    let mut debugger = debugger()?;
    let notes: Notes = Arc::new(|_: &str| {});
    let server = Server::bind(0, notes).map_err(|error| error.to_string())?;
    let port = server.port();
    let client = std::thread::spawn(move || -> std::io::Result<(f64, Vec<f64>)> {
        let mut stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_nodelay(true)?;
        command(&mut stream, "?")?;
        let started = Instant::now();
        let stop = command(&mut stream, "vCont;c")?;
        let milliseconds = started.elapsed().as_secs_f64() * 1000.0;
        if !stop.starts_with('T') {
            return Err(std::io::Error::other(format!("continue answered {stop}")));
        }
        let mut steps = Vec::new();
        for _ in 0..reverse_steps {
            let started = Instant::now();
            command(&mut stream, "bs")?;
            steps.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        stream.write_all(&frame("k"))?;
        Ok((milliseconds, steps))
    });
    server.serve(&mut debugger, &mut std::io::sink());
    client.join().map_err(|_| "the client panicked".to_string())?.map_err(|error| error.to_string())
}

/// Reverse steps that replay a whole checkpoint interval.
fn worst_reverse_steps() -> Result<Vec<f64>, String> {
    let mut debugger = debugger()?;
    debugger.resume(|_| false);
    let interval = debugger.history().interval();
    let start = debugger.start();
    let mut times = Vec::new();
    for checkpoint in [10, 50, 90] {
        debugger.seek(start + checkpoint * interval + interval - 1);
        let started = Instant::now();
        debugger.reverse_step();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(times)
}

fn main() {
    let outcome = (|| -> Result<(), String> {
        for _ in 0..2 {
            let (instructions, milliseconds) = plain()?;
            println!("plain\t{instructions}\t{milliseconds:.1}");
            let (milliseconds, steps) = under_gdb(5)?;
            println!("gdb\t{instructions}\t{milliseconds:.1}");
            for step in steps {
                println!("reverse-stepi\t{step:.2}");
            }
        }
        for step in worst_reverse_steps()? {
            println!("worst-reverse-stepi\t{step:.2}");
        }
        Ok(())
    })();
    if let Err(error) = outcome {
        eprintln!("gdb-speed: {error}");
        std::process::exit(1);
    }
}
