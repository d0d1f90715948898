//! The lexer: one source line into tokens, each with its span.
//!
//! NASM conventions: `;` starts a comment; numbers in decimal, `0x…`,
//! `…h`, `0b…`, `…b`, `0o…`/`…q`; strings in '…', "…" or `…` (with C
//! escapes); `$` is the current address and `$$` the section start;
//! `%1` is a macro parameter, `%%name` a macro-local label, `%name` a
//! preprocessor directive.

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Identifier(String),
    Number(i64),
    String(Vec<u8>),
    /// `%name` (a preprocessor directive).
    Directive(String),
    /// `%N` (a macro parameter; `%0` is the count).
    Parameter(u32),
    /// `%%name` (a label local to one macro expansion).
    MacroLocal(String),
    /// `$`
    Here,
    /// `$$`
    SectionStart,
    Comma,
    Colon,
    OpenBracket,
    CloseBracket,
    OpenParen,
    CloseParen,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Tilde,
    Ampersand,
    Pipe,
    Caret,
    ShiftLeft,
    ShiftRight,
}

impl TokenKind {
    /// How the token reads in a message.
    pub fn describe(&self) -> String {
        match self {
            TokenKind::Identifier(name) => format!("`{name}`"),
            TokenKind::Number(value) => format!("the number {value}"),
            TokenKind::String(_) => "a string".to_string(),
            TokenKind::Directive(name) => format!("`%{name}`"),
            TokenKind::Parameter(number) => format!("`%{number}`"),
            TokenKind::MacroLocal(name) => format!("`%%{name}`"),
            TokenKind::Here => "`$`".to_string(),
            TokenKind::SectionStart => "`$$`".to_string(),
            other => format!("`{}`", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            TokenKind::Comma => ",",
            TokenKind::Colon => ":",
            TokenKind::OpenBracket => "[",
            TokenKind::CloseBracket => "]",
            TokenKind::OpenParen => "(",
            TokenKind::CloseParen => ")",
            TokenKind::Plus => "+",
            TokenKind::Minus => "-",
            TokenKind::Star => "*",
            TokenKind::Slash => "/",
            TokenKind::Percent => "%",
            TokenKind::Tilde => "~",
            TokenKind::Ampersand => "&",
            TokenKind::Pipe => "|",
            TokenKind::Caret => "^",
            TokenKind::ShiftLeft => "<<",
            TokenKind::ShiftRight => ">>",
            _ => "?",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

fn is_identifier_start(character: char) -> bool {
    character.is_ascii_alphabetic() || matches!(character, '_' | '.' | '?' | '@')
}

fn is_identifier_part(character: char) -> bool {
    character.is_ascii_alphanumeric() || matches!(character, '_' | '.' | '?' | '@' | '$' | '#' | '~')
}

/// Parse a number literal in any of NASM's notations.
fn parse_number(text: &str) -> Option<i64> {
    let cleaned: String = text.chars().filter(|character| *character != '_').collect();
    let lower = cleaned.to_ascii_lowercase();
    // A trailing `h` wins over a `0b`/`0d` prefix: `0B5h` is hex B5.
    let hex_suffix =
        lower.strip_suffix('h').filter(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_hexdigit()));
    let (digits, radix) = if let Some(rest) = hex_suffix {
        (rest.to_string(), 16)
    } else if let Some(rest) = lower.strip_prefix("0x").or_else(|| lower.strip_prefix("0h")) {
        (rest.to_string(), 16)
    } else if let Some(rest) = lower.strip_prefix("0b").or_else(|| lower.strip_prefix("0y")) {
        (rest.to_string(), 2)
    } else if let Some(rest) = lower.strip_prefix("0o").or_else(|| lower.strip_prefix("0q")) {
        (rest.to_string(), 8)
    } else if let Some(rest) = lower.strip_prefix("0d") {
        (rest.to_string(), 10)
    } else if let Some(rest) = lower.strip_suffix('h') {
        (rest.to_string(), 16)
    } else if let Some(rest) = lower.strip_suffix('q').or_else(|| lower.strip_suffix('o')) {
        (rest.to_string(), 8)
    } else if let Some(rest) = lower.strip_suffix('b').filter(|rest| rest.chars().all(|c| c == '0' || c == '1')) {
        (rest.to_string(), 2)
    } else if let Some(rest) = lower.strip_suffix('d') {
        (rest.to_string(), 10)
    } else {
        (lower, 10)
    };
    if digits.is_empty() {
        return None;
    }
    u64::from_str_radix(&digits, radix).ok().map(|value| value as i64)
}

fn escape(character: char) -> Option<u8> {
    Some(match character {
        'n' => b'\n',
        'r' => b'\r',
        't' => b'\t',
        '0' => 0,
        '\\' => b'\\',
        '\'' => b'\'',
        '"' => b'"',
        '`' => b'`',
        'e' => 0x1B,
        'a' => 7,
        'b' => 8,
        _ => return None,
    })
}

/// Tokenize one line. `line_number` is 1-based.
pub fn lex_line(text: &str, file: FileId, line_number: u32) -> Result<Vec<Token>, Diagnostic> {
    let characters: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut index = 0;
    let span = |start: usize, end: usize| Span {
        file,
        line: line_number,
        column: start as u32 + 1,
        length: (end - start) as u32,
    };
    while index < characters.len() {
        let character = characters[index];
        let start = index;
        if character.is_whitespace() {
            index += 1;
            continue;
        }
        if character == ';' {
            break;
        }
        let kind = if character.is_ascii_digit() {
            while index < characters.len() && (characters[index].is_ascii_alphanumeric() || characters[index] == '_') {
                index += 1;
            }
            let literal: String = characters[start..index].iter().collect();
            match parse_number(&literal) {
                Some(value) => TokenKind::Number(value),
                None => {
                    return Err(Diagnostic::new(span(start, index), format!("`{literal}` is not a number"))
                        .hint("write decimal (42), hex (0x2A or 2Ah), binary (0b101010) or octal (0o52)"));
                }
            }
        } else if is_identifier_start(character) {
            while index < characters.len() && is_identifier_part(characters[index]) {
                index += 1;
            }
            TokenKind::Identifier(characters[start..index].iter().collect())
        } else if character == '\'' || character == '"' || character == '`' {
            index += 1;
            let mut bytes = Vec::new();
            let mut closed = false;
            while index < characters.len() {
                let current = characters[index];
                if current == character {
                    closed = true;
                    index += 1;
                    break;
                }
                if current == '\\' && character == '`' && index + 1 < characters.len() {
                    match escape(characters[index + 1]) {
                        Some(byte) => bytes.push(byte),
                        None => {
                            return Err(Diagnostic::new(
                                span(index, index + 2),
                                format!("unknown escape `\\{}`", characters[index + 1]),
                            )
                            .hint("escapes in `…` strings: \\n \\r \\t \\0 \\\\ \\' \\\" \\` \\e"));
                        }
                    }
                    index += 2;
                    continue;
                }
                let mut buffer = [0u8; 4];
                bytes.extend_from_slice(current.encode_utf8(&mut buffer).as_bytes());
                index += 1;
            }
            if !closed {
                return Err(Diagnostic::new(span(start, characters.len()), "unterminated string")
                    .hint(format!("close it with {character}")));
            }
            TokenKind::String(bytes)
        } else if character == '$' {
            if characters.get(index + 1) == Some(&'$') {
                index += 2;
                TokenKind::SectionStart
            } else if characters.get(index + 1).is_some_and(|next| is_identifier_start(*next) || next.is_ascii_digit())
            {
                // `$name` escapes a name that is also a keyword.
                index += 1;
                while index < characters.len() && is_identifier_part(characters[index]) {
                    index += 1;
                }
                TokenKind::Identifier(characters[start + 1..index].iter().collect())
            } else {
                index += 1;
                TokenKind::Here
            }
        } else if character == '%' {
            let next = characters.get(index + 1).copied();
            if next == Some('%') && characters.get(index + 2).is_some_and(|c| is_identifier_start(*c)) {
                index += 2;
                let name_start = index;
                while index < characters.len() && is_identifier_part(characters[index]) {
                    index += 1;
                }
                TokenKind::MacroLocal(characters[name_start..index].iter().collect())
            } else if next.is_some_and(|c| c.is_ascii_digit()) {
                index += 1;
                let digits_start = index;
                while index < characters.len() && characters[index].is_ascii_digit() {
                    index += 1;
                }
                let digits: String = characters[digits_start..index].iter().collect();
                TokenKind::Parameter(digits.parse().unwrap_or(u32::MAX))
            } else if next.is_some_and(|c| c.is_ascii_alphabetic()) && tokens.is_empty() {
                index += 1;
                let name_start = index;
                while index < characters.len() && is_identifier_part(characters[index]) {
                    index += 1;
                }
                TokenKind::Directive(characters[name_start..index].iter().collect::<String>().to_ascii_lowercase())
            } else {
                index += 1;
                TokenKind::Percent
            }
        } else {
            let two: String = characters[index..(index + 2).min(characters.len())].iter().collect();
            let (kind, width) = match (character, two.as_str()) {
                (_, "<<") => (TokenKind::ShiftLeft, 2),
                (_, ">>") => (TokenKind::ShiftRight, 2),
                (',', _) => (TokenKind::Comma, 1),
                (':', _) => (TokenKind::Colon, 1),
                ('[', _) => (TokenKind::OpenBracket, 1),
                (']', _) => (TokenKind::CloseBracket, 1),
                ('(', _) => (TokenKind::OpenParen, 1),
                (')', _) => (TokenKind::CloseParen, 1),
                ('+', _) => (TokenKind::Plus, 1),
                ('-', _) => (TokenKind::Minus, 1),
                ('*', _) => (TokenKind::Star, 1),
                ('/', _) => (TokenKind::Slash, 1),
                ('~', _) => (TokenKind::Tilde, 1),
                ('&', _) => (TokenKind::Ampersand, 1),
                ('|', _) => (TokenKind::Pipe, 1),
                ('^', _) => (TokenKind::Caret, 1),
                _ => {
                    return Err(Diagnostic::new(span(start, start + 1), format!("unexpected character `{character}`"))
                        .hint("comments start with `;`"));
                }
            };
            index += width;
            kind
        };
        tokens.push(Token { kind, span: span(start, index) });
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        lex_line(text, FileId(0), 1).expect("lexes").into_iter().map(|token| token.kind).collect()
    }

    #[test]
    fn numbers_in_every_notation() {
        assert_eq!(
            kinds("42 0x2A 2Ah 0FFh 0b101 101b 0o17 17q 1_000"),
            [42, 42, 42, 255, 5, 5, 15, 15, 1000].map(TokenKind::Number).to_vec()
        );
        assert_eq!(kinds("0B5h 0BEF4001Eh 0D0h"), [0xB5, 0xBEF4_001E, 0xD0].map(TokenKind::Number).to_vec());
    }

    #[test]
    fn a_line_with_label_instruction_and_comment() {
        let tokens = kinds("loop: mov eax, [ebx+4] ; comment");
        assert_eq!(tokens[0], TokenKind::Identifier("loop".into()));
        assert_eq!(tokens[1], TokenKind::Colon);
        assert_eq!(tokens.len(), 10);
    }

    #[test]
    fn strings_escapes_and_macro_tokens() {
        assert_eq!(kinds("`a\\n`"), vec![TokenKind::String(b"a\n".to_vec())]);
        assert_eq!(kinds("'it' ''"), vec![TokenKind::String(b"it".to_vec()), TokenKind::String(vec![])]);
        assert_eq!(kinds("%define X 1")[0], TokenKind::Directive("define".into()));
        assert_eq!(kinds("mov eax, %2")[3], TokenKind::Parameter(2));
        assert_eq!(kinds("jmp %%done")[1], TokenKind::MacroLocal("done".into()));
        assert_eq!(kinds("10 % 3")[1], TokenKind::Percent);
    }

    #[test]
    fn errors_point_at_the_problem() {
        let error = lex_line("mov eax, 0xZZ", FileId(0), 3).expect_err("bad number");
        assert_eq!((error.span.line, error.span.column), (3, 10));
        let error = lex_line("db \"open", FileId(0), 1).expect_err("unterminated");
        assert!(error.message.contains("unterminated"));
    }
}
