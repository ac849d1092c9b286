//! Explain: a rule, a document extracted in full and a range of its tokens in; why the rule
//! matched or did not there out ([`Explanation`], for people or as JSON).
//!
//! The extraction is the real one ([`super::extract`]): its matches, conflicts and vetoes are
//! what the output came from. The attempts are traced again, outside the VM, by a matcher over
//! the checked pattern that keeps, for each start, the furthest place a path got to and the
//! element that stopped it there, with the elements matched on the way. The tracer follows the
//! pattern's structure (alternatives, repetitions, contexts, annotations), not its captures or
//! `where`, and it is bounded (a cut-off explanation says so); where it and the VM disagree
//! (a `where` that was false, a start inside an earlier match), the VM's result is reported.

use super::{eval, resolve, Annotation, Cx, Extraction, Origin, Scratch};
use crate::check::hir::{self, LabelId, Pat, RuleId, Test};
use crate::compile::{build_regex, CTest, Program, NO_SLOT};
use crate::text::{fold_case, normalize, Document};
use rustc_hash::FxHashMap;
use serde::Serialize;

/// Paths the tracer may follow per start before it gives up.
const TRACE_BUDGET: usize = 200_000;

/// Why a rule matched or not around a place of a document.
#[derive(Debug, Serialize)]
pub struct Explanation {
    /// The rule's name.
    pub rule: String,
    /// Its `file:line`.
    pub source: String,
    /// The labels it emits.
    pub emits: Vec<String>,
    /// `sentence`, `paragraph` or `document`.
    pub scope: String,
    /// Why the rule was not run on this document at all.
    pub skipped: Option<String>,
    /// Labels the rule reads that the document has none of.
    pub missing_labels: Vec<String>,
    /// Every match of the rule in the document and what became of it.
    pub matches: Vec<Match>,
    /// The attempts that start in the range asked about.
    pub attempts: Vec<Attempt>,
    /// The unit (sentence, paragraph) of the range, as text with its character offset.
    pub unit: Option<Span>,
}

/// A piece of the text: its characters and offsets (Unicode scalar values).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Span {
    /// The text.
    pub text: String,
    /// First character.
    pub start: usize,
    /// One past the last.
    pub end: usize,
}

/// A match of the rule and its fate.
#[derive(Debug, Serialize)]
pub struct Match {
    /// The label of the annotation.
    pub label: String,
    /// What it covers.
    pub span: Span,
    /// `output`, `kept (internal label)`, `vetoed by rule v`, or the conflict it lost.
    pub fate: String,
}

/// One start of the rule and how far it got.
#[derive(Debug, Serialize)]
pub struct Attempt {
    /// The token it started at.
    pub at: Span,
    /// The elements matched, in order, with the text each took.
    pub matched: Vec<(String, Span)>,
    /// `match`, or what stopped it.
    pub outcome: String,
}

