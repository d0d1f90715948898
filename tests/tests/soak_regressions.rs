//! What the hostile-task soak (`cargo xtask soak`) found, each as the
//! smallest program that shows it, on both CPUs, with the kernel's audit
//! after the run.
//!
//! 1. A transfer stalled on a page fault whose faulting party has no pager
//!    (it is removed for that) left the other party waiting for the fault
//!    to be resolved — forever, since nothing else wakes it, not even
//!    deleting the removed thread's task — when the faulting sender had not
//!    blocked yet (its message header in a page it does not have). A
//!    hostile client could so freeze sigma0 or any server it sent to. Now the other party's IPC is
//!    aborted (0xC0 for a receiver, 0xD0 for a sender). Found by the soak at
//!    hostile call 711 of seed 1 on the 486 (the audit: "the parties of a
//!    stalled transfer do not know each other").
//! 2. The same when the page-fault RPC of such a transfer failed for another
//!    reason than a timeout: a pager in another clan, whose chief took the
//!    fault message in its stead, but which does not exist itself, so the
//!    RPC's receive found no partner (0x10). The faulting party went on, its
//!    partner waited forever. Now both IPCs are aborted. Found by the soak
//!    at hostile call 35,596 of seed 2 on the Pentium.
//! 3. A transfer that faulted while one of its parties was itself the
//!    faulting party of a stalled transfer — the page-fault message going
//!    into a pager's receive buffer in a page the pager does not have —
//!    overwrote that party's link to its first partner, which then waited
//!    for good. A thread takes part in one stalled transfer at a time: such
//!    a nested transfer is now aborted (0xC0/0xD0), and with it the first.
//!    Found by the soak at hostile calls 228,040 (seed 3) and 442,046
//!    (seed 1) on the Pentium.
//! 4. A thread that loaded a null selector into DS and ES passed them on:
//!    the model returned to the next thread without reloading them (the
//!    native exit path reloads DS and ES, but FS and GS only on a
//!    small-space switch), and the root task took a #GP at its next memory
//!    access. Every exit now reloads a data segment register that does not
//!    hold the user selector. Found by the soak (a stall: the root task
//!    gone) at hostile calls 106,462 (seed 2), 449,788 (seed 4) and 595,889
//!    (seed 1, small spaces) on the Pentium.
//! 5. A transfer stalled on a page fault whose page-fault RPC waited in its
//!    pager's queue when the pager's task was deleted: the faulting party
//!    was failed like any sender queued at a thread that is gone (0x10),
//!    but still marked as in its transfer and with its EAX overwritten, and
//!    the other party waited for good. Now it fails through the same path
//!    as every IPC, which aborts such a transfer for both (0xC0/0xD0).
//!    Found by the soak at hostile call 755,942 of seed 4 on the Pentium
//!    (the audit: "a thread in a stalled transfer is not blocked in an
//!    IPC"), after no floating point changed what random code does.
#![allow(clippy::unwrap_used)]

use sim::{Budget, CpuModel, RunResult, System, SystemConfig};

const NO_PAGER_MID_TRANSFER: &str = r#"
%include "testing.inc"

SERVER_ID    equ 0x04050001
CLIENT_ID    equ 0x04060001
NO_SUCH_PAGER equ 0x04FF0001
UNMAPPED     equ 0x00800000         ; outside the image: never mapped

section .text
_start:
    start_pager
    l4_task_new SERVER_ID, 255, server_stack_top, server, PAGER_ID
    l4_task_new CLIENT_ID, 255, client_stack_top, client, PAGER_ID
    ipc_receive SERVER_ID           ; the server's result word, in w0
    check_masked edx, 0xF0, 0xC0, "the server's receive was aborted when the sender lost its pager mid-transfer"
    check_done

; Waits for a message (pagefault timeouts infinite), reports its result word.
server:
    l4_ipc L4_IPC_NIL, L4_IPC_OPEN, L4_IPC_NEVER, 0, 0, 0, 0
    ipc_send ROOT_TASK_ID, eax, 0, 0
    ipc_sleep L4_IPC_NEVER

; Loses its pager, then sends a memory message whose header lies in a page
; it does not have: the transfer faults in its space at once (it is still
; running, not yet blocked in its send), and its pager does not exist.
client:
    mov dword [esp - 4], 0          ; its stack (the macros below push)
    mov dword [esp - 64], 0
    l4_lthread_ex_regs 0, L4_INVALID_ID, L4_INVALID_ID, L4_INVALID_ID, NO_SUCH_PAGER
    l4_ipc UNMAPPED, L4_IPC_NIL, L4_IPC_NEVER, SERVER_ID, 0, 0, 0
    ipc_sleep L4_IPC_NEVER

section .bss
                resb 4096
server_stack_top:
                resb 4096
client_stack_top:
testing_end
"#;

const PAGER_REDIRECTED_AND_MISSING: &str = r#"
%include "testing.inc"

SERVER_ID    equ 0x04050001
CLIENT_ID    equ 0x04060001
CHIEF_ID     equ 0x04070001         ; a chief that takes whatever comes
MISSING_ID   equ 0x07080001         ; task 8 of its clan, never created
UNMAPPED     equ 0x00800000

