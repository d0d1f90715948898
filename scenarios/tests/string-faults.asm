; string-faults — a 32-page string whose every page is missing, first in the
; receiver's space, then in the sender's: each page faults once, its pager
; maps it, and the transfer goes on; the string arrives whole. (A test of
; the kernel, tests/efficiency.rs, counts the page lookups this costs: they
; grow with the pages, not with their square.)
%include "testing.inc"

RECEIVER_ID equ 0x04050001
SENDER_ID   equ 0x04060001
PAGES       equ 32
LENGTH      equ PAGES * 4096
MARK        equ 0x5A000000          ; page i of a string starts with MARK + i
DWORDS      equ 13
STRINGS     equ 8

; mark AREA, BASE — write BASE + i at the start of page i of AREA.
%macro mark 2
    xor ecx, ecx
%%next:
    mov eax, ecx
    shl eax, 12
    lea edx, [ecx + %2]
    mov [%1 + eax], edx
    inc ecx
    cmp ecx, PAGES
    jb %%next
%endmacro

; count_marks AREA, BASE — EDX = how many pages of AREA start with BASE + i.
%macro count_marks 2
    xor ecx, ecx
    xor edx, edx
%%next:
    mov eax, ecx
    shl eax, 12
    lea ebx, [ecx + %2]
    cmp [%1 + eax], ebx
    jne %%wrong
    inc edx
%%wrong:
    inc ecx
    cmp ecx, PAGES
    jb %%next
%endmacro

section .text
_start:
    start_pager
    mark outgoing, MARK             ; the root task's own pages (from sigma0)
    mark incoming, 0                ; where task 6's string will land: there too
    mark task6_source, MARK + 0x100 ; what task 6 will send (its pages are not there yet)

; The receiver (task 5) has none of the pages its buffer covers.
    l4_task_new RECEIVER_ID, 255, receiver_stack_top, receiver, PAGER_ID
    ipc_receive RECEIVER_ID         ; it is ready: only the string's pages are missing
    mov eax, [pager_faults]
    mov [faults_before], eax
    l4_ipc message, L4_IPC_NIL, L4_IPC_NEVER, RECEIVER_ID, 0, 0, 0
    check_eq eax, 0, "a string of 32 pages went to a receiver that had none of them"
    mov eax, [pager_faults]
    sub eax, [faults_before]
    check_eq eax, PAGES, "each of its pages faulted once"
    count_marks landing, MARK       ; the receiver's pages are the root task's frames
    check_eq edx, PAGES, "and every page arrived"

; The sender (task 6) has none of the pages its string covers.
    l4_task_new SENDER_ID, 255, sender_stack_top, sender, PAGER_ID
    ipc_receive SENDER_ID           ; it is ready: only the string's pages are missing
    mov eax, [pager_faults]
    mov [faults_before], eax
    l4_ipc L4_IPC_NIL, inbox, L4_IPC_NEVER, SENDER_ID, 0, 0, 0
    check_eq eax, (3 << DWORDS) | (1 << STRINGS), "a string of 32 pages came from a sender that had none of them"
    mov eax, [pager_faults]
    sub eax, [faults_before]
    check_eq eax, PAGES, "each of its pages faulted once"
    count_marks incoming, MARK + 0x100
    check_eq edx, PAGES, "and every page arrived"
    check_done

; Task 5: touch its message buffer, say it is ready, receive the string
; into `landing`, then sleep.
receiver:
    mov eax, [landing_inbox]
    mov [landing_inbox], eax
    ipc_send ROOT_TASK_ID, 0, 0, 0
    l4_ipc L4_IPC_NIL, landing_inbox, L4_IPC_NEVER, ROOT_TASK_ID, 0, 0, 0
    ipc_sleep L4_IPC_NEVER

; Task 6: touch its message, say it is ready, send `task6_source` to the
; root task, then sleep.
sender:
    mov eax, [task6_message]
    ipc_send ROOT_TASK_ID, 0, 0, 0
    l4_ipc task6_message, L4_IPC_NIL, L4_IPC_NEVER, ROOT_TASK_ID, 0, 0, 0
    ipc_sleep L4_IPC_NEVER

section .data
message:
    dd 0
    dd (3 << DWORDS) | (1 << STRINGS)
    dd (3 << DWORDS) | (1 << STRINGS)
    dd 0, 0, 0
    dd LENGTH, outgoing, 0, 0
task6_message:
    dd 0
    dd (3 << DWORDS) | (1 << STRINGS)
    dd (3 << DWORDS) | (1 << STRINGS)
    dd 0, 0, 0
    dd LENGTH, task6_source, 0, 0
landing_inbox:
    dd 0
    dd (3 << DWORDS) | (1 << STRINGS)
    dd 0
    dd 0, 0, 0
    dd 0, 0, LENGTH, landing
inbox:
    dd 0
    dd (3 << DWORDS) | (1 << STRINGS)
    dd 0
    dd 0, 0, 0
    dd 0, 0, LENGTH, incoming

section .bss
faults_before:  resd 1
                resb 4096
receiver_stack_top:
                resb 4096
sender_stack_top:
    align 4096
outgoing:       resb LENGTH
incoming:       resb LENGTH
landing:        resb LENGTH
task6_source:   resb LENGTH
testing_end
