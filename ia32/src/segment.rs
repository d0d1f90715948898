//! Segment selectors and descriptors (GDT/LDT/IDT entries).
//!
//! The hidden part of a segment register — base, limit, rights — is loaded from
//! a descriptor when the selector is loaded, and only then. L4's small address
//! spaces depend on exactly this: the kernel rewrites the user descriptors in
//! the GDT and reloads the selectors; a CPU that re-read the GDT on every access
//! would behave differently. So descriptors are values here, and the machine
//! model keeps its own cached copy per segment register.

/// A segment selector: index (bits 15..3), table indicator (bit 2), RPL (bits 1..0).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct Selector(pub u16);

impl Selector {
    pub const NULL: Selector = Selector(0);

    pub const fn new(index: u16, local: bool, rpl: u8) -> Self {
        Self((index << 3) | ((local as u16) << 2) | (rpl as u16 & 3))
    }
    pub const fn index(self) -> u16 {
        self.0 >> 3
    }
    /// Table indicator: true = LDT.
    pub const fn is_local(self) -> bool {
        self.0 & 4 != 0
    }
    pub const fn rpl(self) -> u8 {
        (self.0 & 3) as u8
    }
    /// The null selector (index 0 in the GDT, any RPL).
    pub const fn is_null(self) -> bool {
        self.0 & !3 == 0
    }
    /// The error code a #GP/#NP/#SS/#TS caused by this selector carries.
    pub const fn error_code(self) -> u32 {
        (self.0 & !3) as u32
    }
}

/// Descriptor type bits (the low nibble of the access byte) and the S bit.
pub mod access {
    /// Bit 0 of the type: accessed (code/data segments).
    pub const ACCESSED: u8 = 1 << 0;
    /// Data: writable. Code: readable.
    pub const WRITABLE_OR_READABLE: u8 = 1 << 1;
    /// Data: expand-down. Code: conforming.
    pub const EXPAND_DOWN_OR_CONFORMING: u8 = 1 << 2;
    /// Code segment (else data).
    pub const CODE: u8 = 1 << 3;
    /// S: code or data (1) vs system (0).
    pub const CODE_OR_DATA: u8 = 1 << 4;
    /// Present.
    pub const PRESENT: u8 = 1 << 7;
    pub const DPL_SHIFT: u8 = 5;

    /// System descriptor types (S = 0).
    pub const TSS32_AVAILABLE: u8 = 0x9;
    pub const TSS32_BUSY: u8 = 0xB;
    pub const LDT: u8 = 0x2;
    pub const INTERRUPT_GATE32: u8 = 0xE;
    pub const TRAP_GATE32: u8 = 0xF;
    pub const TASK_GATE: u8 = 0x5;
}

/// A decoded code, data or system segment descriptor (8 bytes in a table).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct SegmentDescriptor {
    pub base: u32,
    /// The limit as stored (20 bits); see `byte_limit`.
    pub raw_limit: u32,
    /// The access byte: P, DPL, S, type.
    pub access: u8,
    /// Granularity: limit in 4 KB units.
    pub granularity: bool,
    /// D/B: 32-bit default operand size (code) / big stack (data).
    pub default_big: bool,
}

impl SegmentDescriptor {
    /// A flat ring-`dpl` segment of `size_bytes` (page granular if larger than 1 MB).
    pub const fn flat(base: u32, size_bytes: u64, code: bool, dpl: u8) -> Self {
        let (raw_limit, granularity) = if size_bytes > (1 << 20) {
            (((size_bytes - 1) >> 12) as u32, true)
        } else {
            ((size_bytes.saturating_sub(1)) as u32, false)
        };
        let kind = if code { access::CODE | access::WRITABLE_OR_READABLE } else { access::WRITABLE_OR_READABLE };
        Self {
            base,
            raw_limit,
            access: access::PRESENT | ((dpl & 3) << access::DPL_SHIFT) | access::CODE_OR_DATA | kind,
            granularity,
            default_big: true,
        }
    }

    /// Decode the 8 bytes of a descriptor as they lie in a table (little-endian).
    pub const fn decode(raw: u64) -> Self {
        let low = raw as u32;
        let high = (raw >> 32) as u32;
        Self {
            base: (low >> 16) | ((high & 0xFF) << 16) | (high & 0xFF00_0000),
            raw_limit: (low & 0xFFFF) | (high & 0x000F_0000),
            access: (high >> 8) as u8,
            granularity: high & (1 << 23) != 0,
            default_big: high & (1 << 22) != 0,
        }
    }

    pub const fn encode(self) -> u64 {
        let low = (self.raw_limit & 0xFFFF) | ((self.base & 0xFFFF) << 16);
        let high = ((self.base >> 16) & 0xFF)
            | ((self.access as u32) << 8)
            | (self.raw_limit & 0x000F_0000)
            | ((self.default_big as u32) << 22)
            | ((self.granularity as u32) << 23)
            | (self.base & 0xFF00_0000);
        (low as u64) | ((high as u64) << 32)
    }

