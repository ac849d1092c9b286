//! Scoring extractions against gold annotations.
//!
//! In: gold documents as JSON Lines (each line an object with the document's
//! `id`, `text` and span layers such as `entities` or `timex`, offsets in
//! Unicode scalar values, end exclusive), a compiled rule set and a
//! [`Config`] (which layer, which system label is which gold type, which gold
//! spans count). Out: a [`Scores`] table: per label true/false positives and
//! false negatives under strict (same offsets) and lenient (overlapping)
//! matching, the accuracy of normalized values on matched spans, per-rule
//! counts, and every error with its context for `--show`.
//!
//! A value is right when it is the gold value, or denotes the same days written another way
//! (`2017-W28` and `2017-07-10/2017-07-16`, the century `19` and `1900-01-01/1999-12-31`; see
//! [`crate::exec::time::same_value`]).
//!
//! Matching is one-to-one: a record matches at most one gold span and a gold
//! span at most one record. Strict pairs need identical offsets; lenient
//! pairs are chosen greedily, largest overlap first (ties: the pair whose
//! ends are closest, then document order).

pub mod report;

use crate::exec::time::same_value;
use crate::exec::{Date, Options, Scratch};
use crate::output::OffsetUnit;
use crate::Rules;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// Pronouns that do not count as names in [`Config::names_only`].
pub const PRONOUNS: &[&str] = &[
    "i",
    "me",
    "my",
    "mine",
    "myself",
    "we",
    "us",
    "our",
    "ours",
    "ourselves",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "he",
    "him",
    "his",
    "himself",
    "she",
    "her",
    "hers",
    "herself",
    "it",
    "its",
    "itself",
    "they",
    "them",
    "their",
    "theirs",
    "themselves",
    "this",
    "that",
    "these",
    "those",
    "who",
    "whom",
    "whose",
    "which",
    "what",
    "one",
    "ones",
];

/// A condition on gold spans or documents (`--gold-where`).
#[derive(Debug, Clone, PartialEq)]
pub struct Where {
    /// The field tested: a document field if the document has it, else a span field.
    pub key: String,
    /// The value compared with (the field's string form).
    pub value: String,
    /// `key!=value` rather than `key=value`.
    pub negated: bool,
}

impl Where {
    /// Parses `key=value` or `key!=value`.
    pub fn parse(s: &str) -> Result<Where, String> {
        let (key, value, negated) = if let Some((k, v)) = s.split_once("!=") {
            (k, v, true)
        } else if let Some((k, v)) = s.split_once('=') {
            (k, v, false)
        } else {
            return Err(format!("`{s}` is not `field=value` or `field!=value`"));
        };
        if key.trim().is_empty() {
            return Err(format!("`{s}` names no field"));
        }
        Ok(Where { key: key.trim().to_string(), value: value.trim().to_string(), negated })
    }

    fn holds(&self, obj: &Map<String, Json>) -> bool {
        let equal = obj.get(&self.key).is_some_and(|v| json_text(v) == self.value);
        equal != self.negated
    }
}

/// `System=GOLD[|GOLD...]`: records labelled `System` are scored against gold spans of those types.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelMap {
    /// The system label.
    pub label: String,
    /// The gold types it is scored against.
    pub gold: Vec<String>,
}

impl LabelMap {
    /// Parses `Person=PERSON` or `Date=DATE|TIME`.
    pub fn parse(s: &str) -> Result<LabelMap, String> {
        let (label, gold) = s.split_once('=').ok_or_else(|| format!("`{s}` is not `Label=GOLD_TYPE`"))?;
        let gold: Vec<String> = gold.split('|').map(|g| g.trim().to_string()).filter(|g| !g.is_empty()).collect();
        if label.trim().is_empty() || gold.is_empty() {
            return Err(format!("`{s}` is not `Label=GOLD_TYPE`"));
        }
        Ok(LabelMap { label: label.trim().to_string(), gold })
    }

    /// The mapping of the bundled news pack for a layer.
    pub fn news_defaults(layer: &str) -> Vec<LabelMap> {
        let pairs: &[(&str, &str)] = if layer == "timex" {
            &[("Date", "DATE")]
        } else {
            &[("Person", "PERSON"), ("Place", "LOC"), ("Organization", "ORG")]
        };
        pairs.iter().map(|(l, g)| LabelMap { label: l.to_string(), gold: vec![g.to_string()] }).collect()
    }
}

