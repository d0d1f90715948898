//! The assembler's driver: preprocess, parse, lay out in passes until every
//! address is stable, then emit sections, symbols and a line table.
//!
//! Layout: `.text` at the link address, `.data` and `.bss` each on the next
//! page boundary (so each can get its own protection). Instruction lengths
//! only grow from pass to pass (a branch that needed rel32 never goes back
//! to rel8), so layout converges.

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expression::{Environment, evaluate};
use crate::operands::{Operand, resolve_address, resolve_value};
use crate::parse::{DataItem, Located, Parser, SectionKind, Statement};
use crate::preprocess::Preprocessor;
use crate::select::{Resolved, SelectError, select};
use crate::source::{FileProvider, Span};
use std::collections::{BTreeMap, HashMap};

/// How to assemble.
#[derive(Clone, Debug)]
pub struct Options {
    /// Link address of `.text` (an `org` in the source overrides it).
    pub base: u32,
    /// Entry symbol; default `_start`, else `start`, else the start of `.text`.
    pub entry: Option<String>,
    /// Predefined `%define`s.
    pub defines: Vec<(String, i64)>,
    /// The most bytes a section may take (in memory, `.bss` included): a
    /// program larger than the machine's memory cannot be loaded, and a
    /// `times` of millions of copies costs time on every pass. Default
    /// 64 MB.
    pub max_section_bytes: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self { base: 0x0040_0000, entry: None, defines: Vec::new(), max_section_bytes: 64 << 20 }
    }
}

/// One loadable section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionImage {
    pub name: &'static str,
    pub address: u32,
    /// Initialized contents (empty for .bss).
    pub bytes: Vec<u8>,
    /// Size in memory (≥ bytes.len(); larger for .bss).
    pub size: u32,
    pub writable: bool,
    pub executable: bool,
}

/// A label or constant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub address: u32,
    /// The section it lies in; `None` for `equ` constants.
    pub section: Option<&'static str>,
    pub global: bool,
}

/// Which source line produced which bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    pub address: u32,
    pub length: u32,
    pub file: String,
    pub line: u32,
    /// For lines from a macro: the outermost line that invoked it.
    pub invoked_from: Option<(String, u32)>,
}

/// An assembled program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    pub entry: u32,
    pub sections: Vec<SectionImage>,
    pub symbols: Vec<Symbol>,
    pub lines: Vec<SourceLine>,
}

impl Program {
    /// The program as an ELF32 i386 executable.
    pub fn to_elf(&self) -> Result<Vec<u8>, String> {
        crate::elf::write(self)
    }

    /// The symbol at an address, if a label names it.
    pub fn symbol_at(&self, address: u32) -> Option<&Symbol> {
        self.symbols.iter().find(|symbol| symbol.section.is_some() && symbol.address == address)
    }
}

const MAX_PASSES: usize = 24;
const MAX_TIMES: i64 = 1 << 24;

struct Layout<'s> {
    statements: &'s [Located],
    sources: &'s crate::source::SourceMap,
    symbols: HashMap<String, i64>,
    previous: HashMap<String, i64>,
    /// Each statement's length in bytes in the last pass, per copy of a
    /// `times` (a copy's length may depend on its address).
    lengths: Vec<Vec<u32>>,
    /// Whether the last pass changed a length: compared per pass, where a
    /// copy of every length (16 M of them for `times 1 << 24 …`) made big
    /// programs slow.
    lengths_changed: bool,
    /// [`Options::max_section_bytes`].
    max_section_bytes: u32,
    bases: BTreeMap<SectionKind, u32>,
    sizes: BTreeMap<SectionKind, u32>,
    globals: Vec<String>,
    base: u32,
}

struct Env<'a> {
    symbols: &'a HashMap<String, i64>,
    previous: &'a HashMap<String, i64>,
    here: i64,
    section_start: i64,
    final_pass: bool,
}

impl Environment for Env<'_> {
    fn symbol(&self, name: &str) -> Option<i64> {
        self.symbols.get(name).or_else(|| self.previous.get(name)).copied()
    }
    fn symbol_names(&self) -> Vec<String> {
        self.symbols.keys().filter(|name| !name.starts_with("..@")).cloned().collect()
    }
    fn here(&self) -> i64 {
        self.here
    }
    fn section_start(&self) -> i64 {
        self.section_start
    }
    fn final_pass(&self) -> bool {
        self.final_pass
    }
}

/// What one pass produced.
#[derive(Default)]
struct Output {
    bytes: BTreeMap<SectionKind, Vec<u8>>,
    lines: Vec<(SectionKind, u32, u32, usize)>,
    errors: Vec<Diagnostic>,
}

fn size_name(size: u32) -> &'static str {
    match size {
        1 => "byte",
        2 => "word",
        4 => "dword",
        6 => "fword",
        8 => "qword",
        _ => "tword",
    }
}

impl Layout<'_> {
    fn pass(&mut self, final_pass: bool) -> Output {
        let mut output = Output::default();
        let mut offsets: BTreeMap<SectionKind, u32> = BTreeMap::new();
        let mut section = SectionKind::Text;
        self.symbols = HashMap::new();
        self.lengths_changed = false;
        for (index, located) in self.statements.iter().enumerate() {
            let start = *offsets.get(&section).unwrap_or(&0);
            let base = self.bases[&section];
            let mut emitted = Vec::new();
            let mut reserved = 0u32;
            match &located.statement {
                Statement::Section { kind, .. } => {
                    section = *kind;
                    continue;
                }
                Statement::Label { name, .. } => {
                    self.symbols.insert(name.clone(), (base + start) as i64);
                    continue;
                }
                Statement::Equ { name, value, .. } => {
                    let environment = self.environment(base + start, base, final_pass);
                    match evaluate(value, &environment) {
                        Ok((value, _)) => {
                            self.symbols.insert(name.clone(), value);
                        }
                        Err(error) if final_pass => output.errors.push(error),
                        Err(_) => {}
                    }
                    continue;
                }
                Statement::Global { names } => {
                    self.globals = names.iter().map(|(name, _)| name.clone()).collect();
                    continue;
                }
                Statement::Org { .. } => continue,
                statement => {
                    let repeat = match statement {
                        Statement::Times { count, .. } => {
                            let environment = self.environment(base + start, base, final_pass);
                            match evaluate(count, &environment) {
                                Ok((count, _)) if (0..=MAX_TIMES).contains(&count) => count as usize,
                                Ok((count, _)) => {
                                    if final_pass {
                                        output.errors.push(
                                            Diagnostic::new(
                                                statement_span(statement),
                                                format!("`times` count {count} is out of range"),
                                            )
                                            .hint(format!("the count must be between 0 and {MAX_TIMES}")),
                                        );
                                    }
                                    0
                                }
                                Err(error) => {
                                    if final_pass {
                                        output.errors.push(error);
                                    }
                                    0
                                }
                            }
                        }
                        _ => 1,
                    };
                    let inner = match statement {
                        Statement::Times { statement, .. } => statement.as_ref(),
                        other => other,
                    };
                    if self.lengths[index].len() != repeat {
                        self.lengths[index].resize(repeat, 0);
                        self.lengths_changed = true;
                    }
                    for copy in 0..repeat {
                        let size = start as u64 + emitted.len() as u64 + reserved as u64;
                        if size > self.max_section_bytes as u64 {
                            break; // reported below
                        }
                        let address = base + start + emitted.len() as u32 + reserved;
                        let minimum = self.lengths[index].get(copy).copied().unwrap_or(0) as usize;
                        let result = self.item(inner, section, address, base, final_pass, minimum);
                        match result {
                            Ok(Item::Bytes(bytes)) => {
                                let length = bytes.len() as u32;
                                if self.lengths[index][copy] != length {
                                    self.lengths[index][copy] = length;
                                    self.lengths_changed = true;
                                }
                                emitted.extend(bytes);
                            }
                            // More than the limit: reported below.
                            Ok(Item::Reserve(count)) if count as u64 + size > self.max_section_bytes as u64 => {
                                reserved = reserved.saturating_add(count);
                            }
                            Ok(Item::Reserve(count)) => {
                                if section == SectionKind::Bss {
                                    reserved += count;
                                } else {
                                    emitted.extend(std::iter::repeat_n(0, count as usize));
                                }
                            }
                            Err(error) => {
                                if final_pass {
                                    output.errors.push(error);
                                }
                                // Keep the previous length so later addresses stay put.
                                emitted.extend(std::iter::repeat_n(0, self.lengths[index][copy] as usize));
                                if final_pass {
                                    break;
                                }
                            }
                        }
                    }
                }
            }
            if final_pass && section == SectionKind::Bss && emitted.iter().any(|byte| *byte != 0) {
                output.errors.push(
                    Diagnostic::new(located.origin, "initialized data or code in .bss")
                        .hint("`.bss` only reserves space: use `resb`/`resd`, or move this to `.data`"),
                );
            }
            if start as u64 + emitted.len() as u64 + reserved as u64 > self.max_section_bytes as u64 {
                if final_pass {
                    output.errors.push(
                        Diagnostic::new(
                            located.origin,
                            format!("the {} section grows past {} bytes here", section.name(), self.max_section_bytes),
                        )
                        .hint("a program must fit the machine's memory: fewer `times` copies, a smaller `resb`"),
                    );
                }
                // Past the limit, the rest of the section is not laid out.
                reserved = self.max_section_bytes.saturating_sub(start + emitted.len() as u32) + 1;
            }
            let length = emitted.len() as u32 + reserved;
            if !emitted.is_empty() {
                output.lines.push((section, start, emitted.len() as u32, index));
            }
            let buffer = output.bytes.entry(section).or_default();
            if section != SectionKind::Bss {
                buffer.resize(start as usize, 0);
                buffer.extend(emitted);
            }
            offsets.insert(section, start + length);
        }
        self.sizes = offsets;
        output
    }

    fn environment(&self, here: u32, section_start: u32, final_pass: bool) -> Env<'_> {
        Env {
            symbols: &self.symbols,
            previous: &self.previous,
            here: here as i64,
            section_start: section_start as i64,
            final_pass,
        }
    }

    fn item(
        &self,
        statement: &Statement,
        section: SectionKind,
        address: u32,
        base: u32,
        final_pass: bool,
        minimum: usize,
    ) -> Result<Item, Diagnostic> {
        let environment = self.environment(address, base, final_pass);
        match statement {
            Statement::Instruction { prefixes, mnemonic, mnemonic_span, operands, span } => {
                if section == SectionKind::Bss {
                    return Err(Diagnostic::new(*span, "an instruction in .bss").hint("put code in `section .text`"));
                }
                let mut resolved = Vec::with_capacity(operands.len());
                for operand in operands {
                    resolved.push(resolve(operand, &environment)?);
                }
                match select(mnemonic, &resolved, *prefixes, address, minimum) {
                    Ok(encoded) => Ok(Item::Bytes(encoded.bytes)),
                    Err(error) => {
                        Err(explain(error, mnemonic, *mnemonic_span, operands, &resolved, *span, self.sources))
                    }
                }
            }
            Statement::Data { width, items, .. } => {
                let mut bytes = Vec::new();
                for item in items {
                    match item {
                        DataItem::Bytes(text, _) => {
                            bytes.extend_from_slice(text);
                            // Strings in dw/dd are padded to a whole unit, as in NASM.
                            let unit = *width as usize;
                            while bytes.len() % unit != 0 {
                                bytes.push(0);
                            }
                        }
                        DataItem::Value(node) => {
                            let (value, _) = evaluate(node, &environment)?;
                            let (low, high) = match width {
                                1 => (-128, 255),
                                2 => (-32768, 65535),
                                4 => (-(1i64 << 31), 0xFFFF_FFFF),
                                _ => (i64::MIN, i64::MAX),
                            };
                            if !(low..=high).contains(&value) {
                                return Err(Diagnostic::new(
                                    node.span,
                                    format!("{value} does not fit in {} byte(s)", width),
                                )
                                .hint(format!("values for this directive range from {low} to {high}")));
                            }
                            bytes.extend_from_slice(&value.to_le_bytes()[..*width as usize]);
                        }
                    }
                }
                Ok(Item::Bytes(bytes))
            }
            Statement::Reserve { width, count, span } => {
                let (count, _) = evaluate(count, &environment)?;
                if !(0..=MAX_TIMES).contains(&count) {
                    return Err(Diagnostic::new(*span, format!("cannot reserve {count} items"))
                        .hint(format!("reserve between 0 and {MAX_TIMES}")));
                }
                Ok(Item::Reserve(count as u32 * width))
            }
            Statement::Align { alignment, span } => {
                let (alignment, _) = evaluate(alignment, &environment)?;
                if alignment <= 0 || alignment & (alignment - 1) != 0 || alignment > 4096 {
                    return Err(Diagnostic::new(*span, format!("cannot align to {alignment}"))
                        .hint("alignments are powers of two up to 4096"));
                }
                let padding = (alignment as u32 - address % alignment as u32) % alignment as u32;
                let fill = if section == SectionKind::Text { 0x90 } else { 0 };
                if section == SectionKind::Bss {
                    return Ok(Item::Reserve(padding));
                }
                Ok(Item::Bytes(vec![fill; padding as usize]))
            }
            Statement::Times { span, .. } => Err(Diagnostic::new(*span, "`times` cannot repeat another `times`")),
            _ => Ok(Item::Bytes(Vec::new())),
        }
    }
}

enum Item {
    Bytes(Vec<u8>),
    Reserve(u32),
}

fn statement_span(statement: &Statement) -> Span {
    match statement {
        Statement::Instruction { span, .. }
        | Statement::Data { span, .. }
        | Statement::Reserve { span, .. }
        | Statement::Times { span, .. }
        | Statement::Align { span, .. }
        | Statement::Section { span, .. }
        | Statement::Equ { span, .. }
        | Statement::Org { span, .. }
        | Statement::Label { span, .. } => *span,
        Statement::Global { names } => names.first().map(|(_, span)| *span).unwrap_or_default(),
    }
}

fn resolve(operand: &Operand, environment: &dyn Environment) -> Result<Resolved, Diagnostic> {
    Ok(match operand {
        Operand::Register { register, .. } => Resolved::Register(*register),
        Operand::Memory { size, segment, address, span, far } => {
            // `far [x]` is a 16:32 pointer (6 bytes); `word far [x]` a 16:16 one (4 bytes).
            let size = match (far, size) {
                (true, Some(2)) => Some(4),
                (true, _) => Some(6),
                (false, size) => *size,
            };
            Resolved::Memory {
                size,
                segment: *segment,
                address: resolve_address(address, environment, *span)?,
                far: *far,
            }
        }
        Operand::Immediate { size, value, distance, .. } => {
            let (value, relocatable) = resolve_value(value, environment)?;
            Resolved::Immediate { value, size: *size, relocatable, distance: *distance }
        }
        Operand::Far { selector, offset, span } => {
            let (selector, _) = resolve_value(selector, environment)?;
            let (offset, _) = resolve_value(offset, environment)?;
            if !(0..=0xFFFF).contains(&selector) {
                return Err(Diagnostic::new(*span, format!("the selector {selector:#x} does not fit in 16 bits")));
            }
            Resolved::Far { selector: selector as u16, offset: offset as u32 }
        }
    })
}

