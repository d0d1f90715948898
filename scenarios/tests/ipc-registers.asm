; ipc-registers — register IPC: call, reply-and-wait, open and closed
; receive, the result word, the error codes of the send and receive phases,
; timeouts 0 and finite, receive from nil, stale ids, and the registers the
; bindings rely on (ECX and ESI).
%include "testing.inc"

ECHO_ID     equ 0x04050001          ; task 5: answers w0 + 1, w1, and the caller's id in w2
SLEEPER_ID  equ 0x04060001          ; task 6: sleeps forever (never receives)
SENDER_ID   equ 0x04070001          ; task 7: sends one message to the root task
NOBODY_ID   equ 0x04080001          ; task 8: never created
LONG_RECEIVE equ (255 << 24) | 1    ; send ∞, receive 255·4^14 µs (about 3 days): finite, never reached

section .text
_start:
    start_pager
    l4_task_new ECHO_ID, 255, echo_stack_top, echo, PAGER_ID
    check_eq esi, ECHO_ID, "task_new returns the new task's id"
    l4_task_new SLEEPER_ID, 255, sleeper_stack_top, sleeper, PAGER_ID

; A call: send, then a closed receive from the same thread.
    push ebp
    mov eax, L4_IPC_SHORT_MSG
    mov ebp, L4_IPC_SHORT_MSG
    mov ecx, LONG_RECEIVE
    mov esi, ECHO_ID
    mov edx, 41
    mov ebx, 0xB1
    mov edi, 0xD1
    int 0x30
    pop ebp
    check_eq eax, 0, "call: result word 0 (no error, no dwords, no strings)"
    check_eq edx, 42, "call: w0 comes back from the echo server"
    check_eq ebx, 0xB1, "call: w1"
    check_eq edi, ROOT_TASK_ID, "call: the echo server saw the root task as the sender"
    check_eq esi, ECHO_ID, "call: ESI = the partner"
    check_eq ecx, LONG_RECEIVE, "call: ECX (timeouts) is preserved"

; Send-phase errors: no such destination, nil, oneself.
send_errors:
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_NIL, L4_IPC_NEVER, NOBODY_ID, 1, 2, 3
    check_masked eax, 0xF0, L4_IPC_ENOT_EXISTENT, "send to a task that does not exist: 0x10"
    check_eq esi, NOBODY_ID, "a failed send leaves ESI = the destination"
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_NIL, L4_IPC_NEVER, L4_NIL_ID, 1, 2, 3
    check_masked eax, 0xF0, L4_IPC_ENOT_EXISTENT, "send to nil: 0x10"
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_NIL, L4_IPC_NEVER, ROOT_TASK_ID, 1, 2, 3
    check_masked eax, 0xF0, L4_IPC_ENOT_EXISTENT, "send to oneself: 0x10"
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_NIL, L4_IPC_NEVER, (ECHO_ID + 1), 1, 2, 3
    check_masked eax, 0xF0, L4_IPC_ENOT_EXISTENT, "send with a stale version: 0x10"

; Timeouts: a send with timeout 0 to a thread that does not wait.
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_NIL, L4_IPC_POLL, SLEEPER_ID, 1, 2, 3
    check_masked eax, 0xF0, L4_IPC_SETIMEOUT, "send timeout 0 to a busy thread: 0x30"
    l4_ipc L4_IPC_NIL, L4_IPC_SHORT_MSG, L4_IPC_POLL, SLEEPER_ID, 0, 0, 0
    check_masked eax, 0xF0, L4_IPC_RETIMEOUT, "closed receive with timeout 0: 0x20"
    l4_ipc L4_IPC_NIL, L4_IPC_OPEN, L4_IPC_RECEIVE_POLL, 0, 0, 0, 0
    check_masked eax, 0xF0, L4_IPC_RETIMEOUT, "open receive with timeout 0 and nobody sending: 0x20"
    l4_ipc L4_IPC_NIL, L4_IPC_SHORT_MSG, L4_IPC_RECEIVE_POLL, L4_NIL_ID, 0, 0, 0
    check_masked eax, 0xF0, L4_IPC_RETIMEOUT, "receive from nil with timeout 0: 0x20"
; A finite timeout: receive from nil for 2 ms (e = 10, m = 2: 2·4^5 µs = 2048 µs).
    l4_ipc L4_IPC_NIL, L4_IPC_SHORT_MSG, (2 << 24) | 10, L4_NIL_ID, 0, 0, 0
    check_masked eax, 0xF0, L4_IPC_RETIMEOUT, "receive from nil for 2 ms times out: 0x20"
    l4_ipc L4_IPC_NIL, L4_IPC_SHORT_MSG, L4_IPC_POLL, NOBODY_ID, 0, 0, 0
    check_masked eax, 0xF0, L4_IPC_ENOT_EXISTENT, "closed receive from a task that does not exist: 0x10"

; An open receive takes a message from a sender we did not name.
    l4_task_new SENDER_ID, 255, sender_stack_top, sender, PAGER_ID
    ipc_wait
    check_eq eax, 0, "open receive: result word 0"
    check_eq esi, SENDER_ID, "open receive: ESI = the sender"
    check_eq edx, 0x11, "open receive: w0"
    check_eq ebx, 0x22, "open receive: w1"
    check_eq edi, 0x33, "open receive: w2"

; The sender is queued until we receive: it sent before we waited for it.
    ipc_receive SENDER_ID
    check_eq eax, 0, "closed receive of a queued sender: no error"
    check_eq edx, 0x44, "closed receive of a queued sender: w0"
    check_done

; Task 5.
echo:
    ipc_wait
.reply:
    inc edx
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_OPEN, L4_IPC_NEVER, esi, edx, ebx, esi
    jmp .reply

; Task 6.
sleeper:
    ipc_sleep L4_IPC_NEVER
    jmp sleeper

; Task 7: one message now, and one that waits in the root task's queue.
sender:
    ipc_send ROOT_TASK_ID, 0x11, 0x22, 0x33
    ipc_send ROOT_TASK_ID, 0x44, 0, 0
    jmp sleeper

section .bss
              resb 4096
echo_stack_top:
              resb 4096
sleeper_stack_top:
              resb 4096
sender_stack_top:
testing_end
