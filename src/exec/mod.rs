//! Execute: a [`Program`] and a [`Document`] in, annotations out.
//!
//! Per document: every token is looked up in the program's vocabulary once;
//! the lexicon automata find every entry; then the cascade runs step by step.
//! A rule runs a Pike VM over the tokens of each scope unit (sentence,
//! paragraph or document), only from positions where its first element can
//! match, and finds matches left to right, without overlap, preferring at
//! each start what the pattern prefers (alternatives in order, greedy or lazy
//! repetition): time is linear in the tokens for any pattern. Before a rule
//! reads a label, that label's conflicts are resolved (see [`resolve`]).
//! All mutable state lives in a [`Scratch`], one per thread.

mod value;
mod vm;

pub use value::{month_number, normalize_date, parse_int, Date, Value};

use crate::check::hir::{Expr, Form, Func, LabelId, LexiconId, RuleId, Step};
use crate::compile::{CTest, LexHit, Program, NO_SLOT};
use crate::syntax::ast::Scope;
use crate::syntax::ast::{CmpOp, Literal};
use crate::text::{flag, fold_case, normalize, shape, Document, TokenKind};
use rustc_hash::FxHashMap;
use vm::Vm;

/// Options of one extraction.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The date relative and year-less dates are resolved against.
    pub anchor: Option<Date>,
}

/// Where an annotation came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// An entry of a static lexicon.
    Lexicon(LexHit),
    /// A form derived from a name found earlier in the document.
    Derived {
        /// The derived lexicon.
        lexicon: LexiconId,
        /// The text of the name it was derived from.
        source: String,
    },
    /// A rule's match.
    Rule {
        /// The rule.
        rule: RuleId,
        /// Token span of the whole match.
        matched: (u32, u32),
        /// Capture bindings: name index and token span.
        captures: Vec<(u32, u32, u32)>,
    },
}

/// An annotation over tokens `[start, end)`.
#[derive(Debug, Clone)]
pub struct Annotation {
    /// Its label.
    pub label: LabelId,
    /// First token.
    pub start: u32,
    /// One past the last token.
    pub end: u32,
    /// Provenance.
    pub origin: Origin,
    /// Fields, in the order the rule gives them; `Null` values are left out.
    pub fields: Vec<(String, Value)>,
    priority: i64,
    keep_all: bool,
    vetoed: bool,
}

/// Per-label bookkeeping.
#[derive(Debug, Default, Clone)]
pub(crate) struct LabelState {
    /// Every annotation made, by id.
    candidates: Vec<u32>,
    /// After resolution: kept ids sorted by (start, longest first).
    kept: Vec<u32>,
    /// Kept ids sorted by (end, longest first).
    kept_by_end: Vec<u32>,
    /// Per token: inside a kept annotation (only for labels used by `[Label]` tests).
    covered: Vec<bool>,
    dirty: bool,
}

/// Mutable state for extracting from documents: keep one per thread and reuse it.
#[derive(Default)]
pub struct Scratch {
    exact_ids: Vec<u32>,
    fold_ids: Vec<u32>,
    unit_sentence: Vec<u32>,
    unit_paragraph: Vec<u32>,
    key: String,
    /// (vocabulary id, token) pairs, sorted: where each exact key occurs.
    postings_exact: Vec<(u32, u32)>,
    /// The same for folded keys.
    postings_fold: Vec<(u32, u32)>,
    /// Per start test, per token: whether it passes (computed once per document).
    start_tests: FxHashMap<u32, Vec<bool>>,
    candidates: Vec<u32>,
    vm: Vm,
    memo: FxHashMap<(u32, u32), bool>,
}

impl Scratch {
    /// An empty scratch space.
    pub fn new() -> Scratch {
        Scratch::default()
    }
}

/// The result of extracting from one document.
#[derive(Debug)]
pub struct Extraction {
    /// Every annotation made (lexicon hits and vetoed or dropped ones included).
    pub annotations: Vec<Annotation>,
    /// Ids of the annotations that go to the output, in output order.
    pub output: Vec<u32>,
    /// Ids of every annotation made by a rule and kept after conflict
    /// resolution, internal labels included, in output order.
    pub kept: Vec<u32>,
    /// Every match of a veto rule: the rule, the vetoed label, and the tokens matched.
    pub vetoes: Vec<(RuleId, LabelId, u32, u32)>,
}

