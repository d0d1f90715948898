; transfer-timeouts — the send and receive timeouts bound only the wait
; before a message transfer starts; once it runs, only the pagefault
; timeouts apply ([X0M] p. 19: "If ipc includes a receive operation and no
; message transfer starts within the specified time…"; Hazelnut removes the
; receiver's timer when the transfer begins).
;
; The receiver (lthread 2) waits with a receive timeout of 4 ms, the sender
; (lthread 3) sends with a send timeout of 4 ms; both pagefault timeouts are
; ∞. The transfer meets a missing page, and their pager (lthread 4) takes
; 8 ms to provide it. The transfer must complete.
%include "testing.inc"

RECEIVER    equ 2
SENDER      equ 3
SLOW_PAGER  equ 4
RECEIVER_ID equ ROOT_TASK_ID + (RECEIVER << 10)
SENDER_ID   equ ROOT_TASK_ID + (SENDER << 10)
SLOW_PAGER_ID equ ROOT_TASK_ID + (SLOW_PAGER << 10)
DWORDS      equ 13
STRINGS     equ 8
FOUR_MS     equ (4 << 24) | (4 << 16) | (10 << 4) | 10  ; send and receive 4·4^5 µs, pagefault ∞
EIGHT_MS    equ (8 << 24) | 10      ; receive 8·4^5 µs
SETTLE      equ (20 << 24) | 10     ; receive 20·4^5 µs ≈ 20 ms

; case RECEIVE_AT, SEND_AT — the receiver takes the string into RECEIVE_AT,
; the sender sends it from SEND_AT; one of them is a page nobody touched.
%macro case 2
    mov dword [inbox_dopes + 12], %1
    mov dword [message_dopes + 4], %2
    mov dword [receiver_result], 0xFFFFFFFF
    mov dword [sender_result], 0xFFFFFFFF
    mov eax, [slow_faults]
    mov [faults_before], eax
    l4_lthread_ex_regs RECEIVER, receiver_stack_top, receiver, L4_INVALID_ID, SLOW_PAGER_ID
    l4_lthread_ex_regs SENDER, sender_stack_top, sender, L4_INVALID_ID, SLOW_PAGER_ID
    ipc_sleep SETTLE
    mov eax, [slow_faults]
    sub eax, [faults_before]
    check_eq eax, 1, "the transfer met one missing page, which took 8 ms"
%endmacro

section .text
_start:
    start_pager
    mov eax, [receiver_stack_top - 4]   ; their stacks are there before they run:
    mov eax, [sender_stack_top - 4]     ; the only missing page is the transfer's
    l4_lthread_ex_regs SLOW_PAGER, slow_pager_stack_top, slow_pager, L4_INVALID_ID, SIGMA0_ID

    case far_receive, text
    check_eq dword [receiver_result], (3 << DWORDS) | (1 << STRINGS), "a fault in the receiver's space: the receiver gets the string"
    check_eq dword [sender_result], 0, "and the sender succeeds"
    check_eq dword [far_receive], 0x6E657774, "the string arrived (twen…)"

    mov dword [buffer], 0xFFFFFFFF
    case buffer, far_send
    check_eq dword [receiver_result], (3 << DWORDS) | (1 << STRINGS), "a fault in the sender's space: the receiver gets the string"
    check_eq dword [sender_result], 0, "and the sender succeeds"
    check_eq dword [buffer], 0, "the string arrived (zeros)"
    check_done

; lthread 2: receive one string from the sender (timeouts 4 ms), keep the result.
receiver:
    mov dword [inbox_dopes + 8], 64
    l4_ipc L4_IPC_NIL, inbox, FOUR_MS, SENDER_ID, 0, 0, 0
    mov [receiver_result], eax
    ipc_sleep L4_IPC_NEVER

; lthread 3: send one string to the receiver (timeouts 4 ms), keep the result.
sender:
    l4_ipc message, L4_IPC_NIL, FOUR_MS, RECEIVER_ID, 0, 0, 0
    mov [sender_result], eax
    ipc_sleep L4_IPC_NEVER

; lthread 4: the pager of lthreads 2 and 3. It waits 8 ms, then touches the
; page (its own fault is served by sigma0: the page is now there for the
; whole task) and answers with an empty message.
slow_pager:
    ipc_wait
.serve:
    test al, L4_IPC_ERROR_MASK
    jnz slow_pager
    inc dword [slow_faults]
    push esi
    push edx
    ipc_sleep EIGHT_MS
    pop edx
    pop esi
    and edx, 0xFFFFF000
    mov eax, [edx]
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_OPEN, L4_IPC_NEVER, esi, 0, 0, 0
    jmp .serve

section .data
message:
    dd 0
    dd (3 << DWORDS) | (1 << STRINGS)
    dd (3 << DWORDS) | (1 << STRINGS)
    dd 0, 0, 0
message_dopes:
    dd 20, text, 0, 0
text: db "twenty bytes of text"

    align 4
inbox:
    dd 0
    dd (3 << DWORDS) | (1 << STRINGS)
    dd 0
    times 3 dd 0
inbox_dopes:
    dd 0, 0, 64, buffer
receiver_result: dd 0
sender_result:   dd 0
slow_faults:     dd 0

section .bss
faults_before:  resd 1
buffer:         resb 64
                resb 4096
receiver_stack_top:
                resb 4096
sender_stack_top:
                resb 4096
slow_pager_stack_top:
    align 4096
far_receive:    resb 4096           ; nobody touches these two pages before the transfer
far_send:       resb 4096
testing_end
