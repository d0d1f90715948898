; map-rights — a mapping carries at most the rights its mapper holds at the
; time of the map, also when it lands on a copy the receiver already has.
; [X0M] §2.2.3: w=1 passes on "the full access right the mapper possesses";
; Hazelnut's map_fpage extends an existing copy to writable only when the
; sender's own entry is writable.
;
; The root task maps two of its pages to tasks B and C at the same address
; (outside the image, so the test's pager never answers a fault there):
; - page TWO: B writable, C read-only; B maps its copy with w=1 onto C's,
;   and C can write (the mapper had the right);
; - page ONE: B and C read-only; B maps its copy with w=1 onto C's, and C
;   still cannot write: its write faults (and its pager does not answer).
%include "testing.inc"

B_ID        equ 0x04050001
C_ID        equ 0x04060001
COMMAND     equ 0xC0DE0000          ; w2 of a command from the root task
REMAP       equ 1                   ; w0: map the page at w1 with w=1 to C
WRITE       equ 2                   ; w0: write the page at w1
AT_ONE      equ 0x00900000          ; where B and C have page ONE
AT_TWO      equ 0x00901000          ; … and page TWO
WRITE_TIMEOUT equ (2 << 24) | 10    ; send ∞, receive 2·4^5 µs ≈ 2 ms

; map_to DEST, FROM, TO, RIGHTS — map the root's page FROM to DEST at TO.
%macro map_to 4
    l4_ipc L4_IPC_SHORT_FPAGE, L4_IPC_NIL, L4_IPC_NEVER, %1, %3, (%2) | (12 << 2) | (%4), 0
%endmacro

; command DEST, WHAT, ADDRESS — call a worker; its answer (w0) comes back in EDX.
%macro command 3
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_SHORT_MSG, WRITE_TIMEOUT, %1, %2, %3, COMMAND
%endmacro

section .text
_start:
    start_pager
    mov eax, [page_one]             ; the root's own pages, from sigma0 (writable)
    mov eax, [page_two]
    l4_task_new B_ID, 255, b_stack_top, worker, PAGER_ID
    l4_task_new C_ID, 255, c_stack_top, worker, PAGER_ID

; Page TWO: a writable holder extends C's read-only copy.
    map_to B_ID, page_two, AT_TWO, FPAGE_WRITE
    check_eq eax, 0, "page TWO goes to B writable"
    map_to C_ID, page_two, AT_TWO, 0
    check_eq eax, 0, "and to C read-only"
    command B_ID, REMAP, AT_TWO
    check_eq eax, 0, "B answers"
    check_eq edx, 0, "B's map (w=1) onto C's copy of TWO succeeds"
    command C_ID, WRITE, AT_TWO
    check_eq eax, 0, "C wrote TWO: the mapper (B) could write it"
    check_eq dword [page_two], 0xC0FFEE, "and the root task reads what C wrote"

; Page ONE: a read-only holder cannot extend C's read-only copy.
    map_to B_ID, page_one, AT_ONE, 0
    check_eq eax, 0, "page ONE goes to B read-only"
    map_to C_ID, page_one, AT_ONE, 0
    check_eq eax, 0, "and to C read-only"
    command B_ID, REMAP, AT_ONE
    check_eq eax, 0, "B answers"
    check_eq edx, 0, "B's map (w=1) onto C's copy of ONE is no error"
    command C_ID, WRITE, AT_ONE
    check_masked eax, 0xF0, L4_IPC_RETIMEOUT, "C cannot write ONE: it never answers"
    check_eq dword [page_one], 0, "ONE is unchanged"
    check_eq dword [pager_last_outside], AT_ONE | 2, "C's write to ONE faulted"
    check_done

; B and C: wait for a mapping or a command (open, accepting mappings anywhere).
worker:
    mov eax, L4_IPC_NIL
.ipc:
    push ebp
    mov ebp, L4_WHOLE_SPACE | 2 | 1
    xor ecx, ecx
    int 0x30
    pop ebp
    test al, L4_IPC_ERROR_MASK
    jnz worker
    cmp edi, COMMAND
    jne worker                      ; a mapping: nothing to answer
    cmp edx, REMAP
    je .remap
    mov dword [ebx], 0xC0FFEE       ; WRITE
    xor edx, edx
    jmp .answer
.remap:
    push esi
    mov eax, ebx
    or eax, (12 << 2) | FPAGE_WRITE
    l4_ipc L4_IPC_SHORT_FPAGE, L4_IPC_NIL, L4_IPC_NEVER, C_ID, ebx, eax, 0
    pop esi
    mov edx, eax                    ; the map's result
.answer:
    xor ebx, ebx
    xor edi, edi
    mov eax, L4_IPC_SHORT_MSG       ; answer the root task, wait again
    jmp .ipc

section .bss
                resb 4096
b_stack_top:
                resb 4096
c_stack_top:
    align 4096
page_one:       resb 4096
page_two:       resb 4096
testing_end
