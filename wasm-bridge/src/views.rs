//! Everything a session shows, built on demand as plain view types.

use crate::session::Session;
use crate::view::*;
use sim::kernel_crate::thread::NONE;
use sim::model::tlb::TlbKind;
use std::collections::BTreeMap;

/// Which events the log shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventQuery {
    pub thread: Option<u32>,
    pub kind: Option<String>,
    pub frame: Option<u32>,
    /// Include machine events (TLB, page walks, entries and exits).
    pub machine: bool,
    /// At most this many (the latest).
    pub limit: usize,
}

fn descriptor_kind(descriptor: &sim::model::cpu::SegmentRegister) -> String {
    describe(&descriptor.cache)
}

fn describe(cache: &ia32_descriptor::SegmentDescriptor) -> String {
    if !cache.is_present() {
        return "not present".into();
    }
    if cache.is_code() {
        if cache.is_readable() { "code, readable".into() } else { "code".into() }
    } else if cache.is_data() {
        if cache.is_writable() { "data, writable".into() } else { "data, read-only".into() }
    } else {
        match cache.system_type() {
            0x9 => "TSS (available)".into(),
            0xB => "TSS (busy)".into(),
            other => format!("system type {other:#x}"),
        }
    }
}

use sim::ia32::segment as ia32_descriptor;

const SEGMENT_NAMES: [&str; 6] = ["ES", "CS", "SS", "DS", "FS", "GS"];
const REGISTER_NAMES: [&str; 8] = ["EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"];
const FLAG_NAMES: [(u32, &str); 13] = [
    (0, "CF"),
    (2, "PF"),
    (4, "AF"),
    (6, "ZF"),
    (7, "SF"),
    (8, "TF"),
    (9, "IF"),
    (10, "DF"),
    (11, "OF"),
    (14, "NT"),
    (16, "RF"),
    (17, "VM"),
    (18, "AC"),
];

/// A kernel event line with names for ids: `from=0x04050001` becomes
/// `from=ping`, `task=0x6` (a task number) `task=pong`.
pub(crate) fn named_text(text: &str, names: &sim::ThreadNames) -> String {
    const THREADS: &[&str] = &["from", "to", "thread", "partner", "pager", "owner"];
    const TASKS: &[&str] = &["task", "chief"];
    let mut named = String::with_capacity(text.len());
    for (index, word) in text.split(' ').enumerate() {
        if index > 0 {
            named.push(' ');
        }
        let replaced = word.split_once('=').and_then(|(key, value)| {
            let number = u32::from_str_radix(value.strip_prefix("0x")?, 16).ok()?;
            if THREADS.contains(&key) || (TASKS.contains(&key) && number > 0xFF) {
                Some(format!("{key}={}", names.thread(number)))
            } else if TASKS.contains(&key) {
                Some(format!("{key}={}", names.task(number as u8)))
            } else {
                None
            }
        });
        named.push_str(replaced.as_deref().unwrap_or(word));
    }
    named
}

fn entry_view(index: u32, raw: u32, large_possible: bool) -> EntryView {
    let large = large_possible && raw & 0x80 != 0;
    EntryView {
        index,
        raw,
        address: if large { raw & 0xFFC0_0000 } else { raw & !0xFFF },
        present: raw & 1 != 0,
        writable: raw & 2 != 0,
        user: raw & 4 != 0,
        large,
        accessed: raw & 0x20 != 0,
        dirty: raw & 0x40 != 0,
    }
}