section .text
_start:
    start_pager
    l4_task_new CHIEF_ID, 255, chief_stack_top, chief, PAGER_ID
    l4_task_new MISSING_ID, CHIEF_ID, 0, 0, L4_NIL_ID     ; task 8 now belongs to the chief's clan
    l4_task_new SERVER_ID, 255, server_stack_top, server, PAGER_ID
    l4_task_new CLIENT_ID, 255, client_stack_top, client, PAGER_ID
    ipc_receive SERVER_ID
    check_masked edx, 0xF0, 0xC0, "the server's receive was aborted when the sender's page-fault RPC failed"
    ipc_receive CLIENT_ID
    check_masked edx, 0xF0, 0xD0, "and the sender's send was aborted too"
    check_done

chief:
    ipc_wait
    jmp chief

server:
    l4_ipc L4_IPC_NIL, L4_IPC_OPEN, L4_IPC_NEVER, 0, 0, 0, 0
    ipc_send ROOT_TASK_ID, eax, 0, 0
    ipc_sleep L4_IPC_NEVER

; Its pager is a thread of the chief's clan that does not exist: the fault
; message goes to the chief, the RPC's receive from the pager finds nobody.
client:
    mov dword [esp - 4], 0
    mov dword [esp - 64], 0
    l4_lthread_ex_regs 0, L4_INVALID_ID, L4_INVALID_ID, L4_INVALID_ID, MISSING_ID
    l4_ipc UNMAPPED, L4_IPC_NIL, L4_IPC_NEVER, SERVER_ID, 0, 0, 0
    ipc_send ROOT_TASK_ID, eax, 0, 0
    ipc_sleep L4_IPC_NEVER

section .bss
                resb 4096
chief_stack_top:
                resb 4096
server_stack_top:
                resb 4096
client_stack_top:
testing_end
"#;

const FAULT_MESSAGE_INTO_AN_UNMAPPED_BUFFER: &str = r#"
%include "testing.inc"

SERVER_ID    equ 0x04050001
CLIENT_ID    equ 0x04060001
ODD_PAGER_ID equ 0x04040801         ; the root task's lthread 2
UNMAPPED     equ 0x00800000         ; not mapped in the client's space …
POCKET       equ 0x00A00000         ; … nor here in the root task's

section .text
_start:
    start_pager
    l4_lthread_ex_regs 2, odd_pager_stack_top, odd_pager, L4_INVALID_ID, SIGMA0_ID
    l4_task_new SERVER_ID, 255, server_stack_top, server, PAGER_ID
    l4_task_new CLIENT_ID, 255, client_stack_top, client, PAGER_ID
    ipc_receive SERVER_ID
    check_masked edx, 0xF0, 0xC0, "the server's receive was aborted when the page-fault message could not be delivered"
    check_done

; A pager whose receive buffer lies in a page it does not have.
odd_pager:
    l4_ipc L4_IPC_NIL, POCKET | 1, L4_IPC_NEVER, 0, 0, 0, 0
    jmp odd_pager

server:
    l4_ipc L4_IPC_NIL, server_message | 1, L4_IPC_NEVER, 0, 0, 0, 0
    ipc_send ROOT_TASK_ID, eax, 0, 0
    ipc_sleep L4_IPC_NEVER

; Sends a string from a page it does not have; its pager is the odd one.
client:
    mov eax, [client_message]
    mov dword [esp - 4], 0
    mov dword [esp - 64], 0
    l4_lthread_ex_regs 0, L4_INVALID_ID, L4_INVALID_ID, L4_INVALID_ID, ODD_PAGER_ID
    l4_ipc client_message, L4_IPC_NIL, L4_IPC_NEVER, SERVER_ID, 0, 0, 0
    ipc_sleep L4_IPC_NEVER

section .data
server_message: dd 0, (3 << 13) | (1 << 8), 0, 0, 0, 0
                dd 0, 0, 4096, server_buffer
client_message: dd 0, (3 << 13) | (1 << 8), (3 << 13) | (1 << 8), 0, 0, 0
                dd 64, UNMAPPED, 0, 0

section .bss
                resb 4096
odd_pager_stack_top:
                resb 4096
server_stack_top:
                resb 4096
client_stack_top:
server_buffer:  resb 4096
testing_end
"#;

const NULL_SEGMENTS_IN_ANOTHER_TASK: &str = r#"
%include "testing.inc"

OTHER_ID     equ 0x04050001
A_TICK       equ (40 << 24) | 10    ; about 41 ms

section .text
_start:
    start_pager
    l4_task_new OTHER_ID, 255, other_stack_top, other, PAGER_ID
    ipc_sleep A_TICK                ; the other task runs meanwhile
    mov eax, [word_in_data]         ; DS
    mov edi, word_in_bss
    stosd                           ; ES
    mov ebx, [fs:word_in_data]
    add ebx, [gs:word_in_data]
    check_eq eax, 0x12345678, "DS still reads after another task nulled its own"
    check_eq dword [word_in_bss], 0x12345678, "ES still writes"
    check_eq ebx, 0x2468ACF0, "FS and GS still read"
    check_done

