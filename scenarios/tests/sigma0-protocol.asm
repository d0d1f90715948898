; sigma0-protocol — our sigma0 against the X.0 sigma0 protocol, old and new
; forms: any page, a given frame, a 4 MB frame, the kernel info page, an
; exact fpage, any region of a size, release, refusals (kernel memory, a
; frame another task holds), dedicated memory (the VGA text frame) and I/O
; ports.
%include "testing.inc"

OTHER_ID    equ 0x04050001
WINDOW      equ L4_WHOLE_SPACE | 2  ; rmap: accept mappings anywhere

; request W0, W1, W2 — call sigma0.
%macro request 3
    l4_ipc L4_IPC_SHORT_MSG, WINDOW, L4_IPC_NEVER, SIGMA0_ID, %1, %2, %3
%endmacro

section .text
_start:
    start_pager
; Old protocol.
    request 0xFFFFFFFC, 0, 0
    check_masked eax, 0xF2, 2, "any page: a mapping arrives"
    check_masked ebx, 0xFFF, (12 << 2) | FPAGE_WRITE, "a writable 4 KB fpage"
    mov [any_page], edx
    mov dword [edx], 0x600DF00D
    mov eax, [any_page]
    check_eq dword [eax], 0x600DF00D, "the page is ours to write (sigma0 maps 1:1)"

    request 0x00500000, 0, 0
    check_eq ebx, 0x00500000 | (12 << 2) | FPAGE_WRITE, "a given frame: that frame"
    mov dword [0x00500000], 0x55AA55AA
    request 0x00500000, 0, 0
    check_masked eax, 0xF2, 2, "asking for one's own frame again is fine"
    check_eq dword [0x00500000], 0x55AA55AA, "and changes nothing"

    request 1, 1, 0
    check_masked eax, 0xF2, 2, "the kernel info page (old form)"
    mov [kip], edx
    check_eq dword [edx], 0x4BE6344C, "its magic: L4µK"
    mov eax, [kip]
    check_masked dword [eax + 0x64], 0xFFF, 0, "main memory ends on a page boundary"
    check_masked ebx, FPAGE_WRITE, 0, "and it is read-only"
    request 1, 0, 0
    check_masked eax, 0xF2, 2, "the kernel info page (new form)"

    request 0x40000000 + 0x00800000, 0, 0
    check_eq ebx, 0x00800000 | (22 << 2) | FPAGE_WRITE, "a 4 MB frame (old form: frame + 1 GB)"
    mov dword [0x00800000], 0x44444444
    mov dword [0x00BFF000], 0x88888888
    check_eq dword [0x00800000], 0x44444444, "its first page"
    check_eq dword [0x00BFF000], 0x88888888, "and its last page are ours"

; New protocol.
    request 3, 0, 0x00C00000 | (14 << 2) | 3
    check_eq ebx, 0x00C00000 | (14 << 2) | FPAGE_WRITE, "an exact fpage: 16 KB at 12 MB"
    mov dword [0x00C03000], 0x16161616
    check_eq dword [0x00C03000], 0x16161616, "all four pages of it"

    request 3, 0, (16 << 2) | 1
    check_masked ebx, 0xFFFF, (16 << 2) | FPAGE_WRITE, "any 64 KB region: a 64 KB fpage"
    and ebx, 0xFFFF0000
    mov dword [ebx + 0xFFFC], 0x64646464
    check_eq dword [ebx + 0xFFFC], 0x64646464, "naturally aligned, all ours"

    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_NIL, L4_IPC_NEVER, SIGMA0_ID, 0, 0, 0x00500000 | (12 << 2) | 2
    check_eq eax, 0, "release: a send (sigma0 does not answer it)"
    request 0x00500000, 0, 0
    check_masked eax, 0xF2, 2, "the released frame can be had again"

; Refusals.
    request 0x00200000, 0, 0
    check_eq eax, 0, "kernel memory: a register answer"
    check_eq edx, 0, "with w0 = 0 (refused)"
    l4_task_new OTHER_ID, 255, other_stack_top, other, PAGER_ID
    ipc_receive OTHER_ID
    check_masked edx, 0xF2, 2, "another task got frame 0x600000"
    request 0x00600000, 0, 0
    check_eq edx, 0, "so sigma0 refuses it to us"

; Dedicated memory and I/O ports.
    request 0x000B8000, 0, 0
    check_eq ebx, 0x000B8000 | (12 << 2) | FPAGE_WRITE, "the VGA text frame (dedicated memory)"
    mov word [0x000B8000], 0x1F41   ; 'A', white on blue
    request 3, 0, 0xF0000000 | (0x3F8 << 12) | (3 << 2)
    check_masked eax, 0xF2, 2, "I/O ports 0x3F8..0x3FF"
    mov dx, 0x3FD
    in al, dx
    check_masked eax, 0x20, 0x20, "reading the UART's line status works (its transmitter is empty)"
    check_done

; Its report is a call the root task never answers: it is never ready
; again, so no timer tick can hand it the CPU in the middle of the root
; task's requests (and the kernel event traces of the model and of QEMU
; agree whatever the timing).
other:
    l4_ipc L4_IPC_SHORT_MSG, WINDOW, L4_IPC_NEVER, SIGMA0_ID, 0x00600000, 0, 0
    ipc_call ROOT_TASK_ID, eax, 0, 0
    ipc_sleep L4_IPC_NEVER

section .bss
any_page: resd 1
kip:      resd 1
          resb 4096
other_stack_top:
testing_end
