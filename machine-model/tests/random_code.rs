//! Pages of random bytes executed as user code: whatever happens, the host
//! never panics and every outcome is a clean exception or a limit. (A
//! `cargo fuzz` target in `machine-model/fuzz/` does the same for long runs.)
#![allow(clippy::unwrap_used)] // test support code: a failed unwrap is a failed test

mod common;

use common::*;
use machine_model::{CpuModel, Exit, RunLimit, UserFrame};

struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn run_random_program(model: CpuModel, seed: u64) -> (u64, u64) {
    let mut random = Random(seed | 1);
    let mut machine = machine(model);
    // Four pages of random code; the data page, the stack and the rest stay mapped.
    let mut code = vec![0u8; 4 * 4096];
    code.iter_mut().for_each(|byte| *byte = random.next() as u8);
    start(&mut machine, &[0xCD, 0x30]);
    run_to_entry(&mut machine);
    machine.memory.write(ia32::PhysAddr(CODE), &code);
    let mut entries = 0;
    let mut executed = 0;
    for _ in 0..200 {
        let registers: [u32; 8] = std::array::from_fn(|index| {
            if index == 4 { STACK_TOP - (random.next() as u32 % 4096) } else { random.next() as u32 }
        });
        let frame = UserFrame {
            registers,
            eip: CODE + (random.next() as u32 % (4 * 4096)),
            eflags: (random.next() as u32 & 0x0CD5) | 0x202,
            segments: [USER_DATA, USER_CODE, USER_DATA, USER_DATA, USER_DATA, USER_DATA],
        };
        machine.return_to_user(&frame, false).expect("a valid frame is accepted");
        let before = machine.instructions;
        match machine.run(RunLimit::instructions(2_000)) {
            Ok(Exit::KernelEntry(_)) => entries += 1,
            Ok(Exit::Limit) => {
                // Still in user mode (an endless loop): send it to an int 0x30 past the code.
                machine.memory.write(ia32::PhysAddr(CODE + 5 * 4096), &[0xCD, 0x30]);
                machine.cpu.eip = CODE + 5 * 4096;
                match machine.run(RunLimit::instructions(10)) {
                    Ok(Exit::KernelEntry(_)) => {}
                    other => panic!("int 0x30 did not enter the kernel: {other:?}"),
                }
            }
            Ok(Exit::DebugExit { .. }) => {
                // Random code wrote to port 0xF4: only possible with IOPL 3, which is not given.
                panic!("a user program reached the debug-exit port without I/O permission");
            }
            Ok(other @ (Exit::Stopped(_) | Exit::Watchpoint(_))) => panic!("no debugger hooks are set: {other:?}"),
            Err(error) => panic!("the machine stopped: {error}"),
        }
        executed += machine.instructions - before;
    }
    (entries, executed)
}

#[test]
fn random_code_never_panics_the_host() {
    let mut entries = 0;
    let mut executed = 0;
    for seed in 0..200u64 {
        for model in [CpuModel::I486, CpuModel::Pentium] {
            let (run_entries, run_executed) = run_random_program(model, seed * 7919 + 1);
            entries += run_entries;
            executed += run_executed;
        }
    }
    // Random bytes mostly fault quickly; the point is that nothing panicked.
    assert!(entries > 50_000, "only {entries} kernel entries");
    assert!(executed > 1_000, "only {executed} instructions executed");
}
