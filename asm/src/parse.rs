//! Preprocessed lines into statements: labels, instructions, data, and the
//! directives `section`, `global`, `bits`, `org`, `align`, `times`, `equ`,
//! `db`/`dw`/`dd`/`dq`, `resb`/`resw`/`resd`/`resq`.
//!
//! Local labels (`.loop`) belong to the last ordinary label before them and
//! are stored fully qualified (`main.loop`); macro-local labels (`..@7.x`)
//! do not start a new scope.

use crate::diagnostic::{Diagnostic, Vocabulary};
use crate::expression::{Expression, ExpressionParser, Node};
use crate::lexer::{Token, TokenKind};
use crate::operands::{Operand, parse_operand, register_named};
use crate::preprocess::Line;
use crate::select::{self, Prefixes};
use crate::source::Span;
use iced_x86::Register;
use std::sync::OnceLock;

#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash, PartialOrd, Ord)]
pub enum SectionKind {
    Text,
    Data,
    Bss,
}

impl SectionKind {
    pub fn name(self) -> &'static str {
        match self {
            SectionKind::Text => ".text",
            SectionKind::Data => ".data",
            SectionKind::Bss => ".bss",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum DataItem {
    Value(Node),
    Bytes(Vec<u8>, Span),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    Label { name: String, span: Span },
    Instruction { prefixes: Prefixes, mnemonic: String, mnemonic_span: Span, operands: Vec<Operand>, span: Span },
    Data { width: u32, items: Vec<DataItem>, span: Span },
    Reserve { width: u32, count: Node, span: Span },
    Times { count: Node, statement: Box<Statement>, span: Span },
    Align { alignment: Node, span: Span },
    Section { kind: SectionKind, span: Span },
    Equ { name: String, value: Node, span: Span },
    Global { names: Vec<(String, Span)> },
    Org { address: Node, span: Span },
}

/// A statement with the line it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    pub statement: Statement,
    pub origin: Span,
    pub invoked_at: Vec<Span>,
}

const DATA: &[(&str, u32)] = &[("db", 1), ("dw", 2), ("dd", 4), ("dq", 8)];
const RESERVE: &[(&str, u32)] = &[("resb", 1), ("resw", 2), ("resd", 4), ("resq", 8)];
const DIRECTIVES: &[&str] =
    &["section", "segment", "global", "extern", "bits", "org", "align", "times", "equ", "cpu", "use32"];
const PREFIXES: &[&str] = &["rep", "repe", "repz", "repne", "repnz", "lock", "o16", "o32", "a32"];

fn keyword(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    DATA.iter().any(|(word, _)| *word == lower)
        || RESERVE.iter().any(|(word, _)| *word == lower)
        || DIRECTIVES.contains(&lower.as_str())
}

pub struct Parser {
    scope: String,
    pub errors: Vec<Diagnostic>,
    pub statements: Vec<Located>,
}

impl Parser {
    pub fn new() -> Self {
        Self { scope: String::new(), errors: Vec::new(), statements: Vec::new() }
    }

    /// The full name of a label as written here.
    fn qualify(&self, name: &str) -> String {
        if name.starts_with('.') && !name.starts_with("..@") {
            format!("{}{name}", self.scope)
        } else {
            name.to_string()
        }
    }

    fn qualify_node(&self, node: &mut Node) {
        match &mut node.expression {
            Expression::Symbol(name) => *name = self.qualify(name),
            Expression::Negate(inner) | Expression::Complement(inner) => self.qualify_node(inner),
            Expression::Binary(_, left, right) => {
                self.qualify_node(left);
                self.qualify_node(right);
            }
            _ => {}
        }
    }

    fn qualify_operand(&self, operand: &mut Operand) {
        match operand {
            Operand::Memory { address, .. } => self.qualify_node(address),
            Operand::Immediate { value, .. } => self.qualify_node(value),
            Operand::Far { selector, offset, .. } => {
                self.qualify_node(selector);
                self.qualify_node(offset);
            }
            Operand::Register { .. } => {}
        }
    }

    pub fn line(&mut self, line: &Line) {
        let tokens = &line.tokens;
        if tokens.is_empty() {
            return;
        }
        let push = |parser: &mut Parser, statement: Statement| {
            parser.statements.push(Located { statement, origin: line.origin, invoked_at: line.invoked_at.clone() });
        };
        let mut rest: &[Token] = tokens;
        // A label: `name:`, or `name` before a data directive, `times`, `equ` or `res…`.
        if let Some(TokenKind::Identifier(name)) = rest.first().map(|token| &token.kind) {
            let with_colon = matches!(rest.get(1).map(|token| &token.kind), Some(TokenKind::Colon));
            let before_keyword = !with_colon
                && !keyword(name)
                && !select::is_known(name)
                && !PREFIXES.contains(&name.to_ascii_lowercase().as_str())
                && matches!(rest.get(1).map(|token| &token.kind), Some(TokenKind::Identifier(next)) if keyword(next));
            if with_colon || before_keyword {
                if register_named(name).is_some() {
                    self.errors.push(
                        Diagnostic::new(rest[0].span, format!("`{name}` is a register and cannot be a label"))
                            .hint("choose another name"),
                    );
                    return;
                }
                let is_equ = matches!(rest.get(if with_colon { 2 } else { 1 }).map(|token| &token.kind), Some(TokenKind::Identifier(word)) if word.eq_ignore_ascii_case("equ"));
                let qualified = self.qualify(name);
                if !name.starts_with('.') && !name.starts_with("..@") && !is_equ {
                    self.scope = name.clone();
                }
                let span = rest[0].span;
                rest = &rest[if with_colon { 2 } else { 1 }..];
                if is_equ {
                    let value_tokens = &rest[1..];
                    if let Some(value) = self.expression(value_tokens, rest[0].span) {
                        push(self, Statement::Equ { name: qualified, value, span });
                    }
                    return;
                }
                push(self, Statement::Label { name: qualified, span });
                if rest.is_empty() {
                    return;
                }
            }
        }
        if let Some(statement) = self.statement(rest) {
            push(self, statement);
        }
    }

    fn expression(&mut self, tokens: &[Token], at: Span) -> Option<Node> {
        if tokens.is_empty() {
            self.errors.push(Diagnostic::new(at, "a value is missing here"));
            return None;
        }
        let lookup: &dyn Fn(&str) -> Option<Register> = &|_| None;
        let mut parser = ExpressionParser::new(tokens, lookup);
        match parser.parse() {
            Ok(mut node) => {
                if parser.position < tokens.len() {
                    self.errors.push(Diagnostic::new(
                        tokens[parser.position].span,
                        format!("unexpected {}", tokens[parser.position].kind.describe()),
                    ));
                    return None;
                }
                self.qualify_node(&mut node);
                Some(node)
            }
            Err(error) => {
                self.errors.push(error);
                None
            }
        }
    }

    fn statement(&mut self, tokens: &[Token]) -> Option<Statement> {
        let first = &tokens[0];
        let span = first.span.to(tokens[tokens.len() - 1].span);
        let TokenKind::Identifier(word) = &first.kind else {
            self.errors.push(Diagnostic::new(
                first.span,
                format!("expected an instruction, a label or a directive, found {}", first.kind.describe()),
            ));
            return None;
        };
        let lower = word.to_ascii_lowercase();
        let arguments = &tokens[1..];
        if let Some((_, width)) = DATA.iter().find(|(name, _)| *name == lower) {
            let mut items = Vec::new();
            for part in split_commas(arguments) {
                if part.is_empty() {
                    self.errors.push(
                        Diagnostic::new(first.span, format!("an empty item in `{lower}`"))
                            .hint("separate values with single commas"),
                    );
                    return None;
                }
                if let [Token { kind: TokenKind::String(bytes), span }] = part
                    && (bytes.len() > 1 || *width == 1)
                {
                    items.push(DataItem::Bytes(bytes.clone(), *span));
                    continue;
                }
                items.push(DataItem::Value(self.expression(part, first.span)?));
            }
            if items.is_empty() {
                self.errors.push(
                    Diagnostic::new(first.span, format!("`{lower}` needs at least one value"))
                        .hint(format!("write `{lower} 0`")),
                );
                return None;
            }
            return Some(Statement::Data { width: *width, items, span });
        }
        if let Some((_, width)) = RESERVE.iter().find(|(name, _)| *name == lower) {
            let count = self.expression(arguments, first.span)?;
            return Some(Statement::Reserve { width: *width, count, span });
        }
        match lower.as_str() {
            "section" | "segment" => {
                let name = arguments.first().map(|token| match &token.kind {
                    TokenKind::Identifier(name) => name.to_ascii_lowercase(),
                    other => other.describe(),
                });
                let kind = match name.as_deref() {
                    Some(".text") | Some("text") | Some(".code") => SectionKind::Text,
                    Some(".data") | Some("data") | Some(".rodata") => SectionKind::Data,
                    Some(".bss") | Some("bss") => SectionKind::Bss,
                    other => {
                        self.errors.push(
                            Diagnostic::new(span, format!("unknown section `{}`", other.unwrap_or("")))
                                .hint("sections are .text, .data (and .rodata) and .bss"),
                        );
                        return None;
                    }
                };
                Some(Statement::Section { kind, span })
            }
            "global" => {
                let names = split_commas(arguments)
                    .into_iter()
                    .filter_map(|part| match part.first().map(|token| &token.kind) {
                        Some(TokenKind::Identifier(name)) => Some((self.qualify(name), part[0].span)),
                        _ => None,
                    })
                    .collect();
                Some(Statement::Global { names })
            }
            "extern" => {
                self.errors.push(
                    Diagnostic::new(
                        span,
                        "`extern` is not supported: this assembler writes executables, not objects to link",
                    )
                    .hint("bring shared code in with %include"),
                );
                None
            }
            "bits" | "use32" => {
                let value = arguments.first().map(|token| &token.kind);
                if lower == "bits" && value != Some(&TokenKind::Number(32)) {
                    self.errors.push(
                        Diagnostic::new(span, "only 32-bit code is supported").hint("write `bits 32` or leave it out"),
                    );
                }
                None
            }
            "cpu" => None,
            "org" => Some(Statement::Org { address: self.expression(arguments, first.span)?, span }),
            "align" => {
                let parts = split_commas(arguments);
                let alignment = self.expression(parts.first().copied().unwrap_or(&[]), first.span)?;
                Some(Statement::Align { alignment, span })
            }
            "times" => {
                // times COUNT statement: the count is the longest expression before a keyword or mnemonic.
                let split = arguments.iter().position(|token| matches!(&token.kind, TokenKind::Identifier(name) if keyword(name) || select::is_known(name) || PREFIXES.contains(&name.to_ascii_lowercase().as_str())));
                let Some(split) = split.filter(|split| *split > 0) else {
                    self.errors.push(
                        Diagnostic::new(span, "`times` needs a count and something to repeat")
                            .hint("write `times 16 db 0`"),
                    );
                    return None;
                };
                let count = self.expression(&arguments[..split], first.span)?;
                let statement = self.statement(&arguments[split..])?;
                Some(Statement::Times { count, statement: Box::new(statement), span })
            }
            "equ" => {
                self.errors.push(Diagnostic::new(span, "`equ` needs a name before it").hint("write `SIZE equ 16`"));
                None
            }
            _ => self.instruction(tokens),
        }
    }

    fn instruction(&mut self, tokens: &[Token]) -> Option<Statement> {
        let mut prefixes = Prefixes::default();
        let mut position = 0;
        while let Some(TokenKind::Identifier(word)) = tokens.get(position).map(|token| &token.kind) {
            match word.to_ascii_lowercase().as_str() {
                "rep" | "repe" | "repz" => prefixes.rep = true,
                "repne" | "repnz" => prefixes.repne = true,
                "lock" => prefixes.lock = true,
                "o16" => prefixes.operand16 = true,
                "o32" | "a32" => {}
                _ => break,
            }
            position += 1;
        }
        let Some(mnemonic_token) = tokens.get(position) else {
            self.errors.push(
                Diagnostic::new(tokens[0].span, "a prefix needs an instruction after it")
                    .hint("write e.g. `rep movsb`"),
            );
            return None;
        };
        let TokenKind::Identifier(mnemonic) = &mnemonic_token.kind else {
            self.errors.push(Diagnostic::new(
                mnemonic_token.span,
                format!("expected an instruction, found {}", mnemonic_token.kind.describe()),
            ));
            return None;
        };
        if !select::is_known(mnemonic) {
            let mut diagnostic = Diagnostic::new(mnemonic_token.span, format!("unknown instruction `{mnemonic}`"));
            static VOCABULARY: OnceLock<Vocabulary<'static>> = OnceLock::new();
            let vocabulary = VOCABULARY.get_or_init(|| {
                Vocabulary::new(
                    select::mnemonics()
                        .into_iter()
                        .chain(DIRECTIVES.iter().copied())
                        .chain(DATA.iter().map(|(name, _)| *name)),
                )
            });
            if let Some(close) = vocabulary.suggest(mnemonic) {
                diagnostic = diagnostic.hint(format!("did you mean `{close}`?"));
            } else if tokens.len() == 1 {
                diagnostic = diagnostic.hint(format!("if `{mnemonic}` is a label, write `{mnemonic}:`"));
            }
            self.errors.push(diagnostic);
            return None;
        }
        let span = tokens[0].span.to(tokens[tokens.len() - 1].span);
        let mut operands = Vec::new();
        let operand_tokens = &tokens[position + 1..];
        if !operand_tokens.is_empty() {
            for part in split_commas(operand_tokens) {
                if part.is_empty() {
                    self.errors.push(Diagnostic::new(span, "an operand is missing between commas"));
                    return None;
                }
                match parse_operand(part) {
                    Ok(mut operand) => {
                        self.qualify_operand(&mut operand);
                        operands.push(operand);
                    }
                    Err(error) => {
                        self.errors.push(error);
                        return None;
                    }
                }
            }
        }
        Some(Statement::Instruction {
            prefixes,
            mnemonic: mnemonic.to_ascii_lowercase(),
            mnemonic_span: mnemonic_token.span,
            operands,
            span,
        })
    }
}

/// Split at top-level commas (not inside brackets or parentheses).
pub fn split_commas(tokens: &[Token]) -> Vec<&[Token]> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (index, token) in tokens.iter().enumerate() {
        match token.kind {
            TokenKind::OpenBracket | TokenKind::OpenParen => depth += 1,
            TokenKind::CloseBracket | TokenKind::CloseParen => depth -= 1,
            TokenKind::Comma if depth == 0 => {
                parts.push(&tokens[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    if start < tokens.len() || !parts.is_empty() {
        parts.push(&tokens[start..]);
    }
    parts
}