/// Explains rule `r` on a document after [`super::extract`] with `scratch` gave `ex`, for the
/// attempts starting at tokens `[from, to)` inside the unit (sentence, paragraph) of token `to - 1`.
pub fn explain(
    prog: &Program,
    doc: &Document,
    ex: &Extraction,
    scratch: &Scratch,
    r: RuleId,
    (from, to): (u32, u32),
) -> Explanation {
    let rule = &prog.set.rules[r.0 as usize];
    let cx =
        Cx { prog, doc, keys: &scratch.keys, anns: &ex.annotations, labels: &scratch.labels, faults: &scratch.faults };
    let label_name = |l: LabelId| prog.set.labels[l.0 as usize].name.clone();
    let span = |s: u32, e: u32| span_of(doc, s, e);
    let skipped = skipped(prog, scratch, r);
    let missing_labels = rule
        .reads
        .iter()
        .filter(|l| scratch.labels.get(l.0 as usize).is_none_or(|st| st.kept.is_empty()))
        .map(|&l| label_name(l))
        .collect();
    let matches = ex
        .annotations
        .iter()
        .enumerate()
        .filter(|(_, a)| matches!(a.origin, Origin::Rule { rule, .. } if rule == r))
        .map(|(id, a)| Match {
            label: label_name(a.label),
            span: span(a.start, a.end),
            fate: fate(prog, doc, ex, id as u32),
        })
        .collect();
    let mut out = Explanation {
        rule: rule.name.clone(),
        source: prog.set.sources.location(rule.span),
        emits: rule.emits.iter().map(|e| label_name(e.label)).collect(),
        scope: format!("{:?}", rule.scope).to_lowercase(),
        skipped,
        missing_labels,
        matches,
        attempts: vec![],
        unit: None,
    };
    if doc.tokens.is_empty() || from >= to {
        return out;
    }
    // The unit of the place itself (the range may begin a few tokens before it).
    let unit = unit_around(doc, rule.scope, to - 1);
    out.unit = Some(span(unit.0, unit.1));
    let unit_name = match rule.scope {
        crate::syntax::ast::Scope::Sentence => "sentence",
        crate::syntax::ast::Scope::Paragraph => "paragraph",
        crate::syntax::ast::Scope::Document => "document",
    };
    let mut tracer = Tracer { cx: &cx, rule, unit_name, unit, regexes: FxHashMap::default(), steps: 0, best: None };
    for start in from.max(unit.0)..to.min(unit.1) {
        // The engine's match from this start, if any: the span it matched.
        let vm_match = ex.annotations.iter().find_map(|a| match a.origin {
            Origin::Rule { rule, matched, .. } if rule == r && matched.0 == start => Some(matched),
            _ => None,
        });
        tracer.steps = 0;
        tracer.best = None;
        let ends = tracer.pat(&rule.pattern, start, &[], &mut Vec::new());
        let (matched, outcome) = match (vm_match, ends.first()) {
            (Some((s, e)), _) => {
                let path = ends.iter().find(|(end, _)| *end == e).map(|(_, p)| p.clone()).unwrap_or_default();
                (path, format!("match {:?}", span(s, e).text))
            }
            (None, Some((e, path))) => {
                let why = if !rule.conditions.is_empty() {
                    format!(
                        "the pattern matched ({:?}), but {}",
                        span(start, *e).text,
                        tracer.where_false(start, *e, path)
                    )
                } else {
                    format!(
                        "the pattern matches here ({:?}), but an earlier match of the rule covers this start",
                        span(start, *e).text
                    )
                };
                (path.clone(), why)
            }
            (None, None) => match tracer.best.take() {
                Some(f) => {
                    let reason = f.reason(doc, unit.1, tracer.unit_name);
                    (f.path, reason)
                }
                None if tracer.steps >= TRACE_BUDGET => {
                    (vec![], "not traced: the pattern has too many paths here".into())
                }
                None => (vec![], "no element could start here".into()),
            },
        };
        out.attempts.push(Attempt { at: span(start, start + 1), matched, outcome });
    }
    out
}

/// Why the rule was not run on the document: a literal or a start it needs is absent.
fn skipped(prog: &Program, s: &Scratch, r: RuleId) -> Option<String> {
    let gate = prog.gates[r.0 as usize];
    let key_of = |id: u32| prog.vocab.iter().find(|(_, v)| **v == id).map_or("?".to_string(), |(k, _)| k.to_string());
    if gate.prefix && !super::has_bit(&s.has_starts, r.0) {
        return Some("the literal words it starts with never occur together, in its order, in the document".into());
    }
    let rule = &prog.rules[r.0 as usize];
    for &(id, fold) in &rule.needs_keys {
        if !super::has_bit(&s.present, 2 * id + fold as u32) {
            return Some(format!("it needs the word `{}`, which does not occur in the document", key_of(id)));
        }
    }
    for any in &rule.needs_any {
        if !any.iter().any(|&(id, fold)| super::has_bit(&s.present, 2 * id + fold as u32)) {
            let words: Vec<String> = any.iter().map(|&(id, _)| format!("`{}`", key_of(id))).collect();
            return Some(format!(
                "it needs one of the words {}, none of which occurs in the document",
                words.join(", ")
            ));
        }
    }
    None
}

