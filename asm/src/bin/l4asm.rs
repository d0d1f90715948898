//! `l4asm FILE [-o OUT.elf] [--base ADDRESS] [--entry SYMBOL] [-I DIR]… [-D NAME=VALUE]…`
//!
//! Assembles a program into an ELF32 executable. Include files are looked up
//! next to the including file, then in each `-I` folder, then in the
//! project's `scenarios/lib` (where `l4.inc` lives).

use asm::{FileProvider, Options, assemble};
use std::path::{Path, PathBuf};

struct Folders {
    include: Vec<PathBuf>,
}

impl FileProvider for Folders {
    fn read(&self, name: &str, from: Option<&str>) -> Option<(String, String)> {
        let mut candidates = Vec::new();
        match from {
            Some(from) => candidates.push(Path::new(from).parent().unwrap_or(Path::new(".")).join(name)),
            None => candidates.push(PathBuf::from(name)),
        }
        candidates.extend(self.include.iter().map(|folder| folder.join(name)));
        candidates
            .into_iter()
            .find_map(|path| std::fs::read_to_string(&path).ok().map(|text| (path.display().to_string(), text)))
    }
}

fn parse_number(text: &str) -> Option<u32> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

const USAGE: &str = "usage: l4asm FILE [-o OUT.elf] [--base ADDRESS] [--entry SYMBOL] [-I DIR]... [-D NAME=VALUE]...";

fn main() {
    let mut arguments = std::env::args().skip(1);
    let mut input = None;
    let mut output = None;
    let mut options = Options::default();
    let library = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("scenarios").join("lib");
    let mut folders = Folders { include: Vec::new() };
    let fail = |message: String| -> ! {
        eprintln!("l4asm: {message}\n{USAGE}");
        std::process::exit(2);
    };
    while let Some(argument) = arguments.next() {
        match argument.as_str() {
            "-o" => output = Some(arguments.next().unwrap_or_else(|| fail("-o needs a file name".into()))),
            "--base" => {
                let text = arguments.next().unwrap_or_else(|| fail("--base needs an address".into()));
                options.base =
                    parse_number(&text).unwrap_or_else(|| fail(format!("`{text}` is not an address (write 0x400000)")));
            }
            "--entry" => {
                options.entry = Some(arguments.next().unwrap_or_else(|| fail("--entry needs a symbol".into())))
            }
            "-I" => folders
                .include
                .push(PathBuf::from(arguments.next().unwrap_or_else(|| fail("-I needs a folder".into())))),
            "-D" => {
                let text = arguments.next().unwrap_or_else(|| fail("-D needs NAME=VALUE".into()));
                let (name, value) = text.split_once('=').unwrap_or((&text, "1"));
                let value = parse_number(value).unwrap_or_else(|| fail(format!("`{value}` is not a number")));
                options.defines.push((name.to_string(), value as i64));
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            flag if flag.starts_with('-') => fail(format!("unknown option `{flag}`")),
            file => {
                if input.replace(file.to_string()).is_some() {
                    fail("give one input file".into());
                }
            }
        }
    }
    folders.include.push(library);
    let input = input.unwrap_or_else(|| fail("no input file".into()));
    let output = output.unwrap_or_else(|| Path::new(&input).with_extension("elf").display().to_string());
    match assemble(&input, &folders, &options) {
        Ok(program) => {
            let written =
                program.to_elf().and_then(|bytes| std::fs::write(&output, bytes).map_err(|error| error.to_string()));
            if let Err(error) = written {
                eprintln!("l4asm: cannot write {output}: {error}");
                std::process::exit(1);
            }
        }
        Err(diagnostics) => {
            eprint!("{}", diagnostics.render());
            std::process::exit(1);
        }
    }
}