/// The read-only view a rule run needs.
pub(crate) struct Cx<'a> {
    pub prog: &'a Program,
    pub doc: &'a Document<'a>,
    pub exact_ids: &'a [u32],
    pub fold_ids: &'a [u32],
    pub anns: &'a [Annotation],
    pub labels: &'a [LabelState],
}

/// Extracts annotations from a document.
pub fn extract(prog: &Program, doc: &Document, opts: &Options, scratch: &mut Scratch) -> Extraction {
    let n = doc.tokens.len();
    prepare(prog, doc, scratch);
    let mut anns: Vec<Annotation> = Vec::new();
    let mut vetoes = Vec::new();
    let mut labels: Vec<LabelState> = vec![LabelState::default(); prog.set.labels.len()];
    // Static lexicons.
    {
        let mut add = |s: u32, e: u32, hit: LexHit| {
            if unit_of(scratch, Scope::Sentence, s) != unit_of(scratch, Scope::Sentence, e - 1) {
                return;
            }
            let label = prog.set.lexicons[hit.lexicon.0 as usize].label;
            labels[label.0 as usize].candidates.push(anns.len() as u32);
            labels[label.0 as usize].dirty = true;
            anns.push(Annotation {
                label,
                start: s,
                end: e,
                origin: Origin::Lexicon(hit),
                fields: vec![],
                priority: 0,
                keep_all: true,
                vetoed: false,
            });
        };
        prog.exact.find(&scratch.exact_ids, &mut add);
        prog.fold.find(&scratch.fold_ids, &mut add);
    }
    for step in &prog.set.order {
        match *step {
            Step::Rule(r) => {
                let rule = &prog.set.rules[r.0 as usize];
                for l in &rule.reads {
                    resolve(prog, doc, &mut anns, &mut labels[l.0 as usize], *l, n);
                }
                run_rule(prog, doc, opts, r, scratch, &mut anns, &mut labels, &mut vetoes);
            }
            Step::Derive(lex) => {
                let d = prog.set.lexicons[lex.0 as usize].derived.as_ref().expect("derived");
                resolve(prog, doc, &mut anns, &mut labels[d.label.0 as usize], d.label, n);
                derive(prog, doc, lex, scratch, &mut anns, &mut labels);
            }
        }
    }
    let mut output = Vec::new();
    let mut kept = Vec::new();
    for (i, l) in prog.set.labels.iter().enumerate() {
        if l.lexicon.is_some() {
            continue;
        }
        resolve(prog, doc, &mut anns, &mut labels[i], LabelId(i as u32), n);
        kept.extend(labels[i].kept.iter().copied());
        if l.output {
            output.extend(labels[i].kept.iter().copied());
        }
    }
    let key = |id: &u32| {
        let a = &anns[*id as usize];
        let rule = match a.origin {
            Origin::Rule { rule, .. } => rule.0,
            _ => u32::MAX,
        };
        (
            doc.tokens[a.start as usize].start,
            doc.tokens[a.end as usize - 1].end,
            prog.set.labels[a.label.0 as usize].name.as_str(),
            rule,
            *id,
        )
    };
    output.sort_by(|a, b| key(a).cmp(&key(b)));
    kept.sort_by(|a, b| key(a).cmp(&key(b)));
    Extraction { annotations: anns, output, kept, vetoes }
}

