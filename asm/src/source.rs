//! Source files and positions. Files come from a [`FileProvider`]: the file
//! system on the command line, an in-memory set in the browser and in tests.

use std::collections::BTreeMap;

/// Where source text comes from.
pub trait FileProvider {
    /// The contents of `name` as included from `from` (the including file's
    /// name, for relative lookups), or `None` if there is no such file.
    fn read(&self, name: &str, from: Option<&str>) -> Option<(String, String)>;
}

/// Files held in memory: name → text.
#[derive(Clone, Debug, Default)]
pub struct MemoryFiles {
    files: BTreeMap<String, String>,
}

impl MemoryFiles {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn with(mut self, name: &str, text: &str) -> Self {
        self.insert(name, text);
        self
    }
    pub fn insert(&mut self, name: &str, text: &str) {
        self.files.insert(name.to_string(), text.to_string());
    }
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }
}

impl FileProvider for MemoryFiles {
    fn read(&self, name: &str, _from: Option<&str>) -> Option<(String, String)> {
        self.files.get(name).map(|text| (name.to_string(), text.clone()))
    }
}

/// A file's index in the [`SourceMap`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, PartialOrd, Ord)]
pub struct FileId(pub u16);

/// A stretch of source: file, 1-based line and column, length in characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct Span {
    pub file: FileId,
    pub line: u32,
    pub column: u32,
    pub length: u32,
}

impl Span {
    /// From the start of `self` to the end of `other` (same line), or `self`.
    pub fn to(self, other: Span) -> Span {
        if self.file == other.file && self.line == other.line && other.column >= self.column {
            Span { length: other.column + other.length - self.column, ..self }
        } else {
            self
        }
    }
}

/// Every file read during one assembly, for rendering diagnostics.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<(String, Vec<String>)>,
}

impl SourceMap {
    pub fn add(&mut self, name: &str, text: &str) -> FileId {
        self.files.push((name.to_string(), text.lines().map(str::to_string).collect()));
        FileId((self.files.len() - 1) as u16)
    }
    pub fn name(&self, file: FileId) -> &str {
        self.files.get(file.0 as usize).map_or("<unknown>", |(name, _)| name.as_str())
    }
    pub fn line(&self, file: FileId, line: u32) -> Option<&str> {
        self.files.get(file.0 as usize)?.1.get(line.checked_sub(1)? as usize).map(String::as_str)
    }
}