impl Session {
    pub fn status(&self) -> StatusView {
        let system = self.system();
        let machine = system.machine();
        let config = machine.config();
        let state = match system.status() {
            sim::Status::Off => "not booted".to_string(),
            sim::Status::Running => "running".to_string(),
            sim::Status::Idle => "idle (waiting for an interrupt)".to_string(),
            sim::Status::Exited { value } => format!("exited (verdict {value:#x})"),
            sim::Status::Stopped(reason) => format!("stopped: {reason:?}"),
            sim::Status::Failed(message) => format!("failed: {message}"),
        };
        StatusView {
            cpu: self.config.cpu,
            clock_mhz: config.clock_mhz,
            memory_kb: config.memory_bytes / 1024,
            small_spaces: self.config.small_spaces,
            scenario: self.programs_label().unwrap_or_else(|| self.config.scenario.clone()),
            cycles: machine.cycles,
            microseconds: machine.cycles / config.clock_mhz.max(1) as u64,
            instructions: machine.instructions,
            furthest: self.furthest,
            kernel_entries: system.kernel_entries(),
            state,
            stop: self.stop.clone(),
            current_thread: system.kernel().current_thread().raw(),
            events: self.history.len() as u64,
            calibrated: system.kernel_costs().calibrated(),
        }
    }

    /// What threads and tasks are called.
    pub fn names(&self) -> NamesView {
        NamesView(self.system().thread_names().clone())
    }

    /// The thread on the CPU, if a user thread runs: its registers are the
    /// CPU's, not the (stale) frame its TCB saved at its last kernel entry.
    fn on_cpu(&self) -> Option<u32> {
        let system = self.system();
        matches!(system.status(), sim::Status::Running).then(|| system.kernel().current_thread().raw())
    }

    pub fn threads(&self) -> Vec<ThreadView> {
        let names = self.system().thread_names();
        let on_cpu = self.on_cpu();
        let cpu = &self.system().machine().cpu;
        self.system()
            .kernel()
            .thread_summaries()
            .map(|thread| (thread.id.raw() == on_cpu.unwrap_or(0), thread))
            .map(|(live, thread)| ThreadView {
                id: thread.id.raw(),
                name: names.thread(thread.id.raw()),
                partner_name: names.thread(thread.partner.raw()),
                pager_name: names.thread(thread.pager.raw()),
                task: thread.id.task() as u32,
                lthread: thread.id.lthread() as u32,
                state: thread.state.name(),
                priority: thread.priority as u32,
                partner: thread.partner.raw(),
                pager: thread.pager.raw(),
                eip: if live { cpu.eip } else { thread.eip },
                esp: if live { cpu.registers[4] } else { thread.esp },
                running: thread.running,
                senders: thread.senders,
            })
            .collect()
    }

    pub fn timeline(&self, from: u64, to: u64) -> TimelineView {
        let mut view = self.timeline.view(from, to);
        view.names = self.names();
        view
    }

    pub fn events(&self, query: &EventQuery) -> Vec<EventView> {
        let matches = |event: &&EventView| {
            query
                .thread
                .is_none_or(|thread| event.threads.iter().any(|known| crate::breakpoints::same_thread(*known, thread)))
                && query.kind.as_ref().is_none_or(|kind| event.kind == kind.as_str())
                && query.frame.is_none_or(|frame| event.frame == Some(frame & !0xFFF))
        };
        // The latest matches only, found from the end: cloning every event of
        // a long run on each repaint was most of a step's cost.
        let limit = if query.limit == 0 { 200 } else { query.limit };
        let mut list: Vec<EventView> = self.history.iter().rev().filter(matches).take(limit).cloned().collect();
        if query.machine {
            list.extend(
                self.machine_events
                    .iter()
                    .rev()
                    .map(crate::session::event_view)
                    .filter(|event| matches(&event))
                    .take(limit),
            );
            list.sort_by_key(|event| std::cmp::Reverse(event.index));
            list.truncate(limit);
        }
        list.reverse();
        for event in &mut list {
            event.describe_now();
        }
        let names = self.system().thread_names();
        for event in list.iter_mut().filter(|event| event.source == "kernel") {
            let named = named_text(&event.text, names);
            if named != event.text {
                event.detail = std::mem::replace(&mut event.text, named);
            }
        }
        list
    }

