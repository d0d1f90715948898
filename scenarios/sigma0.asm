org 0x00020000
; sigma0 — the root pager (L4/x86 X.0 sigma0 protocol, old and new forms).
;
; The kernel gives sigma0 an idempotent address space (virtual = physical)
; and all I/O ports but the timer's and the PIC's. Sigma0 hands memory out
; page by page: each frame belongs to at most one task, except the kernel
; info page and the dedicated regions (VGA, BIOS, further boot modules),
; which anyone may map. It learns the memory layout from the kernel info
; page, whose address the kernel passes in EAX.
;
; Requests (w0, w1, w2 = EDX, EBX, EDI; see docs/ABI.md §sigma0):
;   page fault          w0 = address | write<<1, w1 = EIP, w2 = 0: that frame, 1:1
;   old protocol        w0 = 0xFFFFFFFC: any free page; w0 = frame < 1 GB: that
;                       frame; 1 GB <= w0 <= 3 GB: the 4 MB frame at w0 - 1 GB;
;                       w0 = 1, w1 low byte 1: the kernel info page
;   new protocol        w0 = 3, w1 = 0, w2 = fpage|3: exactly that fpage;
;                       w2 = fpage(0, size)|1: any contiguous region that big;
;                       w0 = 0, w1 = 0, w2 = fpage|2: release (no reply);
;                       w0 = 1, w2 = 0: the kernel info page
;   I/O                 w0 = I/O fpage (an I/O fault, w1 = EIP), or an I/O
;                       fpage in w2 with w0 = 3: map those ports. The
;                       debug-exit ports 0xF4..0xF7 (QEMU's off switch) go
;                       to the root task only: another task's request is
;                       refused, its I/O fault not answered.
; A refused request gets a register reply with w0 = 0.

%include "l4.inc"

OWNER_FREE      equ 0
OWNER_SHARED    equ 0xFE        ; anyone may map it (KIP, dedicated memory)
OWNER_RESERVED  equ 0xFF        ; the kernel's, sigma0's own, or not memory
MAX_FRAMES      equ 61440       ; 240 MB: the most memory the kernel supports

KIP_SIGMA0_LOW  equ 0x28
KIP_ROOT_LOW    equ 0x48
KIP_MEMORY_HIGH equ 0x64
KIP_RESERVED0   equ 0x68
KIP_RESERVED1   equ 0x70
KIP_DEDICATED   equ 0x78        ; five low/high pairs

ROOT_TASK       equ 4           ; the root task's number (the debug-exit ports are its)
; Receive never times out, but the receive-pagefault timeout is 0 (p_r = 15):
; a client whose message faults in its own space during the transfer (a
; string or memory message from pages it does not have) cannot hold sigma0
; while its pager answers — the pager may itself be waiting for sigma0.
WAIT_TIMEOUTS   equ 0x0F00
REPLY_TIMEOUTS  equ 0x0F10      ; and send timeout 0 (a client that does not wait loses the reply)

section .text
_start:
    mov esp, stack_top
    mov [kip], eax
    call init_frames
    outstring banner
    outdec [free_kb]
    outstring banner_end

wait_for_request:
    mov eax, L4_IPC_NIL
    mov ebp, L4_IPC_OPEN
    mov ecx, WAIT_TIMEOUTS
    int 0x30
got_message:
    test al, L4_IPC_ERROR_MASK
    jnz wait_for_request
    call handle_request         ; CF set: no reply
    jc wait_for_request
    mov ebp, L4_IPC_OPEN
    mov ecx, REPLY_TIMEOUTS
    xor edi, edi
    int 0x30
    jmp got_message

; handle_request — in: ESI client, EDX w0, EBX w1, EDI w2.
; out: CF clear and EAX send descriptor, EDX w0, EBX w1 for the reply; CF set: no reply.
handle_request:
    mov eax, esi
    shr eax, 16
    movzx eax, al
    mov [client_task], eax
    test edi, edi
    jnz new_protocol
    cmp edx, 0xFFFFFFFC
    je any_page
    mov eax, edx
    call is_io_fpage
    je .io_fault
    cmp edx, 1
    je reply_kip
    cmp edx, 0x40000000
    jb one_frame
    cmp edx, 0xC0000000
    jbe large_frame
    jmp refuse
.io_fault:
    mov ebx, edx
    call debug_exit_refused
    jne reply_io
    stc                         ; not for this task: its fault stays unanswered
    ret

; The new protocol: EDI = the fpage.
new_protocol:
    mov eax, edi
    call is_io_fpage
    je .io
    mov eax, edi
    and eax, 3
    cmp edx, 3
    jne .release
    test ebx, ebx
    jnz refuse
    cmp eax, 3
    je exact_fpage
    cmp eax, 1
    je any_region
    jmp refuse
.io:
    cmp edx, 3
    jne refuse
    mov ebx, edi
    call debug_exit_refused
    je refuse
    jmp reply_io
.release:
    test edx, edx
    jnz refuse
    test ebx, ebx
    jnz refuse
    cmp eax, 2
    jne refuse
    call fpage_range            ; ECX = first frame, EAX = frame count
    jc .no_reply
    mov edx, [client_task]
.free_next:
    cmp byte [frames + ecx], dl
    jne .not_theirs
    mov byte [frames + ecx], OWNER_FREE
    ; Take the page back from the client (and whoever it mapped it to):
    ; only the client's own frames, one by one. Unmapping the whole fpage
    ; from sigma0's space would take every frame in it from every task
    ; (any task could strip the root task of its memory with one release).
    push eax
    push ecx
    push edx
    mov eax, ecx
    shl eax, 12
    or eax, 12 << 2                 ; the 4 KB fpage at the frame (1:1 here)
    mov ecx, L4_FP_FLUSH_PAGE
    int 0x32
    pop edx
    pop ecx
    pop eax
.not_theirs:
    inc ecx
    dec eax
    jnz .free_next
.no_reply:
    stc
    ret

; w0 < 1 GB: the 4 KB frame it names (a page fault, or an old-protocol request).
one_frame:
    mov eax, edx
    shr eax, 12
    cmp eax, [kip_frame]
    je reply_kip
    cmp eax, MAX_FRAMES
    jae refuse
    mov cl, [frames + eax]
    cmp cl, OWNER_SHARED
    je .map
    cmp cl, OWNER_FREE
    je .take
    cmp cl, [client_task]
    je .map
    jmp refuse
.take:
    mov cl, [client_task]
    mov [frames + eax], cl
.map:
    shl eax, 12
    mov edx, eax
    lea ebx, [eax + (12 << 2) + FPAGE_WRITE]
    jmp reply_map

; 0xFFFFFFFC: any free page, the highest first.
any_page:
    mov eax, [frame_count]
.next:
    dec eax
    js refuse
    cmp byte [frames + eax], OWNER_FREE
    jne .next
    mov cl, [client_task]
    mov [frames + eax], cl
    shl eax, 12
    mov edx, eax
    lea ebx, [eax + (12 << 2) + FPAGE_WRITE]
    jmp reply_map

; 1 GB <= w0 <= 3 GB: the 4 MB frame at w0 - 1 GB.
large_frame:
    sub edx, 0x40000000
    and edx, 0xFFC00000
    mov edi, edx
    or edi, (22 << 2)
    jmp exact_fpage

; EDI = fpage: map exactly it, if every frame in it is free or the client's.
exact_fpage:
    call fpage_range
    jc refuse
    push ecx
    push eax
    call claimable
    pop eax
    pop ecx
    jc refuse
    call claim
    mov edx, edi
    and edx, 0xFFFFF000
    mov ebx, edi
    and ebx, 0xFFFFFFFC
    or ebx, FPAGE_WRITE
    jmp reply_map

; EDI = fpage(0, size): any naturally aligned free region of that size, the highest first.
any_region:
    mov ecx, edi
    shr ecx, 2
    and ecx, 0x3F
    cmp ecx, 12
    jb refuse
    cmp ecx, 28
    ja refuse
    mov [region_log2], ecx
    sub ecx, 12
    mov eax, 1
    shl eax, cl
    mov [region_frames], eax    ; frames per region
    dec eax
    not eax
    mov ecx, [frame_count]
    and ecx, eax                ; the top, aligned down
.try:
    cmp ecx, [region_frames]
    jb refuse
    sub ecx, [region_frames]
    push ecx
    mov eax, [region_frames]
    call claimable
    pop ecx
    jc .try
    mov eax, [region_frames]
    call claim
    mov edx, ecx
    shl edx, 12
    mov ebx, [region_log2]
    shl ebx, 2
    or ebx, edx
    or ebx, FPAGE_WRITE
    jmp reply_map

; is_io_fpage — ZF set if EAX is an I/O fpage: 0xF in [28..31], bits [8..11]
; clear, a size of at most 2^16 ports. Clobbers EAX.
is_io_fpage:
    push ecx
    mov ecx, eax
    and ecx, 0xF0000F00
    cmp ecx, 0xF0000000
    jne .done
    shr eax, 2
    and eax, 0x3F
    cmp eax, 16
    ja .not
    xor ecx, ecx                    ; ZF = 1
    jmp .done
.not:
    or ecx, 1                       ; ZF = 0
.done:
    pop ecx
    ret

; fpage_range — EDI = fpage; out: ECX first frame, EAX frame count, CF on a bad fpage.
fpage_range:
    mov ecx, edi
    shr ecx, 2
    and ecx, 0x3F
    cmp ecx, 12
    jb .bad
    cmp ecx, 32
    jae .bad
    sub ecx, 12
    mov eax, 1
    shl eax, cl
    mov ecx, edi
    shr ecx, 12
    mov edx, eax
    dec edx
    not edx
    and ecx, edx                ; align the base down to the size
    lea edx, [ecx + eax]
    cmp edx, MAX_FRAMES
    ja .bad
    clc
    ret
.bad:
    stc
    ret

; claimable — ECX first frame, EAX count: CF unless each is free or the client's.
claimable:
    mov dl, [client_task]
.next:
    mov dh, [frames + ecx]
    cmp dh, OWNER_FREE
    je .ok
    cmp dh, dl
    jne .no
.ok:
    inc ecx
    dec eax
    jnz .next
    clc
    ret
.no:
    stc
    ret

; claim — ECX first frame, EAX count: they become the client's.
claim:
    push ecx
    push eax
    mov dl, [client_task]
.next:
    mov [frames + ecx], dl
    inc ecx
    dec eax
    jnz .next
    pop eax
    pop ecx
    ret

reply_kip:
    mov edx, [kip]
    mov ebx, edx
    or ebx, (12 << 2)           ; read-only
    jmp reply_map

; debug_exit_refused — ZF set if the I/O fpage in EBX covers one of the
; debug-exit ports and the client is not the root task (task 4), which
; alone may end the run (and may map the ports on). Clobbers EAX.
debug_exit_refused:
    cmp dword [client_task], ROOT_TASK
    je .allowed
    push ecx
    push edx
    mov ecx, ebx
    shr ecx, 2
    and ecx, 0x3F               ; log2 of the number of ports (at most 16)
    mov eax, 1
    shl eax, cl
    dec eax                     ; count - 1
    mov edx, ebx
    shr edx, 12
    and edx, 0xFFFF
    not eax
    and edx, eax                ; the first port
    not eax
    lea eax, [edx + eax + 1]    ; one past the last
    cmp edx, DEBUG_EXIT_PORT + 4
    jae .outside
    cmp eax, DEBUG_EXIT_PORT
    jbe .outside
    pop edx
    pop ecx
    cmp eax, eax                ; ZF = 1: refused
    ret
.outside:
    pop edx
    pop ecx
.allowed:
    or esp, esp                 ; ZF = 0 (ESP is never 0)
    ret

; EBX = the I/O fpage to map.
reply_io:
    and ebx, 0xFFFFFFFE         ; never grant
    xor edx, edx
    jmp reply_map

reply_map:
    mov eax, L4_IPC_SHORT_FPAGE
    clc
    ret

refuse:
    xor eax, eax
    xor edx, edx
    xor ebx, ebx
    clc
    ret

; init_frames — the frame table from the kernel info page.
init_frames:
    mov esi, [kip]
    mov eax, esi
    shr eax, 12
    mov [kip_frame], eax
    mov eax, [esi + KIP_MEMORY_HIGH]
    shr eax, 12
    cmp eax, MAX_FRAMES
    jbe .count
    mov eax, MAX_FRAMES
.count:
    mov [frame_count], eax
    ; Frames beyond installed memory are no memory.
    shl eax, 12
    mov edx, MAX_FRAMES << 12
    mov cl, OWNER_RESERVED
    call mark_range
    mov byte [frames], OWNER_RESERVED                 ; page 0: the real-mode vectors
    mov eax, [esi + KIP_RESERVED0]
    mov edx, [esi + KIP_RESERVED0 + 4]
    mov cl, OWNER_RESERVED
    call mark_range
    mov eax, [esi + KIP_RESERVED1]
    mov edx, [esi + KIP_RESERVED1 + 4]
    call mark_range
    mov eax, [esi + KIP_SIGMA0_LOW]
    mov edx, [esi + KIP_SIGMA0_LOW + 4]
    call mark_range
    mov eax, [esi + KIP_ROOT_LOW]
    mov edx, [esi + KIP_ROOT_LOW + 4]
    mov cl, 4                                         ; the root task's
    call mark_range
    xor ebx, ebx
.dedicated:
    mov eax, [esi + KIP_DEDICATED + ebx*8]
    mov edx, [esi + KIP_DEDICATED + ebx*8 + 4]
    mov cl, OWNER_SHARED
    call mark_range
    inc ebx
    cmp ebx, 5
    jb .dedicated
    ; What is left for tasks.
    xor eax, eax
    xor ecx, ecx
.sum:
    cmp byte [frames + ecx], OWNER_FREE
    jne .taken
    add eax, 4
.taken:
    inc ecx
    cmp ecx, [frame_count]
    jb .sum
    mov [free_kb], eax
    ret

; mark_range — [EAX, EDX) physical, CL owner; empty or inverted ranges do nothing.
mark_range:
    pushad
    shr eax, 12
    add edx, 0xFFF
    shr edx, 12
    cmp edx, MAX_FRAMES
    jbe .clamped
    mov edx, MAX_FRAMES
.clamped:
    cmp eax, edx
    jae .done
    lea edi, [frames + eax]
    sub edx, eax
    mov al, cl
    mov ecx, edx
    cld
    rep stosb
.done:
    popad
    ret

section .data
banner:     db "sigma0: ", 0
banner_end: db " KB free for tasks", 13, 10, 0

section .bss
kip:         resd 1
kip_frame:   resd 1
frame_count: resd 1
free_kb:     resd 1
client_task: resd 1
region_log2: resd 1
region_frames: resd 1
frames:      resb MAX_FRAMES
             resb 4096
stack_top:
