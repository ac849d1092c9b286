//! Rule examples as tests: every `example`, `counterexample` and `todo`
//! clause of every rule, run through the same extraction as real documents.
//!
//! An example is a complete statement of what its rule emits there (after
//! conflict resolution, with no anchor date): each listed annotation must be
//! emitted with its label, exact span (the quoted text, or the whole example
//! when omitted) and every field given, and the rule must emit nothing else.
//! `example "text"` with nothing listed expects one annotation over the whole
//! text. A counterexample asserts that the rule emits nothing there. A
//! `todo` is a known gap: reported, never failing, and reported as "now
//! passing" once it passes. Each example is also run with whitespace put
//! before it, and every span must move by exactly that much. For a `veto`
//! rule, what it "emits" is each of its matches, labelled with the label it
//! vetoes.
//!
//! [`report`] renders the outcomes for people and for CI systems.

pub mod report;

use crate::exec::{self, Exceeded, Extraction, Origin};
use crate::output::{self, FieldValue, OffsetUnit, Record};
use crate::syntax::ast::{Example, ExpectValue};
use crate::text::Document;
use crate::{Options, Rules};
use serde_json::Value as Json;

/// One difference between what an example expects and what the rule did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Expected, not emitted.
    Missing {
        /// The label.
        label: String,
        /// The span text.
        text: String,
        /// Expected fields, rendered.
        fields: Vec<(String, String)>,
        /// Another rule's record of that label over that text, or over part of it, when there is
        /// one in the output: the rule and the text (it may have won the conflict).
        elsewhere: Option<(String, String)>,
    },
    /// Emitted with the label, over other text than expected.
    Span {
        /// The label.
        label: String,
        /// The text the example gives.
        expected: String,
        /// The text the rule's annotation covers.
        actual: String,
    },
    /// Emitted, not expected.
    Unexpected {
        /// The label.
        label: String,
        /// The span text.
        text: String,
        /// Its fields, rendered.
        fields: Vec<(String, String)>,
    },
    /// Emitted with a field that differs from (or lacks) the expected value.
    Field {
        /// The label.
        label: String,
        /// The span text.
        text: String,
        /// The field.
        field: String,
        /// What the example says.
        expected: String,
        /// What the rule gave (`None`: the field is absent).
        actual: Option<String>,
    },
    /// The spans did not move with text put before the example.
    Shift {
        /// How many characters were put before.
        by: usize,
    },
    /// Extraction stopped at a limit (see [`crate::exec::Limits`]).
    Exceeded(String),
}

/// What came of one example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// As expected.
    Pass,
    /// Not as expected.
    Fail(Vec<Problem>),
    /// A `todo` that still fails (not a failure of the run).
    TodoFail(Vec<Problem>),
    /// A `todo` that passes now: its `todo` can go.
    TodoPass,
}

/// One example's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The rule.
    pub rule: String,
    /// The rule file, as loaded.
    pub file: String,
    /// Line of the example in it.
    pub line: usize,
    /// The example text.
    pub text: String,
    /// `counterexample` rather than `example`.
    pub counter: bool,
    /// What came of it.
    pub status: Status,
}

impl Outcome {
    /// `file:line` of the example.
    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    /// Whether this outcome fails the run.
    pub fn failed(&self) -> bool {
        matches!(self.status, Status::Fail(_))
    }
}

/// Counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Examples that passed.
    pub passed: usize,
    /// Examples that failed.
    pub failed: usize,
    /// `todo` examples still failing.
    pub todo: usize,
    /// `todo` examples that pass now.
    pub todo_passing: usize,
}

/// Counts outcomes.
pub fn summarize(outcomes: &[Outcome]) -> Summary {
    let mut s = Summary::default();
    for o in outcomes {
        match o.status {
            Status::Pass => s.passed += 1,
            Status::Fail(_) => s.failed += 1,
            Status::TodoFail(_) => s.todo += 1,
            Status::TodoPass => s.todo_passing += 1,
        }
    }
    s
}

/// The text put before each example to check that spans move with it: it
/// adds no token, and takes 3 characters and 7 bytes.
pub const SHIFT_PREFIX: &str = "\u{3000}\n\n";

