//! Source ↔ code: which line of the programs made which instruction.
//!
//! The assembler knows the line of every instruction it emits
//! (`sim::inspect::assemble_with_lines`); the session keeps that side table
//! for the programs it assembled, so the code view can say where an
//! instruction came from and the editor which instructions a line made.
//! Addresses are the programs' own (the ELF's), as the labels are: programs
//! booted together sit at distinct addresses (`org`), as the lessons' do.
//! An ELF loaded from disk brings no lines.

use crate::session::Session;
use sim::inspect::SourceLine;

/// The lines of the programs that made bytes, in address order (their
/// bytes do not overlap).
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    lines: Vec<SourceLine>,
}

impl SourceMap {
    pub fn new(mut lines: Vec<SourceLine>) -> Self {
        // A comment or a label alone made nothing: it is no instruction's line.
        lines.retain(|line| line.length > 0);
        lines.sort_by_key(|line| line.address);
        SourceMap { lines }
    }

    /// The line whose bytes hold `address`.
    pub fn line_of(&self, address: u32) -> Option<&SourceLine> {
        let after = self.lines.partition_point(|line| line.address <= address);
        let line = self.lines[..after].last()?;
        (address - line.address < line.length).then_some(line)
    }

    /// The start addresses of what `file`'s line `line` made, in order.
    pub fn addresses_of(&self, file: &str, line: u32) -> Vec<u32> {
        self.lines.iter().filter(|made| made.file == file && made.line == line).map(|made| made.address).collect()
    }
}

impl Session {
    /// The source line (file, line number) that made the instruction at
    /// `address`, if the programs were assembled here.
    pub fn source_of(&self, address: u32) -> Option<(String, u32)> {
        self.source_lines.line_of(address).map(|line| (line.file.clone(), line.line))
    }

    /// Where the instructions of `file`'s line `line` are (none for a
    /// comment, a label or a line of another program).
    pub fn instructions_of(&self, file: &str, line: u32) -> Vec<u32> {
        self.source_lines.addresses_of(file, line)
    }
}

#[cfg(test)]
mod tests {
    use crate::session::{Session, SessionConfig};
    use crate::view::CpuChoice;

    #[test]
    fn an_instruction_names_its_line_and_a_line_its_instructions() {
        let session =
            Session::new(SessionConfig { scenario: "hello".into(), cpu: CpuChoice::I486, small_spaces: false })
                .expect("hello boots");
        let program = session.programs().into_iter().find(|program| program.file == "hello.asm").expect("hello.asm");
        // The first line that is an instruction of the program's own.
        let (number, _) = program
            .source
            .lines()
            .enumerate()
            .map(|(index, text)| (index as u32 + 1, text.trim()))
            .find(|(_, text)| text.starts_with("mov "))
            .expect("hello.asm moves something");
        let addresses = session.instructions_of("hello.asm", number);
        assert_eq!(addresses.len(), 1, "one mov, one instruction");
        assert_eq!(session.source_of(addresses[0]), Some(("hello.asm".to_string(), number)));
        // A comment makes nothing.
        let comment = program.source.lines().position(|text| text.trim_start().starts_with(';')).expect("a comment");
        assert!(session.instructions_of("hello.asm", comment as u32 + 1).is_empty());
    }
}
