//! What user code can make QEMU's i486 and Pentium do that the real CPUs
//! would not, found by the native soak (`cargo xtask soak --native`), and
//! that the kernel must survive all the same (docs/ABI.md, "Virtual-8086
//! mode" and "No floating point").
//!
//! 1. A user `iretd` whose flags image has VM set. At CPL 3 a real i486 or
//!    Pentium ignores VM there (Intel SDM, IRET: "IF VM = 1 in flags image
//!    and CPL = 0 THEN return to virtual-8086 mode"), and so does the model:
//!    the thread goes on in protected mode. QEMU's TCG enters virtual-8086
//!    mode at any CPL (`helper_ret_protected` has no CPL check), and the
//!    kernel's trap handler took the virtual-8086 frame (a real-mode CS)
//!    for an exception in ring 0 and stopped. Now an entry from
//!    virtual-8086 mode is one from user mode, and the thread returns to
//!    protected mode. The popped CS:EIP is 0x0121:0x0024. With VM ignored,
//!    0x0121 is a selector of RPL 1 for a return to CPL 3: a #GP, and the
//!    thread (without a virtual IDT) is removed. In virtual-8086 mode CS is
//!    a paragraph: the thread fetches from 0x1210 + 0x24 = 0x1234, outside
//!    the test's image, and the test's pager refuses that fault and records
//!    it. (The CS's low bits are not 3 on purpose: the kernel judged the
//!    ring by them.)
//! 2. An x87 error while a thread has IRQ 13 attached: with CR0.NE clear
//!    the FPU reports it on FERR#, IRQ 13, which QEMU 7.2 raises without its
//!    I/O lock and aborts on (`tcg_handle_interrupt: assertion failed`).
//!    Now the kernel runs with CR0.EM (no floating point: every x87
//!    instruction raises #NM) and NE.
#![allow(clippy::unwrap_used)]

use sim::{CpuModel, RunResult, System, SystemConfig};
use std::time::Duration;
use xtask::modules::{self, Programs};
use xtask::qemu::{Cpu, QemuConfig, run_captured};

const PROGRAM: &str = r#"
%include "testing.inc"

ESCAPER_ID equ 0x04050001

section .text
_start:
    start_pager
    l4_task_new ESCAPER_ID, 255, escaper_stack_top, escaper, PAGER_ID
    ipc_sleep (2 << 24) | 10        ; 2 ms: it runs its iretd and faults
    cmp dword [pager_refused], 0
    je .protected
    check_eq dword [pager_refused], 1, "in virtual-8086 mode: one fault outside the image"
    mov eax, [pager_last_outside]
    and eax, 0xFFFFFFFC
    check_eq eax, 0x1234, "in virtual-8086 mode: the fetch at CS * 16 + IP"
    outstring virtual_8086_text
    jmp .done
.protected:
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_NIL, L4_IPC_POLL, ESCAPER_ID, 0, 0, 0
    check_masked eax, 0xF0, L4_IPC_ENOT_EXISTENT, "VM ignored: the #GP on CS 0x0121 removed the escaper"
    outstring protected_text
.done:
    l4_task_new ESCAPER_ID, 0, 0, 0, L4_NIL_ID
    outstring alive_text
    check_done

escaper:
    push 0                          ; GS, FS, DS, ES: popped only in virtual-8086 mode
    push 0
    push 0
    push 0
    push 0x23                       ; SS
    push escaper_stack_top          ; ESP
    push 0x00020202                 ; EFLAGS: VM, IF and the reserved bit
    push 0x0121                     ; CS
    push 0x0024                     ; EIP
    iretd

section .data
virtual_8086_text: db "the CPU entered virtual-8086 mode (fault at 0x1234)", 13, 10, 0
protected_text:    db "the CPU stayed in protected mode (#GP on the popped CS)", 13, 10, 0
alive_text:        db "the kernel runs on", 13, 10, 0

section .bss
          resb 4096
escaper_stack_top:
testing_end
"#;

