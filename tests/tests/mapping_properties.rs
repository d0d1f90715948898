//! Property tests of address-space construction: random sequences of map,
//! grant and unmap among the root task and eight worker tasks, run by a
//! generated program on the model. After every kernel entry that changed
//! something: the mapping database is a forest rooted in sigma0, no child has
//! rights beyond its parent, every present user page-table entry has exactly
//! its node and every node its entry (`Kernel::audit`), no TLB entry
//! translates a page its space no longer has (`System::check_tlbs`), and no
//! mapping gained the write right except by a map whose mapper held it at
//! that moment ([X0M] §2.2.3) — the tree's rule alone cannot see a read-only
//! holder that maps with w=1 onto a copy whose own parent is writable, so
//! the operations include exactly that remapping onto existing copies.
#![allow(clippy::unwrap_used)]

use sim::{Budget, CpuModel, KernelEvent, RunResult, Source, System, SystemConfig};
use std::collections::HashMap;

const WORKERS: u32 = 8;
const PAGES: u32 = 12;
const OPERATIONS: usize = 400;

/// A small deterministic generator (xorshift32): the seed names the case.
struct Random(u32);

impl Random {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }
    fn below(&mut self, bound: u32) -> u32 {
        self.next() % bound
    }
}

/// Tasks: 4 (the root task) and 5..5+WORKERS.
fn task_id(task: u32) -> u32 {
    0x0400_0001 | (task << 16)
}

/// One operation: (actor task, partner task, word) with word =
/// page | kind << 8 | flags << 12 (kind 1 map, 2 grant, 3 unmap; flags bit 0
/// writable / flush, bit 1 the caller's own mapping too). One draw in eight
/// is a remapping onto an existing copy by a lower-rights holder: the root
/// task maps a page read-only to two workers, then the first maps its copy
/// with w=1 onto the second's (three operations).
fn operations(seed: u32) -> Vec<(u32, u32, u32)> {
    let mut random = Random(seed.max(1));
    let mut operations = Vec::new();
    while operations.len() < OPERATIONS {
        let actor = if random.below(3) == 0 { 4 } else { 5 + random.below(WORKERS) };
        let mut partner = 5 + random.below(WORKERS);
        if partner == actor {
            partner = 5 + (partner - 5 + 1) % WORKERS;
        }
        let page = random.below(PAGES);
        if actor != 4 && random.below(8) == 0 {
            operations.push((4, actor, page | 1 << 8));
            operations.push((4, partner, page | 1 << 8));
            operations.push((actor, partner, page | 1 << 8 | 1 << 12));
            continue;
        }
        let kind = match random.below(10) {
            0..=4 => 1,
            5..=6 => 2,
            _ => 3,
        };
        let flags = random.below(4);
        operations.push((actor, partner, page | kind << 8 | flags << 12));
    }
    operations
}

/// Which mappings are writable: (task, address) → writable.
fn rights(system: &System) -> HashMap<(u8, u32), bool> {
    system.kernel().mapping_summaries().map(|mapping| ((mapping.task, mapping.address), mapping.writable)).collect()
}

/// Every mapping that is writable now but was not at the last check must
/// have been made so by a map (or grant) of this kernel entry whose mapper
/// held the write right at the last check. Sigma0 (task 2) holds every
/// right; its own mappings appear on demand.
fn check_mapper_rights(
    before: &HashMap<(u8, u32), bool>,
    after: &HashMap<(u8, u32), bool>,
    maps: &[KernelEvent],
) -> Result<(), String> {
    for (&(task, address), &writable) in after {
        if !writable || task == 2 || before.get(&(task, address)) == Some(&true) {
            continue;
        }
        let justified = maps.iter().any(|event| match *event {
            KernelEvent::Map { from, to, from_address, to_address, writable: true, .. } => {
                to.task() == task
                    && to_address == address
                    && (from.task() == 2 || before.get(&(from.task(), from_address)) == Some(&true))
            }
            _ => false,
        });
        if !justified {
            return Err(format!(
                "task {task:#x} gained the write right at {address:#x} without a map from a mapper that had it"
            ));
        }
    }
    Ok(())
}

