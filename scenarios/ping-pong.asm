; ping-pong — two address spaces exchange 10,000 register IPC round trips,
; paged by the root task.
;
; The root task creates task 5 (ping) and task 6 (pong) with itself as their
; pager, then serves their page faults: their code and stacks live in the
; root task's own image, and each fault is answered by mapping the root's
; page at the same address. Ping calls pong 10,000 times with a counter;
; pong answers with the counter plus one. Ping reports to the root task,
; which prints the result and ends the run.
;
; Ping and pong ask for small address spaces (thread_schedule's small-space
; id: 2 = the first 8 MB slot, 6 = the second). A kernel with small spaces
; on (the explorer's "small spaces", `--small-spaces`, the native image's
; `small-spaces` option) then switches between them by reloading the user
; segment descriptors, without a CR3 load and so without a TLB flush —
; Liedtke's segment trick; with small spaces off it ignores the request and
; every switch loads CR3.
; threads: pager=4.0 ping=5.0 pong=6.0
%include "l4.inc"
%include "check.inc"

ROUND_TRIPS equ 10000
PING_ID     equ 0x04050001          ; task 5, chief 4 (the root task), version 1
PONG_ID     equ 0x04060001          ; task 6
DONE        equ 0x454E4F44          ; "DONE" in w2: ping's report, not a page fault
READ_ONLY   equ 0xFFFFFFFF          ; thread_schedule: change nothing, read the parameters
SMALL_SPACE equ 0x0000FF00          ; thread_schedule's small-space id field
PING_SMALL  equ 2                   ; small-space id: the first 8 MB slot
PONG_SMALL  equ 6                   ; the second

section .text
image_start:
_start:
    mov esp, root_stack_top
    outstring banner
    l4_task_new PONG_ID, 255, pong_stack_top, pong, ROOT_TASK_ID
    check_eq esi, PONG_ID, "task_new created pong"
    l4_task_new PING_ID, 255, ping_stack_top, ping, ROOT_TASK_ID
    check_eq esi, PING_ID, "task_new created ping"
    ; Small spaces for both (ignored by a kernel with small spaces off).
    l4_set_small_space PING_ID, PING_SMALL
    l4_set_small_space PONG_ID, PONG_SMALL
    l4_thread_schedule READ_ONLY, 0, PING_ID
    and eax, SMALL_SPACE
    cmp eax, PING_SMALL << 8
    jne .large_spaces
    outstring small_spaces
    jmp .pager
.large_spaces:
    outstring large_spaces
.pager:

; The pager: map the faulting page of the root's image, 1:1.
    ipc_wait
serve:
    test al, L4_IPC_ERROR_MASK
    jnz .again
    cmp edi, DONE
    je finished
    mov eax, edx
    and eax, 0xFFFFF000
    cmp eax, image_start
    jb .outside
    cmp eax, image_end
    jae .outside
    mov cl, [eax]                   ; the root task's own page, faulted in from sigma0 if needed
    lea ebx, [eax + (12 << 2) + FPAGE_WRITE]
    l4_ipc L4_IPC_SHORT_FPAGE, L4_IPC_OPEN, L4_IPC_NEVER, esi, eax, ebx, 0
    jmp serve
.outside:
    outstring outside
    outhex32 edx
    outstring newline
    inc dword [check_failures]
.again:
    ipc_wait
    jmp serve

finished:
    check_eq edx, ROUND_TRIPS, "ping made 10000 round trips"
    check_eq ebx, 0, "every answer was the counter plus one"
    check_done

; Task 6: answer every call with w0 + 1.
pong:
    ipc_wait
.answer:
    inc edx
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_OPEN, L4_IPC_NEVER, esi, edx, 0, 0
    jmp .answer

; Task 5: call pong ROUND_TRIPS times, then report to the root task.
ping:
    xor ecx, ecx                    ; calls made
    xor ebp, ebp
    mov [ping_errors], ebp
.call:
    push ecx
    ipc_call PONG_ID, ecx, 0, 0
    pop ecx
    test al, L4_IPC_ERROR_MASK
    jnz .error
    lea eax, [ecx + 1]
    cmp edx, eax
    je .next
.error:
    inc dword [ping_errors]
.next:
    inc ecx
    cmp ecx, ROUND_TRIPS
    jb .call
    ipc_send ROOT_TASK_ID, ecx, dword [ping_errors], DONE
.halt:
    ipc_sleep L4_IPC_NEVER

section .data
banner:  db "ping-pong: the root task pages tasks 5 and 6", 13, 10, 0
small_spaces: db "ping and pong run in small spaces 2 and 6: switching between them reloads segments, not CR3", 13, 10, 0
large_spaces: db "ping and pong run in large spaces (small spaces are off): every switch loads CR3", 13, 10, 0
outside: db "FAIL a page fault outside the root task's image at ", 0
newline: db 13, 10, 0

section .bss
ping_errors:    resd 1
                resb 4096
root_stack_top:
                resb 4096
ping_stack_top:
                resb 4096
pong_stack_top:
image_end:
