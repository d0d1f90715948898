; kdebug-input — the kernel debugger's console input: blocking inchar and
; the non-blocking read, with "xy\n" typed for the console.
; Not compared between the model and QEMU: on a real UART (and in QEMU) the
; bytes arrive one at a time, whenever the line delivers them, so whether an
; inchar finds its byte waiting or blocks until the next timer tick (and so
; the kernel's events) depends on timing. The model and QEMU must still agree
; on the console output.
; test: input=xy\n
; test: nondeterministic
%include "testing.inc"

section .text
_start:
    start_pager
; Input: "xy\n" was queued for the console.
    inchar
    check_masked eax, 0xFF, 'x', "inchar: the first character"
    inchar
    check_masked eax, 0xFF, 'y', "inchar: the second"
    kdebug_raw 12                   ; non-blocking read
    check_eq eax, 10, "non-blocking read: the newline"
    kdebug_raw 12
    check_eq eax, 0xFFFFFFFF, "non-blocking read with nothing left: -1"
    check_done
testing_end