fn prepare(prog: &Program, doc: &Document, s: &mut Scratch) {
    let n = doc.tokens.len();
    s.exact_ids.clear();
    s.fold_ids.clear();
    s.postings_exact.clear();
    s.postings_fold.clear();
    for (i, t) in doc.tokens.iter().enumerate() {
        let text = doc.token_text(i);
        let exact = if t.has(flag::PLAIN) {
            prog.vocab.get(text).copied()
        } else {
            s.key.clear();
            normalize(text, &mut s.key);
            prog.vocab.get(s.key.as_str()).copied()
        };
        let folded = if t.has(flag::PLAIN) && !text.bytes().any(|b| b.is_ascii_uppercase()) {
            exact
        } else {
            s.key.clear();
            fold_case(text, &mut s.key);
            prog.vocab.get(s.key.as_str()).copied()
        };
        let e = exact.unwrap_or(u32::MAX);
        let f = folded.unwrap_or(u32::MAX);
        s.exact_ids.push(e);
        s.fold_ids.push(f);
        if e != u32::MAX {
            s.postings_exact.push((e, i as u32));
        }
        if f != u32::MAX {
            s.postings_fold.push((f, i as u32));
        }
    }
    s.postings_exact.sort_unstable();
    s.postings_fold.sort_unstable();
    s.start_tests.clear();
    s.unit_sentence.clear();
    s.unit_sentence.resize(n, 0);
    for (k, &(a, b)) in doc.sentences.iter().enumerate() {
        s.unit_sentence[a as usize..b as usize].fill(k as u32);
    }
    s.unit_paragraph.clear();
    s.unit_paragraph.resize(n, 0);
    for (k, &(a, b)) in doc.paragraphs.iter().enumerate() {
        s.unit_paragraph[a as usize..b as usize].fill(k as u32);
    }
    s.memo.clear();
}

fn unit_of(s: &Scratch, scope: Scope, tok: u32) -> u32 {
    match scope {
        Scope::Sentence => s.unit_sentence[tok as usize],
        Scope::Paragraph => s.unit_paragraph[tok as usize],
        Scope::Document => 0,
    }
}

fn unit_bounds(doc: &Document, scope: Scope, unit: u32) -> (u32, u32) {
    match scope {
        Scope::Sentence => doc.sentences[unit as usize],
        Scope::Paragraph => doc.paragraphs[unit as usize],
        Scope::Document => (0, doc.tokens.len() as u32),
    }
}

/// Resolves the conflicts of one label, if anything changed since last time.
///
/// Among overlapping annotations of the label, one is kept by this total
/// order: higher `priority` first, then the longer (in characters), then the
/// one starting first, then the rule defined first, then the one made first.
/// Vetoed annotations are dropped; annotations of `keep all` rules and lexicon
/// hits are always kept and block nothing.
fn resolve(prog: &Program, doc: &Document, anns: &mut [Annotation], st: &mut LabelState, label: LabelId, n: usize) {
    if !st.dirty {
        return;
    }
    st.dirty = false;
    let chars = |a: &Annotation| doc.tokens[a.end as usize - 1].char_end - doc.tokens[a.start as usize].char_start;
    let rule_order = |a: &Annotation| match a.origin {
        Origin::Rule { rule, .. } => rule.0,
        _ => 0,
    };
    let mut order: Vec<u32> = st.candidates.iter().copied().filter(|&i| !anns[i as usize].vetoed).collect();
    order.sort_by(|&x, &y| {
        let (a, b) = (&anns[x as usize], &anns[y as usize]);
        b.priority
            .cmp(&a.priority)
            .then(chars(b).cmp(&chars(a)))
            .then(a.start.cmp(&b.start))
            .then(rule_order(a).cmp(&rule_order(b)))
            .then(x.cmp(&y))
    });
    let mut taken = vec![false; n];
    let mut kept = Vec::with_capacity(order.len());
    for id in order {
        let a = &anns[id as usize];
        if a.keep_all {
            kept.push(id);
            continue;
        }
        let span = a.start as usize..a.end as usize;
        if taken[span.clone()].iter().any(|&t| t) {
            continue;
        }
        taken[span].fill(true);
        kept.push(id);
    }
    // Identical spans from different sources (two lexicon entries, say) are all kept.
    kept.sort_by_key(|&i| (anns[i as usize].start, std::cmp::Reverse(anns[i as usize].end), i));
    st.kept_by_end = kept.clone();
    st.kept_by_end.sort_by_key(|&i| (anns[i as usize].end, anns[i as usize].start, i));
    if prog.uses_covered.contains(&label) {
        st.covered.clear();
        st.covered.resize(n, false);
        for &i in &kept {
            let a = &anns[i as usize];
            st.covered[a.start as usize..a.end as usize].fill(true);
        }
    }
    st.kept = kept;
}

