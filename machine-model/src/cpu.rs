//! Architectural CPU state: general registers, EIP, EFLAGS, segment
//! registers with their hidden descriptor caches, control registers and the
//! descriptor-table registers.

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
    pub eflags: u32,
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
            eflags: eflags::RESERVED_ONE,
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
    #[inline]
    pub fn flag(&self, flag: u32) -> bool {
        self.eflags & flag != 0
    }
    #[inline]
    pub fn set_flag(&mut self, flag: u32, value: bool) {
        if value {
            self.eflags |= flag;
        } else {
            self.eflags &= !flag;
        }
    }
    pub fn iopl(&self) -> u8 {
        ((self.eflags & eflags::IOPL_MASK) >> eflags::IOPL_SHIFT) as u8
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
