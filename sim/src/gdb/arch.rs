//! The i486 as gdb sees it: the i386 core registers (general registers,
//! EIP, EFLAGS, segment selectors, and the x87 registers the core feature
//! requires), described to gdb by a target description with no SSE — the
//! 486 and the Pentium have none.
//!
//! The model interprets no floating-point instructions, so the x87
//! registers read as unavailable and writes to them are ignored.

use crate::debugger::threads::Registers;
use gdbstub::arch::{Arch, RegId};
use std::num::NonZeroUsize;

/// The architecture marker for gdbstub.
#[derive(Debug)]
pub enum I486 {}

/// General registers, EIP, EFLAGS and six segment selectors: 16 words.
const CORE_WORDS: usize = 16;
/// st0–st7, 10 bytes each.
const FLOAT_STACK: usize = 8;
/// fctrl, fstat, ftag, fiseg, fioff, foseg, fooff, fop.
const FLOAT_CONTROL: usize = 8;

/// Registers in gdb's order, with a flag for the unavailable x87 part.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct I486Registers(pub Registers);

impl I486Registers {
    fn words(&self) -> [u32; CORE_WORDS] {
        let registers = &self.0;
        let mut words = [0; CORE_WORDS];
        words[..8].copy_from_slice(&registers.general);
        words[8] = registers.eip;
        words[9] = registers.eflags;
        words[10..].copy_from_slice(&registers.segments);
        words
    }

    fn set_word(&mut self, index: usize, value: u32) {
        let registers = &mut self.0;
        match index {
            0..8 => registers.general[index] = value,
            8 => registers.eip = value,
            9 => registers.eflags = value,
            10..16 => registers.segments[index - 10] = value,
            _ => {}
        }
    }
}

impl gdbstub::arch::Registers for I486Registers {
    type ProgramCounter = u32;

    fn pc(&self) -> u32 {
        self.0.eip
    }

    fn gdb_serialize(&self, mut write_byte: impl FnMut(Option<u8>)) {
        for word in self.words() {
            word.to_le_bytes().into_iter().for_each(|byte| write_byte(Some(byte)));
        }
        for _ in 0..FLOAT_STACK * 10 + FLOAT_CONTROL * 4 {
            write_byte(None);
        }
    }

    fn gdb_deserialize(&mut self, bytes: &[u8]) -> Result<(), ()> {
        if bytes.len() < CORE_WORDS * 4 {
            return Err(());
        }
        for (index, chunk) in bytes.chunks_exact(4).take(CORE_WORDS).enumerate() {
            self.set_word(index, u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]));
        }
        Ok(())
    }
}

/// A register by gdb's number (0–15 the core words, 16–31 the x87 ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct I486RegisterNumber(pub usize);

impl I486RegisterNumber {
    /// The core word it is, if it is one.
    pub fn word(self) -> Option<usize> {
        (self.0 < CORE_WORDS).then_some(self.0)
    }

    /// Its size in bytes.
    pub fn size(self) -> usize {
        match self.0 {
            number if number < CORE_WORDS => 4,
            number if number < CORE_WORDS + FLOAT_STACK => 10,
            _ => 4,
        }
    }

    pub fn read(self, registers: &I486Registers) -> Option<u32> {
        self.word().map(|index| registers.words()[index])
    }

    pub fn write(self, registers: &mut I486Registers, value: u32) {
        if let Some(index) = self.word() {
            registers.set_word(index, value);
        }
    }
}

impl RegId for I486RegisterNumber {
    fn from_raw_id(id: usize) -> Option<(Self, Option<NonZeroUsize>)> {
        if id >= CORE_WORDS + FLOAT_STACK + FLOAT_CONTROL {
            return None;
        }
        let number = Self(id);
        Some((number, NonZeroUsize::new(number.size())))
    }

    fn to_raw_id(&self) -> Option<usize> {
        Some(self.0)
    }
}

impl Arch for I486 {
    type Usize = u32;
    type Registers = I486Registers;
    type BreakpointKind = usize;
    type RegId = I486RegisterNumber;

    fn target_description_xml() -> Option<&'static str> {
        Some(TARGET_DESCRIPTION)
    }
}