    /// The mapping database as trees (frames with more than sigma0's mapping,
    /// unless `all`).
    pub fn mapping_trees(&self, all: bool) -> Vec<MappingTreeView> {
        let nodes: Vec<_> = self.system().kernel().mapping_summaries().collect();
        let names = self.system().thread_names();
        let mut children: BTreeMap<u16, Vec<usize>> = BTreeMap::new();
        for (position, node) in nodes.iter().enumerate() {
            children.entry(node.parent).or_default().push(position);
        }
        fn build(
            position: usize,
            nodes: &[sim::kernel_crate::inspect::MappingSummary],
            children: &BTreeMap<u16, Vec<usize>>,
            names: &sim::ThreadNames,
        ) -> (MappingNodeView, u32) {
            let node = &nodes[position];
            let mut size = 1;
            let mut built = Vec::new();
            for child in children.get(&node.index).into_iter().flatten() {
                let (view, count) = build(*child, nodes, children, names);
                size += count;
                built.push(view);
            }
            (
                MappingNodeView {
                    index: node.index as u32,
                    task: node.task as u32,
                    name: names.task(node.task),
                    address: node.address,
                    writable: node.writable,
                    large: node.large,
                    children: built,
                },
                size,
            )
        }
        children
            .get(&NONE)
            .into_iter()
            .flatten()
            .map(|root| {
                let (view, size) = build(*root, &nodes, &children, names);
                // Sigma0's space is idempotent: its address is the frame.
                MappingTreeView { frame: view.address, root: view, size }
            })
            .filter(|tree| all || tree.size > 1)
            .collect()
    }

    pub fn spaces(&self) -> Vec<SpaceView> {
        self.system()
            .kernel()
            .task_summaries()
            .map(|task| SpaceView {
                task: task.number as u32,
                name: self.system().thread_names().task(task.number),
                id: task.id.raw(),
                chief: task.chief as u32,
                small: task.small as u32,
                directory: task.directory,
                threads: task.threads,
            })
            .collect()
    }

    fn directory_of(&self, task: u32) -> Option<u32> {
        self.system()
            .kernel()
            .task_summaries()
            .find(|summary| summary.number as u32 == task)
            .map(|summary| summary.directory)
    }

    /// A space's user memory as runs of pages.
    pub fn memory_map(&self, task: u32) -> Vec<RangeView> {
        let Some(directory) = self.directory_of(task) else { return Vec::new() };
        self.system()
            .mapped_ranges(directory, 0xC000_0000)
            .into_iter()
            .map(|range| RangeView {
                virtual_start: range.virtual_start,
                virtual_end: range.virtual_end,
                physical_start: range.physical_start,
                writable: range.writable,
                user: range.user,
                large: range.large,
            })
            .collect()
    }

    /// A space's page directory (present entries of the user part).
    pub fn page_directory(&self, task: u32) -> Vec<EntryView> {
        let Some(directory) = self.directory_of(task) else { return Vec::new() };
        let large = self.config.cpu == CpuChoice::Pentium;
        self.system()
            .directory_entries(directory)
            .into_iter()
            .filter(|(index, _)| *index < 0x300)
            .map(|(index, raw)| entry_view(index, raw, large))
            .collect()
    }

    /// One page table of a space (by directory index).
    pub fn page_table(&self, task: u32, directory_index: u32) -> Vec<EntryView> {
        let Some(directory) = self.directory_of(task) else { return Vec::new() };
        let entry = self.system().machine().memory.read_u32(directory + (directory_index & 0x3FF) * 4);
        if entry & 1 == 0 || (entry & 0x80 != 0 && self.config.cpu == CpuChoice::Pentium) {
            return Vec::new();
        }
        self.system().table_entries(entry).into_iter().map(|(index, raw)| entry_view(index, raw, false)).collect()
    }

