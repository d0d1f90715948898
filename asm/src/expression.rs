//! Constant expressions over numbers, labels, `$` and `$$`, with NASM's
//! operators and precedence (lowest first): `|`, `^`, `&`, `<<` `>>`,
//! `+` `-`, `*` `/` `%`, then unary `-` `+` `~`. Inside a memory operand the
//! same expressions may contain registers, as a linear combination
//! (`ebx + esi*4 + table + 8`).

use crate::diagnostic::{Diagnostic, suggest};
use crate::lexer::{Token, TokenKind};
use crate::source::Span;
use iced_x86::Register;

#[derive(Clone, Debug, PartialEq)]
pub enum Expression {
    Number(i64),
    Symbol(String),
    Here,
    SectionStart,
    Register(Register),
    Negate(Box<Node>),
    Complement(Box<Node>),
    Binary(Operator, Box<Node>, Box<Node>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    Or,
    Xor,
    And,
    ShiftLeft,
    ShiftRight,
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
}

/// An expression with the span it was written at.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub expression: Expression,
    pub span: Span,
}

/// How deep parentheses and signs may nest in one expression, and how many
/// operators it may have: the parser, the evaluation and the dropping of
/// the tree all recurse over it, and the explorer's assembler runs on a
/// WebAssembly stack of 1 MB. Real expressions stay far below both.
const MAX_NESTING: usize = 64;
const MAX_OPERATORS: usize = 1024;

/// A parser over a token slice.
pub struct ExpressionParser<'t> {
    tokens: &'t [Token],
    pub position: usize,
    register: &'t dyn Fn(&str) -> Option<Register>,
    /// Parentheses and signs open around the current token.
    nesting: usize,
    /// Operators so far.
    operators: usize,
}

impl<'t> ExpressionParser<'t> {
    pub fn new(tokens: &'t [Token], register: &'t dyn Fn(&str) -> Option<Register>) -> Self {
        Self { tokens, position: 0, register, nesting: 0, operators: 0 }
    }

    fn peek(&self) -> Option<&TokenKind> {
        self.tokens.get(self.position).map(|token| &token.kind)
    }

    fn end_span(&self) -> Span {
        self.tokens
            .last()
            .map(|token| Span { column: token.span.column + token.span.length, length: 1, ..token.span })
            .unwrap_or_default()
    }

    pub fn parse(&mut self) -> Result<Node, Diagnostic> {
        self.binary(0)
    }

    fn binary(&mut self, level: usize) -> Result<Node, Diagnostic> {
        const LEVELS: &[&[(TokenKind, Operator)]] = &[
            &[(TokenKind::Pipe, Operator::Or)],
            &[(TokenKind::Caret, Operator::Xor)],
            &[(TokenKind::Ampersand, Operator::And)],
            &[(TokenKind::ShiftLeft, Operator::ShiftLeft), (TokenKind::ShiftRight, Operator::ShiftRight)],
            &[(TokenKind::Plus, Operator::Add), (TokenKind::Minus, Operator::Subtract)],
            &[
                (TokenKind::Star, Operator::Multiply),
                (TokenKind::Slash, Operator::Divide),
                (TokenKind::Percent, Operator::Modulo),
            ],
        ];
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut left = self.binary(level + 1)?;
        while let Some(kind) = self.peek() {
            let Some((_, operator)) = LEVELS[level].iter().find(|(token, _)| token == kind) else { break };
            let operator = *operator;
            self.count_operator(self.tokens[self.position].span)?;
            self.position += 1;
            let right = self.binary(level + 1)?;
            let span = left.span.to(right.span);
            left = Node { expression: Expression::Binary(operator, Box::new(left), Box::new(right)), span };
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Node, Diagnostic> {
        let Some(token) = self.tokens.get(self.position) else {
            return Err(Diagnostic::new(self.end_span(), "an expression is missing here"));
        };
        let span = token.span;
        if matches!(token.kind, TokenKind::Minus | TokenKind::Plus | TokenKind::Tilde | TokenKind::OpenParen) {
            if self.nesting == MAX_NESTING {
                return Err(Diagnostic::new(
                    span,
                    format!("the expression nests deeper than {MAX_NESTING} levels here"),
                )
                .hint("fewer parentheses or signs: an `equ` can name a part"));
            }
            self.count_operator(span)?;
            self.nesting += 1;
            let nested = self.nested(span);
            self.nesting -= 1;
            return nested;
        }
        self.position += 1;
        let expression = match &token.kind {
            TokenKind::Number(value) => Expression::Number(*value),
            TokenKind::String(bytes) if bytes.len() <= 4 && !bytes.is_empty() => {
                // A character constant: 'A', or up to four bytes little-endian.
                Expression::Number(bytes.iter().rev().fold(0i64, |value, byte| (value << 8) | *byte as i64))
            }
            TokenKind::Here => Expression::Here,
            TokenKind::SectionStart => Expression::SectionStart,
            TokenKind::Identifier(name) => match (self.register)(name) {
                Some(register) => Expression::Register(register),
                None => Expression::Symbol(name.clone()),
            },
            other => {
                return Err(Diagnostic::new(
                    span,
                    format!("expected a number, a label or `(`, found {}", other.describe()),
                ));
            }
        };
        Ok(Node { expression, span })
    }

    /// A sign or a parenthesis at `span` and what it applies to.
    fn nested(&mut self, span: Span) -> Result<Node, Diagnostic> {
        let kind = self.tokens[self.position].kind.clone();
        self.position += 1;
        match kind {
            TokenKind::Minus => {
                let operand = self.unary()?;
                let span = span.to(operand.span);
                Ok(Node { expression: Expression::Negate(Box::new(operand)), span })
            }
            TokenKind::Tilde => {
                let operand = self.unary()?;
                let span = span.to(operand.span);
                Ok(Node { expression: Expression::Complement(Box::new(operand)), span })
            }
            TokenKind::OpenParen => {
                let inner = self.parse()?;
                match self.peek() {
                    Some(TokenKind::CloseParen) => self.position += 1,
                    _ => return Err(Diagnostic::new(span, "this `(` is not closed").hint("add `)`")),
                }
                Ok(inner)
            }
            _ => self.unary(), // `+`
        }
    }

    fn count_operator(&mut self, span: Span) -> Result<(), Diagnostic> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return Err(Diagnostic::new(span, format!("the expression has more than {MAX_OPERATORS} operators"))
                .hint("split it: an `equ` can name a part"));
        }
        Ok(())
    }
}

/// What evaluation needs to know.
pub trait Environment {
    /// The value of a symbol, or `None` if it is not (yet) defined.
    fn symbol(&self, name: &str) -> Option<i64>;
    /// Names for "did you mean" suggestions.
    fn symbol_names(&self) -> Vec<String>;
    fn here(&self) -> i64;
    fn section_start(&self) -> i64;
    /// Whether undefined symbols are errors (the final pass) or count as 0.
    fn final_pass(&self) -> bool;
}

/// A linear combination: constant + Σ scale × register.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Linear {
    pub constant: i64,
    pub registers: Vec<(Register, i64, Span)>,
    /// The value depends on a label's address (so its size must not depend on it).
    pub relocatable: bool,
}

impl Linear {
    fn constant(value: i64, relocatable: bool) -> Self {
        Self { constant: value, registers: Vec::new(), relocatable }
    }
}

/// Evaluate to a number; registers are an error here.
pub fn evaluate(node: &Node, environment: &dyn Environment) -> Result<(i64, bool), Diagnostic> {
    let linear = evaluate_linear(node, environment)?;
    if let Some((register, _, span)) = linear.registers.first() {
        return Err(Diagnostic::new(
            *span,
            format!("a register (`{}`) cannot be part of a value", format!("{register:?}").to_ascii_lowercase()),
        )
        .hint("registers go in memory operands: `[ebx+4]`"));
    }
    Ok((linear.constant, linear.relocatable))
}

/// Evaluate allowing registers (for memory operands).
pub fn evaluate_linear(node: &Node, environment: &dyn Environment) -> Result<Linear, Diagnostic> {
    match &node.expression {
        Expression::Number(value) => Ok(Linear::constant(*value, false)),
        Expression::Here => Ok(Linear::constant(environment.here(), true)),
        Expression::SectionStart => Ok(Linear::constant(environment.section_start(), true)),
        Expression::Register(register) => {
            Ok(Linear { constant: 0, registers: vec![(*register, 1, node.span)], relocatable: false })
        }
        Expression::Symbol(name) => match environment.symbol(name) {
            Some(value) => Ok(Linear::constant(value, true)),
            None if !environment.final_pass() => Ok(Linear::constant(0, true)),
            None => {
                let names = environment.symbol_names();
                let near_symbol = suggest(name, names.iter().map(String::as_str));
                let near_register = suggest(name, crate::operands::registers().keys().map(String::as_str));
                if let (None, Some(register)) = (near_symbol, near_register) {
                    return Err(Diagnostic::new(node.span, format!("unknown register `{name}` — did you mean `{register}`?"))
                        .hint(format!("registers are eax ebx ecx edx esi edi ebp esp (and their 16- and 8-bit parts); if `{name}` is a label, define it")));
                }
                let mut diagnostic = Diagnostic::new(node.span, format!("`{name}` is not defined"));
                if let Some(close) = near_symbol {
                    diagnostic = diagnostic.hint(format!("did you mean `{close}`?"));
                } else if name.starts_with('.') {
                    diagnostic =
                        diagnostic.hint("a local label (`.name`) belongs to the last label without a dot before it");
                }
                Err(diagnostic)
            }
        },
        Expression::Negate(inner) => {
            let mut value = evaluate_linear(inner, environment)?;
            value.constant = value.constant.wrapping_neg();
            value.registers.iter_mut().for_each(|(_, scale, _)| *scale = -*scale);
            Ok(value)
        }
        Expression::Complement(inner) => {
            let (value, relocatable) = evaluate(inner, environment)?;
            Ok(Linear::constant(!value, relocatable))
        }
        Expression::Binary(operator, left, right) => {
            let mut a = evaluate_linear(left, environment)?;
            let mut b = evaluate_linear(right, environment)?;
            match operator {
                Operator::Add | Operator::Subtract => {
                    if *operator == Operator::Subtract {
                        b.constant = b.constant.wrapping_neg();
                        b.registers.iter_mut().for_each(|(_, scale, _)| *scale = -*scale);
                    }
                    a.constant = a.constant.wrapping_add(b.constant);
                    a.registers.extend(b.registers);
                    // label − label is a plain number (a distance).
                    a.relocatable = if *operator == Operator::Subtract && a.relocatable && b.relocatable {
                        false
                    } else {
                        a.relocatable || b.relocatable
                    };
                    Ok(a)
                }
                Operator::Multiply if a.registers.is_empty() || b.registers.is_empty() => {
                    let scalar_relocatable = if a.registers.is_empty() { a.relocatable } else { b.relocatable };
                    let (scalar, mut scaled) = if a.registers.is_empty() { (a.constant, b) } else { (b.constant, a) };
                    scaled.constant = scaled.constant.wrapping_mul(scalar);
                    scaled.registers.iter_mut().for_each(|(_, scale, _)| *scale = scale.wrapping_mul(scalar));
                    scaled.relocatable |= scalar_relocatable;
                    Ok(scaled)
                }
                _ => {
                    if let Some((_, _, span)) = a.registers.first().or(b.registers.first()) {
                        return Err(Diagnostic::new(*span, "a register can only be added, subtracted or scaled")
                            .hint("write `[base + index*scale + displacement]`"));
                    }
                    let (x, y) = (a.constant, b.constant);
                    let value = match operator {
                        Operator::Or => x | y,
                        Operator::Xor => x ^ y,
                        Operator::And => x & y,
                        Operator::ShiftLeft => x.wrapping_shl(y as u32),
                        Operator::ShiftRight => ((x as u64).wrapping_shr(y as u32)) as i64,
                        Operator::Multiply => x.wrapping_mul(y),
                        Operator::Divide | Operator::Modulo if y == 0 => {
                            if environment.final_pass() || !(a.relocatable || b.relocatable) {
                                return Err(Diagnostic::new(right.span, "division by zero"));
                            }
                            0
                        }
                        Operator::Divide => ((x as u64) / (y as u64)) as i64,
                        _ => ((x as u64) % (y as u64)) as i64,
                    };
                    Ok(Linear::constant(value, a.relocatable || b.relocatable))
                }
            }
        }
    }
}