#[allow(clippy::too_many_arguments)]
fn run_rule(
    prog: &Program,
    doc: &Document,
    opts: &Options,
    r: RuleId,
    s: &mut Scratch,
    anns: &mut Vec<Annotation>,
    labels: &mut [LabelState],
    vetoes: &mut Vec<(RuleId, LabelId, u32, u32)>,
) {
    let rule = &prog.set.rules[r.0 as usize];
    let cr = &prog.rules[r.0 as usize];
    let n = doc.tokens.len() as u32;
    if n == 0 {
        return;
    }
    s.memo.clear();
    // Candidate start positions.
    let mut cands = std::mem::take(&mut s.candidates);
    cands.clear();
    {
        let cx = Cx { prog, doc, exact_ids: &s.exact_ids, fold_ids: &s.fold_ids, anns, labels };
        if cr.start.any {
            cands.extend(0..n);
        } else {
            for &(id, fold) in &cr.start.keys {
                let p = if fold { &s.postings_fold } else { &s.postings_exact };
                let from = p.partition_point(|&(k, _)| k < id);
                cands.extend(p[from..].iter().take_while(|&&(k, _)| k == id).map(|&(_, pos)| pos));
            }
            for &t in &cr.start.tests {
                // Rules often share a first test: each is evaluated once per token and document.
                let pass = s
                    .start_tests
                    .entry(t)
                    .or_insert_with(|| (0..n as usize).map(|i| test(&cx, &prog.tests[t as usize], i)).collect());
                cands.extend(pass.iter().enumerate().filter(|(_, &p)| p).map(|(i, _)| i as u32));
            }
            for l in &cr.start.labels {
                for &id in &labels[l.0 as usize].kept {
                    cands.push(anns[id as usize].start);
                }
            }
            cands.sort_unstable();
            cands.dedup();
        }
    }
    let mut matches: Vec<Vec<u32>> = Vec::new();
    let mut ci = 0;
    while ci < cands.len() {
        let start = cands[ci];
        let unit = unit_of(s, rule.scope, start);
        let bounds = unit_bounds(doc, rule.scope, unit);
        let end_ci = ci + cands[ci..].partition_point(|&c| c < bounds.1);
        let found = {
            let cx = Cx { prog, doc, exact_ids: &s.exact_ids, fold_ids: &s.fold_ids, anns, labels };
            s.vm.search(&cx, &cr.insts, cr.slots as usize, bounds, &cands[ci..end_ci], &mut s.memo)
        };
        match found {
            Some(slots) => {
                let (ms, me) = (slots[0], slots[1]);
                let ok = {
                    let cx = Cx { prog, doc, exact_ids: &s.exact_ids, fold_ids: &s.fold_ids, anns, labels };
                    rule.conditions.iter().all(|c| eval(&cx, c, &slots, opts).truthy())
                };
                let resume = if ok {
                    matches.push(slots);
                    me.max(ms + 1)
                } else {
                    ms + 1
                };
                ci += cands[ci..].partition_point(|&c| c < resume);
            }
            None => ci = end_ci,
        }
    }
    s.candidates = cands;
    for slots in matches {
        let (ms, me) = (slots[0], slots[1]);
        for v in &rule.vetoes {
            vetoes.push((r, *v, ms, me));
            let st = &mut labels[v.0 as usize];
            for &id in &st.candidates {
                let a = &mut anns[id as usize];
                if a.start < me && ms < a.end && !a.vetoed {
                    a.vetoed = true;
                    st.dirty = true;
                }
            }
        }
        let captures: Vec<(u32, u32, u32)> = (0..rule.captures.len())
            .filter_map(|i| {
                let (a, b) = (slots[2 + 3 * i], slots[3 + 3 * i]);
                (a != NO_SLOT && b != NO_SLOT && b > a).then_some((i as u32, a, b))
            })
            .collect();
        for e in &rule.emits {
            let (start, end) = match e.at {
                None => (ms, me),
                Some(c) => {
                    let (a, b) = (slots[2 + 3 * c], slots[3 + 3 * c]);
                    if a == NO_SLOT || b == NO_SLOT || b <= a {
                        continue;
                    }
                    (a, b)
                }
            };
            let fields: Vec<(String, Value)> = {
                let cx = Cx { prog, doc, exact_ids: &s.exact_ids, fold_ids: &s.fold_ids, anns, labels };
                e.fields
                    .iter()
                    .map(|(k, x)| (k.clone(), eval(&cx, x, &slots, opts)))
                    .filter(|(_, v)| *v != Value::Null)
                    .collect()
            };
            let st = &mut labels[e.label.0 as usize];
            st.candidates.push(anns.len() as u32);
            st.dirty = true;
            anns.push(Annotation {
                label: e.label,
                start,
                end,
                origin: Origin::Rule { rule: r, matched: (ms, me), captures: captures.clone() },
                fields,
                priority: rule.priority,
                keep_all: rule.keep_all,
                vetoed: false,
            });
        }
    }
}

