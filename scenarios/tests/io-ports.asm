; io-ports — I/O ports are I/O fpages mapped like pages ([X0M]; Hazelnut's
; CONFIG_IO_FLEXPAGES with its I/O mapping database), backed by the TSS I/O
; bitmap of each address space: a task may hold as many as it receives, and
; fpage_unmap takes back what was derived from the caller's.
;
; And the machine's off switch, the debug-exit port 0xF4, belongs to the
; root task alone: sigma0 refuses it to any other task, whose `out` then
; faults — while the root task, which has it, ends the run with it.
%include "testing.inc"

WORKER_ID   equ 0x04050001          ; receives twelve ports and uses them
ASKER_ID    equ 0x04060001          ; asks sigma0 for the debug-exit port
FIRST_PORT  equ 0x300
PORTS       equ 12
REVOKED     equ FIRST_PORT + 5
SETTLE      equ (2 << 24) | 10      ; receive 2·4^5 µs ≈ 2 ms
READ        equ 0xC0DE0000          ; w2 of the root task's "read your ports"

; io_page REG, PORT — the I/O fpage of one port in REG.
%macro io_page 2
    mov %1, (%2) << 12
    or %1, 0xF0000000
%endmacro

section .text
_start:
    start_pager
    l4_task_new WORKER_ID, 255, worker_stack_top, worker, PAGER_ID

; Twelve ports, one I/O fpage each: from sigma0 to the root task, and on to
; the worker (more than any fixed number of grants a task could keep).
    mov dword [port], FIRST_PORT
    mov dword [mapped], 0
.next_port:
    mov ecx, [port]
    shl ecx, 12
    or ecx, 0xF0000000              ; I/O fpage, one port
    mov [fpage], ecx
    l4_ipc L4_IPC_SHORT_MSG, L4_WHOLE_SPACE | 2, L4_IPC_NEVER, SIGMA0_ID, 3, 0, dword [fpage]
    and eax, 0xF2
    cmp eax, L4_IPC_FPAGE_RECEIVED  ; the port came, without an error
    jne .not_received
    l4_ipc L4_IPC_SHORT_FPAGE, L4_IPC_NIL, L4_IPC_NEVER, WORKER_ID, 0, dword [fpage], 0
    test eax, L4_IPC_ERROR_MASK
    jnz .not_received
    inc dword [mapped]
.not_received:
    inc dword [port]
    cmp dword [port], FIRST_PORT + PORTS
    jb .next_port
    check_eq dword [mapped], PORTS, "twelve ports went from sigma0 to the root task and on to the worker"

    mov eax, [pager_refused]
    mov [refused_before], eax
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_SHORT_MSG, SETTLE, WORKER_ID, 0, 0, READ
    check_eq eax, 0, "the worker read all twelve"
    mov eax, [pager_refused]
    sub eax, [refused_before]
    check_eq eax, 0, "without a single I/O fault"

; The debug-exit port: sigma0 refuses it to task 6, whose out then faults.
    l4_task_new ASKER_ID, 255, asker_stack_top, asker, PAGER_ID
    ipc_receive ASKER_ID
    check_masked ebx, L4_IPC_FPAGE_RECEIVED | L4_IPC_ERROR_MASK, 0, "sigma0 maps task 6 no debug-exit port"
    ipc_sleep SETTLE                ; task 6 tries its out
    check_eq dword [pager_last_outside], 0xF00F4000, "task 6's out to port 0xF4 faults"

; fpage_unmap of an I/O fpage takes the port back from the worker.
    io_page eax, REVOKED
    l4_fpage_unmap eax, L4_FP_FLUSH_PAGE
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_NIL, L4_IPC_NEVER, WORKER_ID, 0, 0, READ
    ipc_sleep SETTLE
    check_eq dword [pager_last_outside], 0xF0000000 | (REVOKED << 12), "after fpage_unmap the worker's in faults"
    check_eq dword [worker_reads], PORTS + 5, "at that port, and not before"
    check_done                      ; the root task has the debug-exit port

; Task 5: accept the ports (a window over everything), then, told to, read
; each of them and answer. (It reads its counter's page first: whether the
; fault of a read-modify-write `inc` is reported as a read or a write
; differs between QEMU and the model.)
worker:
    mov eax, [worker_reads]
    mov eax, L4_IPC_NIL
.ipc:
    push ebp
    mov ebp, L4_WHOLE_SPACE | 2 | 1
    xor ecx, ecx
    int 0x30
    pop ebp
    test al, L4_IPC_ERROR_MASK
    jnz worker
    cmp edi, READ
    jne worker                      ; a port: nothing to answer
    mov edx, FIRST_PORT
.read:
    in al, dx
    inc dword [worker_reads]
    inc edx
    cmp edx, FIRST_PORT + PORTS
    jb .read
    xor edx, edx
    xor ebx, ebx
    xor edi, edi
    mov eax, L4_IPC_SHORT_MSG       ; answer the root task, wait again
    jmp .ipc

; Task 6: ask sigma0 for the debug-exit port (new protocol, w0 = 3, w2 = the
; I/O fpage), tell the root task what came (sigma0's result word in w1),
; then try the port anyway.
asker:
    l4_ipc L4_IPC_SHORT_MSG, L4_WHOLE_SPACE | 2, L4_IPC_NEVER, SIGMA0_ID, 3, 0, 0xF00F4000
    ipc_send ROOT_TASK_ID, edx, eax, 0
    mov al, DEBUG_EXIT_FAILURE
    out DEBUG_EXIT_PORT, al         ; faults: this task does not have the port
    ipc_sleep L4_IPC_NEVER

section .data
port:           dd 0
fpage:          dd 0
mapped:         dd 0
worker_reads:   dd 0

section .bss
refused_before: resd 1
                resb 4096
worker_stack_top:
                resb 4096
asker_stack_top:
testing_end
