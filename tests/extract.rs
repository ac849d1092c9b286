//! Extraction: records from fixture rules and documents, and the seed
//! article's full output with the bundled news pack.

use crate::common::{rel, root, rules};
use trawl::{Options, Rules};

fn records_json(rules: &Rules, doc_name: &str, text: &str, anchor: Option<&str>) -> String {
    let opts = Options { anchor: anchor.map(|a| trawl::Date::parse(a).expect("anchor date")), ..Default::default() };
    let mut out = String::new();
    for r in rules.extract(text, &opts).expect("within limits") {
        let json = r.to_json(doc_name);
        // Offsets must slice the text exactly (character offsets).
        let sliced: String = text.chars().skip(r.start).take(r.end - r.start).collect();
        assert_eq!(sliced, r.text, "offsets of {json}");
        out.push_str(&serde_json::to_string_pretty(&json).expect("json"));
        out.push('\n');
    }
    out
}

#[test]
fn fixture_extractions() {
    insta::glob!("fixtures/extract/*/rules.trawl", |path| {
        let dir = path.parent().expect("case dir");
        let rules = rules(path);
        let doc = dir.join("doc.txt");
        let text = std::fs::read_to_string(&doc).expect("doc.txt");
        let anchor = std::fs::read_to_string(dir.join("anchor.txt")).ok();
        insta::assert_snapshot!(records_json(
            &rules,
            &rel(&doc).display().to_string(),
            &text,
            anchor.as_deref().map(str::trim)
        ));
    });
}

#[test]
fn seed_article_full_output() {
    let path = root().join("tests/corpus/japan-france-talks.txt");
    let text = std::fs::read_to_string(&path).expect("seed article");
    let rules = Rules::bundled_news().expect("bundled");
    insta::assert_snapshot!(records_json(&rules, "japan-france-talks.txt", &text, Some("2023-05-01")));
}

/// The acceptance test of the news pack: every fact the seed article must
/// yield (label, span, fields; a span field compares its text) and none of
/// the wrong ones.
#[test]
fn seed_article_meets_expectations() {
    seed_facts("tests/corpus/japan-france-talks.txt");
}

/// The same article hard-wrapped at 72 columns (`textwrap.wrap`, paragraphs kept) gives the same
/// facts: a single line break inside wrapped prose is a space.
#[test]
fn wrapped_seed_article_meets_the_same_expectations() {
    seed_facts("tests/corpus/japan-france-talks.wrapped72.txt");
}

