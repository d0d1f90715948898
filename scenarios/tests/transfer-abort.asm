; transfer-abort — lthread_ex_regs on a thread whose IPC is in a message
; transfer that waits for a page fault to be resolved aborts the IPC on both
; sides: the receiver comes back with 0xC0 (receive aborted) and the sender
; with 0xD0 (send aborted) — [X0M] p. 28 (lthread_ex_regs: "if a message
; transfer is currently running, ipc is aborted (completion code 0xC0 or
; 0xD0)") and p. 19 (C + s); Hazelnut's unwind_ipc. Four cases: the fault
; in the receiver's or in the sender's space, and ex_regs on the thread that
; faulted or on its partner, which waits for it.
;
; The receiver is the root task's lthread 2, the sender its lthread 3; both
; are paged by the test's pager, which never answers a fault outside the
; program's image — so the transfer stays stalled until ex_regs ends it.
%include "testing.inc"

RECEIVER    equ 2
SENDER      equ 3
RECEIVER_ID equ ROOT_TASK_ID + (RECEIVER << 10)
SENDER_ID   equ ROOT_TASK_ID + (SENDER << 10)
UNPAGED     equ 0x00800000          ; outside the image: the pager does not answer
DWORDS      equ 13
STRINGS     equ 8
SETTLE      equ (2 << 24) | 10      ; receive from nil for 2·4^5 µs ≈ 2 ms

; case RECEIVE_AT, SEND_AT, TARGET — start the receiver (receiving its string
; at RECEIVE_AT) and the sender (sending its string from SEND_AT), let the
; transfer stall, then lthread_ex_regs TARGET with ESP and EIP kept.
%macro case 3
    mov dword [inbox_dopes + 12], %1
    mov dword [message_dopes + 4], %2
    mov dword [receiver_result], 0xFFFFFFFF
    mov dword [sender_result], 0xFFFFFFFF
    mov eax, [pager_refused]
    mov [refused_before], eax
    l4_lthread_ex_regs RECEIVER, receiver_stack_top, receiver, L4_INVALID_ID, PAGER_ID
    l4_lthread_ex_regs SENDER, sender_stack_top, sender, L4_INVALID_ID, PAGER_ID
    ipc_sleep SETTLE                ; they run: the transfer meets the missing page
    mov eax, [pager_refused]
    sub eax, [refused_before]
    check_eq eax, 1, "the transfer's page fault went to the pager"
    l4_lthread_ex_regs %3, L4_INVALID_ID, L4_INVALID_ID, L4_INVALID_ID, L4_INVALID_ID
    ipc_sleep SETTLE                ; both come back from their IPC
%endmacro

section .text
_start:
    start_pager

; The page is missing in the receiver's space.
    case UNPAGED, text, RECEIVER
    check_masked dword [receiver_result], 0xF0, 0xC0, "fault at the receiver, ex_regs the receiver: it gets 0xC0"
    check_masked dword [sender_result], 0xF0, 0xD0, "and the sender 0xD0"
    case UNPAGED, text, SENDER
    check_masked dword [receiver_result], 0xF0, 0xC0, "fault at the receiver, ex_regs the sender: the receiver gets 0xC0"
    check_masked dword [sender_result], 0xF0, 0xD0, "and the sender 0xD0"

; The page is missing in the sender's space.
    case buffer, UNPAGED, SENDER
    check_masked dword [receiver_result], 0xF0, 0xC0, "fault at the sender, ex_regs the sender: the receiver gets 0xC0"
    check_masked dword [sender_result], 0xF0, 0xD0, "and the sender 0xD0"
    case buffer, UNPAGED, RECEIVER
    check_masked dword [receiver_result], 0xF0, 0xC0, "fault at the sender, ex_regs the receiver: it gets 0xC0"
    check_masked dword [sender_result], 0xF0, 0xD0, "and the sender 0xD0"
    check_done

; lthread 2: receive one string from the sender, keep the result, sleep.
receiver:
    mov dword [inbox_dopes + 8], 64
    l4_ipc L4_IPC_NIL, inbox, L4_IPC_NEVER, SENDER_ID, 0, 0, 0
    mov [receiver_result], eax
    ipc_sleep L4_IPC_NEVER

; lthread 3: send one string to the receiver, keep the result, sleep.
sender:
    l4_ipc message, L4_IPC_NIL, L4_IPC_NEVER, RECEIVER_ID, 0, 0, 0
    mov [sender_result], eax
    ipc_sleep L4_IPC_NEVER

section .data
message:
    dd 0
    dd (3 << DWORDS) | (1 << STRINGS)
    dd (3 << DWORDS) | (1 << STRINGS)
    dd 0, 0, 0
message_dopes:
    dd 20, text, 0, 0
text: db "twenty bytes of text"

    align 4
inbox:
    dd 0
    dd (3 << DWORDS) | (1 << STRINGS)
    dd 0
    times 3 dd 0
inbox_dopes:
    dd 0, 0, 64, buffer
receiver_result: dd 0
sender_result:   dd 0

section .bss
refused_before: resd 1
buffer:         resb 64
                resb 4096
receiver_stack_top:
                resb 4096
sender_stack_top:
testing_end
