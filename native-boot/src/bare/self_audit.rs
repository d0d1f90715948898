//! The kernel's self-audit on the bare machine (`audit` on the kernel
//! command line): `Kernel::audit` every 4,096 kernel entries, and a line on
//! the console every 16 audits with the system calls made so far — what
//! `cargo xtask soak --native` reads. A broken invariant is printed and
//! stops the machine (QEMU exits with 37), so a soak in QEMU cannot pass
//! over one.
//!
//! Off by default: the audit walks every address space, far more work than
//! the entries between two audits. With it on, every page fault that
//! reaches the general entry is also checked against the assembly fast
//! path's guards (`Kernel::fault_escaped_the_assembly`): the assembly
//! must have left it for a reason the Rust twin of its guards sees too.
//!
//! With `tables` on the command line, every entry into the kernel debugger
//! (`enter_kdebug`, a breakpoint) is followed by a line with the levels of
//! the kernel's fixed tables (`tables: threads 20/512, tasks 3, mapping
//! nodes 1400/32768, pool frames 31/1721`): what the model's tests read
//! from the kernel directly, for the exhaustion tests in QEMU.

use super::hardware::NativeHardware;
use super::serial;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::Kernel;

/// Kernel entries between two audits.
const PERIOD: u32 = 4096;
/// Audits between two report lines.
const REPORT_EVERY: u32 = 16;

/// The audit or the table report is on: the only test on an entry's way
/// when both are off.
static ENABLED: AtomicBool = AtomicBool::new(false);
static AUDIT: AtomicBool = AtomicBool::new(false);
static TABLES: AtomicBool = AtomicBool::new(false);
static ENTRIES: AtomicU32 = AtomicU32::new(0);
static AUDITS: AtomicU32 = AtomicU32::new(0);
/// System calls, counted in two halves (no 64-bit atomics on the 486).
static CALLS_LOW: AtomicU32 = AtomicU32::new(0);
static CALLS_HIGH: AtomicU32 = AtomicU32::new(0);

/// Turn the audit and the table report on (boot, before the first entry).
pub fn configure(audit: bool, tables: bool) {
    ENABLED.store(audit || tables, Ordering::Relaxed);
    AUDIT.store(audit, Ordering::Relaxed);
    TABLES.store(tables, Ordering::Relaxed);
    if audit {
        let _ = write!(serial::CONSOLE.writer(), "native-boot: self-audit every {PERIOD} kernel entries\r\n");
    }
}

/// A page fault from user mode at `address` reached the general entry:
/// with the audit on, the assembly fast path must have left it for a reason
/// its Rust twin sees too (`Kernel::fault_escaped_the_assembly`), or the
/// machine stops. Only the test is inlined: the general entry pays one
/// load for it when the audit is off.
#[inline(always)]
pub fn fault_reached_rust(saved: &super::traps::TrapFrame, address: u32) {
    if AUDIT.load(Ordering::Relaxed) {
        check_fault(saved, address);
    }
}

#[inline(never)]
fn check_fault(saved: &super::traps::TrapFrame, address: u32) {
    let trap = kernel::Trap {
        vector: 14,
        error_code: saved.error_code,
        fault_address: address,
        cause: kernel::Cause::Exception,
    };
    let frame = saved.user_frame();
    // Safety: called from `native_trap` with interrupts off, before the
    // kernel runs the entry; the references end here.
    let (kernel, _) = unsafe { super::kernel_and_machine() };
    if kernel.fault_escaped_the_assembly(&trap, &frame) {
        let _ = write!(
            serial::CONSOLE.writer(),
            "\r\nnative-boot: self-audit: the page fault at {address:#x} (EIP {:#x}) reached the general entry, but \
             `Kernel::fault_assembly_takes` says the assembly takes it\r\n",
            frame.eip
        );
        super::exit(crate::exit::Verdict::KernelStop);
    }
}

fn system_calls() -> u64 {
    (CALLS_HIGH.load(Ordering::Relaxed) as u64) << 32 | CALLS_LOW.load(Ordering::Relaxed) as u64
}

/// Count the entry; audit when its turn has come. Report the tables after
/// an entry into the kernel debugger. (Inlined: with both off, as in every
/// measured run, an entry pays one load and one jump, not the call and the
/// large stack frame of the audit.)
#[inline(always)]
pub fn after_entry(kernel: &Kernel, hardware: &mut NativeHardware, system_call: bool) {
    if ENABLED.load(Ordering::Relaxed) {
        after_entry_enabled(kernel, hardware, system_call);
    }
}

#[inline(never)]
fn after_entry_enabled(kernel: &Kernel, hardware: &mut NativeHardware, system_call: bool) {
    if hardware.entered_debugger && TABLES.load(Ordering::Relaxed) {
        report_tables(kernel);
    }
    if !AUDIT.load(Ordering::Relaxed) {
        return;
    }
    if system_call {
        let low = CALLS_LOW.load(Ordering::Relaxed).wrapping_add(1);
        CALLS_LOW.store(low, Ordering::Relaxed);
        if low == 0 {
            CALLS_HIGH.store(CALLS_HIGH.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        }
    }
    let entries = ENTRIES.load(Ordering::Relaxed) + 1;
    if entries < PERIOD {
        ENTRIES.store(entries, Ordering::Relaxed);
        return;
    }
    ENTRIES.store(0, Ordering::Relaxed);
    let audits = AUDITS.load(Ordering::Relaxed) + 1;
    AUDITS.store(audits, Ordering::Relaxed);
    if let Err(error) = kernel.audit(hardware) {
        let _ = write!(
            serial::CONSOLE.writer(),
            "\r\nnative-boot: the kernel broke an invariant after {} system calls (audit {audits}): {error:?}\r\n",
            system_calls()
        );
        super::exit(crate::exit::Verdict::KernelStop);
    }
    if audits.is_multiple_of(REPORT_EVERY) {
        let _ = write!(
            serial::CONSOLE.writer(),
            "soak: {} system calls, {audits} audits, 0 invariant breaks\r\n",
            system_calls()
        );
    }
}

/// The tables' levels, after an entry into the kernel debugger.
fn report_tables(kernel: &Kernel) {
    let levels = kernel.table_levels();
    let _ = write!(
        serial::CONSOLE.writer(),
        "tables: threads {}/{}, tasks {}, mapping nodes {}/{}, pool frames {}/{}\r\n",
        levels.threads,
        levels.max_threads,
        levels.tasks,
        levels.mapping_nodes,
        levels.max_mapping_nodes,
        levels.pool_frames,
        levels.max_pool_frames
    );
}
