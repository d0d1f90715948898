; hostile.asm — the worst students: tasks that make random system calls.
;
; Assembled with `SEED equ N` and `EPOCHS equ N` in front (and
; `%define FOREVER` for a run that never ends by itself: the soak stops it
; after its share of calls). The root task creates eight hostile tasks
; (7..14) every epoch of about 41 ms and deletes the old ones with
; everything they did; meanwhile a healthy ping-pong pair must make progress
; in every epoch, and after the last epoch, with the hostile tasks gone.
;
; A hostile thread draws system calls from a table: random registers
; (random words, small numbers, real thread ids, fpage-like and buffer-like
; values, timeouts) and random message buffers in its own area, plus calls
; aimed at the kernel's hard cases — remapping read-only pages with w=1
; onto other tasks' copies, grants of granted pages, unmapping pages that
; transfers are copying, string IPC with overlapping and faulting buffers,
; lthread_ex_regs on threads in the middle of an IPC, creating threads and
; subtasks until the tables run out and deleting subtasks mid-transfer,
; attaching and detaching interrupts, small-space requests, exceptions. One
; thread in eight floods: every other call it makes is its favourite one.
;
; Priorities: the root task, the pagers and the healthy pair run at 50, the
; hostile tasks at 40 with mcp 40 (so they may reschedule each other and ask
; for small spaces, never the healthy threads). The healthy pair sleeps a
; tick every second round trip, so the hostile tasks get the CPU.
;
; Each hostile task k owns the subtasks 16 + 2k and 17 + 2k (the root task
; hands them over at the start), which run the same code. Every task has a
; 16 KB slot in `hostile_area` (mapped writable by the hostile pager, the
; same frames for everyone): 4 KB to scribble on, then 64 stacks of 128
; bytes, one per lthread: [ESP] = the slot, [ESP + 4] = the thread's seed,
; [ESP + 8] = its favourite call (0: none).

%include "testing.inc"

PONG_ID        equ 0x04050001
PING_ID        equ 0x04060001
HOSTILE_PAGER  equ 0x04040801       ; the root task's lthread 2
EPOCH_TIMEOUT  equ (40 << 24) | 10  ; 40·4^5 µs ≈ 41 ms
HOSTILES       equ 8
SUBTASKS       equ 16
SLOT_SIZE      equ 0x4000
HOSTILE_PRIORITY equ 40
STACK_OFFSET   equ 4096 + 116       ; lthread L's ESP: slot + STACK_OFFSET + 128·L
; The servers (the hostile pager, pong) wait with receive-pagefault timeout
; 0, as sigma0 does: a client whose message faults in its own space cannot
; hold them (its pager may be waiting for them). Replies: send timeout 0.
SERVER_WAIT    equ 0x0F00
SERVER_REPLY   equ 0x0F10

; next_random — EAX = the next value of the thread's generator (its seed at [ESP + 4]).
%macro next_random 0
    mov eax, [esp + 4]
    imul eax, eax, 1103515245
    add eax, 12345
    mov [esp + 4], eax
    rol eax, 15
%endmacro

section .text
_start:
    start_pager
    l4_lthread_ex_regs 2, hostile_pager_stack_top, hostile_pager, L4_INVALID_ID, SIGMA0_ID
    mov edi, trash
    mov ecx, 2048
    mov ax, 0x0B0F                  ; ud2
    rep stosw
    ; Hand subtasks 16 + 2k and 17 + 2k to hostile task 7 + k (its chief from now on).
    xor ebx, ebx
.hand:
    lea esi, [ebx + 16]
    shl esi, 16
    or esi, 0x04000001
    mov eax, ebx
    shr eax, 1
    add eax, 7
    shl eax, 16
    or eax, 0x04000001
    push ebx
    l4_task_new esi, eax, 0, 0, L4_NIL_ID
    pop ebx
    inc ebx
    cmp ebx, SUBTASKS
    jb .hand
    l4_task_new PONG_ID, 255, pong_stack_top, pong, PAGER_ID
    l4_task_new PING_ID, 255, ping_stack_top, ping, PAGER_ID
    ; The healthy pair runs in 1 ms slices (4^5 µs), the hostile tasks in the default 10 ms.
    l4_thread_schedule 50 | (10 << 20) | (1 << 24), 0, PONG_ID
    l4_thread_schedule 50 | (10 << 20) | (1 << 24), 0, PING_ID
    mov dword [epoch], 0
