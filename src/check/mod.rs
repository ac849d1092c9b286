//! Check: parsed rule files in, a [`hir::RuleSet`] (or every error found) out.
//!
//! Here names are resolved (token classes, lexicons, named patterns, labels),
//! lexicon files are read and tokenized, captures and fields are checked,
//! regexes are compiled once to validate them, and the cascade is ordered: a
//! rule that reads a label runs after every rule that emits or vetoes it, and
//! a cycle is an error naming the rules in it. Every problem in every file is
//! collected before giving up.

pub mod hir;
pub mod load;

use crate::diag::{did_you_mean, has_errors, Diagnostic};
use crate::source::{SourceMap, Span};
use crate::syntax::ast::{self, CasePolicy, CmpOp, Literal, Scope};
use crate::text::{normalize, Document};
use hir::*;
use load::{clean, io_message, Files, Loaded};
use rustc_hash::FxHashMap;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Loads and checks a rule set. Warnings come back with the set; errors instead of it.
pub fn check(paths: &[PathBuf], files: &dyn Files) -> Result<(RuleSet, Vec<Diagnostic>), (SourceMap, Vec<Diagnostic>)> {
    let mut diags = Vec::new();
    let Loaded { sources, files: parsed } = load::load(paths, files, &mut diags);
    let mut checker = Checker::new(sources, files);
    checker.collect(&parsed);
    checker.diags.splice(0..0, diags);
    if has_errors(&checker.diags) {
        dedup(&mut checker.diags);
        return Err((checker.sources, checker.diags));
    }
    checker.resolve(&parsed);
    if has_errors(&checker.diags) {
        dedup(&mut checker.diags);
        return Err((checker.sources, checker.diags));
    }
    let order = checker.order();
    if has_errors(&checker.diags) {
        return Err((checker.sources, checker.diags));
    }
    let Checker { sources, labels, lexicons, rules, mut diags, .. } = checker;
    dedup(&mut diags);
    Ok((RuleSet { sources, labels, lexicons, rules, order }, diags))
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
    defs: FxHashMap<String, Def<'a>>,
    labels: Vec<Label>,
    lexicons: Vec<Lexicon>,
    rules: Vec<Rule>,
    rule_defs: Vec<&'a ast::RuleDef>,
}

impl<'f, 'a> Checker<'f, 'a> {
    fn new(sources: SourceMap, files: &'f dyn Files) -> Self {
        Checker {
            sources,
            files,
            diags: vec![],
            defs: FxHashMap::default(),
            labels: vec![],
            lexicons: vec![],
            rules: vec![],
            rule_defs: vec![],
        }
    }

    fn err(&mut self, span: Span, msg: impl Into<String>) -> &mut Diagnostic {
        self.diags.push(Diagnostic::error(span, msg));
        self.diags.last_mut().expect("just pushed")
    }

    fn define(&mut self, name: &ast::Ident, def: Def<'a>, what: &str) -> bool {
        if let Some(prev) = self.defs.get(&name.name) {
            let prev_span = match prev {
                Def::Lexicon(_, s) | Def::Label(_, s) => *s,
                Def::Pattern(p) => p.name.span,
            };
            self.diags.push(
                Diagnostic::error(name.span, format!("`{}` is defined twice", name.name))
                    .label(prev_span, "first defined here"),
            );
            return false;
        }
        if Class::from_name(&name.name).is_some() || name.name == "any" || name.name == "_" {
            self.err(name.span, format!("`{}` is a built-in token class and cannot name a {what}", name.name));
            return false;
        }
        self.defs.insert(name.name.clone(), def);
        true
    }

