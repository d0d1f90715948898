; interrupts — interrupts as IPC: associate an IRQ by a closed receive from
; irq + 1 with timeout 0, the kernel keeps the timer, delivery as a message
; from irq + 1 (closed and open receive), acknowledgement by the next
; receive, detaching by a receive from nil with timeout 0, a taken IRQ
; refused to a second thread. The source: COM1's transmitter-empty
; interrupt (IRQ 4), on the model's UART.
; test: nondeterministic
%include "testing.inc"

UART_IRQ_ID equ 4 + 1
TIMER_ID    equ 0 + 1
HELPER_ID   equ 0x04040801          ; the root task's lthread 2
ATTACH      equ 0x01                ; timeouts: receive 0 (send ∞)
WAIT_10MS   equ (10 << 24) | 10     ; receive 10·4^5 µs

section .text
_start:
    start_pager
    l4_ipc L4_IPC_NIL, L4_IPC_SHORT_MSG, ATTACH, TIMER_ID, 0, 0, 0
    check_masked eax, 0xF0, L4_IPC_ENOT_EXISTENT, "the timer's IRQ 0 stays the kernel's: 0x10"
    l4_ipc L4_IPC_NIL, L4_IPC_SHORT_MSG, ATTACH, UART_IRQ_ID, 0, 0, 0
    check_masked eax, 0xF0, L4_IPC_RETIMEOUT, "attaching IRQ 4: 0x20"

    mov dx, 0x3F9
    mov al, 0x02                    ; IER: transmitter-empty interrupts (an I/O fault: sigma0 maps the port)
    out dx, al
    l4_ipc L4_IPC_NIL, L4_IPC_SHORT_MSG, WAIT_10MS, UART_IRQ_ID, 0, 0, 0
    check_eq eax, 0, "the interrupt arrives as a message"
    check_eq esi, UART_IRQ_ID, "from irq + 1"
    mov dx, 0x3FA
    in al, dx                       ; IIR: reading it clears the transmit interrupt
    check_masked eax, 0x0F, 0x02, "the UART says: transmitter empty"

    mov dx, 0x3F8
    mov al, '*'
    out dx, al                      ; a byte out: the transmitter empties again
    ipc_wait
    check_eq esi, UART_IRQ_ID, "an open receive also takes the interrupt (and acknowledged the first)"
    mov dx, 0x3FA
    in al, dx

; Detach; then the IRQ is free for another thread, and taken for us.
    l4_ipc L4_IPC_NIL, L4_IPC_SHORT_MSG, ATTACH, L4_NIL_ID, 0, 0, 0
    check_masked eax, 0xF0, L4_IPC_RETIMEOUT, "detaching: receive from nil with timeout 0"
    l4_lthread_ex_regs 2, helper_stack_top, helper, L4_INVALID_ID, SIGMA0_ID
    ipc_receive HELPER_ID
    check_masked edx, 0xF0, L4_IPC_RETIMEOUT, "another thread attaches the free IRQ 4"
    l4_ipc L4_IPC_NIL, L4_IPC_SHORT_MSG, ATTACH, UART_IRQ_ID, 0, 0, 0
    check_masked eax, 0xF0, L4_IPC_ENOT_EXISTENT, "a taken IRQ: 0x10"
    mov dx, 0x3F9
    xor al, al
    out dx, al
    check_done

helper:
    l4_ipc L4_IPC_NIL, L4_IPC_SHORT_MSG, ATTACH, UART_IRQ_ID, 0, 0, 0
    ipc_send ROOT_TASK_ID, eax, 0, 0
    ipc_sleep L4_IPC_NEVER

section .bss
          resb 4096
helper_stack_top:
testing_end
