//! `scenarios/lib/l4.inc`: every macro assembles, and the ones whose bytes
//! are the protocol (the kernel-debugger calls) come out exactly as the ABI
//! says.
#![allow(clippy::unwrap_used)] // test support code: a failed unwrap is a failed test

use asm::{MemoryFiles, Options, assemble};

fn library() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/lib/l4.inc");
    std::fs::read_to_string(path).unwrap()
}

fn build(source: &str) -> asm::Program {
    let files = MemoryFiles::new().with("main.asm", source).with("l4.inc", &library());
    assemble("main.asm", &files, &Options::default()).unwrap_or_else(|errors| panic!("{}", errors.render()))
}

#[test]
fn a_program_using_every_macro_assembles() {
    let source = r#"
%include "l4.inc"
section .text
_start:
    l4_thread_id eax, 5, 1, 1, 4
    l4_interrupt_id ebx, 0
    l4_fpage ecx, 0x00800000, 12, FPAGE_WRITE
    l4_io_fpage edx, DEBUG_EXIT_PORT, 0, FPAGE_WRITE
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_OPEN, L4_IPC_NEVER, SIGMA0_ID, 1, 2, 3
    ipc_call SIGMA0_ID, 0xFFFFFFFC, 0, 0
    ipc_send esi, eax, ebx, ecx
    ipc_receive SIGMA0_ID
    ipc_wait
    ipc_reply_and_wait esi, dword [reply], 0, 0
    ipc_send_fpage esi, 0x00800000, ecx
    ipc_call_receive_fpage SIGMA0_ID, 0xFFFFFFFC, 0, 0, L4_WHOLE_SPACE
    ipc_sleep 0x0F00000E
    l4_id_nearest L4_NIL_ID
    l4_myself
    l4_fpage_unmap ecx, L4_FP_FLUSH_PAGE
    l4_thread_switch L4_NIL_ID
    l4_thread_schedule 0xFFFFFFFF, L4_INVALID_ID, esi
    l4_lthread_ex_regs 1, stack_top, worker, L4_INVALID_ID, SIGMA0_ID
    l4_task_new 0x04050001, 255, stack_top, worker, SIGMA0_ID
    outchar 'A'
    outstring message
    outhex32 eax
    outdec 42
    inchar
    enter_kdebug "stop"
    kd_display "note"
    debug_exit DEBUG_EXIT_SUCCESS
worker:
    jmp worker
section .data
message: db "hello", 0
reply: dd 7
section .bss
stack: resb 4096
stack_top:
"#;
    let program = build(source);
    assert!(program.sections[0].bytes.len() > 200);
}

#[test]
fn kernel_debugger_calls_have_the_abi_byte_layout() {
    let program = build("%include \"l4.inc\"\nenter_kdebug \"hi\"\nkd_display \"ok\"\noutchar 'x'\ninchar\n");
    let bytes = &program.sections[0].bytes;
    // enter_kdebug: int3; jmp short over the text; the text.
    assert_eq!(&bytes[..6], &[0xCC, 0xEB, 0x02, b'h', b'i', 0xCC]);
    // kd_display: int3; nop; jmp short; text.
    assert_eq!(&bytes[5..11], &[0xCC, 0x90, 0xEB, 0x02, b'o', b'k']);
    // outchar: push eax; mov eax, 'x'; int3; cmp al, 0; pop eax.
    assert_eq!(&bytes[11..21], &[0x50, 0xB8, b'x', 0, 0, 0, 0xCC, 0x3C, 0x00, 0x58]);
    // inchar: int3; cmp al, 13.
    assert_eq!(&bytes[21..24], &[0xCC, 0x3C, 0x0D]);
}

#[test]
fn ipc_loads_each_register_from_its_argument() {
    // Arguments that are the very registers being loaded still arrive where they belong.
    let program = build("%include \"l4.inc\"\nipc_call edi, esi, edx, ebx\n");
    let bytes = &program.sections[0].bytes;
    // push ebp; push 0; push 0; push 0; push edi; push esi; push edx; push ebx; pop edi; pop ebx; pop edx; pop esi; pop ecx; pop ebp; pop eax; int 0x30; pop ebp
    assert_eq!(
        bytes,
        &[
            0x55, 0x6A, 0x00, 0x6A, 0x00, 0x6A, 0x00, 0x57, 0x56, 0x52, 0x53, 0x5F, 0x5B, 0x5A, 0x5E, 0x59, 0x5D, 0x58,
            0xCD, 0x30, 0x5D
        ]
    );
}

#[test]
fn the_examples_in_the_assembler_guide_assemble() {
    let guide =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/ASSEMBLER.md")).unwrap();
    let examples: Vec<&str> =
        guide.split("```nasm\n").skip(1).map(|block| block.split("```").next().unwrap()).collect();
    assert_eq!(examples.len(), 3, "docs/ASSEMBLER.md has three examples");
    for example in examples {
        build(example);
    }
}
