//! Check: parsed rule files in, a [`hir::RuleSet`] (or every error found) out.
//!
//! Here names are resolved (token classes, lexicons, named patterns, labels,
//! each in its pack's namespace: its own definitions, the names its `use`
//! lists bring in, and `prefix::Name` for the packs it uses),
//! lexicon files are read and tokenized, captures and fields are checked,
//! regexes are compiled once to validate them, and the cascade is ordered: a
//! rule that reads a label runs after every rule that emits or vetoes it, and
//! a cycle is an error naming the rules in it. Every problem in every file is
//! collected before giving up.

mod cascade;
mod exprs;
pub mod hir;
mod lint;
pub mod load;
mod names;
mod rules;

use crate::diag::{did_you_mean, has_errors, Diagnostic};
use crate::source::{SourceMap, Span};
use crate::syntax::ast::{self, CasePolicy, CmpOp, Literal, Scope};
use crate::text::{normalize, Document};
use hir::*;
use load::{clean, io_message, Files, Loaded, Pack, PackId};
use rustc_hash::FxHashMap;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Loads and checks a rule set. Warnings come back with the set; errors instead of it.
pub fn check(paths: &[PathBuf], files: &dyn Files) -> Result<(RuleSet, Vec<Diagnostic>), (SourceMap, Vec<Diagnostic>)> {
    let mut diags = Vec::new();
    let files = &load::WithBundled(files);
    let Loaded { sources, files: parsed, file_packs, packs } = load::load(paths, files, &mut diags);
    let mut checker = Checker::new(sources, files);
    checker.file_packs = parsed.iter().zip(&file_packs).map(|(f, &p)| (f.file, p)).collect();
    checker.packs = packs;
    // Every file that parsed is checked, whatever failed elsewhere: a syntax error in one file
    // or a duplicate definition hides no other problem. A duplicate is not defined again (uses
    // resolve to the first definition); names a file that failed to load may have defined are
    // reported with a note saying so.
    checker.unloaded = has_errors(&diags);
    checker.collect(&parsed);
    checker.diags.splice(0..0, diags);
    checker.check_uses();
    checker.label_fields();
    checker.resolve(&parsed);
    if has_errors(&checker.diags) {
        dedup(&mut checker.diags);
        return Err((checker.sources, checker.diags));
    }
    let order = checker.order();
    if has_errors(&checker.diags) {
        return Err((checker.sources, checker.diags));
    }
    checker.lint();
    let Checker { sources, labels, lexicons, rules, mut diags, packs, .. } = checker;
    dedup(&mut diags);
    Ok((RuleSet { sources, labels, lexicons, rules, order, packs }, diags))
}

#[derive(Clone, Copy)]
enum Def<'a> {
    Lexicon(LexiconId, Span),
    Pattern(&'a ast::PatternDef),
    Label(LabelId, Span),
}

struct Checker<'f, 'a> {
    sources: SourceMap,
    files: &'f dyn Files,
    diags: Vec<Diagnostic>,
    /// Every definition, by its pack and name.
    defs: FxHashMap<(PackId, String), Def<'a>>,
    packs: Vec<Pack>,
    /// The pack of each rule file.
    file_packs: FxHashMap<crate::source::FileId, PackId>,
    /// The pack whose names are being resolved.
    cur: PackId,
    labels: Vec<Label>,
    lexicons: Vec<Lexicon>,
    rules: Vec<Rule>,
    rule_defs: Vec<&'a ast::RuleDef>,
    /// Named patterns some rule uses (directly or through other patterns).
    used_patterns: rustc_hash::FxHashSet<(PackId, String)>,
    /// Some rule file could not be read or parsed (its names are unknown here).
    unloaded: bool,
}

impl<'f, 'a> Checker<'f, 'a> {
    fn new(sources: SourceMap, files: &'f dyn Files) -> Self {
        Checker {
            sources,
            files,
            diags: vec![],
            defs: FxHashMap::default(),
            packs: vec![],
            file_packs: FxHashMap::default(),
            cur: PackId(0),
            labels: vec![],
            lexicons: vec![],
            rules: vec![],
            rule_defs: vec![],
            used_patterns: Default::default(),
            unloaded: false,
        }
    }

