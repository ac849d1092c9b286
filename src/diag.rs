//! Diagnostics: errors and warnings about rule files, as data.
//!
//! A [`Diagnostic`] has a severity, a message, a primary [`Span`], optional
//! secondary labels and hints. Every stage returns all the problems it found
//! in a list; rendering happens only at the edge ([`render`], [`render_with`] in
//! colour), in the style of rustc through annotate-snippets: `file:line:col`, the
//! source lines, carets under the span, hints.

use crate::source::{SourceMap, Span};
use std::fmt::Write;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The rule set cannot be used.
    Error,
    /// The rule set works but something is probably wrong.
    Warning,
}

/// One problem in a rule file.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// One sentence, lower case, no trailing period.
    pub message: String,
    /// Where the problem is; `None` for problems with no place (a missing file given on the command line).
    pub span: Option<Span>,
    /// Other places worth showing, each with a short note.
    pub labels: Vec<(Span, String)>,
    /// Suggestions such as "did you mean `Title`?".
    pub hints: Vec<String>,
}

impl Diagnostic {
    /// An error at a span.
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span: Some(span),
            labels: vec![],
            hints: vec![],
        }
    }

    /// An error without a place in a file.
    pub fn error_nowhere(message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Error, message: message.into(), span: None, labels: vec![], hints: vec![] }
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hints.push(hint.into());
        self
    }

    /// Adds a secondary label.
    pub fn label(mut self, span: Span, note: impl Into<String>) -> Diagnostic {
        self.labels.push((span, note.into()));
        self
    }
}

/// Whether any diagnostic in the list is an error.
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.severity == Severity::Error)
}

/// Where a diagnostic is: its file, line and column (1-based, columns in characters), if it
/// has a place.
fn place(sources: &SourceMap, d: &Diagnostic) -> Option<(String, usize, usize)> {
    let span = d.span?;
    let f = sources.get(span.file);
    let (line, col) = f.line_col(span.start);
    Some((f.name.clone(), line, col))
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// One line per diagnostic, `path:line:col: severity: message` (what editors and reviewdog
/// read); hints follow the message after ` (` … `)`.
pub fn render_short(sources: &SourceMap, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let at = place(sources, d).map_or_else(|| "trawl".to_string(), |(f, l, c)| format!("{f}:{l}:{c}"));
        let hints = if d.hints.is_empty() { String::new() } else { format!(" ({})", d.hints.join("; ")) };
        out.push_str(&format!("{at}: {}: {}{hints}\n", severity_word(d.severity), d.message));
    }
    out
}

/// GitHub Actions workflow commands: an annotation per diagnostic at its file and line.
pub fn render_github(sources: &SourceMap, diags: &[Diagnostic]) -> String {
    let esc = |s: &str| s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    let mut out = String::new();
    for d in diags {
        let mut msg = d.message.clone();
        for h in &d.hints {
            msg.push_str(&format!("\nhelp: {h}"));
        }
        let at = place(sources, d).map_or(String::new(), |(f, l, c)| format!(" file={f},line={l},col={c}"));
        out.push_str(&format!("::{}{at}::{}\n", severity_word(d.severity), esc(&msg)));
    }
    out
}

/// The diagnostics as JSON values: file, line, column, severity, message, hints, notes.
pub fn to_json(sources: &SourceMap, diags: &[Diagnostic]) -> Vec<serde_json::Value> {
    diags
        .iter()
        .map(|d| {
            let (file, line, column) =
                place(sources, d).map_or((None, None, None), |(f, l, c)| (Some(f), Some(l), Some(c)));
            let notes: Vec<serde_json::Value> = d
                .labels
                .iter()
                .map(|(span, note)| {
                    let f = sources.get(span.file);
                    let (line, column) = f.line_col(span.start);
                    serde_json::json!({"file": f.name, "line": line, "column": column, "note": note})
                })
                .collect();
            serde_json::json!({
                "file": file, "line": line, "column": column, "severity": severity_word(d.severity),
                "message": d.message, "hints": d.hints, "notes": notes,
            })
        })
        .collect()
}

/// Renders diagnostics as plain text (no colour), rustc style.
pub fn render(sources: &SourceMap, diags: &[Diagnostic]) -> String {
    render_with(sources, diags, false)
}

/// Renders diagnostics rustc style with annotate-snippets, in colour when `color`: the source
/// lines of each span (several when it runs over lines) with carets under it, placed by display
/// width (`東京` is four columns), secondary labels in their own files, hints last.
pub fn render_with(sources: &SourceMap, diags: &[Diagnostic], color: bool) -> String {
    use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
    let renderer = if color { Renderer::styled() } else { Renderer::plain() };
    let mut out = String::new();
    for d in diags {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        // One snippet per file, the primary span first, each label in its file's snippet.
        let mut spans: Vec<(Span, Option<&str>, bool)> = d.span.iter().map(|&s| (s, None, true)).collect();
        spans.extend(d.labels.iter().map(|(s, note)| (*s, Some(note.as_str()), false)));
        let mut files: Vec<crate::source::FileId> = Vec::new();
        for (s, _, _) in &spans {
            if !files.contains(&s.file) {
                files.push(s.file);
            }
        }
        let mut group = Group::with_title(level.primary_title(d.message.as_str()));
        for f in files {
            let file = sources.get(f);
            let mut snippet = Snippet::source(file.text.as_str()).path(file.name.as_str()).fold(true);
            for (s, note, primary) in spans.iter().filter(|(s, _, _)| s.file == f) {
                let kind = if *primary { AnnotationKind::Primary } else { AnnotationKind::Context };
                let range = s.start as usize..(s.end as usize).max(s.start as usize);
                let mut annotation = kind.span(range);
                if let Some(note) = note.filter(|n| !n.is_empty()) {
                    annotation = annotation.label(note);
                }
                snippet = snippet.annotation(annotation);
            }
            group = group.element(snippet);
        }
        for h in &d.hints {
            group = group.element(Level::HELP.message(h.as_str()));
        }
        let _ = writeln!(out, "{}\n", renderer.render(&[group]));
    }
    out
}

/// The closest name to `name` among `candidates`, if it is close enough to suggest.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    let lower = name.to_lowercase();
    for c in candidates {
        let d = edit_distance(&lower, &c.to_lowercase());
        let limit = name.chars().count().max(c.chars().count()).div_ceil(3).max(1);
        if d <= limit && best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Edits between two names, a swap of two neighbouring letters counting as one
/// (optimal string alignment distance): `Titel` is one edit from `Title`.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j - 1] + cost).min(rows[i - 1][j] + 1).min(rows[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert_eq!(did_you_mean("Titel", ["Title", "Place"]), Some("Title"));
        assert_eq!(did_you_mean("Zebra", ["Title", "Place"]), None);
    }
}
