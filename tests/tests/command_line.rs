//! Programs given on the command line (`cargo xtask run --module FILE.asm`,
//! `cargo xtask boot --module FILE.asm`): both go through the runner, which
//! assembles the file with its `%include`s looked up next to it first, as
//! `cargo xtask asm` does and docs/ASSEMBLER.md says (issue 13, point 12).
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use xtask::modules::{self, Programs};

/// A program in a fresh folder that includes a file next to it.
fn program_with_a_neighbour() -> PathBuf {
    let folder = std::env::temp_dir().join(format!("l4-include-next-to-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("greeting.inc"), "%define GREETING \"hello from next door\"\n").unwrap();
    let main = folder.join("main.asm");
    std::fs::write(
        &main,
        r#"%include "greeting.inc"
%include "l4.inc"
section .text
_start:
    mov esp, stack_top
    outstring text
    debug_exit DEBUG_EXIT_SUCCESS
.halt:
    jmp .halt
section .data
text: db GREETING, 13, 10, 0
section .bss
    resb 4096
stack_top:
"#,
    )
    .unwrap();
    main
}

#[test]
fn run_and_boot_find_an_include_next_to_the_program() {
    let main = program_with_a_neighbour();
    // `cargo xtask boot --module` exports the modules through the runner.
    let exported = modules::export(&Programs::Files(vec![main.clone()])).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(exported.len(), 2, "sigma0 and the program: {exported:?}");
    // `cargo xtask run --module` is the runner itself.
    let output = std::process::Command::new(modules::runner().unwrap()).arg("--module").arg(&main).output().unwrap();
    let console = String::from_utf8_lossy(&output.stdout);
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the run failed: {errors}\n{console}");
    assert!(console.contains("hello from next door"), "{console}");
    let _ = std::fs::remove_dir_all(main.parent().unwrap());
}
