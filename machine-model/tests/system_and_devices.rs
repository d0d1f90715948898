//! Privileged and CPU-specific instructions, I/O permissions, and devices
//! raising interrupts into the kernel.
#![allow(clippy::unwrap_used)] // test support code: a failed unwrap is a failed test

mod common;

use common::*;
use iced_x86::code_asm::*;
use machine_model::{CpuModel, EntryCause, Exit, RunLimit};

fn first_entry(model: CpuModel, build: impl FnOnce(&mut CodeAssembler)) -> machine_model::KernelEntry {
    let mut machine = machine(model);
    start(&mut machine, &assemble(build));
    run_to_entry(&mut machine)
}

#[test]
fn privileged_instructions_fault_in_ring_3() {
    for build in [
        (|a: &mut CodeAssembler| a.hlt().unwrap()) as fn(&mut CodeAssembler),
        |a| a.cli().unwrap(),
        |a| a.mov(cr3, eax).unwrap(),
        |a| a.invlpg(dword_ptr(0)).unwrap(),
        |a| a.lgdt(dword_ptr(DATA)).unwrap(),
        |a| a.wbinvd().unwrap(),
        |a| a.in_(al, dx).unwrap(),
    ] {
        let entry = first_entry(CpuModel::I486, build);
        assert_eq!((entry.vector, entry.error_code), (13, Some(0)));
        assert_eq!(entry.frame.eip, CODE, "a fault reports the faulting instruction");
    }
}

#[test]
fn cpuid_and_rdtsc_exist_only_on_the_pentium() {
    let entry = first_entry(CpuModel::I486, |a| a.cpuid().unwrap());
    assert_eq!(entry.vector, 6, "no cpuid on the 486");
    let entry = first_entry(CpuModel::I486, |a| a.rdtsc().unwrap());
    assert_eq!(entry.vector, 6, "no rdtsc on the 486");
    let entry = first_entry(CpuModel::Pentium, |a| {
        a.xor(eax, eax).unwrap();
        a.cpuid().unwrap();
        a.mov(esi, eax).unwrap();
        a.mov(eax, 1u32).unwrap();
        a.cpuid().unwrap();
        a.rdtsc().unwrap();
        a.int(0x30).unwrap();
    });
    assert_eq!(entry.vector, 0x30);
    assert_eq!(entry.frame.registers[6], 1, "highest leaf");
    let time = (entry.frame.registers[2] as u64) << 32 | entry.frame.registers[0] as u64;
    assert!(time > 0, "the time stamp counts cycles");
}

#[test]
fn the_pentium_has_cmpxchg8b_and_the_486_does_not() {
    let entry = first_entry(CpuModel::I486, |a| a.cmpxchg8b(qword_ptr(DATA)).unwrap());
    assert_eq!(entry.vector, 6);
    let entry = first_entry(CpuModel::Pentium, |a| {
        a.cmpxchg8b(qword_ptr(DATA)).unwrap();
        a.int(0x30).unwrap();
    });
    assert_eq!(entry.vector, 0x30);
}

#[test]
fn floating_point_raises_nm_with_em_and_ud_without() {
    let mut machine = machine(CpuModel::I486);
    let control = machine.cpu.cr0 | ia32::registers::cr0::EM;
    machine.write_control(control, 0);
    start(&mut machine, &assemble(|a| a.fld1().unwrap()));
    assert_eq!(run_to_entry(&mut machine).vector, 7);
    let entry = first_entry(CpuModel::I486, |a| a.fld1().unwrap());
    assert_eq!(entry.vector, 6, "no x87 is modelled: #UD");
}

#[test]
fn the_multi_byte_nop_is_a_p6_instruction() {
    for model in [CpuModel::I486, CpuModel::Pentium] {
        let entry = first_entry(model, |a| a.nop_1(dword_ptr(eax)).unwrap());
        assert_eq!(entry.vector, 6, "{model:?}");
    }
}

#[test]
fn sgdt_and_smsw_work_at_cpl_3_without_umip() {
    let entry = first_entry(CpuModel::Pentium, |a| {
        a.sgdt(dword_ptr(DATA)).unwrap();
        a.mov(eax, dword_ptr(DATA + 2)).unwrap();
        a.smsw(ebx).unwrap();
        a.int(0x30).unwrap();
    });
    assert_eq!(entry.frame.registers[0], GDT);
    assert_ne!(entry.frame.registers[3] & 1, 0, "PE is visible");
}