    fn warn(&mut self, span: Span, msg: impl Into<String>) -> &mut Diagnostic {
        let mut d = Diagnostic::error(span, msg);
        d.severity = crate::diag::Severity::Warning;
        self.diags.push(d);
        self.diags.last_mut().expect("just pushed")
    }

    fn err(&mut self, span: Span, msg: impl Into<String>) -> &mut Diagnostic {
        self.diags.push(Diagnostic::error(span, msg));
        self.diags.last_mut().expect("just pushed")
    }

    /// First pass: every lexicon, pattern, rule and label, so that order in the files does not matter.
    fn collect(&mut self, parsed: &'a [ast::RuleFile]) {
        let mut rule_names: FxHashMap<(PackId, String), Span> = FxHashMap::default();
        for file in parsed {
            self.cur = self.pack_of(file.file);
            for item in &file.items {
                match item {
                    ast::Item::Import(_) | ast::Item::Use(_) => {}
                    ast::Item::Lexicon(l) => {
                        let id = LexiconId(self.lexicons.len() as u32);
                        if !self.define(&l.name, Def::Lexicon(id, l.name.span), "lexicon") {
                            continue;
                        }
                        let label = LabelId(self.labels.len() as u32);
                        self.labels.push(Label {
                            name: l.name.name.clone(),
                            lexicon: Some(id),
                            fields: vec![],
                            output: false,
                        });
                        let case = l.case.map_or(CasePolicy::Exact, |(c, _)| c);
                        let entries = match &l.source {
                            ast::LexiconSource::List(list) => list
                                .iter()
                                .filter_map(|e| {
                                    let features =
                                        e.features.iter().map(|(k, v)| (k.name.clone(), v.clone())).collect();
                                    self.entry(&e.text.value, features, e.text.span)
                                })
                                .collect(),
                            ast::LexiconSource::File(path) => self.lexicon_file(file.file, path),
                            ast::LexiconSource::Derived { .. } => vec![],
                        };
                        let mut fields: BTreeSet<String> =
                            entries.iter().flat_map(|e| e.features.iter().map(|(k, _)| k.to_string())).collect();
                        if matches!(l.source, ast::LexiconSource::Derived { .. }) {
                            fields.insert("source".into());
                        }
                        self.labels[label.0 as usize].fields = fields.into_iter().collect();
                        self.lexicons.push(Lexicon {
                            name: l.name.name.clone(),
                            label,
                            case,
                            entries,
                            derived: None,
                            span: l.span,
                            name_span: l.name.span,
                        });
                    }
                    ast::Item::Pattern(p) => {
                        self.define(&p.name, Def::Pattern(p), "pattern");
                    }
                    ast::Item::Rule(r) => {
                        let key = (self.cur, r.name.name.clone());
                        if let Some(prev) = rule_names.get(&key) {
                            self.diags.push(
                                Diagnostic::error(r.name.span, format!("rule `{}` is defined twice", r.name.name))
                                    .label(*prev, "first defined here"),
                            );
                            continue;
                        }
                        rule_names.insert(key, r.name.span);
                        self.rule_defs.push(r);
                    }
                }
            }
        }
        // Labels created by `emit`: a name of the pack that is neither defined nor used from
        // another pack.
        let rule_defs = self.rule_defs.clone();
        for r in rule_defs {
            self.cur = self.pack_of(r.name.span.file);
            for c in &r.clauses {
                let ast::Clause::Emit(e) = c else { continue };
                let name = &e.label.name;
                if name.contains("::") || self.imported_here(name).is_some() {
                    continue;
                }
                // (A name defined otherwise is reported by `label_fields`.)
                if !self.defs.contains_key(&(self.cur, name.clone())) {
                    let id = LabelId(self.labels.len() as u32);
                    let output = !name.starts_with('_');
                    self.labels.push(Label { name: name.clone(), lexicon: None, fields: vec![], output });
                    self.defs.insert((self.cur, name.clone()), Def::Label(id, e.label.span));
                }
            }
        }
    }

    /// The fields of each rule label: every field any rule emitting it gives (rules of other
    /// packs included). An emitted name that is a lexicon or a named pattern is an error.
    fn label_fields(&mut self) {
        let mut fields: FxHashMap<LabelId, BTreeSet<String>> = FxHashMap::default();
        let rule_defs = self.rule_defs.clone();
        for r in rule_defs {
            self.cur = self.pack_of(r.name.span.file);
            for c in &r.clauses {
                let ast::Clause::Emit(e) = c else { continue };
                match self.lookup(&e.label.name) {
                    Some(Def::Label(id, _)) => {
                        fields.entry(id).or_default().extend(e.fields.iter().map(|f| f.name.name.clone()))
                    }
                    Some(Def::Lexicon(..)) => {
                        self.err(e.label.span, format!("`{}` is a lexicon; rules cannot emit it", e.label.name))
                            .hints
                            .push("emit a label of its own, such as `Place`".into());
                    }
                    Some(Def::Pattern(_)) => {
                        self.err(e.label.span, format!("`{}` is a named pattern; rules cannot emit it", e.label.name));
                    }
                    None => {}
                }
            }
        }
        for (id, f) in fields {
            self.labels[id.0 as usize].fields = f.into_iter().collect();
        }
    }

    fn entry(&mut self, text: &str, features: Vec<(String, Literal)>, span: Span) -> Option<LexEntry> {
        let doc = Document::new(text);
        if doc.tokens.is_empty() {
            self.err(span, "empty lexicon entry");
            return None;
        }
        let keys = (0..doc.tokens.len())
            .map(|i| {
                let mut k = String::new();
                normalize(doc.token_text(i), &mut k);
                k.into_boxed_str()
            })
            .collect();
        let features = features.into_iter().map(|(k, v)| (k.into_boxed_str(), v)).collect();
        Some(LexEntry { text: text.into(), keys, features, span })
    }

