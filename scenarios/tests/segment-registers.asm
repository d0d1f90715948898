; segment-registers — what a thread's data segment registers hold after a
; system call: the flat user selector in DS, ES, FS and GS, whatever the
; thread had loaded into them, on every path (the general exit and, on the
; native image, the assembly paths of IPC and id_nearest). A receiver never
; starts with its sender's selectors.
%include "testing.inc"

ECHO_ID     equ 0x04050001          ; task 5: reports its ES, FS and GS, then nulls them and answers
FLAT        equ 0x23                ; the user data selector

; not_flat — [not_flat] = which of ES (1), FS (2) and GS (4) do not hold
; the flat selector. Taken right after a call, before any check (a check
; prints through the kernel debugger: another kernel entry).
%macro not_flat 0
    push eax
    push ecx
    xor ecx, ecx
    mov ax, es
    cmp ax, FLAT
    je %%es
    or ecx, 1
%%es:
    mov ax, fs
    cmp ax, FLAT
    je %%fs
    or ecx, 2
%%fs:
    mov ax, gs
    cmp ax, FLAT
    je %%gs
    or ecx, 4
%%gs:
    mov [not_flat_mask], ecx
    pop ecx
    pop eax
%endmacro

%macro null_selectors 0
    xor eax, eax
    mov es, ax
    mov fs, ax
    mov gs, ax
%endmacro

section .text
_start:
    start_pager
    l4_task_new ECHO_ID, 255, echo_stack_top, echo, PAGER_ID

; id_nearest of oneself (natively the assembly's null call).
    null_selectors
    l4_id_nearest L4_NIL_ID
    not_flat
    check_eq eax, 0, "id_nearest(nil): type 0"
    check_eq dword [not_flat_mask], 0, "ES, FS and GS are flat after id_nearest"

; A call into the clan (natively the assembly's IPC both ways): a first
; one, so that task 5 then waits in its open receive, and the one checked.
    ipc_call ECHO_ID, 0, 0, 0
    null_selectors
    ipc_call ECHO_ID, 1, 0, 0
    not_flat
    check_eq eax, 0, "the call succeeds"
    check_eq edx, 0, "the receiver found ES, FS and GS flat, not its sender's"
    check_eq dword [not_flat_mask], 0, "ES, FS and GS are flat after the call, though the answering thread nulled its own"

; The general path (thread_schedule reading its own parameters).
    null_selectors
    l4_thread_schedule 0xFFFFFFFF, 0, L4_NIL_ID
    not_flat
    check_eq dword [not_flat_mask], 0, "ES, FS and GS are flat after thread_schedule"
    check_done

; Task 5: w0 = which of ES (1), FS (2) and GS (4) were not flat on arrival;
; it nulls its own before each answer.
echo:
    ipc_wait
.answer:
    xor edx, edx
    mov ax, es
    cmp ax, FLAT
    je .es_flat
    or edx, 1
.es_flat:
    mov ax, fs
    cmp ax, FLAT
    je .fs_flat
    or edx, 2
.fs_flat:
    mov ax, gs
    cmp ax, FLAT
    je .gs_flat
    or edx, 4
.gs_flat:
    null_selectors
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_OPEN, L4_IPC_NEVER, esi, edx, 0, 0
    jmp .answer

section .bss
not_flat_mask: resd 1
               resb 4096
echo_stack_top:
testing_end
