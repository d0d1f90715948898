//! The debugger on ping-pong: the first stop, breakpoints per code,
//! stepping over an IPC, watchpoints, and going back exactly.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::{CpuModel, SystemConfig, scenarios};

const PING: u8 = 5;
const PONG: u8 = 6;

fn ping_pong(small_spaces: bool) -> Debugger {
    let mut config = SystemConfig::new(CpuModel::I486);
    config.small_spaces = small_spaces;
    let mut system = System::new(config);
    let modules = scenarios::find("ping-pong").unwrap().modules().unwrap();
    system.boot(&modules).unwrap();
    Debugger::new(system, 2_000_000_000)
}

/// A label of the root task's program.
fn label(debugger: &Debugger, name: &str) -> u32 {
    let image = asm::loader::Image::parse(&debugger.system().modules()[1].elf).unwrap();
    image.symbols().find(|symbol| symbol.name == name.as_bytes()).unwrap().address
}

/// The address of the first `int 0x30` at or after `from` in the root task's program.
fn first_int_0x30(debugger: &Debugger, from: u32) -> u32 {
    let image = asm::loader::Image::parse(&debugger.system().modules()[1].elf).unwrap();
    let segment = image.segments().find(|segment| segment.address <= from && from < segment.end()).unwrap();
    let code = &segment.data[(from - segment.address) as usize..];
    from + code.windows(2).position(|pair| pair == [0xCD, 0x30]).unwrap() as u32
}

/// Everything a debugger shows of the moment: position, cycles, the
/// running thread and every thread's registers.
fn moment(debugger: &Debugger) -> (u64, u64, ThreadId, Vec<(ThreadId, threads::Registers)>) {
    let registers =
        debugger.threads().iter().map(|thread| (thread.id, debugger.registers(thread.id).unwrap())).collect();
    (debugger.position(), debugger.system().machine().cycles, debugger.current_thread(), registers)
}

#[test]
fn the_first_stop_is_before_the_root_tasks_first_instruction() {
    let debugger = ping_pong(false);
    let root = debugger.current_thread();
    assert_eq!(root.task(), crate::names::ROOT_TASK);
    assert_eq!(debugger.registers(root).unwrap().eip, label(&debugger, "_start"));
    assert_eq!(debugger.start(), debugger.position());
    let names: Vec<String> = debugger.threads().into_iter().map(|thread| thread.name).collect();
    assert!(names.contains(&"sigma0".to_string()) && names.contains(&"root".to_string()), "{names:?}");
}

#[test]
fn a_breakpoint_stops_the_thread_that_runs_its_code_and_going_back_is_exact() {
    for small_spaces in [false, true] {
        let mut debugger = ping_pong(small_spaces);
        let root = debugger.current_thread();
        let ping = label(&debugger, "ping");
        debugger.add_breakpoint(root, ping).unwrap();
        let stop = debugger.resume(|_| false);
        let Stop::Breakpoint { thread, address } = stop else { panic!("{stop:?}") };
        assert_eq!((thread.task(), address), (PING, ping), "small spaces {small_spaces}");
        assert_eq!(debugger.registers(thread).unwrap().eip, ping);
        let at_breakpoint = moment(&debugger);
        // Two steps forward and two back give the same moment, every thread's registers included.
        let first = debugger.step();
        assert!(matches!(first, Stop::Stepped { .. }), "{first:?}");
        let after_one = moment(&debugger);
        debugger.step();
        debugger.reverse_step();
        assert_eq!(moment(&debugger), after_one, "small spaces {small_spaces}: one back");
        debugger.reverse_step();
        assert_eq!(moment(&debugger), at_breakpoint, "small spaces {small_spaces}: two back");
        // Run on, then back to the breakpoint: ping starts once, so that is the hit.
        debugger.remove_breakpoint(ping);
        debugger.add_breakpoint(thread, label(&debugger, "ping.next")).unwrap();
        assert!(matches!(debugger.resume(|_| false), Stop::Breakpoint { .. }));
        assert!(matches!(debugger.resume(|_| false), Stop::Breakpoint { .. }));
        debugger.remove_breakpoint(label(&debugger, "ping.next"));
        debugger.add_breakpoint(thread, ping).unwrap();
        let stop = debugger.reverse_resume();
        assert!(matches!(stop, Stop::Breakpoint { address, .. } if address == ping), "{stop:?}");
        assert_eq!(moment(&debugger), at_breakpoint, "small spaces {small_spaces}: back at the breakpoint");
    }
}

