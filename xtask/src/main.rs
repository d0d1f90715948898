//! `cargo xtask <command>`: see `cargo xtask help`.

mod arguments;
mod commands;

use arguments::Arguments;

const HELP: &str = "\
cargo xtask <command> [flags]

Commands:
  serve [--port N]                 build the explorer (release) and serve it on http://127.0.0.1:8080
  run [--scenario NAME | --module FILE ..] [--cpu 486|pentium] [--small-spaces] [--input TEXT]
      [--trace FILE.jsonl] [--max-cycles N] …
                                   the kernel on the machine model, headless: console on stdout,
                                   exit status = the program's verdict (`cargo xtask run --help`)
  boot [--scenario NAME | --module FILE ..] [--cpu 486|pentium] [--input TEXT] [--small-spaces]
       [--events FILE] [--gdb]
                                   build the native image and boot it in QEMU with sigma0 and the
                                   programs, serial console on this terminal
  calibrate                        count the kernel's instructions per path on the native image (QEMU's
                                   execution log) and write the model's kernel costs (sim/data/kernel-paths.txt)
  bench native                     instructions and modelled cycles of a one-way IPC on the native image
  bench paper                      the paper's cost figures beside the model's (both CPUs), with breakdowns
  bench model [--instructions N] [--peers]
                                   the model's speed natively and in Chromium; --peers: QEMU and v86 too
  bench explorer | bench gdb       the explorer's goals in Chromium; gdb's cost on the model
  iso [--scenario NAME | --module FILE ..]
                                   a GRUB-bootable ISO of the image and the programs (target/iso/NAME.iso)
  asm FILE [-o OUT.elf] [--base A]  assemble a program (the l4asm assembler; errors with file:line:column)
  soak [--calls N] [--cpu 486|pentium|both] [--seeds K] [--seconds S] [--replay SEED:CALL]
                                   hostile tasks on the model (both CPUs, several seeds, in parallel),
                                   the kernel's invariants checked every few hundred calls
  soak --native [--cpu 486|pentium] [--seconds S]
                                   the same program on the native image in QEMU, self-audit on
  fuzz [--target T] [--seconds S] [--runs N] [--list]
                                   coverage-guided fuzzing (cargo-fuzz, libFuzzer) of the assembler, the
                                   ELF loader, lessons, share links, the explorer's URL and the interpreter
  test [--only S,..] [--skip S,..] run every check: fmt, clippy, host tests, a short soak, short fuzz runs, wasm build,
                                   browser tests in Chromium, QEMU boots; ends with `N passed, N failed`
  help                             this text

Stages for --only/--skip: toolchain, fmt, clippy, unit, integration, wasm, components, browser, qemu
";

fn main() {
    let mut arguments = Arguments::from_env();
    let command = arguments.command();
    let outcome = match command.as_deref() {
        Some("serve") => commands::serve::run(arguments),
        Some("boot") => commands::boot::run(arguments),
        Some("run") => commands::run::run(arguments),
        Some("calibrate") => commands::calibrate::run(arguments),
        Some("bench") => commands::bench::run(arguments),
        Some("iso") => commands::iso::run(arguments),
        Some("test") => commands::test::run(arguments),
        Some("soak") => commands::soak::run(arguments),
        Some("fuzz") => commands::fuzz::run(arguments),
        Some("asm") => commands::assembler::run(arguments),
        Some("help") | Some("--help") | Some("-h") | None => {
            print!("{HELP}");
            Ok(0)
        }
        Some(other) => {
            Err(xtask::TaskError::new(format!("unknown command `{other}`. Run `cargo xtask help` for the list.")))
        }
    };
    match outcome {
        Ok(code) => std::process::exit(code),
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(2);
        }
    }
}
