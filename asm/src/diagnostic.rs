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
/// to be a likely typo ("eaxx" → "eax"): one edit for words of up to three
/// letters, two for longer ones. On a tie the earlier candidate wins.
///
/// For a large set asked often (the mnemonics), build a [`Vocabulary`]
/// once instead.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    Vocabulary::new(candidates).suggest(word)
}

/// Words to suggest from, each with what rules it out cheaply.
///
/// Cheap enough to run for every unknown word of a file on every keystroke
/// of the explorer's editor, against the ~1,600 mnemonics: a candidate
/// whose length puts it out of reach is skipped, and so is one whose
/// letters differ too much, before any distance is computed; the distance
/// itself is given up as soon as every path through it exceeds the limit.
#[derive(Debug)]
pub struct Vocabulary<'a> {
    words: Vec<Candidate<'a>>,
}

#[derive(Debug)]
struct Candidate<'a> {
    word: &'a str,
    /// Lower-cased.
    letters: Vec<char>,
    set: u64,
}

impl<'a> Vocabulary<'a> {
    pub fn new(words: impl IntoIterator<Item = &'a str>) -> Self {
        let words = words
            .into_iter()
            .map(|word| {
                let letters: Vec<char> = word.chars().map(|character| character.to_ascii_lowercase()).collect();
                Candidate { word, set: letter_set(&letters), letters }
            })
            .collect();
        Self { words }
    }

    /// See [`suggest`].
    pub fn suggest(&self, word: &str) -> Option<&'a str> {
        let word: Vec<char> = word.chars().map(|character| character.to_ascii_lowercase()).collect();
        let set = letter_set(&word);
        let limit = if word.len() <= 3 { 1 } else { 2 };
        let mut rows = (Vec::new(), Vec::new());
        let mut best: Option<(usize, &str)> = None;
        for candidate in &self.words {
            let bound = best.map_or(limit, |(distance, _)| distance - 1);
            // An insertion or a deletion changes the set of letters by at
            // most one, a substitution by at most two: half the letters the
            // two words do not share is a lower bound of their distance.
            let unshared = (set ^ candidate.set).count_ones() as usize;
            if unshared.div_ceil(2) > bound || candidate.letters.len().abs_diff(word.len()) > bound {
                continue;
            }
            if let Some(distance) = edit_distance_within(&word, &candidate.letters, bound, &mut rows) {
                if distance == 0 {
                    return None;
                }
                best = Some((distance, candidate.word));
            }
        }
        best.map(|(_, candidate)| candidate)
    }
}

/// The letters of a word as a set of bits (a letter's bit is its code
/// modulo 64: different letters may share a bit, which only weakens the
/// bound it gives).
fn letter_set(letters: &[char]) -> u64 {
    letters.iter().fold(0, |set, letter| set | 1 << (u32::from(*letter) % 64))
}

/// The Levenshtein distance between `word` and `candidate`, or `None` when
/// it is greater than `bound`.
fn edit_distance_within(
    word: &[char],
    candidate: &[char],
    bound: usize,
    rows: &mut (Vec<usize>, Vec<usize>),
) -> Option<usize> {
    let (previous, current) = rows;
    previous.clear();
    previous.extend(0..=word.len());
    for (i, right) in candidate.iter().enumerate() {
        current.clear();
        current.push(i + 1);
        let mut smallest = i + 1;
        for (j, left) in word.iter().enumerate() {
            let cost = usize::from(left != right);
            let value = (previous[j] + cost).min(previous[j + 1] + 1).min(current[j] + 1);
            smallest = smallest.min(value);
            current.push(value);
        }
        if smallest > bound {
            return None;
        }
        std::mem::swap(previous, current);
    }
    let distance = previous[word.len()];
    (distance <= bound).then_some(distance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_suggestions_and_strangers_do_not() {
        assert_eq!(suggest("eaxx", ["eax", "ebx", "ecx"]), Some("eax"));
        assert_eq!(suggest("movv", ["mov", "movs", "add"]), Some("mov"));
        assert_eq!(suggest("xyzzy", ["eax", "ebx"]), None);
        assert_eq!(suggest("EAXX", ["eax"]), Some("eax"), "without case");
        assert_eq!(suggest("eax", ["ebx", "eax"]), None, "a known word is no typo");
        assert_eq!(suggest("movzz", ["movsx", "movzx", "mov"]), Some("movzx"), "the nearest, not the first near one");
        assert_eq!(suggest("mvo", ["mov"]), None, "two edits are too many for three letters");
        assert_eq!(suggest("lodsbb", ["lods", "lodsb"]), Some("lodsb"));
        assert_eq!(suggest("añx", ["eax", "anx"]), Some("anx"));
    }

    /// The plain definition the fast one must agree with: the first
    /// candidate at the smallest full Levenshtein distance.
    fn plain_suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
        let word: Vec<char> = word.to_ascii_lowercase().chars().collect();
        let mut best: Option<(usize, &str)> = None;
        for candidate in candidates {
            let other: Vec<char> = candidate.to_ascii_lowercase().chars().collect();
            let mut previous: Vec<usize> = (0..=other.len()).collect();
            for (i, left) in word.iter().enumerate() {
                let mut current = vec![i + 1; other.len() + 1];
                for (j, right) in other.iter().enumerate() {
                    let cost = usize::from(left != right);
                    current[j + 1] = (previous[j] + cost).min(previous[j + 1] + 1).min(current[j] + 1);
                }
                previous = current;
            }
            let distance = previous[other.len()];
            if best.is_none_or(|(current, _)| distance < current) {
                best = Some((distance, candidate));
            }
        }
        let limit = if word.len() <= 3 { 1 } else { 2 };
        best.filter(|(distance, _)| (1..=limit).contains(distance)).map(|(_, candidate)| candidate)
    }

    #[test]
    fn the_fast_suggestion_is_the_plain_definitions() {
        let mnemonics = crate::select::mnemonics();
        let mut state = 0x2545_f491_u32;
        let mut random = move |below: usize| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as usize % below
        };
        let letters: Vec<char> = "abcdefghijklmnopqrstuvwxyz0123456789_.Ññ".chars().collect();
        for round in 0..3_000 {
            let mut word: Vec<char> = mnemonics[random(mnemonics.len())].chars().collect();
            for _ in 0..round % 4 {
                let at = random(word.len() + 1);
                match random(3) {
                    0 => word.insert(at, letters[random(letters.len())]),
                    1 if at < word.len() => drop(word.remove(at)),
                    _ if at < word.len() => word[at] = letters[random(letters.len())],
                    _ => {}
                }
            }
            let word: String = word.into_iter().collect();
            assert_eq!(suggest(&word, mnemonics.iter().copied()), plain_suggest(&word, &mnemonics), "for `{word}`");
        }
    }
}