/// What became of annotation `id`: in the output, kept internally, vetoed, or lost a conflict.
fn fate(prog: &Program, doc: &Document, ex: &Extraction, id: u32) -> String {
    let a = &ex.annotations[id as usize];
    let label = &prog.set.labels[a.label.0 as usize];
    if ex.output.contains(&id) {
        return "in the output".into();
    }
    if ex.kept.contains(&id) {
        return format!("kept, but `{}` is an internal label (see `extract --internal`)", label.name);
    }
    let rule_name = |r: RuleId| prog.set.rules[r.0 as usize].name.clone();
    if a.vetoed {
        let by = ex.vetoes.iter().find(|v| v.1 == a.label && v.2 < a.end && a.start < v.3);
        return match by {
            Some(v) => format!("vetoed by rule `{}`", rule_name(v.0)),
            None => "vetoed".into(),
        };
    }
    let winner = ex
        .kept
        .iter()
        .map(|&k| (k, &ex.annotations[k as usize]))
        .find(|(_, w)| w.label == a.label && w.start < a.end && a.start < w.end);
    let Some((_, w)) = winner else { return "dropped".into() };
    let by = match resolve::why_first(doc, w, a) {
        "priority" => format!("priority {} over {}", w.priority, a.priority),
        other => other.to_string(),
    };
    let who = match w.origin {
        Origin::Rule { rule, .. } => format!("rule `{}`", rule_name(rule)),
        Origin::Lexicon(_) => "a lexicon entry".into(),
        Origin::Derived { .. } => "a derived name".into(),
    };
    format!("lost a conflict to {} {:?} of {who} ({by})", label.name, span_of(doc, w.start, w.end).text)
}

/// Where an annotation came from, in a few words: a rule, a lexicon, a form of a name.
fn origin_note(prog: &Program, a: &Annotation) -> String {
    match &a.origin {
        Origin::Rule { rule, .. } => format!(" (by rule {})", prog.set.rules[rule.0 as usize].name),
        Origin::Lexicon(hit) => format!(" (lexicon {})", prog.set.lexicons[hit.lexicon.0 as usize].name),
        Origin::Derived { lexicon } => {
            let source = a.fields.iter().find(|(k, _)| &**k == "source").map(|(_, v)| v);
            let name = &prog.set.lexicons[lexicon.0 as usize].name;
            match source {
                Some(super::Value::Str(s)) => format!(" (a form of {s:?} found earlier: derived lexicon {name})"),
                _ => format!(" (derived lexicon {name})"),
            }
        }
    }
}

/// The annotations of `label` over characters `[a, b)`: kept or not, with their rule, fields and
/// fate (what `trawl explain LABEL --span ...` starts with).
pub fn records_here(
    prog: &Program,
    doc: &Document,
    ex: &Extraction,
    label: LabelId,
    (a, b): (usize, usize),
) -> Vec<Record> {
    ex.annotations
        .iter()
        .enumerate()
        .filter(|(_, x)| x.label == label && !matches!(x.origin, Origin::Derived { .. } | Origin::Lexicon(_)))
        .filter(|(_, x)| {
            let s = span_of(doc, x.start, x.end);
            s.start < b && a < s.end
        })
        .map(|(id, x)| {
            let rule = match x.origin {
                Origin::Rule { rule, .. } => prog.set.rules[rule.0 as usize].name.clone(),
                _ => String::new(),
            };
            let fields = x
                .fields
                .iter()
                .map(|(k, v)| {
                    let shown = match v {
                        super::Value::Span(s, e) => format!("{:?}", span_of(doc, *s, *e).text),
                        super::Value::Str(s) => format!("{s:?}"),
                        other => format!("{other:?}"),
                    };
                    (k.to_string(), shown)
                })
                .collect();
            Record { span: span_of(doc, x.start, x.end), rule, fields, fate: fate(prog, doc, ex, id as u32) }
        })
        .collect()
}