/// Builds a derived lexicon's hits: the forms of the names found so far, wherever they occur.
fn derive(
    prog: &Program,
    doc: &Document,
    lex: LexiconId,
    s: &mut Scratch,
    anns: &mut Vec<Annotation>,
    labels: &mut [LabelState],
) {
    let def = &prog.set.lexicons[lex.0 as usize];
    let d = def.derived.as_ref().expect("derived");
    // Normalized keys; most tokens are their own key and are not copied.
    let keys: Vec<std::borrow::Cow<str>> = (0..doc.tokens.len())
        .map(|i| {
            let text = doc.token_text(i);
            if doc.tokens[i].has(flag::PLAIN) {
                std::borrow::Cow::Borrowed(text)
            } else {
                let mut k = String::new();
                normalize(text, &mut k);
                std::borrow::Cow::Owned(k)
            }
        })
        .collect();
    // form keys -> source text
    let mut forms: Vec<(Vec<String>, String)> = Vec::new();
    let src = &labels[d.label.0 as usize];
    for &id in &src.kept {
        let a = &anns[id as usize];
        let (fs, fe) = match &d.field {
            None => (a.start, a.end),
            Some(f) => match a.fields.iter().find(|(k, _)| k == f) {
                Some((_, Value::Span(x, y))) => (*x, *y),
                _ => continue,
            },
        };
        let text =
            doc.text[doc.tokens[fs as usize].start as usize..doc.tokens[fe as usize - 1].end as usize].to_string();
        let words: Vec<u32> = (fs..fe).filter(|&i| doc.tokens[i as usize].kind == TokenKind::Word).collect();
        for form in &d.forms {
            let f: Vec<String> = match form {
                Form::Full => (fs..fe).map(|i| keys[i as usize].to_string()).collect(),
                Form::First | Form::Last => {
                    if words.len() < 2 {
                        continue;
                    }
                    let w = if *form == Form::First { words[0] } else { words[words.len() - 1] };
                    let t = &doc.tokens[w as usize];
                    if !t.has(flag::CAP) || t.char_end - t.char_start < 2 {
                        continue;
                    }
                    vec![keys[w as usize].to_string()]
                }
                Form::Acronym => {
                    let caps: String = words
                        .iter()
                        .filter(|&&w| doc.tokens[w as usize].has(flag::CAP))
                        .filter_map(|&w| doc.token_text(w as usize).chars().next())
                        .collect();
                    if caps.chars().count() < 2 {
                        continue;
                    }
                    vec![caps]
                }
            };
            if !forms.iter().any(|(k, _)| *k == f) {
                forms.push((f, text.clone()));
            }
        }
    }
    let mut by_first: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (i, (k, _)) in forms.iter().enumerate() {
        by_first.entry(k[0].as_str()).or_default().push(i);
    }
    let label = def.label;
    let mut seen: Vec<(u32, u32)> = Vec::new();
    for i in 0..keys.len() {
        let Some(list) = by_first.get(keys[i].as_ref()) else {
            continue;
        };
        for &fi in list {
            let (k, source) = &forms[fi];
            let end = i + k.len();
            if end > keys.len() || keys[i..end].iter().zip(k).any(|(a, b)| a != b) {
                continue;
            }
            if unit_of(s, Scope::Sentence, i as u32) != unit_of(s, Scope::Sentence, end as u32 - 1)
                || seen.contains(&(i as u32, end as u32))
            {
                continue;
            }
            seen.push((i as u32, end as u32));
            labels[label.0 as usize].candidates.push(anns.len() as u32);
            labels[label.0 as usize].dirty = true;
            anns.push(Annotation {
                label,
                start: i as u32,
                end: end as u32,
                origin: Origin::Derived { lexicon: lex, source: source.clone() },
                fields: vec![("source".into(), Value::Str(source.clone()))],
                priority: 0,
                keep_all: true,
                vetoed: false,
            });
        }
    }
}

