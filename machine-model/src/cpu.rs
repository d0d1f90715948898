//! Architectural CPU state: general registers, EIP, EFLAGS, segment
//! registers with their hidden descriptor caches, control registers and the
//! descriptor-table registers.

use crate::flags::{DEFERRED, Operation, Pending, condition_of, condition_pending};
use ia32::registers::eflags;
use ia32::segment::{SegmentDescriptor, Selector};

/// General register numbers in x86 encoding order.
pub mod register {
    pub const EAX: usize = 0;
    pub const ECX: usize = 1;
    pub const EDX: usize = 2;
    pub const EBX: usize = 3;
    pub const ESP: usize = 4;
    pub const EBP: usize = 5;
    pub const ESI: usize = 6;
    pub const EDI: usize = 7;
    pub const NAMES: [&str; 8] = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
}

/// Segment register numbers in x86 encoding order.
pub mod segment {
    pub const ES: usize = 0;
    pub const CS: usize = 1;
    pub const SS: usize = 2;
    pub const DS: usize = 3;
    pub const FS: usize = 4;
    pub const GS: usize = 5;
    pub const NAMES: [&str; 6] = ["es", "cs", "ss", "ds", "fs", "gs"];
}

/// A segment register: the visible selector and the hidden descriptor cache
/// loaded with it. Only a selector load refreshes the cache.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct SegmentRegister {
    pub selector: Selector,
    /// The descriptor as it was when the selector was loaded.
    pub cache: SegmentDescriptor,
    /// False after loading a null selector: any access through it faults.
    pub usable: bool,
    /// `cache.byte_limit()`, worked out at the load (every fetch checks
    /// CS's limit). Set by the constructors: a new descriptor means a new
    /// `SegmentRegister`, never a change of `cache` in place.
    byte_limit: u32,
}

impl SegmentRegister {
    /// A usable segment with the given descriptor.
    pub fn loaded(selector: Selector, cache: SegmentDescriptor) -> Self {
        Self { selector, cache, usable: true, byte_limit: cache.byte_limit() }
    }
    /// An unusable one (a null selector loaded).
    pub fn unusable(selector: Selector) -> Self {
        let cache = SegmentDescriptor::default();
        Self { selector, cache, usable: false, byte_limit: cache.byte_limit() }
    }
    pub fn base(&self) -> u32 {
        self.cache.base
    }
    #[inline(always)]
    pub fn limit(&self) -> u32 {
        self.byte_limit
    }
}

/// GDTR / IDTR: a linear base and a byte limit.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct TableRegister {
    pub base: u32,
    pub limit: u16,
}

/// The register state of the CPU.
#[derive(Clone, Debug)]
pub struct CpuState {
    pub registers: [u32; 8],
    pub eip: u32,
    /// EFLAGS, but for the six status flags while `pending` defines them:
    /// read it with [`CpuState::eflags`], write it with [`CpuState::set_eflags`].
    stored_flags: u32,
    /// The arithmetic operation that defines the status flags, if its
    /// flags were not computed yet (`crate::flags`).
    pending: Pending,
    pub segments: [SegmentRegister; 6],
    pub cr0: u32,
    pub cr2: u32,
    pub cr3: u32,
    pub cr4: u32,
    pub gdtr: TableRegister,
    pub idtr: TableRegister,
    pub ldtr: SegmentRegister,
    pub tr: SegmentRegister,
    /// Current privilege level (CS.RPL after a load through CS).
    pub cpl: u8,
}

impl Default for CpuState {
    fn default() -> Self {
        Self {
            registers: [0; 8],
            eip: 0,
            stored_flags: eflags::RESERVED_ONE,
            pending: Pending::default(),
            segments: [SegmentRegister::default(); 6],
            cr0: 0,
            cr2: 0,
            cr3: 0,
            cr4: 0,
            gdtr: TableRegister::default(),
            idtr: TableRegister::default(),
            ldtr: SegmentRegister::default(),
            tr: SegmentRegister::default(),
            cpl: 0,
        }
    }
}

impl CpuState {
    /// EFLAGS, with the status flags of a deferred operation computed.
    #[inline]
    pub fn eflags(&self) -> u32 {
        if self.pending.operation == Operation::Stored {
            self.stored_flags
        } else {
            (self.stored_flags & !DEFERRED) | self.pending.status()
        }
    }

    /// Write EFLAGS, all of it.
    #[inline]
    pub fn set_eflags(&mut self, value: u32) {
        self.stored_flags = value;
        self.pending.operation = Operation::Stored;
    }

    /// Whether `flag` (one or more EFLAGS bits) is set: any of them.
    #[inline]
    pub fn flag(&self, flag: u32) -> bool {
        if flag & DEFERRED == 0 || self.pending.operation == Operation::Stored {
            self.stored_flags & flag != 0
        } else {
            self.eflags() & flag != 0
        }
    }

    #[inline]
    pub fn set_flag(&mut self, flag: u32, value: bool) {
        let flags = self.eflags();
        self.set_eflags(if value { flags | flag } else { flags & !flag });
    }

    /// Set the six status flags to `bits` (the others stay).
    #[inline(always)]
    pub(crate) fn set_status_bits(&mut self, bits: u32) {
        self.stored_flags = (self.stored_flags & !eflags::STATUS) | bits;
        self.pending.operation = Operation::Stored;
    }

    /// Let a 32-bit `operation` of `a` and `b` giving `result` define the
    /// status flags: CF now (INC and DEC keep it), the other five when read
    /// (`crate::flags`).
    #[inline(always)]
    pub(crate) fn defer_status(&mut self, operation: Operation, a: u32, b: u32, result: u32) {
        if let Some(carry) = operation.carry(a, b, result) {
            self.stored_flags = (self.stored_flags & !eflags::CF) | carry as u32;
        }
        self.pending = Pending { operation, a, b, result };
    }

    /// Whether condition code `cc` (the low nibble of Jcc/SETcc) holds.
    #[inline]
    pub(crate) fn condition(&self, cc: u32) -> bool {
        if self.pending.operation == Operation::Stored {
            condition_of(self.stored_flags, cc)
        } else {
            condition_pending(&self.pending, self.stored_flags & eflags::CF != 0, cc)
        }
    }

    pub fn iopl(&self) -> u8 {
        ((self.stored_flags & eflags::IOPL_MASK) >> eflags::IOPL_SHIFT) as u8
    }

    /// Read an 8-bit register by x86 number (AL CL DL BL AH CH DH BH).
    #[inline]
    pub fn read8(&self, number: usize) -> u8 {
        if number < 4 { self.registers[number] as u8 } else { (self.registers[number - 4] >> 8) as u8 }
    }
    #[inline]
    pub fn write8(&mut self, number: usize, value: u8) {
        if number < 4 {
            self.registers[number] = (self.registers[number] & !0xFF) | value as u32;
        } else {
            let register = &mut self.registers[number - 4];
            *register = (*register & !0xFF00) | ((value as u32) << 8);
        }
    }
    #[inline]
    pub fn write16(&mut self, number: usize, value: u16) {
        self.registers[number] = (self.registers[number] & 0xFFFF_0000) | value as u32;
    }
}
