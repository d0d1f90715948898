//! Exhaustion on purpose: a task creates threads and tasks (each of which
//! creates threads) until the kernel's tables give out. Every call that
//! finds no room gets the documented answer (docs/ABI.md, "When a table is
//! full"): lthread_ex_regs creates nothing, task_new answers nil. Nothing
//! panics, the invariants hold, the root task and its pager go on, and
//! when the hostile task is deleted every table is back at its level from
//! before (nothing leaks); a second round gets as far again.
//!
//! Each program runs on the model, where the test reads the tables from the
//! kernel, and on the native image in QEMU, where the kernel prints them
//! after each `enter_kdebug` (`tables` on its command line) and audits
//! itself every 4,096 entries (`audit`: a broken invariant stops QEMU).
#![allow(clippy::unwrap_used)]

use kernel::inspect::TableLevels;
use sim::{Budget, CpuModel, RunResult, System, SystemConfig};
use std::time::Duration;
use xtask::modules::{self, Programs};
use xtask::qemu::{Cpu, QemuConfig, run_captured};

/// The program; `LAST_CHILD equ N` and `%define CHILD label` go in front.
const EXHAUSTER: &str = r#"
%include "testing.inc"

EXHAUSTER   equ 0x04050001          ; task 5
E_PAGER     equ 0x0405FC01          ; its lthread 63, its tasks' pager (they are its clan)
FIRST_CHILD equ 16                  ; tasks 16 .. LAST_CHILD + 1 are the exhauster's
KEEP        equ 0xFFFFFFFF
A_TICK      equ (40 << 24) | 10     ; about 41 ms
A_WHILE     equ (40 << 24) | 8      ; about 655 ms

section .text
_start:
    start_pager
    ; Every page of the image now (the stacks and variables written), so
    ; that serving them later takes nothing new from sigma0: the tables'
    ; levels before and after must compare.
    mov edi, image_start
.read:
    mov al, [edi]
    add edi, 4096
    cmp edi, image_end
    jb .read
    mov dword [round], 0
    mov dword [e_tasks], 0
    mov edi, stacks
.touch:
    mov dword [edi], 0
    add edi, 4096
    cmp edi, stacks_end
    jb .touch
    mov ebp, FIRST_CHILD
.hand:
    mov esi, ebp
    shl esi, 16
    or esi, 0x04000001
    l4_task_new esi, EXHAUSTER, 0, 0, L4_NIL_ID
    inc ebp
    cmp ebp, LAST_CHILD + 1
    jbe .hand
    outstring baseline_text
    enter_kdebug "the test reads the tables"
.round:
    l4_task_new EXHAUSTER, 255, stacks + 5 * 4096 + 64, exhauster, PAGER_ID
    ipc_receive EXHAUSTER           ; w0 tasks made, w1 own threads, w2 task_new refusals
    mov [made_tasks], edx
    mov [made_threads], ebx
    mov [refused], edi
    ipc_sleep A_TICK                ; the children make their threads meanwhile
    outstring full_text
    outdec dword [made_tasks]
    outstring tasks_text
    outdec dword [made_threads]
    outstring threads_text
    outdec dword [refused]
    outstring refused_text
    enter_kdebug "the test reads the tables"
    l4_task_new EXHAUSTER, ROOT_TASK_ID, 0, 0, L4_NIL_ID
    outstring empty_text
    enter_kdebug "the test reads the tables"
    inc dword [round]
    cmp dword [round], 2
    jb .round
    check_done

; Lthreads 1..63 of its own, then tasks 16..LAST_CHILD, each making threads
; too; when they have had their time, one task more.
exhauster:
    l4_lthread_ex_regs 63, stacks + 6 * 4096, e_pager, L4_INVALID_ID, PAGER_ID
    call make_threads
    mov [e_threads], eax
    mov dword [e_tasks], 0
    mov dword [e_refused], 0
    mov ebp, FIRST_CHILD