#[test]
fn stepping_over_an_ipc_lands_in_the_next_thread() {
    let mut debugger = ping_pong(false);
    let root = debugger.current_thread();
    let call = first_int_0x30(&debugger, label(&debugger, "ping.call"));
    debugger.add_breakpoint(root, call).unwrap();
    let Stop::Breakpoint { thread: ping, .. } = debugger.resume(|_| false) else { panic!() };
    assert_eq!(ping.task(), PING);
    let before = debugger.position();
    let stop = debugger.step();
    assert_eq!(stop.thread().task(), PONG, "the call switched to pong: {stop:?}");
    assert_eq!(debugger.position(), before + 1, "the kernel entry is part of the one step");
    let back = debugger.reverse_step();
    assert_eq!(back.thread(), ping, "and back in ping, at its int 0x30");
    assert_eq!(debugger.registers(ping).unwrap().eip, call);
}

#[test]
fn stepping_over_a_page_fault_lands_in_the_pager() {
    let mut debugger = ping_pong(false);
    let root = debugger.current_thread();
    // The root task's first instruction faults: sigma0 maps the page.
    let stop = debugger.step();
    assert_eq!(stop.thread().task(), crate::names::SIGMA0_TASK, "{stop:?}");
    let back = debugger.reverse_step();
    assert_eq!(back.thread(), root);
    assert!(matches!(debugger.reverse_step(), Stop::HistoryStart { .. }));
}

#[test]
fn a_watchpoint_reports_the_write_and_going_back_stops_before_it() {
    let mut debugger = ping_pong(false);
    let root = debugger.current_thread();
    debugger.add_breakpoint(root, label(&debugger, "ping.call")).unwrap();
    let Stop::Breakpoint { thread: ping, .. } = debugger.resume(|_| false) else { panic!() };
    // `push ecx` puts the call's counter just below ping's stack top.
    let slot = label(&debugger, "ping_stack_top") - 4;
    debugger.remove_breakpoint(label(&debugger, "ping.call"));
    debugger.add_watch(ping, slot, 4, WatchKind::Write).unwrap();
    let first = debugger.resume(|_| false);
    assert!(matches!(first, Stop::Watchpoint { address, .. } if address == slot), "{first:?}");
    let mut counter = [0u8; 4];
    debugger.read_memory(ping, slot, &mut counter).unwrap();
    assert_eq!(u32::from_le_bytes(counter), 0);
    let stop = debugger.resume(|_| false);
    assert!(
        matches!(stop, Stop::Watchpoint { thread, address, kind: WatchKind::Write } if thread == ping && address == slot)
    );
    debugger.read_memory(ping, slot, &mut counter).unwrap();
    assert_eq!(u32::from_le_bytes(counter), 1, "the second round pushed 1");
    let after = debugger.position();
    let back = debugger.reverse_resume();
    assert!(matches!(back, Stop::Watchpoint { .. }), "{back:?}");
    assert_eq!(debugger.position(), after - 1, "just before the push");
    debugger.read_memory(ping, slot, &mut counter).unwrap();
    assert_eq!(u32::from_le_bytes(counter), 0);
}

#[test]
fn going_back_past_the_start_stops_there_and_changes_start_a_new_future() {
    let mut debugger = ping_pong(false);
    let root = debugger.current_thread();
    let start = moment(&debugger);
    assert!(matches!(debugger.reverse_step(), Stop::HistoryStart { .. }));
    for _ in 0..5 {
        debugger.step();
    }
    assert!(matches!(debugger.reverse_resume(), Stop::HistoryStart { .. }));
    assert_eq!(moment(&debugger), start);
    // A changed register is seen from here on, also after going back and forth.
    let mut registers = debugger.registers(root).unwrap();
    registers.general[1] = 0x1234_5678;
    debugger.set_registers(root, registers).unwrap();
    debugger.step();
    debugger.reverse_step();
    assert_eq!(debugger.registers(root).unwrap().general[1], 0x1234_5678);
    registers.segments[0] = 0x8;
    assert_eq!(debugger.set_registers(root, registers), Err(threads::AccessError::SegmentRegister));
}