    pub fn cpu(&self) -> CpuView {
        let machine = self.system().machine();
        let cpu = &machine.cpu;
        let registers = REGISTER_NAMES.iter().zip(cpu.registers.iter()).map(|(name, value)| (*name, *value)).collect();
        let eflags = cpu.eflags();
        let flags = FLAG_NAMES.iter().filter(|(bit, _)| eflags & (1 << bit) != 0).map(|(_, name)| *name).collect();
        let segments = SEGMENT_NAMES
            .iter()
            .zip(cpu.segments.iter())
            .map(|(name, register)| SegmentRegisterView {
                name,
                selector: register.selector.0 as u32,
                base: register.cache.base,
                limit: register.cache.byte_limit(),
                dpl: register.cache.dpl() as u32,
                kind: descriptor_kind(register),
                usable: register.usable,
            })
            .collect();
        let gdt_base = cpu.gdtr.base;
        let entries = (cpu.gdtr.limit as u32 + 1) / 8;
        let directory = cpu.cr3;
        let gdt = (0..entries.min(16))
            .filter_map(|index| {
                let bytes: Vec<u8> = self
                    .system()
                    .read_linear(directory, gdt_base + index * 8, 8)
                    .into_iter()
                    .collect::<Option<Vec<u8>>>()?;
                let raw = u64::from_le_bytes(bytes.try_into().ok()?);
                let descriptor = ia32_descriptor::SegmentDescriptor::decode(raw);
                Some(DescriptorView {
                    selector: index * 8,
                    raw: format!("{raw:016x}"),
                    base: descriptor.base,
                    limit: descriptor.byte_limit(),
                    dpl: descriptor.dpl() as u32,
                    kind: if raw == 0 { "null".into() } else { describe(&descriptor) },
                    present: descriptor.is_present(),
                })
            })
            .collect();
        CpuView {
            registers,
            eip: cpu.eip,
            eflags,
            flags,
            iopl: (eflags >> 12) & 3,
            cpl: cpu.cpl as u32,
            cr0: cpu.cr0,
            cr2: cpu.cr2,
            cr3: cpu.cr3,
            cr4: (self.config.cpu == CpuChoice::Pentium).then_some(cpu.cr4),
            segments,
            gdt,
        }
    }