.task:
    mov esi, ebp
    shl esi, 16
    or esi, 0x04000001
    mov ecx, ebp
    shl ecx, 12
    add ecx, stacks + 64            ; lthread 0's stack in the task's page
    l4_task_new esi, 255, ecx, CHILD, E_PAGER
    test esi, esi
    jz .refused
    inc dword [e_tasks]
    jmp .more
.refused:
    inc dword [e_refused]
.more:
    inc ebp
    cmp ebp, LAST_CHILD
    jbe .task
    cmp ebp, LAST_CHILD + 1
    jne .report
    ipc_sleep A_WHILE               ; the children make their threads meanwhile
    mov ebp, LAST_CHILD + 1
    jmp .task
.report:
    ipc_send ROOT_TASK_ID, dword [e_tasks], dword [e_threads], dword [e_refused]
    jmp sleeper

; The exhauster's tasks run CHILD: one of these.
child_making_threads:
    call make_threads
    jmp sleeper

child_sleeping:
    jmp sleeper

; The exhauster's tasks' pager: its own pages, 1:1 (the root task's pager
; gives them to it), as testing.inc's pager does for the root task.
e_pager:
    ipc_wait
.serve:
    test al, L4_IPC_ERROR_MASK
    jnz e_pager
    mov eax, edx
    and eax, 0xFFFFF000
    mov cl, [eax]
    lea ebx, [eax + (12 << 2) + FPAGE_WRITE]
    l4_ipc L4_IPC_SHORT_FPAGE, L4_IPC_OPEN, L4_IPC_NEVER, esi, eax, ebx, 0
    jmp .serve

; make_threads — lthreads 1..62 of the caller's task, until one is not
; created (a second lthread_ex_regs finds it or not). EAX = threads made.
make_threads:
    l4_myself
    shr esi, 16
    and esi, 0xFF
    shl esi, 12
    add esi, stacks
    push esi                        ; [esp + 4]: the task's stack page
    push dword 0                    ; [esp]: threads made
    mov ebp, 1
.next:
    mov ecx, ebp
    inc ecx
    shl ecx, 6
    add ecx, [esp + 4]              ; 64 bytes of stack per lthread
    l4_lthread_ex_regs ebp, ecx, sleeper, L4_INVALID_ID, PAGER_ID
    l4_lthread_ex_regs ebp, KEEP, KEEP, L4_INVALID_ID, KEEP
    cmp ecx, KEEP
    je .full
    inc dword [esp]
    inc ebp
    cmp ebp, 63
    jb .next
.full:
    pop eax
    pop esi
    ret

sleeper:
    ipc_sleep L4_IPC_NEVER
    jmp sleeper

section .data
baseline_text: db "baseline", 10, 0
full_text:     db "full: ", 0
tasks_text:    db " tasks, ", 0
threads_text:  db " threads of the exhauster's own, ", 0
refused_text:  db " task_new refused", 10, 0
empty_text:    db "empty", 10, 0

section .bss
round:         resd 1
made_tasks:    resd 1
made_threads:  resd 1
refused:       resd 1
e_tasks:       resd 1
e_threads:     resd 1
e_refused:     resd 1
               align 4096
stacks:        resb (LAST_CHILD + 2) * 4096
stacks_end:
testing_end
"#;

/// The mapping nodes: a task maps its 4 MB region (1,024 pages, each a node
/// in the receiver) into one 4 MB receive window after another of a second
/// task, until a map fails.
const MAPPER: &str = r#"
%include "testing.inc"

MAPPER_ID    equ 0x04050001         ; task 5: maps its region again and again
RECEIVER_ID  equ 0x04060001         ; task 6: takes it at one window after the other
WINDOWS      equ 0x10000000         ; the receiver's 4 MB windows, from 256 MB on
MOST         equ 48                 ; 48 × 1,024 nodes: more than there are

