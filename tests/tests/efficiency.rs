//! Efficiency by construction (the kernel issue, point 13): the cost of an
//! IPC does not depend on how many threads exist. The same 1,000 round trips
//! between two threads of the root task are timed with `rdtsc` on the
//! modelled Pentium, once with no other threads and once with 60 more
//! threads asleep; the cycle counts must agree (to 1 %, for cache lines
//! that the different set of TCBs happens to share).
#![allow(clippy::unwrap_used)]

use sim::{Budget, CpuModel, RunResult, System, SystemConfig};

const PROGRAM: &str = r#"
%include "testing.inc"

PARTNER_ID equ ROOT_TASK_ID + (2 << 10)   ; lthread 2 (lthread 1 is the test's pager)
ROUNDS     equ 1000

section .text
_start:
    start_pager
    l4_lthread_ex_regs 2, partner_stack_top, partner, L4_INVALID_ID, SIGMA0_ID
    mov dword [next], 3
.create:
    cmp dword [next], 3 + EXTRA
    jae .created
    mov ecx, [next]
    shl ecx, 8                      ; 256 bytes of stack each
    add ecx, sleeper_stacks
    l4_lthread_ex_regs dword [next], ecx, sleeper, L4_INVALID_ID, SIGMA0_ID
    inc dword [next]
    jmp .create
.created:
    ; Warm the caches and TLBs, then time ROUNDS round trips.
    mov dword [round], 0
.warm:
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_SHORT_MSG, L4_IPC_NEVER, PARTNER_ID, 0, 0, 0
    inc dword [round]
    cmp dword [round], 100
    jb .warm
    rdtsc
    mov [started], eax
    mov dword [round], 0
.timed:
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_SHORT_MSG, L4_IPC_NEVER, PARTNER_ID, 0, 0, 0
    inc dword [round]
    cmp dword [round], ROUNDS
    jb .timed
    rdtsc
    sub eax, [started]
    mov [elapsed], eax
    outstring label
    outdec [elapsed]
    outstring newline
    check_done

partner:
    ipc_receive ROOT_TASK_ID
.loop:
    l4_ipc L4_IPC_SHORT_MSG, L4_IPC_SHORT_MSG, L4_IPC_NEVER, ROOT_TASK_ID, 0, 0, 0
    jmp .loop

sleeper:
    ipc_sleep L4_IPC_NEVER
    jmp sleeper

section .data
label:   db "cycles ", 0
newline: db 13, 10, 0

section .bss
next:    resd 1
round:   resd 1
started: resd 1
elapsed: resd 1
sleeper_stacks: resb 256 * 64
         resb 1024
partner_stack_top:
testing_end
"#;

/// The cycles of ROUNDS round trips with `extra` sleeping threads.
fn round_trip_cycles(extra: u32) -> u64 {
    let source = format!("EXTRA equ {extra}\n{PROGRAM}");
    let elf = sim::scenarios::assemble("efficiency.asm", &source).unwrap_or_else(|error| panic!("{error}"));
    let mut system = System::new(SystemConfig::new(CpuModel::Pentium));
    system.boot(&[sim::scenarios::sigma0().unwrap(), sim::Module::new("efficiency", elf)]).unwrap();
    let result = system.run(Budget::cycles(2_000_000_000));
    let console = String::from_utf8_lossy(system.console()).into_owned();
    assert_eq!(result, RunResult::Exited { value: 0x10 }, "{extra} extra threads: {result:?}\n{console}");
    let threads = system.kernel().thread_summaries().count();
    assert!(threads >= extra as usize + 3, "{extra} extra threads were asked for, {threads} exist");
    console
        .lines()
        .find_map(|line| line.strip_prefix("cycles "))
        .and_then(|number| number.trim().parse().ok())
        .unwrap_or_else(|| panic!("no cycle count printed:\n{console}"))
}

#[test]
fn ipc_cost_does_not_depend_on_the_number_of_threads() {
    let alone = round_trip_cycles(0);
    let crowded = round_trip_cycles(60);
    assert!(alone > 1000 * 100, "1,000 round trips took only {alone} cycles");
    let difference = alone.abs_diff(crowded) as f64 / alone as f64;
    assert!(difference < 0.01, "1,000 round trips: {alone} cycles alone, {crowded} with 60 more threads");
    eprintln!("1,000 round trips: {alone} cycles alone, {crowded} cycles with 60 more threads");
}

/// A faulting string transfer costs page lookups in proportion to its pages
/// (issue 13, point 11): `string-faults` sends a 32-page string into a
/// receiver that has none of its pages, then receives one from a sender that
/// has none; each page faults once and the transfer goes on from there.
/// Probing every page of the string again after each fault would cost about
/// 32·32/2 lookups per direction; going on from the fault costs a few per page.
#[test]
fn a_faulting_string_transfer_costs_lookups_in_proportion_to_its_pages() {
    const PAGES: u64 = 32;
    let program = sim::scenarios::find_test("string-faults").unwrap();
    for cpu in [CpuModel::I486, CpuModel::Pentium] {
        let mut system = System::new(SystemConfig::new(cpu));
        system.boot(&program.modules().unwrap()).unwrap();
        let result = system.run(Budget::cycles(2_000_000_000));
        let console = String::from_utf8_lossy(system.console()).into_owned();
        assert_eq!(result, RunResult::Exited { value: 0x10 }, "{cpu:?}: {console}");
        let lookups = system.kernel().statistics.transfer_page_lookups;
        // Two strings of PAGES pages, both sides of each: 4·PAGES pages to
        // look at once each; a few more for the pages that faulted.
        assert!(lookups <= 8 * PAGES, "{cpu:?}: {lookups} page lookups for two strings of {PAGES} pages");
        eprintln!("{cpu:?}: {lookups} page lookups");
    }
}
