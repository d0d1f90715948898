; paper — the measurements behind `cargo xtask bench paper`.
;
; The root task (ping) makes system calls and IPCs in phases; each phase
; starts with `enter_kdebug`, where the host stops the run, reads the clock
; and the machine's ledger, and lets it go on. Partners: pong, task 5, in
; another address space (a small one when the kernel has small spaces on),
; and the root task's lthread 2, in the same space. Both answer every
; message with w0 + 1.
;
; Phases:
;   1. ROUNDS null system calls (id_nearest), hot
;   2. COLD null calls, cold: before each the program reads 16 KB line by
;      line and one byte of each of 128 pages, more than any of the caches
;      and TLBs hold, so the kernel finds none of its own lines and pages
;      there (the host leaves out a call when a timer tick came between)
;   3. ROUNDS call/reply round trips with pong (another space)
;   4. ROUNDS call/reply round trips with lthread 2 (the same space)
%include "testing.inc"

PONG_ID     equ 0x04050001                  ; task 5
PARTNER_ID  equ ROOT_TASK_ID + (2 << 10)    ; the root task's lthread 2
ROUNDS      equ 2000
WARM        equ 100
COLD        equ 16
EVICT_PAGES equ 128
EVICT_LINES equ 1024                        ; 16 KB, 16 bytes apart: twice the data caches

section .text
_start:
    start_pager
    l4_task_new PONG_ID, 255, pong_stack_top, echo, PAGER_ID
    l4_set_small_space PONG_ID, 2           ; ignored with small spaces off
    l4_lthread_ex_regs 2, partner_stack_top, echo, L4_INVALID_ID, PAGER_ID
    call evict                              ; its pages are mapped from now on
    mov ebp, WARM
.warm:
    l4_id_nearest PONG_ID
    ipc_call PONG_ID, ebp, 0, 0
    ipc_call PARTNER_ID, ebp, 0, 0
    dec ebp
    jnz .warm

    enter_kdebug "null calls"
    mov ebp, ROUNDS
.null:
    l4_id_nearest PONG_ID
    dec ebp
    jnz .null

    enter_kdebug "cold null calls"
    mov ebp, COLD
.cold:
    call evict
    l4_id_nearest PONG_ID
    dec ebp
    jnz .cold

    enter_kdebug "IPC between spaces"
    mov ebp, ROUNDS
.between:
    ipc_call PONG_ID, ebp, 0, 0
    dec ebp
    jnz .between

    enter_kdebug "IPC within a space"
    mov ebp, ROUNDS
.within:
    ipc_call PARTNER_ID, ebp, 0, 0
    dec ebp
    jnz .within

    enter_kdebug "end"
    check_done

; Pong and lthread 2: answer each message with w0 + 1.
echo:
    ipc_wait
.answer:
    inc edx
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_OPEN, L4_IPC_NEVER, esi, edx, 0, 0
    jmp .answer

; Displace the caches' and TLBs' contents.
evict:
    mov esi, buffer
    mov ecx, EVICT_LINES
.lines:
    mov al, [esi]
    add esi, 16
    dec ecx
    jnz .lines
    mov esi, buffer
    mov ecx, EVICT_PAGES
.pages:
    mov al, [esi]
    add esi, 4096
    dec ecx
    jnz .pages
    ret

section .bss
               resb 4096
pong_stack_top:
               resb 4096
partner_stack_top:
               align 4096
buffer:        resb EVICT_PAGES * 4096
testing_end
