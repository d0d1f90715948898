; small-spaces — two tasks in small address spaces (thread_schedule's
; small-space id: 2 = the first 8 MB slot, 6 = the second) exchange
; messages; switching between them reloads only the user segment
; descriptors, never CR3 (the kernel event trace shows `small-space` where a
; large space would show `space`). Run with small spaces on.
; test: small-spaces
%include "testing.inc"

PING_ID     equ 0x04050001
PONG_ID     equ 0x04060001
READ_ONLY   equ 0xFFFFFFFF
ROUNDS      equ 100

section .text
_start:
    start_pager
    l4_task_new PONG_ID, 255, pong_stack_top, pong, PAGER_ID
    l4_task_new PING_ID, 255, ping_stack_top, ping, PAGER_ID
    l4_set_small_space PONG_ID, 6
    l4_set_small_space PING_ID, 2
    l4_thread_schedule READ_ONLY, 0, PING_ID
    check_masked eax, 0xFF00, 2 << 8, "ping's task has small space 2 (8 MB, slot 0)"
    l4_thread_schedule READ_ONLY, 0, PONG_ID
    check_masked eax, 0xFF00, 6 << 8, "pong's task has small space 6 (8 MB, slot 1)"
    ; Start ping and wait for its answer in one call: the root blocks at
    ; once instead of staying ready behind ping and pong, so no time slice
    ; running out can hand it the CPU mid-run (where timer ticks fall is not
    ; the same on the model and in QEMU, and the event trace must be).
    ipc_call PING_ID, ROUNDS, 0, 0
    check_eq edx, ROUNDS, "ping made its round trips in its small space"
    check_eq ebx, 0, "every answer was right"
    check_done

pong:
    ipc_wait
.answer:
    inc edx
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_OPEN, L4_IPC_NEVER, esi, edx, 0, 0
    jmp .answer

ping:
    ipc_receive ROOT_TASK_ID
    mov ebp, edx                    ; rounds
    xor ecx, ecx
    xor edi, edi                    ; wrong answers
.call:
    push ecx
    push edi
    push ebp
    ipc_call PONG_ID, ecx, 0, 0
    pop ebp
    pop edi
    pop ecx
    lea eax, [ecx + 1]
    cmp edx, eax
    je .right
    inc edi
.right:
    inc ecx
    cmp ecx, ebp
    jb .call
    ipc_send ROOT_TASK_ID, ecx, edi, 0
    ipc_sleep L4_IPC_NEVER

section .bss
          resb 4096
ping_stack_top:
          resb 4096
pong_stack_top:
testing_end
