; kdebug — the kernel-debugger interface (int3 protocol): every output
; operation, enter_kdebug logging and going on (a headless kernel does not
; stop), trace notes, and every register preserved across each call.
; Input is tested by kdebug-input.asm.
%include "testing.inc"

section .text
_start:
    start_pager
    mov ebx, 0xB0B0B0B0
    mov ecx, 0xC0C0C0C0
    mov edx, 0xD0D0D0D0
    mov esi, 0x51515151
    mov edi, 0xD1D1D1D1
    mov ebp, 0xB9B9B9B9
    outchar '['
    outstring text
    outchar ']'
    outstring newline
    mov eax, 0x1234ABCD
    kdebug_raw 5                    ; hex, 8 digits
    outchar ' '
    kdebug_raw 6                    ; hex, 5 digits
    outchar ' '
    kdebug_raw 7                    ; 4
    outchar ' '
    kdebug_raw 8                    ; 3
    outchar ' '
    kdebug_raw 9                    ; 2
    outchar ' '
    kdebug_raw 10                   ; 1
    outchar ' '
    mov eax, 4294967295
    kdebug_raw 11                   ; decimal
    outchar ' '
    mov eax, counted
    kdebug_raw 1                    ; a string with its length first
    outstring newline
    check_eq eax, counted, "EAX is preserved by the output operations"
    check_eq ebx, 0xB0B0B0B0, "EBX is preserved"
    check_eq ecx, 0xC0C0C0C0, "ECX is preserved"
    check_eq edx, 0xD0D0D0D0, "EDX is preserved"
    check_eq esi, 0x51515151, "ESI is preserved"
    check_eq edi, 0xD1D1D1D1, "EDI is preserved"
    check_eq ebp, 0xB9B9B9B9, "EBP is preserved"
    kd_display "kd_display prints without a newline|"
    outstring newline
    enter_kdebug "*a trace note"
    enter_kdebug "enter_kdebug: logged, and the program goes on"
    check_eq ebx, 0xB0B0B0B0, "enter_kdebug preserves the registers"

    check_done

section .data
text:    db "outstring, a NUL-terminated string", 0
newline: db 13, 10, 0
counted: db 7, "counted", "not this"
testing_end
