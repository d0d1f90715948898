//! The fast paths in assembly: `int 0x30` (IPC), `int 0x31` (id_nearest)
//! and the page fault (vector 14) enter here, not through the uniform stubs.
//! The IPC path is described first; the page fault's shares its second
//! half (the macro `receiver_runs`), and docs/ARCHITECTURE.md ("The IPC
//! fast path", "The null call", "The page fault") has all three.
//!
//! Why assembly: the Rust kernel's fast path (`kernel::fastpath`) costs
//! ~470 instructions natively — the uniform entry stub, a copy of the whole
//! register frame into a Rust value, into the TCB, out of the TCB, into the
//! exit frame, and pushed again for `iret`. Liedtke's L3 did the whole IPC
//! in ~100 instructions; this path takes ~130, by doing what Rust cannot be
//! told to do: the message words (EDX, EBX, EDI) never leave their
//! registers, the caller's registers are stored once into its TCB, the
//! receiver's few (ECX, EBP, EIP, EFLAGS, ESP) are loaded from its TCB into
//! the registers and the CPU's own `iret` frame, which stays where the
//! entry put it. Its instructions are chosen for both CPUs: fields that
//! share an aligned word tested together from one load, register compares
//! (they pair with their jump) rather than memory compares with a
//! constant, no load that is not aligned (3 clocks more on both), and,
//! where the order allows, no address register used right after it is
//! written (an interlock on both). The kernel's data is laid out for it:
//! task records of 32 bytes and an index table of TCB offsets, both found
//! from a thread id by shifts and masks (`kernel::fastpath::assembly`).
//!
//! It is a line of guards, each falling back to the general entry (the stub's
//! `push 0; push 0x30; jmp trap_common`) with the user's registers as they
//! were, then the writes — the guards and the writes of
//! `Kernel::fast_ipc`, in the same order, on the same fields (offsets from
//! `kernel::fastpath::assembly`), plus the cases the Rust side names in
//! `Kernel::assembly_takes` (the model charges `Path::IpcFast` exactly
//! when this path would run). With kernel events on it calls
//! [`fastpath_report`], which reports the same events as the Rust path;
//! with them off it does no event work at all.
//!
//! Kernel memory is reached through DS = the kernel's data segment: the
//! user's DS may be anything (even null), so it is loaded first; the exit
//! loads the flat user selector into DS, ES, FS and GS, as the general exit
//! does (and the model at every return to user mode): a thread that nulled
//! ES before its call must not hand that to the receiver.

use super::hardware::NativeHardware;
use super::{KERNEL, MACHINE};
use kernel::fastpath::assembly as at;
use kernel::layout::selector;

// The arithmetic below relies on these sizes.
const _: () = assert!(at::TASK_SIZE == 1 << at::TASK_SHIFT, "a task record is found by a shift");
const _: () = assert!(at::TCB_SHIFT == 8, "a TCB is 256 bytes");
const _: () = assert!(at::USER_WINDOW_SIZE.is_power_of_two(), "USER_WINDOWS is indexed by a shift");
const _: () = assert!(at::USER_WINDOW_SIZE == 32, "a user window is 32 bytes");
// A TCB's state, priority, flags and irq are one word (read as one: the
// caller's flags and irq tested together, the receiver's state and flags).
const _: () = assert!(
    at::TCB_PRIORITY == at::TCB_STATE + 1 && at::TCB_FLAGS == at::TCB_STATE + 2 && at::TCB_IRQ == at::TCB_STATE + 3,
    "state, priority, flags, irq: the bytes of one word"
);

/// `NativeHardware::events` (a bool), tested as a byte of the aligned word
/// it lies in: a load and a register test take a clock less than a compare
/// of memory with a constant.
const EVENTS_WORD: usize = core::mem::offset_of!(NativeHardware, events) & !3;
const EVENTS_MASK: u32 = 0xFF << (8 * (core::mem::offset_of!(NativeHardware, events) & 3));
const _: () = assert!(
    EVENTS_WORD + 4 <= core::mem::size_of::<NativeHardware>() && core::mem::align_of::<NativeHardware>() >= 4,
    "the word that holds `events` lies inside the machine and is aligned"
);