#[test]
fn ports_follow_the_tss_io_bitmap() {
    let mut machine = machine(CpuModel::I486);
    // A bitmap right after the TSS, all ports denied but 0xF4..0xF7 and COM1.
    let map_base = 0x68u32;
    machine.memory.write_u32(TSS + 100, map_base << 16);
    machine.memory.write(ia32::PhysAddr(TSS + map_base), &[0xFF; 8192]);
    machine.memory.write_u8(TSS + map_base + 0xF4 / 8, 0x0F);
    machine.memory.write_u8(TSS + map_base + 0x3F8 / 8, 0x00);
    machine.memory.write_u8(TSS + map_base + 8192, 0xFF);
    // The TSS limit must cover the bitmap: rewrite its descriptor and reload TR.
    let descriptor = ia32::segment::SegmentDescriptor {
        base: TSS,
        raw_limit: map_base + 8192,
        access: ia32::segment::access::PRESENT | ia32::segment::access::TSS32_AVAILABLE,
        granularity: false,
        default_big: false,
    };
    machine.memory.write(ia32::PhysAddr(GDT + 5 * 8), &descriptor.encode().to_le_bytes());
    machine.load_task_register(ia32::segment::Selector(TSS_SELECTOR)).unwrap();
    let code = assemble(|a| {
        a.mov(dx, 0x3F8u32).unwrap();
        a.mov(al, b'A' as u32).unwrap();
        a.out(dx, al).unwrap();
        a.mov(al, b'B' as u32).unwrap();
        a.out(dx, al).unwrap();
        a.mov(dx, 0x60u32).unwrap();
        a.in_(al, dx).unwrap();
    });
    start(&mut machine, &code);
    let entry = run_to_entry(&mut machine);
    assert_eq!(machine.devices.uart.output, b"AB", "permitted ports reach the UART");
    assert_eq!((entry.vector, entry.error_code), (13, Some(0)), "port 0x60 is denied");
    let mut exit_machine = common::machine(CpuModel::I486);
    // With the debug-exit port permitted, the value reaches the host.
    exit_machine.memory.write_u32(TSS + 100, map_base << 16);
    exit_machine.memory.write(ia32::PhysAddr(TSS + map_base), &[0x00; 8193]);
    exit_machine.memory.write(ia32::PhysAddr(GDT + 5 * 8), &descriptor.encode().to_le_bytes());
    exit_machine.load_task_register(ia32::segment::Selector(TSS_SELECTOR)).unwrap();
    start(
        &mut exit_machine,
        &assemble(|a| {
            a.mov(al, 0x10u32).unwrap();
            a.out(0xF4, al).unwrap();
        }),
    );
    assert_eq!(exit_machine.run(RunLimit::instructions(10)), Ok(Exit::DebugExit { value: 0x10 }));
}

#[test]
fn the_timer_interrupts_user_code_through_the_pic() {
    let mut machine = machine(CpuModel::I486);
    // The kernel's part: program the PIC (vectors 0x20/0x28) and the PIT (mode 2, 1000 ticks).
    for (port, value) in [
        (0x20, 0x11),
        (0x21, 0x20),
        (0x21, 0x04),
        (0x21, 0x01),
        (0xA0, 0x11),
        (0xA1, 0x28),
        (0xA1, 0x02),
        (0xA1, 0x01),
        (0x21, 0xFE),
        (0xA1, 0xFF),
    ] {
        machine.kernel_port_out(port, 1, value);
    }
    machine.kernel_port_out(0x43, 1, 0x34);
    machine.kernel_port_out(0x40, 1, 0xE8);
    machine.kernel_port_out(0x40, 1, 0x03);
    let code = assemble(|a| {
        let mut top = a.create_label();
        a.set_label(&mut top).unwrap();
        a.inc(eax).unwrap();
        a.jmp(top).unwrap();
    });
    start(&mut machine, &code);
    let entry = run_to_entry(&mut machine);
    assert_eq!(entry.cause, EntryCause::Interrupt { irq: 0 });
    assert_eq!(entry.vector, 0x20);
    // 1000 PIT ticks at 1.193182 MHz on a 50 MHz CPU ≈ 41,905 cycles.
    let expected = 1000.0 * 50.0 / 1.193182;
    assert!((machine.cycles as f64 - expected).abs() < 300.0, "{} cycles, expected ≈ {expected:.0}", machine.cycles);
    // Without an EOI the same line is not delivered again.
    resume(&mut machine, &entry);
    assert_eq!(machine.run(RunLimit::instructions(200_000)), Ok(Exit::Limit));
    machine.kernel_port_out(0x20, 1, 0x20);
    let entry = run_to_entry(&mut machine);
    assert_eq!(entry.cause, EntryCause::Interrupt { irq: 0 });
}

#[test]
fn single_stepping_traps_after_each_instruction() {
    let mut machine = machine(CpuModel::I486);
    let code = assemble(|a| {
        a.pushfd().unwrap();
        a.or(dword_ptr(esp), 0x100).unwrap();
        a.popfd().unwrap();
        a.inc(eax).unwrap();
        a.inc(eax).unwrap();
    });
    start(&mut machine, &code);
    let entry = run_to_entry(&mut machine);
    assert_eq!(entry.vector, 1, "#DB after the instruction following popf");
    assert_eq!(entry.frame.registers[0], 1);
    resume(&mut machine, &entry);
    let entry = run_to_entry(&mut machine);
    assert_eq!((entry.vector, entry.frame.registers[0]), (1, 2));
}