.epoch:
    ; (Re)create the hostile tasks 7..14 with fresh seeds: the old ones, their
    ; subtasks and everything they did go with task_new.
    xor ebx, ebx
.create:
    mov eax, ebx
    shl eax, 14                     ; the task's slot
    lea ecx, [hostile_area + eax]
    lea edi, [ecx + STACK_OFFSET]   ; lthread 0's stack
    mov [edi], ecx
    mov eax, [epoch]
    imul eax, eax, 7919
    add eax, ebx
    add eax, SEED
    imul eax, eax, 2654435761
    or eax, 1
    mov [edi + 4], eax
    mov dword [edi + 8], 0
    test eax, 0x70000
    jnz .plain
    and eax, 127
    mov eax, [calls + eax * 4]
    mov [edi + 8], eax              ; one task in eight floods
.plain:
    lea eax, [ebx + 7]
    shl eax, 16
    or eax, 0x04000001              ; task 7 + index, chief 4, version 1
    push ebx
    push eax
    l4_task_new eax, HOSTILE_PRIORITY, edi, hostile_start, HOSTILE_PAGER
    pop esi
    l4_thread_schedule HOSTILE_PRIORITY, 0, esi
    pop ebx
    inc ebx
    cmp ebx, HOSTILES
    jb .create
    mov eax, [healthy_rounds]
    mov [rounds_before], eax
    ipc_sleep EPOCH_TIMEOUT
    mov eax, [healthy_rounds]
    cmp eax, [rounds_before]
    ja .progress
    inc dword [stalled_epochs]
    outstring stalled_text
    outdec [epoch]
    outstring newline
.progress:
    inc dword [epoch]
%ifdef FOREVER
    jmp .epoch
%else
    cmp dword [epoch], EPOCHS
    jb .epoch
%endif
    ; Remove the hostile tasks (and their subtasks); the healthy pair goes on.
    xor ebx, ebx
.remove:
    lea eax, [ebx + 7]
    shl eax, 16
    or eax, 0x04000001
    push ebx
    l4_task_new eax, ROOT_TASK_ID, 0, 0, L4_NIL_ID
    pop ebx
    inc ebx
    cmp ebx, HOSTILES
    jb .remove
    mov eax, [healthy_rounds]
    mov [rounds_before], eax
    ipc_sleep EPOCH_TIMEOUT
    check_eq dword [stalled_epochs], 0, "the ping-pong pair made progress in every epoch"
    check_eq dword [healthy_errors], 0, "and every answer was right"
    mov eax, [healthy_rounds]
    sub eax, [rounds_before]
    cmp eax, 0
    jne .still
    outstring stopped_text
    inc dword [check_failures]
.still:
    check_done

; The hostile tasks' pager: code and data of the image read-only, the
; hostile area writable, and any other user address a trash page (full of
; ud2 for code, which the tasks' virtual IDT turns into a restart; zeros for
; data), so a hostile thread that jumps or points somewhere random keeps
; running. I/O faults are not answered.
hostile_pager:
    l4_ipc L4_IPC_NIL, L4_IPC_OPEN, SERVER_WAIT, 0, 0, 0, 0
.serve:
    test al, L4_IPC_ERROR_MASK
    jnz hostile_pager
    mov eax, edx
    and eax, 0xFFFFF000
    cmp eax, 0xC0000000
    jae hostile_pager
    cmp eax, image_start
    jb .trash
    cmp eax, image_end
    jae .trash
    mov cl, [eax]
    lea ebx, [eax + (12 << 2)]
    cmp eax, hostile_area
    jb .answer
    cmp eax, hostile_area_end
    jae .answer
    or ebx, FPAGE_WRITE
.answer:
    l4_ipc L4_IPC_SHORT_FPAGE, L4_IPC_OPEN, SERVER_REPLY, esi, eax, ebx, 0
    jmp .serve