/// An annotation of a label at the place asked about.
#[derive(Debug, Serialize)]
pub struct Record {
    /// What it covers.
    pub span: Span,
    /// The rule that made it.
    pub rule: String,
    /// Its fields, as written.
    pub fields: Vec<(String, String)>,
    /// What became of it.
    pub fate: String,
}

fn span_of(doc: &Document, s: u32, e: u32) -> Span {
    let (a, b) = (&doc.tokens[s as usize], &doc.tokens[e as usize - 1]);
    Span {
        text: doc.text[a.start as usize..b.end as usize].to_string(),
        start: a.char_start as usize,
        end: b.char_end as usize,
    }
}

/// The sentence, paragraph or whole document of token `t`.
fn unit_around(doc: &Document, scope: crate::syntax::ast::Scope, t: u32) -> (u32, u32) {
    use crate::syntax::ast::Scope;
    let units = match scope {
        Scope::Sentence => &doc.sentences,
        Scope::Paragraph => &doc.paragraphs,
        Scope::Document => return (0, doc.tokens.len() as u32),
    };
    units.iter().copied().find(|&(a, b)| a <= t && t < b).unwrap_or((0, doc.tokens.len() as u32))
}

/// The furthest failure of one start: the elements that failed there, each with why.
struct Failure {
    pos: u32,
    path: Vec<(String, Span)>,
    failed: Vec<(String, String)>,
}

impl Failure {
    fn reason(&self, doc: &Document, unit_end: u32, unit_name: &str) -> String {
        let at = if self.pos < unit_end {
            format!("at {:?}", doc.token_text(self.pos as usize))
        } else {
            format!("at the end of the {unit_name}")
        };
        match &self.failed[..] {
            [(el, why)] => format!("{el} failed {at}: {why}"),
            many => {
                let each: Vec<String> = many.iter().map(|(el, why)| format!("{el} ({why})")).collect();
                format!("nothing it allows there matches {at}: {}", each.join("; "))
            }
        }
    }
}

struct Tracer<'c, 'a> {
    cx: &'c Cx<'a>,
    rule: &'c hir::Rule,
    /// `sentence`, `paragraph` or `document`.
    unit_name: &'static str,
    unit: (u32, u32),
    regexes: FxHashMap<(String, bool), Option<regex::Regex>>,
    steps: usize,
    best: Option<Failure>,
}

/// Ends reachable from a position, each with the first path that reached it.
type Ends = Vec<(u32, Vec<(String, Span)>)>;

impl Tracer<'_, '_> {
    /// Records a failure of `element` at `pos`, if it is the furthest so far.
    fn fail(&mut self, pos: u32, path: &[(String, Span)], element: String, why: String) {
        match &mut self.best {
            Some(b) if b.pos > pos => {}
            Some(b) if b.pos == pos => {
                if !b.failed.iter().any(|(e, _)| *e == element) && b.failed.len() < 8 {
                    b.failed.push((element, why));
                }
            }
            _ => self.best = Some(Failure { pos, path: path.to_vec(), failed: vec![(element, why)] }),
        }
    }

