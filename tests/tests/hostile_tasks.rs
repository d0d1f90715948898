//! Hostile tasks: eight tasks issue system calls with random registers
//! (random words, small numbers, real thread ids, fpage-like and
//! buffer-like values, timeouts) and random message buffers, execute
//! exceptions, and are re-created every 40 ms, for more than 100,000
//! calls. Meanwhile a ping-pong pair must keep working. The kernel must
//! never panic, the model never fail, and the mapping database and TLBs
//! must stay consistent (checked every few thousand kernel entries).
//!
//! The hostile tasks also remap what they hold read-only — the image's
//! code and data, which their pager gives them read-only — with w=1 onto
//! the copies other hostile tasks hold at the same address, while those
//! wait to receive mappings. No hostile task may ever hold one of those
//! frames writable: a mapping carries at most its mapper's rights ([X0M]
//! §2.2.3), and no other thread hands them out writable (the hostile tasks
//! address their own pager, not the test's, which would).
#![allow(clippy::unwrap_used)]

use sim::{Budget, CpuModel, RunResult, System, SystemConfig};
use std::collections::HashSet;

const PROGRAM: &str = r#"
%include "testing.inc"

PONG_ID        equ 0x04050001
PING_ID        equ 0x04060001
HOSTILE_PAGER  equ 0x04040801       ; the root task's lthread 2
EPOCH_TIMEOUT  equ (40 << 24) | 10  ; 40·4^5 µs ≈ 41 ms
HOSTILES       equ 8

; next_random — EAX = the next value of the task's generator (its seed at [ESP + 4]).
%macro next_random 0
    mov eax, [esp + 4]
    imul eax, eax, 1103515245
    add eax, 12345
    mov [esp + 4], eax
    rol eax, 15
%endmacro

section .text
_start:
    start_pager
    l4_lthread_ex_regs 2, hostile_pager_stack_top, hostile_pager, L4_INVALID_ID, SIGMA0_ID
    mov edi, trash
    mov ecx, 2048
    mov ax, 0x0B0F                  ; ud2
    rep stosw
    l4_task_new PONG_ID, 255, pong_stack_top, pong, PAGER_ID
    l4_task_new PING_ID, 255, ping_stack_top, ping, PAGER_ID
    ; The healthy pair runs in 1 ms slices (4^5 µs), the hostile tasks in the default 10 ms.
    l4_thread_schedule 50 | (10 << 20) | (1 << 24), 0, PONG_ID
    l4_thread_schedule 50 | (10 << 20) | (1 << 24), 0, PING_ID
    mov dword [epoch], 0
.epoch:
    ; (Re)create the hostile tasks 7..14 with fresh seeds: the old ones and
    ; everything they did go with task_new.
    xor ebx, ebx
.create:
    mov eax, ebx
    shl eax, 13                     ; 8 KB per hostile task
    lea edi, [hostile_area + eax + 8192 - 8]
    lea ecx, [hostile_area + eax]
    mov [edi], ecx                  ; [ESP]: its scratch area

    mov eax, [epoch]
    imul eax, eax, 7919
    add eax, ebx
    imul eax, eax, 2654435761
    or eax, 1
    mov [edi + 4], eax              ; [ESP + 4]: its seed
    lea eax, [ebx + 7]
    shl eax, 16
    or eax, 0x04000001              ; task 7 + index, chief 4, version 1
    push ebx
    l4_task_new eax, 10, edi, hostile_start, HOSTILE_PAGER
    pop ebx
    inc ebx
    cmp ebx, HOSTILES
    jb .create
    mov eax, [healthy_rounds]
    mov [rounds_before], eax
    ipc_sleep EPOCH_TIMEOUT
    mov eax, [healthy_rounds]
    cmp eax, [rounds_before]
    ja .progress
    inc dword [stalled_epochs]
.progress:
    inc dword [epoch]
    cmp dword [epoch], EPOCHS
    jb .epoch
    ; Remove the hostile tasks; the healthy pair goes on.
    xor ebx, ebx
.remove:
    lea eax, [ebx + 7]
    shl eax, 16
    or eax, 0x04000001
    push ebx
    l4_task_new eax, ROOT_TASK_ID, 0, 0, L4_NIL_ID
    pop ebx
    inc ebx
    cmp ebx, HOSTILES
    jb .remove
    mov eax, [healthy_rounds]
    mov [rounds_before], eax
    ipc_sleep EPOCH_TIMEOUT
    check_eq dword [stalled_epochs], 0, "the ping-pong pair made progress in every epoch"
    check_eq dword [healthy_errors], 0, "and every answer was right"
    mov eax, [healthy_rounds]
    sub eax, [rounds_before]
    cmp eax, 0
    jne .still
    outstring stopped_text
    inc dword [check_failures]
