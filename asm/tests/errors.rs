//! Errors a person can act on: each kind of mistake is reported with
//! file:line:column, the line with a caret under the culprit, and a hint.
#![allow(clippy::unwrap_used)] // test support code: a failed unwrap is a failed test

use asm::{MemoryFiles, Options, assemble};

/// Assemble `source` (as `main.asm`, with optional extra files) and return the rendered errors.
fn errors_with(source: &str, extra: &[(&str, &str)]) -> String {
    let mut files = MemoryFiles::new().with("main.asm", source);
    for (name, text) in extra {
        files.insert(name, text);
    }
    match assemble("main.asm", &files, &Options::default()) {
        Ok(_) => panic!("expected errors for:\n{source}"),
        Err(diagnostics) => diagnostics.render(),
    }
}

fn errors(source: &str) -> String {
    errors_with(source, &[])
}

/// Assert the rendering contains every piece.
fn expect(rendered: &str, pieces: &[&str]) {
    for piece in pieces {
        assert!(rendered.contains(piece), "missing `{piece}` in:\n{rendered}");
    }
}

#[test]
fn unknown_register_suggests_the_closest() {
    let rendered = errors("mov eaxx, 1\n");
    expect(
        &rendered,
        &["main.asm:1:5: error: unknown register `eaxx` — did you mean `eax`?", " 1 | mov eaxx, 1", "   |     ^^^^"],
    );
}

#[test]
fn ambiguous_operand_size_names_the_fix() {
    let rendered = errors("mov [ebx], 1\n");
    expect(
        &rendered,
        &["main.asm:1:5: error: operand size ambiguous", "write `byte [ebx]` or `word [ebx]` or `dword [ebx]`"],
    );
}

#[test]
fn a_label_defined_twice_names_the_first() {
    let rendered = errors("loop1: nop\nnop\nloop1: nop\n");
    expect(
        &rendered,
        &[
            "main.asm:3:1: error: label `loop1` defined twice, first at line 1",
            "note: first defined here (main.asm:1:1)",
        ],
    );
}

#[test]
fn unknown_instruction_suggests_a_spelling() {
    expect(
        &errors("  movv eax, 1\n"),
        &["main.asm:1:3: error: unknown instruction `movv`", "hint: did you mean `mov`?"],
    );
}

#[test]
fn undefined_label_suggests_a_defined_one() {
    expect(
        &errors("start: jmp strat\n"),
        &["main.asm:1:12: error: `strat` is not defined", "hint: did you mean `start`?"],
    );
}

#[test]
fn local_label_outside_its_scope() {
    expect(&errors("first: jmp .done\nsecond:\n.done: ret\n"), &["`first.done` is not defined"]);
}

#[test]
fn bad_number() {
    expect(&errors("mov eax, 12xy\n"), &["main.asm:1:10: error: `12xy` is not a number", "hint: write decimal"]);
}

#[test]
fn unterminated_string() {
    expect(&errors("db \"hello\n"), &["main.asm:1:4: error: unterminated string", "hint: close it with \""]);
}

#[test]
fn mismatched_register_sizes() {
    expect(
        &errors("mov al, ebx\n"),
        &["main.asm:1:9: error: operand sizes do not match: `al` is 8-bit, `ebx` is 32-bit", "movzx"],
    );
}

#[test]
fn immediate_too_wide() {
    expect(&errors("mov al, 300\n"), &["main.asm:1:9: error: 300 does not fit in 8 bits"]);
}

#[test]
fn memory_to_memory_has_no_form() {
    expect(
        &errors("mov [eax], [ebx]\n"),
        &["`mov` has no form that takes memory, memory", "hint: the forms of `mov` take:"],
    );
}

#[test]
fn impossible_scale() {
    expect(&errors("mov eax, [ebx+ecx*3]\n"), &["main.asm:1:15: error: a scale of 3 is not possible", "1, 2, 4 or 8"]);
}

#[test]
fn too_many_registers_in_an_address() {
    expect(&errors("mov eax, [eax+ebx+ecx]\n"), &["too many registers in this address"]);
}