/// What is scored and how.
#[derive(Debug, Clone)]
pub struct Config {
    /// The gold field holding the spans (`entities`, `timex`).
    pub layer: String,
    /// System labels and the gold types they are scored against, in report order.
    pub map: Vec<LabelMap>,
    /// Conditions every gold span (or document) must meet.
    pub filters: Vec<Where>,
    /// Keep only gold names: spans with a `kind` field must have `kind == "name"`;
    /// spans without one must contain an upper-case letter and not be a bare pronoun.
    pub names_only: bool,
    /// The record field holding the normalized value.
    pub value_field: String,
    /// The gold span field holding the normalized value.
    pub gold_value_field: String,
    /// The document field with the anchor date for relative dates.
    pub anchor_field: Option<String>,
    /// The anchor date when a document has none.
    pub anchor: Option<Date>,
}

impl Config {
    /// Scoring of `layer` with the news pack's label mapping and no filters.
    pub fn new(layer: &str) -> Config {
        Config {
            layer: layer.to_string(),
            map: LabelMap::news_defaults(layer),
            filters: Vec::new(),
            names_only: false,
            value_field: "value".to_string(),
            gold_value_field: "value".to_string(),
            anchor_field: Some("date".to_string()),
            anchor: None,
        }
    }
}

/// A gold file that could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct GoldError {
    /// 1-based line of the gold file.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// One gold span.
#[derive(Debug, Clone)]
struct GoldSpan {
    start: usize,
    end: usize,
    gold_type: String,
    value: Option<String>,
}

/// One gold document, parsed.
#[derive(Debug, Clone)]
pub struct GoldDoc {
    id: String,
    text: String,
    anchor: Option<Date>,
    /// Spans of the layer that pass the filters, any type.
    spans: Vec<GoldSpan>,
    /// Whether the document passed the document-level filters.
    selected: bool,
}

/// Reads gold JSON Lines; blank lines are skipped.
pub fn read_gold(text: &str, cfg: &Config) -> Result<Vec<GoldDoc>, GoldError> {
    let mut docs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let err = |message: String| GoldError { line: i + 1, message };
        let obj = match serde_json::from_str::<Json>(line) {
            Ok(Json::Object(o)) => o,
            Ok(_) => return Err(err("not a JSON object".into())),
            Err(e) => return Err(err(format!("invalid JSON: {e}"))),
        };
        docs.push(gold_doc(&obj, cfg, docs.len()).map_err(err)?);
    }
    Ok(docs)
}

fn gold_doc(obj: &Map<String, Json>, cfg: &Config, index: usize) -> Result<GoldDoc, String> {
    let text = obj.get("text").and_then(Json::as_str).ok_or("the document has no string field `text`")?.to_string();
    let id = obj.get("id").map(json_text).unwrap_or_else(|| format!("#{}", index + 1));
    let anchor = cfg.anchor_field.as_ref().and_then(|f| obj.get(f)).and_then(Json::as_str).and_then(Date::parse);
    let (doc_filters, span_filters): (Vec<&Where>, Vec<&Where>) =
        cfg.filters.iter().partition(|w| obj.contains_key(&w.key));
    let selected = doc_filters.iter().all(|w| w.holds(obj));
    let n_chars = text.chars().count();
    let mut spans = Vec::new();
    match obj.get(&cfg.layer) {
        None | Some(Json::Null) => {}
        Some(Json::Array(items)) => {
            for (k, item) in items.iter().enumerate() {
                let Json::Object(span) = item else {
                    return Err(format!("`{}[{k}]` is not an object", cfg.layer));
                };
                let offset = |f: &str| span.get(f).and_then(Json::as_u64).map(|n| n as usize);
                let (Some(start), Some(end)) = (offset("start"), offset("end")) else {
                    return Err(format!("`{}[{k}]` has no numeric `start` and `end`", cfg.layer));
                };
                if start > end || end > n_chars {
                    return Err(format!(
                        "`{}[{k}]` spans {start}..{end}, outside the text ({n_chars} characters)",
                        cfg.layer
                    ));
                }
                if !span_filters.iter().all(|w| w.holds(span)) {
                    continue;
                }
                if cfg.names_only && !is_name(span, &text, start, end) {
                    continue;
                }
                let gold_type = span.get("type").map(json_text).unwrap_or_default();
                let value = span.get(&cfg.gold_value_field).filter(|v| !v.is_null()).map(json_text);
                spans.push(GoldSpan { start, end, gold_type, value });
            }
        }
        Some(_) => return Err(format!("`{}` is not an array", cfg.layer)),
    }
    Ok(GoldDoc { id, text, anchor, spans, selected })
}