/// The program: the root task creates the workers, then performs or
/// commands each operation in turn. The pages lie in the root task's image,
/// so a worker that touches a page it does not have gets the root task's
/// from the pager (one more mapping in the tree); before an unmap the actor
/// touches the page, so a missing TLB invalidation would leave a stale
/// entry for the check to find.
fn program(seed: u32, small_spaces: bool) -> String {
    let mut table = String::new();
    for (actor, partner, word) in operations(seed) {
        table.push_str(&format!("    dd {:#x}, {:#x}, {word:#x}\n", task_id(actor), task_id(partner)));
    }
    let mut create = String::new();
    for worker in 0..WORKERS {
        create.push_str(&format!(
            "    l4_task_new {:#x}, 255, worker_stacks + {}, worker, PAGER_ID\n",
            task_id(5 + worker),
            (worker + 1) * 1024
        ));
        // Half of the workers in small spaces: 8 MB slots 0..3 (ids 2, 6, 10, 14).
        if small_spaces && worker < 4 {
            create.push_str(&format!(
                "    l4_thread_schedule 0xFFFFFFFF, 0, {id:#x}\n    and eax, 0xFFF000FF\n    or eax, {small:#x} << 8\n    l4_thread_schedule eax, 0, {id:#x}\n",
                id = task_id(5 + worker),
                small = 2 + 4 * worker
            ));
        }
    }
    format!(
        r#"%include "testing.inc"
PAGES   equ {PAGES}
COMMAND equ 0xC0DE0000
section .text
_start:
    start_pager
    mov ecx, region
.touch:
    mov eax, [ecx]                  ; the root task's pages, from sigma0
    add ecx, 4096
    cmp ecx, region + PAGES * 4096
    jb .touch
{create}
    mov esi, operations
.next:
    cmp esi, operations_end
    jae .done
    mov eax, [esi]
    mov ebx, [esi + 4]
    mov edx, [esi + 8]
    add esi, 12
    cmp eax, ROOT_TASK_ID
    je .myself
    push esi
    mov esi, eax
    mov edi, COMMAND
    push ebp
    xor eax, eax
    xor ebp, ebp
    xor ecx, ecx
    int 0x30                        ; call the actor: w0 = word, w1 = partner
    pop ebp
    pop esi
    jmp .next
.myself:
    push esi
    call perform
    pop esi
    jmp .next
.done:
    check_done

; perform — EDX = word, EBX = partner.
perform:
    mov eax, edx
    and eax, 0xFF
    shl eax, 12
    add eax, region                 ; the page's address (the same in every task)
    mov ecx, edx
    shr ecx, 8
    and ecx, 0xF                    ; kind
    mov edi, edx
    shr edi, 12                     ; flags
    cmp ecx, 3
    je .unmap
    mov edx, eax                    ; hot spot
    or eax, 12 << 2
    test edi, 1
    jz .rights
    or eax, FPAGE_WRITE
.rights:
    cmp ecx, 2
    jne .send
    or eax, FPAGE_GRANT
.send:
    mov esi, ebx
    mov ebx, eax
    mov eax, L4_IPC_SHORT_FPAGE
    push ebp
    mov ebp, L4_IPC_NIL
    xor ecx, ecx
    xor edi, edi
    int 0x30
    pop ebp
    ret
.unmap:
    mov ecx, [eax]                  ; use the page first: its translation is in the TLB now
    or eax, 12 << 2
    xor ecx, ecx
    test edi, 1
    jz .own
    or ecx, L4_FP_FLUSH_PAGE
.own:
    test edi, 2
    jz .call
    or ecx, L4_FP_ALL_SPACES
.call:
    int 0x32
    ret

; The workers: wait for a command or a mapping (open, accepting mappings anywhere).
worker:
    mov eax, L4_IPC_NIL
.ipc:
    push ebp
    mov ebp, L4_WHOLE_SPACE | 2 | 1
    xor ecx, ecx
    int 0x30
    pop ebp
    test al, L4_IPC_ERROR_MASK
    jnz worker
    cmp edi, COMMAND
    jne worker                      ; a mapping from someone: nothing to answer
    push esi
    call perform
    pop esi
    mov eax, L4_IPC_SHORT_MSG       ; answer the root task, wait again
    jmp .ipc

section .data
operations:
{table}operations_end:
section .bss
worker_stacks: resb {stacks}
    align 4096
region: resb PAGES * 4096           ; a task without one of these pages gets the root task's from the pager
testing_end
"#,
        stacks = (WORKERS + 1) * 1024
    )
}

