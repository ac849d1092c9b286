//! Output records: annotations as JSON Lines, and a readable text form.
//!
//! # Record schema, version 1
//!
//! One JSON object per line. An annotation:
//!
//! ```json
//! {"v":1,"doc":"seed.txt","label":"Person","start":929,"end":962,
//!  "text":"Foreign Minister Yoshimasa Hayashi",
//!  "fields":{"name":{"text":"Yoshimasa Hayashi","start":946,"end":962},"title":{...}},
//!  "rule":"person_with_title","source":"rules/news/people/people.trawl:12",
//!  "captures":{"name":{"text":"Yoshimasa Hayashi","start":946,"end":962}}}
//! ```
//!
//! - `v`: schema version (1).
//! - `doc`: the document id (the input path as given, `-` for standard input).
//! - `start`, `end`: offsets of the annotation, end exclusive, in Unicode
//!   scalar values (Python `str` offsets) by default, in UTF-8 bytes with
//!   `--offsets bytes`.
//! - `text`: the annotated text, exactly `doc_text[start:end]`.
//! - `fields`: the fields the rule gave. A field holding a span is an object
//!   `{"text","start","end"}` (same offset unit); a normalized value is a
//!   plain string or number; a list is an array. Fields whose value could not
//!   be computed (an unbound optional capture) are left out.
//! - `rule`, `source`: provenance: the rule's name and `file:line`.
//! - `captures`: every capture the match bound, as spans.
//!
//! A document that could not be processed gives one error record instead:
//! `{"v":1,"doc":"...","error":{"kind":"...","message":"..."}}` with `kind`
//! one of `unreadable`, `invalid_utf8`, `binary`, `too_large`, `internal`.
//! Keys are written in the order shown; field keys in the order the rule gives them.

use crate::exec::{Annotation, Extraction, Origin, Value};
use crate::text::Document;
use crate::Program;
use serde_json::{json, Map, Value as Json};

/// Schema version of the records.
pub const SCHEMA_VERSION: u32 = 1;

/// Which offsets records carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OffsetUnit {
    /// Unicode scalar values (Python `str` indices).
    #[default]
    Chars,
    /// UTF-8 bytes.
    Bytes,
}

/// One output annotation, ready to serialize.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The label.
    pub label: String,
    /// Start offset.
    pub start: usize,
    /// End offset (exclusive).
    pub end: usize,
    /// The annotated text.
    pub text: String,
    /// Fields as JSON.
    pub fields: Map<String, Json>,
    /// Rule name (empty for lexicon hits).
    pub rule: String,
    /// `file:line` of the rule.
    pub source: String,
    /// Capture bindings as JSON spans.
    pub captures: Map<String, Json>,
}

/// A record as written: the same keys in the same order as [`Record::to_json`], serialized
/// straight from the record's fields (no JSON tree is built per record).
#[derive(serde::Serialize)]
struct Line<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    v: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    doc: Option<&'a str>,
    label: &'a str,
    start: usize,
    end: usize,
    text: &'a str,
    fields: &'a Map<String, Json>,
    rule: &'a str,
    source: &'a str,
    captures: &'a Map<String, Json>,
}

impl Record {
    /// Appends the record as one line of JSON (no line break) to `out`: with `doc`, a whole
    /// record line; without, the record as filter mode nests it (no `v` or `doc`).
    pub fn write_json(&self, doc: Option<&str>, out: &mut Vec<u8>) {
        let line = Line {
            v: doc.map(|_| SCHEMA_VERSION),
            doc,
            label: &self.label,
            start: self.start,
            end: self.end,
            text: &self.text,
            fields: &self.fields,
            rule: &self.rule,
            source: &self.source,
            captures: &self.captures,
        };
        // Writing to a vector cannot fail, and every key is a string.
        let _ = serde_json::to_writer(out, &line);
    }

    /// The record as a JSON object for document `doc`.
    pub fn to_json(&self, doc: &str) -> Json {
        json!({
            "v": SCHEMA_VERSION,
            "doc": doc,
            "label": self.label,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "fields": self.fields,
            "rule": self.rule,
            "source": self.source,
            "captures": self.captures,
        })
    }

    /// One line for people: `label  start-end  "text"  field=value ...  (rule)`.
    pub fn to_text(&self) -> String {
        let mut s = format!("{:<12} {:>6}-{:<6} {:?}", self.label, self.start, self.end, self.text);
        for (k, v) in &self.fields {
            let shown = match v {
                Json::Object(o) => o.get("text").map_or_else(|| v.to_string(), |t| t.to_string()),
                Json::Array(items) => {
                    let parts: Vec<String> = items
                        .iter()
                        .map(|i| match i {
                            Json::Object(o) => o.get("text").map_or_else(|| i.to_string(), |t| t.to_string()),
                            other => other.to_string(),
                        })
                        .collect();
                    format!("[{}]", parts.join(", "))
                }
                other => other.to_string(),
            };
            s.push_str(&format!("  {k}={shown}"));
        }
        s.push_str(&format!("  ({})", self.rule));
        s
    }
}

