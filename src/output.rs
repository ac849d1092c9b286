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
//! one of the [`ErrorKind`]s: `unreadable`, `not_a_file`, `too_large`, `binary`, `invalid_utf8`,
//! `invalid_utf16`, `empty_line`, `invalid_json`, `invalid_document`, `timeout`, `internal`.
//! Keys are written in the order shown; field keys in the order the rule gives them.
//!
//! # Types and schemas
//!
//! The lines are typed: [`RecordLine`] (a [`Record`] with `v` and `doc`), [`ErrorRecord`], and
//! filter mode's [`DocumentLine`]; each serializes (serde) to exactly the line the CLI writes and
//! reads it back. The CLI itself writes records straight from the annotations ([`RecordView`]:
//! no value built per record, the hot path), in the same keys; a test reads every line it writes
//! into these types and writes it again, byte for byte. [`schemas`] makes the JSON Schemas from
//! the types (schemars); they are checked in under `schema/` (`trawl generate schema --out schema`).

use crate::exec::{Annotation, Extraction, Origin, Value};
use crate::text::Document;
use crate::Program;
use schemars::JsonSchema;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value as Json};
use std::borrow::Cow;

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

/// One output annotation: what a line of `trawl extract` holds, as a Rust value. Serializes
/// (serde) to the line without `v` and `doc` — filter mode's nested record; [`RecordLine`] adds
/// them. The CLI writes the same keys straight from the annotations ([`RecordView`], no value
/// built per record); `schema/record.v1.json` is generated from these types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The label.
    pub label: String,
    /// A record of an internal label (`_Name`, or one its pack does not export), written only
    /// with `--internal`; absent otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub internal: bool,
    /// Start offset (characters, or bytes with `--offsets bytes`).
    pub start: usize,
    /// End offset (exclusive).
    pub end: usize,
    /// The annotated text, exactly `text[start..end]` of the document.
    pub text: String,
    /// The fields the rule gave, in its order.
    pub fields: Fields,
    /// Rule name (empty for lexicon hits).
    pub rule: String,
    /// `file:line` of the rule.
    pub source: String,
    /// Every capture the match bound, in the rule's order.
    pub captures: Fields,
}

/// A span of the document as records write it: `{"text", "start", "end"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Span {
    /// The text of the span.
    pub text: String,
    /// Start offset.
    pub start: usize,
    /// End offset (exclusive).
    pub end: usize,
}

/// A field's or capture's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum FieldValue {
    /// No value (`null`).
    Null,
    /// A truth value.
    Bool(bool),
    /// A number: an integer when it is one and fits 64 bits, else the nearest double.
    Number(serde_json::Number),
    /// A normalized value (a date such as `2023-05-03`, a currency code, a name).
    Text(String),
    /// A span of the document.
    Span(Span),
    /// A list of values (list captures, `[a, b]`).
    List(Vec<FieldValue>),
}

impl FieldValue {
    /// The text of a span, or a text value.
    pub fn text(&self) -> Option<&str> {
        match self {
            FieldValue::Text(t) => Some(t),
            FieldValue::Span(s) => Some(&s.text),
            _ => None,
        }
    }

    /// The value as JSON.
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).unwrap_or(Json::Null)
    }
}

impl PartialEq<&str> for FieldValue {
    fn eq(&self, other: &&str) -> bool {
        self.text() == Some(*other)
    }
}

/// Named values in their order (a JSON object on the wire).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fields(pub Vec<(String, FieldValue)>);

impl Fields {
    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&FieldValue> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// The names and values, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &FieldValue)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The values, in order, to change.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut FieldValue> {
        self.0.iter_mut().map(|(_, v)| v)
    }

    /// The fields as a JSON object.
    pub fn to_json_map(&self) -> Map<String, Json> {
        self.0.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> IntoIterator for &'a Fields {
    type Item = (&'a str, &'a FieldValue);
    type IntoIter =
        std::iter::Map<std::slice::Iter<'a, (String, FieldValue)>, fn(&'a (String, FieldValue)) -> Self::Item>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
}