.trash:
    ; An instruction fetch gets ud2s, a data access zeros (small numbers:
    ; sizes 0, addresses 0, so what it reads from there stays cheap).
    mov ecx, ebx
    and ecx, 0xFFFFF000
    cmp ecx, eax
    je .code_trash
    mov cl, [trash_data]            ; (the root task's page must be there to be mapped on)
    mov ebx, trash_data | (12 << 2) | FPAGE_WRITE
    jmp .answer
.code_trash:
    mov cl, [trash]
    mov ebx, trash | (12 << 2)
    jmp .answer

; The healthy pair (paged by the standard pager, writable). Ping sleeps a
; tick after every second round trip.
pong:
    l4_ipc L4_IPC_NIL, L4_IPC_OPEN, SERVER_WAIT, 0, 0, 0, 0
.answer:
    test al, L4_IPC_ERROR_MASK
    jnz pong                        ; the answer was not taken (a hostile sender): just wait
    inc edx
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_OPEN, SERVER_REPLY, esi, edx, 0, 0
    jmp .answer
ping:
    xor ecx, ecx
.call:
    push ecx
    ipc_call PONG_ID, ecx, 0, 0
    pop ecx
    test al, L4_IPC_ERROR_MASK
    jnz .call                       ; pong was busy with someone else: ask again
    lea eax, [ecx + 1]
    cmp edx, eax
    je .right
    inc dword [healthy_errors]
.right:
    inc dword [healthy_rounds]
    inc ecx
    test ecx, 1
    jnz .call
    push ecx
    ipc_sleep (1 << 24) | 10        ; one tick
    pop ecx
    jmp .call


; ---------------------------------------------------------------------------
; A hostile thread. [ESP] = its task's slot, [ESP + 4] = its seed,
; [ESP + 8] = its favourite call (0: none).
; ---------------------------------------------------------------------------
hostile_start:
    lidt [hostile_idt_register]     ; survive the exceptions it provokes
hostile:
    ; Scribble on its slot's first page: message headers, dopes, buffers —
    ; mostly small numbers and addresses in the slot (so strings stay
    ; short), sometimes any word.
    next_random
    mov ecx, eax
    and ecx, 0x0FFC
    add ecx, [esp]
    next_random
    test eax, 0x03F00000
    jz .scribble
    test eax, 0x04000000
    jz .small_word
    and eax, 0x1FFF
    add eax, [esp]
    jmp .scribble
.small_word:
    and eax, 0x3FFF
.scribble:
    mov [ecx], eax
    ; Seven register values below the stack pointer (nothing else writes
    ; there), a target, then a system call (or an exception).
    mov ebx, 7
.value:
    next_random
    mov ecx, eax
    shr ecx, 29
    next_random
    jmp [value_kinds + ecx * 4]
.random:
    ; Random words, but mostly pointing into its own slot (message headers,
    ; dopes and buffers it has scribbled on), sometimes at nasty places.
    test eax, 0x0F000000
    jz .nasty
    and eax, 0x1FFF
    add eax, [esp]
    jmp .store
.nasty:
    and eax, 7
    mov eax, [nasty + eax * 4]
    jmp .store
.small:
    and eax, 63
    jmp .store
.identity:
    and eax, 15
    mov eax, [identities + eax * 4]
    jmp .store
.fpage:
    ; An fpage over its own slot or (rarely) anywhere, any size and rights.
    test eax, 0x00F00000
    jz .any_fpage
    mov ecx, eax
    and eax, 0xFF                   ; size and rights
    and ecx, 0x1000
    add ecx, [esp]
    or eax, ecx
    jmp .store
.any_fpage:
    and eax, 0xFFFFF0FF
    jmp .store
.all_ones:
    mov eax, 0xFFFFFFFF
    jmp .store
.zero:
    xor eax, eax
    jmp .store
.buffer:
    and eax, 0x1FFF
    add eax, [esp]
    jmp .store
.timeouts:
    and eax, 0xFF00FFFF
.store:
    neg ebx
    mov [esp + ebx * 4 - 8], eax
    neg ebx
    dec ebx
    jnz .value
    ; The call: from the table, or (every other time) the favourite.
    next_random
    mov ecx, eax
    and eax, 127
    mov eax, [calls + eax * 4]
    test ecx, 0x100
    jz .chosen
    cmp dword [esp + 8], 0
    je .chosen
    mov eax, [esp + 8]
.chosen:
    mov [esp - 4], eax
    mov eax, [esp - 36]
    mov ebx, [esp - 32]
    mov ecx, [esp - 28]
    mov edx, [esp - 24]
    mov esi, [esp - 20]
    mov edi, [esp - 16]
    mov ebp, [esp - 12]
    ; Timeouts (ECX): mostly send and receive timeouts 0 (the pagefault
    ; timeouts as drawn), so a call that finds no partner returns and the
    ; thread goes on; one in 128 as drawn (infinite ones included: that
    ; thread may wait until its task is re-created).
    test dword [esp + 4], 0x07F00000
    jz .raw_timeouts
    and ecx, 0x0000FFFF
    or ecx, 0x00000011
.raw_timeouts:
    jmp [esp - 4]

do_ipc:
    int 0x30
    jmp hostile
do_id_nearest:
    int 0x31
    jmp hostile
do_unmap:
    int 0x32
    jmp hostile
do_switch:
    int 0x33
    jmp hostile
do_schedule:
    int 0x34
    jmp hostile
do_ex_regs:
    ; lthread_ex_regs on one of the task's first four lthreads (itself
    ; included), ESP and EIP kept: whatever IPC it is in — waiting, in a
    ; transfer, stalled on a transfer's page fault — is cancelled or aborted.
    and eax, 3
    mov ecx, 0xFFFFFFFF
    mov edx, ecx
    int 0x35
    jmp hostile
