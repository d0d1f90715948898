; pagefault-timeouts — page faults during a message transfer are bounded by
; the pagefault timeouts of the timeout word (ECX bits 8..15): a fault in
; the receiver's space by the sender's p_s, one in the sender's space by the
; receiver's p_r, each as both the send and the receive timeout of the
; kernel's page-fault RPC. When it runs out, the IPC fails on both sides:
; send-pagefault timeout (receiver 0x80, sender 0x90) or receive-pagefault
; timeout (receiver 0xA0, sender 0xB0). The test's pager never answers a
; fault outside the program's image, so every RPC here waits for its timeout.
%include "testing.inc"

SERVER_ID   equ 0x04050001          ; task 5: see `server` below
UNPAGED         equ 0x00800000          ; outside the image: the pager does not answer
DWORDS      equ 13
STRINGS     equ 8
P_S         equ 12                  ; timeout word: send-pagefault exponent
P_R         equ 8                   ; timeout word: receive-pagefault exponent

section .text
_start:
    start_pager
    l4_task_new SERVER_ID, 255, server_stack_top, server, PAGER_ID

; A fault in the receiver's space, p_s = 15 (timeout 0).
    mov dword [inbox_dopes + 12], UNPAGED
    mov eax, [pager_refused]
    mov [refused_before], eax
    l4_ipc one_string, L4_IPC_NIL, 15 << P_S, SERVER_ID, 0, 0, 0
    check_masked eax, 0xF0, 0x90, "p_s = 0: the sender sees a send-pagefault timeout (0x90)"
    ipc_receive SERVER_ID
    check_masked edx, 0xF0, 0x80, "and the receiver 0x80"
    mov eax, [pager_refused]
    sub eax, [refused_before]
    check_eq eax, 1, "the pager was asked once (and did not answer)"

; The same with p_s = 10: 4^5 µs, about a millisecond.
    mov dword [inbox_dopes + 12], UNPAGED
    l4_ipc one_string, L4_IPC_NIL, 10 << P_S, SERVER_ID, 0, 0, 0
    check_masked eax, 0xF0, 0x90, "p_s = 1024 µs: the sender's IPC fails when it runs out"
    ipc_receive SERVER_ID
    check_masked edx, 0xF0, 0x80, "and so does the receiver's"

; After the failures, an ordinary transfer still works.
    mov dword [inbox_dopes + 12], first_buffer
    l4_ipc one_string, L4_IPC_NIL, L4_IPC_NEVER, SERVER_ID, 0, 0, 0
    check_eq eax, 0, "a transfer into a mapped buffer completes"
    ipc_receive SERVER_ID
    check_eq edx, 1 << STRINGS | 3 << DWORDS, "and the receiver got 3 dwords and the string"

; A fault in the sender's space: the server sends a string from UNPAGED; the
; root receives with p_r = 15.
    mov dword [server_mode], 1
    l4_ipc L4_IPC_SHORT_MSG, inbox_root, 15 << P_R, SERVER_ID, 0, 0, 0
    check_masked eax, 0xF0, 0xA0, "p_r = 0: the receiver sees a receive-pagefault timeout (0xA0)"
    ipc_receive SERVER_ID
    check_masked edx, 0xF0, 0xB0, "and the sender 0xB0"
    check_done

; Task 5: receive into `inbox` (all its timeouts ∞). In mode 0, report the
; receive's result word to the root; in mode 1, send the root a string from
; UNPAGED instead, and report that send's result word.
server:
    ; Touch the pages the transfers use (they are served at once): the only
    ; page a transfer may fault on is UNPAGED.
    mov dword [inbox_dopes + 8], 64
    mov eax, [far_string]
    mov eax, [one_string]
.receive:
    mov eax, L4_IPC_NIL
    mov ebp, inbox + 1              ; open receive into the memory buffer
    xor ecx, ecx
    int 0x30
    mov dword [inbox_dopes + 8], 64
    cmp dword [server_mode], 1
    je .far
    ipc_send ROOT_TASK_ID, eax, 0, 0
    jmp .receive
.far:
    l4_ipc far_string, L4_IPC_NIL, L4_IPC_NEVER, ROOT_TASK_ID, 0, 0, 0
    mov dword [server_mode], 0
    ipc_send ROOT_TASK_ID, eax, 0, 0
    jmp .receive

section .data
one_string:
    dd 0
    dd (3 << DWORDS) | (1 << STRINGS)
    dd (3 << DWORDS) | (1 << STRINGS)
    dd 0, 0, 0
    dd 20, text, 0, 0
far_string:
    dd 0
    dd (3 << DWORDS) | (1 << STRINGS)
    dd (3 << DWORDS) | (1 << STRINGS)
    dd 0, 0, 0
    dd 20, UNPAGED, 0, 0
text: db "twenty bytes of text"

    align 4
inbox:
    dd 0
    dd (3 << DWORDS) | (1 << STRINGS)
    dd 0
    times 3 dd 0
inbox_dopes:
    dd 0, 0, 64, first_buffer
    align 4
inbox_root:
    dd 0
    dd (3 << DWORDS) | (1 << STRINGS)
    dd 0
    times 3 dd 0
    dd 0, 0, 64, root_buffer
server_mode: dd 0

section .bss
refused_before: resd 1
first_buffer:   resb 64
root_buffer:    resb 64
                resb 4096
server_stack_top:
testing_end
