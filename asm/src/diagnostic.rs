//! Diagnostics: what went wrong, where, and how to fix it.
//!
//! Rendered like a compiler's: `file:line:column: error: message`, the
//! source line, a caret under the culprit, then a hint and notes.

use crate::source::{SourceMap, Span};
use std::fmt::Write;

/// One error with its place and, where we can tell, how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub span: Span,
    pub message: String,
    pub hint: Option<String>,
    /// Further places that explain this one ("first defined here", "in macro …").
    pub notes: Vec<(Span, String)>,
}

impl Diagnostic {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Self { span, message: message.into(), hint: None, notes: Vec::new() }
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    pub fn note(mut self, span: Span, note: impl Into<String>) -> Self {
        self.notes.push((span, note.into()));
        self
    }
}

/// All diagnostics of one assembly, with the sources to render them.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    pub list: Vec<Diagnostic>,
    pub sources: SourceMap,
}

impl Diagnostics {
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Render every diagnostic as text.
    pub fn render(&self) -> String {
        let mut text = String::new();
        for diagnostic in &self.list {
            self.render_one(&mut text, diagnostic);
        }
        let count = self.list.len();
        let _ = writeln!(text, "{count} error{}", if count == 1 { "" } else { "s" });
        text
    }

    fn render_one(&self, text: &mut String, diagnostic: &Diagnostic) {
        let span = diagnostic.span;
        let _ = writeln!(
            text,
            "{}:{}:{}: error: {}",
            self.sources.name(span.file),
            span.line,
            span.column,
            diagnostic.message
        );
        self.render_excerpt(text, span);
        if let Some(hint) = &diagnostic.hint {
            let _ = writeln!(text, "  hint: {hint}");
        }
        for (note_span, note) in &diagnostic.notes {
            let _ = writeln!(
                text,
                "  note: {note} ({}:{}:{})",
                self.sources.name(note_span.file),
                note_span.line,
                note_span.column
            );
        }
    }

    fn render_excerpt(&self, text: &mut String, span: Span) {
        if let Some(line) = self.sources.line(span.file, span.line) {
            let number = span.line.to_string();
            let _ = writeln!(text, " {number} | {line}");
            let indent: String = line
                .chars()
                .take(span.column.saturating_sub(1) as usize)
                .map(|character| if character == '\t' { '\t' } else { ' ' })
                .collect();
            let carets = "^".repeat(span.length.max(1) as usize);
            let _ = writeln!(text, " {} | {indent}{carets}", " ".repeat(number.len()));
        }
    }
}

impl std::fmt::Display for Diagnostics {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.render())
    }
}

impl std::error::Error for Diagnostics {}

/// The closest candidate to `word` by edit distance, if it is close enough
/// to be a likely typo ("eaxx" → "eax").
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let distance = edit_distance(&word, &candidate.to_ascii_lowercase());
        if best.is_none_or(|(current, _)| distance < current) {
            best = Some((distance, candidate));
        }
    }
    let limit = if word.len() <= 3 { 1 } else { 2 };
    best.filter(|(distance, _)| *distance <= limit && *distance > 0).map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, left) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, right) in b.iter().enumerate() {
            let cost = usize::from(left != *right);
            current[j + 1] = (previous[j] + cost).min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_suggestions_and_strangers_do_not() {
        assert_eq!(suggest("eaxx", ["eax", "ebx", "ecx"]), Some("eax"));
        assert_eq!(suggest("movv", ["mov", "movs", "add"]), Some("mov"));
        assert_eq!(suggest("xyzzy", ["eax", "ebx"]), None);
    }
}
