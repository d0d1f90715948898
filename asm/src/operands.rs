//! Operands as written: registers, memory references with size keywords
//! and segment overrides, immediates and branch targets, far pointers.

use crate::diagnostic::{Diagnostic, suggest};
use crate::expression::{Environment, ExpressionParser, Node, evaluate, evaluate_linear};
use crate::lexer::{Token, TokenKind};
use crate::source::Span;
use iced_x86::Register;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Register names usable in 32-bit code, lowercase.
pub fn registers() -> &'static HashMap<String, Register> {
    static TABLE: OnceLock<HashMap<String, Register>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = HashMap::new();
        for register in Register::values() {
            let usable = (register.is_gpr8() && register.number() < 8)
                || (register.is_gpr16() && register.number() < 8)
                || (register.is_gpr32() && register.number() < 8)
                || register.is_segment_register()
                || (register.is_cr() && matches!(register.number(), 0 | 2 | 3 | 4))
                || (register.is_dr() && register.number() < 8)
                || (register.is_tr() && (3..8).contains(&register.number()))
                || register.is_st()
                || register.is_mm()
                || (register.is_xmm() && register.number() < 8);
            if usable && register != Register::None {
                table.insert(format!("{register:?}").to_ascii_lowercase(), register);
            }
        }
        table
    })
}

pub fn register_named(name: &str) -> Option<Register> {
    registers().get(&name.to_ascii_lowercase()).copied()
}

/// Size keywords.
pub fn size_keyword(name: &str) -> Option<u32> {
    match name.to_ascii_lowercase().as_str() {
        "byte" => Some(1),
        "word" => Some(2),
        "dword" => Some(4),
        "fword" => Some(6),
        "qword" => Some(8),
        "tword" => Some(10),
        _ => None,
    }
}

/// A branch distance the author asked for.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Distance {
    #[default]
    Any,
    Short,
    Near,
    Far,
}

/// An operand as written.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Register { register: Register, span: Span },
    Memory { size: Option<u32>, segment: Option<Register>, address: Node, span: Span, far: bool },
    Immediate { size: Option<u32>, value: Node, span: Span, distance: Distance },
    Far { selector: Node, offset: Node, span: Span },
}

impl Operand {
    pub fn span(&self) -> Span {
        match self {
            Operand::Register { span, .. }
            | Operand::Memory { span, .. }
            | Operand::Immediate { span, .. }
            | Operand::Far { span, .. } => *span,
        }
    }
}

fn register_lookup(name: &str) -> Option<Register> {
    register_named(name)
}

/// Parse one operand from its tokens.
pub fn parse_operand(tokens: &[Token]) -> Result<Operand, Diagnostic> {
    let span = tokens.first().map(|token| token.span.to(tokens[tokens.len() - 1].span)).unwrap_or_default();
    let mut position = 0;
    let mut size = None;
    let mut distance = Distance::Any;
    // Keywords before the operand: size, `short`/`near`/`far`, `strict`.
    while let Some(Token { kind: TokenKind::Identifier(word), .. }) = tokens.get(position) {
        let lower = word.to_ascii_lowercase();
        if let Some(keyword_size) = size_keyword(&lower) {
            size = Some(keyword_size);
        } else if lower == "short" {
            distance = Distance::Short;
        } else if lower == "near" {
            distance = Distance::Near;
        } else if lower == "far" {
            distance = Distance::Far;
        } else if lower == "strict" || lower == "ptr" {
        } else {
            break;
        }
        position += 1;
    }
    let rest = &tokens[position..];
    if rest.is_empty() {
        return Err(
            Diagnostic::new(span, "an operand is missing after the size keyword").hint("write e.g. `dword [ebx]`")
        );
    }
    // A register alone.
    if rest.len() == 1
        && let TokenKind::Identifier(name) = &rest[0].kind
        && let Some(register) = register_named(name)
    {
        if size.is_some() {
            return Err(Diagnostic::new(span, "a size keyword cannot apply to a register")
                .hint(format!("`{}` already has its size; remove the keyword", name.to_ascii_lowercase())));
        }
        return Ok(Operand::Register { register, span: rest[0].span });
    }
    // `seg:[…]` or `[seg:…]`
    let (segment, rest) = match (rest.first().map(|token| &token.kind), rest.get(1).map(|token| &token.kind)) {
        (Some(TokenKind::Identifier(name)), Some(TokenKind::Colon))
            if register_named(name).is_some_and(|register| register.is_segment_register())
                && matches!(rest.get(2).map(|token| &token.kind), Some(TokenKind::OpenBracket)) =>
        {
            (register_named(name), &rest[2..])
        }
        _ => (None, rest),
    };
    if matches!(rest.first().map(|token| &token.kind), Some(TokenKind::OpenBracket)) {
        if !matches!(rest.last().map(|token| &token.kind), Some(TokenKind::CloseBracket)) {
            return Err(
                Diagnostic::new(rest[0].span, "this `[` is not closed").hint("memory operands look like `[ebx+4]`")
            );
        }
        let mut inner = &rest[1..rest.len() - 1];
        let mut segment = segment;
        if let (Some(TokenKind::Identifier(name)), Some(TokenKind::Colon)) =
            (inner.first().map(|token| &token.kind), inner.get(1).map(|token| &token.kind))
            && let Some(register) = register_named(name).filter(|register| register.is_segment_register())
        {
            segment = Some(register);
            inner = &inner[2..];
        }
        if inner.is_empty() {
            return Err(Diagnostic::new(span, "an empty memory operand `[]`")
                .hint("write an address, e.g. `[ebx]` or `[label]`"));
        }
        let lookup: &dyn Fn(&str) -> Option<Register> = &register_lookup;
        let mut parser = ExpressionParser::new(inner, lookup);
        let address = parser.parse()?;
        if parser.position < inner.len() {
            return Err(Diagnostic::new(
                inner[parser.position].span,
                format!("unexpected {} in the address", inner[parser.position].kind.describe()),
            )
            .hint("addresses are sums: `[base + index*scale + displacement]`"));
        }
        return Ok(Operand::Memory { size, segment, address, span, far: distance == Distance::Far });
    }
    // `selector:offset` (a far pointer).
    let colon = rest.iter().position(|token| token.kind == TokenKind::Colon);
    let lookup: &dyn Fn(&str) -> Option<Register> = &|_| None;
    if let Some(colon) = colon {
        let mut selector_parser = ExpressionParser::new(&rest[..colon], lookup);
        let selector = selector_parser.parse()?;
        let mut offset_parser = ExpressionParser::new(&rest[colon + 1..], lookup);
        let offset = offset_parser.parse()?;
        return Ok(Operand::Far { selector, offset, span });
    }
    let register_in_value = |name: &str| register_named(name);
    let mut parser = ExpressionParser::new(rest, &register_in_value);
    let value = parser.parse()?;
    if parser.position < rest.len() {
        let token = &rest[parser.position];
        let mut diagnostic =
            Diagnostic::new(token.span, format!("unexpected {} in this operand", token.kind.describe()));
        if let TokenKind::Identifier(name) = &token.kind
            && let Some(close) = suggest(name, registers().keys().map(String::as_str))
        {
            diagnostic = diagnostic.hint(format!("unknown register `{name}` — did you mean `{close}`?"));
        } else {
            diagnostic = diagnostic.hint("separate operands with commas");
        }
        return Err(diagnostic);
    }
    Ok(Operand::Immediate { size, value, span, distance })
}

/// A memory operand with its parts resolved.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Address {
    pub base: Register,
    pub index: Register,
    pub scale: u32,
    pub displacement: i64,
    /// The displacement depends on a label: always encode it in 32 bits.
    pub relocatable: bool,
}

/// Resolve `[base + index*scale + displacement]`.
pub fn resolve_address(node: &Node, environment: &dyn Environment, span: Span) -> Result<Address, Diagnostic> {
    let linear = evaluate_linear(node, environment)?;
    // Merge repeated registers (ebx+ebx = ebx*2).
    let mut terms: Vec<(Register, i64, Span)> = Vec::new();
    for (register, scale, register_span) in linear.registers {
        match terms.iter_mut().find(|(existing, _, _)| *existing == register) {
            Some(term) => term.1 += scale,
            None => terms.push((register, scale, register_span)),
        }
    }
    terms.retain(|(_, scale, _)| *scale != 0);
    for (register, _, register_span) in &terms {
        if !(register.is_gpr32() || register.is_gpr16()) {
            return Err(Diagnostic::new(
                *register_span,
                format!("`{}` cannot address memory", format!("{register:?}").to_ascii_lowercase()),
            )
            .hint("addresses use 32-bit general registers: eax ebx ecx edx esi edi ebp esp"));
        }
    }
    let valid_scale = |scale: i64| matches!(scale, 1 | 2 | 4 | 8);
    if terms.len() == 2
        && let Some((_, scale, register_span)) = terms.iter().find(|(_, scale, _)| !valid_scale(*scale))
    {
        return Err(Diagnostic::new(*register_span, format!("a scale of {scale} is not possible"))
            .hint("an index register can be scaled by 1, 2, 4 or 8"));
    }
    let (base, index, scale) = match terms.as_slice() {
        [] => (Register::None, Register::None, 1),
        [(register, 1, _)] => (*register, Register::None, 1),
        // eax*3, *5, *9: base eax + index eax*2, *4, *8.
        [(register, scale @ (3 | 5 | 9), _)] => (*register, *register, (*scale - 1) as u32),
        [(register, scale, _)] if valid_scale(*scale) => (Register::None, *register, *scale as u32),
        [(first, 1, _), (second, 1, _)] => {
            // ESP cannot be an index: make it the base.
            if *second == Register::ESP { (*second, *first, 1) } else { (*first, *second, 1) }
        }
        [(base, 1, _), (index, scale, _)] | [(index, scale, _), (base, 1, _)] if valid_scale(*scale) => {
            (*base, *index, *scale as u32)
        }
        [.., (_, scale, register_span)] if !valid_scale(*scale) => {
            return Err(Diagnostic::new(*register_span, format!("a scale of {scale} is not possible"))
                .hint("an index register can be scaled by 1, 2, 4 or 8"));
        }
        _ => {
            return Err(Diagnostic::new(span, "too many registers in this address")
                .hint("at most a base and a scaled index: `[ebx + esi*4 + 8]`"));
        }
    };
    if index == Register::ESP {
        return Err(Diagnostic::new(span, "esp cannot be scaled as an index register")
            .hint("use esp as the base: `[esp + eax*4]`"));
    }
    Ok(Address { base, index, scale, displacement: linear.constant, relocatable: linear.relocatable })
}

/// Evaluate an immediate: (value, depends on a label).
pub fn resolve_value(node: &Node, environment: &dyn Environment) -> Result<(i64, bool), Diagnostic> {
    evaluate(node, environment)
}
