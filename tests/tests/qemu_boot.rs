//! The native image boots on a real (QEMU) i486 and Pentium.

use std::time::Duration;
use xtask::qemu::{Cpu, QemuConfig, run_captured};

fn boot(cpu: Cpu) -> xtask::qemu::QemuOutcome {
    let image = xtask::native::build_image().expect("the native image builds");
    let outcome = run_captured(&QemuConfig::new(cpu, &image), Duration::from_secs(30)).expect("QEMU runs");
    assert!(!outcome.timed_out, "QEMU did not finish within 30 s on {cpu:?}; serial:\n{}", outcome.serial);
    outcome
}

fn expect_banner_and_success(cpu: Cpu, name: &str) {
    let outcome = boot(cpu);
    assert_eq!(outcome.status, Some(33), "exit status on {cpu:?} (33 = success); serial:\n{}", outcome.serial);
    let banner = format!("L4/x86 X.0 microkernel {} on {name}", env!("CARGO_PKG_VERSION"));
    assert!(outcome.serial.contains(&banner), "no `{banner}` in:\n{}", outcome.serial);
    assert!(outcome.serial.contains(&format!("@k boot cpu={name}")), "no boot event in:\n{}", outcome.serial);
}

#[test]
fn boots_on_the_486() {
    expect_banner_and_success(Cpu::I486, "i486");
}

#[test]
fn boots_on_the_pentium() {
    expect_banner_and_success(Cpu::Pentium, "Pentium");
}