/// gdb's `32bit-core.xml` feature, alone.
const TARGET_DESCRIPTION: &str = r#"<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
  <architecture>i386</architecture>
  <feature name="org.gnu.gdb.i386.core">
    <flags id="i386_eflags" size="4">
      <field name="CF" start="0" end="0"/>
      <field name="PF" start="2" end="2"/>
      <field name="AF" start="4" end="4"/>
      <field name="ZF" start="6" end="6"/>
      <field name="SF" start="7" end="7"/>
      <field name="TF" start="8" end="8"/>
      <field name="IF" start="9" end="9"/>
      <field name="DF" start="10" end="10"/>
      <field name="OF" start="11" end="11"/>
      <field name="NT" start="14" end="14"/>
      <field name="RF" start="16" end="16"/>
      <field name="VM" start="17" end="17"/>
      <field name="AC" start="18" end="18"/>
      <field name="ID" start="21" end="21"/>
    </flags>
    <reg name="eax" bitsize="32" type="int32" regnum="0"/>
    <reg name="ecx" bitsize="32" type="int32"/>
    <reg name="edx" bitsize="32" type="int32"/>
    <reg name="ebx" bitsize="32" type="int32"/>
    <reg name="esp" bitsize="32" type="data_ptr"/>
    <reg name="ebp" bitsize="32" type="data_ptr"/>
    <reg name="esi" bitsize="32" type="int32"/>
    <reg name="edi" bitsize="32" type="int32"/>
    <reg name="eip" bitsize="32" type="code_ptr"/>
    <reg name="eflags" bitsize="32" type="i386_eflags"/>
    <reg name="cs" bitsize="32" type="int32"/>
    <reg name="ss" bitsize="32" type="int32"/>
    <reg name="ds" bitsize="32" type="int32"/>
    <reg name="es" bitsize="32" type="int32"/>
    <reg name="fs" bitsize="32" type="int32"/>
    <reg name="gs" bitsize="32" type="int32"/>
    <reg name="st0" bitsize="80" type="i387_ext"/>
    <reg name="st1" bitsize="80" type="i387_ext"/>
    <reg name="st2" bitsize="80" type="i387_ext"/>
    <reg name="st3" bitsize="80" type="i387_ext"/>
    <reg name="st4" bitsize="80" type="i387_ext"/>
    <reg name="st5" bitsize="80" type="i387_ext"/>
    <reg name="st6" bitsize="80" type="i387_ext"/>
    <reg name="st7" bitsize="80" type="i387_ext"/>
    <reg name="fctrl" bitsize="32" type="int" group="float"/>
    <reg name="fstat" bitsize="32" type="int" group="float"/>
    <reg name="ftag" bitsize="32" type="int" group="float"/>
    <reg name="fiseg" bitsize="32" type="int" group="float"/>
    <reg name="fioff" bitsize="32" type="int" group="float"/>
    <reg name="foseg" bitsize="32" type="int" group="float"/>
    <reg name="fooff" bitsize="32" type="int" group="float"/>
    <reg name="fop" bitsize="32" type="int" group="float"/>
  </feature>
</target>
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use gdbstub::arch::Registers as _;

    #[test]
    fn registers_go_to_gdb_and_back_in_its_order() {
        let mut registers = I486Registers::default();
        registers.0.general[0] = 0x1122_3344;
        registers.0.eip = 0x0040_0000;
        registers.0.segments[0] = 0x1B;
        let mut bytes = Vec::new();
        registers.gdb_serialize(|byte| bytes.push(byte));
        assert_eq!(bytes.len(), 16 * 4 + 8 * 10 + 8 * 4);
        assert_eq!(bytes[..4], [Some(0x44), Some(0x33), Some(0x22), Some(0x11)]);
        assert_eq!(bytes[32..36], [Some(0), Some(0), Some(0x40), Some(0)]);
        assert_eq!(bytes[40], Some(0x1B));
        assert_eq!(bytes[64], None, "the x87 registers are unavailable");
        let wire: Vec<u8> = bytes.iter().map(|byte| byte.unwrap_or(0)).collect();
        let mut back = I486Registers::default();
        back.gdb_deserialize(&wire).unwrap();
        assert_eq!(back, registers);
        assert!(back.gdb_deserialize(&wire[..10]).is_err(), "a short packet is refused");
        assert_eq!(
            I486RegisterNumber::from_raw_id(8).map(|(number, size)| (number.0, size.map(|size| size.get()))),
            Some((8, Some(4)))
        );
        assert_eq!(I486RegisterNumber::from_raw_id(16).map(|(_, size)| size.map(|size| size.get())), Some(Some(10)));
        assert!(I486RegisterNumber::from_raw_id(40).is_none());
    }
}
