//! The canonical layout of a rule file (`trawl fmt`): rule-file text in, the same file laid
//! out one way out.
//!
//! What is canonical: an item (`use`, `import`, `lexicon`, `pattern`, `rule`) starts a line; a
//! rule's body has one clause a line, indented two spaces, its keyword padded to seven columns
//! (`match  `, `emit   `, `example `); the closing brace has its own line; one space between
//! tokens except inside brackets, before `,` `)` `]` and quantifiers, around a capture's `:`,
//! after `!` and a unary `-`, and before the `(` of `before(…)`, `after(…)` and calls; at most
//! one blank line; no trailing whitespace; one line break at the end. What is the author's:
//! where a clause, a list or an expression breaks across lines, and within bounds how deep a
//! continuation line is: inside a bracket, between two columns in from the line that opened
//! it (from a clause's first token after its keyword) and the column just inside the bracket
//! (no limit when the bracket ends its line); outside brackets, at least under the clause's
//! first token; a closing bracket that starts a line goes under the line that opened it. Also
//! the author's: blank lines (up to one), comments (kept where they were: at the end of a line,
//! or on their own line), and the text of strings, regexes, references and their constraints.
//!
//! The tokens come from the parse ([`super::leaves`]) and the punctuation between them, so a
//! file that does not parse is not formatted. [`format`] checks its own work: the result must
//! parse to the same tree with the same comments, or it returns an error and nothing changes.

use super::{leaves, parse, LeafKind};
use crate::source::FileId;

/// Why a file could not be formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// It does not parse (`trawl check` says where).
    Syntax,
    /// The layout would change the file's meaning or lose a comment: a bug in the formatter.
    Changed,
}

/// The file laid out canonically (see the module doc).
pub fn format(text: &str) -> Result<String, FormatError> {
    let tree = |t: &str| parse(FileId(0), t).map(|f| f.to_string()).ok();
    let before = tree(text).ok_or(FormatError::Syntax)?;
    let toks = tokens(text).ok_or(FormatError::Syntax)?;
    let out = Layout::new(&toks).run();
    let same_tree = tree(&out).is_some_and(|after| after == before);
    let same_comments = tokens(&out).is_some_and(|o| comments(&o) == comments(&toks));
    if same_tree && same_comments {
        Ok(out)
    } else {
        Err(FormatError::Changed)
    }
}

/// The comments of a file, in order.
fn comments<'a>(toks: &[Tok<'a>]) -> Vec<&'a str> {
    toks.iter().filter(|t| t.kind == Kind::Comment).map(|t| t.text.trim_end()).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Leaf(LeafKind),
    /// A bare word of the grammar (`file`, `from`, `forms`, `as`, `at`, `all`, `case`, …).
    Word,
    Punct,
    Comment,
}

#[derive(Debug, Clone, Copy)]
struct Tok<'a> {
    text: &'a str,
    kind: Kind,
    /// Line breaks between the token before and this one.
    breaks: u32,
    /// When it starts a line of the file: its column there.
    column: usize,
}

impl Tok<'_> {
    fn is(&self, p: &str) -> bool {
        self.kind == Kind::Punct && self.text == p
    }

    fn keyword(&self, words: &[&str]) -> bool {
        self.kind == Kind::Leaf(LeafKind::Other) && words.contains(&self.text)
    }
}

const ITEMS: &[&str] = &["use", "import", "lexicon", "pattern", "rule"];
const CLAUSES: &[&str] =
    &["match", "where", "emit", "veto", "priority", "scope", "keep", "example", "counterexample", "todo"];

/// Every token of the file, with the line breaks before each; `None` when it does not parse.
fn tokens(text: &str) -> Option<Vec<Tok<'_>>> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut breaks = 0;
    // The column of the next token if it starts a line.
    let mut column = 0;
    for leaf in
        leaves(text)?.into_iter().chain([super::Leaf { start: text.len(), end: text.len(), kind: LeafKind::Other }])
    {
        // Between leaves: whitespace, comments, punctuation and bare words.
        let gap = &text[at..leaf.start];
        let mut i = 0;
        while i < gap.len() {
            let rest = &gap[i..];
            let c = rest.chars().next().expect("in the gap");
            let mut push = |len: usize, kind: Kind, breaks: &mut u32| {
                out.push(Tok { text: &rest[..len], kind, breaks: *breaks, column });
                *breaks = 0;
                len
            };
            let len = if c == '\n' {
                breaks += 1;
                column = 0;
                1
            } else if c.is_whitespace() {
                column += 1;
                c.len_utf8()
            } else if c == '#' {
                push(rest.find('\n').unwrap_or(rest.len()), Kind::Comment, &mut breaks)
            } else if c.is_ascii_alphabetic() || c == '_' {
                let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
                push(len, Kind::Word, &mut breaks)
            } else {
                let len = if rest.starts_with("=>") || rest.starts_with("??") { 2 } else { c.len_utf8() };
                push(len, Kind::Punct, &mut breaks)
            };
            i += len;
        }
        if leaf.end > leaf.start {
            out.push(Tok { text: &text[leaf.start..leaf.end], kind: Kind::Leaf(leaf.kind), breaks, column });
            breaks = 0;
        }
        at = leaf.end;
    }
    Some(out)
}

/// An open bracket: what a line inside it is indented to.
struct Frame {
    /// A rule's body (clauses inside), not a bracket of a clause.
    rule: bool,
    /// The least indent of a line inside it: two columns in from the line that opened it.
    inside: usize,
    /// The most: the column just inside it, when something follows it on its line.
    deepest: usize,
    /// The indent of its closing bracket when that starts a line.
    close: usize,
}

struct Layout<'t, 'a> {
    toks: &'t [Tok<'a>],
    out: String,
    /// The indent of the current line and its length so far, in characters.
    indent: usize,
    col: usize,
    stack: Vec<Frame>,
    /// Where a continuation line of the current clause or item goes, outside its brackets.
    cont: usize,
    /// The current line is the first of a clause (its first token is after the keyword).
    line_of_clause: bool,
}