fn is_name(span: &Map<String, Json>, text: &str, start: usize, end: usize) -> bool {
    if let Some(kind) = span.get("kind") {
        return json_text(kind) == "name";
    }
    let s: String = text.chars().skip(start).take(end - start).collect();
    s.chars().any(char::is_uppercase) && !PRONOUNS.contains(&s.trim().to_lowercase().as_str())
}

fn json_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Counts of one matching mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Records matched to a gold span.
    pub tp: usize,
    /// Records matched to none.
    pub fp: usize,
    /// Gold spans matched to no record.
    pub fn_: usize,
}

impl Counts {
    /// tp / (tp + fp); 0 when there are no records.
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    /// tp / (tp + fn); 0 when there is no gold.
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    /// The harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }
    fn add(&mut self, o: Counts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Normalized values compared on matched pairs whose gold span has a value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ValueCounts {
    /// Matched pairs with a gold value.
    pub compared: usize,
    /// Of those, pairs whose record value equals the gold value exactly.
    pub correct: usize,
}

impl ValueCounts {
    /// correct / compared.
    pub fn accuracy(&self) -> f64 {
        ratio(self.correct, self.compared)
    }
    fn add(&mut self, o: ValueCounts) {
        self.compared += o.compared;
        self.correct += o.correct;
    }
}

/// The scores of one system label.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelScore {
    /// The system label.
    pub label: String,
    /// The gold types it was scored against.
    pub gold_types: Vec<String>,
    /// Gold spans of those types.
    pub gold: usize,
    /// Records of the label.
    pub system: usize,
    /// Exact-offset matching.
    pub strict: Counts,
    /// Overlap matching.
    pub lenient: Counts,
    /// Values on strictly matched pairs.
    pub strict_values: ValueCounts,
    /// Values on leniently matched pairs.
    pub lenient_values: ValueCounts,
}

/// What one rule's records of one label scored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleScore {
    /// The rule's name.
    pub rule: String,
    /// The rule's `file:line`.
    pub source: String,
    /// The label of its records.
    pub label: String,
    /// Records scored.
    pub records: usize,
    /// Records matched under strict matching.
    pub strict_correct: usize,
    /// Records matched under lenient matching.
    pub lenient_correct: usize,
    /// Matched records whose value was compared with a gold value (lenient).
    pub values_compared: usize,
    /// Of those, the correct ones.
    pub values_correct: usize,
}

/// The kind of an error listed by `--show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ErrorKind {
    /// A record no gold span matched.
    FalsePositive,
    /// A gold span no record matched.
    FalseNegative,
    /// A matched pair whose values differ.
    WrongValue,
}

/// One error, with where it is and what was near it.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorItem {
    /// What kind of error.
    pub kind: ErrorKind,
    /// The system label of the row.
    pub label: String,
    /// The rule of the record (false positives and wrong values).
    pub rule: String,
    /// The document id.
    pub doc: String,
    /// Character offsets.
    pub start: usize,
    /// End offset (exclusive).
    pub end: usize,
    /// 1-based line and column of `start`.
    pub line: usize,
    /// Column.
    pub column: usize,
    /// The span's text.
    pub text: String,
    /// Text before and after (at most 30 characters each, on one line).
    pub before: String,
    /// Text after.
    pub after: String,
    /// A hint: what overlapped on the other side (gold span of another type, record of another label),
    /// or, for values, `expected X, got Y`.
    pub note: String,
}

/// Everything an evaluation found.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// The layer scored.
    pub layer: String,
    /// Documents scored (selected by the filters).
    pub documents: usize,
    /// Documents in the gold file.
    pub documents_read: usize,
    /// Per label, in the order of the mapping.
    pub labels: Vec<LabelScore>,
    /// Per rule and label, by rule name.
    pub rules: Vec<RuleScore>,
    /// Errors (lenient false positives and negatives, wrong values on lenient matches), in document order.
    pub errors: Vec<ErrorItem>,
}

impl Scores {
    /// Sums over all labels.
    pub fn overall(&self) -> (Counts, Counts, ValueCounts) {
        let (mut s, mut l, mut v) = (Counts::default(), Counts::default(), ValueCounts::default());
        for row in &self.labels {
            s.add(row.strict);
            l.add(row.lenient);
            v.add(row.lenient_values);
        }
        (s, l, v)
    }
}

/// A record reduced to what scoring needs.
struct SysSpan {
    label: String,
    start: usize,
    end: usize,
    rule: String,
    source: String,
    value: Option<String>,
}

