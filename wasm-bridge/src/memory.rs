//! The memory view's data: bytes of an address space, read through its page
//! tables as the MMU would (without charging anything or touching a TLB),
//! or of physical memory; unmapped pages are said to be unmapped, never
//! shown as zeros.

use crate::session::Session;
use serde::Serialize;

/// Whose memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum MemorySpace {
    /// The space of the thread on the CPU (or the one that entered the kernel last).
    Current,
    /// A task's space, by task number.
    Task(u32),
    /// Physical memory.
    Physical,
}

/// Sixteen bytes of memory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemoryRowView {
    pub address: u32,
    /// None: the page is not mapped in this space.
    pub bytes: Vec<Option<u8>>,
    /// The physical address of the row's first byte, if mapped.
    pub physical: Option<u32>,
    pub writable: bool,
}

/// A window of memory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemoryView {
    pub space: MemorySpace,
    /// The task it belongs to (None: physical memory), and its name.
    pub task: Option<u32>,
    pub name: String,
    pub rows: Vec<MemoryRowView>,
}

/// Bytes per row.
pub const ROW_BYTES: u32 = 16;

impl Session {
    /// The task whose space [`MemorySpace::Current`] means.
    fn current_task(&self) -> u32 {
        self.system().kernel().current_thread().task() as u32
    }

    /// `rows` rows of 16 bytes from `start` (rounded down to 16) in `space`.
    pub fn memory(&self, space: MemorySpace, start: u32, rows: u32) -> MemoryView {
        let system = self.system();
        let start = start & !(ROW_BYTES - 1);
        let task = match space {
            MemorySpace::Current => Some(self.current_task()),
            MemorySpace::Task(task) => Some(task),
            MemorySpace::Physical => None,
        };
        let directory = task.and_then(|task| {
            system
                .kernel()
                .task_summaries()
                .find(|summary| summary.number as u32 == task)
                .map(|summary| summary.directory)
        });
        let name = match task {
            Some(task) => format!("{}'s space", self.names().task(task)),
            None => "physical memory".to_string(),
        };
        let memory_bytes = system.machine().config().memory_bytes;
        let rows = (0..rows)
            .map_while(|row| start.checked_add(row * ROW_BYTES))
            .map(|address| match (task, directory) {
                (None, _) => {
                    let inside = address < memory_bytes;
                    MemoryRowView {
                        address,
                        bytes: (0..ROW_BYTES)
                            .map(|offset| inside.then(|| system.machine().memory.read_u8(address + offset)))
                            .collect(),
                        physical: inside.then_some(address),
                        writable: inside,
                    }
                }
                (Some(_), Some(directory)) if directory != 0 => {
                    let translation = system.walk(directory, address);
                    MemoryRowView {
                        address,
                        bytes: system.read_linear(directory, address, ROW_BYTES as usize),
                        physical: translation.map(|translation| translation.physical),
                        writable: translation.is_some_and(|translation| translation.writable),
                    }
                }
                (Some(_), _) => {
                    MemoryRowView { address, bytes: vec![None; ROW_BYTES as usize], physical: None, writable: false }
                }
            })
            .collect();
        MemoryView { space, task, name, rows }
    }

    /// A register of the CPU by name (`esp`, `eip`, …), for "follow".
    pub fn register_value(&self, name: &str) -> Option<u32> {
        let cpu = self.cpu();
        match name {
            "eip" => Some(cpu.eip),
            other => cpu.registers.iter().find(|(known, _)| known.eq_ignore_ascii_case(other)).map(|(_, value)| *value),
        }
    }

    /// A label of the loaded programs, for "go to".
    pub fn label_address(&self, name: &str) -> Option<u32> {
        self.system().labels().into_iter().find(|label| label.name == name).map(|label| label.address)
    }
}