#[test]
fn esp_cannot_be_an_index() {
    expect(&errors("mov eax, [eax+esp*2]\n"), &["esp cannot be scaled as an index register"]);
}

#[test]
fn empty_memory_operand() {
    expect(&errors("mov eax, []\n"), &["an empty memory operand"]);
}

#[test]
fn unknown_directive_suggests_a_spelling() {
    expect(
        &errors("%defne X 1\n"),
        &["main.asm:1:1: error: unknown preprocessor directive `%defne`", "did you mean `%define`?"],
    );
}

#[test]
fn macro_argument_count() {
    let rendered = errors("%macro two 2\n mov %1, %2\n%endmacro\n two eax\n");
    expect(
        &rendered,
        &[
            "main.asm:4:2: error: macro `two` takes 2 argument(s), 1 given",
            "note: the macro is defined here (main.asm:1:1)",
        ],
    );
}

#[test]
fn macro_without_endmacro() {
    expect(&errors("%macro open 0\n nop\n"), &["%macro `open` has no %endmacro"]);
}

#[test]
fn endmacro_without_macro() {
    expect(&errors("%endmacro\n"), &["main.asm:1:1: error: %endmacro without a %macro"]);
}

#[test]
fn missing_include() {
    expect(
        &errors("%include \"nothere.inc\"\n"),
        &["main.asm:1:10: error: cannot find the include file `nothere.inc`"],
    );
}

#[test]
fn recursive_include() {
    expect(
        &errors_with("%include \"a.inc\"\n", &[("a.inc", "%include \"a.inc\"\n")]),
        &["a.inc:1:10: error: `a.inc` includes itself", "%ifndef"],
    );
}

#[test]
fn division_by_zero() {
    expect(&errors("SIZE equ 4 / 0\n"), &["main.asm:1:14: error: division by zero"]);
}

#[test]
fn data_value_out_of_range() {
    expect(&errors("db 300\n"), &["main.asm:1:4: error: 300 does not fit in 1 byte(s)", "from -128 to 255"]);
}

#[test]
fn code_in_bss() {
    expect(&errors("section .bss\nnop\n"), &["an instruction in .bss", "section .text"]);
}

#[test]
fn initialized_data_in_bss() {
    expect(&errors("section .bss\ndd 5\n"), &["initialized data or code in .bss", "resb"]);
}

#[test]
fn unknown_section() {
    expect(&errors("section .stuff\n"), &["unknown section `.stuff`", "hint: sections are .text"]);
}

#[test]
fn extern_is_refused_with_a_way_out() {
    expect(&errors("extern printf\n"), &["`extern` is not supported", "%include"]);
}

#[test]
fn times_with_a_negative_count() {
    expect(&errors("times -3 db 0\n"), &["`times` count -3 is out of range"]);
}

#[test]
fn alignment_must_be_a_power_of_two() {
    expect(&errors("align 3\n"), &["cannot align to 3", "powers of two"]);
}

#[test]
fn short_jump_out_of_range() {
    expect(
        &errors("start: jmp short far_away\ntimes 200 nop\nfar_away: ret\n"),
        &["main.asm:1:8: error: the branch target is out of range", "remove `short`"],
    );
}

#[test]
fn only_32_bit_code() {
    expect(&errors("bits 16\n"), &["only 32-bit code is supported"]);
}

#[test]
fn register_as_a_label() {
    expect(&errors("eax: nop\n"), &["`eax` is a register and cannot be a label"]);
}

#[test]
fn unclosed_parenthesis() {
    expect(&errors("mov eax, (1 + 2\n"), &["this `(` is not closed"]);
}

#[test]
fn unexpected_character() {
    expect(&errors("mov eax, 1 # 2\n"), &["main.asm:1:12: error: unexpected character `#`", "comments start with `;`"]);
}

#[test]
fn missing_operand_between_commas() {
    expect(&errors("add eax,, 1\n"), &["an operand is missing between commas"]);
}