/// Runs every example of every rule of the packs given (not of packs they only use), in rule
/// order.
pub fn run_examples(rules: &Rules) -> Vec<Outcome> {
    let prog = &rules.program;
    let mut scratch = exec::Scratch::new();
    let mut out = vec![];
    let own = |r: &crate::check::hir::Rule| prog.set.packs.get(r.pack.0 as usize).is_none_or(|p| p.own);
    for (ri, rule) in prog.set.rules.iter().enumerate().filter(|(_, r)| own(r)) {
        for ex in &rule.examples {
            let shifted_text = format!("{SHIFT_PREFIX}{}", ex.text.value);
            let both = rule_records(rules, ri as u32, &ex.text.value, &mut scratch)
                .and_then(|a| Ok((a, rule_records(rules, ri as u32, &shifted_text, &mut scratch)?)));
            let problems = match both {
                Ok(((actual, others), (shifted, _))) => {
                    let mut problems = compare(ex, &actual, &others);
                    let n = SHIFT_PREFIX.chars().count();
                    let moved: Vec<Record> = actual.iter().map(|r| shift(r, n)).collect();
                    if shifted != moved {
                        problems.push(Problem::Shift { by: n });
                    }
                    problems
                }
                Err(e) => vec![Problem::Exceeded(e.to_string())],
            };
            let status = match (ex.todo, problems.is_empty()) {
                (false, true) => Status::Pass,
                (false, false) => Status::Fail(problems),
                (true, true) => Status::TodoPass,
                (true, false) => Status::TodoFail(problems),
            };
            let file = prog.set.sources.get(ex.span.file);
            out.push(Outcome {
                rule: rule.name.clone(),
                file: file.name.clone(),
                line: file.line_col(ex.span.start).0,
                text: ex.text.value.clone(),
                counter: ex.counter,
                status,
            });
        }
    }
    out
}

/// What one rule emits (and vetoes) in a text, after conflict resolution; and the other rules'
/// records kept there, for a missing record's note.
fn rule_records(
    rules: &Rules,
    rule: u32,
    text: &str,
    scratch: &mut exec::Scratch,
) -> Result<(Vec<Record>, Vec<Record>), Exceeded> {
    let doc = Document::new(text);
    let ex = exec::extract(&rules.program, &doc, &Options::default(), scratch)?;
    let others: Vec<u32> = ex
        .kept
        .iter()
        .copied()
        .filter(|&id| !matches!(ex.annotations[id as usize].origin, Origin::Rule { rule: r, .. } if r.0 == rule))
        .collect();
    let others = others
        .iter()
        .map(|&id| output::record(&rules.program, &doc, &ex.annotations[id as usize], OffsetUnit::Chars))
        .collect();
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
    Ok((records, others))
}

fn shift(r: &Record, n: usize) -> Record {
    fn shift_value(v: &mut FieldValue, n: usize) {
        match v {
            FieldValue::Span(s) => (s.start, s.end) = (s.start + n, s.end + n),
            FieldValue::List(items) => items.iter_mut().for_each(|i| shift_value(i, n)),
            _ => {}
        }
    }
    let mut r = r.clone();
    r.start += n;
    r.end += n;
    for v in r.fields.values_mut().chain(r.captures.values_mut()) {
        shift_value(v, n);
    }
    r
}

/// A field value as an example would write it: spans by their text.
pub fn shown(v: &Json) -> String {
    match v {
        Json::Object(o) => o.get("text").map_or_else(|| v.to_string(), |t| t.to_string()),
        Json::Array(items) => format!("[{}]", items.iter().map(shown).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

/// An expected value as written in the example: strings quoted, lists bracketed.
fn expect_shown(v: &ExpectValue) -> String {
    match v {
        ExpectValue::Str(s) => Json::String(s.clone()).to_string(),
        ExpectValue::Num(n) => n.normalize().to_string(),
        ExpectValue::Bool(b) => b.to_string(),
        ExpectValue::List(items) => format!("[{}]", items.iter().map(expect_shown).collect::<Vec<_>>().join(", ")),
    }
}

fn expect_matches(want: &ExpectValue, got: &Json) -> bool {
    match (want, got) {
        (ExpectValue::Str(s), Json::String(g)) => s == g,
        (ExpectValue::Str(s), Json::Object(o)) => o.get("text").and_then(Json::as_str) == Some(s.as_str()),
        (ExpectValue::Num(w), Json::Number(n)) => {
            let t = n.to_string();
            let got = rust_decimal::Decimal::from_str_exact(&t).or_else(|_| rust_decimal::Decimal::from_scientific(&t));
            got.is_ok_and(|g| g == *w)
        }
        (ExpectValue::Num(w), Json::String(g)) => g == &w.normalize().to_string(),
        (ExpectValue::Bool(w), Json::Bool(g)) => w == g,
        (ExpectValue::List(items), Json::Array(g)) => {
            items.len() == g.len() && items.iter().zip(g).all(|(w, x)| expect_matches(w, x))
        }
        _ => false,
    }
}

fn fields_of(r: &Record) -> Vec<(String, String)> {
    r.fields.iter().map(|(k, v)| (k.to_string(), shown(&v.to_json()))).collect()
}

fn unexpected(r: &Record) -> Problem {
    Problem::Unexpected { label: r.label.clone(), text: r.text.clone(), fields: fields_of(r) }
}

/// A label's name without the prefix of the pack it comes from: records carry bare names.
fn bare(name: &str) -> &str {
    name.rsplit("::").next().unwrap_or(name)
}

/// Compares what the rule emitted with what the example states (`others`: what other rules
/// left in the output there, for the notes on missing records).
fn compare(ex: &Example, actual: &[Record], others: &[Record]) -> Vec<Problem> {
    if ex.counter {
        return actual.iter().map(unexpected).collect();
    }
    let whole = ex.text.value.trim();
    let mut used = vec![false; actual.len()];
    let mut problems = vec![];
    if ex.expects.is_empty() {
        match actual.iter().position(|r| r.text == whole) {
            Some(i) => used[i] = true,
            None => problems.push(Problem::Missing {
                label: "(any label)".into(),
                text: whole.into(),
                fields: vec![],
                elsewhere: None,
            }),
        }
    }
    for e in &ex.expects {
        let span = e.text.as_ref().map_or(whole, |t| t.value.as_str());
        let found =
            (0..actual.len()).find(|&i| !used[i] && actual[i].label == bare(&e.label.name) && actual[i].text == span);
        let Some(i) = found else {
            let label = bare(&e.label.name);
            // The rule's own annotation of that label over other text: the span differs.
            let near = (0..actual.len()).find(|&i| {
                !used[i]
                    && actual[i].label == label
                    && (actual[i].text.contains(span) || span.contains(&actual[i].text))
            });
            if let Some(i) = near {
                used[i] = true;
                problems.push(Problem::Span {
                    label: label.into(),
                    expected: span.into(),
                    actual: actual[i].text.clone(),
                });
                continue;
            }
            let fields = e.fields.iter().map(|(k, v)| (k.name.clone(), expect_shown(v))).collect();
            let by_rule = |r: &Record| (r.rule.clone(), r.text.clone());
            let elsewhere = others
                .iter()
                .find(|r| r.label == label && r.text == span)
                .or_else(|| {
                    others.iter().find(|r| r.label == label && (r.text.contains(span) || span.contains(&r.text)))
                })
                .map(by_rule);
            problems.push(Problem::Missing { label: e.label.name.clone(), text: span.into(), fields, elsewhere });
            continue;
        };
        used[i] = true;
        let r = &actual[i];
        for (name, want) in &e.fields {
            let got = r.fields.get(&name.name).map(FieldValue::to_json);
            if !got.as_ref().is_some_and(|g| expect_matches(want, g)) {
                problems.push(Problem::Field {
                    label: r.label.clone(),
                    text: r.text.clone(),
                    field: name.name.clone(),
                    expected: expect_shown(want),
                    actual: got.as_ref().map(shown),
                });
            }
        }
    }
    problems.extend(actual.iter().zip(&used).filter(|(_, u)| !**u).map(|(r, _)| unexpected(r)));
    problems
}