    /// The ends of `p` from `pos` in order of preference; `caps` names the captures around it.
    fn pat(&mut self, p: &Pat, pos: u32, caps: &[usize], path: &mut Vec<(String, Span)>) -> Ends {
        self.steps += 1;
        if self.steps > TRACE_BUDGET {
            return vec![];
        }
        let shown = |me: &Self, what: String| {
            let names: Vec<&str> = caps.iter().map(|&c| me.name_of(c)).collect();
            if names.is_empty() {
                what
            } else {
                format!("{}:{what}", names.join(":"))
            }
        };
        match p {
            Pat::Seq(items) => {
                let mut ends: Ends = vec![(pos, path.clone())];
                for item in items {
                    let mut next: Ends = vec![];
                    for (e, mut pth) in ends {
                        for (e2, p2) in self.pat(item, e, caps, &mut pth) {
                            if !next.iter().any(|(x, _)| *x == e2) {
                                next.push((e2, p2));
                            }
                        }
                    }
                    if next.is_empty() {
                        return vec![];
                    }
                    ends = next;
                }
                ends
            }
            Pat::Alt(items) => {
                let mut out: Ends = vec![];
                for item in items {
                    for (e, p2) in self.pat(item, pos, caps, &mut path.clone()) {
                        if !out.iter().any(|(x, _)| *x == e) {
                            out.push((e, p2));
                        }
                    }
                }
                out
            }
            Pat::Repeat { inner, min, max, lazy } => {
                // Level by level: the ends after k repetitions; past the minimum, only ends not
                // reached before (so an empty or looping repetition stops).
                let mut levels: Vec<Ends> = vec![vec![(pos, path.clone())]];
                let mut seen = vec![pos];
                while max.is_none_or(|m| (levels.len() as u32) <= m) {
                    let k = levels.len() as u32;
                    let mut next: Ends = vec![];
                    for (e, mut pth) in levels[levels.len() - 1].clone() {
                        for (e2, p2) in self.pat(inner, e, caps, &mut pth) {
                            if (k <= *min || !seen.contains(&e2)) && !next.iter().any(|(x, _)| *x == e2) {
                                next.push((e2, p2));
                            }
                        }
                    }
                    if next.is_empty() || self.steps > TRACE_BUDGET {
                        break;
                    }
                    seen.extend(next.iter().map(|(e, _)| *e));
                    levels.push(next);
                }
                let mut usable: Vec<Ends> = levels.into_iter().skip(*min as usize).collect();
                if !*lazy {
                    usable.reverse();
                }
                let mut out: Ends = vec![];
                for (e, p2) in usable.into_iter().flatten() {
                    if !out.iter().any(|(x, _)| *x == e) {
                        out.push((e, p2));
                    }
                }
                out
            }
            Pat::Capture(c, inner) => {
                let mut inner_caps = caps.to_vec();
                inner_caps.push(*c);
                self.pat(inner, pos, &inner_caps, path)
            }
            Pat::Anchor(start) => {
                let ok = if *start { pos == self.unit.0 } else { pos == self.unit.1 };
                if ok {
                    vec![(pos, path.clone())]
                } else {
                    let what = if *start { "^" } else { "$" };
                    let why = format!("not at the {} of the {}", if *start { "start" } else { "end" }, self.unit_name);
                    self.fail(pos, path, what.into(), why);
                    vec![]
                }
            }
            Pat::Context { negated, after, inner } => {
                let holds = self.quiet(|t| {
                    if *after {
                        !t.pat(inner, pos, &[], &mut vec![]).is_empty()
                    } else {
                        (t.unit.0..=pos).rev().any(|s| t.pat(inner, s, &[], &mut vec![]).iter().any(|(e, _)| *e == pos))
                    }
                });
                if holds != *negated {
                    return vec![(pos, path.clone())];
                }
                let what =
                    format!("{}{}(…)", if *negated { "not " } else { "" }, if *after { "after" } else { "before" });
                let why = match (negated, after) {
                    (false, true) => "what follows is not what it asks for",
                    (false, false) => "what comes before is not what it asks for",
                    (true, true) => "what follows is what it rules out",
                    (true, false) => "what comes before is what it rules out",
                };
                self.fail(pos, path, what, why.into());
                vec![]
            }
            Pat::Token(t) => {
                let what = shown(self, test_text(self.cx.prog, t));
                if pos >= self.unit.1 {
                    let why = format!("the {} has no more tokens", self.unit_name);
                    self.fail(pos, path, what, why);
                    return vec![];
                }
                match self.test(t, pos as usize) {
                    Ok(()) => {
                        let mut p2 = path.clone();
                        p2.push((what, span_of(self.cx.doc, pos, pos + 1)));
                        vec![(pos + 1, p2)]
                    }
                    Err(why) => {
                        self.fail(pos, path, what, why);
                        vec![]
                    }
                }
            }
            Pat::Annot { label, constraints } => {
                let name = self.cx.prog.set.labels[label.0 as usize].name.clone();
                let what = shown(self, name.clone());
                let st = &self.cx.labels[label.0 as usize];
                let here: Vec<&Annotation> = st
                    .kept
                    .iter()
                    .map(|&i| &self.cx.anns[i as usize])
                    .filter(|a| a.start == pos && a.end <= self.unit.1)
                    .collect();
                let ok: Vec<&Annotation> = here
                    .iter()
                    .copied()
                    .filter(|a| constraints.iter().all(|c| constraint_holds(self.cx, a, c)))
                    .collect();
                if ok.is_empty() {
                    let why = if here.is_empty() {
                        let covering =
                            st.kept.iter().map(|&i| &self.cx.anns[i as usize]).find(|a| a.start < pos && pos < a.end);
                        match covering {
                            Some(a) => format!(
                                "a {name} covers it but starts earlier, at {:?}",
                                span_of(self.cx.doc, a.start, a.end).text
                            ),
                            None => match self.cx.prog.set.labels[label.0 as usize].lexicon {
                                Some(_) => format!("the lexicon {name} has no entry that starts here"),
                                None => format!("no {name} starts here"),
                            },
                        }
                    } else {
                        format!("a {name} starts here, but its fields fail the constraints")
                    };
                    self.fail(pos, path, what, why);
                    return vec![];
                }
                // Longest first, as the engine prefers.
                let mut ends: Ends = vec![];
                let mut ok = ok;
                ok.sort_by_key(|a| std::cmp::Reverse(a.end));
                for a in ok {
                    if !ends.iter().any(|(x, _)| *x == a.end) {
                        let mut p2 = path.clone();
                        p2.push((
                            format!("{what}{}", origin_note(self.cx.prog, a)),
                            span_of(self.cx.doc, a.start, a.end),
                        ));
                        ends.push((a.end, p2));
                    }
                }
                ends
            }
        }
    }