; Loads null selectors into its data segment registers and waits for good.
other:
    xor eax, eax
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    ipc_sleep L4_IPC_NEVER          ; (its stack is SS, still the user's)
    jmp other

section .data
word_in_data: dd 0x12345678

section .bss
word_in_bss:    resd 1
                resb 4096
other_stack_top:
testing_end
"#;

const PAGER_DELETED_WHILE_ASKED: &str = r#"
%include "testing.inc"

SERVER_ID    equ 0x04050001
CLIENT_ID    equ 0x04060001
IDLE_PAGER   equ 0x04070001         ; a pager that never receives
UNMAPPED     equ 0x00800000

section .text
_start:
    start_pager
    l4_task_new IDLE_PAGER, 255, idle_stack_top, idle, PAGER_ID
    l4_task_new SERVER_ID, 255, server_stack_top, server, PAGER_ID
    l4_task_new CLIENT_ID, 255, client_stack_top, client, PAGER_ID
    ipc_sleep (2 << 24) | 10        ; 2 ms: the client's fault waits at the idle pager
    l4_task_new IDLE_PAGER, ROOT_TASK_ID, 0, 0, L4_NIL_ID   ; delete the pager's task
    ipc_receive SERVER_ID
    check_masked edx, 0xF0, 0xC0, "the server's receive was aborted when the sender's pager was deleted"
    ipc_receive CLIENT_ID
    check_masked edx, 0xF0, 0xD0, "and the sender's send was aborted too"
    check_done

idle:
    ipc_sleep L4_IPC_NEVER

server:
    l4_ipc L4_IPC_NIL, L4_IPC_OPEN, L4_IPC_NEVER, 0, 0, 0, 0
    ipc_send ROOT_TASK_ID, eax, 0, 0
    ipc_sleep L4_IPC_NEVER

; Its pager is the idle one: the transfer faults in its space at once, and
; the page-fault RPC waits in the idle pager's queue.
client:
    mov dword [esp - 4], 0
    mov dword [esp - 64], 0
    l4_lthread_ex_regs 0, L4_INVALID_ID, L4_INVALID_ID, L4_INVALID_ID, IDLE_PAGER
    l4_ipc UNMAPPED, L4_IPC_NIL, L4_IPC_NEVER, SERVER_ID, 0, 0, 0
    ipc_send ROOT_TASK_ID, eax, 0, 0
    ipc_sleep L4_IPC_NEVER

section .bss
                resb 4096
idle_stack_top:
                resb 4096
server_stack_top:
                resb 4096
client_stack_top:
testing_end
"#;

fn run(cpu: CpuModel, name: &str, program: &str) {
    let elf = sim::scenarios::assemble(name, program).unwrap_or_else(|error| panic!("{error}"));
    let mut system = System::new(SystemConfig::new(cpu));
    system.boot(&[sim::scenarios::sigma0().unwrap(), sim::Module::new(name, elf)]).unwrap();
    let result = system.run(Budget::cycles(200_000_000));
    let console = String::from_utf8_lossy(system.console()).replace('\r', "");
    assert_eq!(result, RunResult::Exited { value: 0x10 }, "{cpu:?} {name}: {result:?}\n{console}");
    if let Err(error) = system.audit() {
        panic!("{cpu:?} {name}: the kernel broke an invariant: {error:?}\n{console}");
    }
}

#[test]
fn a_transfer_whose_faulting_party_has_no_pager_ends_for_the_other_party_too() {
    for cpu in [CpuModel::I486, CpuModel::Pentium] {
        run(cpu, "no-pager-mid-transfer.asm", NO_PAGER_MID_TRANSFER);
    }
}

#[test]
fn a_transfer_whose_page_fault_rpc_finds_no_pager_ends_for_both_parties() {
    for cpu in [CpuModel::I486, CpuModel::Pentium] {
        run(cpu, "pager-redirected-and-missing.asm", PAGER_REDIRECTED_AND_MISSING);
    }
}

#[test]
fn a_fault_in_the_page_fault_rpc_of_a_stalled_transfer_aborts_both() {
    for cpu in [CpuModel::I486, CpuModel::Pentium] {
        run(cpu, "fault-message-into-an-unmapped-buffer.asm", FAULT_MESSAGE_INTO_AN_UNMAPPED_BUFFER);
    }
}

#[test]
fn a_thread_that_nulls_its_segment_registers_does_not_pass_them_on() {
    for cpu in [CpuModel::I486, CpuModel::Pentium] {
        run(cpu, "null-segments-in-another-task.asm", NULL_SEGMENTS_IN_ANOTHER_TASK);
    }
}

#[test]
fn a_transfer_whose_pager_is_deleted_during_its_page_fault_rpc_ends_for_both() {
    for cpu in [CpuModel::I486, CpuModel::Pentium] {
        run(cpu, "pager-deleted-while-asked.asm", PAGER_DELETED_WHILE_ASKED);
    }
}