.still:
    check_done

; The hostile tasks' pager: code and data of the image read-only, the
; hostile area writable, and any other user address a trash page (full of
; ud2 for code, which the tasks' virtual IDT turns into a restart; zeros for
; data), so a hostile thread that jumps or points somewhere random keeps
; running.
; I/O faults are not answered.
hostile_pager:
    ipc_wait
.serve:
    test al, L4_IPC_ERROR_MASK
    jnz hostile_pager
    mov eax, edx
    and eax, 0xFFFFF000
    cmp eax, 0xC0000000
    jae hostile_pager
    cmp eax, image_start
    jb .trash
    cmp eax, image_end
    jae .trash
    mov cl, [eax]
    lea ebx, [eax + (12 << 2)]
    cmp eax, hostile_area
    jb .answer
    cmp eax, hostile_area_end
    jae .answer
    or ebx, FPAGE_WRITE
.answer:
    l4_ipc L4_IPC_SHORT_FPAGE, L4_IPC_OPEN, 0x10, esi, eax, ebx, 0
    jmp .serve
.trash:
    ; An instruction fetch gets ud2s, a data access zeros (small numbers:
    ; sizes 0, addresses 0, so what it reads from there stays cheap).
    mov ecx, ebx
    and ecx, 0xFFFFF000
    cmp ecx, eax
    je .code_trash
    mov cl, [trash_data]            ; (the root task's page must be there to be mapped on)
    mov ebx, trash_data | (12 << 2) | FPAGE_WRITE
    jmp .answer
.code_trash:
    mov cl, [trash]
    mov ebx, trash | (12 << 2)
    jmp .answer

; The healthy pair (paged by the standard pager, writable).
pong:
    ipc_wait
.answer:
    test al, L4_IPC_ERROR_MASK
    jnz pong                        ; the answer was not taken (a hostile sender): just wait
    inc edx
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_OPEN, 0x10, esi, edx, 0, 0
    jmp .answer
ping:
    xor ecx, ecx
.call:
    push ecx
    ipc_call PONG_ID, ecx, 0, 0
    pop ecx
    test al, L4_IPC_ERROR_MASK
    jnz .call                       ; pong was busy with someone else: ask again
    lea eax, [ecx + 1]
    cmp edx, eax
    je .right
    inc dword [healthy_errors]
.right:
    inc dword [healthy_rounds]
    inc ecx
    jmp .call

; A hostile task. [ESP] = its 8 KB area (it scribbles on the first 4 KB,
; its stack is the second), [ESP + 4] = its seed.
hostile_start:
    lidt [hostile_idt_register]     ; survive the exceptions it provokes
hostile:
    ; Scribble on its own area: message headers, dopes, buffers — mostly
    ; small numbers and addresses in the area (so strings stay short),
    ; sometimes any word.
    next_random
    mov ecx, eax
    and ecx, 0x0FFC
    add ecx, [esp]
    next_random
    test eax, 0x03F00000
    jz .scribble
    test eax, 0x04000000
    jz .small_word
    and eax, 0x1FFF
    add eax, [esp]
    jmp .scribble
.small_word:
    and eax, 0x3FFF
.scribble:
    mov [ecx], eax
    ; Seven register values below the stack pointer (nothing else writes
    ; there), a target, then a system call (or an exception).
    mov ebx, 7
.value:
    next_random
    mov ecx, eax
    shr ecx, 29
    next_random
    jmp [value_kinds + ecx * 4]
.random:
    ; Random words, but mostly pointing into its own area (message headers,
    ; dopes and buffers it has scribbled on), sometimes at nasty places.
    test eax, 0x0F000000
    jz .nasty
    and eax, 0x1FFF
    add eax, [esp]
    jmp .store
.nasty:
    and eax, 7
    mov eax, [nasty + eax * 4]
    jmp .store
.small:
    and eax, 63
    jmp .store
.identity:
    and eax, 7
    mov eax, [identities + eax * 4]
    jmp .store
.fpage:
    ; An fpage over its own area or (rarely) anywhere, any size and rights.
    test eax, 0x00F00000
    jz .any_fpage
    mov ecx, eax
    and eax, 0xFF                   ; size and rights
    and ecx, 0x1000
    add ecx, [esp]
    or eax, ecx
    jmp .store
.any_fpage:
    and eax, 0xFFFFF0FF
    jmp .store
.all_ones:
    mov eax, 0xFFFFFFFF
    jmp .store
.zero:
    xor eax, eax
    jmp .store
.buffer:
    and eax, 0x1FFF
    add eax, [esp]
    jmp .store
.timeouts:
    and eax, 0xFF00FFFF
.store:
    neg ebx
    mov [esp + ebx * 4 - 8], eax
    neg ebx
    dec ebx
    jnz .value
    next_random
    and eax, 63
    mov eax, [calls + eax * 4]
    mov [esp - 4], eax
    mov eax, [esp - 36]
    mov ebx, [esp - 32]
    mov ecx, [esp - 28]
    mov edx, [esp - 24]
    mov esi, [esp - 20]
    mov edi, [esp - 16]
    mov ebp, [esp - 12]
    ; Timeouts (ECX): mostly send and receive timeouts 0 (the pagefault
    ; timeouts as drawn), so a call that finds no partner returns and the
    ; task goes on; one in 128 as drawn (infinite ones included: that task
    ; may wait until it is re-created).
    test dword [esp + 4], 0x07F00000
    jz .raw_timeouts
    and ecx, 0x0000FFFF
    or ecx, 0x00000011
.raw_timeouts:
    jmp [esp - 4]

do_ipc:
    int 0x30
    jmp hostile
do_id_nearest:
    int 0x31
    jmp hostile
do_unmap:
    int 0x32
    jmp hostile
do_switch:
    int 0x33
    jmp hostile
do_schedule:
    int 0x34
    jmp hostile
do_ex_regs:
    or eax, 1                       ; another lthread (on itself it would leave for random code),
    mov ecx, 0xFFFFFFFF             ; and its ESP and EIP kept: a thread created at a random
    mov edx, ecx                    ; place would soon redirect this one
    int 0x35
    jmp hostile
do_task_new:
    int 0x36
    jmp hostile
do_kdebug:
    int3
    cmp al, 12                      ; non-blocking console read
    jmp hostile
do_remap:
    ; Map a page of the image it holds read-only (the one with its code, or
    ; the one with the call table) with w=1 to another hostile task, at the
    ; same address: onto that task's own read-only copy. Send timeout 0.
    next_random
    mov esi, eax
    and esi, 7 << 16
    add esi, 7 << 16
    or esi, 0x04000001              ; task 7..14
    mov edx, hostile
    test eax, 0x100
    jz .code
    mov edx, calls
.code:
    and edx, 0xFFFFF000
    lea ebx, [edx + (12 << 2) + FPAGE_WRITE]
    mov eax, L4_IPC_SHORT_FPAGE
    mov ebp, L4_IPC_NIL
    mov ecx, 0x10                   ; send timeout 0
    xor edi, edi
    int 0x30
    jmp hostile
do_accept:
    ; Wait until the next timer tick for a message, accepting mappings anywhere.
    mov eax, L4_IPC_NIL
    mov ebp, L4_WHOLE_SPACE | 2 | 1
    mov ecx, (1 << 24) | 11         ; receive 4^4 µs, send ∞ (no send)
    int 0x30
    jmp hostile
do_exception:
    ud2
do_divide:
    xor edx, edx
    div edx
    jmp hostile

; Virtual IDT handlers: drop the frame the kernel pushed, carry on.
recover_no_code:
    add esp, 12
    jmp hostile
recover_with_code:
    add esp, 16
    jmp hostile

section .data
value_kinds: dd hostile.random, hostile.small, hostile.identity, hostile.fpage
             dd hostile.all_ones, hostile.zero, hostile.buffer, hostile.timeouts
nasty:       dd 0, 0x00000FFC, 0xBFFFFFFC, 0xC0000000, 0xEFFFE000, 0xF0000000, 0xFFFFF000, 0x7FFFFFFF
identities:  dd SIGMA0_ID, ROOT_TASK_ID, HOSTILE_PAGER, PONG_ID, PING_ID, 0x04070001, 0x040C0001, 6
calls:       times 37 dd do_ipc
             times 3 dd do_remap
             times 2 dd do_accept
             times 7 dd do_id_nearest
             times 1 dd do_unmap
             times 1 dd do_switch
             times 6 dd do_schedule
             dd do_ex_regs, do_task_new, do_task_new, do_kdebug, do_kdebug, do_ipc, do_exception, do_divide
hostile_idt_register:
             dw 14 * 8 - 1
             dd hostile_idt
hostile_idt: dw recover_no_code & 0xFFFF, 0x1B, 0xEE00, recover_no_code >> 16       ; 0: divide error
             times 5 dq 0
             dw recover_no_code & 0xFFFF, 0x1B, 0xEE00, recover_no_code >> 16       ; 6: invalid opcode
             times 6 dq 0
             dw recover_with_code & 0xFFFF, 0x1B, 0xEE00, recover_with_code >> 16   ; 13: general protection

stopped_text: db "FAIL the ping-pong pair stopped after the hostile tasks were removed", 13, 10, 0

section .bss
epoch:          resd 1
rounds_before:  resd 1
stalled_epochs: resd 1
healthy_rounds: resd 1
healthy_errors: resd 1
                resb 4096
hostile_pager_stack_top:
                resb 4096
pong_stack_top:
                resb 4096
ping_stack_top:
    align 4096
hostile_area:   resb 8 * 8192
hostile_area_end:
    align 4096
trash:          resb 4096
trash_data:     resb 4096
testing_end
"#;

/// The frames the hostile pager hands out read-only: the root task's pages
/// from the image's start to the hostile area, and the code trash page.
fn read_only_frames(system: &System) -> HashSet<u32> {
    let label =
        |name: &str| system.labels().into_iter().find(|label| label.name == name).map(|label| label.address).unwrap();
    let root = system.kernel().task_summaries().find(|task| task.number == 4).unwrap().directory;
    let trash = label("trash");
    (label("image_start") & !0xFFF..label("hostile_area"))
        .step_by(4096)
        .chain([trash])
        .filter_map(|address| system.walk(root, address))
        .map(|translation| translation.physical & !0xFFF)
        .collect()
}

/// No hostile task (7..14) holds one of the read-only frames writable.
fn no_hostile_writes_what_it_got_read_only(system: &System) -> Result<(), String> {
    let frames = read_only_frames(system);
    let tasks: Vec<_> = system.kernel().task_summaries().filter(|task| (7..=14).contains(&task.number)).collect();
    for mapping in system.kernel().mapping_summaries().filter(|mapping| mapping.writable) {
        let Some(task) = tasks.iter().find(|task| task.number == mapping.task) else { continue };
        let Some(translation) = system.walk(task.directory, mapping.address) else { continue };
        if frames.contains(&(translation.physical & !0xFFF)) {
            return Err(format!(
                "task {:#x} holds the read-only frame {:#x} writable at {:#x}",
                mapping.task, translation.physical, mapping.address
            ));
        }
    }
    Ok(())
}

/// Epochs of about 41 ms: the 486 makes fewer calls per simulated second.
fn run(cpu: CpuModel, epochs: u32) {
    let source = format!("EPOCHS equ {epochs}\n{PROGRAM}");
    let elf = sim::scenarios::assemble("hostile.asm", &source).unwrap_or_else(|error| panic!("{error}"));
    let mut system = System::new(SystemConfig::new(cpu));
    system.log_mut().capacity = 4096;
    system.boot(&[sim::scenarios::sigma0().unwrap(), sim::Module::new("hostile", elf)]).unwrap();
    let mut audits = 0;
    let result = loop {
        let result = system.run(Budget { instructions: 200_000, ..Budget::cycles(4_000_000_000) });
        if let Err(error) = system.audit() {
            panic!("{cpu:?}: the kernel broke an invariant: {error:?}");
        }
        if let Err(error) = no_hostile_writes_what_it_got_read_only(&system) {
            panic!("{cpu:?}: {error}");
        }
        if let Err(error) = system.check_tlbs() {
            panic!("{cpu:?}: {error}");
        }
        audits += 1;
        match result {
            RunResult::Limit if system.machine().cycles < 4_000_000_000 => continue,
            other => break other,
        }
    };
    let console = String::from_utf8_lossy(system.console()).into_owned();
    assert_eq!(result, RunResult::Exited { value: 0x10 }, "{cpu:?}: the run ended with {result:?}:\n{console}");
    // Counted by the simulator at each `int` from tasks 7..14 (the tasks'
    // own counters are theirs to scribble on).
    let calls: u64 = (7..=14u8).map(|task| system.system_calls(task)).sum();
    assert!(calls >= 100_000, "{cpu:?}: only {calls} hostile system calls were made");
    assert!(console.contains("ok the ping-pong pair made progress in every epoch"), "{console}");
    assert!(audits > 50, "{cpu:?}: the invariants were checked only {audits} times");
    eprintln!("{cpu:?}: {calls} hostile calls, {audits} audits, {} kernel entries", system.kernel_entries());
}

#[test]
fn hostile_tasks_cannot_break_the_kernel_on_the_486() {
    run(CpuModel::I486, 280);
}

#[test]
fn hostile_tasks_cannot_break_the_kernel_on_the_pentium() {
    run(CpuModel::Pentium, 150);
}
