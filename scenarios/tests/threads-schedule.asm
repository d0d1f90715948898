; threads-schedule — lthread_ex_regs (create an lthread, read a thread's
; registers and pager, cancel its IPC, move it elsewhere, read one's own
; state) and thread_schedule (read the parameter word, the state and the
; partner; change the priority; the mcp limit) and thread_switch.
%include "testing.inc"

WORKER_ID   equ 0x04040801          ; the root task's lthread 2
LIMITED_ID  equ 0x04050001          ; task 5, created with mcp 30
READ_ONLY   equ 0xFFFFFFFF

section .text
_start:
    start_pager
; A new lthread: ESP and EIP given.
    l4_lthread_ex_regs 2, worker_stack_top, worker, L4_INVALID_ID, SIGMA0_ID
    check_eq eax, 0, "ex_regs creating an lthread: EAX 0"
    check_eq edx, 0xFFFFFFFF, "and no old EIP"
    l4_thread_switch WORKER_ID      ; let it run into its receive
    mov eax, [worker_steps]
    check_eq eax, 1, "thread_switch to a ready thread runs it"

; thread_schedule reads a thread's parameter word, state and partner.
    l4_thread_schedule READ_ONLY, 0, WORKER_ID
    check_masked eax, 0xFF, 50, "the lthread inherited priority 50"
    check_masked eax, 0xF0000, 0x80000, "it is receiving (state 8)"
    check_eq esi, ROOT_TASK_ID, "from the root task (the partner)"

; ex_regs on a blocked thread: its registers come back, its IPC is cancelled.
    l4_lthread_ex_regs 2, L4_INVALID_ID, L4_INVALID_ID, L4_INVALID_ID, L4_INVALID_ID
    check_eq esi, SIGMA0_ID, "ex_regs returns the pager"
    check_eq edx, worker.after_receive - 1, "and the EIP, after the worker's int 0x30 (before the macro's pop ebp)"
    check_eq ecx, worker_stack_top - 4, "and the ESP"
    ipc_receive WORKER_ID
    check_masked dword [worker_result], 0xF0, L4_IPC_RECANCELED, "the worker's receive was cancelled: 0x40"

; ex_regs moves the worker to new code.
    l4_lthread_ex_regs 2, worker_stack_top, moved, L4_INVALID_ID, L4_INVALID_ID
    ipc_receive WORKER_ID
    check_eq edx, 0x2222, "the worker runs from its new EIP"

; All ~0 on oneself reads one's own state.
    l4_lthread_ex_regs 0, L4_INVALID_ID, L4_INVALID_ID, L4_INVALID_ID, L4_INVALID_ID
    check_eq esi, SIGMA0_ID, "ex_regs on oneself: one's own pager"

; thread_schedule changes the priority.
    l4_thread_schedule READ_ONLY, 0, WORKER_ID
    and eax, 0xFFF0FF00             ; keep the timeslice, no small-space change, state 0
    or eax, 40
    l4_thread_schedule eax, 0, WORKER_ID
    check_masked eax, 0xFF, 50, "thread_schedule returns the old priority"
    l4_thread_schedule READ_ONLY, 0, WORKER_ID
    check_masked eax, 0xFF, 40, "and the new one is set"
    l4_thread_schedule READ_ONLY, 0, L4_NIL_ID
    check_eq eax, 0xFFFFFFFF, "thread_schedule of nobody: 0xFFFFFFFF"

; A task whose mcp is below its priority cannot change it.
    l4_task_new LIMITED_ID, 30, limited_stack_top, limited, PAGER_ID
    ipc_receive LIMITED_ID
    check_eq edx, 0xFFFFFFFF, "a thread above its task's mcp: thread_schedule refuses"

; CPU time.
    l4_thread_schedule READ_ONLY, 0, ROOT_TASK_ID
    check_eq edx, 0, "CPU time high bits"
    check_done

; lthread 2: count, receive from the root task (cancelled), report, wait.
worker:
    inc dword [worker_steps]
    ipc_receive ROOT_TASK_ID
.after_receive:
    mov [worker_result], eax
    ipc_send ROOT_TASK_ID, eax, 0, 0
    ipc_sleep L4_IPC_NEVER

moved:
    ipc_send ROOT_TASK_ID, 0x2222, 0, 0
    ipc_sleep L4_IPC_NEVER

; Task 5 (mcp 30, priority 50): try to lower its own priority.
limited:
    l4_thread_schedule 10, 0, LIMITED_ID
    ipc_send ROOT_TASK_ID, eax, 0, 0
    ipc_sleep L4_IPC_NEVER

section .bss
worker_steps:  resd 1
worker_result: resd 1
               resb 4096
worker_stack_top:
               resb 4096
limited_stack_top:
testing_end
