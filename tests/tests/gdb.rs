//! Debian's gdb against `l4-run --gdb` (what `cargo xtask run … --gdb`
//! starts), in batch mode on a free port: a breakpoint on a label in
//! ping-pong's ping, its registers, the named threads, a step over an
//! `int 0x30` that lands in pong, a watchpoint on the word ping sends,
//! two reverse steps back to the same registers, a reverse-continue back to
//! the breakpoint, the monitor commands, and the errors bad input gets.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `l4-run … --gdb 0`: the child, the ELF to load and the port.
fn start_runner(programs: &[&str]) -> (Child, String, String) {
    let runner = xtask::modules::runner().expect("l4-run builds");
    let mut child = Command::new(runner)
        .args(programs)
        .args(["--gdb", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = String::new();
    let command = loop {
        let line = lines.next().expect("l4-run printed how to attach").unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if line.contains("target remote") {
            break line;
        }
    };
    // Keep reading its output so that it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let file = command.split("file ").nth(1).and_then(|rest| rest.split('\'').next()).unwrap().to_string();
    let port = command.rsplit(':').next().unwrap().trim_end_matches('\'').trim().to_string();
    assert!(printed.contains("stopped before the root task's first instruction"), "{printed}");
    (child, file, port)
}

/// The address of `name` in the ELF, and of the first `int 0x30` at or after `from`.
fn symbols(file: &str) -> (u32, u32, u32) {
    let elf = std::fs::read(file).unwrap();
    let image = asm::loader::Image::parse(&elf).unwrap();
    let symbol = |name: &str| image.symbols().find(|symbol| symbol.name == name.as_bytes()).unwrap().address;
    let call = symbol("ping.call");
    let text = image.segments().find(|segment| segment.address <= call && call < segment.end()).unwrap();
    let offset = (call - text.address) as usize;
    let int = call + text.data[offset..].windows(2).position(|pair| pair == [0xCD, 0x30]).unwrap() as u32;
    (symbol("ping"), int, symbol("ping_stack_top"))
}

/// Run gdb with these commands (each an `-ex`: an error does not end the rest).
fn gdb(file: &str, port: &str, commands: &[String]) -> String {
    let mut command = Command::new("gdb");
    command.args(["-q", "-nx", "-batch", "-ex", "set pagination off", "-ex", "set confirm off"]);
    command.args(["-ex", &format!("file {file}"), "-ex", &format!("target remote 127.0.0.1:{port}")]);
    for line in commands {
        command.args(["-ex", line]);
    }
    // One file for both streams, so that gdb's messages stay between the marks.
    let path = std::env::temp_dir().join(format!("l4-gdb-test-{}-{port}.txt", std::process::id()));
    let log = std::fs::File::create(&path).unwrap();
    let mut child = command.stdout(log.try_clone().unwrap()).stderr(log).spawn().unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("gdb did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    String::from_utf8_lossy(&output).into_owned()
}

/// The text between `echo <mark>` lines.
fn section<'a>(output: &'a str, mark: &str) -> &'a str {
    let start = output.find(&format!("<{mark}>")).unwrap_or_else(|| panic!("no <{mark}> in:\n{output}"));
    let rest = &output[start + mark.len() + 2..];
    &rest[..rest.find("<end>").unwrap_or(rest.len())]
}

fn mark(name: &str) -> String {
    format!("echo <{name}>\\n")
}

fn end() -> String {
    "echo <end>\\n".to_string()
}

fn register(text: &str, name: &str) -> String {
    text.lines()
        .find(|line| line.split_whitespace().next() == Some(name))
        .and_then(|line| line.split_whitespace().nth(1))
        .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
        .to_string()
}

#[test]
fn gdb_debugs_ping_pong_forwards_and_backwards() {
    xtask::install::ensure_debian(&[xtask::install::GDB]).unwrap();
    let (mut runner, file, port) = start_runner(&["--scenario", "ping-pong"]);
    let (ping, int, ping_stack_top) = symbols(&file);
    // The word ping sends as w0 (its counter), saved on its stack across the call.
    let word = ping_stack_top - 4;
    let commands = vec![
        "break ping".to_string(),
        "continue".to_string(),
        mark("first"),
        "info registers eip esp".to_string(),
        end(),
        mark("threads"),
        "info threads".to_string(),
        end(),
        format!("tbreak *{int:#x}"),
        "continue".to_string(),
        mark("step"),
        "stepi".to_string(),
        "info threads".to_string(),
        end(),
        "thread 3".to_string(),
        format!("watch *(int *){word:#x}"),
        mark("watch"),
        "continue".to_string(),
        end(),
        mark("before"),
        "info registers".to_string(),
        end(),
        "stepi".to_string(),
        "stepi".to_string(),
        "reverse-stepi".to_string(),
        "reverse-stepi".to_string(),
        mark("after"),
        "info registers".to_string(),
        end(),
        "delete 3".to_string(),
        mark("back"),
        "reverse-continue".to_string(),
        "info registers eip esp".to_string(),
        end(),
        mark("monitor"),
        "monitor threads".to_string(),
        "monitor cycles".to_string(),
        end(),
        mark("errors"),
        "x/4x 0x70000000".to_string(),
        format!("shell gdb -q -nx -batch -ex 'target remote 127.0.0.1:{port}' 2>&1"),
        "break *0x70000000".to_string(),
        "continue".to_string(),
        end(),
        mark("alive"),
        "info registers eip".to_string(),
        end(),
        "kill".to_string(),
    ];
    let output = gdb(&file, &port, &commands);

    let first = section(&output, "first");
    assert_eq!(register(first, "eip"), format!("{ping:#x}"), "stopped at ping:\n{output}");
    assert_eq!(register(first, "esp"), format!("{ping_stack_top:#x}"), "on ping's stack:\n{output}");

    let threads = section(&output, "threads");
    for name in ["pager 0x04040001", "sigma0 0x04020001", "ping 0x04050001 running", "pong 0x04060001 receiving"] {
        assert!(threads.contains(name), "`info threads` names {name}:\n{threads}");
    }

    let step = section(&output, "step");
    assert!(step.contains("[Switching to Thread") && step.contains("in pong ()"), "the step lands in pong:\n{output}");
    assert!(step.contains("* 4    Thread") && step.contains("pong 0x04060001 running"), "{step}");

    let watch = section(&output, "watch");
    assert!(watch.contains("Hardware watchpoint 3") && watch.contains("New value = 1"), "{output}");

    let before = section(&output, "before");
    let after = section(&output, "after");
    assert_eq!(before, after, "two steps and two reverse steps give the same registers:\n{output}");

    let back = section(&output, "back");
    assert!(back.contains("Breakpoint 1, ") && back.contains("in ping ()"), "back at the breakpoint:\n{output}");
    assert_eq!(register(back, "eip"), register(first, "eip"));
    assert_eq!(register(back, "esp"), register(first, "esp"));

    let monitor = section(&output, "monitor");
    assert!(monitor.contains("0x04050001 ping") && monitor.contains("user instructions executed"), "{monitor}");

    let errors = section(&output, "errors");
    assert!(errors.contains("Cannot access memory at address 0x70000000"), "{errors}");
    assert!(errors.contains("another gdb is attached"), "a second gdb is refused:\n{errors}");
    assert!(errors.contains("Cannot insert breakpoint"), "{errors}");
    let alive = section(&output, "alive");
    assert!(alive.contains("eip"), "the machine answers after the errors:\n{output}");

    let started = Instant::now();
    while runner.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = runner.try_wait().unwrap();
    if status.is_none() {
        let _ = runner.kill();
    }
    assert!(status.is_some(), "l4-run ends when gdb kills the program");
}

/// In the IPC lesson ping's first instruction faults: gdb's step over the
/// breakpoint there ends in its pager — reported as ping's step, which is
/// all gdb accepts while it holds the other threads.
#[test]
fn a_step_over_a_breakpoint_whose_instruction_faults() {
    xtask::install::ensure_debian(&[xtask::install::GDB]).unwrap();
    let (mut runner, file, port) = start_runner(&["--lesson", "ipc", "--no-steps"]);
    let commands = ["break ping", "continue", "stepi", "continue", "kill"].map(String::from);
    let output = gdb(&file, &port, &commands);
    assert!(!output.contains("internal-error"), "{output}");
    assert!(output.contains("hit Breakpoint 1, ") && output.contains("in ping ()"), "{output}");
    let _ = runner.kill();
    let _ = runner.wait();
}
