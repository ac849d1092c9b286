//! Corpus snapshots: the extraction of each document stored in a stable,
//! diff-friendly form, and a semantic diff between a stored snapshot and
//! what the rules extract now.
//!
//! # Stored form
//!
//! One file per document, `STORE/<document key>.jsonl`: a header line
//! `{"trawl_snapshot":1,"doc":"<key>","text_fnv64":"<hash of the text>"}`, then
//! one line per annotation, sorted by start, end, label and rule:
//! `{"rule":"…","label":"…","start":…,"end":…,"text":"…","fields":{…}}`.
//! Offsets are characters. Nothing in it depends on the time, the machine or
//! where a rule sits in its file, so the same rules and inputs give
//! byte-identical files, and a change to one rule changes only that rule's
//! lines.
//!
//! # Diff
//!
//! Records are paired by (rule, label, start, end): a pair whose text or
//! fields differ is *changed*; then leftover records of the same rule and
//! label whose spans overlap are paired as changed spans; the rest are
//! *added* or *removed*. Differences are reported grouped by rule and label.

use crate::output::Record;
use crate::testing::report::{gh_command, xml_escape, Style};
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Version of the stored form.
pub const SNAPSHOT_VERSION: u64 = 1;

/// One stored annotation: a line of a snapshot file after its header.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct SnapRecord {
    /// The rule that made it.
    pub rule: String,
    /// Its label.
    pub label: String,
    /// Start (characters).
    pub start: usize,
    /// End (characters, exclusive).
    pub end: usize,
    /// The annotated text.
    pub text: String,
    /// Its fields.
    #[schemars(with = "crate::output::Fields")]
    pub fields: Map<String, Json>,
}

/// The first line of a snapshot file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct SnapHeader<'a> {
    /// The snapshot format's version, 1 ([`SNAPSHOT_VERSION`]).
    #[schemars(extend("const" = 1))]
    pub trawl_snapshot: u64,
    /// The document key.
    pub doc: &'a str,
    /// FNV-1a 64 of the document text, in hex.
    pub text_fnv64: &'a str,
}

/// A line of a snapshot file: the header, then one record per line.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // only its schema is used
pub(crate) enum SnapLine<'a> {
    /// The first line.
    Header(SnapHeader<'a>),
    /// Every other line.
    Record(SnapRecord),
}

impl SnapRecord {
    fn from_record(r: &Record) -> SnapRecord {
        SnapRecord {
            rule: r.rule.clone(),
            label: r.label.clone(),
            start: r.start,
            end: r.end,
            text: r.text.clone(),
            fields: r.fields.to_json_map(),
        }
    }

    fn key(&self) -> (usize, usize, &str, &str) {
        (self.start, self.end, &self.label, &self.rule)
    }

    fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A document's snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The document key (its path relative to the input given).
    pub doc: String,
    /// FNV-1a 64 of the document text, in hex.
    pub text_fnv64: String,
    /// Its annotations, sorted.
    pub records: Vec<SnapRecord>,
}

/// FNV-1a, 64 bits, as 16 hex digits: identifies a document's text.
pub fn fnv64(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

impl Snapshot {
    /// The snapshot of a text's records (character offsets).
    pub fn new(key: &str, text: &str, records: &[Record]) -> Snapshot {
        let mut recs: Vec<SnapRecord> = records.iter().map(SnapRecord::from_record).collect();
        recs.sort_by(|a, b| a.key().cmp(&b.key()));
        Snapshot { doc: key.to_string(), text_fnv64: fnv64(text), records: recs }
    }

    /// The stored form.
    pub fn render(&self) -> String {
        let head = SnapHeader { trawl_snapshot: SNAPSHOT_VERSION, doc: &self.doc, text_fnv64: &self.text_fnv64 };
        let mut out = serde_json::to_string(&head).unwrap_or_default();
        out.push('\n');
        for r in &self.records {
            out.push_str(&r.to_line());
            out.push('\n');
        }
        out
    }

    /// Reads the stored form.
    pub fn parse(text: &str) -> Result<Snapshot, String> {
        let mut lines = text.lines().enumerate();
        let (_, head) = lines.next().ok_or("empty snapshot file")?;
        let head: Json = serde_json::from_str(head).map_err(|e| format!("line 1: {e}"))?;
        if head["trawl_snapshot"].as_u64() != Some(SNAPSHOT_VERSION) {
            return Err(format!("line 1: not a trawl snapshot of version {SNAPSHOT_VERSION}"));
        }
        let mut snap = Snapshot {
            doc: head["doc"].as_str().unwrap_or_default().to_string(),
            text_fnv64: head["text_fnv64"].as_str().unwrap_or_default().to_string(),
            records: vec![],
        };
        for (i, line) in lines {
            let v: Json = serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
            let s = |k: &str| v[k].as_str().map(str::to_string).ok_or(format!("line {}: no `{k}`", i + 1));
            let n = |k: &str| v[k].as_u64().map(|x| x as usize).ok_or(format!("line {}: no `{k}`", i + 1));
            snap.records.push(SnapRecord {
                rule: s("rule")?,
                label: s("label")?,
                start: n("start")?,
                end: n("end")?,
                text: s("text")?,
                fields: v["fields"].as_object().cloned().unwrap_or_default(),
            });
        }
        Ok(snap)
    }
}

/// One difference.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// In the new extraction only.
    Added(SnapRecord),
    /// In the stored snapshot only.
    Removed(SnapRecord),
    /// Paired, but different (text, fields, or span).
    Changed(SnapRecord, SnapRecord),
}

