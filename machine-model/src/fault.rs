//! Faults, traps, and what the machine hands its host when user code enters
//! ring 0.

/// How EIP is reported for an exception.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FaultKind {
    /// The instruction did not happen; EIP points at it (restartable).
    Fault,
    /// The instruction completed; EIP points after it (#DB single-step, INTO).
    Trap,
    /// `int n` / `int3`: like a trap, and the gate's DPL is checked against CPL.
    Software,
}

/// An exception raised by an instruction.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Fault {
    pub vector: u8,
    pub error_code: Option<u32>,
    pub kind: FaultKind,
}

impl Fault {
    pub const fn raise(vector: u8, error_code: Option<u32>) -> Self {
        Self { vector, error_code, kind: FaultKind::Fault }
    }
    /// #GP with an error code.
    pub const fn general_protection(code: u32) -> Self {
        Self::raise(13, Some(code))
    }
    /// #SS with an error code.
    pub const fn stack(code: u32) -> Self {
        Self::raise(12, Some(code))
    }
    /// #UD.
    pub const fn invalid_opcode() -> Self {
        Self::raise(6, None)
    }
    /// #DE.
    pub const fn divide_error() -> Self {
        Self::raise(0, None)
    }
}

/// Why the CPU entered ring 0.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EntryCause {
    /// `int n`, `int3` or `into` in user code.
    SoftwareInterrupt,
    /// An exception (fault or trap) raised by user code.
    Exception,
    /// A hardware interrupt from the PIC (`irq` 0..15).
    Interrupt { irq: u8 },
}

/// The user register state at the moment of entry: what the native entry
/// stub saves into the thread control block.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct UserFrame {
    /// EAX ECX EDX EBX ESP EBP ESI EDI.
    pub registers: [u32; 8],
    pub eip: u32,
    pub eflags: u32,
    /// ES CS SS DS FS GS selectors.
    pub segments: [u16; 6],
}

/// A transition from user mode into the kernel.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct KernelEntry {
    pub vector: u8,
    pub error_code: Option<u32>,
    pub cause: EntryCause,
    /// CR2 for a page fault.
    pub fault_address: u32,
    pub frame: UserFrame,
}

/// Something that stops the machine: the model cannot continue without help
/// from its host. Never a panic: a broken kernel frame or a triple fault is
/// reported, with what happened.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum MachineError {
    /// Delivering an exception raised another one, and delivering that one failed too.
    DoubleFault { first: u8, second: u8 },
    /// The host asked the CPU to return to user mode with a frame the CPU rejects.
    BadReturnFrame { reason: String },
    /// A supervisor access the host asked for faulted (the kernel named an unmapped address).
    SupervisorFault { linear: u32, error: u32, what: &'static str },
    /// `run` was called while the CPU is in ring 0 (the host has not returned to user mode).
    NotInUserMode,
    /// An interrupt or trap gate of a kind the model does not implement (task gates).
    UnsupportedGate { vector: u8, gate_type: u8 },
}

impl core::fmt::Display for MachineError {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            MachineError::DoubleFault { first, second } => write!(
                formatter,
                "double fault: delivering exception {first} raised exception {second}; check the IDT, GDT, TSS and kernel stack mappings"
            ),
            MachineError::BadReturnFrame { reason } => write!(formatter, "iret to user mode rejected: {reason}"),
            MachineError::SupervisorFault { linear, error, what } => {
                write!(formatter, "supervisor access to {linear:#010x} faulted (error {error:#x}) while {what}")
            }
            MachineError::NotInUserMode => {
                write!(formatter, "the CPU is in ring 0; return to user mode before running")
            }
            MachineError::UnsupportedGate { vector, gate_type } => {
                write!(
                    formatter,
                    "IDT entry {vector:#x} has gate type {gate_type:#x}, which the model does not implement"
                )
            }
        }
    }
}