impl std::ops::Index<&str> for Fields {
    type Output = FieldValue;
    fn index(&self, name: &str) -> &FieldValue {
        self.get(name).unwrap_or(&FieldValue::Null)
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Fields, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Fields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of field values")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Fields, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = m.next_entry::<String, FieldValue>()? {
                    out.push(entry);
                }
                Ok(Fields(out))
            }
        }
        d.deserialize_map(Visit)
    }
}

impl JsonSchema for Fields {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Fields".into()
    }
    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Named values, in the rule's order.",
            "type": "object",
            "additionalProperties": g.subschema_for::<FieldValue>(),
        })
    }
}

/// A line of `trawl extract`: `v` and `doc`, then the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct RecordLine {
    /// The schema version, 1 ([`SCHEMA_VERSION`]).
    #[schemars(extend("const" = 1))]
    pub v: u32,
    /// The document id: the input path as given, `-` for standard input, or the JSON Lines
    /// document's id.
    pub doc: String,
    /// The record.
    #[serde(flatten)]
    pub record: Record,
}

/// Why a document gave no records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The file could not be read (or opened).
    Unreadable,
    /// A folder's entry that is not a regular file (FIFO, socket, device, a symbolic link loop).
    NotAFile,
    /// Larger than `--max-doc-bytes`, or more annotations than a document may have.
    TooLarge,
    /// Binary data (NUL bytes) rather than text.
    Binary,
    /// Not UTF-8 (nor UTF-16 with a byte-order mark).
    InvalidUtf8,
    /// A UTF-16 byte-order mark followed by bytes that are not UTF-16.
    InvalidUtf16,
    /// An empty line of JSON Lines input in filter mode.
    EmptyLine,
    /// A JSON Lines line that is not JSON.
    InvalidJson,
    /// A JSON document without a text field of text, or with a bad date.
    InvalidDocument,
    /// Over the step budget (`--max-steps`) or `--timeout`.
    Timeout,
    /// A bug in trawl while extracting this document.
    Internal,
}

impl ErrorKind {
    /// Every kind.
    pub const ALL: [ErrorKind; 11] = [
        ErrorKind::Unreadable,
        ErrorKind::NotAFile,
        ErrorKind::TooLarge,
        ErrorKind::Binary,
        ErrorKind::InvalidUtf8,
        ErrorKind::InvalidUtf16,
        ErrorKind::EmptyLine,
        ErrorKind::InvalidJson,
        ErrorKind::InvalidDocument,
        ErrorKind::Timeout,
        ErrorKind::Internal,
    ];

    /// Its name in error records.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Unreadable => "unreadable",
            ErrorKind::NotAFile => "not_a_file",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Binary => "binary",
            ErrorKind::InvalidUtf8 => "invalid_utf8",
            ErrorKind::InvalidUtf16 => "invalid_utf16",
            ErrorKind::EmptyLine => "empty_line",
            ErrorKind::InvalidJson => "invalid_json",
            ErrorKind::InvalidDocument => "invalid_document",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Internal => "internal",
        }
    }
}

impl From<&crate::Exceeded> for ErrorKind {
    fn from(e: &crate::Exceeded) -> ErrorKind {
        match e {
            crate::Exceeded::Steps(_) | crate::Exceeded::Time(_) => ErrorKind::Timeout,
            crate::Exceeded::Annotations(_) => ErrorKind::TooLarge,
        }
    }
}

/// What went wrong with a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorInfo<'a> {
    /// The kind.
    pub kind: ErrorKind,
    /// For people.
    #[serde(borrow)]
    pub message: Cow<'a, str>,
}

/// The error record of a document in a line of `trawl extract`: `{"v", "doc", "error"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorRecord<'a> {
    /// The schema version, 1 ([`SCHEMA_VERSION`]).
    #[schemars(extend("const" = 1))]
    pub v: u32,
    /// The document id.
    #[serde(borrow)]
    pub doc: Cow<'a, str>,
    /// What went wrong.
    #[serde(borrow)]
    pub error: ErrorInfo<'a>,
}

impl<'a> ErrorRecord<'a> {
    /// The error record of document `doc`.
    pub fn new(doc: &'a str, kind: ErrorKind, message: &'a str) -> Self {
        ErrorRecord { v: SCHEMA_VERSION, doc: doc.into(), error: ErrorInfo { kind, message: message.into() } }
    }
}

