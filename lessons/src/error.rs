//! Errors in a lesson file: what is wrong, on which line, and how to fix it.

use std::fmt;

/// One problem with a lesson file.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LessonError {
    /// 1-based line of the lesson file (0: the file as a whole).
    pub line: usize,
    pub message: String,
    pub hint: Option<String>,
}

impl LessonError {
    pub fn new(line: usize, message: impl Into<String>) -> Self {
        Self { line, message: message.into(), hint: None }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// `file:line: error: message` and the hint on its own line.
    pub fn render(&self, file: &str) -> String {
        let mut text = if self.line == 0 {
            format!("{file}: error: {}", self.message)
        } else {
            format!("{file}:{}: error: {}", self.line, self.message)
        };
        if let Some(hint) = &self.hint {
            text.push_str("\n  hint: ");
            text.push_str(hint);
        }
        text
    }
}

/// Every problem found in one lesson file.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LessonErrors {
    pub file: String,
    pub list: Vec<LessonError>,
}

impl LessonErrors {
    /// All errors, one after the other, with a count at the end.
    pub fn render(&self) -> String {
        let mut text = String::new();
        for error in &self.list {
            text.push_str(&error.render(&self.file));
            text.push('\n');
        }
        let count = self.list.len();
        text.push_str(&format!("{count} error{} in {}\n", if count == 1 { "" } else { "s" }, self.file));
        text
    }
}

impl fmt::Display for LessonErrors {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.render())
    }
}

impl std::error::Error for LessonErrors {}
