; hello — the smallest root task: print through the kernel debugger, then
; end the run. The `out` of debug_exit faults (the task holds no I/O ports);
; the kernel turns that into an I/O-fault IPC to sigma0, which maps port
; 0xF4, and the `out` runs again.
%include "l4.inc"

section .text
_start:
    mov esp, stack_top
    outstring greeting
    l4_myself
    outstring my_id
    outhex32 esi
    outstring newline
    debug_exit DEBUG_EXIT_SUCCESS
.halt:
    jmp .halt

section .data
greeting: db "hello from the root task", 13, 10, 0
my_id:    db "my thread id is ", 0
newline:  db 13, 10, 0

section .bss
          resb 4096
stack_top:
