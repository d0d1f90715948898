//! The preprocessor: `%include`, `%define`/`%undef`, `%macro` … `%endmacro`
//! with parameters (`%1` … `%N`, `%0` = count, `%%label` local to one
//! expansion), and `%ifdef`/`%ifndef`/`%else`/`%endif`.
//!
//! Works on token lines, so every token keeps the span where it was written:
//! an error inside a macro body points at the body, with a note naming the
//! line that invoked the macro.

use crate::diagnostic::{Diagnostic, suggest};
use crate::lexer::{Token, TokenKind, lex_line};
use crate::source::{FileProvider, SourceMap, Span};
use std::collections::HashMap;

/// A logical line after preprocessing.
#[derive(Clone, Debug)]
pub struct Line {
    pub tokens: Vec<Token>,
    /// The line as written (for listings and errors).
    pub origin: Span,
    /// Where the macro this line came from was invoked, outermost last.
    pub invoked_at: Vec<Span>,
}

/// A `%define`: a plain one (`%define NAME body`) or one with parameters
/// (`%define NAME(a, b) body`, the `(` right after the name, as in NASM).
#[derive(Clone, Debug)]
struct Define {
    parameters: Option<Vec<String>>,
    body: Vec<Token>,
}

#[derive(Clone, Debug)]
struct Macro {
    minimum: u32,
    maximum: u32,
    body: Vec<(Vec<Token>, Span)>,
    defined_at: Span,
}

const MAX_INCLUDE_DEPTH: usize = 16;
const MAX_EXPANSION_DEPTH: usize = 32;

pub struct Preprocessor<'a> {
    provider: &'a dyn FileProvider,
    pub sources: SourceMap,
    defines: HashMap<String, Define>,
    macros: HashMap<String, Macro>,
    expansions: u32,
    pub errors: Vec<Diagnostic>,
    pub output: Vec<Line>,
    /// Files being included, innermost last (to catch recursion).
    include_stack: Vec<String>,
}

/// State of one %if… block.
#[derive(Clone, Copy, Debug)]
struct Conditional {
    /// The enclosing text is being assembled.
    parent_active: bool,
    /// This branch is being assembled.
    active: bool,
    seen_else: bool,
    opened_at: Span,
}

impl<'a> Preprocessor<'a> {
    pub fn new(provider: &'a dyn FileProvider) -> Self {
        Self {
            provider,
            sources: SourceMap::default(),
            defines: HashMap::new(),
            macros: HashMap::new(),
            expansions: 0,
            errors: Vec::new(),
            output: Vec::new(),
            include_stack: Vec::new(),
        }
    }

    /// Predefine a symbol (`-D NAME=value` on the command line).
    pub fn define(&mut self, name: &str, value: i64) {
        let token = Token { kind: TokenKind::Number(value), span: Span::default() };
        self.defines.insert(name.to_string(), Define { parameters: None, body: vec![token] });
    }

    /// Preprocess a whole file given as text.
    pub fn run_text(&mut self, name: &str, text: &str) {
        self.include_stack.push(name.to_string());
        self.process_file(name, text);
        self.include_stack.pop();
    }

