; schedule-returns — thread_schedule re-queues the thread it changes and
; returns to its caller; it does not preempt the caller, even when the other
; thread's priority is now higher (Hazelnut's sys_schedule). A 1999
; benchmark raises two priorities and then asks for small spaces: all of
; that must happen before either raised thread runs.
%include "testing.inc"

FIRST       equ 2
SECOND      equ 3
FIRST_ID    equ ROOT_TASK_ID + (FIRST << 10)
SECOND_ID   equ ROOT_TASK_ID + (SECOND << 10)
OTHER_ID    equ 0x04050001
RAISED      equ 60                  ; above the root task's 50
READ_ONLY   equ 0xFFFFFFFF
THREE_MS    equ (3 << 24) | 10      ; receive 3·4^5 µs

; raise THREAD — set its priority to RAISED, keeping the rest of its word.
%macro raise 1
    l4_thread_schedule READ_ONLY, 0, %1
    and eax, 0xFFF0FF00             ; keep the time slice; no small-space change
    or eax, RAISED
    l4_thread_schedule eax, 0, %1
%endmacro

section .text
_start:
    start_pager
    l4_task_new OTHER_ID, 255, other_stack_top, other, PAGER_ID
    mov eax, [first_stack_top - 4]  ; (the pages they use are there before
    mov eax, [second_stack_top - 4] ; they run: a page fault would block the
    mov eax, [first_rounds]         ; root task and let them run)
    mov eax, [check_failures]
    ipc_sleep THREE_MS              ; task 5 runs and sleeps; a fresh tick starts
    ; Two new lthreads, ready (at the root task's priority) but not run yet.
    l4_lthread_ex_regs FIRST, first_stack_top, first, L4_INVALID_ID, SIGMA0_ID
    l4_lthread_ex_regs SECOND, second_stack_top, second, L4_INVALID_ID, SIGMA0_ID
    raise FIRST_ID
    check_eq dword [first_rounds], 0, "raising lthread 2 above the caller does not preempt the caller"
    raise SECOND_ID
    check_eq dword [second_rounds], 0, "nor does raising lthread 3"
    l4_set_small_space OTHER_ID, 2
    check_eq dword [first_rounds], 0, "the caller asks for a small space before either runs"
    l4_thread_schedule READ_ONLY, 0, FIRST_ID
    check_masked eax, 0xFF, RAISED, "lthread 2 has its new priority"
    l4_thread_switch L4_NIL_ID      ; now they run (higher priority first)
    check_eq dword [first_rounds], 1, "once the caller yields, lthread 2 runs"
    check_eq dword [second_rounds], 1, "and lthread 3"
    check_done

; lthreads 2 and 3: count that they ran, then sleep.
first:
    inc dword [first_rounds]
    ipc_sleep L4_IPC_NEVER
second:
    inc dword [second_rounds]
    ipc_sleep L4_IPC_NEVER

; Task 5: sleeps.
other:
    ipc_sleep L4_IPC_NEVER

section .data
first_rounds:  dd 0
second_rounds: dd 0

section .bss
                resb 4096
first_stack_top:
                resb 4096
second_stack_top:
                resb 4096
other_stack_top:
testing_end