fn cmp_num(op: CmpOp, a: i64, b: i64) -> bool {
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
    }
}

fn cmp_str(op: CmpOp, a: &str, b: &str) -> bool {
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
    }
}

/// Evaluates a token test at token `i`.
pub(crate) fn test(cx: &Cx, t: &CTest, i: usize) -> bool {
    let tok = &cx.doc.tokens[i];
    match t {
        CTest::Any => true,
        CTest::Class(c) => {
            use crate::check::hir::Class::*;
            match c {
                Cap => tok.has(flag::CAP),
                Upper => tok.has(flag::UPPER),
                Lower => tok.has(flag::LOWER),
                Num => tok.kind == TokenKind::Number,
                Word => tok.kind == TokenKind::Word,
                Punct => tok.kind == TokenKind::Punct,
                Symbol => tok.kind == TokenKind::Symbol,
                Initial => tok.has(flag::INITIAL),
            }
        }
        CTest::Key { id, fold } => (if *fold { cx.fold_ids[i] } else { cx.exact_ids[i] }) == *id,
        CTest::Regex(r) => cx.prog.regexes[*r as usize].is_match(cx.doc.token_text(i)),
        CTest::Covered(l) => cx.labels[l.0 as usize].covered.get(i).copied().unwrap_or(false),
        CTest::Len(op, n) => cmp_num(*op, (tok.char_end - tok.char_start) as i64, *n),
        CTest::Prop(p, op, s) => {
            use crate::check::hir::Property;
            let text = cx.doc.token_text(i);
            let eq = match p {
                Property::Text => text == s,
                Property::Lower => {
                    let mut k = String::new();
                    fold_case(text, &mut k);
                    k == *s
                }
                Property::Shape => shape(text) == *s,
                Property::Kind => tok.kind.as_str() == s,
            };
            if *op == CmpOp::Ne {
                !eq
            } else {
                eq
            }
        }
        CTest::Not(inner) => !test(cx, inner, i),
        CTest::And(items) => items.iter().all(|x| test(cx, x, i)),
        CTest::Or(items) => items.iter().any(|x| test(cx, x, i)),
    }
}

/// Whether an annotation passes a constraint table.
pub(crate) fn constraints_hold(cx: &Cx, ann: u32, table: u32) -> bool {
    if table == NO_SLOT {
        return true;
    }
    let a = &cx.anns[ann as usize];
    cx.prog.constraints[table as usize].iter().all(|(field, test)| {
        let v = field_value(cx, a, field);
        match test {
            None => v != Value::Null,
            Some((op, lit)) => match (lit, &v) {
                (_, Value::Null) => *op == CmpOp::Ne,
                (Literal::Int(n), Value::Int(x)) => cmp_num(*op, *x, *n),
                (Literal::Int(n), other) => text_of(cx, other).trim().parse::<i64>().is_ok_and(|x| cmp_num(*op, x, *n)),
                (Literal::Str(s), other) => cmp_str(*op, &text_of(cx, other), s),
            },
        }
    })
}

