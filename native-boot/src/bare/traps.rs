//! Kernel entry and exit.
//!
//! Every vector has a stub that leaves a uniform frame on the kernel stack
//! (a zero where the CPU pushes no error code, the vector, the general
//! registers) and calls [`super::native_trap`]. The IDT gates of the page
//! fault, `int 0x30` and `int 0x31` lead to the fast paths instead
//! (`fastpath.rs`; a jump through a stub cost 3 cycles an IPC), which fall
//! back to the general entry as their stubs would. `native_trap` never returns: it
//! leaves through [`resume_user`] into whichever thread the kernel chose, or
//! through [`idle`]. Both reset the stack pointer to the top of the kernel
//! stack, so the one kernel stack never grows across entries — the event
//! driven kernel of DESIGN.md.

use kernel::Frame;

/// The registers as the stubs leave them (pushad order, then vector and
/// error code, then what the CPU pushed).
#[repr(C)]
#[derive(Debug)]
pub struct TrapFrame {
    pub edi: u32,
    pub esi: u32,
    pub ebp: u32,
    pub esp_at_pushad: u32,
    pub ebx: u32,
    pub edx: u32,
    pub ecx: u32,
    pub eax: u32,
    pub vector: u32,
    pub error_code: u32,
    pub eip: u32,
    pub cs: u32,
    pub eflags: u32,
    /// Only when the CPU came from ring 3.
    pub user_esp: u32,
    pub user_ss: u32,
}

impl TrapFrame {
    /// Ring 3, or virtual-8086 mode: there CS is a real-mode paragraph
    /// whose low bits mean nothing, and the CPU pushed ES, DS, FS and GS
    /// after SS (left on the stack: the exit resets the stack pointer).
    /// No kernel path enters virtual-8086 mode; a user `iret` does on QEMU,
    /// which does not check the CPL as the i486 and Pentium do
    /// (docs/ABI.md, "Virtual-8086 mode").
    pub fn came_from_user(&self) -> bool {
        self.cs & 3 == 3 || self.eflags & ia32::registers::eflags::VM != 0
    }

    /// The interrupted user thread's registers.
    pub fn user_frame(&self) -> Frame {
        Frame {
            registers: [self.eax, self.ecx, self.edx, self.ebx, self.user_esp, self.ebp, self.esi, self.edi],
            eip: self.eip,
            eflags: self.eflags,
        }
    }
}

unsafe extern "C" {
    static trap_stub_table: [usize; 256];
    fn resume_user_stub(frame: *const Frame, reload_segments: u32) -> !;
    fn idle_stub() -> !;
}

/// Entry addresses for the IDT: the 256 stubs, but the fast paths for
/// vectors 14 (page fault), 0x30 and 0x31.
pub static STUBS: &[usize; 256] = {
    // Safety: the table is defined in the assembly below and never written.
    unsafe { &trap_stub_table }
};

/// The frame handed to the exit path when the caller's lies where the exit
/// pushes: a static, because the exit resets the stack to its top.
static mut EXIT_FRAME: Frame = Frame { registers: [0; 8], eip: 0, eflags: 0 };

/// The exit stub pushes its 13 words (the 5 of the `iret` frame, the 8 for
/// `popad`) here and above, up to the kernel stack's top: inside where a
/// trap's own frame was (the CPU's words, the error code and vector,
/// `pushad`), above every Rust local of the entry.
const EXIT_PUSHES_FROM: usize = kernel::layout::window(kernel::layout::KERNEL_STACK_TOP) as usize - 13 * 4;
const _: () = assert!(
    kernel::layout::window(kernel::layout::KERNEL_STACK_TOP) == 0xF040_0000,
    "the stubs below reset ESP to this top"
);

/// Return to user mode with `frame`'s registers (and the flat user
/// selectors). DS, ES, FS and GS are always reloaded: the kernel ran with
/// its own DS and ES, the user descriptors may have changed (a small-space
/// switch, `reload_segments`), and a thread that loaded other selectors
/// must not pass them on to the next (X.0 lets the kernel reset them).
pub fn resume_user(frame: &Frame, reload_segments: bool) -> ! {
    let mut source = frame as *const Frame;
    // A frame below the words the stub pushes (every entry's: Rust's
    // locals lie below the trap's frame) is read where it is; one that
    // could overlap them is copied out first.
    if source as usize + core::mem::size_of::<Frame>() > EXIT_PUSHES_FROM {
        // Safety: single CPU, interrupts off in the kernel; EXIT_FRAME is
        // only touched here and read by the stub before it irets.
        unsafe {
            let exit = core::ptr::addr_of_mut!(EXIT_FRAME);
            exit.write(*frame);
            source = exit;
        }
    }
    // Safety: `source` is a whole frame outside the stub's pushes (checked
    // above); the stub leaves the kernel for good.
    unsafe { resume_user_stub(source, reload_segments as u32) }
}

/// Wait for an interrupt with nothing to run.
pub fn idle() -> ! {
    // Safety: the stub discards the kernel stack and halts with interrupts
    // on; the next interrupt enters through its gate as usual.
    unsafe { idle_stub() }
}

core::arch::global_asm!(
    r#"
    .section .text.trap_stubs, "ax"
    .altmacro
    .macro stub vector
    .balign 8
trap_stub_\vector:
    .if (\vector == 8) || (\vector == 10) || (\vector == 11) || (\vector == 12) || (\vector == 13) || (\vector == 14) || (\vector == 17)
    .else
    push 0
    .endif
    push \vector
    jmp trap_common
    .endm

    .set vector, 0
    .rept 256
    stub %vector
    .set vector, vector + 1
    .endr

    .global trap_common
trap_common:
    pushad
    mov eax, 0x10
    mov ds, eax
    mov es, eax
    cld
    push esp
    call native_trap
    ud2

    .global resume_user_stub
resume_user_stub:
    mov esi, [esp + 4]
    mov esp, 0xF0400000
    push 0x23
    push dword ptr [esi + 16]
    push dword ptr [esi + 36]
    push 0x1B
    push dword ptr [esi + 32]
    push dword ptr [esi + 0]
    push dword ptr [esi + 4]
    push dword ptr [esi + 8]
    push dword ptr [esi + 12]
    push 0
    push dword ptr [esi + 20]
    push dword ptr [esi + 24]
    push dword ptr [esi + 28]
    mov eax, 0x23
    mov ds, eax
    mov es, eax
    mov fs, eax
    mov gs, eax
    popad
    iretd

    .global idle_stub
idle_stub:
    mov esp, 0xF0400000
    sti
2:
    hlt
    jmp 2b

    .section .rodata.trap_stub_table, "a"
    .balign 4
    .global trap_stub_table
trap_stub_table:
    .macro stub_address vector
    .if \vector == 14
    .long page_fault_fastpath
    .elseif \vector == 0x30
    .long ipc_fastpath
    .elseif \vector == 0x31
    .long id_nearest_fastpath
    .else
    .long trap_stub_\vector
    .endif
    .endm
    .set vector, 0
    .rept 256
    stub_address %vector
    .set vector, vector + 1
    .endr
"#
);