impl Change {
    /// The record whose rule and label the change is filed under (the new one when there is one).
    pub fn record(&self) -> &SnapRecord {
        match self {
            Change::Added(r) | Change::Removed(r) | Change::Changed(_, r) => r,
        }
    }
}

/// Differences between a stored snapshot and a new one of the same document.
pub fn diff(old: &[SnapRecord], new: &[SnapRecord]) -> Vec<Change> {
    let mut old_used = vec![false; old.len()];
    let mut new_used = vec![false; new.len()];
    let mut changes = vec![];
    let mut by_key: BTreeMap<(usize, usize, &str, &str), Vec<usize>> = BTreeMap::new();
    for (i, r) in old.iter().enumerate() {
        by_key.entry(r.key()).or_default().push(i);
    }
    for (j, r) in new.iter().enumerate() {
        if let Some(list) = by_key.get_mut(&r.key()) {
            if let Some(pos) = list.iter().position(|&i| !old_used[i]) {
                let i = list[pos];
                old_used[i] = true;
                new_used[j] = true;
                if old[i] != *r {
                    changes.push(Change::Changed(old[i].clone(), r.clone()));
                }
            }
        }
    }
    // Same rule and label, overlapping spans: a span that moved.
    for j in 0..new.len() {
        if new_used[j] {
            continue;
        }
        let r = &new[j];
        let partner = (0..old.len()).find(|&i| {
            !old_used[i]
                && old[i].rule == r.rule
                && old[i].label == r.label
                && old[i].start < r.end
                && r.start < old[i].end
        });
        if let Some(i) = partner {
            old_used[i] = true;
            new_used[j] = true;
            changes.push(Change::Changed(old[i].clone(), r.clone()));
        }
    }
    changes.extend(new.iter().zip(&new_used).filter(|(_, u)| !**u).map(|(r, _)| Change::Added(r.clone())));
    changes.extend(old.iter().zip(&old_used).filter(|(_, u)| !**u).map(|(r, _)| Change::Removed(r.clone())));
    changes.sort_by(|a, b| a.record().key().cmp(&b.record().key()));
    changes
}

/// The outcome of checking one document.
#[derive(Debug, Clone)]
pub struct DocCheck {
    /// The document key.
    pub doc: String,
    /// The current text (for context), if the document was read.
    pub text: Option<String>,
    /// There was no stored snapshot for it.
    pub new_doc: bool,
    /// There is a stored snapshot but no input for it any more.
    pub stale: bool,
    /// Its differences.
    pub changes: Vec<Change>,
}

/// `line:col` (1-based, characters) of a character offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut line = 1;
    let mut col = 1;
    for c in text.chars().take(offset) {
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    (line, col)
}

/// A little text around a span, the span in «».
fn context(text: &str, start: usize, end: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if end > chars.len() || start > end {
        return String::new();
    }
    let from = start.saturating_sub(30);
    let to = (end + 30).min(chars.len());
    let clean = |s: &[char]| s.iter().map(|&c| if c.is_whitespace() { ' ' } else { c }).collect::<String>();
    format!(
        "{}{}«{}»{}{}",
        if from > 0 { "…" } else { "" },
        clean(&chars[from..start]),
        clean(&chars[start..end]),
        clean(&chars[end..to]),
        if to < chars.len() { "…" } else { "" }
    )
}