section .text
_start:
    start_pager
    ; The region: the 4 MB-aligned 4 MB inside `room` (the assembler
    ; aligns to pages at most).
    mov eax, room + (1 << 22) - 1
    and eax, ~((1 << 22) - 1)
    mov [region], eax
    ; Every page of the image but `room`, and of the region, now: serving
    ; them later takes nothing new, so the tables before and after compare.
    mov edi, image_start
.read:
    mov al, [edi]
    add edi, 4096
    cmp edi, room
    jb .read
    mov edi, [region]
.read_region:
    mov al, [edi]
    add edi, 4096
    mov eax, [region]
    add eax, 1 << 22
    cmp edi, eax
    jb .read_region
    outstring baseline_text
    enter_kdebug "the test reads the tables"
.round:
    l4_task_new RECEIVER_ID, 255, receiver_stack_top, receiver, PAGER_ID
    l4_task_new MAPPER_ID, 255, mapper_stack_top, mapper, PAGER_ID
    ipc_receive MAPPER_ID           ; w0 maps made, w1 the last one's result
    mov [made], edx
    mov [result], ebx
    outstring full_text
    outdec dword [made]
    outstring maps_text
    outhex32 dword [result]
    outstring newline_text
    enter_kdebug "the test reads the tables"
    l4_task_new MAPPER_ID, ROOT_TASK_ID, 0, 0, L4_NIL_ID
    l4_task_new RECEIVER_ID, ROOT_TASK_ID, 0, 0, L4_NIL_ID
    outstring empty_text
    enter_kdebug "the test reads the tables"
    inc dword [round]
    cmp dword [round], 2
    jb .round
    check_done

; Its region, page by page (the root's pager maps the root's pages), then
; the whole region to the receiver until a map fails.
mapper:
    mov edi, [region]
.touch:
    mov al, [edi]
    add edi, 4096
    mov eax, [region]
    add eax, 1 << 22
    cmp edi, eax
    jb .touch
    mov eax, [region]
    or eax, (22 << 2) | FPAGE_WRITE
    mov [m_fpage], eax
    mov dword [m_made], 0
.map:
    l4_ipc L4_IPC_SHORT_FPAGE, L4_IPC_NIL, L4_IPC_NEVER, RECEIVER_ID, 0, dword [m_fpage], 0
    mov [m_result], eax
    test al, L4_IPC_ERROR_MASK
    jnz .report
    inc dword [m_made]
    cmp dword [m_made], MOST
    jb .map
.report:
    and dword [m_result], L4_IPC_ERROR_MASK
    ipc_send ROOT_TASK_ID, dword [m_made], dword [m_result], 0
    ipc_sleep L4_IPC_NEVER

receiver:
    mov dword [r_window], WINDOWS | (22 << 2) | 2
.take:
    l4_ipc L4_IPC_NIL, dword [r_window], L4_IPC_NEVER, MAPPER_ID, 0, 0, 0
    add dword [r_window], 1 << 22
    jmp .take

section .data
baseline_text: db "baseline", 10, 0
full_text:     db "full: ", 0
maps_text:     db " maps, the last one's result ", 0
newline_text:  db 10, 0
empty_text:    db "empty", 10, 0

section .bss
round:         resd 1
made:          resd 1
result:        resd 1
m_made:        resd 1
m_result:      resd 1
r_window:      resd 1
region:        resd 1
m_fpage:       resd 1
               resb 4096
mapper_stack_top:
               resb 4096
receiver_stack_top:
               align 4096
room:          resb 2 << 22
testing_end
"#;

/// Run until the console has shown `marker` `count` times; the tables then
/// (the program enters the kernel debugger right after each marker).
fn run_to(system: &mut System, marker: &str, count: usize) -> TableLevels {
    let budget = Budget { stop_in_kernel_debugger: true, ..Budget::cycles(u64::MAX) };
    for _ in 0..100 {
        let console = String::from_utf8_lossy(system.console()).into_owned();
        if console.matches(marker).count() >= count {
            return system.kernel().table_levels();
        }
        let result = system.run(budget);
        assert!(
            matches!(result, RunResult::Limit | RunResult::Event),
            "before `{marker}` #{count}: {result:?}\n{console}"
        );
    }
    panic!("`{marker}` #{count} never came\n{}", String::from_utf8_lossy(system.console()));
}