fn register_name(register: iced_x86::Register) -> String {
    format!("{register:?}").to_ascii_lowercase()
}

/// Turn a selection failure into a message a person can act on.
/// The text a span covers.
fn text_of(sources: &crate::source::SourceMap, span: Span) -> String {
    sources
        .line(span.file, span.line)
        .map(|line| line.chars().skip(span.column.saturating_sub(1) as usize).take(span.length as usize).collect())
        .unwrap_or_default()
}

fn explain(
    error: SelectError,
    mnemonic: &str,
    mnemonic_span: Span,
    operands: &[Operand],
    resolved: &[Resolved],
    span: Span,
    sources: &crate::source::SourceMap,
) -> Diagnostic {
    match error {
        SelectError::AmbiguousSize(sizes) => {
            let memory = operands.iter().find(|operand| matches!(operand, Operand::Memory { size: None, .. }));
            let at = memory.map(Operand::span).unwrap_or(span);
            let written = text_of(sources, at);
            let choices: Vec<String> = sizes.iter().map(|size| format!("`{} {written}`", size_name(*size))).collect();
            Diagnostic::new(
                at,
                format!(
                    "operand size ambiguous for `{mnemonic}`: {written} could be {}",
                    sizes.iter().map(|size| size_name(*size)).collect::<Vec<_>>().join(", ")
                ),
            )
            .hint(format!("write {}", choices.join(" or ")))
        }
        SelectError::Encoding(message) => {
            let lower = message.to_ascii_lowercase();
            if lower.contains("branch") || lower.contains("displacement") || lower.contains("range") {
                Diagnostic::new(span, "the branch target is out of range for this form")
                    .hint("remove `short` (or use a near jump)")
            } else {
                Diagnostic::new(span, format!("`{mnemonic}` cannot be encoded with these operands: {message}"))
            }
        }
        SelectError::UnknownMnemonic => Diagnostic::new(mnemonic_span, format!("unknown instruction `{mnemonic}`")),
        SelectError::NoForm(forms) => {
            // Mismatched register sizes.
            let registers: Vec<(iced_x86::Register, Span)> = operands
                .iter()
                .filter_map(|operand| match operand {
                    Operand::Register { register, span } if register.is_gpr() => Some((*register, *span)),
                    _ => None,
                })
                .collect();
            if let [(first, _), (second, second_span)] = registers.as_slice()
                && first.size() != second.size()
                && !matches!(
                    mnemonic,
                    "movzx" | "movsx" | "in" | "out" | "shl" | "shr" | "sar" | "rol" | "ror" | "rcl" | "rcr"
                )
            {
                return Diagnostic::new(
                    *second_span,
                    format!(
                        "operand sizes do not match: `{}` is {}-bit, `{}` is {}-bit",
                        register_name(*first),
                        first.size() * 8,
                        register_name(*second),
                        second.size() * 8
                    ),
                )
                .hint("use registers of the same size, or movzx/movsx to widen");
            }
            // An immediate too wide for its destination.
            if let Some((index, value)) = resolved.iter().enumerate().find_map(|(index, operand)| match operand {
                Resolved::Immediate { value, distance: crate::operands::Distance::Any, .. } => Some((index, *value)),
                _ => None,
            }) && let Some(width) = operands.iter().find_map(|operand| match operand {
                Operand::Register { register, .. } if register.is_gpr() => Some(register.size() as u32),
                Operand::Memory { size: Some(size), .. } => Some(*size),
                _ => None,
            }) && width < 4
                && !(-(1i64 << (8 * width - 1))..(1i64 << (8 * width))).contains(&value)
            {
                return Diagnostic::new(operands[index].span(), format!("{value} does not fit in {} bits", width * 8))
                    .hint(format!(
                        "a {}-bit operand holds {} to {}",
                        width * 8,
                        -(1i64 << (8 * width - 1)),
                        (1i64 << (8 * width)) - 1
                    ));
            }
            let kinds: Vec<&str> = operands
                .iter()
                .map(|operand| match operand {
                    Operand::Register { .. } => "register",
                    Operand::Memory { .. } => "memory",
                    Operand::Immediate { .. } => "value",
                    Operand::Far { .. } => "selector:offset",
                })
                .collect();
            let written = if kinds.is_empty() { "no operands".to_string() } else { kinds.join(", ") };
            Diagnostic::new(span, format!("`{mnemonic}` has no form that takes {written}"))
                .hint(format!("the forms of `{mnemonic}` take: {forms}"))
        }
    }
}

