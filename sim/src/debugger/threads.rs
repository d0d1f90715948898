//! Every L4 thread as a debugger sees it: its name and state, its
//! registers (the CPU's for the running thread, the kernel's saved frame
//! for the others) and its memory, read and written through its own page
//! tables. Nothing here runs the machine or charges a cycle.

use super::Debugger;
use ia32::abi::ThreadId;
use kernel::thread::{Frame, State};

/// One thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadInfo {
    pub id: ThreadId,
    pub name: String,
    /// running, ready, sending, receiving, waiting, inactive or stopped.
    pub state: String,
    pub running: bool,
    pub eip: u32,
}

/// A thread's user registers, in the order gdb's i386 numbers them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Registers {
    /// EAX ECX EDX EBX ESP EBP ESI EDI.
    pub general: [u32; 8],
    pub eip: u32,
    pub eflags: u32,
    /// CS SS DS ES FS GS.
    pub segments: [u32; 6],
}

/// The EFLAGS bits a debugger may change (the rest are the kernel's).
const WRITABLE_FLAGS: u32 = {
    use ia32::registers::eflags::*;
    STATUS | TF | DF | AC
};

/// Why a thread's registers or memory cannot be touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessError {
    /// No such thread (any more).
    NoThread,
    /// The address is not mapped in the thread's space.
    Unmapped { address: u32 },
    /// Only the kernel may change segment registers.
    SegmentRegister,
}

impl std::fmt::Display for AccessError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccessError::NoThread => write!(formatter, "no such thread"),
            AccessError::Unmapped { address } => write!(formatter, "{address:#010x} is not mapped in this space"),
            AccessError::SegmentRegister => write!(formatter, "segment registers belong to the kernel"),
        }
    }
}

/// What a thread is doing, in one word.
pub fn state_name(state: State, running: bool) -> &'static str {
    match state {
        State::Ready if running => "running",
        State::Ready => "ready",
        State::Sending => "sending",
        State::Receiving => "receiving",
        State::WaitingForInput => "waiting",
        State::Inactive => "inactive",
        State::Stopped => "stopped",
        State::Free => "free",
    }
}

impl Debugger {
    /// Whether `id` is the thread whose registers are in the CPU now.
    fn in_cpu(&self, id: ThreadId) -> bool {
        *self.system.status() == crate::Status::Running && self.system.kernel().current_thread() == id
    }

    /// Every thread that exists, in the kernel's order.
    pub fn threads(&self) -> Vec<ThreadInfo> {
        let names = self.system.thread_names();
        self.system
            .kernel()
            .thread_summaries()
            .map(|thread| {
                let running = self.in_cpu(thread.id);
                ThreadInfo {
                    id: thread.id,
                    name: names.thread(thread.id.raw()),
                    state: state_name(thread.state, running).to_string(),
                    running,
                    eip: if running { self.system.machine().cpu.eip } else { thread.eip },
                }
            })
            .collect()
    }

    /// The thread that runs now, or (while none does) the one that ran last.
    pub fn current_thread(&self) -> ThreadId {
        let current = self.system.kernel().current_thread();
        if current.is_nil() { self.last_thread } else { current }
    }

    /// The page directory of `id`'s address space.
    pub fn directory_of(&self, id: ThreadId) -> Option<u32> {
        let task = id.task();
        self.system.kernel().task_summaries().find(|summary| summary.number == task).map(|summary| summary.directory)
    }

    pub fn registers(&self, id: ThreadId) -> Result<Registers, AccessError> {
        let code = kernel::layout::selector::USER_CODE.0 as u32;
        let data = kernel::layout::selector::USER_DATA.0 as u32;
        if self.in_cpu(id) {
            let cpu = &self.system.machine().cpu;
            let selector = |number: usize| cpu.segments[number].selector.0 as u32;
            use machine_model::cpu::segment::{CS, DS, ES, FS, GS, SS};
            return Ok(Registers {
                general: cpu.registers,
                eip: cpu.eip,
                eflags: cpu.eflags(),
                segments: [selector(CS), selector(SS), selector(DS), selector(ES), selector(FS), selector(GS)],
            });
        }
        let frame = self.system.kernel().saved_registers(id).ok_or(AccessError::NoThread)?;
        Ok(Registers {
            general: frame.registers,
            eip: frame.eip,
            eflags: frame.eflags,
            segments: [code, data, data, data, data, data],
        })
    }

    /// Change a thread's registers (not its segment registers). The
    /// history from here on is the new one.
    pub fn set_registers(&mut self, id: ThreadId, registers: Registers) -> Result<(), AccessError> {
        let old = self.registers(id)?;
        if old.segments != registers.segments {
            return Err(AccessError::SegmentRegister);
        }
        let eflags = (old.eflags & !WRITABLE_FLAGS) | (registers.eflags & WRITABLE_FLAGS);
        if self.in_cpu(id) {
            let cpu = &mut self.system.machine.cpu;
            cpu.registers = registers.general;
            cpu.eip = registers.eip;
            cpu.set_eflags(eflags);
        } else {
            let frame = Frame { registers: registers.general, eip: registers.eip, eflags };
            if !self.system.kernel.set_saved_registers(id, frame) {
                return Err(AccessError::NoThread);
            }
        }
        self.changed_here();
        Ok(())
    }

    /// Read memory of `id`'s space from `address` into `buffer`: the number
    /// of bytes read before the first unmapped one.
    pub fn read_memory(&self, id: ThreadId, address: u32, buffer: &mut [u8]) -> Result<usize, AccessError> {
        let directory = self.directory_of(id).ok_or(AccessError::NoThread)?;
        for (offset, byte) in buffer.iter_mut().enumerate() {
            let at = address.wrapping_add(offset as u32);
            match self.system.walk(directory, at) {
                Some(translation) if translation.user => {
                    *byte = self.system.machine().memory.read_u8(translation.physical)
                }
                _ if offset == 0 => return Err(AccessError::Unmapped { address: at }),
                _ => return Ok(offset),
            }
        }
        Ok(buffer.len())
    }

    /// Write `data` into `id`'s space at `address`: all of it, or nothing
    /// if some byte is unmapped. The history from here on is the new one.
    pub fn write_memory(&mut self, id: ThreadId, address: u32, data: &[u8]) -> Result<(), AccessError> {
        let directory = self.directory_of(id).ok_or(AccessError::NoThread)?;
        let mut physical = Vec::with_capacity(data.len());
        for offset in 0..data.len() {
            let at = address.wrapping_add(offset as u32);
            match self.system.walk(directory, at) {
                Some(translation) if translation.user => physical.push(translation.physical),
                _ => return Err(AccessError::Unmapped { address: at }),
            }
        }
        for (byte, at) in data.iter().zip(physical) {
            self.system.machine.memory.write_u8(at, *byte);
        }
        self.changed_here();
        Ok(())
    }
}