    fn process_file(&mut self, name: &str, text: &str) {
        let file = self.sources.add(name, text);
        let mut conditionals: Vec<Conditional> = Vec::new();
        let mut recording: Option<(String, Macro)> = None;
        for (index, raw) in text.lines().enumerate() {
            let line_number = index as u32 + 1;
            let line_span = Span { file, line: line_number, column: 1, length: raw.chars().count().max(1) as u32 };
            let tokens = match lex_line(raw, file, line_number) {
                Ok(tokens) => tokens,
                Err(error) => {
                    if conditionals.last().is_none_or(|conditional| conditional.active) {
                        self.errors.push(error);
                    }
                    continue;
                }
            };
            let directive = match tokens.first().map(|token| &token.kind) {
                Some(TokenKind::Directive(directive)) => Some(directive.clone()),
                _ => None,
            };
            // Inside a macro definition everything is recorded until %endmacro.
            if let Some((macro_name, definition)) = recording.as_mut() {
                match directive.as_deref() {
                    Some("endmacro") => {
                        let (macro_name, definition) = (macro_name.clone(), definition.clone());
                        self.macros.insert(macro_name, definition);
                        recording = None;
                    }
                    Some("macro") => {
                        self.errors.push(
                            Diagnostic::new(tokens[0].span, "a %macro cannot be defined inside another %macro")
                                .note(definition.defined_at, format!("`{macro_name}` starts here")),
                        );
                    }
                    _ => definition.body.push((tokens, line_span)),
                }
                continue;
            }
            let active = conditionals.last().is_none_or(|conditional| conditional.active);
            match directive.as_deref() {
                Some("ifdef") | Some("ifndef") => {
                    let name = match tokens.get(1).map(|token| &token.kind) {
                        Some(TokenKind::Identifier(name)) => name.clone(),
                        _ => {
                            self.errors.push(
                                Diagnostic::new(tokens[0].span, "%ifdef needs a name").hint("write `%ifdef NAME`"),
                            );
                            String::new()
                        }
                    };
                    let defined =
                        self.defines.contains_key(&name) || self.macros.contains_key(&name.to_ascii_lowercase());
                    let condition = if directive.as_deref() == Some("ifdef") { defined } else { !defined };
                    conditionals.push(Conditional {
                        parent_active: active,
                        active: active && condition,
                        seen_else: false,
                        opened_at: tokens[0].span,
                    });
                    continue;
                }
                Some("else") => {
                    match conditionals.last_mut() {
                        Some(conditional) if !conditional.seen_else => {
                            conditional.seen_else = true;
                            conditional.active = conditional.parent_active && !conditional.active;
                        }
                        Some(conditional) => self.errors.push(
                            Diagnostic::new(tokens[0].span, "a second %else for the same %if")
                                .note(conditional.opened_at, "the %if is here"),
                        ),
                        None => self.errors.push(Diagnostic::new(tokens[0].span, "%else without %ifdef or %ifndef")),
                    }
                    continue;
                }
                Some("endif") => {
                    if conditionals.pop().is_none() {
                        self.errors.push(Diagnostic::new(tokens[0].span, "%endif without %ifdef or %ifndef"));
                    }
                    continue;
                }
                _ => {}
            }
            if !active {
                continue;
            }
            match directive.as_deref() {
                Some("define") | Some("xdefine") | Some("assign") => self.define_directive(&tokens),
                Some("undef") => {
                    if let Some(TokenKind::Identifier(name)) = tokens.get(1).map(|token| &token.kind) {
                        self.defines.remove(name);
                    }
                }
                Some("macro") | Some("imacro") => {
                    if let Some(started) = self.macro_header(&tokens) {
                        recording = Some(started);
                    }
                }
                Some("endmacro") => {
                    self.errors.push(Diagnostic::new(tokens[0].span, "%endmacro without a %macro"));
                }
                Some("include") => self.include(&tokens, name),
                Some("error") => {
                    let message = tokens[1..].iter().map(|token| match &token.kind {
                        TokenKind::String(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                        other => other.describe(),
                    });
                    self.errors.push(Diagnostic::new(tokens[0].span, message.collect::<Vec<_>>().join(" ")));
                }
                Some(other) => {
                    let known = [
                        "define", "undef", "macro", "endmacro", "include", "ifdef", "ifndef", "else", "endif", "error",
                    ];
                    let mut diagnostic =
                        Diagnostic::new(tokens[0].span, format!("unknown preprocessor directive `%{other}`"));
                    if let Some(close) = suggest(other, known) {
                        diagnostic = diagnostic.hint(format!("did you mean `%{close}`?"));
                    }
                    self.errors.push(diagnostic);
                }
                None => self.emit(tokens, line_span, &[], 0),
            }
        }
        if let Some((macro_name, definition)) = recording {
            self.errors.push(
                Diagnostic::new(definition.defined_at, format!("%macro `{macro_name}` has no %endmacro"))
                    .hint("end the definition with `%endmacro`"),
            );
        }
        for conditional in conditionals {
            self.errors.push(Diagnostic::new(conditional.opened_at, "%ifdef/%ifndef without %endif"));
        }
    }

    fn define_directive(&mut self, tokens: &[Token]) {
        let Some(TokenKind::Identifier(name)) = tokens.get(1).map(|token| &token.kind) else {
            self.errors
                .push(Diagnostic::new(tokens[0].span, "%define needs a name").hint("write `%define NAME value`"));
            return;
        };
        let name_span = tokens[1].span;
        let adjacent_paren = tokens.get(2).is_some_and(|token| {
            token.kind == TokenKind::OpenParen
                && token.span.line == name_span.line
                && token.span.column == name_span.column + name_span.length
        });
        if !adjacent_paren {
            let body = self.substitute_defines(tokens[2..].to_vec());
            self.defines.insert(name.clone(), Define { parameters: None, body });
            return;
        }
        // Parameters: identifiers separated by commas, up to `)`.
        let mut parameters = Vec::new();
        let mut position = 3;
        loop {
            match tokens.get(position).map(|token| &token.kind) {
                Some(TokenKind::CloseParen) if parameters.is_empty() => break,
                Some(TokenKind::Identifier(parameter)) => {
                    parameters.push(parameter.clone());
                    position += 1;
                    match tokens.get(position).map(|token| &token.kind) {
                        Some(TokenKind::Comma) => position += 1,
                        Some(TokenKind::CloseParen) => break,
                        _ => {
                            let span = tokens.get(position).map_or(tokens[position - 1].span, |token| token.span);
                            self.errors.push(
                                Diagnostic::new(span, "expected `,` or `)` in the %define's parameter list")
                                    .hint("write `%define NAME(a, b) body`"),
                            );
                            return;
                        }
                    }
                }
                _ => {
                    let span = tokens.get(position).map_or(tokens[position - 1].span, |token| token.span);
                    self.errors.push(
                        Diagnostic::new(span, "expected a parameter name in the %define's parameter list")
                            .hint("write `%define NAME(a, b) body`"),
                    );
                    return;
                }
            }
        }
        let body = tokens[position + 1..].to_vec();
        self.defines.insert(name.clone(), Define { parameters: Some(parameters), body });
    }

    fn macro_header(&mut self, tokens: &[Token]) -> Option<(String, Macro)> {
        let name = match tokens.get(1).map(|token| &token.kind) {
            Some(TokenKind::Identifier(name)) => name.to_ascii_lowercase(),
            _ => {
                self.errors.push(
                    Diagnostic::new(tokens[0].span, "%macro needs a name and a parameter count")
                        .hint("write `%macro name 2` … `%endmacro`"),
                );
                return None;
            }
        };
        // `%macro name N`, `%macro name N-M` or `%macro name N-*`.
        let (minimum, maximum) = match tokens.get(2).map(|token| &token.kind) {
            None => (0, 0),
            Some(TokenKind::Number(count)) => {
                let minimum = *count as u32;
                match (tokens.get(3).map(|token| &token.kind), tokens.get(4).map(|token| &token.kind)) {
                    (Some(TokenKind::Minus), Some(TokenKind::Number(maximum))) => (minimum, *maximum as u32),
                    (Some(TokenKind::Minus), Some(TokenKind::Star)) => (minimum, u32::MAX),
                    _ => (minimum, minimum),
                }
            }
            Some(_) => {
                self.errors.push(
                    Diagnostic::new(tokens[2].span, "the parameter count must be a number")
                        .hint("write `%macro name 2`"),
                );
                return None;
            }
        };
        Some((name, Macro { minimum, maximum, body: Vec::new(), defined_at: tokens[0].span }))
    }

    fn include(&mut self, tokens: &[Token], from: &str) {
        let name = match tokens.get(1).map(|token| &token.kind) {
            Some(TokenKind::String(bytes)) => String::from_utf8_lossy(bytes).into_owned(),
            _ => {
                self.errors.push(
                    Diagnostic::new(tokens[0].span, "%include needs a file name in quotes")
                        .hint("write `%include \"l4.inc\"`"),
                );
                return;
            }
        };
        if self.include_stack.len() >= MAX_INCLUDE_DEPTH || self.include_stack.iter().any(|open| open == &name) {
            self.errors.push(
                Diagnostic::new(tokens[1].span, format!("`{name}` includes itself"))
                    .hint("guard the file with %ifndef NAME / %define NAME / %endif"),
            );
            return;
        }
        match self.provider.read(&name, Some(from)) {
            Some((resolved, text)) => {
                self.include_stack.push(name.clone());
                self.process_file(&resolved, &text);
                self.include_stack.pop();
            }
            None => {
                self.errors
                    .push(Diagnostic::new(tokens[1].span, format!("cannot find the include file `{name}`")).hint(
                    "library files: l4.inc (system calls, kernel debugger), check.inc and testing.inc (self-checking programs); others are looked up next to this file",
                ))
            }
        }
    }

    /// Replace `%define`d names (repeatedly, for defines of defines).
    fn substitute_defines(&mut self, tokens: Vec<Token>) -> Vec<Token> {
        let mut current = tokens;
        for _ in 0..MAX_EXPANSION_DEPTH {
            let mut changed = false;
            let mut next = Vec::with_capacity(current.len());
            let mut index = 0;
            while index < current.len() {
                let token = &current[index];
                let define = match &token.kind {
                    TokenKind::Identifier(name) => self.defines.get(name),
                    _ => None,
                };
                let Some(define) = define else {
                    next.push(token.clone());
                    index += 1;
                    continue;
                };
                let span = token.span;
                match &define.parameters {
                    None => {
                        // The replacement takes the place (span) of the name it replaces.
                        next.extend(
                            define.body.iter().map(|replacement| Token { kind: replacement.kind.clone(), span }),
                        );
                        index += 1;
                        changed = true;
                    }
                    Some(parameters) => {
                        let Some((arguments, end)) = call_arguments(&current, index + 1) else {
                            // Used without `(…)`: the name stays a name.
                            next.push(token.clone());
                            index += 1;
                            continue;
                        };
                        if arguments.len() != parameters.len() {
                            self.errors.push(Diagnostic::new(
                                span,
                                format!(
                                    "`{}` takes {} argument{}, {} given",
                                    match &token.kind {
                                        TokenKind::Identifier(name) => name.as_str(),
                                        _ => "",
                                    },
                                    parameters.len(),
                                    if parameters.len() == 1 { "" } else { "s" },
                                    arguments.len()
                                ),
                            ));
                            return current;
                        }
                        for replacement in &define.body {
                            match &replacement.kind {
                                TokenKind::Identifier(name) if parameters.contains(name) => {
                                    let which = parameters.iter().position(|parameter| parameter == name).unwrap_or(0);
                                    next.extend(arguments[which].iter().cloned());
                                }
                                kind => next.push(Token { kind: kind.clone(), span }),
                            }
                        }
                        index = end;
                        changed = true;
                    }
                }
            }
            current = next;
            if !changed {
                return current;
            }
        }
        if let Some(token) = current.first() {
            self.errors.push(Diagnostic::new(token.span, "a %define refers to itself (expansion does not end)"));
        }
        current
    }

    /// Emit a line, expanding defines and macro invocations.
    fn emit(&mut self, tokens: Vec<Token>, origin: Span, invoked_at: &[Span], depth: usize) {
        let tokens = self.substitute_defines(tokens);
        // A macro invocation: `[label:] name args…`.
        let name_at = match (tokens.first().map(|token| &token.kind), tokens.get(1).map(|token| &token.kind)) {
            (Some(TokenKind::Identifier(_)), Some(TokenKind::Colon)) => 2,
            _ => 0,
        };
        let invoked = match tokens.get(name_at).map(|token| &token.kind) {
            Some(TokenKind::Identifier(name)) => {
                self.macros.get(&name.to_ascii_lowercase()).cloned().map(|definition| (name.clone(), definition))
            }
            _ => None,
        };
        let Some((name, definition)) = invoked else {
            self.output.push(Line { tokens, origin, invoked_at: invoked_at.to_vec() });
            return;
        };
        if depth >= MAX_EXPANSION_DEPTH {
            self.errors
                .push(Diagnostic::new(tokens[name_at].span, format!("macro `{name}` expands into itself without end")));
            return;
        }
        if name_at == 2 {
            // The label before the invocation stays, on a line of its own.
            self.output.push(Line { tokens: tokens[..2].to_vec(), origin, invoked_at: invoked_at.to_vec() });
        }
        let arguments = split_arguments(&tokens[name_at + 1..]);
        let count = arguments.len() as u32;
        if count < definition.minimum || count > definition.maximum {
            let expected = if definition.minimum == definition.maximum {
                format!("{}", definition.minimum)
            } else if definition.maximum == u32::MAX {
                format!("at least {}", definition.minimum)
            } else {
                format!("{} to {}", definition.minimum, definition.maximum)
            };
            self.errors.push(
                Diagnostic::new(
                    tokens[name_at].span,
                    format!("macro `{name}` takes {expected} argument(s), {count} given"),
                )
                .note(definition.defined_at, "the macro is defined here"),
            );
            return;
        }
        self.expansions += 1;
        let expansion = self.expansions;
        let mut chain = invoked_at.to_vec();
        chain.insert(0, tokens[name_at].span);
        for (body_line, body_origin) in &definition.body {
            let mut expanded = Vec::new();
            for token in body_line {
                match &token.kind {
                    TokenKind::Parameter(0) => {
                        expanded.push(Token { kind: TokenKind::Number(count as i64), span: token.span })
                    }
                    TokenKind::Parameter(number) => match arguments.get(*number as usize - 1) {
                        Some(argument) => expanded.extend(argument.iter().cloned()),
                        None if *number > definition.maximum || definition.maximum == u32::MAX => {
                            self.errors.push(
                                Diagnostic::new(
                                    token.span,
                                    format!("`%{number}` names a parameter the invocation did not give"),
                                )
                                .note(
                                    tokens[name_at].span,
                                    format!("`{name}` is invoked with {count} argument(s) here"),
                                ),
                            );
                        }
                        None => {}
                    },
                    TokenKind::MacroLocal(local) => expanded.push(Token {
                        kind: TokenKind::Identifier(format!("..@{expansion}.{local}")),
                        span: token.span,
                    }),
                    _ => expanded.push(token.clone()),
                }
            }
            self.emit(expanded, *body_origin, &chain, depth + 1);
        }
    }
}

/// Split macro arguments at top-level commas.
fn split_arguments(tokens: &[Token]) -> Vec<Vec<Token>> {
    if tokens.is_empty() {
        return Vec::new();
    }
    let mut arguments = vec![Vec::new()];
    let mut depth = 0i32;
    for token in tokens {
        match token.kind {
            TokenKind::OpenBracket | TokenKind::OpenParen => depth += 1,
            TokenKind::CloseBracket | TokenKind::CloseParen => depth -= 1,
            TokenKind::Comma if depth == 0 => {
                arguments.push(Vec::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = arguments.last_mut() {
            last.push(token.clone());
        }
    }
    arguments
}

/// The arguments of `name(…)` starting at `open` (the `(`): token lists split
/// at top-level commas, and the index after the `)`. `None` without a `(`
/// or without its `)`.
fn call_arguments(tokens: &[Token], open: usize) -> Option<(Vec<Vec<Token>>, usize)> {
    if tokens.get(open)?.kind != TokenKind::OpenParen {
        return None;
    }
    let mut arguments = vec![Vec::new()];
    let mut depth = 0;
    for (index, token) in tokens.iter().enumerate().skip(open + 1) {
        match token.kind {
            TokenKind::OpenParen => depth += 1,
            TokenKind::CloseParen if depth == 0 => {
                if arguments.len() == 1 && arguments[0].is_empty() {
                    arguments.clear();
                }
                return Some((arguments, index + 1));
            }
            TokenKind::CloseParen => depth -= 1,
            TokenKind::Comma if depth == 0 => {
                arguments.push(Vec::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = arguments.last_mut() {
            last.push(token.clone());
        }
    }
    None
}