/// The events of the IPC the assembly just made, when kernel events are on:
/// `caller_tcb` is the caller's TCB offset, `switched` 1 when CR3 was
/// loaded, 2 when a small-space window was. The receiver is the kernel's
/// current thread by now.
#[unsafe(no_mangle)]
extern "C" fn fastpath_report(caller_tcb: u32, switched: u32) {
    // Safety: called from the fast path in ring 0 with interrupts off, DS,
    // ES and the direction flag set up for Rust; nothing else holds them.
    let (kernel, mut hardware) = unsafe { super::kernel_and_machine() };
    kernel.report_fast_ipc(&mut hardware, tcb_index(caller_tcb));
    report_switch(kernel, &mut hardware, switched);
}

/// The events of the page fault the assembly just delivered, when kernel
/// events are on: `faulter_tcb` is the faulting thread's TCB offset,
/// `switched` as for [`fastpath_report`]. The pager is current by now.
#[unsafe(no_mangle)]
extern "C" fn fault_fastpath_report(faulter_tcb: u32, switched: u32) {
    // Safety: as for `fastpath_report`; CR2 still holds the fault's address
    // (nothing faulted since).
    let (kernel, mut hardware) = unsafe { super::kernel_and_machine() };
    let address = super::read_cr2();
    kernel.report_fast_fault(&mut hardware, tcb_index(faulter_tcb), address);
    report_switch(kernel, &mut hardware, switched);
}

/// The index of the TCB at `offset` in the TCB array.
fn tcb_index(offset: u32) -> u16 {
    (offset >> at::TCB_SHIFT) as u16
}

/// What the fast paths' switch of address space or window did: `switched`
/// 1 when CR3 was loaded, 2 when a small-space window was.
fn report_switch(kernel: &kernel::Kernel, hardware: &mut NativeHardware, switched: u32) {
    let task = kernel.current_thread().task();
    if switched == 1 {
        kernel.report_space_switch(hardware, task);
    } else if switched == 2 {
        kernel.report_small_space(hardware, task);
    }
}