fn fields_text(f: &Map<String, Json>) -> String {
    if f.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = f.iter().map(|(k, v)| format!("{k}: {}", crate::testing::shown(v))).collect();
    format!(" {{ {} }}", parts.join(", "))
}

/// Per-rule counts: added, removed, changed.
pub fn rule_summary(checks: &[DocCheck]) -> BTreeMap<String, (usize, usize, usize)> {
    let mut m: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for c in checks {
        for ch in &c.changes {
            let e = m.entry(ch.record().rule.clone()).or_default();
            match ch {
                Change::Added(_) => e.0 += 1,
                Change::Removed(_) => e.1 += 1,
                Change::Changed(..) => e.2 += 1,
            }
        }
    }
    m
}

/// Where a rule is defined, for reports.
pub type RuleLocation<'a> = &'a dyn Fn(&str) -> Option<(String, usize)>;

fn describe_change(out: &mut String, doc: &DocCheck, ch: &Change, style: Style) {
    let text = doc.text.as_deref().unwrap_or("");
    let at = |r: &SnapRecord| {
        let (l, c) = line_col(text, r.start);
        format!("{}:{l}:{c}", doc.doc)
    };
    match ch {
        Change::Added(r) => {
            let _ =
                writeln!(out, "    {}", style.green(&format!("+ {} {:?}{}", at(r), r.text, fields_text(&r.fields))));
            let _ = writeln!(out, "        {}", context(text, r.start, r.end));
        }
        Change::Removed(r) => {
            let _ = writeln!(out, "    {}", style.red(&format!("- {} {:?}{}", at(r), r.text, fields_text(&r.fields))));
            if doc.text.is_some() {
                let _ = writeln!(out, "        {}", context(text, r.start, r.end));
            }
        }
        Change::Changed(a, b) => {
            let _ = writeln!(out, "    {}", style.yellow(&format!("~ {} {:?}", at(b), b.text)));
            if (a.start, a.end) != (b.start, b.end) {
                let _ = writeln!(
                    out,
                    "        span: {:?} ({}-{}) → {:?} ({}-{})",
                    a.text, a.start, a.end, b.text, b.start, b.end
                );
            }
            let keys: std::collections::BTreeSet<&String> = a.fields.keys().chain(b.fields.keys()).collect();
            for k in keys {
                let (x, y) = (a.fields.get(k), b.fields.get(k));
                if x != y {
                    let show = |v: Option<&Json>| v.map_or("(absent)".to_string(), crate::testing::shown);
                    let _ = writeln!(out, "        {k}: {} → {}", show(x), show(y));
                }
            }
            let _ = writeln!(out, "        {}", context(text, b.start, b.end));
        }
    }
}

/// The human report: differences grouped by rule and label, then a summary per rule.
pub fn human(checks: &[DocCheck], locate: RuleLocation, style: Style) -> String {
    let mut out = String::new();
    type ByLabel<'c> = BTreeMap<&'c str, Vec<(&'c DocCheck, &'c Change)>>;
    let mut grouped: BTreeMap<&str, ByLabel> = BTreeMap::new();
    for c in checks {
        for ch in &c.changes {
            let r = ch.record();
            grouped.entry(&r.rule).or_default().entry(&r.label).or_default().push((c, ch));
        }
    }
    for c in checks.iter().filter(|c| c.new_doc || c.stale) {
        let what =
            if c.new_doc { "new document: no stored snapshot" } else { "stale snapshot: no such input any more" };
        let _ = writeln!(out, "{}: {what}", c.doc);
    }
    for (rule, labels) in &grouped {
        let place = locate(rule).map_or(String::from("no longer in the rules"), |(f, l)| format!("{f}:{l}"));
        let _ = writeln!(out, "{} ({place})", style.bold(&format!("rule {rule}")));
        for (label, items) in labels {
            let _ = writeln!(out, "  {label}");
            for (doc, ch) in items {
                describe_change(&mut out, doc, ch, style);
            }
        }
    }
    let summary = rule_summary(checks);
    if !summary.is_empty() {
        let _ = writeln!(out, "\nsummary by rule (added, removed, changed):");
        let width = summary.keys().map(|k| k.chars().count()).max().unwrap_or(0);
        for (rule, (a, r, c)) in &summary {
            let _ = writeln!(out, "  {rule:<width$}  +{a} -{r} ~{c}");
        }
    }
    let changed = checks.iter().filter(|c| !c.changes.is_empty() && !c.new_doc && !c.stale).count();
    let new_docs = checks.iter().filter(|c| c.new_doc).count();
    let stale = checks.iter().filter(|c| c.stale).count();
    let same = checks.iter().filter(|c| c.changes.is_empty() && !c.new_doc && !c.stale).count();
    let total: usize = checks.iter().map(|c| c.changes.len()).sum();
    let _ = writeln!(out, "\ndocuments: {changed} changed, {new_docs} new, {stale} stale, {same} unchanged");
    let verdict = if total + new_docs + stale == 0 { style.green("ok") } else { style.red("FAILED") };
    let _ = writeln!(out, "{} {verdict}: {total} differences", style.bold("trawl snapshot --check"));
    out
}