/// Runs the rules on every selected gold document and scores the records.
pub fn evaluate(rules: &Rules, docs: &[GoldDoc], cfg: &Config) -> Scores {
    let mut labels: Vec<LabelScore> = cfg
        .map
        .iter()
        .map(|m| LabelScore {
            label: m.label.clone(),
            gold_types: m.gold.clone(),
            gold: 0,
            system: 0,
            strict: Counts::default(),
            lenient: Counts::default(),
            strict_values: ValueCounts::default(),
            lenient_values: ValueCounts::default(),
        })
        .collect();
    let mut rules_scored: BTreeMap<(String, String), RuleScore> = BTreeMap::new();
    let mut errors = Vec::new();
    let mut scratch = Scratch::new();
    let mut documents = 0;
    for doc in docs.iter().filter(|d| d.selected) {
        documents += 1;
        let opts = Options { anchor: doc.anchor.or(cfg.anchor), ..Options::default() };
        // A document over the limits is scored with no records (and said so).
        let records = rules.extract_with(&doc.text, &opts, OffsetUnit::Chars, &mut scratch).unwrap_or_else(|e| {
            eprintln!("trawl: {}: {e}; scored with no records", doc.id);
            vec![]
        });
        let all: Vec<SysSpan> = records
            .into_iter()
            .map(|r| SysSpan {
                value: r
                    .fields
                    .get(&cfg.value_field)
                    .filter(|v| !matches!(v, crate::output::FieldValue::Span(_)))
                    .map(|v| json_text(&v.to_json())),
                label: r.label,
                start: r.start,
                end: r.end,
                rule: r.rule,
                source: r.source,
            })
            .collect();
        let ctx = DocContext::new(doc);
        for (row, m) in labels.iter_mut().zip(&cfg.map) {
            let sys: Vec<&SysSpan> = all.iter().filter(|s| s.label == m.label).collect();
            let gold: Vec<&GoldSpan> = doc.spans.iter().filter(|g| m.gold.contains(&g.gold_type)).collect();
            row.gold += gold.len();
            row.system += sys.len();
            let strict = match_pairs(&sys, &gold, true);
            let lenient = match_pairs(&sys, &gold, false);
            row.strict.add(counts(&strict, sys.len(), gold.len()));
            row.lenient.add(counts(&lenient, sys.len(), gold.len()));
            row.strict_values.add(values(&strict, &sys, &gold));
            let strict_ok = matched(strict.iter().map(|p| p.0), sys.len());
            let lenient_ok = matched(lenient.iter().map(|p| p.0), sys.len());
            for (i, s) in sys.iter().enumerate() {
                let entry = rules_scored.entry((s.rule.clone(), s.label.clone())).or_insert_with(|| RuleScore {
                    rule: s.rule.clone(),
                    source: s.source.clone(),
                    label: s.label.clone(),
                    ..RuleScore::default()
                });
                entry.records += 1;
                entry.strict_correct += strict_ok[i] as usize;
                entry.lenient_correct += lenient_ok[i] as usize;
                if !lenient_ok[i] {
                    let other = doc
                        .spans
                        .iter()
                        .filter(|g| overlap(g.start, g.end, s.start, s.end) > 0)
                        .max_by_key(|g| overlap(g.start, g.end, s.start, s.end));
                    let note = match other {
                        Some(g) if !m.gold.contains(&g.gold_type) => {
                            format!("gold has {} {:?}", g.gold_type, ctx.slice(g.start, g.end))
                        }
                        Some(g) => format!("gold {:?} went to another record", ctx.slice(g.start, g.end)),
                        None => String::new(),
                    };
                    errors.push(ctx.error(ErrorKind::FalsePositive, &m.label, &s.rule, s.start, s.end, note));
                }
            }
            // Values on lenient matches: the label's accuracy, the rule's counts, the wrong ones listed.
            for &(si, gi) in &lenient {
                let (s, g) = (sys[si], gold[gi]);
                let Some(expected) = &g.value else { continue };
                let right = s.value.as_ref().is_some_and(|v| same_value(v, expected));
                row.lenient_values.add(ValueCounts { compared: 1, correct: right as usize });
                let entry = rules_scored.get_mut(&(s.rule.clone(), s.label.clone())).expect("counted above");
                entry.values_compared += 1;
                entry.values_correct += right as usize;
                if !right {
                    let got = s.value.as_deref().unwrap_or("nothing");
                    let note = format!("expected {expected}, got {got} (gold {:?})", ctx.slice(g.start, g.end));
                    errors.push(ctx.error(ErrorKind::WrongValue, &m.label, &s.rule, s.start, s.end, note));
                }
            }
            let gold_matched = matched(lenient.iter().map(|p| p.1), gold.len());
            for (g, _) in gold.iter().zip(&gold_matched).filter(|(_, &found)| !found) {
                let other = all
                    .iter()
                    .filter(|s| overlap(g.start, g.end, s.start, s.end) > 0)
                    .max_by_key(|s| overlap(g.start, g.end, s.start, s.end));
                let note = match other {
                    Some(s) if s.label != m.label => {
                        format!("found as {} {:?} by {}", s.label, ctx.slice(s.start, s.end), s.rule)
                    }
                    Some(s) => format!("{:?} by {} went to another gold span", ctx.slice(s.start, s.end), s.rule),
                    None => String::new(),
                };
                errors.push(ctx.error(ErrorKind::FalseNegative, &m.label, "", g.start, g.end, note));
            }
        }
    }
    errors.sort_by(|a, b| (&a.doc, a.start, a.end, a.kind, &a.label).cmp(&(&b.doc, b.start, b.end, b.kind, &b.label)));
    Scores {
        layer: cfg.layer.clone(),
        documents,
        documents_read: docs.len(),
        labels,
        rules: rules_scored.into_values().collect(),
        errors,
    }
}