fn seed_facts(file: &str) {
    // Line breaks read as spaces in what is compared (a wrapped name keeps its newline in the text).
    let text = std::fs::read_to_string(root().join(file)).expect("seed").replace('\n', " ");
    let original = std::fs::read_to_string(root().join(file)).expect("seed");
    let rules = Rules::bundled_news().expect("bundled");
    let records = rules
        .extract(&original, &Options { anchor: trawl::Date::parse("2023-05-01"), ..Default::default() })
        .expect("within limits");
    let records: Vec<_> = records
        .into_iter()
        .map(|mut r| {
            r.text = r.text.replace('\n', " ");
            r
        })
        .collect();
    let shown = |v: &serde_json::Value| -> String {
        match v {
            serde_json::Value::Object(o) => o["text"].as_str().unwrap_or("").replace('\n', " "),
            serde_json::Value::Array(a) => a
                .iter()
                .map(|x| x.get("text").and_then(|t| t.as_str()).unwrap_or("").replace('\n', " "))
                .collect::<Vec<_>>()
                .join("|"),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    };
    let find = |label: &str, span: &str, fields: &[(&str, &str)]| {
        records.iter().any(|r| {
            r.label == label
                && r.text.replace(['\u{201C}', '\u{201D}'], "\"") == span
                && fields.iter().all(|(k, v)| r.fields.get(k).map(|v| shown(&v.to_json())).as_deref() == Some(*v))
        })
    };
    let count = |label: &str, span: &str| records.iter().filter(|r| r.label == label && r.text == span).count();
    type Fact<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);
    let expected: &[Fact] = &[
        ("Dateline", "Tokyo, 01 May, /AJMEDIA/", &[("place", "Tokyo"), ("date", "2023-05-01"), ("source", "AJMEDIA")]),
        ("Person", "Prime Minister Fumio Kishida", &[("name", "Fumio Kishida"), ("title", "Prime Minister")]),
        (
            "Person",
            "French President Emmanuel Macron",
            &[("name", "Emmanuel Macron"), ("title", "President"), ("nationality", "French")],
        ),
        (
            "Person",
            "Foreign Minister Yoshimasa Hayashi",
            &[("name", "Yoshimasa Hayashi"), ("title", "Foreign Minister")],
        ),
        ("Person", "Defense Minister Yasukazu Hamada", &[("name", "Yasukazu Hamada"), ("title", "Defense Minister")]),
        ("Person", "Catherine Colonna", &[("name", "Catherine Colonna")]),
        ("Person", "Sebastien Lecornu", &[("name", "Sebastien Lecornu")]),
        ("Person", "Macron", &[("name", "Macron")]),
        (
            "Meeting",
            "meeting between Prime Minister Fumio Kishida and French President Emmanuel Macron in Japan",
            &[("participants", "Fumio Kishida|Emmanuel Macron"), ("place", "Japan")],
        ),
        ("Event", "online ministerial security talks", &[("participants", "Japan|France")]),
        ("Event", "\"two-plus-two\" talks", &[]),
        ("Event", "three-day Group of Seven summit", &[("place", "Hiroshima"), ("date", "2023-05-19")]),
        ("Agreement", "Reciprocal Access Agreement", &[]),
        ("Date", "early May", &[("value", "2023-05"), ("mod", "start")]),
        ("Date", "01 May", &[("value", "2023-05-01")]),
        ("Date", "early this month", &[("value", "2023-05"), ("mod", "start")]),
        ("Date", "May 19", &[("value", "2023-05-19")]),
        ("Date", "January last year", &[("value", "2022-01")]),
        ("Date", "earlier this month", &[("value", "2023-05")]),
        ("Date", "2018", &[("value", "2018")]),
        ("Count", "six times", &[("value", "6")]),
        ("Attribution", "government sources said", &[]),
        ("Attribution", "the sources said", &[]),
        ("Attribution", "the sources added", &[]),
        ("Organization", "Les Echos", &[]),
        ("Organization", "Politico", &[]),
    ];
    let missing: Vec<String> =
        expected.iter().filter(|(l, s, f)| !find(l, s, f)).map(|(l, s, f)| format!("{l} {s:?} {f:?}")).collect();
    assert!(missing.is_empty(), "missing:\n{}", missing.join("\n"));
    assert_eq!(count("Attribution", "according to the sources"), 2);
    // Every mention of these places.
    for place in [
        "Tokyo",
        "Japan",
        "France",
        "China",
        "Beijing",
        "Paris",
        "Hiroshima",
        "Taiwan",
        "Russia",
        "Ukraine",
        "New Caledonia",
        "Indo-Pacific",
        "Taiwan Strait",
        "South Pacific",
    ] {
        // "Taiwan" inside "Taiwan Strait" is part of the longer place.
        let mentions = text
            .match_indices(place)
            .filter(|(i, _)| !(place == "Taiwan" && text[i + place.len()..].starts_with(" Strait")));
        let n = mentions.count();
        assert_eq!(count("Place", place), n, "Place {place}");
    }
    // Precision.
    let persons: Vec<&str> = records.iter().filter(|r| r.label == "Person").map(|r| r.text.as_str()).collect();
    assert_eq!(persons.len(), 7, "{persons:?}");
    for (label, span) in [("Place", "Prime"), ("Place", "Minister"), ("Place", "Group"), ("Place", "Seven")] {
        assert!(!records.iter().any(|r| r.label == label && r.text.contains(span)), "{label} {span}");
    }
    for span in ["Les Echos", "Politico"] {
        assert_eq!(count("Place", span), 0);
    }
    for r in records.iter().filter(|r| r.label == "Date") {
        assert!(!r.text.contains("two") && !r.text.contains("six"), "Date {:?}", r.text);
    }
}
