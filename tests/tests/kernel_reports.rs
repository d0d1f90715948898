//! What the kernel debugger says on the console when a program runs
//! headless (`cargo xtask run`, `cargo xtask boot`):
//! - a thread removed for an exception it has no handler for (here `rdtsc`
//!   on the i486: #UD) is reported with the thread, the exception and the
//!   EIP — Hazelnut stops in its debugger at such an exception;
//! - `enter_kdebug` prints its text and says that the thread goes on, since
//!   nobody is there to continue it by hand (the explorer stops there).
#![allow(clippy::unwrap_used)]

use sim::{Budget, CpuModel, RunResult, System, SystemConfig};

const PROGRAM: &str = r#"
%include "testing.inc"

DOOMED_ID equ 0x04050001

section .text
_start:
    start_pager
    enter_kdebug "look here"
    outstring after
    l4_task_new DOOMED_ID, 255, doomed_stack_top, doomed, PAGER_ID
    ipc_sleep (2 << 24) | 10        ; 2 ms: it runs, faults in its code, meets rdtsc
    check_done

doomed:
    rdtsc                           ; #UD on the i486; no virtual IDT
    ipc_sleep L4_IPC_NEVER

section .data
after: db "after enter_kdebug", 13, 10, 0

section .bss
                resb 4096
doomed_stack_top:
testing_end
"#;

fn run(cpu: CpuModel) -> (System, String) {
    let elf = sim::scenarios::assemble("reports.asm", PROGRAM).unwrap_or_else(|error| panic!("{error}"));
    let mut system = System::new(SystemConfig::new(cpu));
    system.boot(&[sim::scenarios::sigma0().unwrap(), sim::Module::new("reports", elf)]).unwrap();
    let result = system.run(Budget::cycles(1_000_000_000));
    let console = String::from_utf8_lossy(system.console()).replace('\r', "");
    assert_eq!(result, RunResult::Exited { value: 0x10 }, "{cpu:?}: {result:?}\n{console}");
    (system, console)
}

#[test]
fn a_thread_removed_for_an_unhandled_exception_is_reported() {
    let (system, console) = run(CpuModel::I486);
    let doomed = system.labels().into_iter().find(|label| label.name == "doomed").unwrap().address;
    let report = format!(
        "--- unhandled exception #UD (invalid opcode) in thread 04050001 at eip {doomed:08x}: the thread is removed ---\n"
    );
    assert!(console.contains(&report), "the console lacks\n{report}in\n{console}");
}

#[test]
fn a_headless_enter_kdebug_says_that_the_thread_goes_on() {
    for cpu in [CpuModel::I486, CpuModel::Pentium] {
        let (_, console) = run(cpu);
        let expected =
            "--- look here ---\nkdebug: no one to continue by hand here: the thread goes on\nafter enter_kdebug\n";
        assert!(console.contains(expected), "{cpu:?}: the console lacks\n{expected}in\n{console}");
    }
}