    fn lexicon_file(&mut self, from: crate::source::FileId, path: &ast::StrLit) -> Vec<LexEntry> {
        let base = self.sources.get(from).path.parent().map(Path::to_path_buf).unwrap_or_default();
        let full = clean(&base.join(&path.value));
        let text = match self.files.read(&full, crate::check::load::MAX_LEXICON_FILE_BYTES) {
            Ok(t) => t,
            Err(e) => {
                self.err(path.span, format!("cannot read lexicon file `{}`: {}", full.display(), io_message(&e)));
                return vec![];
            }
        };
        let id = self.sources.add(full.display().to_string(), &full, text);
        let text = self.sources.get(id).text.clone();
        // One entry a line: sized once, not grown by doubling (a gazetteer has 100,000 lines).
        let mut entries = Vec::with_capacity(text.lines().count());
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let start = offset;
            offset += line.len();
            let line = line.trim_end_matches(['\n', '\r']);
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split('\t');
            let entry = parts.next().unwrap_or("").trim();
            let mut features = Vec::new();
            let mut col = start + entry.len() + 1;
            let mut ok = true;
            for f in parts {
                let fspan = Span::new(id, col, col + f.len());
                col += f.len() + 1;
                match f.split_once('=') {
                    Some((k, v)) if !k.trim().is_empty() => {
                        let v = v.trim();
                        let value = v
                            .parse::<i64>()
                            .map(|n| Literal::Num(n.into()))
                            .unwrap_or_else(|_| Literal::Str(v.to_string()));
                        features.push((k.trim().to_string(), value));
                    }
                    _ => {
                        self.err(fspan, format!("lexicon feature `{f}` is not `key=value`"))
                            .hints
                            .push("features follow the entry, separated by TABs: `Paris\\tcountry=FR`".into());
                        ok = false;
                    }
                }
            }
            if ok {
                if let Some(e) = self.entry(entry, features, Span::new(id, start, start + line.len())) {
                    entries.push(e);
                }
            }
        }
        entries
    }

    fn label_of(&self, name: &str) -> Option<LabelId> {
        match self.lookup(name) {
            Some(Def::Lexicon(id, _)) => Some(self.lexicons[id.0 as usize].label),
            Some(Def::Label(id, _)) => Some(id),
            _ => None,
        }
    }

    /// Second pass: derived lexicons and rules.
    fn resolve(&mut self, parsed: &'a [ast::RuleFile]) {
        for file in parsed {
            self.cur = self.pack_of(file.file);
            for item in &file.items {
                if let ast::Item::Lexicon(l) = item {
                    if let ast::LexiconSource::Derived { label, field, forms } = &l.source {
                        let Some(Def::Lexicon(id, _)) = self.defs.get(&(self.cur, l.name.name.clone())).copied() else {
                            continue;
                        };
                        let Some(src) = self.label_of(&label.name) else {
                            self.unknown(label, "label");
                            continue;
                        };
                        if let Some(f) = field {
                            self.check_field(src, f);
                        }
                        let mut fs = Vec::new();
                        for f in forms {
                            match f.name.as_str() {
                                "full" => fs.push(Form::Full),
                                "first" => fs.push(Form::First),
                                "last" => fs.push(Form::Last),
                                "acronym" => fs.push(Form::Acronym),
                                _ => {
                                    let hint = did_you_mean(&f.name, ["full", "first", "last", "acronym"]);
                                    let d = self.err(f.span, format!("unknown form `{}`", f.name));
                                    d.hints.push(match hint {
                                        Some(h) => format!("did you mean `{h}`?"),
                                        None => "forms are `full`, `first`, `last` and `acronym`".into(),
                                    });
                                }
                            }
                        }
                        if fs.is_empty() {
                            fs.push(Form::Full);
                        }
                        self.lexicons[id.0 as usize].derived =
                            Some(Derived { label: src, field: field.as_ref().map(|f| f.name.clone()), forms: fs });
                    }
                }
            }
        }
        let defs = self.rule_defs.clone();
        for r in defs {
            if let Some(rule) = self.rule(r) {
                self.rules.push(rule);
            }
        }
    }

    fn check_field(&mut self, label: LabelId, field: &ast::Ident) -> bool {
        let l = &self.labels[label.0 as usize];
        if l.fields.contains(&field.name) {
            return true;
        }
        let what = if l.lexicon.is_some() { "feature" } else { "field" };
        let msg = format!("`{}` has no {what} `{}`", l.name, field.name);
        let hint =
            did_you_mean(&field.name, l.fields.iter().map(String::as_str)).map(|s| format!("did you mean `{s}`?"));
        let known = if l.fields.is_empty() {
            format!("`{}` has no {what}s", l.name)
        } else {
            format!("its {what}s: {}", l.fields.join(", "))
        };
        let d = self.err(field.span, msg);
        d.hints.push(hint.unwrap_or(known));
        false
    }

    /// The head of an item (`rule name`), for pointing at it.
    fn head(&self, span: Span) -> Span {
        head_of(&self.sources, span)
    }
}

/// The first line of an item up to its `{`, without trailing space.
pub fn head_of(sources: &SourceMap, span: Span) -> Span {
    let text = sources.snippet(span);
    let cut = text.find(['{', '\n']).unwrap_or(text.len());
    Span { end: span.start + text[..cut].trim_end().len() as u32, ..span }
}

/// All of the results, if none failed (each was computed, so each reported its errors).
fn all<T>(items: Vec<Option<T>>) -> Option<Vec<T>> {
    items.into_iter().collect()
}

/// A named pattern used in several places reports its own errors once.
fn dedup(diags: &mut Vec<Diagnostic>) {
    let mut seen = std::collections::HashSet::new();
    diags.retain(|d| seen.insert((d.span, d.message.clone())));
}

/// Whether a pattern can match an empty token sequence.
pub fn nullable(p: &Pat) -> bool {
    match p {
        Pat::Seq(items) => items.iter().all(nullable),
        Pat::Alt(items) => items.iter().any(nullable),
        Pat::Repeat { inner, min, .. } => *min == 0 || nullable(inner),
        Pat::Capture(_, inner) => nullable(inner),
        Pat::Context { .. } | Pat::Anchor(_) => true,
        Pat::Token(_) | Pat::Annot { .. } => false,
    }
}