fn change_json(c: &Change) -> Json {
    let rec = |r: &SnapRecord| json!({"rule": r.rule, "label": r.label, "start": r.start, "end": r.end, "text": r.text, "fields": r.fields});
    match c {
        Change::Added(r) => json!({"change": "added", "record": rec(r)}),
        Change::Removed(r) => json!({"change": "removed", "record": rec(r)}),
        Change::Changed(a, b) => json!({"change": "changed", "old": rec(a), "new": rec(b)}),
    }
}

/// One JSON document: per document its status and changes, and per-rule counts.
pub fn json(checks: &[DocCheck]) -> String {
    let docs: Vec<Json> = checks
        .iter()
        .map(|c| {
            let status = if c.new_doc {
                "new"
            } else if c.stale {
                "stale"
            } else if c.changes.is_empty() {
                "unchanged"
            } else {
                "changed"
            };
            json!({"doc": c.doc, "status": status, "changes": c.changes.iter().map(change_json).collect::<Vec<_>>()})
        })
        .collect();
    let rules: Map<String, Json> = rule_summary(checks)
        .into_iter()
        .map(|(k, (a, r, c))| (k, json!({"added": a, "removed": r, "changed": c})))
        .collect();
    format!("{}\n", serde_json::to_string_pretty(&json!({"documents": docs, "rules": rules})).expect("json"))
}

/// JUnit XML: one test case per document, failing with its differences.
pub fn junit(checks: &[DocCheck]) -> String {
    let failing = checks.iter().filter(|c| !c.changes.is_empty() || c.new_doc || c.stale).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<testsuites name=\"trawl snapshot\" tests=\"{}\" failures=\"{failing}\">", checks.len());
    let _ = writeln!(out, "  <testsuite name=\"corpus snapshots\" tests=\"{}\" failures=\"{failing}\">", checks.len());
    for c in checks {
        let _ = write!(out, "    <testcase classname=\"snapshot\" name=\"{}\"", xml_escape(&c.doc));
        if c.changes.is_empty() && !c.new_doc && !c.stale {
            out.push_str("/>\n");
            continue;
        }
        let mut body = String::new();
        if c.new_doc {
            body.push_str("new document: no stored snapshot\n");
        }
        if c.stale {
            body.push_str("stale snapshot: no such input any more\n");
        }
        for ch in &c.changes {
            describe_change(&mut body, c, ch, Style::default());
        }
        let _ = writeln!(
            out,
            ">\n      <failure message=\"{} differences\">{}</failure>\n    </testcase>",
            c.changes.len(),
            xml_escape(&body)
        );
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// GitHub workflow commands: one `::error` per difference, at the line of
/// the rule that made (or no longer makes) the record.
pub fn github(checks: &[DocCheck], locate: RuleLocation) -> String {
    let mut out = String::new();
    for c in checks {
        if c.new_doc || c.stale {
            let what =
                if c.new_doc { "new document: no stored snapshot" } else { "stale snapshot: no such input any more" };
            out.push_str(&gh_command("error", None, "trawl snapshot", &format!("{}: {what}", c.doc)));
        }
        for ch in &c.changes {
            let mut body = String::new();
            describe_change(&mut body, c, ch, Style::default());
            let r = ch.record();
            let place = locate(&r.rule);
            out.push_str(&gh_command(
                "error",
                place.as_ref().map(|(f, l)| (f.as_str(), *l)),
                &format!("trawl snapshot: rule {}", r.rule),
                &format!("{}: {} {}\n{}", c.doc, r.label, r.text, body.trim_end()),
            ));
        }
    }
    let total: usize = checks.iter().map(|c| c.changes.len()).sum();
    let _ = writeln!(out, "snapshots: {total} differences");
    out
}
