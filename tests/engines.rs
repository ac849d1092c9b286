//! A rule's search runs on a bounded backtracker when its unit is small enough
//! and on the Pike VM otherwise; both must find the same matches.

use crate::common::{rel, root, Gen};
use trawl::exec::{self, Scratch};
use trawl::output::{records, OffsetUnit, Record};
use trawl::text::Document;
use trawl::{Options, Rules};

/// Records with the backtracker allowed, and with the Pike VM only.
fn both(rules: &Rules, text: &str, opts: &Options) -> (Vec<Record>, Vec<Record>) {
    let doc = Document::new(text);
    let run = |backtracking: bool| {
        let mut scratch = Scratch::new();
        scratch.set_backtracking(backtracking);
        let ex = exec::extract(&rules.program, &doc, opts, &mut scratch).expect("within limits");
        records(&rules.program, &doc, &ex, OffsetUnit::Chars)
    };
    (run(true), run(false))
}

#[test]
fn fixtures_and_the_sample_article_agree() {
    let opts = Options { anchor: trawl::Date::parse("2023-05-01"), ..Default::default() };
    let mut compared = 0;
    for dir in std::fs::read_dir(root().join("tests/fixtures/extract")).expect("fixtures") {
        let dir = dir.expect("entry").path();
        let rules = Rules::from_paths(&[rel(&dir.join("rules.trawl"))]).expect("fixture rules compile");
        let text = std::fs::read_to_string(dir.join("doc.txt")).expect("fixture doc");
        let (backtracking, pike) = both(&rules, &text, &opts);
        assert_eq!(backtracking, pike, "{}", dir.display());
        compared += backtracking.len();
    }
    let news = Rules::bundled_news().expect("bundled");
    let article = std::fs::read_to_string(root().join("tests/corpus/japan-france-talks.txt")).expect("article");
    let (backtracking, pike) = both(&news, &article, &opts);
    assert_eq!(backtracking, pike);
    compared += backtracking.len();
    assert!(compared > 50, "{compared} records compared");
}

#[test]
fn the_news_pack_agrees_on_generated_documents() {
    // Words that start, continue and stop the pack's rules: titles, names, places, dates,
    // organisations, quotes and the contexts around them.
    const WORDS: &[&str] = &[
        "President",
        "Prime",
        "Minister",
        "Foreign",
        "Emmanuel",
        "Macron",
        "Fumio",
        "Kishida",
        "Mr.",
        "Ms.",
        "Dr.",
        "John",
        "Smith",
        "Smith's",
        "said",
        "told",
        "according",
        "to",
        "in",
        "at",
        "near",
        "from",
        "the",
        "The",
        "of",
        "and",
        "or",
        ",",
        ".",
        "\"",
        "(",
        ")",
        ":",
        "-",
        "'s",
        "Paris",
        "Tokyo",
        "France",
        "Japan",
        "United",
        "States",
        "Nations",
        "Ministry",
        "Defense",
        "Inc.",
        "Group",
        "May",
        "June",
        "Monday",
        "19",
        "2023",
        "1990s",
        "last",
        "week",
        "year",
        "early",
        "this",
        "month",
        "his",
        "wife",
        "brother",
        "met",
        "with",
        "visited",
        "Jr.",
        "J.",
        "NATO",
        "EU",
        "Army",
        "University",
        "Oxford",
        "River",
        "Mount",
        "St.",
        "born",
        "died",
        "\n",
        "\n\n",
    ];
    let news = Rules::bundled_news().expect("bundled");
    let opts = Options { anchor: trawl::Date::parse("2023-05-01"), ..Default::default() };
    let mut g = Gen(0xBAC7);
    let mut compared = 0;
    for _ in 0..300 {
        let mut text = String::new();
        for _ in 0..g.below(150) {
            text.push_str(g.pick(WORDS));
            text.push(' ');
        }
        let (backtracking, pike) = both(&news, &text, &opts);
        assert_eq!(backtracking, pike, "text: {text:?}");
        compared += backtracking.len();
    }
    assert!(compared > 1000, "{compared} records compared");
}
