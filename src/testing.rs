//! Rule examples as tests: every `example`, `counterexample` and `todo`
//! clause of every rule, run through the same extraction as real documents.
//!
//! An example asserts that its rule (after conflict resolution) emits each
//! expected annotation: the label, the exact span (the quoted text, or the
//! whole example when it is omitted) and every field given. A counterexample
//! asserts that the rule emits nothing there. A `todo` is a known gap: it is
//! reported but never fails, and is reported as "now passing" when it passes.
//! Each example is also run with whitespace put before it; every span must
//! move by exactly that much. For a `veto` rule, what it "emits" is each of
//! its matches, labelled with the label it vetoes.

use crate::exec::{self, Extraction, Origin};
use crate::output::{self, OffsetUnit, Record};
use crate::syntax::ast::{Example, ExpectValue};
use crate::text::Document;
use crate::{Options, Rules};
use serde_json::Value as Json;

/// What came of one example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// As expected.
    Pass,
    /// Not as expected: one line per difference.
    Fail(Vec<String>),
    /// A `todo` that still fails (not a failure of the run).
    TodoFail(Vec<String>),
    /// A `todo` that passes now: its `todo` can go.
    TodoPass,
}

/// One example's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The rule.
    pub rule: String,
    /// `file:line` of the example.
    pub location: String,
    /// The example text.
    pub text: String,
    /// `counterexample` rather than `example`.
    pub counter: bool,
    /// What came of it.
    pub status: Status,
}

/// The text put before each example to check that spans move with it: it
/// adds no token, and takes 3 characters and 7 bytes.
pub const SHIFT_PREFIX: &str = "\u{3000}\n\n";

/// Runs every example of every rule, in rule order.
pub fn run_examples(rules: &Rules) -> Vec<Outcome> {
    let prog = &rules.program;
    let mut scratch = exec::Scratch::new();
    let mut out = vec![];
    for (ri, rule) in prog.set.rules.iter().enumerate() {
        for ex in &rule.examples {
            let actual = rule_records(rules, ri as u32, &ex.text.value, &mut scratch);
            let mut problems = check(ex, &actual);
            let shifted = rule_records(rules, ri as u32, &format!("{SHIFT_PREFIX}{}", ex.text.value), &mut scratch);
            let n = SHIFT_PREFIX.chars().count();
            let moved: Vec<Record> = actual.iter().map(|r| shift(r, n)).collect();
            if shifted != moved {
                problems.push(format!("spans do not move by {n} characters when text is put before the example"));
            }
            let status = match (ex.todo, problems.is_empty()) {
                (false, true) => Status::Pass,
                (false, false) => Status::Fail(problems),
                (true, true) => Status::TodoPass,
                (true, false) => Status::TodoFail(problems),
            };
            out.push(Outcome {
                rule: rule.name.clone(),
                location: prog.set.sources.location(ex.span),
                text: ex.text.value.clone(),
                counter: ex.counter,
                status,
            });
        }
    }
    out
}

fn rule_records(rules: &Rules, rule: u32, text: &str, scratch: &mut exec::Scratch) -> Vec<Record> {
    let doc = Document::new(text);
    let ex = exec::extract(&rules.program, &doc, &Options::default(), scratch);
    let mine: Vec<u32> = ex
        .kept
        .iter()
        .copied()
        .filter(|&id| matches!(ex.annotations[id as usize].origin, Origin::Rule { rule: r, .. } if r.0 == rule))
        .collect();
    let vetoed: Vec<Record> = ex
        .vetoes
        .iter()
        .filter(|v| v.0 .0 == rule)
        .map(|&(_, label, s, e)| output::span_record(&rules.program, &doc, label, s, e, OffsetUnit::Chars))
        .collect();
    let only = Extraction { annotations: ex.annotations, output: mine, kept: vec![], vetoes: vec![] };
    let mut records = output::records(&rules.program, &doc, &only, OffsetUnit::Chars);
    records.extend(vetoed);
    records
}

fn shift(r: &Record, n: usize) -> Record {
    fn shift_json(v: &Json, n: usize) -> Json {
        match v {
            Json::Object(o) if o.contains_key("start") && o.contains_key("text") => {
                let mut o = o.clone();
                for k in ["start", "end"] {
                    if let Some(x) = o.get(k).and_then(Json::as_u64) {
                        o.insert(k.into(), Json::from(x + n as u64));
                    }
                }
                Json::Object(o)
            }
            Json::Array(items) => Json::Array(items.iter().map(|i| shift_json(i, n)).collect()),
            other => other.clone(),
        }
    }
    let mut r = r.clone();
    r.start += n;
    r.end += n;
    for v in r.fields.values_mut().chain(r.captures.values_mut()) {
        *v = shift_json(v, n);
    }
    r
}

fn shown(v: &Json) -> String {
    match v {
        Json::Object(o) => o.get("text").map_or_else(|| v.to_string(), |t| t.to_string()),
        Json::Array(items) => format!("[{}]", items.iter().map(shown).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

fn expect_matches(want: &ExpectValue, got: &Json) -> bool {
    match (want, got) {
        (ExpectValue::Str(s), Json::String(g)) => s == g,
        (ExpectValue::Str(s), Json::Object(o)) => o.get("text").and_then(Json::as_str) == Some(s.as_str()),
        (ExpectValue::Int(i), Json::Number(n)) => n.as_i64() == Some(*i),
        (ExpectValue::Int(i), Json::String(g)) => g == &i.to_string(),
        (ExpectValue::List(items), Json::Array(g)) => {
            items.len() == g.len() && items.iter().zip(g).all(|(w, x)| expect_matches(w, x))
        }
        _ => false,
    }
}

fn describe(r: &Record) -> String {
    format!("{} {:?}", r.label, r.text)
}

fn check(ex: &Example, actual: &[Record]) -> Vec<String> {
    let mut problems = vec![];
    if ex.counter {
        for r in actual {
            problems.push(format!("unexpected {}", describe(r)));
        }
        return problems;
    }
    let whole = ex.text.value.trim();
    if ex.expects.is_empty() {
        if !actual.iter().any(|r| r.text == whole) {
            problems.push(format!("expected an annotation over the whole example {whole:?}"));
            problems.extend(actual.iter().map(|r| format!("  it emitted {}", describe(r))));
        }
        return problems;
    }
    for e in &ex.expects {
        let span = e.text.as_ref().map_or(whole, |t| t.value.as_str());
        let Some(r) = actual.iter().find(|r| r.label == e.label.name && r.text == span) else {
            problems.push(format!("missing {} {span:?}", e.label.name));
            let near: Vec<String> = actual.iter().map(describe).collect();
            if near.is_empty() {
                problems.push("  the rule emitted nothing".into());
            } else {
                problems.push(format!("  the rule emitted {}", near.join(", ")));
            }
            continue;
        };
        for (name, want) in &e.fields {
            match r.fields.get(&name.name) {
                None => problems
                    .push(format!("{} {span:?}: field `{}` is missing (expected {want})", e.label.name, name.name)),
                Some(got) if !expect_matches(want, got) => problems.push(format!(
                    "{} {span:?}: field `{}` is {}, expected {want}",
                    e.label.name,
                    name.name,
                    shown(got)
                )),
                Some(_) => {}
            }
        }
    }
    problems
}