#[test]
fn errors_in_macros_point_at_the_body_and_all_errors_are_reported() {
    let rendered = errors("%macro load 1\n mov eax, %1\n%endmacro\n load undefined_thing\n movv ebx, 1\n");
    expect(
        &rendered,
        &["main.asm:5:2: error: unknown instruction `movv`", "`undefined_thing` is not defined", "2 errors"],
    );
}

#[test]
fn defines_with_parameters_expand_and_check_their_arguments() {
    let files = MemoryFiles::new().with(
        "main.asm",
        "%define window(page) (0x01000000 + ((page) & 0x3FFFFF))\n%define pair(a, b) a + b\n_start:\n    mov eax, window(0x00405000)\n    mov ebx, pair(2, 3) * 2\n",
    );
    let program =
        assemble("main.asm", &files, &Options::default()).unwrap_or_else(|errors| panic!("{}", errors.render()));
    let text = &program.sections.iter().find(|section| section.name == ".text").unwrap().bytes;
    // mov eax, 0x01005000 ; mov ebx, 2 + 3 * 2 (no parentheses added, as in NASM)
    assert_eq!(text, &[0xB8, 0x00, 0x50, 0x00, 0x01, 0xBB, 0x08, 0x00, 0x00, 0x00]);
    let rendered = errors("%define twice(x) (x) * 2\n_start:\n    mov eax, twice(1, 2)\n");
    expect(&rendered, &["main.asm:3:14: error: `twice` takes 1 argument, 2 given"]);
    let rendered = errors("%define broken(x y) x\n");
    expect(&rendered, &["expected `,` or `)` in the %define's parameter list"]);
    let rendered = errors("%include \"missing.inc\"\n_start:\n    frobnicate eax\n");
    assert!(!rendered.contains("frobnicate"), "a missing include is reported alone:\n{rendered}");
}

#[test]
fn a_section_past_the_limit_is_an_error_at_the_line_that_grows_it() {
    let rendered = errors("section .bss\nsmall: resb 4096\nbig: times 5 resb 16777216\nsection .text\n_start: nop\n");
    expect(
        &rendered,
        &["main.asm:3:1: error: the .bss section grows past 67108864 bytes here", "fewer `times` copies", "1 error"],
    );
    let files = MemoryFiles::new().with("main.asm", "_start: times 100 db 1, 2, 3, 4\n");
    let small = Options { max_section_bytes: 256, ..Options::default() };
    let rendered = assemble("main.asm", &files, &small).unwrap_err().render();
    expect(&rendered, &["main.asm:1:1: error: the .text section grows past 256 bytes here"]);
    let fits = Options { max_section_bytes: 400, ..Options::default() };
    assert_eq!(assemble("main.asm", &files, &fits).unwrap().sections[0].bytes.len(), 400);
}

/// Found by the assemble fuzz target: an expression of thousands of nested
/// signs or parentheses, or of thousands of operators, overflowed the stack
/// (the parser, the evaluation and the tree's drop all recurse). Now a
/// clear error; the explorer's assembler runs on a 1 MB WebAssembly stack.
#[test]
fn expressions_too_deep_or_too_long_are_errors_not_stack_overflows() {
    let signs = format!("_start: mov eax, {}1\n", "-".repeat(20_000));
    expect(&errors(&signs), &["main.asm:1:82: error: the expression nests deeper than 64 levels here"]);
    let parentheses = format!("_start: dd {}1{}\n", "(".repeat(10_000), ")".repeat(10_000));
    expect(&errors(&parentheses), &["error: the expression nests deeper than 64 levels here"]);
    let sum = format!("_start: mov eax, 1{}\n", "+1".repeat(50_000));
    expect(&errors(&sum), &["error: the expression has more than 1024 operators", "an `equ` can name a part"]);
    // Within the limits: 64 levels and 1,024 operators assemble.
    let files = MemoryFiles::new()
        .with("main.asm", &format!("_start: dd {}1{}, 1{}\n", "(".repeat(63), ")".repeat(63), "+1".repeat(1_000)));
    let program = assemble("main.asm", &files, &Options::default()).unwrap();
    assert_eq!(program.sections[0].bytes, [1, 0, 0, 0, 0xE9, 3, 0, 0]);
}