/// A line of filter mode (`--per-document`): every document's records, or its error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged, deny_unknown_fields)]
pub enum DocumentLine<'a> {
    /// The document's records.
    Records {
        /// The schema version.
        #[schemars(extend("const" = 1))]
        v: u32,
        /// The document id.
        #[serde(borrow)]
        id: Cow<'a, str>,
        /// Its records, without `v` and `doc`.
        records: Vec<Record>,
    },
    /// Why the document gave none.
    Error {
        /// The schema version.
        #[schemars(extend("const" = 1))]
        v: u32,
        /// The document id.
        #[serde(borrow)]
        id: Cow<'a, str>,
        /// What went wrong.
        #[serde(borrow)]
        error: ErrorInfo<'a>,
    },
}

impl<'a> DocumentLine<'a> {
    /// The error line of document `id`.
    pub fn error(id: &'a str, kind: ErrorKind, message: &'a str) -> Self {
        DocumentLine::Error { v: SCHEMA_VERSION, id: id.into(), error: ErrorInfo { kind, message: message.into() } }
    }
}

/// Any line `trawl extract` writes in its default mode: a record or a document's error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OutputLine<'a> {
    /// An error record (tried first: a record line has no `error`).
    #[serde(borrow)]
    Error(ErrorRecord<'a>),
    /// A record.
    Record(RecordLine),
}

/// The JSON Schemas of trawl's outputs, by file name under `schema/`: `record.v1.json` (a line of
/// `trawl extract`: a record or an error record), `document.v1.json` (a line of filter mode) and
/// `snapshot.v1.json` (a line of a `trawl snapshot` store file).
pub fn schemas() -> Vec<(&'static str, String)> {
    let one = |mut s: schemars::Schema, id: &str, title: &str| {
        s.insert("$id".into(), Json::from(format!("https://trawl.invalid/schema/{id}")));
        s.insert("title".into(), Json::from(title));
        serde_json::to_string_pretty(&s).unwrap_or_default() + "\n"
    };
    vec![
        (
            "record.v1.json",
            one(schemars::schema_for!(OutputLine), "record.v1.json", "A line of `trawl extract` (schema version 1)"),
        ),
        (
            "document.v1.json",
            one(
                schemars::schema_for!(DocumentLine),
                "document.v1.json",
                "A line of `trawl extract --per-document` (schema version 1)",
            ),
        ),
        (
            "snapshot.v1.json",
            one(
                schemars::schema_for!(crate::snapshot::SnapLine),
                "snapshot.v1.json",
                "A line of a `trawl snapshot` store file (version 1)",
            ),
        ),
    ]
}

impl Record {
    /// Appends the record as one line of JSON (no line break) to `out`: with `doc`, a whole
    /// record line; without, the record as filter mode nests it (no `v` or `doc`).
    pub fn write_json(&self, doc: Option<&str>, out: &mut Vec<u8>) {
        #[derive(Serialize)]
        struct Whole<'a> {
            v: u32,
            doc: &'a str,
            #[serde(flatten)]
            record: &'a Record,
        }
        // Writing to a vector cannot fail, and every key is a string.
        let _ = match doc {
            Some(doc) => serde_json::to_writer(out, &Whole { v: SCHEMA_VERSION, doc, record: self }),
            None => serde_json::to_writer(out, self),
        };
    }

    /// The record as a JSON object for document `doc`.
    pub fn to_json(&self, doc: &str) -> Json {
        let mut out = Vec::new();
        self.write_json(Some(doc), &mut out);
        serde_json::from_slice(&out).unwrap_or(Json::Null)
    }

    /// One line for people: `label  start-end  "text"  field=value ...  (rule)`.
    pub fn to_text(&self) -> String {
        fn shown(v: &FieldValue) -> String {
            match v {
                FieldValue::Span(s) => Json::from(s.text.as_str()).to_string(),
                FieldValue::List(items) => format!("[{}]", items.iter().map(shown).collect::<Vec<_>>().join(", ")),
                other => other.to_json().to_string(),
            }
        }
        let mut s = format!("{:<12} {:>6}-{:<6} {:?}", self.label, self.start, self.end, self.text);
        for (k, v) in self.fields.iter() {
            s.push_str(&format!("  {k}={}", shown(v)));
        }
        s.push_str(&format!("  ({})", self.rule));
        s
    }
}