    /// The highest valid offset, in bytes.
    pub const fn byte_limit(self) -> u32 {
        if self.granularity { (self.raw_limit << 12) | 0xFFF } else { self.raw_limit }
    }
    pub const fn is_present(self) -> bool {
        self.access & access::PRESENT != 0
    }
    pub const fn dpl(self) -> u8 {
        (self.access >> access::DPL_SHIFT) & 3
    }
    /// S bit: a code or data segment (not a system descriptor).
    pub const fn is_code_or_data(self) -> bool {
        self.access & access::CODE_OR_DATA != 0
    }
    pub const fn is_code(self) -> bool {
        self.is_code_or_data() && self.access & access::CODE != 0
    }
    pub const fn is_data(self) -> bool {
        self.is_code_or_data() && self.access & access::CODE == 0
    }
    /// Data segment that may be written.
    pub const fn is_writable(self) -> bool {
        self.is_data() && self.access & access::WRITABLE_OR_READABLE != 0
    }
    /// Segment that may be read (all data segments; code only if readable).
    pub const fn is_readable(self) -> bool {
        self.is_data() || (self.is_code() && self.access & access::WRITABLE_OR_READABLE != 0)
    }
    pub const fn is_conforming(self) -> bool {
        self.is_code() && self.access & access::EXPAND_DOWN_OR_CONFORMING != 0
    }
    pub const fn is_expand_down(self) -> bool {
        self.is_data() && self.access & access::EXPAND_DOWN_OR_CONFORMING != 0
    }
    /// The system type nibble (meaningful when `!is_code_or_data()`).
    pub const fn system_type(self) -> u8 {
        self.access & 0xF
    }
}

/// A decoded interrupt or trap gate (an IDT entry).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct GateDescriptor {
    pub selector: Selector,
    pub offset: u32,
    /// P, DPL, type (0xE interrupt gate, 0xF trap gate, 0x5 task gate).
    pub access: u8,
}

impl GateDescriptor {
    pub const fn new(selector: Selector, offset: u32, gate_type: u8, dpl: u8) -> Self {
        Self { selector, offset, access: access::PRESENT | ((dpl & 3) << access::DPL_SHIFT) | (gate_type & 0xF) }
    }
    pub const fn decode(raw: u64) -> Self {
        let low = raw as u32;
        let high = (raw >> 32) as u32;
        Self {
            selector: Selector((low >> 16) as u16),
            offset: (low & 0xFFFF) | (high & 0xFFFF_0000),
            access: (high >> 8) as u8,
        }
    }
    pub const fn encode(self) -> u64 {
        let low = (self.offset & 0xFFFF) | ((self.selector.0 as u32) << 16);
        let high = (self.offset & 0xFFFF_0000) | ((self.access as u32) << 8);
        (low as u64) | ((high as u64) << 32)
    }
    pub const fn is_present(self) -> bool {
        self.access & access::PRESENT != 0
    }
    pub const fn dpl(self) -> u8 {
        (self.access >> access::DPL_SHIFT) & 3
    }
    pub const fn gate_type(self) -> u8 {
        self.access & 0xF
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_user_code_segment_encodes_like_every_os_does() {
        let descriptor = SegmentDescriptor::flat(0, 1 << 32, true, 3);
        assert_eq!(descriptor.encode(), 0x00CF_FA00_0000_FFFF);
        assert_eq!(descriptor.byte_limit(), 0xFFFF_FFFF);
        assert_eq!(SegmentDescriptor::decode(descriptor.encode()), descriptor);
    }

    #[test]
    fn small_space_segment_round_trips_with_base_and_limit() {
        let descriptor = SegmentDescriptor::flat(0xC080_0000, 8 << 20, false, 3);
        let decoded = SegmentDescriptor::decode(descriptor.encode());
        assert_eq!(decoded.base, 0xC080_0000);
        assert_eq!(decoded.byte_limit(), (8 << 20) - 1);
        assert!(decoded.is_writable() && decoded.dpl() == 3);
    }

    #[test]
    fn gate_round_trips() {
        let gate = GateDescriptor::new(Selector(0x08), 0xF010_1234, access::INTERRUPT_GATE32, 3);
        let decoded = GateDescriptor::decode(gate.encode());
        assert_eq!(decoded, gate);
        assert_eq!(decoded.dpl(), 3);
        assert_eq!(decoded.gate_type(), 0xE);
    }

    #[test]
    fn selector_fields() {
        let selector = Selector(0x1B);
        assert_eq!((selector.index(), selector.is_local(), selector.rpl()), (3, false, 3));
        assert_eq!(selector.error_code(), 0x18);
    }
}
