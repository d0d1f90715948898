; segment-registers — what a thread's data segment registers hold after a
; system call: the flat user selector in DS, ES, FS and GS, whatever the
; thread had loaded into them, on every path (the general exit and, on the
; native image, the assembly paths of IPC and id_nearest). A receiver never
; starts with its sender's selectors. And there is no LDT to load others from.
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

; No LDT: an LDT selector names no descriptor. (The native image once kept
; the LDT register a reset leaves, base 0 and limit 0xFFFF: a thread could
; build descriptors of its own in its memory below 64 KB and load them — a
; code segment, a call gate into ring 0. The soak found it when an IPC fast
; path returned a receiver with its caller's such CS.) Task 5 asks `lsl`
; about selector 0x0007 (LDT index 0, RPL 3): with no LDT the answer is
; "no descriptor" (ZF clear) and no memory is read; with the reset one the
; CPU reads linear address 0, a fault the test's pager refuses, and the
; answer never comes (the receive times out after ~2 ms).
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_SHORT_MSG, (2 << 24) | 10, ECHO_ID, 2, 0, 0
    check_eq eax, 0, "task 5 answered the LDT probe"
    check_eq edx, 0, "lsl finds no descriptor for the LDT selector 0x0007"
    check_eq dword [pager_refused], 0, "and nothing read linear address 0 (no LDT there)"

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
    cmp edx, 2
    je .probe_ldt
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
; w0 = 1 when `lsl` found a descriptor for LDT selector 0x0007.
.probe_ldt:
    mov ecx, 0x0007
    xor edx, edx
    lsl eax, ecx
    setz dl
    jmp .gs_flat

section .bss
not_flat_mask: resd 1
               resb 4096
echo_stack_top:
testing_end