fn run_case(cpu: CpuModel, seed: u32, small_spaces: bool) {
    let source = program(seed, small_spaces);
    let elf = sim::scenarios::assemble("mapping-properties.asm", &source).unwrap_or_else(|error| panic!("{error}"));
    let mut config = SystemConfig::new(cpu);
    config.small_spaces = small_spaces;
    let mut system = System::new(config);
    system.boot(&[sim::scenarios::sigma0().unwrap(), sim::Module::new("mapping-properties", elf)]).unwrap();
    let mut checks = 0;
    let mut maps = 0;
    let mut unmaps = 0;
    let mut seen = system.log().next_sequence();
    let mut before = rights(&system);
    let mut remaps = 0;
    loop {
        let result = system.run(Budget { stop_at_kernel_event: true, ..Budget::cycles(2_000_000_000) });
        let mut changed = false;
        let mut batch = Vec::new();
        for entry in system.log().since(seen) {
            if let Source::Kernel(event) = &entry.source {
                match *event {
                    // A worker holding a page read-only maps it with w=1 onto
                    // the copy its partner already has.
                    KernelEvent::Ipc { from, to, words: [hot_spot, fpage, _], .. }
                        if from.task() > 4
                            && to.task() > 4
                            && fpage & 2 != 0
                            && before.get(&(from.task(), hot_spot & !0xFFF)) == Some(&false)
                            && before.contains_key(&(to.task(), hot_spot & !0xFFF)) =>
                    {
                        remaps += 1;
                    }
                    KernelEvent::Map { .. } => maps += 1,
                    KernelEvent::Unmap { .. } => unmaps += 1,
                    _ => {}
                }
                if event.kind() == "map" {
                    batch.push(*event);
                }
                changed = true;
            }
        }
        seen = system.log().next_sequence();
        if changed {
            checks += 1;
            let recent = || {
                let kernel: Vec<String> = system
                    .log()
                    .iter()
                    .filter(|entry| matches!(entry.source, Source::Kernel(_)))
                    .map(|entry| entry.describe())
                    .collect();
                kernel[kernel.len().saturating_sub(12)..].join("\n")
            };
            if let Err(error) = system.audit() {
                panic!("seed {seed} on {cpu:?}: after {checks} checks: {error:?}; the last events:\n{}", recent());
            }
            if let Err(error) = system.check_tlbs() {
                panic!("seed {seed} on {cpu:?}: after {checks} checks: {error}; the last events:\n{}", recent());
            }
            let after = rights(&system);
            if let Err(error) = check_mapper_rights(&before, &after, &batch) {
                panic!("seed {seed} on {cpu:?}: after {checks} checks: {error}; the last events:\n{}", recent());
            }
            before = after;
        }
        match result {
            RunResult::Event => continue,
            RunResult::Exited { value: 0x10 } => break,
            other => panic!(
                "seed {seed} on {cpu:?}: the program ended with {other:?}:\n{}",
                String::from_utf8_lossy(system.console())
            ),
        }
    }
    assert!(maps > OPERATIONS / 6, "seed {seed}: only {maps} mappings were made; the test is not exercising map");
    assert!(unmaps > 10, "seed {seed}: only {unmaps} unmaps; the test is not exercising unmap");
    assert!(remaps >= 2, "seed {seed}: only {remaps} remappings by a read-only holder onto an existing copy");
    assert!(checks > OPERATIONS, "seed {seed}: the invariants were checked only {checks} times");
}

#[test]
fn random_map_grant_unmap_keeps_the_invariants_on_the_486() {
    for seed in [1, 2, 3, 0xBEEF] {
        run_case(CpuModel::I486, seed, false);
    }
}

#[test]
fn random_map_grant_unmap_keeps_the_invariants_on_the_pentium() {
    for seed in [4, 5, 6, 0xCAFE] {
        run_case(CpuModel::Pentium, seed, false);
    }
}

#[test]
fn random_map_grant_unmap_keeps_the_invariants_with_small_spaces() {
    for (cpu, seed) in [(CpuModel::Pentium, 7), (CpuModel::Pentium, 8), (CpuModel::I486, 9)] {
        run_case(cpu, seed, true);
    }
}
