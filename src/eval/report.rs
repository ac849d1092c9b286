//! Reports of an evaluation: a table for people, a JSON document (also the
//! baseline format), the errors `--show` lists, and the comparison with a
//! stored baseline.
//!
//! In: [`Scores`]. Out: text. Scores in JSON are rounded to four decimals, and
//! baselines are compared on those rounded numbers, so a stored file compares
//! equal to a fresh run of the same rules.

use super::{Counts, ErrorItem, ErrorKind, Scores, ValueCounts};
use serde_json::{json, Value as Json};
use std::fmt::Write;

/// Version of the JSON report (the baseline format).
pub const REPORT_VERSION: u32 = 1;

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn counts_json(c: &Counts) -> Json {
    json!({"tp": c.tp, "fp": c.fp, "fn": c.fn_,
           "precision": round4(c.precision()), "recall": round4(c.recall()), "f1": round4(c.f1())})
}

fn values_json(v: &ValueCounts) -> Json {
    json!({"compared": v.compared, "correct": v.correct, "accuracy": round4(v.accuracy())})
}

/// Which errors to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Show {
    /// False positives.
    pub fp: bool,
    /// False negatives.
    pub fn_: bool,
    /// Wrong values on matched spans.
    pub values: bool,
}

impl Show {
    fn wants(&self, kind: ErrorKind) -> bool {
        match kind {
            ErrorKind::FalsePositive => self.fp,
            ErrorKind::FalseNegative => self.fn_,
            ErrorKind::WrongValue => self.values,
        }
    }
}

/// The scores as one JSON document (the baseline format).
pub fn json(scores: &Scores, description: &Json) -> Json {
    let labels: Vec<Json> = scores
        .labels
        .iter()
        .map(|l| {
            json!({"label": l.label, "gold_types": l.gold_types, "gold": l.gold, "system": l.system,
                   "strict": counts_json(&l.strict), "lenient": counts_json(&l.lenient),
                   "values": {"strict": values_json(&l.strict_values), "lenient": values_json(&l.lenient_values)}})
        })
        .collect();
    let (s, l, v) = scores.overall();
    let rules: Vec<Json> = scores
        .rules
        .iter()
        .map(|r| {
            json!({"rule": r.rule, "source": r.source, "label": r.label, "records": r.records,
                   "strict_correct": r.strict_correct, "lenient_correct": r.lenient_correct,
                   "values_compared": r.values_compared, "values_correct": r.values_correct})
        })
        .collect();
    json!({
        "trawl_eval": REPORT_VERSION,
        "config": description,
        "layer": scores.layer,
        "documents": scores.documents,
        "labels": labels,
        "overall": {"strict": counts_json(&s), "lenient": counts_json(&l), "values": values_json(&v)},
        "rules": rules,
    })
}

/// The errors `show` asks for, as JSON objects in document order.
pub fn errors_json(scores: &Scores, show: Show) -> Json {
    let errors: Vec<Json> = scores
        .errors
        .iter()
        .filter(|e| show.wants(e.kind))
        .map(|e| {
            json!({"kind": kind_name(e.kind), "label": e.label, "rule": e.rule, "doc": e.doc,
                   "start": e.start, "end": e.end, "line": e.line, "column": e.column, "text": e.text,
                   "before": e.before, "after": e.after, "note": e.note})
        })
        .collect();
    Json::Array(errors)
}

fn kind_name(k: ErrorKind) -> &'static str {
    match k {
        ErrorKind::FalsePositive => "fp",
        ErrorKind::FalseNegative => "fn",
        ErrorKind::WrongValue => "value",
    }
}

fn prf(c: &Counts) -> String {
    format!("{:>5} {:>5} {:>5}  {:.3} {:.3} {:.3}", c.tp, c.fp, c.fn_, c.precision(), c.recall(), c.f1())
}

fn acc(v: &ValueCounts) -> String {
    if v.compared == 0 {
        "-".to_string()
    } else {
        format!("{:.3} ({}/{})", v.accuracy(), v.correct, v.compared)
    }
}

/// The scores as tables, then the errors `show` asks for.
pub fn human(scores: &Scores, heading: &str, show: Show) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{heading}");
    let _ = writeln!(
        o,
        "documents: {} scored of {} read, layer `{}`",
        scores.documents, scores.documents_read, scores.layer
    );
    let _ = writeln!(o);
    let width =
        scores.labels.iter().map(|l| l.label.len() + l.gold_types.join("|").len() + 3).max().unwrap_or(5).max(5);
    let _ = writeln!(o, "{:width$}  {:>5} {:>6} | {:^36} | {:^36} |", "", "", "", "strict", "lenient");
    let cols = format!("{:>5} {:>5} {:>5}  {:>5} {:>5} {:>5}", "tp", "fp", "fn", "P", "R", "F1");
    let _ = writeln!(o, "{:width$}  {:>5} {:>6} | {cols} | {cols} | values (lenient)", "label", "gold", "system");
    for l in &scores.labels {
        let name = format!("{} ({})", l.label, l.gold_types.join("|"));
        let _ = writeln!(
            o,
            "{name:width$}  {:>5} {:>6} | {} | {} | {}",
            l.gold,
            l.system,
            prf(&l.strict),
            prf(&l.lenient),
            acc(&l.lenient_values)
        );
    }
    if scores.labels.len() > 1 {
        let (s, l, v) = scores.overall();
        let gold: usize = scores.labels.iter().map(|l| l.gold).sum();
        let system: usize = scores.labels.iter().map(|l| l.system).sum();
        let _ = writeln!(o, "{:width$}  {gold:>5} {system:>6} | {} | {} | {}", "all", prf(&s), prf(&l), acc(&v));
    }
    if !scores.rules.is_empty() {
        let _ = writeln!(o);
        let rw = scores.rules.iter().map(|r| r.rule.len()).max().unwrap_or(4).max(4);
        let lw = scores.rules.iter().map(|r| r.label.len()).max().unwrap_or(5).max(5);
        let _ = writeln!(o, "{:rw$}  {:lw$}  records  strict  lenient  precision  values", "rule", "label");
        for r in &scores.rules {
            let values = if r.values_compared == 0 {
                "-".to_string()
            } else {
                format!("{}/{}", r.values_correct, r.values_compared)
            };
            let precision = if r.records == 0 { 0.0 } else { r.lenient_correct as f64 / r.records as f64 };
            let _ = writeln!(
                o,
                "{:rw$}  {:lw$}  {:>7}  {:>6}  {:>7}  {:>9.3}  {values}",
                r.rule, r.label, r.records, r.strict_correct, r.lenient_correct, precision
            );
        }
    }
    o.push_str(&errors_human(&scores.errors, show));
    o
}