    /// Why the `where` of a match the trace found (tokens `[start, end)`, elements `path`) was
    /// false: the first condition that was, with both sides of a comparison, and what each
    /// capture bound. The captures are read back from the path's elements (`n:num`); a field
    /// of a captured annotation is not known here and reads as nothing.
    fn where_false(&self, start: u32, end: u32, path: &[(String, Span)]) -> String {
        let (cx, rule) = (self.cx, self.rule);
        let token_at = |c: usize| cx.doc.tokens.partition_point(|t| (t.char_start as usize) < c) as u32;
        let mut slots = vec![NO_SLOT; 2 + 3 * rule.captures.len()];
        (slots[0], slots[1]) = (start, end);
        for (label, sp) in path {
            let (s, e) = (token_at(sp.start), token_at(sp.end));
            for name in label.split(':') {
                let Some(c) = rule.captures.iter().position(|n| n == name) else { break };
                let at = 2 + 3 * c;
                slots[at] = if slots[at] == NO_SLOT { s } else { slots[at].min(s) };
                slots[at + 1] = if slots[at + 1] == NO_SLOT { e } else { slots[at + 1].max(e) };
            }
        }
        let b = eval::Bound { rule: rule_id(cx.prog, rule), slots: &slots, events: &[] };
        let opts = super::Options::default();
        let shown = |x: &hir::Expr| show_value(cx.doc, &eval::eval(cx, x, &b, &opts));
        let n = rule.conditions.len();
        let Some((i, c)) = rule.conditions.iter().enumerate().find(|(_, c)| !eval::eval(cx, c, &b, &opts).truthy())
        else {
            return "a `where` condition was false".into();
        };
        let which =
            if n == 1 { "the `where` condition".to_string() } else { format!("`where` condition {} of {n}", i + 1) };
        // Down a conjunction to its first false part, then both sides of a comparison.
        let mut c = c;
        while let hir::Expr::And(items) = c {
            match items.iter().find(|x| !eval::eval(cx, x, &b, &opts).truthy()) {
                Some(x) => c = x,
                None => break,
            }
        }
        let what = match c {
            hir::Expr::Compare(l, op, r) => format!("{} {} {} is false", shown(l), op_text(*op), shown(r)),
            other => format!("it is {}", shown(other)),
        };
        let bound: Vec<String> = rule
            .captures
            .iter()
            .enumerate()
            .filter(|(c, name)| !name.starts_with('#') && slots[2 + 3 * c] != NO_SLOT)
            .map(|(c, name)| {
                format!("{name} = {}", show_value(cx.doc, &super::Value::Span(slots[2 + 3 * c], slots[3 + 3 * c])))
            })
            .collect();
        let bound = if bound.is_empty() { String::new() } else { format!(" ({})", bound.join(", ")) };
        format!("{which} was false: {what}{bound}")
    }