    /// First pass: every lexicon, pattern, rule and label, so that order in the files does not matter.
    fn collect(&mut self, parsed: &'a [ast::RuleFile]) {
        let mut rule_names: FxHashMap<String, Span> = FxHashMap::default();
        for file in parsed {
            for item in &file.items {
                match item {
                    ast::Item::Import(_) => {}
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
                            entries.iter().flat_map(|e| e.features.iter().map(|(k, _)| k.clone())).collect();
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
                        });
                    }
                    ast::Item::Pattern(p) => {
                        self.define(&p.name, Def::Pattern(p), "pattern");
                    }
                    ast::Item::Rule(r) => {
                        if let Some(prev) = rule_names.get(&r.name.name) {
                            self.diags.push(
                                Diagnostic::error(r.name.span, format!("rule `{}` is defined twice", r.name.name))
                                    .label(*prev, "first defined here"),
                            );
                            continue;
                        }
                        rule_names.insert(r.name.name.clone(), r.name.span);
                        self.rule_defs.push(r);
                    }
                }
            }
        }
        // Labels created by `emit`, with the fields any rule gives them.
        let mut emitted: Vec<(String, Span, BTreeSet<String>)> = vec![];
        for r in &self.rule_defs {
            for c in &r.clauses {
                if let ast::Clause::Emit(e) = c {
                    let fields = e.fields.iter().map(|f| f.name.name.clone());
                    match emitted.iter_mut().find(|(n, _, _)| *n == e.label.name) {
                        Some((_, _, set)) => set.extend(fields),
                        None => emitted.push((e.label.name.clone(), e.label.span, fields.collect())),
                    }
                }
            }
        }
        for (name, span, fields) in emitted {
            match self.defs.get(&name) {
                Some(Def::Lexicon(..)) => {
                    self.err(span, format!("`{name}` is a lexicon; rules cannot emit it"))
                        .hints
                        .push("emit a label of its own, such as `Place`".into());
                }
                Some(Def::Pattern(_)) => {
                    self.err(span, format!("`{name}` is a named pattern; rules cannot emit it"));
                }
                Some(Def::Label(..)) => {}
                None => {
                    let id = LabelId(self.labels.len() as u32);
                    let output = !name.starts_with('_');
                    self.labels.push(Label {
                        name: name.clone(),
                        lexicon: None,
                        fields: fields.into_iter().collect(),
                        output,
                    });
                    self.defs.insert(name, Def::Label(id, span));
                }
            }
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
                k
            })
            .collect();
        Some(LexEntry { text: text.to_string(), keys, features })
    }

    fn lexicon_file(&mut self, from: crate::source::FileId, path: &ast::StrLit) -> Vec<LexEntry> {
        let base = self.sources.get(from).path.parent().map(Path::to_path_buf).unwrap_or_default();
        let full = clean(&base.join(&path.value));
        let text = match self.files.read(&full) {
            Ok(t) => t,
            Err(e) => {
                self.err(path.span, format!("cannot read lexicon file `{}`: {}", full.display(), io_message(&e)));
                return vec![];
            }
        };
        let id = self.sources.add(full.display().to_string(), &full, text);
        let text = self.sources.get(id).text.clone();
        let mut entries = Vec::new();
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
                        let value = v.parse::<i64>().map(Literal::Int).unwrap_or_else(|_| Literal::Str(v.to_string()));
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
        match self.defs.get(name) {
            Some(Def::Lexicon(id, _)) => Some(self.lexicons[id.0 as usize].label),
            Some(Def::Label(id, _)) => Some(*id),
            _ => None,
        }
    }

    fn known_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.defs.keys().map(String::as_str).collect();
        v.extend(Class::NAMES);
        v.sort();
        v
    }

    fn unknown(&mut self, ident: &ast::Ident, what: &str) {
        if ident.name == "i" {
            self.err(ident.span, "unknown name `i`")
                .hints
                .push("the `i` flag belongs to one literal: write `\"a\"i | \"b\"i`, not `(\"a\" | \"b\")i`".into());
            return;
        }
        let names = self.known_names();
        let hint = did_you_mean(&ident.name, names.iter().copied()).map(|s| format!("did you mean `{s}`?"));
        let d = self.err(ident.span, format!("unknown {what} `{}`", ident.name));
        if let Some(h) = hint {
            d.hints.push(h);
        }
    }

    /// Second pass: derived lexicons and rules.
    fn resolve(&mut self, parsed: &'a [ast::RuleFile]) {
        for file in parsed {
            for item in &file.items {
                if let ast::Item::Lexicon(l) = item {
                    if let ast::LexiconSource::Derived { label, field, forms } = &l.source {
                        let Some(Def::Lexicon(id, _)) = self.defs.get(&l.name.name).copied() else {
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

    fn rule(&mut self, r: &'a ast::RuleDef) -> Option<Rule> {
        let mut cx = RuleCx { captures: vec![], capture_labels: vec![], reads: BTreeSet::new(), stack: vec![] };
        let mut pattern = None;
        let mut conditions_ast = vec![];
        let mut emits_ast = vec![];
        let mut vetoes = vec![];
        let mut priority = None;
        let mut scope = None;
        let mut keep_all = false;
        let mut examples = vec![];
        for c in &r.clauses {
            match c {
                ast::Clause::Match(p, span) => {
                    if pattern.is_some() {
                        self.err(*span, "a rule has one `match` clause").hints.push("combine patterns with `|`".into());
                    } else {
                        pattern = Some((p, *span));
                    }
                }
                ast::Clause::Where(e, _) => conditions_ast.push(e),
                ast::Clause::Emit(e) => emits_ast.push(e),
                ast::Clause::Veto(l, _) => match self.label_of(&l.name) {
                    Some(id) if self.labels[id.0 as usize].lexicon.is_none() => vetoes.push(id),
                    Some(_) => {
                        self.err(l.span, format!("`{}` is a lexicon; only rule labels can be vetoed", l.name));
                    }
                    None => self.unknown(l, "label"),
                },
                ast::Clause::Priority(p, span) => {
                    if priority.replace(*p).is_some() {
                        self.err(*span, "`priority` is given twice");
                    }
                }
                ast::Clause::Scope(s, span) => {
                    if scope.replace(*s).is_some() {
                        self.err(*span, "`scope` is given twice");
                    }
                }
                ast::Clause::KeepAll(_) => keep_all = true,
                ast::Clause::Example(e) => examples.push(e.clone()),
            }
        }
        let Some((pattern, _)) = pattern else {
            self.err(r.name.span, format!("rule `{}` has no `match` clause", r.name.name));
            return None;
        };
        let veto_clauses = r.clauses.iter().filter(|c| matches!(c, ast::Clause::Veto(..))).count();
        if emits_ast.is_empty() && veto_clauses == 0 {
            self.err(r.name.span, format!("rule `{}` neither emits nor vetoes anything", r.name.name))
                .hints
                .push("add `emit Label { ... }` or `veto Label`".into());
        }
        let errors_before = self.diags.len();
        let pat = self.pattern(pattern, &mut cx, false)?;
        if self.diags.len() == errors_before && nullable(&pat) {
            self.err(pattern.span(), "this pattern can match without any token")
                .hints
                .push("every match must cover at least one token; make at least one element required".into());
        }
        let conditions = conditions_ast.iter().filter_map(|e| self.expr(e, &cx)).collect();
        let mut emits = vec![];
        for e in emits_ast {
            let Some(label) = self.label_of(&e.label.name) else {
                continue;
            };
            let at = match &e.at {
                Some(x) => match cx.capture(&x.name) {
                    Some(i) => Some(i),
                    None => {
                        self.unknown_capture(x, &cx);
                        None
                    }
                },
                None => None,
            };
            let mut fields = vec![];
            for f in &e.fields {
                if fields.iter().any(|(n, _): &(String, Expr)| *n == f.name.name) {
                    self.err(f.name.span, format!("field `{}` is given twice", f.name.name));
                    continue;
                }
                let value = match &f.value {
                    Some(v) => self.expr(v, &cx),
                    None => match cx.capture(&f.name.name) {
                        Some(i) => Some(Expr::Capture(i)),
                        None => {
                            self.unknown_capture(&f.name, &cx);
                            None
                        }
                    },
                };
                if let Some(v) = value {
                    fields.push((f.name.name.clone(), v));
                }
            }
            emits.push(Emit { label, at, fields });
        }
        Some(Rule {
            name: r.name.name.clone(),
            span: r.span,
            pattern: pat,
            captures: cx.captures,
            capture_labels: cx.capture_labels,
            conditions,
            emits,
            vetoes,
            priority: priority.unwrap_or(0),
            scope: scope.unwrap_or(Scope::Sentence),
            keep_all,
            reads: cx.reads.into_iter().collect(),
            examples,
        })
    }

    fn unknown_capture(&mut self, x: &ast::Ident, cx: &RuleCx) {
        let hint = did_you_mean(&x.name, cx.captures.iter().map(String::as_str));
        let d = self.err(x.span, format!("unknown capture `{}`", x.name));
        d.hints.push(match hint {
            Some(h) => format!("did you mean `{h}`?"),
            None if cx.captures.is_empty() => "the pattern has no captures; name an element with `name:element`".into(),
            None => format!("the captures are: {}", cx.captures.join(", ")),
        });
    }

    fn pattern(&mut self, p: &'a ast::Pattern, cx: &mut RuleCx, in_context: bool) -> Option<Pat> {
        Some(match p {
            // Every item is checked, so that all of its errors are reported.
            ast::Pattern::Alt(items, _) => {
                Pat::Alt(all(items.iter().map(|i| self.pattern(i, cx, in_context)).collect())?)
            }
            ast::Pattern::Seq(items, _) => {
                Pat::Seq(all(items.iter().map(|i| self.pattern(i, cx, in_context)).collect())?)
            }
            ast::Pattern::Capture(name, inner, span) => {
                if in_context {
                    self.err(*span, "captures are not allowed inside `before(...)` or `after(...)`")
                        .hints
                        .push("context is not part of the match; capture it in the match itself".into());
                    return None;
                }
                let inner = self.pattern(inner, cx, in_context)?;
                let label = match &inner {
                    Pat::Annot { label, .. } => Some(*label),
                    _ => None,
                };
                let i = match cx.capture(&name.name) {
                    Some(i) => {
                        if cx.capture_labels[i] != label {
                            cx.capture_labels[i] = None;
                        }
                        i
                    }
                    None => {
                        cx.captures.push(name.name.clone());
                        cx.capture_labels.push(label);
                        cx.captures.len() - 1
                    }
                };
                Pat::Capture(i, Box::new(inner))
            }
            ast::Pattern::Repeat { inner, min, max, lazy, .. } => {
                let inner = self.pattern(inner, cx, in_context)?;
                Pat::Repeat { inner: Box::new(inner), min: *min, max: *max, lazy: *lazy }
            }
            ast::Pattern::Gap { min, max, .. } => {
                Pat::Repeat { inner: Box::new(Pat::Token(Test::Any)), min: *min, max: *max, lazy: true }
            }
            ast::Pattern::Context { negated, after, inner, .. } => {
                let inner = self.pattern(inner, cx, true)?;
                Pat::Context { negated: *negated, after: *after, inner: Box::new(inner) }
            }
            ast::Pattern::Anchor { start, .. } => Pat::Anchor(*start),
            ast::Pattern::Literal { text, ignore_case, span } => self.literal(text, *ignore_case, *span)?,
            ast::Pattern::Token(t, _) => Pat::Token(self.test(t, cx)?),
            ast::Pattern::Ref { name, constraints, span } => {
                if constraints.is_empty() {
                    if name.name == "any" || name.name == "_" {
                        return Some(Pat::Token(Test::Any));
                    }
                    if let Some(c) = Class::from_name(&name.name) {
                        return Some(Pat::Token(Test::Class(c)));
                    }
                }
                match self.defs.get(&name.name).copied() {
                    Some(Def::Pattern(def)) => {
                        if let Some(pos) = cx.stack.iter().position(|n| *n == name.name) {
                            let chain: Vec<&str> =
                                cx.stack[pos..].iter().map(String::as_str).chain([name.name.as_str()]).collect();
                            self.err(
                                name.span,
                                format!("named pattern `{}` refers to itself: {}", name.name, chain.join(" → ")),
                            );
                            return None;
                        }
                        if !constraints.is_empty() {
                            self.err(
                                *span,
                                format!("`{}` is a named pattern; constraints apply to annotations only", name.name),
                            );
                            return None;
                        }
                        cx.stack.push(name.name.clone());
                        let r = self.pattern(&def.body, cx, in_context);
                        cx.stack.pop();
                        r?
                    }
                    Some(Def::Lexicon(..)) | Some(Def::Label(..)) => {
                        let label = self.label_of(&name.name).expect("label");
                        cx.reads.insert(label);
                        let mut cs = vec![];
                        for c in constraints {
                            if self.check_field(label, &c.field) {
                                cs.push((c.field.name.clone(), c.test.clone()));
                            }
                        }
                        Pat::Annot { label, constraints: cs }
                    }
                    None => {
                        if Class::from_name(&name.name).is_some() {
                            self.err(
                                *span,
                                format!("`{}` is a token class; constraints apply to annotations only", name.name),
                            );
                        } else {
                            self.unknown(name, "name");
                        }
                        return None;
                    }
                }
            }
        })
    }

    fn literal(&mut self, text: &str, fold: bool, span: Span) -> Option<Pat> {
        let doc = Document::new(text);
        let mut tests: Vec<Pat> = (0..doc.tokens.len())
            .map(|i| {
                let mut key = String::new();
                if fold {
                    crate::text::fold_case(doc.token_text(i), &mut key);
                } else {
                    normalize(doc.token_text(i), &mut key);
                }
                Pat::Token(Test::Key { key, fold })
            })
            .collect();
        match tests.len() {
            0 => {
                self.err(span, "empty literal");
                None
            }
            1 => tests.pop(),
            _ => Some(Pat::Seq(tests)),
        }
    }

    fn test(&mut self, t: &ast::TokenTest, cx: &mut RuleCx) -> Option<Test> {
        Some(match t {
            ast::TokenTest::Or(items) => Test::Or(all(items.iter().map(|i| self.test(i, cx)).collect())?),
            ast::TokenTest::And(items) => Test::And(all(items.iter().map(|i| self.test(i, cx)).collect())?),
            ast::TokenTest::Not(inner) => Test::Not(Box::new(self.test(inner, cx)?)),
            ast::TokenTest::Literal { text, ignore_case, span } => match self.literal(text, *ignore_case, *span)? {
                Pat::Token(t) => t,
                _ => {
                    self.err(*span, format!("`{text}` is several tokens; a token test takes one"))
                        .hints
                        .push("write the literal as an element of its own, outside `[...]`".into());
                    return None;
                }
            },
            ast::TokenTest::Regex { source, ignore_case, span } => {
                if let Err(e) = crate::compile::build_regex(source, *ignore_case) {
                    self.err(*span, format!("invalid regex: {e}"));
                    return None;
                }
                Test::Regex { source: source.clone(), fold: *ignore_case }
            }
            ast::TokenTest::Name(name) => {
                if name.name == "any" || name.name == "_" {
                    return Some(Test::Any);
                }
                if let Some(c) = Class::from_name(&name.name) {
                    return Some(Test::Class(c));
                }
                match self.defs.get(&name.name).copied() {
                    Some(Def::Pattern(_)) => {
                        self.err(
                            name.span,
                            format!("`{}` is a named pattern; a token test needs a class or a label", name.name),
                        );
                        return None;
                    }
                    Some(_) => {
                        let label = self.label_of(&name.name).expect("label");
                        cx.reads.insert(label);
                        Test::Covered(label)
                    }
                    None => {
                        self.unknown(name, "name");
                        return None;
                    }
                }
            }
            ast::TokenTest::Compare { property, op, value } => match (property.name.as_str(), value) {
                ("len", Literal::Int(n)) => Test::Len(*op, *n),
                ("len", Literal::Str(_)) => {
                    self.err(property.span, "`len` compares with a number");
                    return None;
                }
                (_, Literal::Int(_)) => {
                    self.err(property.span, format!("`{}` compares with a string", property.name));
                    return None;
                }
                (p, Literal::Str(s)) => {
                    if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
                        self.err(property.span, format!("`{p}` can only be compared with `=` or `!=`"));
                        return None;
                    }
                    let prop = match p {
                        "text" => Property::Text,
                        "lower" => Property::Lower,
                        "shape" => Property::Shape,
                        _ => Property::Kind,
                    };
                    Test::Prop(prop, *op, s.clone())
                }
            },
        })
    }

    fn expr(&mut self, e: &ast::Expr, cx: &RuleCx) -> Option<Expr> {
        Some(match e {
            ast::Expr::Or(items, _) => Expr::Or(all(items.iter().map(|i| self.expr(i, cx)).collect())?),
            ast::Expr::And(items, _) => Expr::And(all(items.iter().map(|i| self.expr(i, cx)).collect())?),
            ast::Expr::Not(inner, _) => Expr::Not(Box::new(self.expr(inner, cx)?)),
            ast::Expr::Compare(a, op, b, _) => {
                Expr::Compare(Box::new(self.expr(a, cx)?), *op, Box::new(self.expr(b, cx)?))
            }
            ast::Expr::List(items, _) => Expr::List(all(items.iter().map(|i| self.expr(i, cx)).collect())?),
            ast::Expr::Literal(l, _) => Expr::Const(l.clone()),
            ast::Expr::Path(parts, _) => {
                let Some(i) = cx.capture(&parts[0].name) else {
                    self.unknown_capture(&parts[0], cx);
                    return None;
                };
                match parts.len() {
                    1 => Expr::Capture(i),
                    2 => {
                        let Some(label) = cx.capture_labels[i] else {
                            self.err(
                                parts[1].span,
                                format!(
                                    "capture `{}` does not hold one annotation, so it has no fields",
                                    parts[0].name
                                ),
                            )
                            .hints
                            .push(format!(
                                "fields come from annotations: capture a label or lexicon, as in `{}:Title`",
                                parts[0].name
                            ));
                            return None;
                        };
                        if !self.check_field(label, &parts[1]) {
                            return None;
                        }
                        Expr::Field(i, parts[1].name.clone())
                    }
                    _ => {
                        self.err(parts[2].span, "fields of fields are not supported");
                        return None;
                    }
                }
            }
            ast::Expr::Call(name, args, span) => {
                if name.name == "date" {
                    let mut slots: [Option<Expr>; 3] = [None, None, None];
                    for (k, (n, a)) in args.iter().enumerate() {
                        let idx = match n {
                            None if k < 3 => k,
                            None => {
                                self.err(a.span(), "`date` takes at most three arguments: year, month, day");
                                return None;
                            }
                            Some(n) => match n.name.as_str() {
                                "year" => 0,
                                "month" => 1,
                                "day" => 2,
                                _ => {
                                    self.err(n.span, format!("`date` has no argument `{}`", n.name))
                                        .hints
                                        .push("its arguments are `year`, `month` and `day`".into());
                                    return None;
                                }
                            },
                        };
                        if slots[idx].is_some() {
                            self.err(a.span(), "this `date` argument is given twice");
                            return None;
                        }
                        slots[idx] = Some(self.expr(a, cx)?);
                    }
                    if slots.iter().all(Option::is_none) {
                        self.err(*span, "`date` needs at least one of year, month, day");
                        return None;
                    }
                    return Some(Expr::Date(Box::new(slots)));
                }
                let Some(f) = Func::from_name(&name.name) else {
                    let hint = did_you_mean(&name.name, Func::NAMES.iter().copied());
                    let d = self.err(name.span, format!("unknown function `{}`", name.name));
                    d.hints.push(match hint {
                        Some(h) => format!("did you mean `{h}`?"),
                        None => format!("functions: {}", Func::NAMES.join(", ")),
                    });
                    return None;
                };
                if args.len() != 1 || args[0].0.is_some() {
                    self.err(*span, format!("`{}` takes one argument", name.name));
                    return None;
                }
                Expr::Call(f, vec![self.expr(&args[0].1, cx)?])
            }
        })
    }

    /// The head of an item (`rule name`), for pointing at it.
    fn head(&self, span: Span) -> Span {
        head_of(&self.sources, span)
    }

    /// Orders the cascade; reports dependency cycles.
    fn order(&mut self) -> Vec<Step> {
        // Nodes: rules, then derived lexicons.
        let nr = self.rules.len();
        let derived: Vec<LexiconId> = (0..self.lexicons.len())
            .filter(|&i| self.lexicons[i].derived.is_some())
            .map(|i| LexiconId(i as u32))
            .collect();
        let n = nr + derived.len();
        let step = |i: usize| {
            if i < nr {
                Step::Rule(RuleId(i as u32))
            } else {
                Step::Derive(derived[i - nr])
            }
        };
        let nl = self.labels.len();
        let mut emitters = vec![vec![]; nl];
        let mut vetoers = vec![vec![]; nl];
        let mut readers = vec![vec![]; nl];
        for (i, r) in self.rules.iter().enumerate() {
            for e in &r.emits {
                emitters[e.label.0 as usize].push(i);
            }
            for v in &r.vetoes {
                vetoers[v.0 as usize].push(i);
            }
            for l in &r.reads {
                readers[l.0 as usize].push(i);
            }
        }
        for (k, lex) in derived.iter().enumerate() {
            let d = self.lexicons[lex.0 as usize].derived.as_ref().expect("derived");
            readers[d.label.0 as usize].push(nr + k);
            emitters[self.lexicons[lex.0 as usize].label.0 as usize].push(nr + k);
        }
        // Edges a -> b: a runs before b.
        let mut edges: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
        let mut derived_in: Vec<(usize, usize)> = vec![]; // (emitter, derived node), added after reachability
        for l in 0..nl {
            for &r in &readers[l] {
                let is_derived_reader = r >= nr;
                let own_veto = vetoers[l].contains(&r);
                for &e in &emitters[l] {
                    if is_derived_reader {
                        derived_in.push((e, r));
                    } else if !own_veto || e != r {
                        edges[e].insert(r);
                    }
                }
                if !own_veto {
                    for &v in &vetoers[l] {
                        if is_derived_reader {
                            derived_in.push((v, r));
                        } else {
                            edges[v].insert(r);
                        }
                    }
                }
            }
            for &v in &vetoers[l] {
                for &e in &emitters[l] {
                    if e != v {
                        edges[e].insert(v);
                    }
                }
            }
        }
        // A derived lexicon is built from the annotations of rules that do not depend on it.
        for (e, d) in derived_in {
            if !reaches(&edges, d, e) {
                edges[e].insert(d);
            }
        }
        // Kahn's algorithm, always taking the earliest ready node (stable order).
        let mut indeg = vec![0usize; n];
        for es in &edges {
            for &b in es {
                indeg[b] += 1;
            }
        }
        let mut ready: BTreeSet<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(&a) = ready.iter().next() {
            ready.remove(&a);
            order.push(step(a));
            for &b in &edges[a] {
                indeg[b] -= 1;
                if indeg[b] == 0 {
                    ready.insert(b);
                }
            }
        }
        if order.len() < n {
            let stuck: Vec<usize> = (0..n).filter(|&i| indeg[i] > 0).collect();
            let cycle = find_cycle(&edges, &stuck);
            let name = |i: usize| {
                if i < nr {
                    self.rules[i].name.clone()
                } else {
                    format!("lexicon {}", self.lexicons[derived[i - nr].0 as usize].name)
                }
            };
            let names: Vec<String> = cycle.iter().map(|&i| name(i)).chain(cycle.first().map(|&i| name(i))).collect();
            let first = cycle[0];
            let span =
                if first < nr { self.rules[first].span } else { self.lexicons[derived[first - nr].0 as usize].span };
            let span = self.head(span);
            let mut d =
                Diagnostic::error(span, format!("rules depend on each other in a cycle: {}", names.join(" → ")));
            for &i in &cycle[1..] {
                if i < nr {
                    d = d.label(self.head(self.rules[i].span), "part of the cycle");
                }
            }
            d = d.hint(
                "a rule that reads a label runs after every rule that emits it; emit a new label to break the cycle",
            );
            self.diags.push(d);
        }
        order
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

fn reaches(edges: &[BTreeSet<usize>], from: usize, to: usize) -> bool {
    let mut seen = vec![false; edges.len()];
    let mut stack = vec![from];
    while let Some(a) = stack.pop() {
        if a == to {
            return true;
        }
        if std::mem::replace(&mut seen[a], true) {
            continue;
        }
        stack.extend(edges[a].iter().copied());
    }
    false
}

fn find_cycle(edges: &[BTreeSet<usize>], stuck: &[usize]) -> Vec<usize> {
    let in_stuck = |i: usize| stuck.binary_search(&i).is_ok();
    // Walk from the first stuck node along stuck successors until a node repeats.
    let mut path = vec![stuck[0]];
    loop {
        let a = *path.last().expect("nonempty");
        let Some(&b) = edges[a].iter().find(|&&b| in_stuck(b) && reaches(edges, b, a)) else {
            return path;
        };
        if let Some(pos) = path.iter().position(|&x| x == b) {
            return path[pos..].to_vec();
        }
        path.push(b);
    }
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
    captures: Vec<String>,
    capture_labels: Vec<Option<LabelId>>,
    reads: BTreeSet<LabelId>,
    stack: Vec<String>,
}

impl RuleCx {
    fn capture(&self, name: &str) -> Option<usize> {
        self.captures.iter().position(|c| c == name)
    }
}