fn audit(system: &System, when: &str) {
    if let Err(error) = system.audit() {
        panic!("{when}: the kernel broke an invariant: {error:?}\n{}", String::from_utf8_lossy(system.console()));
    }
}

/// Boot `source` on each CPU (4 MB pages on the Pentium or not), take the
/// tables at "baseline", then twice: when `full_marker` has shown, the
/// console's line starting "full:" and the tables to `check_full` (with the
/// baseline), the audit at that point, and the tables back at the baseline
/// at "empty"; the program's own checks at its end. The same in QEMU.
fn fill_and_empty(
    name: &str,
    source: &str,
    large_pages: bool,
    full_marker: &str,
    check_full: impl Fn(CpuModel, &TableLevels, &TableLevels, &str),
) {
    let elf = sim::scenarios::assemble(name, source).unwrap_or_else(|error| panic!("{error}"));
    for cpu in [CpuModel::I486, CpuModel::Pentium] {
        let mut config = SystemConfig::new(cpu);
        config.large_pages = large_pages;
        let mut system = System::new(config);
        system.boot(&[sim::scenarios::sigma0().unwrap(), sim::Module::new(name, elf.clone())]).unwrap();
        let baseline = run_to(&mut system, "baseline", 1);
        for round in 1..=2 {
            let full = run_to(&mut system, full_marker, round);
            audit(&system, "full");
            let console = String::from_utf8_lossy(system.console()).into_owned();
            let line = console.lines().filter(|line| line.starts_with("full:")).nth(round - 1).unwrap().to_string();
            eprintln!("{cpu:?} round {round}: {line}; {full:?}");
            check_full(cpu, &baseline, &full, &format!("round {round}: {line}"));
            let empty = run_to(&mut system, "empty", round);
            audit(&system, "empty");
            assert_eq!(empty, baseline, "{cpu:?} round {round}: the tables after deleting what the program made");
        }
        let result = system.run(Budget::cycles(u64::MAX));
        let console = String::from_utf8_lossy(system.console()).replace('\r', "");
        assert_eq!(result, RunResult::Exited { value: 0x10 }, "{cpu:?}: {result:?}\n{console}");
    }
    in_qemu(name, source, large_pages, check_full);
}

/// The same program on the native image in QEMU, on both CPUs, with the
/// kernel's table report and self-audit on.
fn in_qemu(
    name: &str,
    source: &str,
    large_pages: bool,
    check_full: impl Fn(CpuModel, &TableLevels, &TableLevels, &str),
) {
    // One folder per program: the tests run at the same time.
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    source.hash(&mut hasher);
    let folder = std::env::temp_dir().join(format!("l4-exhaustion-{}-{:016x}", std::process::id(), hasher.finish()));
    std::fs::create_dir_all(&folder).unwrap();
    let file = folder.join(name);
    std::fs::write(&file, source).unwrap();
    let image = xtask::native::build_image().expect("the native image builds");
    for (cpu, model) in [(Cpu::I486, CpuModel::I486), (Cpu::Pentium, CpuModel::Pentium)] {
        let mut config = QemuConfig::new(cpu, &image);
        config.modules = modules::export(&Programs::Files(vec![file.clone()])).expect("the modules export");
        config.options = vec!["tables".to_string(), "audit".to_string()];
        if !large_pages {
            config.options.push("no-large-pages".to_string());
        }
        let outcome = run_captured(&config, Duration::from_secs(300)).expect("QEMU runs");
        let serial = outcome.serial.replace('\r', "");
        // 33: the program's checks passed; 37: the kernel stopped (a broken
        // invariant found by the self-audit, or a panic).
        assert_eq!(outcome.status, Some(33), "{cpu:?} in QEMU: exit status; serial:\n{serial}");
        let levels: Vec<TableLevels> =
            serial.lines().filter_map(|line| line.strip_prefix("tables: ")).map(levels).collect();
        let full_lines: Vec<&str> = serial.lines().filter(|line| line.starts_with("full:")).collect();
        assert_eq!((levels.len(), full_lines.len()), (5, 2), "{cpu:?} in QEMU: the reports; serial:\n{serial}");
        let baseline = levels[0];
        for round in 0..2 {
            let line = full_lines[round];
            eprintln!("{cpu:?} in QEMU, round {}: {line}; {:?}", round + 1, levels[1 + 2 * round]);
            check_full(model, &baseline, &levels[1 + 2 * round], &format!("in QEMU, round {}: {line}", round + 1));
            assert_eq!(
                levels[2 + 2 * round],
                baseline,
                "{cpu:?} in QEMU, round {}: the tables after deleting what the program made",
                round + 1
            );
        }
    }
    std::fs::remove_dir_all(&folder).unwrap();
}