impl<'t, 'a> Layout<'t, 'a> {
    fn new(toks: &'t [Tok<'a>]) -> Self {
        Layout { toks, out: String::new(), indent: 0, col: 0, stack: Vec::new(), cont: 2, line_of_clause: false }
    }

    fn run(mut self) -> String {
        for i in 0..self.toks.len() {
            self.token(i);
        }
        self.out.push('\n');
        self.out
    }

    fn in_rule_body(&self) -> bool {
        self.stack.last().is_some_and(|f| f.rule)
    }

    fn token(&mut self, i: usize) {
        let (t, prev) = (self.toks[i], i.checked_sub(1).map(|p| self.toks[p]));
        let blank = t.breaks >= 2;
        let closes_rule = t.is("}") && self.in_rule_body();
        if prev.is_none() {
            self.start_line(0, false);
        } else if self.stack.is_empty() && t.keyword(ITEMS) {
            self.start_line(0, blank);
            self.cont = 2;
        } else if self.in_rule_body() && t.keyword(CLAUSES) && !prev.is_some_and(|p| p.keyword(&["todo"])) {
            self.start_line(2, blank);
            self.cont = 2 + t.text.len().max(6) + 1;
            self.line_of_clause = true;
        } else if closes_rule {
            self.start_line(0, false);
        } else if t.kind == Kind::Comment && t.breaks > 0 {
            let indent = self.comment_indent(i);
            self.start_line(indent, blank);
        } else if t.breaks > 0 || prev.is_some_and(|p| p.kind == Kind::Comment) {
            let indent = match self.stack.last() {
                Some(f) if !f.rule && is_close(t) => f.close,
                // The author's column, moved into the bracket's range.
                Some(f) if !f.rule => t.column.clamp(f.inside, f.deepest.max(f.inside)),
                _ => self.cont.max(t.column),
            };
            self.start_line(indent, blank);
        } else if prev.is_some_and(|p| self.spaced(i, p, t)) {
            self.push(" ");
        }
        self.push(t.text);
        // Clause keywords are padded to seven columns.
        if self.in_rule_body() && t.keyword(CLAUSES) && t.text.len() < 6 {
            let next_on_line = self.toks.get(i + 1).is_some_and(|n| n.breaks == 0 && n.kind != Kind::Comment);
            if next_on_line && !t.keyword(&["todo"]) {
                self.push(&" ".repeat(6 - t.text.len()));
            }
        }
        if closes_rule {
            self.stack.pop();
        } else if is_open(t) {
            let rule = t.is("{") && self.stack.is_empty() && i >= 2 && self.toks[i - 2].keyword(&["rule"]);
            let ends_line = self.toks.get(i + 1).is_some_and(|n| n.breaks > 0 || n.kind == Kind::Comment);
            // A bracket that ends its line opens a block two columns in from the line's first
            // token (a clause's first token is after its keyword); else lines align inside it.
            let base = if self.line_of_clause { self.cont } else { self.indent };
            let deepest = if ends_line { usize::MAX } else { self.col };
            self.stack.push(Frame { rule, inside: (base + 2).min(self.col), deepest, close: base });
        } else if is_close(t) {
            self.stack.pop();
        }
    }

    /// The indent of a comment on its own line: that of what follows it.
    fn comment_indent(&self, i: usize) -> usize {
        let next = self.toks[i + 1..].iter().find(|t| t.kind != Kind::Comment);
        if self.stack.is_empty() {
            return if next.is_some_and(|n| n.keyword(ITEMS)) || next.is_none() { 0 } else { self.cont };
        }
        match (self.stack.last(), next) {
            (Some(f), Some(n)) if f.rule && (n.keyword(CLAUSES) || n.is("}")) => 2,
            (Some(f), _) if f.rule => self.cont,
            (Some(f), _) => self.toks[i].column.clamp(f.inside, f.deepest.max(f.inside)),
            (None, _) => 0,
        }
    }

    /// Whether a space goes between `p` (token `i - 1`) and `t` on one line.
    fn spaced(&self, i: usize, p: Tok, t: Tok) -> bool {
        let capture_colon =
            |j: usize| self.toks[j].is(":") && j >= 1 && self.toks[j - 1].kind == Kind::Leaf(LeafKind::Capture);
        if p.is("(") || p.is("[") || p.is("!") || p.is(".") || p.kind == Kind::Leaf(LeafKind::Neg) {
            return false;
        }
        if t.is(")") || t.is("]") || t.is(",") || t.is(".") || t.is(":") || t.kind == Kind::Leaf(LeafKind::Quantifier) {
            return false;
        }
        if capture_colon(i - 1) || (p.is("{") && t.is("}")) {
            return false;
        }
        // `before(`, `after(` and calls; a `(` after a reference is a group, and keeps its space.
        !(t.is("(") && matches!(p.kind, Kind::Leaf(LeafKind::Context | LeafKind::Ident)))
    }

    fn start_line(&mut self, indent: usize, blank: bool) {
        if !self.out.is_empty() || self.col > 0 {
            let trimmed = self.out.trim_end_matches(' ').len();
            self.out.truncate(trimmed);
            self.out.push('\n');
            if blank {
                self.out.push('\n');
            }
        }
        self.out.push_str(&" ".repeat(indent));
        self.indent = indent;
        self.col = indent;
        self.line_of_clause = false;
    }

    fn push(&mut self, s: &str) {
        self.out.push_str(s);
        self.col += s.chars().count();
    }
}

fn is_open(t: Tok) -> bool {
    t.is("(") || t.is("[") || t.is("{")
}

fn is_close(t: Tok) -> bool {
    t.is(")") || t.is("]") || t.is("}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lays_out_a_one_line_rule_and_keeps_comments() {
        let src =
            "# people\nrule r { match  x:( \"a\"|\"b\" ) [ cap&!Title ]+ # trailing\n emit A{ n:x , k: \"v\" } }\n";
        let want = "# people\nrule r {\n  match  x:(\"a\" | \"b\") [cap & !Title]+ # trailing\n  emit   A { n: x, k: \"v\" }\n}\n";
        assert_eq!(format(src).unwrap(), want);
        assert_eq!(format(want).unwrap(), want);
    }
}
