; clans-tasks — clans and chiefs (X.0): id_nearest's three answers, a message
; leaving a clan redirected to the sender's chief (r bit), the chief passing
; it on in the original sender's name (propagation, d bit), a message into
; an inner clan redirected to that clan's chief; and task_new: inactive tasks
; with a chief, deleting a task deletes its clan, the caller's version and
; chief bits kept, and the requests task_new refuses.
%include "testing.inc"

CHIEF_ID    equ 0x04050001          ; task 5, in the root task's clan; chief of task 6
MEMBER_ID   equ 0x05060001          ; task 6, chief 5
LATER_ID    equ 0x04070005          ; task 7 with version 5, chosen by the caller
RESULT_D    equ 0x01                ; result word: deceived (propagated) sender
RESULT_R    equ 0x04                ; redirected through a chief
RESULT_I    equ 0x08                ; came from an inner clan

section .text
_start:
    start_pager
    l4_myself
    check_eq eax, 0, "id_nearest(nil): type 0"
    check_eq esi, ROOT_TASK_ID, "id_nearest(nil): the caller's own id"

; Task 6 inactive, its chief task 5; then task 5, which creates task 6.
    l4_task_new MEMBER_ID, CHIEF_ID, 0, 0, L4_NIL_ID
    check_eq esi, MEMBER_ID, "task_new with a nil pager: an inactive task"
    l4_task_new CHIEF_ID, 255, chief_stack_top, chief, PAGER_ID
    check_eq esi, CHIEF_ID, "task_new: task 5"
    l4_id_nearest CHIEF_ID
    check_eq eax, 0, "id_nearest into one's own clan: type 0"
    check_eq esi, CHIEF_ID, "and the id itself"

; Task 6 sends to us; its chief (task 5) gets it and passes it on in task 6's name.
    ipc_wait
    check_eq esi, MEMBER_ID, "the propagated message names the original sender"
    check_eq edx, 0x66, "and carries its words"
    check_masked eax, RESULT_D, RESULT_D, "with the d bit (deceived)"
    l4_id_nearest MEMBER_ID
    check_eq eax, 0x0C, "id_nearest into an inner clan: type 0x0C"
    check_eq esi, CHIEF_ID, "and the inner clan's chief"

; Into the inner clan: our message to task 6 reaches its chief.
    ipc_send MEMBER_ID, 0x77, 0, 0
    check_eq eax, 0, "a send into an inner clan succeeds"
    ipc_receive CHIEF_ID
    check_eq edx, MEMBER_ID, "task 6's message to us had been redirected to its chief, which saw task 6 as the sender"
    check_masked ebx, RESULT_R | RESULT_I, RESULT_R | RESULT_I, "with the r and i bits (redirected, from its inner clan)"
    check_eq edi, 0x77, "our message to task 6 reached the chief"
    ipc_receive CHIEF_ID
    check_eq edx, CHIEF_ID, "task 6's id_nearest(root task) named its chief"
    check_eq ebx, 0x04, "with type 0x04 (outside the clan)"
    check_masked edi, RESULT_R | RESULT_I, RESULT_R, "and the chief received our message with r but not i (from outside)"

; Deleting task 5 deletes its clan.
    l4_task_new CHIEF_ID, ROOT_TASK_ID, 0, 0, L4_NIL_ID
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_NIL, L4_IPC_POLL, MEMBER_ID, 0, 0, 0
    check_masked eax, 0xF0, L4_IPC_ENOT_EXISTENT, "after deleting its chief, task 6 is gone"
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_NIL, L4_IPC_POLL, CHIEF_ID, 0, 0, 0
    check_masked eax, 0xF0, L4_IPC_ENOT_EXISTENT, "and so is task 5"

; What task_new refuses.
    l4_task_new ROOT_TASK_ID, 255, chief_stack_top, chief, PAGER_ID
    check_eq esi, 0, "task_new of oneself: nil"
    l4_task_new 0x04030001, 255, chief_stack_top, chief, PAGER_ID
    check_eq esi, 0, "task_new of task 3 (never handed out): nil"
    l4_task_new MEMBER_ID, 255, chief_stack_top, chief, PAGER_ID
    check_eq esi, 0, "task_new of a task whose chief is another: nil"

; The caller's version and chief bits are kept.
    l4_task_new LATER_ID, 255, later_stack_top, sleeper, PAGER_ID
    check_eq esi, LATER_ID, "task_new keeps the version the caller chose"
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_NIL, L4_IPC_POLL, (LATER_ID & ~0x3FF) | 1, 0, 0, 0
    check_masked eax, 0xF0, L4_IPC_ENOT_EXISTENT, "another version of that task does not exist"
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_NIL, L4_IPC_POLL, LATER_ID, 0, 0, 0
    check_masked eax, 0xF0, L4_IPC_SETIMEOUT, "the chosen version does"
    check_done

; Task 5: creates task 6 and is its chief: everything task 6 sends out of the
; clan, and everything sent in to it, arrives here, and task 5 passes it on
; by propagation (p bit, the original sender at [ESP]) — its page faults
; and the pager's answers included. The chief cannot see where a message
; was going (X.0 does not say), so it knows: task 6's page faults go to the
; root task's pager, its other messages to the root task.
chief:
    l4_task_new MEMBER_ID, 255, member_stack_top, member, PAGER_ID
.receive:
    mov eax, L4_IPC_NIL
.ipc:
    mov ebp, L4_WHOLE_SPACE | 2 | 1 ; open, accepting mappings anywhere (the pager's answers)
    xor ecx, ecx
    int 0x30
    test al, L4_IPC_ERROR_MASK
    jnz .receive
    cmp esi, MEMBER_ID
    je .from_member
    cmp edx, 0x77
    je .report
    ; The pager's answer to task 6 (it reached us, and mapped the page into our
    ; space too): pass it on, mapping from our space, in the pager's name.
    push esi
    mov esi, MEMBER_ID
    mov eax, L4_IPC_SHORT_FPAGE | 1
    jmp .forward
.from_member:
    cmp edx, 0x66
    jne .fault
    mov [seen_source], esi
    mov [seen_result], eax
    push esi
    mov esi, ROOT_TASK_ID
    mov eax, 1
    jmp .forward
.fault:
    push esi
    mov esi, PAGER_ID
    mov eax, 1
.forward:
    mov ebp, L4_IPC_NIL
    xor ecx, ecx
    int 0x30
    add esp, 4
    jmp .receive
.report:                            ; the root task's message to task 6
    mov [root_result], eax
    ipc_send ROOT_TASK_ID, dword [seen_source], dword [seen_result], edx
    ipc_send ROOT_TASK_ID, dword [member_nearest], dword [member_type], dword [root_result]
    jmp .receive

; Task 6.
member:
    l4_id_nearest ROOT_TASK_ID
    mov [member_nearest], esi
    mov [member_type], eax
    ipc_send ROOT_TASK_ID, 0x66, 0, 0
sleeper:
    ipc_sleep L4_IPC_NEVER
    jmp sleeper

section .bss
seen_source:    resd 1
seen_result:    resd 1
root_result:    resd 1
member_nearest: resd 1
member_type:    resd 1
                resb 4096
chief_stack_top:
                resb 4096
member_stack_top:
                resb 4096
later_stack_top:
testing_end
