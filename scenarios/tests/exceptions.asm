; exceptions — the instructions the kernel emulates or reflects: `hlt` as the
; version query, `lidt` setting a thread's virtual IDT, CPU exceptions
; delivered through it (an iret frame on the user stack), and a thread
; without a virtual IDT removed when it faults.
;
; [X0M] §2.4.2: the virtual IDT covers the exceptions 0..31 and "the length
; field of the IDT vector is not interpreted" (Hazelnut reads only the
; base); an `int n` is not an exception but "will always raise a #GP", with
; error code 8n + 2 and the EIP of the int, for the #GP handler to emulate.
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
at_int:
    int 0x50
    check_eq dword [handled], 13, "int 0x50 raised a #GP, which went to the handler of vector 13"
    check_eq dword [seen_error], 0x50 * 8 + 2, "with error code 8n + 2"
    check_eq dword [seen_eip], at_int, "and the EIP of the int"

    mov dword [handled], 0xFF
    xor ecx, ecx
    xor edx, edx
    mov eax, 7
    div ecx                         ; #DE (2 bytes; the handler skips it)
    check_eq dword [handled], 0, "a divide error went to vector 0"

    mov dword [handled], 0xFF
    ud2                             ; #UD (2 bytes)
    check_eq dword [handled], 6, "an invalid opcode went to vector 6"

; No floating point (docs/ABI.md): CR0.EM is set, so an x87 instruction
; raises #NM, on the model and on a CPU that has an FPU alike.
    mov dword [handled], 0xFF
    fld1                            ; #NM (2 bytes)
    check_eq dword [handled], 7, "an x87 instruction went to vector 7 (no FPU)"

; The IDT's limit is not interpreted: with limit 0, a #GP (cli at IOPL 0)
; still reaches the handler.
    lidt [idt_register_limit_0]
    mov dword [handled], 0xFF
at_cli:
    cli
    check_eq dword [handled], 13, "with the IDT's limit 0, cli's #GP reaches the handler of vector 13"
    check_eq dword [seen_error], 0, "with error code 0"
    check_eq dword [seen_eip], at_cli, "and the EIP of the cli"

; A task without a virtual IDT is removed when it raises an exception.
    l4_task_new DOOMED_ID, 255, doomed_stack_top, doomed, PAGER_ID
    ipc_sleep (2 << 24) | 10        ; 2 ms: it runs, faults in its code, and meets its ud2
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_NIL, L4_IPC_POLL, DOOMED_ID, 0, 0, 0
    check_masked eax, 0xF0, L4_IPC_ENOT_EXISTENT, "a thread without a virtual IDT is gone after #UD"
    check_done

handler_general_protection:
    mov dword [handled], 13
    push eax
    mov eax, [esp + 4]              ; the error code
    mov [seen_error], eax
    mov eax, [esp + 8]              ; EIP
    mov [seen_eip], eax
    cmp byte [eax], 0xCD            ; int n: 2 bytes; cli: 1
    jne .one
    inc dword [esp + 8]
.one:
    inc dword [esp + 8]
    pop eax
    add esp, 4                      ; drop the error code
    iret
handler_divide:
    mov dword [handled], 0
    add dword [esp], 2
    iret
handler_invalid:
    mov dword [handled], 6
    add dword [esp], 2
    iret
handler_no_fpu:
    mov dword [handled], 7
    add dword [esp], 2
    iret

doomed:
    ud2
    ipc_sleep L4_IPC_NEVER

section .data
idt_register:
    dw 32 * 8 - 1
    dd idt
idt_register_limit_0:
    dw 0
    dd idt
    align 8
idt:
    gate handler_divide             ; 0
    times 5 dq 0
    gate handler_invalid            ; 6
    gate handler_no_fpu             ; 7
    times 5 dq 0
    gate handler_general_protection ; 13
    times 32 - 14 dq 0

section .bss
handled:    resd 1
seen_eip:   resd 1
seen_error: resd 1
          resb 4096
doomed_stack_top:
testing_end
