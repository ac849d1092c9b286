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
//! - `internal`: `true` on a record of an internal label (`_Name`, or a label its pack does not
//!   export), written only with `trawl extract --internal`; absent otherwise.
//!
//! A document that could not be processed gives one error record instead:
//! `{"v":1,"doc":"...","error":{"kind":"...","message":"..."}}` with `kind`
//! one of `unreadable`, `invalid_utf8`, `binary`, `too_large`, `internal`.
//! Keys are written in the order shown; field keys in the order the rule gives them.

use crate::exec::{Annotation, Extraction, Origin, Value};
use crate::text::Document;
use crate::Program;
use serde::ser::{Serialize, SerializeMap, Serializer};
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

/// How records are written as JSON ([`crate::Rules::write_records`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Lines<'a> {
    /// Offsets in characters or bytes.
    pub unit: OffsetUnit,
    /// The document id: whole record lines (`v` and `doc` first); `None`: records as filter mode
    /// nests them.
    pub doc: Option<&'a str>,
    /// The records of internal labels too (`--internal`).
    pub internal: bool,
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

/// The character offset of byte `b`, which lies inside a token or at its end.
fn char_offset(doc: &Document, b: u32) -> usize {
    let i = doc.tokens.partition_point(|t| t.end < b).min(doc.tokens.len().saturating_sub(1));
    let t = &doc.tokens[i];
    t.char_start as usize + doc.text[t.start as usize..b as usize].chars().count()
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

/// A value of an annotation as written: a span as `{"text","start","end"}` in the document's
/// offsets, a number as [`number_json`] says, a list as an array.
struct ValueView<'a> {
    doc: &'a Document<'a>,
    v: &'a Value,
    unit: OffsetUnit,
}

/// A span as written.
#[derive(serde::Serialize)]
struct SpanView<'a> {
    text: &'a str,
    start: usize,
    end: usize,
}

impl Serialize for ValueView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (doc, unit) = (self.doc, self.unit);
        match self.v {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Num(n) => number_json(*n).serialize(s),
            Value::Str(text) => s.serialize_str(text),
            Value::Span(a, b) => {
                let (start, end) = offsets(doc, *a, *b, unit);
                SpanView { text: span_text(doc, *a, *b), start, end }.serialize(s)
            }
            Value::Part(a, b) => {
                let text = &doc.text[*a as usize..*b as usize];
                let (start, end) = match unit {
                    OffsetUnit::Bytes => (*a as usize, *b as usize),
                    OffsetUnit::Chars => {
                        let start = char_offset(doc, *a);
                        (start, start + text.chars().count())
                    }
                };
                SpanView { text, start, end }.serialize(s)
            }
            Value::List(items) => s.collect_seq(items.iter().map(|v| ValueView { doc, v, unit })),
        }
    }
}

/// Named values as a JSON object, in their order.
struct ValuesView<'a, I>(std::cell::Cell<Option<I>>, std::marker::PhantomData<&'a ()>);

impl<'a, I: Iterator<Item = (&'a str, ValueView<'a>)>> ValuesView<'a, I> {
    fn new(items: I) -> Self {
        ValuesView(std::cell::Cell::new(Some(items)), std::marker::PhantomData)
    }
}

impl<'a, I: Iterator<Item = (&'a str, ValueView<'a>)>> Serialize for ValuesView<'a, I> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.take().into_iter().flatten())
    }
}

/// The text of tokens `[s, e)`.
fn span_text<'t>(doc: &Document<'t>, s: u32, e: u32) -> &'t str {
    &doc.text[doc.tokens[s as usize].start as usize..doc.tokens[e as usize - 1].end as usize]
}

/// One annotation as a record line, serialized straight from the annotation: the keys of
/// [`Record::to_json`] in its order, no JSON tree and no [`Record`] built.
pub struct RecordView<'a> {
    prog: &'a Program,
    doc: &'a Document<'a>,
    a: &'a Annotation,
    unit: OffsetUnit,
    /// With a document id: a whole record line (`v`, `doc` first); without, as filter mode nests it.
    id: Option<&'a str>,
}

impl<'a> RecordView<'a> {
    /// The view of annotation `a` of `doc`.
    pub fn new(
        prog: &'a Program,
        doc: &'a Document<'a>,
        a: &'a Annotation,
        unit: OffsetUnit,
        id: Option<&'a str>,
    ) -> Self {
        RecordView { prog, doc, a, unit, id }
    }

    /// Its label.
    pub fn label(&self) -> &'a str {
        &self.prog.set.labels[self.a.label.0 as usize].name
    }

    /// Appends it as one line of JSON (no line break) to `out`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        // Writing to a vector cannot fail, and every key is a string.
        let _ = serde_json::to_writer(out, self);
    }
}

impl Serialize for RecordView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (prog, doc, a, unit) = (self.prog, self.doc, self.a, self.unit);
        let view = |v| ValueView { doc, v, unit };
        let (start, end) = offsets(doc, a.start, a.end, unit);
        let mut m = s.serialize_map(None)?;
        if let Some(id) = self.id {
            m.serialize_entry("v", &SCHEMA_VERSION)?;
            m.serialize_entry("doc", id)?;
        }
        m.serialize_entry("label", self.label())?;
        if !prog.set.labels[a.label.0 as usize].output {
            m.serialize_entry("internal", &true)?;
        }
        m.serialize_entry("start", &start)?;
        m.serialize_entry("end", &end)?;
        m.serialize_entry("text", span_text(doc, a.start, a.end))?;
        m.serialize_entry("fields", &ValuesView::new(a.fields.iter().map(|(k, v)| (&**k, view(v)))))?;
        match &a.origin {
            Origin::Rule { rule, captures, .. } => {
                let r = &prog.set.rules[rule.0 as usize];
                let name =
                    |i: usize| r.captures.get(i).unwrap_or_else(|| &r.groups[i - r.captures.len()].name).as_str();
                m.serialize_entry("rule", &r.name)?;
                m.serialize_entry("source", prog.location(*rule))?;
                let caps = captures.iter().map(|(i, v)| (name(*i as usize), view(v)));
                m.serialize_entry("captures", &ValuesView::new(caps))?;
            }
            _ => {
                m.serialize_entry("rule", "")?;
                m.serialize_entry("source", "")?;
                m.serialize_entry("captures", &ValuesView::new(std::iter::empty()))?;
            }
        }
        m.end()
    }
}

/// The record of one annotation.
pub fn record(prog: &Program, doc: &Document, a: &Annotation, unit: OffsetUnit) -> Record {
    // One way to turn values into JSON: the record line's, read back as a tree.
    let mut line = match serde_json::to_value(RecordView::new(prog, doc, a, unit, None)) {
        Ok(Json::Object(line)) => line,
        _ => Map::new(),
    };
    let mut text = |k: &str| match line.remove(k) {
        Some(Json::String(t)) => t,
        _ => String::new(),
    };
    let (label, text_, rule, source) = (text("label"), text("text"), text("rule"), text("source"));
    let mut map = |k: &str| match line.remove(k) {
        Some(Json::Object(m)) => m,
        _ => Map::new(),
    };
    let (fields, captures) = (map("fields"), map("captures"));
    let offset = |k: &str| line.get(k).and_then(Json::as_u64).unwrap_or_default() as usize;
    Record { label, start: offset("start"), end: offset("end"), text: text_, fields, rule, source, captures }
}
