//! The news pack's dates: every case of `tests/fixtures/dates/cases.tsv` (written by
//! `tools/date_cases.py`, values computed with Python's datetime) must give its value at its
//! anchor date (in a `Date`, `Time` or `Interval` record), alone and inside a sentence about the
//! future; strings that are not dates must give none of them.

use crate::common::root;
use std::collections::BTreeMap;
use trawl::exec::Scratch;
use trawl::output::OffsetUnit;
use trawl::{Date, Options, Rules};

#[test]
fn every_case_gives_its_value_alone_and_in_a_sentence() {
    let rules = Rules::bundled_news().expect("bundled pack");
    let cases = std::fs::read_to_string(root().join("tests/fixtures/dates/cases.tsv")).expect("cases");
    let mut scratch = Scratch::new();
    let (mut failures, mut per_kind) = (vec![], BTreeMap::<&str, (u32, u32)>::new());
    for line in cases.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [anchor, expr, want, kind] = cols[..] else { panic!("bad case line {line:?}") };
        let opts = Options { anchor: Date::parse(anchor), ..Default::default() };
        for text in [expr.to_string(), format!("The talks will be held {expr}.")] {
            let records = rules.extract_with(&text, &opts, OffsetUnit::Chars, &mut scratch).expect("within limits");
            let dates: Vec<(String, String)> = records
                .iter()
                .filter(|r| matches!(r.label.as_str(), "Date" | "Time" | "Interval"))
                .map(|r| (r.text.clone(), r.fields.get("value").map_or("-".into(), |v| v.text().unwrap_or("?").into())))
                .collect();
            let ok = if want == "-" { dates.is_empty() } else { dates.iter().any(|(_, v)| v == want) };
            let tally = per_kind.entry(kind).or_default();
            tally.1 += 1;
            if ok {
                tally.0 += 1;
            } else {
                failures.push(format!("{anchor} {text:?}: want {want}, got {dates:?}"));
            }
        }
    }
    let total: u32 = per_kind.values().map(|t| t.1).sum();
    assert!(total >= 1000, "only {total} cases");
    assert!(per_kind.len() >= 15, "kinds: {per_kind:?}");
    assert!(
        failures.is_empty(),
        "{} of {total} cases fail:\n{}\nper kind: {per_kind:?}",
        failures.len(),
        failures.join("\n")
    );
}