do_task_new:
    int 0x36
    jmp hostile
do_kdebug:
    int3
    cmp al, 12                      ; non-blocking console read
    jmp hostile
do_int_n:
    int 0x80                        ; a #GP with error 0x402 for the virtual IDT
    jmp hostile
do_exception:
    ud2
do_divide:
    xor edx, edx
    div edx
    jmp hostile

; A random hostile thread id in ESI: task 7..14, lthread 0..3, or a subtask.
random_destination:
    push eax
    mov esi, eax
    and esi, 7 << 16
    add esi, 7 << 16
    or esi, 0x04000001
    test eax, 0x600
    jz .lthread_zero
    mov esi, eax
    and esi, 3 << 10
    or esi, [identities + 8 * 4]    ; task 7's lthread …
    and esi, 0xFF00FFFF
    mov ecx, eax
    and ecx, 7 << 16
    add ecx, 7 << 16
    or esi, ecx                     ; … of a random hostile task
.lthread_zero:
    test eax, 0x3000
    jnz .done
    mov esi, [identities + 12 * 4]  ; a subtask
.done:
    pop eax
    ret

do_remap:
    ; Map a page of the image it holds read-only (the one with its code, or
    ; the one with the call table) with w=1 to another hostile task, at the
    ; same address: onto that task's own read-only copy. Send timeout 0.
    next_random
    call random_destination
    mov edx, hostile
    test eax, 0x100
    jz .code
    mov edx, calls
.code:
    and edx, 0xFFFFF000
    lea ebx, [edx + (12 << 2) + FPAGE_WRITE]
    mov eax, L4_IPC_SHORT_FPAGE
    mov ebp, L4_IPC_NIL
    mov ecx, 0x10                   ; send timeout 0
    xor edi, edi
    int 0x30
    jmp hostile
do_grant:
    ; Grant (or map) a page of the hostile area — its own, or one granted or
    ; mapped to it by another task — to a hostile thread, at the same
    ; address, so that granted pages are granted on.
    next_random
    call random_destination
    mov edx, eax
    and edx, 0x3F000
    add edx, hostile_area
    mov ebx, eax
    and ebx, FPAGE_WRITE | FPAGE_GRANT
    test eax, 0x10000000
    jz .grant
    or ebx, FPAGE_GRANT
.grant:
    lea ebx, [edx + ebx + (12 << 2)]
    mov eax, L4_IPC_SHORT_FPAGE
    mov ebp, L4_IPC_NIL
    mov ecx, 0x10
    xor edi, edi
    int 0x30
    jmp hostile
do_accept:
    ; Wait until the next timer tick for a message, accepting mappings anywhere.
    mov eax, L4_IPC_NIL
    mov ebp, L4_WHOLE_SPACE | 2 | 1
    mov ecx, (1 << 24) | 11         ; receive 4^4 µs, send ∞ (no send)
    int 0x30
    jmp hostile
do_unmap_area:
    ; fpage_unmap over the hostile area (1, 2 or 4 pages): flush or
    ; write-protect, the caller's own mappings too or only what it mapped
    ; on — while other threads may be copying strings to or from them.
    next_random
    mov ecx, eax
    mov edx, eax
    and eax, 0x3C000
    add eax, hostile_area
    and edx, 3
    cmp edx, 3
    jne .size
    xor edx, edx
.size:
    lea eax, [eax + edx * 4 + (12 << 2)]
    and ecx, 0x80000002
    int 0x32
    jmp hostile