    fn name_of(&self, c: usize) -> &str {
        self.rule.captures.get(c).map_or("?", |s| s.as_str())
    }

    /// Runs `f` without recording its failures (a context's inside is not the attempt's).
    fn quiet<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let saved = self.best.take();
        let out = f(self);
        self.best = saved;
        out
    }

    /// Whether test `t` holds at token `i`, and if not, why (for the first part that fails).
    fn test(&mut self, t: &Test, i: usize) -> Result<(), String> {
        let cx = self.cx;
        let tok_text = cx.doc.token_text(i);
        match t {
            Test::And(items) => {
                for item in items {
                    self.test(item, i).map_err(|why| format!("{} is false ({why})", test_text(cx.prog, item)))?;
                }
                Ok(())
            }
            Test::Or(items) => {
                if items.iter().any(|x| self.test(x, i).is_ok()) {
                    Ok(())
                } else {
                    Err(format!("{tok_text:?} passes none of them"))
                }
            }
            Test::Not(inner) => match self.test(inner, i) {
                Ok(()) => Err(format!("{tok_text:?} is {}", test_text(cx.prog, inner))),
                Err(_) => Ok(()),
            },
            Test::Key { key, fold } => {
                let mut k = String::new();
                normalize(tok_text, &mut k);
                let k = if *fold {
                    let mut f = String::new();
                    fold_case(&k, &mut f);
                    f
                } else {
                    k
                };
                if k == *key {
                    Ok(())
                } else if !*fold && k.to_lowercase() == key.to_lowercase() {
                    Err(format!(
                        "the token is {tok_text:?}: the literal's case differs (write it with `i` to ignore case)"
                    ))
                } else {
                    Err(format!("the token is {tok_text:?}"))
                }
            }
            Test::Regex { source, fold } => {
                let re = self.regexes.entry((source.clone(), *fold)).or_insert_with(|| build_regex(source, *fold).ok());
                match re {
                    Some(re) if re.is_match(tok_text) => Ok(()),
                    _ => Err(format!("{tok_text:?} does not match /{source}/")),
                }
            }
            Test::Covered(l) => {
                let name = &cx.prog.set.labels[l.0 as usize].name;
                let inside = cx.labels[l.0 as usize].kept.iter().any(|&k| {
                    let a = &cx.anns[k as usize];
                    a.start as usize <= i && i < a.end as usize
                });
                if inside {
                    Ok(())
                } else {
                    Err(format!("{tok_text:?} is in no {name}"))
                }
            }
            other => {
                // Classes, lengths and properties: as the engine decides them.
                let ct = crate::compile::text_test(other).unwrap_or(CTest::Any);
                if eval::test(cx, &ct, i) {
                    Ok(())
                } else if let Test::Len(..) = other {
                    Err(format!("{tok_text:?} has {} characters", tok_text.chars().count()))
                } else {
                    Err(format!("{tok_text:?} is not {}", test_text(cx.prog, other)))
                }
            }
        }
    }
}