struct RuleCx {
    scope: Scope,
    captures: Vec<String>,
    capture_labels: Vec<Option<Vec<LabelId>>>,
    /// Per capture: one match can bind it more than once (known once the pattern is checked).
    lists: Vec<bool>,
    /// Per capture: no match binds it.
    never: Vec<bool>,
    groups: Vec<Group>,
    reads: BTreeSet<LabelId>,
    /// The named patterns being expanded: `(pack#name, name as written)`.
    stack: Vec<(String, String)>,
}

impl RuleCx {
    fn capture(&self, name: &str) -> Option<usize> {
        self.captures.iter().position(|c| c == name)
    }

    fn group(&self, name: &str) -> Option<usize> {
        self.groups.iter().position(|g| g.name == name)
    }

    /// The capture of that name, made on first use; a capture bound to different things keeps
    /// no label (it has no fields).
    /// `labels`: the labels of the one annotation this binding holds, if it holds one. A
    /// capture bound in several places holds one annotation when every binding does, of any of
    /// their labels.
    fn bind(&mut self, name: &str, labels: Option<Vec<LabelId>>) -> usize {
        match self.capture(name) {
            Some(i) => {
                match (&mut self.capture_labels[i], labels) {
                    (Some(have), Some(more)) => {
                        for l in more {
                            if !have.contains(&l) {
                                have.push(l);
                            }
                        }
                    }
                    (slot, _) => *slot = None,
                }
                i
            }
            None => {
                self.captures.push(name.to_string());
                self.capture_labels.push(labels);
                self.captures.len() - 1
            }
        }
    }
}

/// The labels of the one annotation a pattern matches, when it matches exactly one annotation
/// reference: `Title`, or `(Title | Office)`.
fn one_annotation(p: &Pat) -> Option<Vec<LabelId>> {
    match p {
        Pat::Annot { label, .. } => Some(vec![*label]),
        Pat::Alt(items) => {
            let mut out = vec![];
            for i in items {
                for l in one_annotation(i)? {
                    if !out.contains(&l) {
                        out.push(l);
                    }
                }
            }
            Some(out)
        }
        _ => None,
    }
}

/// The most times one match binds each capture of `p`, 2 meaning two or more.
fn bindings(p: &Pat, most: &mut [u8]) {
    fn walk(p: &Pat, times: u8, most: &mut [u8]) {
        match p {
            Pat::Alt(items) => items.iter().for_each(|i| walk(i, times, most)),
            Pat::Seq(items) => {
                // Captures written twice in a row bind twice: count a sequence's parts apart.
                let mut sum = vec![0u8; most.len()];
                for item in items {
                    let mut one = vec![0u8; most.len()];
                    walk(item, times, &mut one);
                    sum.iter_mut().zip(&one).for_each(|(s, o)| *s = (*s + o).min(2));
                }
                most.iter_mut().zip(&sum).for_each(|(m, s)| *m = (*m).max(*s));
            }
            Pat::Repeat { inner, max, .. } => {
                let t = match max {
                    Some(0) => 0,
                    Some(1) => times,
                    _ => (times * 2).min(2),
                };
                walk(inner, t, most)
            }
            Pat::Capture(i, inner) => {
                // A capture of nothing (`x:"a"{0}`) is never bound.
                if !only_empty(inner) {
                    most[*i] = most[*i].max(times);
                }
                walk(inner, times, most);
            }
            Pat::Context { .. } | Pat::Anchor(_) | Pat::Token(_) | Pat::Annot { .. } => {}
        }
    }
    walk(p, 1, most)
}

/// Whether a pattern can only match without covering a token.
fn only_empty(p: &Pat) -> bool {
    match p {
        Pat::Seq(items) | Pat::Alt(items) => items.iter().all(only_empty),
        Pat::Repeat { inner, max, .. } => *max == Some(0) || only_empty(inner),
        Pat::Capture(_, inner) => only_empty(inner),
        Pat::Context { .. } | Pat::Anchor(_) => true,
        Pat::Token(_) | Pat::Annot { .. } => false,
    }
}
