//! Extraction: records from fixture rules and documents, and the seed
//! article's full output with the bundled news pack.

use crate::common::{rel, root, rules};
use trawl::{Options, Rules};

fn records_json(rules: &Rules, doc_name: &str, text: &str, anchor: Option<&str>) -> String {
    let opts = Options { anchor: anchor.map(|a| trawl::Date::parse(a).expect("anchor date")) };
    let mut out = String::new();
    for r in rules.extract(text, &opts) {
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
