; map-grant-unmap — address spaces built by IPC: map items with and without
; write rights, grant, several items in one message, a send fpage larger
; than the receive window, and fpage_unmap's variants (flush, make
; read-only, with or without the caller's own mapping), recursively down the
; mapping tree.
;
; Two child tasks run `child`: a loop that receives into a 4 MB window at
; 16 MB and carries out commands. A page a child does not have faults to
; the root task's pager, which records the fault and does not answer: the
; root's call then times out, it checks the recorded fault, and replaces
; the stuck child with a fresh one (task_new on the same id).
%include "testing.inc"

CHILD_A     equ 0x04050001
CHILD_B     equ 0x04060001
WINDOW      equ 0x01000000           ; the children's receive window: 16 MB, 4 MB long
WINDOW_RECEIVE equ WINDOW | (22 << 2) | 2 | 1   ; rmap, open
SMALL_WINDOW equ 0x02000000          ; a 4 KB window for the oversized-fpage test
REPLY_TIMEOUTS equ 0x10              ; children answer with send timeout 0
CALL_TIMEOUTS  equ (2 << 24) | 10    ; the root waits 2 ms for an answer (receive 2·4^5 µs)

CMD_READ    equ 1                    ; w0 = address: answer w0 = the dword there
CMD_WRITE   equ 2                    ; w0 = address, w1 = value
CMD_PASS    equ 3                    ; w0 = fpage (in the child's space), w1 = partner: map it on
CMD_SMALL   equ 4                    ; receive once from the root into a 4 KB window at 32 MB
CMD_SHORT   equ 5                    ; receive once from the root, registers only
CMD_BUFFER  equ 6                    ; receive once from the root into `child_inbox` (6 dwords, window at 16 MB)

; target PAGE — where a page the root maps appears in a child's window.
%define target(page) (WINDOW + ((page) & 0x3FFFFF))

; child_call ID, W0, W1, COMMAND — call a child with a 2 ms answer timeout.
%macro child_call 4
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_SHORT_MSG, CALL_TIMEOUTS, %1, %2, %3, %4
%endmacro

; map_to ID, PAGE, RIGHTS — map one of the root's pages (hot spot = the page).
; The root touches it first: only what is mapped in the sender can be mapped on.
%macro map_to 3
    mov eax, [%2]
    l4_ipc L4_IPC_SHORT_FPAGE, L4_IPC_SHORT_MSG, CALL_TIMEOUTS, %1, %2, (%2) | (12 << 2) | (%3), 0
%endmacro

; renew ID, STACK — replace a child by a fresh task (the old one and its mappings go).
%macro renew 2
    l4_task_new %1, 255, %2, child, PAGER_ID
%endmacro

section .text
_start:
    start_pager
    renew CHILD_A, a_stack_top
    renew CHILD_B, b_stack_top

; 1. A writable mapping: the child sees the root's page, and writes to it.
    map_to CHILD_A, page_a, FPAGE_WRITE
    check_eq eax, 0, "map: the sender's result word"
    check_masked edx, 0xF2, 2, "map: the receiver's result word has m set"
    child_call CHILD_A, target(page_a), 0, CMD_READ
    check_eq edx, 0xA1A1A1A1, "the child reads the root's page at window + (address mod 4 MB)"
    child_call CHILD_A, target(page_a), 0x12345678, CMD_WRITE
    check_eq dword [page_a], 0x12345678, "the child's write lands in the root's page (one frame)"

; 2. A read-only mapping: reading works, writing faults.
    map_to CHILD_A, page_b, 0
    child_call CHILD_A, target(page_b), 0, CMD_READ
    check_eq edx, 0xB1B1B1B1, "read-only map: the child reads"
    child_call CHILD_A, target(page_b), 1, CMD_WRITE
    check_masked eax, 0xF0, L4_IPC_RETIMEOUT, "read-only map: the child's write does not complete"
    check_eq dword [pager_last_outside], target(page_b) | 2, "read-only map: it faulted with the write bit"
    renew CHILD_A, a_stack_top

; 3. fpage_unmap with w: the child's mapping goes, the root's stays.
    map_to CHILD_A, page_c, FPAGE_WRITE
    child_call CHILD_A, target(page_c), 0, CMD_READ
    check_eq edx, 0xC1C1C1C1, "before the unmap the child reads"
    l4_fpage_unmap page_c | (12 << 2), L4_FP_FLUSH_PAGE
    child_call CHILD_A, target(page_c), 0, CMD_READ
    check_masked eax, 0xF0, L4_IPC_RETIMEOUT, "after fpage_unmap the child's read faults"
    check_eq dword [pager_last_outside], target(page_c), "at the unmapped page"
    check_eq dword [page_c], 0xC1C1C1C1, "the root keeps its own mapping"
    renew CHILD_A, a_stack_top

; 4. fpage_unmap without w: the child's mapping becomes read-only.
    map_to CHILD_A, page_d, FPAGE_WRITE
    child_call CHILD_A, target(page_d), 0xD2D2D2D2, CMD_WRITE
    check_eq dword [page_d], 0xD2D2D2D2, "before the downgrade the child writes"
    l4_fpage_unmap page_d | (12 << 2), 0
    child_call CHILD_A, target(page_d), 0, CMD_READ
    check_eq edx, 0xD2D2D2D2, "after the downgrade the child still reads"
    child_call CHILD_A, target(page_d), 0, CMD_WRITE
    check_masked eax, 0xF0, L4_IPC_RETIMEOUT, "but its write faults"
    check_eq dword [pager_last_outside], target(page_d) | 2, "with the write bit"
    renew CHILD_A, a_stack_top

; 5. Recursive unmap: root -> A -> B, then the root flushes; B loses it too.
    map_to CHILD_A, page_e, FPAGE_WRITE
    child_call CHILD_A, target(page_e) | (12 << 2) | FPAGE_WRITE, CHILD_B, CMD_PASS
    check_masked edx, 0xF2, 2, "A mapped the page on to B"
    child_call CHILD_B, target(page_e), 0, CMD_READ
    check_eq edx, 0xE1E1E1E1, "B reads the page it got from A"
    l4_fpage_unmap page_e | (12 << 2), L4_FP_FLUSH_PAGE
    child_call CHILD_B, target(page_e), 0, CMD_READ
    check_masked eax, 0xF0, L4_IPC_RETIMEOUT, "after the root's unmap B's read faults (recursive)"
    renew CHILD_B, b_stack_top
    child_call CHILD_A, target(page_e), 0, CMD_READ
    check_masked eax, 0xF0, L4_IPC_RETIMEOUT, "and so does A's"
    renew CHILD_A, a_stack_top

; 6. Grant: A passes the page to B and loses it.
    map_to CHILD_A, page_f, FPAGE_WRITE
    child_call CHILD_A, target(page_f) | (12 << 2) | FPAGE_WRITE | FPAGE_GRANT, CHILD_B, CMD_PASS
    check_masked edx, 0xF2, 2, "A granted the page to B"
    child_call CHILD_B, target(page_f), 0, CMD_READ
    check_eq edx, 0xF1F1F1F1, "B reads the granted page"
    child_call CHILD_A, target(page_f), 0, CMD_READ
    check_masked eax, 0xF0, L4_IPC_RETIMEOUT, "A no longer has it"
    renew CHILD_A, a_stack_top
    l4_fpage_unmap page_f | (12 << 2), L4_FP_FLUSH_PAGE
    child_call CHILD_B, target(page_f), 0, CMD_READ
    check_masked eax, 0xF0, L4_IPC_RETIMEOUT, "the granted page still derives from the root's"
    renew CHILD_B, b_stack_top

; 7. The f bit: the root's own mapping goes too (sigma0 maps it again on the next touch).
    map_to CHILD_A, page_g, FPAGE_WRITE
    l4_fpage_unmap page_g | (12 << 2), L4_FP_FLUSH_PAGE | L4_FP_ALL_SPACES
    mov eax, [pager_faults]
    mov [faults_before], eax
    child_call CHILD_A, target(page_g), 0, CMD_READ
    check_masked eax, 0xF0, L4_IPC_RETIMEOUT, "with the f bit the child loses the page"
    check_eq dword [page_g], 0x61616161, "and the root's next touch finds its data again (via sigma0)"
    renew CHILD_A, a_stack_top

; 8. Two map items in one message: (w0, w1) and (w2, dword 3); dword 4 = 0 ends the list.
; A receiver with only a register window takes three dwords: the second item is cut off.
    mov eax, [page_h]
    mov eax, [page_i]
    l4_ipc two_items | 2, L4_IPC_SHORT_MSG, CALL_TIMEOUTS, CHILD_A, page_h, page_h | (12 << 2) | FPAGE_WRITE, page_i
    check_masked eax, 0xF0, L4_IPC_SECUT, "five dwords to a register-only window: the sender sees a cut"
    child_call CHILD_A, 0, 0, 0             ; collect A's answer to the cut message
    child_call CHILD_A, target(page_i), 0, CMD_READ
    check_masked eax, 0xF0, L4_IPC_RETIMEOUT, "the item beyond the third dword was not mapped"
    renew CHILD_A, a_stack_top
; A receiver with a memory buffer (its receive window at +0) takes both.
    child_call CHILD_A, 0, 0, CMD_BUFFER
    l4_ipc two_items | 2, L4_IPC_SHORT_MSG, CALL_TIMEOUTS, CHILD_A, page_h, page_h | (12 << 2) | FPAGE_WRITE, page_i
    check_eq eax, 0, "five dwords into a buffer for six: no error"
    check_masked edx, 0xFFFFE0F2, (5 << 13) | 2, "the receiver got 5 dwords and the m bit"
    child_call CHILD_A, target(page_h), 0, CMD_READ
    check_eq edx, 0x48484848, "the first item (w0, w1) was mapped"
    child_call CHILD_A, target(page_i), 0, CMD_READ
    check_eq edx, 0x49494949, "the second item (w2, dword 3) too"

; 9. A send fpage larger than the window: only the part the hot spot names arrives.
    mov eax, pair
    and eax, 0x1FFF
    check_eq eax, 0, "the 8 KB fpage is 8 KB aligned"
    mov eax, [pair]
    mov eax, [pair + 4096]
    child_call CHILD_B, 0, 0, CMD_SMALL
    l4_ipc L4_IPC_SHORT_FPAGE, L4_IPC_SHORT_MSG, CALL_TIMEOUTS, CHILD_B, pair + 4096, pair | (13 << 2) | FPAGE_WRITE, 0
    check_masked edx, 0xF2, 2, "an 8 KB fpage into a 4 KB window is mapped"
    child_call CHILD_B, SMALL_WINDOW, 0, CMD_READ
    check_eq edx, 0x32323232, "the window holds the fpage's half under the hot spot"
    child_call CHILD_B, SMALL_WINDOW + 4096, 0, CMD_READ
    check_masked eax, 0xF0, L4_IPC_RETIMEOUT, "and nothing beyond the window"
    renew CHILD_B, b_stack_top

; 10. A map item to a receiver that accepts only registers.
    child_call CHILD_B, 0, 0, CMD_SHORT
    l4_ipc L4_IPC_SHORT_FPAGE, L4_IPC_SHORT_MSG, CALL_TIMEOUTS, CHILD_B, page_a, page_a | (12 << 2), 0
    mov [sender_result], eax
    check_masked edx, 0xF0, L4_IPC_RECUT, "a map item into a register-only receive: the receiver sees a cut"
    check_masked dword [sender_result], 0xF0, 0, "and the sender no error"
    check_done

; The children: receive (open, into the window), act, answer the sender.
child:
    mov eax, L4_IPC_NIL
.ipc:
    mov ebp, WINDOW_RECEIVE
    mov ecx, REPLY_TIMEOUTS
    int 0x30
    mov ecx, eax
    and ecx, 0xF0
    test ecx, 0x10                  ; a send-phase error: the answer was not taken
    jnz child
    cmp edi, CMD_READ
    je .read
    cmp edi, CMD_WRITE
    je .write
    cmp edi, CMD_PASS
    je .pass
    cmp edi, CMD_SMALL
    je .small
    cmp edi, CMD_SHORT
    je .short
    cmp edi, CMD_BUFFER
    je .buffer
    mov edx, eax                    ; anything else (a mapping): answer its result word
    jmp .answer
.read:
    mov edx, [edx]
    jmp .answer
.write:
    mov [edx], ebx
    jmp .answer
.pass:
    push esi
    mov esi, ebx
    mov ebx, edx
    and edx, 0xFFFFF000
    mov eax, L4_IPC_SHORT_FPAGE
    mov ebp, L4_IPC_SHORT_MSG
    mov ecx, CALL_TIMEOUTS
    xor edi, edi
    int 0x30                        ; call the other child with the map item
    pop esi
    jmp .answer                     ; answer with its answer (its result word)
.small:
    push esi
    mov eax, L4_IPC_SHORT_MSG       ; answer the command first
    mov ebp, SMALL_WINDOW | (12 << 2) | 2   ; then a closed receive into the small window
    xor ecx, ecx
    int 0x30
    pop esi
    mov edx, eax
    jmp .answer
.buffer:
    push esi
    mov eax, L4_IPC_SHORT_MSG
    mov ebp, child_inbox             ; closed receive into a memory buffer with a window
    xor ecx, ecx
    int 0x30
    pop esi
    mov edx, eax
    jmp .answer
.short:
    push esi
    mov eax, L4_IPC_SHORT_MSG
    mov ebp, L4_IPC_SHORT_MSG
    xor ecx, ecx
    int 0x30
    pop esi
    mov edx, eax
.answer:
    mov eax, L4_IPC_SHORT_MSG
    jmp .ipc

section .data
two_items:
    dd 0
    dd (5 << 13)
    dd (5 << 13)
    dd 0, 0, 0
    dd page_i | (12 << 2) | FPAGE_WRITE  ; dword 3: the second item's fpage (w2 is its hot spot)
    dd 0                                 ; dword 4: no third item
    align 4
child_inbox:
    dd WINDOW | (22 << 2)                ; +0: the receive window for mappings
    dd (6 << 13)                         ; room for 6 dwords
    dd 0
    times 6 dd 0

section .bss
faults_before: resd 1
sender_result: resd 1
               resb 4096
a_stack_top:
               resb 4096
b_stack_top:

section .data
    align 4096
page_a: times 1024 dd 0xA1A1A1A1
page_b: times 1024 dd 0xB1B1B1B1
page_c: times 1024 dd 0xC1C1C1C1
page_d: times 1024 dd 0xD1D1D1D1
page_e: times 1024 dd 0xE1E1E1E1
page_f: times 1024 dd 0xF1F1F1F1
page_g: times 1024 dd 0x61616161
page_h: times 1024 dd 0x48484848
page_i: times 1024 dd 0x49494949
    times 1024 dd 0                  ; page_i ends 8 KB-aligned: `pair` starts on an 8 KB boundary
pair:   times 1024 dd 0x31313131
        times 1024 dd 0x32323232
testing_end
