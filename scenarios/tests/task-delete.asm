; task-delete — deleting a task does not wake the threads that wait in a
; closed receive from one of its threads: they stay blocked until their own
; timeout (Liedtke's X.0 kernel and Hazelnut both leave them). A partner
; loop that ignores errors and calls again would otherwise spin at its
; priority and starve the task that wanted to delete the other one.
%include "testing.inc"

VICTIM_ID   equ 0x04050001
WAITER      equ 2
; The waiter's timeout lies far from the root task's wake-ups (1 ms timer
; ticks): which of two timeouts in one tick runs first is no part of the test,
; and the kernel event traces of the model and of QEMU must agree.
TWELVE_MS   equ (12 << 24) | 10     ; send ∞, receive 12·4^5 µs
TWO_MS      equ (2 << 24) | 10
TWENTY_MS   equ (20 << 24) | 10

section .text
_start:
    start_pager
    mov dword [waiter_result], 0xFFFFFFFF
    l4_task_new VICTIM_ID, 255, victim_stack_top, victim, PAGER_ID
    l4_lthread_ex_regs WAITER, waiter_stack_top, waiter, L4_INVALID_ID, PAGER_ID
    ipc_sleep TWO_MS                ; the victim sleeps, the waiter waits for it
    l4_task_new VICTIM_ID, ROOT_TASK_ID, 0, 0, L4_NIL_ID
    check_eq esi, VICTIM_ID, "the victim's task is deleted"
    ipc_sleep TWO_MS
    check_eq dword [waiter_result], 0xFFFFFFFF, "a closed receive from its thread still waits"
    ipc_sleep TWENTY_MS
    check_masked dword [waiter_result], 0xF0, L4_IPC_RETIMEOUT, "until its own receive timeout"
    check_done

; The root task's lthread 2: a closed receive from the victim (12 ms).
waiter:
    l4_ipc L4_IPC_NIL, L4_IPC_SHORT_MSG, TWELVE_MS, VICTIM_ID, 0, 0, 0
    mov [waiter_result], eax
    ipc_sleep L4_IPC_NEVER

; Task 5: sleeps until it is deleted.
victim:
    ipc_sleep L4_IPC_NEVER

section .data
waiter_result: dd 0

section .bss
                resb 4096
waiter_stack_top:
                resb 4096
victim_stack_top:
testing_end