/// Errors grouped by kind, label and rule, each with its place and context.
fn errors_human(errors: &[ErrorItem], show: Show) -> String {
    let mut o = String::new();
    let mut groups: Vec<(ErrorKind, &str, &str, Vec<&ErrorItem>)> = Vec::new();
    for e in errors.iter().filter(|e| show.wants(e.kind)) {
        match groups.iter_mut().find(|g| g.0 == e.kind && g.1 == e.label && g.2 == e.rule) {
            Some(g) => g.3.push(e),
            None => groups.push((e.kind, &e.label, &e.rule, vec![e])),
        }
    }
    groups.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
    for (kind, label, rule, items) in groups {
        let what = match kind {
            ErrorKind::FalsePositive => "false positives",
            ErrorKind::FalseNegative => "false negatives",
            ErrorKind::WrongValue => "wrong values",
        };
        let by = if rule.is_empty() { String::new() } else { format!(", rule {rule}") };
        let _ = writeln!(o, "\n{what}: {label}{by} ({})", items.len());
        for e in items {
            let note = if e.note.is_empty() { String::new() } else { format!("  ({})", e.note) };
            let _ = writeln!(o, "  {}:{}:{}  …{}[{}]{}…{note}", e.doc, e.line, e.column, e.before, e.text, e.after);
        }
    }
    o
}

/// One metric compared with the baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// What is measured, e.g. `Person lenient F1`.
    pub metric: String,
    /// The baseline's value.
    pub before: f64,
    /// This run's value (0 when the label is gone).
    pub after: f64,
}

/// Compares this run's JSON report with a baseline report; every metric of the baseline is listed.
pub fn compare(current: &Json, baseline: &Json) -> Result<Vec<Change>, String> {
    if baseline.get("trawl_eval").and_then(Json::as_u64) != Some(REPORT_VERSION as u64) {
        return Err("not a trawl eval JSON report (no \"trawl_eval\": 1)".into());
    }
    if baseline.get("layer") != current.get("layer") {
        return Err(format!(
            "the baseline scores layer {} but this run scores {}",
            baseline["layer"], current["layer"]
        ));
    }
    let metrics = |report: &Json| -> Vec<(String, f64)> {
        let mut m = Vec::new();
        let rows = report["labels"].as_array().cloned().unwrap_or_default();
        let overall = json!({"label": "all", "strict": report["overall"]["strict"],
                             "lenient": report["overall"]["lenient"],
                             "values": {"lenient": report["overall"]["values"]}});
        for row in rows.iter().chain(std::iter::once(&overall)) {
            let label = row["label"].as_str().unwrap_or("?");
            for mode in ["strict", "lenient"] {
                if let Some(f1) = row[mode]["f1"].as_f64() {
                    m.push((format!("{label} {mode} F1"), f1));
                }
            }
            if row["values"]["lenient"]["compared"].as_u64().unwrap_or(0) > 0 {
                if let Some(a) = row["values"]["lenient"]["accuracy"].as_f64() {
                    m.push((format!("{label} value accuracy"), a));
                }
            }
        }
        m
    };
    let now = metrics(current);
    Ok(metrics(baseline)
        .into_iter()
        .map(|(metric, before)| {
            let after = now.iter().find(|(m, _)| *m == metric).map_or(0.0, |(_, v)| *v);
            Change { metric, before, after }
        })
        .collect())
}

/// The comparison for people: what got better, what got worse, how many stayed.
pub fn compare_human(changes: &[Change], baseline: &str) -> String {
    let mut o = format!("\ncompared with {baseline}:\n");
    let mut same = 0;
    for c in changes {
        let delta = c.after - c.before;
        if delta.abs() < 1e-9 {
            same += 1;
            continue;
        }
        let word = if delta > 0.0 { "better" } else { "worse " };
        let _ = writeln!(o, "  {word} {:<28} {:.4} -> {:.4} ({delta:+.4})", c.metric, c.before, c.after);
    }
    let _ = writeln!(o, "  {same} of {} scores unchanged", changes.len());
    o
}
