//! `monitor …` in gdb: the kernel's and the machine's view of the moment,
//! as text — what gdb cannot know about an L4 system by itself.

use crate::debugger::Debugger;
use crate::debugger::threads::state_name;
use crate::log::Source;

const HELP: &str = "\
monitor commands (the kernel's and the machine's view of this moment):
  threads          every thread: id, name, state, priority, partner, eip, esp
  tlb              the valid TLB entries and the TLB counters
  mappings FRAME   the mapping tree of a physical frame (an address: 0x5000)
  events [N]       the last N kernel events (default 20)
  cycles           cycles, instructions and time since boot; the history kept
  help             this list";

/// Run one monitor command; its output.
pub fn run(debugger: &Debugger, command: &str) -> String {
    let mut words = command.split_whitespace();
    let name = words.next().unwrap_or("help");
    let argument = words.next();
    match name {
        "threads" => threads(debugger),
        "tlb" => tlb(debugger),
        "mappings" => match argument.and_then(parse_number) {
            Some(address) => mappings(debugger, address),
            None => "monitor mappings FRAME: give a physical address, e.g. `monitor mappings 0x401000`".into(),
        },
        "events" => match argument.map(parse_number) {
            None => events(debugger, 20),
            Some(Some(count)) => events(debugger, count as usize),
            Some(None) => "monitor events N: give a number, e.g. `monitor events 10`".into(),
        },
        "cycles" => cycles(debugger),
        "help" => HELP.into(),
        other => format!("no monitor command `{other}`\n{HELP}"),
    }
}

fn parse_number(text: &str) -> Option<u32> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(&hex.replace('_', ""), 16).ok(),
        None => text.replace([',', '_'], "").parse().ok(),
    }
}

fn threads(debugger: &Debugger) -> String {
    let system = debugger.system();
    let names = system.thread_names();
    let current = system.kernel().current_thread();
    let mut text = format!(
        "{:<10} {:<12} {:<9} {:>4} {:<12} {:<10} {:<10}\n",
        "id", "name", "state", "prio", "partner", "eip", "esp"
    );
    for thread in system.kernel().thread_summaries() {
        let running = thread.id == current;
        let blocked = matches!(thread.state, kernel::thread::State::Sending | kernel::thread::State::Receiving);
        let partner = match thread.partner.raw() {
            _ if !blocked => "-".to_string(),
            0 => "nobody".to_string(),
            0xFFFF_FFFE => "anyone".to_string(),
            raw => names.thread(raw),
        };
        let eip = if running { system.machine().cpu.eip } else { thread.eip };
        let esp = if running { system.machine().cpu.registers[4] } else { thread.esp };
        text.push_str(&format!(
            "{:#010x} {:<12} {:<9} {:>4} {:<12} {:#010x} {:#010x}\n",
            thread.id.raw(),
            names.thread(thread.id.raw()),
            state_name(thread.state, running),
            thread.priority,
            partner,
            eip,
            esp
        ));
    }
    text
}

fn tlb(debugger: &Debugger) -> String {
    let machine = debugger.system().machine();
    let mut text = String::new();
    for tlb in machine.mmu.tlbs() {
        let counters = &tlb.counters;
        text.push_str(&format!(
            "{}: {} of {} entries valid; {} hits, {} misses, {} flushes\n",
            tlb.kind().name(),
            tlb.valid_count(),
            tlb.entries().len(),
            counters.hits,
            counters.misses,
            counters.flushes
        ));
        let shift = tlb.kind().page_shift();
        for (index, entry) in tlb.entries().iter().enumerate().filter(|(_, entry)| entry.valid) {
            text.push_str(&format!(
                "  set {:>2} way {}: {:#010x} -> {:#010x} {}{}{}\n",
                index / tlb.ways(),
                index % tlb.ways(),
                entry.tag << shift,
                entry.frame << shift,
                if entry.writable { "rw" } else { "ro" },
                if entry.user { " user" } else { " kernel" },
                if entry.dirty { " dirty" } else { "" }
            ));
        }
    }
    text.push_str(&format!("CR3 {:#010x}\n", machine.cpu.cr3));
    text
}

fn mappings(debugger: &Debugger, address: u32) -> String {
    let system = debugger.system();
    let names = system.thread_names();
    let nodes: Vec<_> = system.kernel().mapping_summaries().collect();
    // A tree's root is sigma0's mapping, whose address is the frame (its space is idempotent).
    let root = nodes.iter().find(|node| {
        let size = if node.large { 1 << 22 } else { 1 << 12 };
        node.parent == kernel::thread::NONE && node.address <= address && address - node.address < size
    });
    let Some(root) = root else {
        return format!("frame {:#010x} is not in the mapping database (sigma0 has not mapped it)", address & !0xFFF);
    };
    let mut text = format!("mapping tree of frame {:#010x}:\n", root.address);
    let mut stack = vec![(root.index, 0usize)];
    while let Some((index, depth)) = stack.pop() {
        let Some(node) = nodes.iter().find(|node| node.index == index) else { continue };
        text.push_str(&format!(
            "{:indent$}{} at {:#010x} {}{}\n",
            "",
            names.task(node.task),
            node.address,
            if node.writable { "rw" } else { "ro" },
            if node.large { " 4 MB" } else { "" },
            indent = 2 + depth * 2
        ));
        for child in nodes.iter().rev().filter(|child| child.parent == index) {
            stack.push((child.index, depth + 1));
        }
    }
    text
}

fn events(debugger: &Debugger, count: usize) -> String {
    let kernel_events: Vec<_> =
        debugger.system().log().iter().filter(|entry| matches!(entry.source, Source::Kernel(_))).collect();
    let shown = &kernel_events[kernel_events.len().saturating_sub(count)..];
    if shown.is_empty() {
        return "no kernel events kept (the log keeps the latest 4096 entries)".into();
    }
    let mut text = String::new();
    for entry in shown {
        text.push_str(&format!("cycle {:>12}  {}\n", entry.cycle, entry.describe()));
    }
    text
}

fn cycles(debugger: &Debugger) -> String {
    let system = debugger.system();
    let machine = system.machine();
    let history = debugger.history();
    format!(
        "{} cycles ({:.1} µs on a {} MHz {}), {} user instructions executed, {} begun, {} kernel entries\n\
         history: back to the {}th instruction begun, {} checkpoints, one every {} instructions\n",
        machine.cycles,
        machine.microseconds(),
        machine.config().clock_mhz,
        machine.model().name(),
        machine.instructions,
        machine.attempts,
        system.kernel_entries(),
        debugger.start(),
        history.len(),
        history.interval()
    )
}
