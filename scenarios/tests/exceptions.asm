; exceptions — the instructions the kernel emulates or reflects: `hlt` as the
; version query, `lidt` setting a thread's virtual IDT, `int n` and CPU
; exceptions delivered through it (an iret frame on the user stack), and a
; thread without a virtual IDT removed when it faults.
%include "testing.inc"

DOOMED_ID   equ 0x04050001

; gate HANDLER — a virtual IDT entry: the kernel takes the offset from bytes 0..1 and 6..7.
%macro gate 1
    dw (%1) & 0xFFFF
    dw 0x1B
    dw 0xEE00
    dw (%1) >> 16
%endmacro

section .text
_start:
    start_pager
    hlt
    check_eq eax, 0xB0400003, "hlt: the version word (X API 0xB0)"
    lidt [idt_register]
    check_eq dword [handled], 0, "lidt is emulated: nothing happened yet"

    mov dword [handled], 0xFF
    int 0x50
after_int:
    check_eq dword [handled], 0x50, "int 0x50 went to the virtual IDT's handler"
    check_eq dword [seen_eip], after_int, "which saw the return EIP after the int"

    mov dword [handled], 0xFF
    xor ecx, ecx
    xor edx, edx
    mov eax, 7
    div ecx                         ; #DE (2 bytes; the handler skips it)
    check_eq dword [handled], 0, "a divide error went to vector 0"

    mov dword [handled], 0xFF
    ud2                             ; #UD (2 bytes)
    check_eq dword [handled], 6, "an invalid opcode went to vector 6"

; A task without a virtual IDT is removed when it raises an exception.
    l4_task_new DOOMED_ID, 255, doomed_stack_top, doomed, PAGER_ID
    ipc_sleep (2 << 24) | 10        ; 2 ms: it runs, faults in its code, and meets its ud2
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_NIL, L4_IPC_POLL, DOOMED_ID, 0, 0, 0
    check_masked eax, 0xF0, L4_IPC_ENOT_EXISTENT, "a thread without a virtual IDT is gone after #UD"
    check_done

handler_int:
    mov dword [handled], 0x50
    mov eax, [esp]
    mov [seen_eip], eax
    iret
handler_divide:
    mov dword [handled], 0
    add dword [esp], 2
    iret
handler_invalid:
    mov dword [handled], 6
    add dword [esp], 2
    iret

doomed:
    ud2
    ipc_sleep L4_IPC_NEVER

section .data
idt_register:
    dw 0x51 * 8 - 1
    dd idt
    align 8
idt:
    gate handler_divide             ; 0
    times 5 dq 0
    gate handler_invalid            ; 6
    times 0x50 - 7 dq 0
    gate handler_int                ; 0x50

section .bss
handled:  resd 1
seen_eip: resd 1
          resb 4096
doomed_stack_top:
testing_end
