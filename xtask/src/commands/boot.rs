//! `cargo xtask boot [--scenario NAME | --lesson NAME|FILE | --module FILE …] [--cpu 486|pentium]
//! [--input TEXT] [--small-spaces] [--events FILE] [--gdb]`

use crate::arguments::Arguments;
use std::path::PathBuf;
use xtask::modules::{self, Programs};
use xtask::qemu::{Cpu, QemuConfig, verdict_text};
use xtask::{Result, TaskError, install, native, process};

const ACCEPTED: &str = "--scenario NAME, --lesson NAME|FILE, --module FILE (repeatable), --cpu 486|pentium, \
                        --input TEXT, --small-spaces, --events FILE, --gdb";

pub fn run(mut arguments: Arguments) -> Result<i32> {
    let cpu_given = arguments.value("--cpu")?;
    let scenario = arguments.value("--scenario")?;
    let lesson = arguments.value("--lesson")?;
    let mut files = Vec::new();
    while let Some(file) = arguments.value("--module")? {
        files.push(PathBuf::from(file));
    }
    let input = arguments.value("--input")?;
    let events = arguments.value("--events")?;
    let small_spaces = arguments.flag("--small-spaces");
    let gdb = arguments.flag("--gdb");
    arguments.finish("boot", ACCEPTED)?;
    let programs = match (scenario, lesson, files.is_empty()) {
        (Some(name), None, true) => Programs::Scenario(name),
        (None, Some(name), true) => Programs::Lesson(name),
        (None, None, false) => Programs::Files(files),
        (None, None, true) => Programs::Scenario("hello".into()),
        _ => return Err(TaskError::new("give one of --scenario, --lesson or --module, not several")),
    };
    install::ensure_debian(&[install::QEMU])?;
    let image = native::build_image()?;
    let exported = modules::export(&programs)?;
    // A lesson says how to run its programs; the command line may say otherwise.
    let settings = modules::lesson_settings(&exported).unwrap_or_default();
    let cpu = match cpu_given.or(settings.cpu) {
        Some(text) => Cpu::parse(&text)?,
        None => Cpu::I486,
    };
    let input = input.or(settings.input);
    let mut config = QemuConfig::new(cpu, &image);
    config.modules = exported;
    config.gdb = gdb;
    config.events = events.map(PathBuf::from);
    if small_spaces || settings.small_spaces {
        config.options.push("small-spaces".into());
    }
    if gdb {
        println!("QEMU waits for gdb on localhost:1234. In another terminal, attach with:");
        println!(
            "    gdb -q -ex 'set architecture i386' -ex 'file {}' -ex 'target remote localhost:1234' \
             -ex 'break native_main' -ex 'continue'",
            image.display()
        );
        println!("(the image's symbols are its virtual addresses; `break native_trap` stops at every kernel entry)");
    }
    eprintln!(
        "xtask: booting {} with {} modules on -cpu {} (serial below; Ctrl-C stops QEMU)",
        image.display(),
        config.modules.len(),
        cpu.qemu_name()
    );
    let mut command = config.command();
    let status = match input {
        Some(text) => {
            let text = text.replace("\\n", "\n").replace("\\r", "\r");
            command.stdin(std::process::Stdio::piped());
            let mut child = command.spawn().map_err(|error| TaskError::new(format!("cannot start QEMU: {error}")))?;
            if let Some(mut stdin) = child.stdin.take() {
                use std::io::Write;
                let _ = stdin.write_all(text.as_bytes());
                // Keep stdin open: the guest reads it as it asks for input.
                std::mem::forget(stdin);
            }
            child.wait()?
        }
        None => process::status(&mut command)?,
    };
    let code = status.code().unwrap_or(1);
    eprintln!("xtask: QEMU exited with {code}: {}", verdict_text(code));
    Ok(match code {
        33 => 0,
        35 => 1,
        _ => 2,
    })
}