; A string message at slot + 0x800: one string of up to 8 KB from and to
; addresses in its slot, in another slot, anywhere (trash pages, faults
; the pager serves) or at nasty places (the kernel's half, the top of user
; space), send and receive buffers overlapping when the draw says so.
build_string_message:
    mov edi, [esp + 4]              ; (the caller's slot: past the return address)
    add edi, 0x800
    mov dword [edi], 0              ; no receive fpage
    mov dword [edi + 4], (3 << 13) | (1 << 8)    ; size: 3 dwords, 1 string
    mov dword [edi + 8], (3 << 13) | (1 << 8)    ; send: 3 dwords, 1 string
    mov eax, [esp + 8]
    imul eax, eax, 1103515245
    add eax, 12345
    mov [esp + 8], eax
    mov ecx, eax
    and ecx, 0x1FFF
    mov [edi + 24], ecx             ; send size
    call string_address
    mov [edi + 28], edx             ; send address
    mov ecx, eax
    shr ecx, 8
    and ecx, 0x1FFF
    mov [edi + 32], ecx             ; receive size
    test eax, 0x40000
    jnz .overlap
    rol eax, 7
    call string_address
    mov [edi + 36], edx             ; receive address
    ret
.overlap:
    add edx, 0x10
    mov [edi + 36], edx             ; overlapping the send string
    ret
; string_address — EDX = an address for a string, from the bits of EAX.
string_address:
    mov edx, eax
    shr edx, 20
    and edx, 3
    jmp [.kinds + edx * 4]
.own:
    mov edx, eax
    and edx, 0xFFF
    add edx, [esp + 8]              ; the slot (past two return addresses)
    ret
.other:
    mov edx, eax
    and edx, 0x3FFFF
    add edx, hostile_area
    ret
.anywhere:
    mov edx, eax
    and edx, 0x3FFFF000
    ret
.nasty:
    mov edx, eax
    shr edx, 24
    and edx, 7
    mov edx, [nasty + edx * 4]
    ret
section .data
.kinds: dd .own, .other, .anywhere, .nasty
section .text

do_string_send:
    ; Send (or call with the same buffer for the answer) a string message to
    ; a hostile thread: send timeout one tick, pagefault timeouts as drawn.
    call build_string_message
    next_random
    call random_destination
    mov ecx, eax
    and ecx, 0xFF00
    or ecx, (1 << 24) | (1 << 16) | (10 << 4) | 10
    mov ebp, L4_IPC_NIL
    test eax, 0x80000
    jz .send
    mov ebp, edi                    ; the answer into the same buffer
.send:
    mov eax, edi
    mov edx, [edi + 12]
    mov ebx, [edi + 16]
    mov edi, [edi + 20]
    int 0x30
    jmp hostile
do_string_receive:
    ; Wait a tick for a message into a string buffer.
    call build_string_message
    next_random
    mov ecx, eax
    and ecx, 0xFF00
    or ecx, (1 << 24) | 10
    mov ebp, edi
    or ebp, 1                       ; open receive
    mov eax, L4_IPC_NIL
    int 0x30
    jmp hostile

do_small:
    ; thread_schedule on a hostile thread: a random priority up to 31 and a
    ; random small-space id (0 and 0xFF change nothing), time slice kept.
    next_random
    call random_destination
    and eax, 0xFF1F
    xor ebx, ebx
    int 0x34
    jmp hostile

do_thread:
    ; Create or restart lthread 1..3 of its task at hostile_start, with its
    ; own stack in the slot (lthread 4..63 for the flood variant).
    next_random
    and eax, 3
    jnz thread_create
    inc eax
    jmp thread_create
do_thread_flood:
    next_random
    and eax, 63
    or eax, 4
thread_create:
    mov ecx, eax
    next_random
    mov edx, eax                    ; its seed
    mov eax, ecx                    ; the lthread
    shl ecx, 7
    add ecx, [esp]
    add ecx, STACK_OFFSET
    mov ebx, [esp]
    mov [ecx], ebx                  ; its slot
    mov [ecx + 4], edx
    mov dword [ecx + 8], 0
    test edx, 0x70000
    jnz .plain
    and edx, 127
    mov edx, [calls + edx * 4]
    mov [ecx + 8], edx              ; a flooder
.plain:
    mov edx, hostile_start
    mov ebx, 0xFFFFFFFF
    mov esi, HOSTILE_PAGER
    int 0x35
    jmp hostile

do_subtask:
    ; Create (or delete and re-create, or just delete) one of its two
    ; subtasks: 16 + 2k + j for hostile task 7 + k.
    next_random
    mov ecx, [esp]
    sub ecx, hostile_area
    shr ecx, 14                     ; its slot number k
    cmp ecx, HOSTILES
    jae hostile                     ; a subtask owns no tasks
    mov esi, eax
    and esi, 1
    lea esi, [esi + ecx * 2 + 16]   ; the subtask's number (and its slot - 8)
    mov edi, esi
    sub edi, 8
    shl edi, 14
    add edi, hostile_area           ; the subtask's slot
    shl esi, 16
    lea edx, [ecx + 7]
    shl edx, 24
    or esi, edx
    or esi, 1                       ; chief 7 + k, version 1
    test eax, 0x100
    jz .delete
    lea ecx, [edi + STACK_OFFSET]
    mov [ecx], edi
    mov [ecx + 4], eax
    mov dword [ecx + 8], 0
    mov edx, hostile_start
    mov ebx, HOSTILE_PAGER
    mov eax, HOSTILE_PRIORITY
    int 0x36
    jmp hostile
.delete:
    xor eax, eax                    ; stays ours, inactive
    xor ebx, ebx
    int 0x36
    jmp hostile

do_irq:
    ; Attach to IRQ 0..15 (a closed receive from irq + 1 with timeout 0;
    ; IRQ 0 is the kernel's) or detach (a receive from nil with timeout 0).
    next_random
    mov esi, eax
    and esi, 15
    inc esi
    test eax, 0x100
    jnz .attach
    xor esi, esi
.attach:
    mov eax, L4_IPC_NIL
    xor ebp, ebp
    mov ecx, L4_IPC_POLL
    int 0x30
    jmp hostile

; Virtual IDT handlers: drop the frame the kernel pushed, carry on.
recover_no_code:
    add esp, 12
    jmp hostile
recover_with_code:
    add esp, 16
    jmp hostile

section .data
value_kinds: dd hostile.random, hostile.small, hostile.identity, hostile.fpage
             dd hostile.all_ones, hostile.zero, hostile.buffer, hostile.timeouts
nasty:       dd 0, 0x00000FFC, 0xBFFFFFFC, 0xC0000000, 0xEFFFE000, 0xF0000000, 0xFFFFF000, 0x7FFFFFFF
identities:  dd SIGMA0_ID, ROOT_TASK_ID, HOSTILE_PAGER, PONG_ID, PING_ID, 0x04070001, 0x040C0001, 6
             dd 0x04070001, 0x04080401, 0x040E0C01, 5, 0x07100001, 0x0E1F0001, 0x07110401, 17
calls:       times 60 dd do_ipc
             times 4 dd do_remap
             times 6 dd do_accept
             times 4 dd do_grant
             times 6 dd do_string_send
             times 4 dd do_string_receive
             times 2 dd do_unmap
             times 3 dd do_unmap_area
             times 6 dd do_id_nearest
             times 2 dd do_switch
             times 6 dd do_schedule
             times 3 dd do_small
             times 4 dd do_ex_regs
             times 3 dd do_thread
             dd do_thread_flood
             times 2 dd do_task_new
             times 3 dd do_subtask
             times 3 dd do_irq
             times 2 dd do_kdebug
             dd do_exception, do_exception, do_divide, do_int_n
hostile_idt_register:
             dw 14 * 8 - 1
             dd hostile_idt
hostile_idt: dw recover_no_code & 0xFFFF, 0x1B, 0xEE00, recover_no_code >> 16       ; 0: divide error
             times 5 dq 0
             dw recover_no_code & 0xFFFF, 0x1B, 0xEE00, recover_no_code >> 16       ; 6: invalid opcode
             times 6 dq 0
             dw recover_with_code & 0xFFFF, 0x1B, 0xEE00, recover_with_code >> 16   ; 13: general protection

stalled_text: db "FAIL the ping-pong pair made no progress in epoch ", 0
stopped_text: db "FAIL the ping-pong pair stopped after the hostile tasks were removed", 13, 10, 0
newline:      db 13, 10, 0

section .bss
epoch:          resd 1
rounds_before:  resd 1
stalled_epochs: resd 1
healthy_rounds: resd 1
healthy_errors: resd 1
                resb 4096
hostile_pager_stack_top:
                resb 4096
pong_stack_top:
                resb 4096
ping_stack_top:
    align 4096
hostile_area:   resb (HOSTILES + SUBTASKS) * SLOT_SIZE
hostile_area_end:
    align 4096
trash:          resb 4096
trash_data:     resb 4096
testing_end