    pub fn tlbs(&self) -> Vec<TlbView> {
        let machine = self.system().machine();
        let mut marks: BTreeMap<(&'static str, u32, u32), &'static str> = BTreeMap::new();
        let flushed = self.last_step.iter().any(|event| event.kind == "tlb-flush");
        for event in &self.last_step {
            if let Some((name, set, way, mark)) = tlb_mark(event) {
                marks.insert((name, set, way), mark);
            }
        }
        machine
            .mmu
            .tlbs()
            .into_iter()
            .map(|tlb| {
                let name = tlb.kind().name();
                let large = tlb.kind() == TlbKind::Large;
                let ways = tlb.ways() as u32;
                let entries = tlb
                    .entries()
                    .iter()
                    .enumerate()
                    .map(|(position, entry)| {
                        let (set, way) = (position as u32 / ways, position as u32 % ways);
                        TlbEntryView {
                            set,
                            way,
                            valid: entry.valid,
                            page: if large { entry.tag << 22 } else { entry.tag << 12 },
                            frame: if large { entry.frame << 22 } else { entry.frame << 12 },
                            writable: entry.writable,
                            user: entry.user,
                            mark: marks.get(&(name, set, way)).copied().unwrap_or(""),
                        }
                    })
                    .collect();
                let replacement = (0..tlb.sets())
                    .map(|set| {
                        let bits = tlb.lru_bits(set);
                        let victim = (0..tlb.ways())
                            .find(|way| !tlb.entries()[set * tlb.ways() + way].valid)
                            .unwrap_or_else(|| tlb.victim_of(set));
                        (bits, victim as u32)
                    })
                    .collect();
                TlbView {
                    name,
                    sets: tlb.sets() as u32,
                    ways,
                    large,
                    entries,
                    replacement,
                    flushed,
                    hits: tlb.counters.hits,
                    misses: tlb.counters.misses,
                    fills: tlb.counters.fills,
                    flushes: tlb.counters.flushes,
                }
            })
            .collect()
    }

    /// Disassembly around the current thread's EIP (in its address space).
    pub fn code(&self, count: usize) -> CodeView {
        let system = self.system();
        let kernel = system.kernel();
        let current = kernel.current_thread();
        // A thread on the CPU is where the CPU is; one that entered the
        // kernel (and the CPU is idle) where its TCB says.
        let eip = match (self.on_cpu(), kernel.thread_summary(current)) {
            (Some(_), _) | (None, None) => system.machine().cpu.eip,
            (None, Some(thread)) => thread.eip,
        };
        let directory = system.machine().cpu.cr3;
        // A small-space thread's EIP is relative to its code segment's base.
        let base = system.machine().cpu.segments[1].cache.base;
        let breakpoints = self.address_breakpoints();
        let lines = system
            .disassemble(directory, base, eip, count)
            .into_iter()
            .map(|line| {
                let address = line.address;
                CodeLineView {
                    address,
                    source: self.source_of(address),
                    bytes: line.bytes.iter().map(|byte| format!("{byte:02x}")).collect::<Vec<_>>().join(" "),
                    text: line.text,
                    label: line.label,
                    current: address == eip,
                    breakpoint: breakpoints.contains(&address),
                }
            })
            .collect();
        CodeView { thread: current.raw(), thread_name: system.thread_names().thread(current.raw()), eip, lines }
    }

    pub fn console(&self) -> String {
        String::from_utf8_lossy(self.system().console()).replace('\r', "")
    }

    /// The VGA text screen as 25 lines of (text, attributes).
    pub fn vga(&self) -> Vec<(String, Vec<u8>)> {
        let cells = self.system().vga_text();
        cells
            .chunks(80)
            .map(|row| {
                let text = row
                    .iter()
                    .map(|(character, _)| if (0x20..0x7F).contains(character) { *character as char } else { ' ' })
                    .collect();
                (text, row.iter().map(|(_, attribute)| *attribute).collect())
            })
            .collect()
    }

    pub fn costs(&self) -> CostsView {
        let counts = self.system().log().counts();
        costs_of(self.system(), self.config.cpu, counts.ipc_cycles, counts.ipc_entries, counts.tlb_misses)
    }

    pub fn programs(&self) -> Vec<ProgramView> {
        self.programs.clone()
    }

    pub fn errors(&self) -> Vec<ProgramErrorView> {
        self.errors.clone()
    }

    pub fn breakpoint_list(&self) -> Vec<BreakpointView> {
        self.breakpoints
            .iter()
            .map(|(id, breakpoint)| BreakpointView {
                id: *id,
                description: breakpoint.describe(self.system().thread_names()),
            })
            .collect()
    }
}

fn tlb_mark(event: &EventView) -> Option<(&'static str, u32, u32, &'static str)> {
    let text = event.described();
    let field = |name: &str| {
        text.split(' ')
            .find_map(|pair| pair.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))
            .map(str::to_string)
    };
    let tlb_name = |text: String| -> Option<&'static str> {
        [TlbKind::Unified, TlbKind::Code, TlbKind::Data, TlbKind::Large]
            .into_iter()
            .find(|kind| format!("{kind:?}").to_lowercase() == text)
            .map(|kind| kind.name())
    };
    let mark = match event.kind {
        "tlb-fill" => "fill",
        "tlb-hit" => "hit",
        _ => return None,
    };
    let set = field("set")?.parse().ok()?;
    let way = field("way")?.parse().ok()?;
    Some((tlb_name(field("tlb")?)?, set, way, mark))
}

pub(crate) fn costs_of(
    system: &sim::System,
    cpu: CpuChoice,
    ipc_cycles: u64,
    ipc_count: u64,
    tlb_misses: u64,
) -> CostsView {
    let machine = system.machine();
    let statistics = system.kernel().statistics;
    let clock = machine.config().clock_mhz;
    let cycles_per_ipc = if ipc_count == 0 { 0.0 } else { ipc_cycles as f64 / ipc_count as f64 };
    let switches = statistics.space_switches + statistics.small_space_switches;
    let misses: u64 = machine.mmu.tlbs().iter().map(|tlb| tlb.counters.misses).sum::<u64>().max(tlb_misses);
    CostsView {
        cpu,
        clock_mhz: clock,
        ipcs: statistics.ipcs(),
        cycles_per_ipc,
        microseconds_per_ipc: cycles_per_ipc / clock.max(1) as f64,
        space_switches: statistics.space_switches,
        small_space_switches: statistics.small_space_switches,
        tlb_misses: misses,
        tlb_misses_per_switch: if switches == 0 { 0.0 } else { misses as f64 / switches as f64 },
        cycles: machine.cycles,
    }
}
