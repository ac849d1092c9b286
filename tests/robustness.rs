//! Inputs of any kind never panic: arbitrary rule text, mutated rule files,
//! arbitrary documents. Generated from a fixed seed, so failures reproduce.

use crate::common::{root, Gen};
use trawl::{Options, Rules};

const PIECES: &[&str] = &[
    "rule",
    "r",
    "{",
    "}",
    "match",
    "emit",
    "X",
    "where",
    "veto",
    "priority",
    "1",
    "-3",
    "scope",
    "document",
    "keep",
    "all",
    "lexicon",
    "L",
    "=",
    "[",
    "]",
    "\"a\"",
    "\"b c\"",
    "\"\u{e9}\"",
    "pattern",
    "P",
    "cap",
    "num",
    "_",
    "...",
    "{1,2}",
    "{",
    ",",
    "}",
    "?",
    "*",
    "+",
    "??",
    "(",
    ")",
    "|",
    "&",
    "!",
    "x:",
    "y:",
    "before",
    "after",
    "not",
    "^",
    "$",
    "/\\d+/",
    "/(/",
    "i",
    "text(x)",
    "int(y)",
    "date(x, y)",
    "x.f",
    "example",
    "\"t\"",
    "=>",
    "import",
    "\"nope.trawl\"",
    "from",
    "forms",
    "full",
    "with",
    "case",
    "ignore",
    "above",
    "3",
    "\n",
    " ",
    "#",
    "\u{1F642}",
    "\\",
    "\"",
];

#[test]
fn arbitrary_rule_text_never_panics() {
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let n = 1 + g.below(30);
        let text: String = (0..n).map(|_| g.pick(PIECES)).collect::<Vec<_>>().join(" ");
        let _ = Rules::from_source("fuzz.trawl", &text);
    }
}

#[test]
fn mutated_rule_files_never_panic() {
    let mut g = Gen(42);
    let files = ["rules/news/dates.trawl", "rules/news/events.trawl", "tests/fixtures/syntax/ok/patterns.trawl"];
    for f in files {
        let text = std::fs::read_to_string(root().join(f)).expect("rule file");
        let chars: Vec<char> = text.chars().collect();
        for _ in 0..150 {
            let mut c = chars.clone();
            for _ in 0..1 + g.below(4) {
                let at = g.below(c.len());
                match g.below(3) {
                    0 => {
                        c.remove(at);
                    }
                    1 => c.insert(
                        at,
                        g.pick(&["(", ")", "\"", "{", "}", "|", "?", "x", ":"]).chars().next().expect("char"),
                    ),
                    _ => c.truncate(at),
                }
            }
            let mutated: String = c.into_iter().collect();
            let _ = Rules::from_source("mutated.trawl", &mutated);
        }
    }
}

#[test]
fn arbitrary_documents_never_panic_and_offsets_slice_the_text() {
    let rules = Rules::bundled_news().expect("bundled");
    let mut g = Gen(7);
    let words = [
        "Prime",
        "Minister",
        "Fumio",
        "Kishida",
        "May",
        "19",
        "2023",
        "in",
        "Tokyo",
        ",",
        ".",
        "\u{201C}",
        "\u{201D}",
        "'s",
        "\u{2019}s",
        "early",
        "this",
        "month",
        "last",
        "year",
        "six",
        "times",
        "the",
        "sources",
        "said",
        "\n",
        "\n\n",
        "Zoë",
        "\u{1F642}",
        "e\u{301}",
        "U.S.",
        "J.",
        "Group",
        "of",
        "Seven",
        "summit",
        "-",
        "\u{2011}",
        "\t",
        "\u{0}",
        "\r\n",
        "...",
        "according",
        "to",
        "Catherine",
        "Colonna",
        "/",
        "AJMEDIA",
        "Agreement",
        "Reciprocal",
        "meeting",
        "between",
        "and",
    ];
    let opts = Options { anchor: trawl::Date::parse("2023-05-01"), ..Default::default() };
    for _ in 0..400 {
        let n = g.below(200);
        let mut text = String::new();
        for _ in 0..n {
            text.push_str(g.pick(&words));
            if g.below(3) > 0 {
                text.push(' ');
            }
        }
        for r in rules.extract(&text, &opts).expect("within limits") {
            let sliced: String = text.chars().skip(r.start).take(r.end - r.start).collect();
            assert_eq!(sliced, r.text);
            assert!(r.start < r.end);
        }
    }
}

#[test]
fn absurd_nesting_is_refused_not_overflowed() {
    for text in [
        format!("rule r {{ match {}cap{} emit X }}", "(".repeat(100_000), ")".repeat(100_000)),
        format!("rule r {{ match [{}cap] emit X }}", "!".repeat(100_000)),
        format!("rule r {{ match x:cap where {}x emit X }}", "not ".repeat(100_000)),
        format!("rule r {{ match x:cap emit X {{ v: {}x{} }} }}", "[".repeat(100_000), "]".repeat(100_000)),
        (0..1000).map(|i| format!("pattern P{i} = P{} cap\n", i + 1)).collect::<String>()
            + "pattern P1000 = cap\nrule r { match P0 emit X }",
    ] {
        assert!(Rules::from_source("deep.trawl", &text).is_err());
    }
}