/// A native kernel's report: `threads 20/512, tasks 3, mapping nodes
/// 1400/32768, pool frames 31/1721`.
fn levels(report: &str) -> TableLevels {
    let numbers: Vec<u32> = report
        .split(|character: char| !character.is_ascii_digit())
        .filter(|word| !word.is_empty())
        .map(|word| word.parse().unwrap())
        .collect();
    let [threads, max_threads, tasks, mapping_nodes, max_mapping_nodes, pool_frames, max_pool_frames] = numbers[..]
    else {
        panic!("not a table report: `{report}`");
    };
    TableLevels { threads, max_threads, tasks, mapping_nodes, max_mapping_nodes, pool_frames, max_pool_frames }
}

/// Tasks 16..=`last_child` (and one more later) for the exhauster, each
/// running `child` (making threads or not): what runs
/// out first depends on how many (the pool holds a task's directory, its
/// region table and its page tables; the TCBs 512 threads).
fn exhaust(last_child: u32, child: &str, check_full: impl Fn(CpuModel, &TableLevels, &str)) {
    let source = format!("LAST_CHILD equ {last_child}\n%define CHILD {child}\n{EXHAUSTER}");
    fill_and_empty("exhaustion.asm", &source, true, "refused", |cpu, baseline, full, line| {
        assert!(!line.ends_with(" 0 task_new refused"), "{cpu:?} {line}: task_new was refused");
        // A task task_new refused does not exist: the active tasks are
        // those before, the exhauster and the ones it made.
        let made: u32 =
            line[line.find("full: ").unwrap() + "full: ".len()..].split(' ').next().unwrap().parse().unwrap();
        assert_eq!(full.tasks, baseline.tasks + 1 + made, "{cpu:?} {line}: active tasks");
        check_full(cpu, full, line);
    });
}

#[test]
fn threads_until_no_tcb_is_left() {
    exhaust(31, "child_making_threads", |cpu, full, line| {
        assert_eq!(full.threads, full.max_threads, "{cpu:?}: the TCBs ran out ({line})");
    });
}

#[test]
fn tasks_until_the_page_pool_is_empty() {
    exhaust(143, "child_sleeping", |cpu, full, line| {
        assert!(full.pool_frames + 2 > full.max_pool_frames, "{cpu:?}: the pool ran out ({line}, {full:?})");
    });
}

/// On the Pentium with 4 MB pages the same maps take a few nodes each (the
/// region is one large page of sigma0's), so it runs with 4 KB pages there.
#[test]
fn mappings_until_no_mapping_node_is_left() {
    fill_and_empty("mapper.asm", MAPPER, false, "full:", |cpu, _, full, line| {
        // docs/ABI.md: a map that finds no node fails with 0x70 for the sender.
        assert!(line.ends_with("00000070"), "{cpu:?} {line}: the last map failed (0x70)");
        assert!(full.mapping_nodes + 1024 > full.max_mapping_nodes, "{cpu:?} {line}: the nodes ran out ({full:?})");
    });
}
