; The model's benchmark loops (machine_model::workload) as a multiboot
; kernel, for `cargo xtask bench model --peers`: QEMU and v86 run it, and
; the benchmark times ITERATIONS and twice as many, so that booting drops
; out of the difference. Assembled with `-D ITERATIONS=N`, and `-D PAGING=1`
; for the 64-page loop.
;
; Integer loop: the model's five instructions (add, xor, inc, dec, jnz),
; 1,000 times, then two for the outer count: 5,002 instructions per
; iteration. 64-page loop: the model's body (a dword read from each of 64
; pages, 5 instructions a page), three sweeps, then `mov cr3` — the model's
; host loads CR3 every 1,000 instructions; here every 974.
; Both run in ring 0 (the model runs them in ring 3: the same instructions).
; The end: a byte on COM1 (v86 reports it) and isa-debug-exit (QEMU stops).

MULTIBOOT_MAGIC equ 0x1BADB002
DIRECTORY       equ 0x00300000          ; the page directory, then two tables
TABLES          equ 0x00301000
DATA            equ 0x00500000          ; the 64 pages the paging loop reads

section .text
_start:
    jmp start
    align 4
    dd MULTIBOOT_MAGIC
    dd 0
    dd -MULTIBOOT_MAGIC
start:
    mov esp, 0x00200000
%ifdef PAGING
    ; Identity-map 8 MB with 4 KB pages, then turn paging on.
    mov edi, TABLES
    mov eax, 3                          ; present, writable
.entry:
    mov [edi], eax
    add eax, 0x1000
    add edi, 4
    cmp edi, TABLES + 2 * 4096
    jb .entry
    mov dword [DIRECTORY], TABLES + 3
    mov dword [DIRECTORY + 4], TABLES + 4096 + 3
    mov eax, DIRECTORY
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    mov ebp, ITERATIONS
.outer:
    mov edi, 3
.sweep:
    mov esi, DATA
.page:
    mov eax, [esi]
    add ebx, eax
    add esi, 0x1000
    cmp esi, DATA + 64 * 0x1000
    jb .page
    dec edi
    jnz .sweep
    mov eax, cr3
    mov cr3, eax
    dec ebp
    jnz .outer
%else
    mov esi, ITERATIONS
.outer:
    mov ecx, 1000
.loop:
    add eax, ebx
    xor edx, eax
    inc ebx
    dec ecx
    jnz .loop
    dec esi
    jnz .outer
%endif
    mov dx, 0x3F8
    mov al, 'D'
    out dx, al
    mov dx, 0xF4
    xor al, al
    out dx, al
.halt:
    hlt
    jmp .halt