/// An error record for a document, as one line of JSON (no line break).
pub fn error_record(doc: &str, kind: ErrorKind, message: &str) -> String {
    serde_json::to_string(&ErrorRecord::new(doc, kind, message)).unwrap_or_default()
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
        internal: false,
        fields: Fields::default(),
        rule: String::new(),
        source: String::new(),
        captures: Fields::default(),
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
            Value::Part(a, b) => part(doc, *a, *b, unit).serialize(s),
            Value::List(items) => s.collect_seq(items.iter().map(|v| ValueView { doc, v, unit })),
        }
    }
}

impl ValueView<'_> {
    /// The value as its type, as [`Serialize`] writes it.
    fn to_field(&self) -> FieldValue {
        let (doc, unit) = (self.doc, self.unit);
        let span = |v: SpanView| FieldValue::Span(Span { text: v.text.to_string(), start: v.start, end: v.end });
        match self.v {
            Value::Null => FieldValue::Null,
            Value::Bool(b) => FieldValue::Bool(*b),
            Value::Num(n) => match number_json(*n) {
                Json::Number(n) => FieldValue::Number(n),
                _ => FieldValue::Null,
            },
            Value::Str(text) => FieldValue::Text(text.clone()),
            Value::Span(a, b) => {
                let (start, end) = offsets(doc, *a, *b, unit);
                span(SpanView { text: span_text(doc, *a, *b), start, end })
            }
            Value::Part(a, b) => span(part(doc, *a, *b, unit)),
            Value::List(items) => {
                FieldValue::List(items.iter().map(|v| ValueView { doc, v, unit }.to_field()).collect())
            }
        }
    }
}

/// A part of a token (bytes `[a, b)`) as a span in the document's offsets.
fn part<'a>(doc: &'a Document<'a>, a: u32, b: u32, unit: OffsetUnit) -> SpanView<'a> {
    let text = &doc.text[a as usize..b as usize];
    let (start, end) = match unit {
        OffsetUnit::Bytes => (a as usize, b as usize),
        OffsetUnit::Chars => {
            let start = char_offset(doc, a);
            (start, start + text.chars().count())
        }
    };
    SpanView { text, start, end }
}

/// The name of capture `i` of rule `r` (captures first, then named regex groups).
fn capture_name(r: &crate::check::hir::Rule, i: usize) -> &str {
    r.captures.get(i).unwrap_or_else(|| &r.groups[i - r.captures.len()].name).as_str()
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
                m.serialize_entry("rule", &r.name)?;
                m.serialize_entry("source", prog.location(*rule))?;
                let caps = captures.iter().map(|(i, v)| (capture_name(r, *i as usize), view(v)));
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

/// The record of one annotation: the same values as its line ([`RecordView`]), as the type.
pub fn record(prog: &Program, doc: &Document, a: &Annotation, unit: OffsetUnit) -> Record {
    let view = |v| ValueView { doc, v, unit }.to_field();
    let (start, end) = offsets(doc, a.start, a.end, unit);
    let label = &prog.set.labels[a.label.0 as usize];
    let (rule, source, captures) = match &a.origin {
        Origin::Rule { rule, captures, .. } => {
            let r = &prog.set.rules[rule.0 as usize];
            let caps = captures.iter().map(|(i, v)| (capture_name(r, *i as usize).to_string(), view(v))).collect();
            (r.name.clone(), prog.location(*rule).to_string(), Fields(caps))
        }
        _ => (String::new(), String::new(), Fields::default()),
    };
    Record {
        label: label.name.clone(),
        internal: !label.output,
        start,
        end,
        text: span_text(doc, a.start, a.end).to_string(),
        fields: Fields(a.fields.iter().map(|(k, v)| (k.to_string(), view(v))).collect()),
        rule,
        source,
        captures,
    }
}
