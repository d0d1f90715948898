; ipc-memory — memory messages: dwords beyond the three registers, string
; dopes copied between address spaces (with gather and scatter), the
; message dope in the result word, cuts in both phases, and a receive
; buffer that is not mapped yet (the transfer page-faults in the receiver's
; space, its pager answers, the transfer goes on).
%include "testing.inc"

SERVER_ID   equ 0x04050001          ; task 5: receives into `inbox`, answers with what it got
DWORDS      equ 13                  ; size/send dope field shift
STRINGS     equ 8

; A memory-message header: receive fpage, size dope, send dope.
%macro header 4                     ; max dwords, max strings, send dwords, send strings
    dd 0
    dd ((%1) << DWORDS) | ((%2) << STRINGS)
    dd ((%3) << DWORDS) | ((%4) << STRINGS)
%endmacro

section .text
_start:
    start_pager
    l4_task_new SERVER_ID, 255, server_stack_top, server, PAGER_ID

; Five dwords and one string.
    l4_ipc one_string, L4_IPC_SHORT_MSG, L4_IPC_NEVER, SERVER_ID, 0x10, 0x11, 0x12
    check_eq eax, 0, "the sender's result word after a memory message"
    check_eq edx, (5 << DWORDS) | (1 << STRINGS), "the receiver's message dope: 5 dwords, 1 string"
    check_eq ebx, 0x10, "the register words arrive in the receiver's registers"
    check_eq dword [inbox + 12 + 12], 0xD3, "dword 3 arrived in memory"
    check_eq dword [inbox + 12 + 16], 0xD4, "dword 4 arrived in memory"
    check_eq dword [inbox_dopes], 20, "the receive dope now holds the size received"
    check_eq dword [inbox_dopes + 4], first_buffer, "and the address it was received at"
    mov esi, text
    mov edi, first_buffer
    mov ecx, 20
    repe cmpsb
    check_eq ecx, 0, "the string's 20 bytes arrived in the other address space"

; Gather two pieces into one logical string (c bit), scattered by the receiver into one buffer.
    l4_ipc gathered, L4_IPC_SHORT_MSG, L4_IPC_NEVER, SERVER_ID, 0, 0, 0
    check_eq edx, (3 << DWORDS) | (1 << STRINGS), "gather: one logical string received"
    check_eq dword [inbox_dopes], 9, "gather: 4 + 5 bytes"
    mov esi, expected_gather
    mov edi, first_buffer
    mov ecx, 9
    repe cmpsb
    check_eq ecx, 0, "gather: the pieces arrived back to back"

; Too many strings: both sides see a cut.
    l4_ipc three_strings, L4_IPC_SHORT_MSG, L4_IPC_NEVER, SERVER_ID, 0, 0, 0
    check_masked eax, 0xF0, L4_IPC_SECUT, "three strings into room for two: the sender sees 0xF0"
    ipc_receive SERVER_ID           ; a failed send skips the receive: fetch the server's answer
    check_masked edx, 0xF0, L4_IPC_RECUT, "and the receiver 0xE0"
; A string longer than the receive buffer.
    l4_ipc long_string, L4_IPC_SHORT_MSG, L4_IPC_NEVER, SERVER_ID, 0, 0, 0
    check_masked eax, 0xF0, L4_IPC_SECUT, "a 100-byte string into a 64-byte buffer: 0xF0"
    ipc_receive SERVER_ID
    check_masked edx, 0xF0, L4_IPC_RECUT, "the receiver of a too long string sees 0xE0"
    check_eq dword [inbox_dopes], 64, "the receiver got the first 64 bytes"
; Too many dwords.
    l4_ipc many_dwords, L4_IPC_SHORT_MSG, L4_IPC_NEVER, SERVER_ID, 0, 0, 0
    check_masked eax, 0xF0, L4_IPC_SECUT, "12 dwords into room for 8: 0xF0"
    ipc_receive SERVER_ID
    check_masked edx, 0xF0, L4_IPC_RECUT, "the receiver of too many dwords sees 0xE0"

; The receive buffer lies on a page the server has never touched.
    mov eax, [pager_faults]
    mov [faults_before], eax
    mov dword [inbox_dopes + 12], cold_buffer
    l4_ipc to_cold_buffer, L4_IPC_SHORT_MSG, L4_IPC_NEVER, SERVER_ID, 0, 0, 0
    check_eq eax, 0, "a transfer into an unmapped buffer completes"
    mov eax, [pager_faults]
    sub eax, [faults_before]
    check_eq eax, 1, "after one page fault in the receiver's space"
    check_masked dword [pager_last_fault], 0xFFFFF000, cold_buffer, "at the receive buffer"
    mov esi, text
    mov edi, cold_buffer
    mov ecx, 20
    repe cmpsb
    check_eq ecx, 0, "and the string arrived there"
    check_done

; Task 5: receive into `inbox`; answer w0 = the result word, w1 = the w0 received.
; The root task shares these pages, so it reads what arrived in `inbox` and
; may point a receive dope elsewhere before it sends.
server:
    mov eax, L4_IPC_NIL
.ipc:
    mov ebp, inbox + 1              ; open receive into the memory buffer
    xor ecx, ecx
    int 0x30
    mov ebx, edx
    mov edx, eax
    mov dword [inbox_dopes + 8], 64
    mov dword [inbox_dopes + 24], 64
    mov eax, L4_IPC_SHORT_MSG
    jmp .ipc

section .data
one_string:
    header 5, 1, 5, 1
    dd 0, 0, 0, 0xD3, 0xD4
    dd 20, text, 0, 0
gathered:
    header 3, 2, 3, 2
    dd 0, 0, 0
    dd 4, piece_one, 0, 0
    dd 5 | 0x80000000, piece_two, 0, 0
three_strings:
    header 3, 3, 3, 3
    dd 0, 0, 0
    dd 4, text, 0, 0
    dd 4, text, 0, 0
    dd 4, text, 0, 0
long_string:
    header 3, 1, 3, 1
    dd 0, 0, 0
    dd 100, text, 0, 0
many_dwords:
    header 12, 0, 12, 0
    times 12 dd 0x77
to_cold_buffer:
    header 3, 1, 3, 1
    dd 0, 0, 0
    dd 20, text, 0, 0
text:            db "twenty bytes of text", "and eighty more bytes to make a string of one hundred bytes in all, for the cut test."
piece_one:       db "abcd"
piece_two:       db "efghi"
expected_gather: db "abcdefghi"

; The server's receive buffer: 8 dwords, 2 strings (4-byte aligned: the
; descriptor's low bits are flags).
    align 4
inbox:
    header 8, 2, 0, 0
    times 8 dd 0
inbox_dopes:
    dd 0, 0, 64, first_buffer
    dd 0, 0, 64, second_buffer

section .bss
faults_before: resd 1
first_buffer:  resb 64
second_buffer: resb 64
               resb 4096
server_stack_top:
               align 4096
               resb 4096
cold_buffer:   resb 128
testing_end