// Safety: entered only through the IDT gates of vectors 0x30 and 0x31
// (interrupt gates of DPL 3: interrupts off) from ring 3 or virtual-8086
// mode, and of vector 14 (DPL 0: an exception, from any ring) — on the
// kernel stack the TSS names when from ring 3 or virtual-8086 mode, with
// the CPU's iret frame at [esp] (after the error code for vector 14). Each
// path checks that it came from ring 3 (the gates of 0x30 and 0x31 admit
// only ring 3) and not virtual-8086 mode before it touches kernel memory.
// Every guard that fails restores the user's registers before it takes the
// general entry; the writes begin only
// when every guard has passed, and touch only the kernel state at the
// offsets the kernel crate computed for these very fields.
core::arch::global_asm!(
    r#"
    .section .text.fastpath, "ax"
    .noaltmacro
    # A TCB is named by its offset in the TCB array (index × 256), and
    # reached at [reg + tcb_array + field]: the address itself is never
    # computed.
    .set tcb_array, {kernel} + {tcbs}
    # A task's record is at [reg + task_table + field], the register
    # holding the task's number × 32.
    .set task_table, {kernel} + {tasks}
    #
    # What both fast paths do once the receiver (ECX: its TCB; EDI: its
    # task × 32) is chosen and the caller (EAX: its TCB) waits: the
    # receiver becomes current and runs, with the message in EDX, EBX and
    # EDI. `kind` is ipc or fault (EDI is then 0), `window` the label of the
    # window switch (the calibration looks for it), `report` the Rust
    # function reporting the events.
    .macro receiver_runs kind, window, report
    # The receiver runs: current, its user segment window and address space
    # (`Kernel::switch_space`). A large space after a large space (the
    # common case, and the only one without small spaces) keeps the window:
    # the task's small-space id (the top byte of its record's first word)
    # is 0 and the loaded window's base is 0. EDI then counts what to
    # report: 1 = CR3 loaded, 2 = a small window loaded.
    mov ebp, ecx
    shr ebp, {tcb_shift}
    mov word ptr [{kernel} + {current}], bp
    mov esi, [task_table + edi]
    and esi, {task_small_mask}
    or esi, [{kernel} + {loaded_window_base}]
    jnz 20f
    mov ebp, [task_table + edi + {task_directory}]
    xor edi, edi
21:
    cmp ebp, [{kernel} + {loaded_directory}]
    je 6f
    test ebp, ebp
    jz 6f
    mov [{kernel} + {loaded_directory}], ebp
    mov cr3, ebp
    inc dword ptr [{kernel} + {space_switches}]
    jz 34f
35:
    inc edi
6:
    # The receiver's EIP, EFLAGS (user flags only, IF on) and ESP into the
    # CPU's iret frame; CS and SS are the same for every thread.
    mov ebp, [ecx + tcb_array + {frame} + {frame_eip}]
    mov [esp], ebp
    mov ebp, [ecx + tcb_array + {frame} + {frame_eflags}]
    and ebp, {user_flags}
    or ebp, {exit_flags}
    mov [esp + 8], ebp
    mov ebp, [ecx + tcb_array + {frame} + {frame_esp}]
    mov [esp + 12], ebp
    mov ebp, [{machine} + {events_word}]
    test ebp, {events_mask}
    jnz 8f
7:
    # The message words are still in EDX, EBX and (reloaded, or 0 for a
    # page fault) EDI; the result is 0 and the source the caller.
    mov esi, [eax + tcb_array + {tcb_id}]
    .ifc \kind,ipc
    mov edi, [eax + tcb_array + {frame} + {frame_edi}]
    .else
    xor edi, edi
    .endif
    mov ebp, [ecx + tcb_array + {frame} + {frame_ebp}]
    mov ecx, [ecx + tcb_array + {frame} + {frame_ecx}]
    mov eax, {user_data}
    mov ds, eax
    mov es, eax
    mov fs, eax
    mov gs, eax
    xor eax, eax
    iretd
8:
    # Kernel events on: report them in Rust (DS, ES and DF as Rust wants
    # them; the exit at 7 loads ES again).
    push eax
    push ecx
    push edx
    mov ebp, {kernel_data}
    mov es, ebp
    cld
    push edi
    push eax
    call \report
    add esp, 8
    pop edx
    pop ecx
    pop eax
    jmp 7b
20:
    # Another window may be due: ESI = the offset of the task's entry in
    # USER_WINDOWS.
    movzx esi, byte ptr [task_table + edi + {task_small}]
    shl esi, {user_window_shift}
    mov ebp, [esi + {user_windows} + {window_base}]
    cmp ebp, [{kernel} + {loaded_window_base}]
    jne \window
    mov ebp, [esi + {user_windows} + {window_bytes}]
    cmp ebp, [{kernel} + {loaded_window_size}]
    jne \window
    mov ebp, [esi + {user_windows} + {window_bytes} + 4]
    cmp ebp, [{kernel} + {loaded_window_size} + 4]
    jne \window
    # The same window: a large space goes on to its CR3.
    cmp dword ptr [esi + {user_windows} + {window_base}], 0
    mov ebp, [task_table + edi + {task_directory}]
    mov edi, 0
    je 21b
    jmp 6b
    # A new window: the kernel's record of it, and the GDT's user code and
    # data descriptors (the exit's segment loads and `iretd` load them);
    # its base last, kept in EBP to ask whether it is a large space's.
    .global \window
\window:
    mov ebp, [esi + {user_windows} + {window_bytes}]
    mov [{kernel} + {loaded_window_size}], ebp
    mov ebp, [esi + {user_windows} + {window_bytes} + 4]
    mov [{kernel} + {loaded_window_size} + 4], ebp
    mov ebp, [esi + {user_windows} + {window_code}]
    mov [{gdt_user_code}], ebp
    mov ebp, [esi + {user_windows} + {window_code} + 4]
    mov [{gdt_user_code} + 4], ebp
    mov ebp, [esi + {user_windows} + {window_data}]
    mov [{gdt_user_data}], ebp
    mov ebp, [esi + {user_windows} + {window_data} + 4]
    mov [{gdt_user_data} + 4], ebp
    inc dword ptr [{kernel} + {small_space_switches}]
    jz 36f
37:
    mov ebp, [esi + {user_windows} + {window_base}]
    mov [{kernel} + {loaded_window_base}], ebp
    test ebp, ebp
    mov ebp, [task_table + edi + {task_directory}]
    mov edi, 0
    je 21b
    mov edi, 2
    jmp 6b
    # The counters' carries into their high words.
34:
    add dword ptr [{kernel} + {space_switches} + 4], 1
    jmp 35b
36:
    add dword ptr [{kernel} + {small_space_switches} + 4], 1
    jmp 37b
    .endm
    # Whether the destination ESI waits for the caller (EAX: its TCB) the
    # way both fast paths need (`Kernel::fast_receiver`): in the caller's
    # clan, an existing thread, receiving from it or from anyone into
    # registers or a map window, nothing of a higher priority ready, no
    # timeout to remove. Otherwise to `slow`. Leaves ECX = the receiver's
    # TCB, EDI = its task × 32 (its record at [task_table + EDI]); EBP is used.
    .macro receiver_waits slow
    # EDI = the destination's task × 32: its record's offset in the task
    # table (not 0: nil or an interrupt); EBP the caller's; ECX the
    # offset of the destination's entry in the index table (u32 entries:
    # (task, lthread) × 4). A task record is 32 bytes: shifts and masks of
    # the id find it, no multiply and no index register (which costs a
    # clock more in an address on the 486). The invalid id, all ones,
    # fails below: no thread has it — its chief field would name task 255
    # as its own creator.
    mov edi, esi
    mov ebp, [eax + tcb_array + {tcb_id}]
    shr edi, 16 - {task_shift}
    shr ebp, 16 - {task_shift}
    mov ecx, esi
    and ebp, 0xFF << {task_shift}
    shr ecx, 10 - 2
    and edi, 0xFF << {task_shift}
    jz \slow
    # Within a clan: the same chief (which the same task has too: one
    # record), the target's chief is the caller's task, or the target is
    # the caller's chief (the last two out of line: the same chief falls
    # through, no jump taken). The chiefs are bytes of the tasks' first
    # words, compared by one `xor` of the two (a `movzx` costs 3 clocks).
    # (No address register is used by the instruction right after the one
    # that computes it: that is an address-generation interlock on both
    # CPUs.)
    mov ebp, [task_table + ebp]
    and ecx, 0x3FFF << 2
    xor ebp, [task_table + edi]
    test ebp, {task_chief_mask}
    jnz 4f
1:
    .pushsection .text.fastpath_out_of_line, "ax"
4:
    # EBP = the caller's task × 32 again; ECX the index entry's offset
    # again when back.
    mov ebp, [eax + tcb_array + {tcb_id}]
    shr ebp, 16 - {task_shift}
    and ebp, 0xFF << {task_shift}
    movzx ecx, byte ptr [task_table + {task_chief} + edi]
    shl ecx, {task_shift}
    cmp ecx, ebp
    je 14f
    movzx ecx, byte ptr [task_table + {task_chief} + ebp]
    shl ecx, {task_shift}
    cmp ecx, edi
    jne \slow
14:
    mov ecx, esi
    shr ecx, 10 - 2
    and ecx, 0x3FFF << 2
    jmp 1b
    .popsection
    # ECX = the receiver's TCB: the index table holds TCB offsets; the id
    # must match exactly (version and chief). (An id of the caller's own
    # fails the receiving test below: a running thread is ready, which
    # `Kernel::audit` checks.)
    mov ecx, [{kernel} + {index} + ecx]
    cmp ecx, {no_tcb}
    je \slow
    cmp [ecx + tcb_array + {tcb_id}], esi
    jne \slow
    # It waits for this message: receiving, no other flag than the receive
    # phase (state and flags are bytes 0 and 2 of one word), from the
    # caller or from anyone, into registers or a map window.
    mov ebp, [ecx + tcb_array + {tcb_state}]
    and ebp, {state_and_flags_but_receive_phase}
    cmp ebp, {receiving}
    jne \slow
    mov ebp, [ecx + tcb_array + {tcb_partner}]
    cmp ebp, {open}
    je 2f
    cmp ebp, [eax + tcb_array + {tcb_id}]
    jne \slow
2:
    mov ebp, [ecx + tcb_array + {tcb_receive_descriptor}]
    test ebp, 2
    jnz 3f
    cmp ebp, 4
    jae \slow
3:
    # Nothing of a higher priority is ready.
    movzx ebp, byte ptr [ecx + tcb_array + {tcb_priority}]
    cmp ebp, [{kernel} + {highest_ready}]
    jl \slow
    # What this path leaves to Rust: a receive timeout to remove.
    mov ebp, [ecx + tcb_array + {tcb_wakeup}]
    or ebp, [ecx + tcb_array + {tcb_wakeup} + 4]
    jnz \slow
    .endm
    .global ipc_fastpath
ipc_fastpath:
    # A register call or reply-and-wait: EAX (send) 0, EBP (receive) 0 or
    # 1, no receive timeout. (Compares of a register pair with the jump
    # after them on the Pentium; a compare of memory with a constant does
    # not.)
    test eax, eax
    jnz ipc_slow
    cmp ebp, 1
    ja ipc_slow
    test cl, 0x0F
    jnz ipc_slow
    # Not from virtual-8086 mode (QEMU lets a user iret get there): its
    # frame's CS and SS are no selectors, and this path keeps them. (EAX
    # is free from here: ipc_slow_zero gives it back its 0. A load and a
    # register test take a clock less than a test of memory with a
    # constant.)
    mov eax, [esp + 8]
    test eax, {vm}
    jnz ipc_slow_zero
    mov eax, {kernel_data}
    mov ds, eax
    # EAX = the caller's TCB (`current` is the low half of an aligned word:
    # a load and an `and` take 2 clocks, a `movzx` 3).
    mov eax, [{kernel} + {current}]
    and eax, 0xFFFF
    shl eax, {tcb_shift}
    cmp eax, {none} << {tcb_shift}
    je ipc_slow_zero
    # Free registers: the caller's ECX, EBP, ESI, EDI go to its frame now.
    mov [eax + tcb_array + {frame} + {frame_ecx}], ecx
    mov [eax + tcb_array + {frame} + {frame_ebp}], ebp
    mov [eax + tcb_array + {frame} + {frame_esi}], esi
    mov [eax + tcb_array + {frame} + {frame_edi}], edi
    # The caller is in no IPC and has no interrupt associated (flags and
    # irq: bytes 2 and 3 of its state word), and nobody is queued to send
    # to it (it waits then: closed, or open with nobody queued; the queue's
    # first and last, one word, are both none exactly when it is empty,
    # which `Kernel::audit` checks).
    mov ebp, [eax + tcb_array + {tcb_state}]
    mov ecx, [eax + tcb_array + {tcb_senders_first}]
    test ebp, {flags_and_irq}
    jnz ipc_slow_saved
    cmp ecx, -1
    jne ipc_slow_saved
    receiver_waits ipc_slow_saved
    # Perform. The counter first (`Kernel::fast_ipc`: one for the entry
    # and the IPC). It is a u64: the carry into its high word is taken out
    # of line (a jump not taken costs less than an `adc` to memory), when
    # the low word's `inc` wraps to 0 (an `inc` of memory has no
    # immediate: a clock less on the 486, and it pairs on the Pentium).
    inc dword ptr [{kernel} + {fast_ipcs}]
    jz 30f
31:
    # The receiver is ready (its registers are loaded below, not stored).
    mov byte ptr [ecx + tcb_array + {tcb_flags}], 0
    mov byte ptr [ecx + tcb_array + {tcb_state}], {ready}
    # The caller: its whole frame, then its receive from the destination.
    xor ebp, ebp
    mov [eax + tcb_array + {frame} + {frame_edx}], edx
    mov [eax + tcb_array + {frame} + {frame_ebx}], ebx
    mov [eax + tcb_array + {frame} + {frame_eax}], ebp
    mov [eax + tcb_array + {tcb_send_descriptor}], ebp
    mov [eax + tcb_array + {tcb_saved_from}], ebp
    mov ebp, [esp]
    mov [eax + tcb_array + {frame} + {frame_eip}], ebp
    mov ebp, [esp + 8]
    mov [eax + tcb_array + {frame} + {frame_eflags}], ebp
    mov ebp, [esp + 12]
    mov [eax + tcb_array + {frame} + {frame_esp}], ebp
    mov ebp, [eax + tcb_array + {frame} + {frame_ecx}]
    mov [eax + tcb_array + {tcb_timeouts}], ebp
    mov [eax + tcb_array + {tcb_receive_from}], esi
    mov byte ptr [eax + tcb_array + {tcb_flags}], {receive_phase}
    mov byte ptr [eax + tcb_array + {tcb_state}], {receiving}
    mov ebp, [eax + tcb_array + {frame} + {frame_ebp}]
    mov [eax + tcb_array + {tcb_receive_descriptor}], ebp
    test ebp, ebp
    jz 5f
    mov esi, {open}
5:
    mov [eax + tcb_array + {tcb_partner}], esi
    receiver_runs ipc, ipc_fastpath_window, fastpath_report
    # The counters' carries into their high words.
30:
    add dword ptr [{kernel} + {fast_ipcs} + 4], 1
    jmp 31b

    # The general entry, with the user's registers as they came.
ipc_slow_saved:
    mov ecx, [eax + tcb_array + {frame} + {frame_ecx}]
    mov ebp, [eax + tcb_array + {frame} + {frame_ebp}]
    mov esi, [eax + tcb_array + {frame} + {frame_esi}]
    mov edi, [eax + tcb_array + {frame} + {frame_edi}]
ipc_slow_zero:
    xor eax, eax
ipc_slow:
    push 0
    push 0x30
    jmp trap_common

    # A page fault (vector 14; the CPU pushed an error code) of a user
    # thread in a large space, whose pager in its clan already waits for it:
    # the fault goes to the pager as a register message (the address with
    # bit 1 the write bit, the EIP, 0) and the thread waits for the answer
    # (`Kernel::fault_assembly_takes`, the same guards; the general path's
    # effects, `Kernel::page_fault`). Everything else takes the general
    # entry with the user's registers.
    .global page_fault_fastpath
page_fault_fastpath:
    # From ring 3, not from virtual-8086 mode.
    test byte ptr [esp + 14], {vm_in_third_byte}
    jnz fault_slow
    test byte ptr [esp + 8], 3
    jz fault_slow
    push eax
    mov eax, {kernel_data}
    mov ds, eax
    # EAX = the faulting thread's TCB (as the IPC path's).
    mov eax, [{kernel} + {current}]
    and eax, 0xFFFF
    shl eax, {tcb_shift}
    cmp eax, {none} << {tcb_shift}
    je fault_slow_eax
    # Not sigma0 (the kernel answers its faults itself; asked first, as
    # they are many and go to the general path).
    cmp byte ptr [eax + tcb_array + {tcb_id} + 2], {sigma0_task}
    je fault_slow_eax
    # In no IPC, no sender queued for it, no timeout.
    cmp byte ptr [eax + tcb_array + {tcb_flags}], 0
    jne fault_slow_eax
    cmp dword ptr [eax + tcb_array + {tcb_senders_first}], -1
    jne fault_slow_eax
    cmp dword ptr [eax + tcb_array + {tcb_wakeup}], 0
    jne fault_slow_eax
    cmp dword ptr [eax + tcb_array + {tcb_wakeup} + 4], 0
    jne fault_slow_eax
    # Free registers: the user's go to the thread's frame now (all of them
    # stay there: the thread waits).
    pop dword ptr [eax + tcb_array + {frame} + {frame_eax}]
    mov [eax + tcb_array + {frame} + {frame_ecx}], ecx
    mov [eax + tcb_array + {frame} + {frame_edx}], edx
    mov [eax + tcb_array + {frame} + {frame_ebx}], ebx
    mov [eax + tcb_array + {frame} + {frame_ebp}], ebp
    mov [eax + tcb_array + {frame} + {frame_esi}], esi
    mov [eax + tcb_array + {frame} + {frame_edi}], edi
    # EDX = the fault's address: a large space's user address.
    mov edx, cr2
    cmp edx, {user_limit}
    jae fault_slow_saved
    # ESI = the pager, which must wait for the thread as a receiver waits
    # for an IPC fast path's caller.
    mov esi, [eax + tcb_array + {tcb_pager}]
    receiver_waits fault_slow_saved
    # Perform (Kernel::entry, page_fault_ipc, deliver, receive_phase).
    inc dword ptr [{kernel} + {entries}]
    jz 40f
41:
    inc dword ptr [{kernel} + {page_faults}]
    jz 42f
43:
    # EDX = the message's first word: the address, bit 1 the write bit of
    # the error code (popped: [esp] is the CPU's iret frame from here on);
    # EBX = the second, the thread's EIP.
    pop ebx
    and ebx, 2
    and edx, ~2
    or edx, ebx
    mov [eax + tcb_array + {tcb_fault_address}], edx
    mov ebx, [esp]
    mov [eax + tcb_array + {frame} + {frame_eip}], ebx
    mov ebp, [esp + 8]
    mov [eax + tcb_array + {frame} + {frame_eflags}], ebp
    mov ebp, [esp + 12]
    mov [eax + tcb_array + {frame} + {frame_esp}], ebp
    # The thread waits for its pager's answer to the fault.
    mov byte ptr [eax + tcb_array + {tcb_flags}], {page_fault_and_receive_phase}
    mov dword ptr [eax + tcb_array + {tcb_receive_descriptor}], {page_fault_window}
    mov dword ptr [eax + tcb_array + {tcb_timeouts}], {timeouts_infinite}
    mov [eax + tcb_array + {tcb_receive_from}], esi
    mov dword ptr [eax + tcb_array + {tcb_saved_from}], 0
    mov byte ptr [eax + tcb_array + {tcb_state}], {receiving}
    mov [eax + tcb_array + {tcb_partner}], esi
    # The pager is ready (its registers are loaded, not stored).
    mov byte ptr [ecx + tcb_array + {tcb_flags}], 0
    mov byte ptr [ecx + tcb_array + {tcb_state}], {ready}
    receiver_runs fault, fault_fastpath_window, fault_fastpath_report
40:
    add dword ptr [{kernel} + {entries} + 4], 1
    jmp 41b
42:
    add dword ptr [{kernel} + {page_faults} + 4], 1
    jmp 43b

    # The general entry, with the user's registers as they came (the
    # error code still on the stack).
fault_slow_saved:
    mov ecx, [eax + tcb_array + {frame} + {frame_ecx}]
    mov edx, [eax + tcb_array + {frame} + {frame_edx}]
    mov ebx, [eax + tcb_array + {frame} + {frame_ebx}]
    mov ebp, [eax + tcb_array + {frame} + {frame_ebp}]
    mov esi, [eax + tcb_array + {frame} + {frame_esi}]
    mov edi, [eax + tcb_array + {frame} + {frame_edi}]
    mov eax, [eax + tcb_array + {frame} + {frame_eax}]
    jmp fault_slow
fault_slow_eax:
    pop eax
fault_slow:
    push 14
    jmp trap_common

    # id_nearest (int 0x31) of the caller itself or of a thread in its clan:
    # the answer is the destination, type 0, and the caller goes on
    # (`Kernel::fast_id_nearest`, the same guards in the same order).
    # Everything else takes the general entry with the user's registers.
    .global id_nearest_fastpath
id_nearest_fastpath:
    test byte ptr [esp + 10], {vm_in_third_byte}
    jnz 18f
    push eax
    push ecx
    push edx
    mov eax, {kernel_data}
    mov ds, eax
    # No preemption due (a handoff may leave one: `Kernel::choose_next`).
    cmp byte ptr [{kernel} + {preemption_due}], 0
    jne 17f
    # EDX = the caller's id.
    mov edx, [{kernel} + {current}]
    and edx, 0xFFFF
    shl edx, {tcb_shift}
    cmp edx, {none} << {tcb_shift}
    je 17f
    mov edx, [edx + tcb_array + {tcb_id}]
    test esi, esi
    jnz 11f
    mov esi, edx                    # nil: the caller itself
    jmp 12f
11:
    # ECX = the destination's task × 32, EDX the caller's (their records'
    # offsets in the task table); the same chief (or task) first, as the
    # IPC path asks.
    mov ecx, esi
    shr edx, 16 - {task_shift}
    shr ecx, 16 - {task_shift}
    and edx, 0xFF << {task_shift}
    and ecx, 0xFF << {task_shift}
    jz 12f
    mov eax, [task_table + edx]
    xor eax, [task_table + ecx]
    test eax, {task_chief_mask}
    jz 12f
    movzx eax, byte ptr [task_table + {task_chief} + ecx]
    shl eax, {task_shift}
    cmp eax, edx
    je 12f
    movzx eax, byte ptr [task_table + {task_chief} + edx]
    shl eax, {task_shift}
    cmp eax, ecx
    jne 17f
12:
    inc dword ptr [{kernel} + {entries}]
    jz 19f
13:
    # The caller's flags as any exit leaves them: user flags, IF on. Its
    # ECX and EDX back (loads: a `pop` takes 4 clocks on the 486), and
    # not its EAX: the type replaces it.
    mov eax, [esp + 20]
    mov edx, [esp]
    and eax, {user_flags}
    mov ecx, [esp + 4]
    or eax, {exit_flags}
    mov [esp + 20], eax
    add esp, 12
    mov eax, {user_data}
    mov ds, eax
    mov es, eax
    mov fs, eax
    mov gs, eax
    xor eax, eax
    iretd
17:
    pop edx
    pop ecx
    pop eax
18:
    push 0
    push 0x31
    jmp trap_common
19:
    add dword ptr [{kernel} + {entries} + 4], 1
    jmp 13b
"#,
    kernel = sym KERNEL,
    machine = sym MACHINE,
    events_word = const EVENTS_WORD,
    events_mask = const EVENTS_MASK,
    vm = const ia32::registers::eflags::VM,
    vm_in_third_byte = const (ia32::registers::eflags::VM >> 16),
    kernel_data = const selector::KERNEL_DATA.0,
    user_data = const selector::USER_DATA.0,
    current = const at::CURRENT,
    preemption_due = const at::PREEMPTION_DUE,
    loaded_directory = const at::LOADED_DIRECTORY,
    loaded_window_base = const at::LOADED_WINDOW_BASE,
    loaded_window_size = const at::LOADED_WINDOW_SIZE,
    user_windows = sym kernel::layout::USER_WINDOWS,
    user_window_shift = const at::USER_WINDOW_SIZE.trailing_zeros(),
    window_base = const at::USER_WINDOW_BASE,
    window_bytes = const at::USER_WINDOW_BYTES,
    window_code = const at::USER_WINDOW_CODE,
    window_data = const at::USER_WINDOW_DATA,
    gdt_user_code = const at::GDT_USER_CODE,
    gdt_user_data = const at::GDT_USER_DATA,
    small_space_switches = const at::SMALL_SPACE_SWITCHES,
    highest_ready = const at::HIGHEST_READY,
    entries = const at::ENTRIES,
    fast_ipcs = const at::FAST_IPCS,
    space_switches = const at::SPACE_SWITCHES,
    tcbs = const at::TCBS,
    index = const at::INDEX,
    no_tcb = const at::NO_TCB,
    tasks = const at::TASKS,
    tcb_shift = const at::TCB_SHIFT,
    task_chief = const at::TASK_CHIEF,
    task_shift = const at::TASK_SHIFT,
    task_chief_mask = const at::TASK_CHIEF_MASK,
    task_small_mask = const at::TASK_SMALL_MASK,
    task_small = const at::TASK_SMALL,
    task_directory = const at::TASK_DIRECTORY,
    tcb_id = const at::TCB_ID,
    tcb_state = const at::TCB_STATE,
    tcb_priority = const at::TCB_PRIORITY,
    tcb_flags = const at::TCB_FLAGS,
    tcb_partner = const at::TCB_PARTNER,
    tcb_send_descriptor = const at::TCB_SEND_DESCRIPTOR,
    tcb_receive_descriptor = const at::TCB_RECEIVE_DESCRIPTOR,
    tcb_timeouts = const at::TCB_TIMEOUTS,
    tcb_wakeup = const at::TCB_WAKEUP,
    tcb_senders_first = const at::TCB_SENDERS_FIRST,
    tcb_receive_from = const at::TCB_RECEIVE_FROM,
    tcb_saved_from = const at::TCB_SAVED_FROM,
    tcb_pager = const at::TCB_PAGER,
    tcb_fault_address = const at::TCB_FAULT_ADDRESS,
    page_faults = const at::PAGE_FAULTS,
    page_fault_and_receive_phase = const at::FLAG_PAGE_FAULT | at::FLAG_RECEIVE_PHASE,
    page_fault_window = const at::PAGE_FAULT_WINDOW,
    timeouts_infinite = const at::TIMEOUTS_INFINITE,
    user_limit = const at::USER_LIMIT,
    sigma0_task = const at::SIGMA0_TASK,
    frame = const at::TCB_FRAME,
    frame_eax = const at::FRAME_EAX,
    frame_ecx = const at::FRAME_ECX,
    frame_edx = const at::FRAME_EDX,
    frame_ebx = const at::FRAME_EBX,
    frame_esp = const at::FRAME_ESP,
    frame_ebp = const at::FRAME_EBP,
    frame_esi = const at::FRAME_ESI,
    frame_edi = const at::FRAME_EDI,
    frame_eip = const at::FRAME_EIP,
    frame_eflags = const at::FRAME_EFLAGS,
    ready = const at::STATE_READY,
    receiving = const at::STATE_RECEIVING,
    receive_phase = const at::FLAG_RECEIVE_PHASE,
    state_and_flags_but_receive_phase = const (0xFF_u32 | (!at::FLAG_RECEIVE_PHASE as u32) << (8 * (at::TCB_FLAGS - at::TCB_STATE))),
    flags_and_irq = const (0xFF_u32 << (8 * (at::TCB_FLAGS - at::TCB_STATE)) | 0xFF_u32 << (8 * (at::TCB_IRQ - at::TCB_STATE))),
    open = const at::OPEN,
    none = const at::NONE,
    user_flags = const at::USER_FLAGS,
    exit_flags = const at::EXIT_FLAGS,
);