fn overlap(a0: usize, a1: usize, b0: usize, b1: usize) -> usize {
    a1.min(b1).saturating_sub(a0.max(b0))
}

/// One-to-one pairs `(system index, gold index)`.
fn match_pairs(sys: &[&SysSpan], gold: &[&GoldSpan], strict: bool) -> Vec<(usize, usize)> {
    let mut candidates = Vec::new();
    for (si, s) in sys.iter().enumerate() {
        for (gi, g) in gold.iter().enumerate() {
            let ov = overlap(s.start, s.end, g.start, g.end);
            let same = s.start == g.start && s.end == g.end;
            if same || (!strict && ov > 0) {
                let distance = s.start.abs_diff(g.start) + s.end.abs_diff(g.end);
                candidates.push((std::cmp::Reverse(ov), distance, gi, si));
            }
        }
    }
    candidates.sort_unstable();
    let (mut sys_used, mut gold_used) = (vec![false; sys.len()], vec![false; gold.len()]);
    let mut pairs = Vec::new();
    for (_, _, gi, si) in candidates {
        if !sys_used[si] && !gold_used[gi] {
            sys_used[si] = true;
            gold_used[gi] = true;
            pairs.push((si, gi));
        }
    }
    pairs
}

fn counts(pairs: &[(usize, usize)], n_sys: usize, n_gold: usize) -> Counts {
    Counts { tp: pairs.len(), fp: n_sys - pairs.len(), fn_: n_gold - pairs.len() }
}

fn values(pairs: &[(usize, usize)], sys: &[&SysSpan], gold: &[&GoldSpan]) -> ValueCounts {
    let mut v = ValueCounts::default();
    for &(si, gi) in pairs {
        if let Some(expected) = &gold[gi].value {
            v.compared += 1;
            v.correct += sys[si].value.as_ref().is_some_and(|v| same_value(v, expected)) as usize;
        }
    }
    v
}

/// Which of `n` items the given indices mark.
fn matched(indices: impl Iterator<Item = usize>, n: usize) -> Vec<bool> {
    let mut v = vec![false; n];
    indices.for_each(|i| v[i] = true);
    v
}

/// A document's text by character, for slices, line numbers and context.
struct DocContext<'a> {
    id: &'a str,
    chars: Vec<char>,
}

impl<'a> DocContext<'a> {
    fn new(doc: &'a GoldDoc) -> DocContext<'a> {
        DocContext { id: &doc.id, chars: doc.text.chars().collect() }
    }

    fn slice(&self, start: usize, end: usize) -> String {
        self.chars[start.min(self.chars.len())..end.min(self.chars.len())].iter().collect()
    }

    fn one_line(&self, start: usize, end: usize) -> String {
        self.slice(start, end).chars().map(|c| if c.is_whitespace() { ' ' } else { c }).collect()
    }

    fn error(&self, kind: ErrorKind, label: &str, rule: &str, start: usize, end: usize, note: String) -> ErrorItem {
        let line = 1 + self.chars[..start].iter().filter(|&&c| c == '\n').count();
        let line_start = self.chars[..start].iter().rposition(|&c| c == '\n').map_or(0, |p| p + 1);
        ErrorItem {
            kind,
            label: label.to_string(),
            rule: rule.to_string(),
            doc: self.id.to_string(),
            start,
            end,
            line,
            column: start - line_start + 1,
            text: self.slice(start, end),
            before: self.one_line(start.saturating_sub(30), start),
            after: self.one_line(end, (end + 30).min(self.chars.len())),
            note,
        }
    }
}