/// A field (or lexicon feature) of an annotation.
pub(crate) fn field_value(cx: &Cx, a: &Annotation, field: &str) -> Value {
    match &a.origin {
        Origin::Lexicon(hit) => {
            let e = &cx.prog.set.lexicons[hit.lexicon.0 as usize].entries[hit.entry as usize];
            match e.features.iter().find(|(k, _)| k == field) {
                Some((_, Literal::Str(s))) => Value::Str(s.clone()),
                Some((_, Literal::Int(i))) => Value::Int(*i),
                None => Value::Null,
            }
        }
        _ => a.fields.iter().find(|(k, _)| k == field).map_or(Value::Null, |(_, v)| v.clone()),
    }
}

fn span_text<'a>(doc: &Document<'a>, s: u32, e: u32) -> &'a str {
    &doc.text[doc.tokens[s as usize].start as usize..doc.tokens[e as usize - 1].end as usize]
}

/// The text of a value.
pub(crate) fn text_of(cx: &Cx, v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Str(s) => s.clone(),
        Value::Span(s, e) => span_text(cx.doc, *s, *e).to_string(),
        Value::List(items) => items.iter().map(|i| text_of(cx, i)).collect::<Vec<_>>().join(" "),
    }
}

fn eval(cx: &Cx, e: &Expr, slots: &[u32], opts: &Options) -> Value {
    match e {
        Expr::Const(Literal::Str(s)) => Value::Str(s.clone()),
        Expr::Const(Literal::Int(i)) => Value::Int(*i),
        Expr::Capture(i) => {
            let (a, b) = (slots[2 + 3 * i], slots[3 + 3 * i]);
            if a == NO_SLOT || b == NO_SLOT || b <= a {
                Value::Null
            } else {
                Value::Span(a, b)
            }
        }
        Expr::Field(i, f) => {
            let id = slots[4 + 3 * i];
            if id == NO_SLOT {
                return Value::Null;
            }
            field_value(cx, &cx.anns[id as usize], f)
        }
        Expr::List(items) => {
            Value::List(items.iter().map(|x| eval(cx, x, slots, opts)).filter(|v| *v != Value::Null).collect())
        }
        Expr::Call(f, args) => {
            let v = eval(cx, &args[0], slots, opts);
            if v == Value::Null {
                return Value::Null;
            }
            match f {
                Func::Text => Value::Str(text_of(cx, &v)),
                Func::Lower => Value::Str(text_of(cx, &v).to_lowercase()),
                Func::Upper => Value::Str(text_of(cx, &v).to_uppercase()),
                Func::Len => Value::Int(text_of(cx, &v).chars().count() as i64),
                Func::Int => match v {
                    Value::Int(i) => Value::Int(i),
                    other => parse_int(&text_of(cx, &other)).map_or(Value::Null, Value::Int),
                },
            }
        }
        Expr::Date(parts) => {
            let vals: Vec<Value> =
                parts.iter().map(|p| p.as_ref().map_or(Value::Null, |x| eval(cx, x, slots, opts))).collect();
            normalize_date(&vals[0], &vals[1], &vals[2], opts.anchor, &|v| text_of(cx, v))
                .map_or(Value::Null, Value::Str)
        }
        Expr::Compare(a, op, b) => {
            let (x, y) = (eval(cx, a, slots, opts), eval(cx, b, slots, opts));
            let num = |v: &Value| match v {
                Value::Int(i) => Some(*i),
                Value::Null => None,
                other => text_of(cx, other).trim().parse::<i64>().ok(),
            };
            Value::Bool(match (num(&x), num(&y)) {
                (Some(p), Some(q)) if matches!(x, Value::Int(_)) || matches!(y, Value::Int(_)) => cmp_num(*op, p, q),
                _ => cmp_str(*op, &text_of(cx, &x), &text_of(cx, &y)),
            })
        }
        Expr::And(items) => Value::Bool(items.iter().all(|x| eval(cx, x, slots, opts).truthy())),
        Expr::Or(items) => Value::Bool(items.iter().any(|x| eval(cx, x, slots, opts).truthy())),
        Expr::Not(x) => Value::Bool(!eval(cx, x, slots, opts).truthy()),
    }
}