#[test]
fn memory_is_read_through_the_threads_page_tables() {
    let mut debugger = ping_pong(false);
    let root = debugger.current_thread();
    let mut byte = [0u8; 1];
    assert_eq!(
        debugger.read_memory(root, 0x7000_0000, &mut byte),
        Err(threads::AccessError::Unmapped { address: 0x7000_0000 })
    );
    assert!(debugger.add_breakpoint(root, 0x7000_0000).is_err(), "no breakpoint in unmapped memory");
    // Once the root task ran, its first bytes are mapped: its program's.
    let entry = label(&debugger, "_start");
    let image = asm::loader::Image::parse(&debugger.system().modules()[1].elf).unwrap();
    let segment = image.segments().find(|segment| segment.address <= entry && entry < segment.end()).unwrap();
    let offset = (entry - segment.address) as usize;
    let code = segment.data[offset..offset + 4].to_vec();
    let mut own = [0u8; 4];
    for _ in 0..10_000 {
        debugger.step();
        if debugger.current_thread() == root && debugger.read_memory(root, entry, &mut own) == Ok(4) {
            break;
        }
    }
    assert_eq!(code, own.to_vec());
}

#[test]
fn a_checkpointed_history_goes_back_far_and_exactly() {
    let mut debugger = ping_pong(true);
    let stop = debugger.resume({
        let mut slices = 0;
        move |_: &System| {
            slices += 1;
            slices > 3
        }
    });
    assert!(matches!(stop, Stop::Interrupted { .. }), "{stop:?}");
    assert!(debugger.history().len() >= 3, "checkpoints on the way: {}", debugger.history().len());
    let here = moment(&debugger);
    let position = debugger.position();
    debugger.reverse_step();
    assert_eq!(debugger.position(), position - 1);
    debugger.step();
    assert_eq!(moment(&debugger), here);
    let stop = debugger.resume(|_| false);
    assert!(matches!(stop, Stop::Ended { ending: Ending::Exited { verdict: 0x10 }, .. }), "{stop:?}");
    assert!(matches!(debugger.step(), Stop::Ended { .. }), "the end stays the end");
    assert!(matches!(debugger.reverse_step(), Stop::Stepped { .. }), "but one may go back from it");
}

#[test]
fn a_watchpoint_sees_the_kernel_copy_a_message_into_memory() {
    let mut system = System::new(SystemConfig::new(CpuModel::I486));
    system.boot(&scenarios::find_test("ipc-memory").unwrap().modules().unwrap()).unwrap();
    let mut debugger = Debugger::new(system, 2_000_000_000);
    let root = debugger.current_thread();
    // Dword 3 of the first memory message lands in the server's inbox.
    let word = label(&debugger, "inbox") + 12 + 12;
    debugger.add_watch(root, word, 4, WatchKind::Write).unwrap();
    let stop = debugger.resume(|_| false);
    let Stop::Watchpoint { thread, address, .. } = stop else { panic!("{stop:?}") };
    assert_eq!(address, word);
    let mut value = [0u8; 4];
    debugger.read_memory(root, word, &mut value).unwrap();
    assert_eq!(u32::from_le_bytes(value), 0xD3, "stopped after the copy, in {thread:?}");
    let after = debugger.position();
    let back = debugger.reverse_resume();
    assert!(matches!(back, Stop::Watchpoint { .. }), "{back:?}");
    assert_eq!(debugger.position(), after - 1, "back before the IPC that copied it");
    debugger.read_memory(root, word, &mut value).unwrap();
    assert_eq!(u32::from_le_bytes(value), 0);
}
