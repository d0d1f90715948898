; many-threads — 64 threads pass a token around a ring, 100 times.
;
; The root task (lthread 0) creates lthreads 1..63 of its own task with
; lthread_ex_regs. Each waits for the token from the thread before it (a
; closed receive) and passes it on with one added; lthread 63 hands it back
; to the root, which checks the count. 6,400 IPCs, every one a thread switch
; within one address space: no CR3 load, no TLB flush. The stacks fault in
; from sigma0 as the threads first touch them.
%include "l4.inc"
%include "check.inc"

THREADS     equ 64
ROUNDS      equ 100
STACK_SIZE  equ 512
LTHREAD_ONE equ 1 << 10             ; add to an id: the next lthread
LAST_ID     equ ROOT_TASK_ID + (THREADS - 1) * LTHREAD_ONE

section .text
_start:
    mov esp, root_stack_top
    outstring banner
    ; A timeslice of 4^15 µs (e = 0, m = 1) for every thread, keeping its
    ; priority: no thread's slice may run out during the run, or the kernel's
    ; event trace would depend on where timer ticks fall, and time is not the
    ; same on the model (cycles) and in QEMU (instructions), so the
    ; trace-equality test would see a preemption on one side only. Slices
    ; last across blocking: with 10 ms ones, a relay thread on the modelled
    ; 486 collects ten ticks over the 100 rounds. A new slice length applies
    ; from the next slice: each thread yields once to start one.
    l4_thread_schedule 0xFFFFFFFF, 0, ROOT_TASK_ID
    and eax, 0xFF
    or eax, 1 << 24
    mov [long_slice], eax
    l4_thread_schedule eax, 0, ROOT_TASK_ID
    l4_thread_switch L4_NIL_ID
    mov ebx, 1
.create:
    mov ecx, ebx
    shl ecx, 9                      ; lthread k's stack top: stacks + k * STACK_SIZE
    add ecx, stacks
    push ebx
    l4_lthread_ex_regs ebx, ecx, relay, L4_INVALID_ID, SIGMA0_ID
    mov esi, [esp]
    shl esi, 10
    add esi, ROOT_TASK_ID           ; lthread k's id
    l4_thread_schedule dword [long_slice], 0, esi
    pop ebx
    inc ebx
    cmp ebx, THREADS
    jb .create

.round:
    mov edx, [round]
    ipc_send ROOT_TASK_ID + LTHREAD_ONE, edx, 0, 0
    test al, L4_IPC_ERROR_MASK
    jnz .error
    ipc_receive LAST_ID
    test al, L4_IPC_ERROR_MASK
    jnz .error
    mov eax, [round]
    add eax, THREADS - 1
    cmp edx, eax
    je .next
.error:
    inc dword [ring_errors]
.next:
    inc dword [round]
    cmp dword [round], ROUNDS
    jb .round
    check_eq dword [round], ROUNDS, "the token went round 100 times"
    check_eq dword [ring_errors], 0, "every lthread added one"
    check_done

; lthreads 1..63: receive from the one before, send to the one after.
relay:
    l4_thread_switch L4_NIL_ID      ; start the long slice the root gave it
    l4_myself
    mov ebp, esi
    shr ebp, 10 - 3
    and ebp, (THREADS - 1) << 3     ; lthread * 8: this thread's entry in links
    mov edi, esi
    sub edi, LTHREAD_ONE
    mov [links + ebp], edi          ; the one before
    add esi, LTHREAD_ONE
    cmp esi, LAST_ID + LTHREAD_ONE
    jne .keep
    mov esi, ROOT_TASK_ID           ; the last hands the token back to the root
.keep:
    mov [links + ebp + 4], esi      ; the one after
.pass:                              ; the l4_ipc macros keep EBP
    ipc_receive dword [links + ebp]
    inc edx
    ipc_send dword [links + ebp + 4], edx, 0, 0
    jmp .pass

section .data
banner:  db "many-threads: 64 threads of the root task pass a token around a ring", 13, 10, 0

section .bss
round:        resd 1
long_slice:   resd 1
ring_errors:  resd 1
links:        resd 2 * THREADS
              resb 4096
root_stack_top:
stacks:       resb THREADS * STACK_SIZE