#[test]
fn on_the_model_vm_in_a_user_iret_is_ignored() {
    for cpu in [CpuModel::I486, CpuModel::Pentium] {
        let elf = sim::scenarios::assemble("virtual-8086.asm", PROGRAM).unwrap_or_else(|error| panic!("{error}"));
        let mut system = System::new(SystemConfig::new(cpu));
        system.boot(&[sim::scenarios::sigma0().unwrap(), sim::Module::new("virtual-8086.asm", elf)]).unwrap();
        let result = system.run(sim::Budget::instructions(5_000_000));
        let console = String::from_utf8_lossy(system.console()).into_owned();
        assert_eq!(result, RunResult::Exited { value: 0x10 }, "{cpu:?}; console:\n{console}");
        assert!(console.contains("stayed in protected mode"), "{cpu:?}; console:\n{console}");
    }
}

/// Run `program` in QEMU on both CPUs; it must end with success.
fn in_qemu(name: &str, program: &str) -> Vec<String> {
    let folder = std::env::temp_dir().join(format!("l4-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let file = folder.join(format!("{name}.asm"));
    std::fs::write(&file, program).unwrap();
    let image = xtask::native::build_image().expect("the native image builds");
    let mut serials = Vec::new();
    for cpu in [Cpu::I486, Cpu::Pentium] {
        let mut config = QemuConfig::new(cpu, &image);
        config.modules = modules::export(&Programs::Files(vec![file.clone()])).expect("the modules export");
        let outcome = run_captured(&config, Duration::from_secs(60)).expect("QEMU runs");
        assert_eq!(outcome.status, Some(33), "{cpu:?}: exit status (33 = success); serial:\n{}", outcome.serial);
        serials.push(outcome.serial);
    }
    std::fs::remove_dir_all(&folder).unwrap();
    serials
}

#[test]
fn in_qemu_a_thread_in_virtual_8086_mode_does_not_stop_the_kernel() {
    for serial in in_qemu("virtual-8086", PROGRAM) {
        // QEMU 7.2 enters virtual-8086 mode; a QEMU that checks the CPL
        // would not, and the kernel must survive either way.
        assert!(serial.contains("the kernel runs on"), "serial:\n{serial}");
        eprintln!("{}", serial.lines().find(|line| line.starts_with("the CPU")).unwrap_or("?"));
    }
}

const FLOATING_POINT: &str = r#"
%include "testing.inc"

section .text
_start:
    start_pager
    lidt [idt_register]
    l4_ipc L4_IPC_NIL, L4_IPC_SHORT_MSG, L4_IPC_POLL, 14, 0, 0, 0   ; attach IRQ 13 (FERR#)
    check_masked eax, 0xF0, L4_IPC_RETIMEOUT, "IRQ 13 attached"
    mov eax, control
    fninit                          ; each one an #NM: no x87 runs
    fldcw [eax]                     ; (were it to run: every exception unmasked)
    fldz
    fld1
    fdiv st0, st1                   ; (a zero divide, reported on FERR# with NE clear)
    fld1
    check_eq dword [no_fpu], 6, "six x87 instructions, six #NM"
    check_done

handler_no_fpu:
    inc dword [no_fpu]
    add dword [esp], 2              ; each of them is 2 bytes long
    iret

section .data
control: dw 0x0340
idt_register:
    dw 8 * 8 - 1
    dd idt
    align 8
idt:
    times 7 dq 0
    dw handler_no_fpu & 0xFFFF, 0x1B, 0xEE00, handler_no_fpu >> 16

section .bss
no_fpu: resd 1
testing_end
"#;

#[test]
fn floating_point_raises_no_fpu_everywhere_and_never_ferr() {
    for cpu in [CpuModel::I486, CpuModel::Pentium] {
        let elf =
            sim::scenarios::assemble("floating-point.asm", FLOATING_POINT).unwrap_or_else(|error| panic!("{error}"));
        let mut system = System::new(SystemConfig::new(cpu));
        system.boot(&[sim::scenarios::sigma0().unwrap(), sim::Module::new("floating-point.asm", elf)]).unwrap();
        let result = system.run(sim::Budget::instructions(5_000_000));
        let console = String::from_utf8_lossy(system.console()).into_owned();
        assert_eq!(result, RunResult::Exited { value: 0x10 }, "{cpu:?}; console:\n{console}");
    }
    for serial in in_qemu("floating-point", FLOATING_POINT) {
        assert!(serial.contains("PASS"), "serial:\n{serial}");
    }
}
