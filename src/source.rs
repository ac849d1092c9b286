//! Source files and spans.
//!
//! Every rule file (and every lexicon file) that trawl reads is kept in a
//! [`SourceMap`] and named by a [`FileId`]. A [`Span`] is a byte range in one
//! of those files; line and column are computed only when a diagnostic or a
//! provenance line is rendered.

use std::path::{Path, PathBuf};

/// Index of a file in a [`SourceMap`]; dense from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range `start..end` (with `start <= end`) in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span covering `start..end` in `file`.
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span { file, start: start as u32, end: end as u32 }
    }

    /// The smallest span covering both (which must be in the same file).
    pub fn to(self, other: Span) -> Span {
        Span { file: self.file, start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

/// One loaded file: its name as the user gave it, and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as shown in diagnostics and provenance (relative when the user gave it so).
    pub name: String,
    /// The path used to resolve relative imports and lexicon files.
    pub path: PathBuf,
    /// The whole text.
    pub text: String,
    line_starts: Vec<u32>,
}

impl SourceFile {
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line] as usize;
        let end = (offset as usize).min(self.text.len());
        let col = self.text.get(start..end).map_or(end - start, |s| s.chars().count());
        (line + 1, col + 1)
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self.line_starts[line - 1] as usize;
        let end = self.line_starts.get(line).map_or(self.text.len(), |&e| e as usize);
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }
}

/// All files read while loading a rule set.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    /// The first file read from each path (so that loading thousands of files stays linear).
    by_path: std::collections::HashMap<std::path::PathBuf, FileId>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, path: impl AsRef<Path>, text: String) -> FileId {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i as u32 + 1));
        let id = FileId(self.files.len() as u32);
        let path = path.as_ref().to_path_buf();
        self.by_path.entry(path.clone()).or_insert(id);
        self.files.push(SourceFile { name: name.into(), path, text, line_starts });
        id
    }

    /// The file with this id.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The file already loaded from this path, if any.
    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.by_path.get(path).copied()
    }

    /// The text a span covers.
    pub fn snippet(&self, span: Span) -> &str {
        let f = self.get(span.file);
        f.text.get(span.start as usize..span.end as usize).unwrap_or("")
    }

    /// `file:line` of a span's start, as used in provenance.
    pub fn location(&self, span: Span) -> String {
        let f = self.get(span.file);
        let (line, _) = f.line_col(span.start);
        format!("{}:{}", f.name, line)
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file is loaded.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}