/// An error record for a document.
pub fn error_record(doc: &str, kind: &str, message: &str) -> Json {
    json!({"v": SCHEMA_VERSION, "doc": doc, "error": {"kind": kind, "message": message}})
}

/// Turns an extraction into records.
pub fn records(prog: &Program, doc: &Document, ex: &Extraction, unit: OffsetUnit) -> Vec<Record> {
    ex.output.iter().map(|&id| record(prog, doc, &ex.annotations[id as usize], unit)).collect()
}

/// A record for a bare span (no fields, no provenance), such as a veto rule's match.
pub fn span_record(
    prog: &Program,
    doc: &Document,
    label: crate::check::hir::LabelId,
    s: u32,
    e: u32,
    unit: OffsetUnit,
) -> Record {
    let (start, end) = offsets(doc, s, e, unit);
    let text = doc.text[doc.tokens[s as usize].start as usize..doc.tokens[e as usize - 1].end as usize].to_string();
    Record {
        label: prog.set.labels[label.0 as usize].name.clone(),
        start,
        end,
        text,
        fields: Map::new(),
        rule: String::new(),
        source: String::new(),
        captures: Map::new(),
    }
}

fn offsets(doc: &Document, s: u32, e: u32, unit: OffsetUnit) -> (usize, usize) {
    let (a, b) = (&doc.tokens[s as usize], &doc.tokens[e as usize - 1]);
    match unit {
        OffsetUnit::Chars => (a.char_start as usize, b.char_end as usize),
        OffsetUnit::Bytes => (a.start as usize, b.end as usize),
    }
}

fn span_json(doc: &Document, s: u32, e: u32, unit: OffsetUnit) -> Json {
    let (a, b) = offsets(doc, s, e, unit);
    let text = &doc.text[doc.tokens[s as usize].start as usize..doc.tokens[e as usize - 1].end as usize];
    json!({"text": text, "start": a, "end": b})
}

/// The character offset of byte `b`, which lies inside a token or at its end.
fn char_offset(doc: &Document, b: u32) -> usize {
    let i = doc.tokens.partition_point(|t| t.end < b).min(doc.tokens.len().saturating_sub(1));
    let t = &doc.tokens[i];
    t.char_start as usize + doc.text[t.start as usize..b as usize].chars().count()
}

/// A part of a token (bytes `[s, e)` of the document) as a span object.
fn part_json(doc: &Document, s: u32, e: u32, unit: OffsetUnit) -> Json {
    let text = &doc.text[s as usize..e as usize];
    let (a, b) = match unit {
        OffsetUnit::Bytes => (s as usize, e as usize),
        OffsetUnit::Chars => {
            let a = char_offset(doc, s);
            (a, a + text.chars().count())
        }
    };
    json!({"text": text, "start": a, "end": b})
}

/// A number as JSON: integers of 64 bits as integers, other numbers as the nearest double, which
/// writes a decimal of up to 15 significant digits with exactly its digits (`0.99`, `12.5`).
fn number_json(n: rust_decimal::Decimal) -> Json {
    let n = n.normalize();
    if n.fract().is_zero() {
        if let Ok(i) = i64::try_from(n) {
            return json!(i);
        }
        if let Ok(u) = u64::try_from(n) {
            return json!(u);
        }
    }
    n.to_string().parse::<f64>().ok().and_then(serde_json::Number::from_f64).map_or(Json::Null, Json::Number)
}

fn value_json(doc: &Document, v: &Value, unit: OffsetUnit) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Num(n) => number_json(*n),
        Value::Part(s, e) => part_json(doc, *s, *e, unit),
        Value::Str(s) => Json::String(s.clone()),
        Value::Span(s, e) => span_json(doc, *s, *e, unit),
        Value::List(items) => Json::Array(items.iter().map(|i| value_json(doc, i, unit)).collect()),
    }
}

/// The record of one annotation.
pub fn record(prog: &Program, doc: &Document, a: &Annotation, unit: OffsetUnit) -> Record {
    let (start, end) = offsets(doc, a.start, a.end, unit);
    let text =
        doc.text[doc.tokens[a.start as usize].start as usize..doc.tokens[a.end as usize - 1].end as usize].to_string();
    let fields = a.fields.iter().map(|(k, v)| (k.clone(), value_json(doc, v, unit))).collect();
    let (rule, source, captures) = match &a.origin {
        Origin::Rule { rule, captures, .. } => {
            let r = &prog.set.rules[rule.0 as usize];
            let name = |i: usize| r.captures.get(i).unwrap_or_else(|| &r.groups[i - r.captures.len()].name).clone();
            let caps = captures.iter().map(|(i, v)| (name(*i as usize), value_json(doc, v, unit))).collect();
            (r.name.clone(), prog.set.sources.location(r.span), caps)
        }
        _ => (String::new(), String::new(), Map::new()),
    };
    Record { label: prog.set.labels[a.label.0 as usize].name.clone(), start, end, text, fields, rule, source, captures }
}