fn constraint_holds(cx: &Cx, a: &Annotation, c: &hir::Constraint) -> bool {
    eval::constraint_holds(cx, a, &c.0, &c.1)
}

/// A token test as written.
fn test_text(prog: &Program, t: &Test) -> String {
    match t {
        Test::Any => "_".into(),
        Test::Class(c) => format!("{c:?}").to_lowercase(),
        Test::Key { key, fold } => format!("{key:?}{}", if *fold { "i" } else { "" }),
        Test::Regex { source, fold } => format!("/{source}/{}", if *fold { "i" } else { "" }),
        Test::Covered(l) => format!("[{}]", prog.set.labels[l.0 as usize].name),
        Test::Len(op, n) => format!("len {} {n}", op_text(*op)),
        Test::Prop(p, op, s) => format!("{} {} {s:?}", format!("{p:?}").to_lowercase(), op_text(*op)),
        Test::Not(inner) => format!("!{}", test_text(prog, inner)),
        Test::And(items) => items.iter().map(|i| test_text(prog, i)).collect::<Vec<_>>().join(" & "),
        Test::Or(items) => format!("({})", items.iter().map(|i| test_text(prog, i)).collect::<Vec<_>>().join(" | ")),
    }
}

/// A value as the explanation shows it: text quoted, numbers as written, nothing as `nothing`.
fn show_value(doc: &Document, v: &super::Value) -> String {
    use super::Value;
    match v {
        Value::Null => "nothing".into(),
        Value::Bool(b) => b.to_string(),
        Value::Num(n) => n.normalize().to_string(),
        Value::Str(s) => format!("{s:?}"),
        Value::Span(a, b) if a < b => format!("{:?}", span_of(doc, *a, *b).text),
        Value::Span(..) => "\"\"".into(),
        Value::Part(a, b) => format!("{:?}", &doc.text[*a as usize..*b as usize]),
        Value::List(items) => format!("[{}]", items.iter().map(|x| show_value(doc, x)).collect::<Vec<_>>().join(", ")),
    }
}

/// The id of a rule of the program.
fn rule_id(prog: &Program, rule: &hir::Rule) -> RuleId {
    RuleId(prog.set.rules.iter().position(|r| std::ptr::eq(r, rule)).unwrap_or(0) as u32)
}

fn op_text(op: crate::syntax::ast::CmpOp) -> &'static str {
    use crate::syntax::ast::CmpOp::*;
    match op {
        Eq => "==",
        Ne => "!=",
        Lt => "<",
        Le => "<=",
        Gt => ">",
        Ge => ">=",
    }
}

impl Explanation {
    /// The explanation for people.
    pub fn human(&self) -> String {
        use std::fmt::Write;
        let mut o = String::new();
        let _ =
            writeln!(o, "rule {} ({}): emits {}, scope {}", self.rule, self.source, self.emits.join(", "), self.scope);
        if let Some(s) = &self.skipped {
            let _ = writeln!(o, "  not run on this document: {s}");
        }
        for l in &self.missing_labels {
            let _ = writeln!(o, "  it reads {l}, and the document has no {l}");
        }
        if self.matches.is_empty() {
            let _ = writeln!(o, "  no match in the document");
        }
        for m in &self.matches {
            let _ = writeln!(o, "  match {} {:?} at {}-{}: {}", m.label, m.span.text, m.span.start, m.span.end, m.fate);
        }
        if let Some(u) = &self.unit {
            let _ = writeln!(o, "\n  in {:?}", u.text);
        }
        for a in &self.attempts {
            let _ = writeln!(o, "  from {:?} ({}): {}", a.at.text, a.at.start, a.outcome);
            for (el, s) in &a.matched {
                let _ = writeln!(o, "      {el:<28} {:?}", s.text);
            }
        }
        o
    }
}