/// Assemble the file `main` (read through `files`).
pub fn assemble(main: &str, files: &dyn FileProvider, options: &Options) -> Result<Program, Diagnostics> {
    let mut preprocessor = Preprocessor::new(files);
    for (name, value) in &options.defines {
        preprocessor.define(name, *value);
    }
    let mut diagnostics = Diagnostics::default();
    match files.read(main, None) {
        Some((name, text)) => preprocessor.run_text(&name, &text),
        None => {
            diagnostics.list.push(Diagnostic::new(Span::default(), format!("cannot read `{main}`")));
            diagnostics.sources = preprocessor.sources;
            return Err(diagnostics);
        }
    }
    // A missing include leaves every macro and constant it defines unknown:
    // report it alone, not the hundred errors that follow from it.
    if preprocessor.errors.iter().any(|error| error.message.starts_with("cannot find the include file")) {
        diagnostics.sources = preprocessor.sources;
        diagnostics.list.extend(preprocessor.errors);
        return Err(diagnostics);
    }
    let mut parser = Parser::new();
    for line in &preprocessor.output {
        parser.line(line);
    }
    diagnostics.sources = preprocessor.sources;
    diagnostics.list.extend(preprocessor.errors);
    diagnostics.list.extend(parser.errors);
    let statements = parser.statements;
    // Names defined twice.
    let mut defined: HashMap<&str, Span> = HashMap::new();
    for located in &statements {
        if let Statement::Label { name, span } | Statement::Equ { name, span, .. } = &located.statement {
            if let Some(first) = defined.get(name.as_str()) {
                diagnostics.list.push(
                    Diagnostic::new(*span, format!("label `{name}` defined twice, first at line {}", first.line))
                        .note(*first, "first defined here")
                        .hint("rename one of them (local labels start with `.`)"),
                );
            } else {
                defined.insert(name, *span);
            }
        }
    }
    let mut base = options.base;
    for (position, located) in statements.iter().enumerate() {
        if let Statement::Org { address, span } = &located.statement {
            let environment = Env {
                symbols: &HashMap::new(),
                previous: &HashMap::new(),
                here: 0,
                section_start: 0,
                final_pass: true,
            };
            match evaluate(address, &environment) {
                Ok((value, _)) if position == 0 && (0..=0xFFFF_F000).contains(&value) => base = value as u32,
                Ok(_) if position != 0 => {
                    diagnostics.list.push(Diagnostic::new(*span, "`org` must come before any code or data"))
                }
                Ok((value, _)) => diagnostics
                    .list
                    .push(Diagnostic::new(*span, format!("`org {value:#x}` is outside the address space"))),
                Err(error) => diagnostics.list.push(error),
            }
        }
    }
    // Go on after errors: layout finds the others (undefined labels, bad operands).
    let mut layout = Layout {
        statements: &statements,
        sources: &diagnostics.sources,
        symbols: HashMap::new(),
        previous: HashMap::new(),
        lengths: vec![Vec::new(); statements.len()],
        lengths_changed: false,
        max_section_bytes: options.max_section_bytes,
        bases: [(SectionKind::Text, base), (SectionKind::Data, base), (SectionKind::Bss, base)].into_iter().collect(),
        sizes: BTreeMap::new(),
        globals: Vec::new(),
        base,
    };
    let page = |value: u32| value.div_ceil(4096).saturating_mul(4096);
    let mut output = Output::default();
    let mut converged = false;
    for _ in 0..MAX_PASSES {
        let before = (layout.bases.clone(), layout.previous.clone());
        output = layout.pass(false);
        layout.previous = layout.symbols.clone();
        let text_end = layout.base + layout.sizes.get(&SectionKind::Text).copied().unwrap_or(0);
        let data_base = page(text_end);
        let data_end = data_base + layout.sizes.get(&SectionKind::Data).copied().unwrap_or(0);
        layout.bases.insert(SectionKind::Data, data_base);
        layout.bases.insert(SectionKind::Bss, page(data_end));
        if !layout.lengths_changed && (&layout.bases, &layout.previous) == (&before.0, &before.1) {
            converged = true;
            break;
        }
    }
    if converged {
        output = layout.pass(true);
    } else {
        diagnostics.list.push(
            Diagnostic::new(Span::default(), "the layout does not settle: addresses keep changing")
                .hint("an expression of `$` feeds back into the size of the code before it"),
        );
    }
    diagnostics.list.extend(output.errors);
    if !diagnostics.list.is_empty() {
        return Err(diagnostics);
    }
    let entry_name = options.entry.clone();
    let entry = match &entry_name {
        Some(name) => match layout.symbols.get(name) {
            Some(address) => *address as u32,
            None => {
                diagnostics
                    .list
                    .push(Diagnostic::new(Span::default(), format!("the entry symbol `{name}` is not defined")));
                return Err(diagnostics);
            }
        },
        None => layout
            .symbols
            .get("_start")
            .or_else(|| layout.symbols.get("start"))
            .map(|address| *address as u32)
            .unwrap_or(base),
    };
    let mut sections = Vec::new();
    for kind in [SectionKind::Text, SectionKind::Data, SectionKind::Bss] {
        let size = layout.sizes.get(&kind).copied().unwrap_or(0);
        if size == 0 {
            continue;
        }
        let bytes = if kind == SectionKind::Bss { Vec::new() } else { output.bytes.remove(&kind).unwrap_or_default() };
        sections.push(SectionImage {
            name: kind.name(),
            address: layout.bases[&kind],
            bytes,
            size,
            writable: kind != SectionKind::Text,
            executable: kind == SectionKind::Text,
        });
    }
    let mut section_of_label: HashMap<&str, SectionKind> = HashMap::new();
    let mut current = SectionKind::Text;
    for located in &statements {
        match &located.statement {
            Statement::Section { kind, .. } => current = *kind,
            Statement::Label { name, .. } => {
                section_of_label.insert(name, current);
            }
            _ => {}
        }
    }
    let mut symbols: Vec<Symbol> = layout
        .symbols
        .iter()
        .filter(|(name, _)| !name.starts_with("..@"))
        .map(|(name, value)| Symbol {
            name: name.clone(),
            address: *value as u32,
            section: section_of_label.get(name.as_str()).map(|kind| kind.name()),
            global: layout.globals.contains(name) || name == "_start",
        })
        .collect();
    symbols.sort_by(|a, b| (a.address, &a.name).cmp(&(b.address, &b.name)));
    let lines = output
        .lines
        .iter()
        .map(|(section, offset, length, index)| {
            let located = &statements[*index];
            let origin = located.origin;
            SourceLine {
                address: layout.bases[section] + offset,
                length: *length,
                file: diagnostics.sources.name(origin.file).to_string(),
                line: origin.line,
                invoked_from: located
                    .invoked_at
                    .last()
                    .map(|span| (diagnostics.sources.name(span.file).to_string(), span.line)),
            }
        })
        .collect();
    Ok(Program { entry, sections, symbols, lines })
}
