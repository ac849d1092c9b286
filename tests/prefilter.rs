//! The literal prefilter: rule sets of lexicon entries and literals are run on
//! windows of the text around their needles, and must find exactly what they
//! find on the whole text.

use crate::common::{inline, Gen};
use trawl::exec::{self, Scratch};
use trawl::output::{records, OffsetUnit, Record};
use trawl::text::Document;
use trawl::{Options, Rules};

/// Records from the whole text, and from the prefilter's windows; and how many tokens each tokenized.
fn both(rules: &Rules, text: &str) -> ((Vec<Record>, usize), (Vec<Record>, usize)) {
    let prog = &rules.program;
    let opts = Options::default();
    let mut scratch = Scratch::new();
    let whole = Document::new(text);
    let ex = exec::extract(prog, &whole, &opts, &mut scratch).expect("within limits");
    let a = records(prog, &whole, &ex, OffsetUnit::Chars);
    let windows = exec::document(prog, text, &mut scratch);
    let ex = exec::extract(prog, &windows, &opts, &mut scratch).expect("within limits");
    let b = records(prog, &windows, &ex, OffsetUnit::Chars);
    ((a, whole.tokens.len()), (b, windows.tokens.len()))
}

const GAZETTEER: &str = r#"
lexicon City = ["New York", "York", "Paris", "St. Louis", "Saint-Denis", "Zürich", "U.S.", "café", "fire", "co-op"] with case ignore
lexicon Org = ["NATO", "the Red Cross", "Médecins Sans Frontières", "AT&T", "3M"]
lexicon Word = ["land", "free", "o'clock", "Rock 'n' Roll", "don't"] with case ignore
rule city { match c:City emit Place { name: c } }
rule org { match Org emit Organization }
rule word { match Word emit Term }
rule phrase { match ("the" "mayor" "of" City | "Mr." "Smith") emit Phrase priority 2 }
rule not_york { match "York" "Minster" veto Place }
"#;

/// Words near the entries: the entries themselves, their pieces, the same letters inside longer
/// words, case variants, punctuation that splits or joins tokens, and characters whose keys
/// differ from their text.
const WORDS: &[&str] = &[
    "New",
    "York",
    "new",
    "york",
    "YORK",
    "Yorkshire",
    "NewYork",
    "Paris",
    "Parisian",
    "St.",
    "St",
    "Louis",
    "Saint",
    "-",
    "Denis",
    "Saint-Denis",
    "Zürich",
    "Zu\u{308}rich",
    "U.S.",
    "US",
    "U.S.A.",
    "u.s.",
    "café",
    "cafe\u{301}",
    "cafe",
    "ﬁre",
    "fire",
    "FIRE",
    "Fire's",
    "co-op",
    "co",
    "op",
    "NATO",
    "Nato",
    "the",
    "Red",
    "Cross",
    "Médecins",
    "Sans",
    "Frontières",
    "AT",
    "&",
    "T",
    "AT&T",
    "3M",
    "3",
    "M",
    "land",
    "island",
    "Land",
    "free",
    "freedom",
    "o'clock",
    "o\u{2019}clock",
    "Rock",
    "'n'",
    "Roll",
    "don't",
    "don\u{2019}t",
    "mayor",
    "of",
    "Mr.",
    "Smith",
    "Minster",
    ".",
    ",",
    "\"",
    "(",
    ")",
    "!",
    "\u{201C}",
    "\u{201D}",
    "\u{212A}",
    "ＮＡＴＯ",
    "\u{1F642}",
    "42",
    "1,000",
];

const SEPARATORS: &[&str] = &[" ", " ", " ", " ", "", "  ", "\n", "\n\n", "\t", "\u{a0}", ". ", "\r\n"];

/// Words that are no entry and hold no needle: most of any real text.
const FILLER: &[&str] = &["committee", "met", "on", "a", "rainy", "afternoon", "and", "talked", "about", "budgets"];

#[test]
fn windows_find_what_the_whole_text_finds() {
    let rules = inline(GAZETTEER);
    assert!(rules.program.prefilter.is_ok(), "{:?}", rules.program.prefilter.as_ref().err());
    let mut g = Gen(0x5eed);
    let (mut found, mut skipped) = (0, 0);
    for _ in 0..3000 {
        let n = 1 + g.below(120);
        let mut text = String::new();
        for _ in 0..n {
            let word = if g.below(4) == 0 { g.pick(WORDS) } else { g.pick(FILLER) };
            text.push_str(word);
            text.push_str(g.pick(SEPARATORS));
        }
        let ((whole, all), (windows, some)) = both(&rules, &text);
        assert_eq!(whole, windows, "text: {text:?}");
        found += whole.len();
        skipped += all - some;
    }
    // The property must have been exercised: records found, and tokens left untokenized.
    assert!(found > 5000 && skipped > 5000, "found {found}, skipped {skipped}");
}

#[test]
fn long_texts_are_tokenized_only_around_their_needles() {
    let rules = inline(GAZETTEER);
    let filler = "The committee met on a rainy afternoon and talked about budgets. ".repeat(200);
    let text = format!("{filler}They flew to New York.\n{filler}Then the mayor of Paris spoke. {filler}");
    let ((whole, all), (windows, some)) = both(&rules, &text);
    assert_eq!(whole, windows);
    let found: Vec<&str> = windows.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(found, ["New York", "the mayor of Paris", "Paris"]);
    assert!(some * 100 < all, "{some} of {all} tokens");
}

#[test]
fn characters_whose_keys_become_ascii_send_the_text_whole() {
    let rules = inline(GAZETTEER);
    // `ﬁ` normalizes to `fi`, the Kelvin sign lower-cases to `k`, full-width letters to ASCII, and a
    // combining diaeresis joins the `u` before it: no run of ASCII letters shows the needle.
    for (text, expected) in [
        ("a ﬁre broke out", "ﬁre"),
        ("ＮＡＴＯ met", "ＮＡＴＯ"),
        ("in Zu\u{308}rich today", "Zu\u{308}rich"),
        ("a cafe\u{301} here", "cafe\u{301}"),
    ] {
        let ((whole, _), (windows, _)) = both(&rules, text);
        assert_eq!(whole, windows, "{text:?}");
        let texts: Vec<&str> = whole.iter().map(|r| r.text.as_str()).collect();
        assert!(texts.contains(&expected), "{text:?}: {texts:?}");
    }
}

#[test]
fn rules_beyond_entries_and_literals_get_no_prefilter() {
    for (rules, why) in [
        (
            "lexicon L = [\"a\"]\nrule r { match L cap emit X }",
            "rule `r` matches more than lexicon entries and literals",
        ),
        ("rule r { match \"a\" before(\"b\") emit X }", "rule `r` matches more than lexicon entries and literals"),
        ("lexicon L = [\"—\"]\nrule r { match L emit X }", "lexicon `L` has an entry with no ASCII letter or digit"),
        ("rule r { match \"%\" emit X }", "a literal has no ASCII letter or digit to look for"),
    ] {
        let program = inline(rules).program;
        let err = program.prefilter.as_ref().expect_err(rules);
        assert!(err.starts_with(why), "{rules}: {err}");
    }
}

#[test]
fn arbitrary_characters_give_the_same_records() {
    // Characters from every width of UTF-8 and every class the tokenizer knows, so that
    // multi-byte characters fall across the scanner's 8- and 64-byte blocks.
    const CHARS: &[char] = &[
        'a',
        'Z',
        '7',
        ' ',
        ' ',
        '\n',
        '\t',
        '.',
        '\'',
        '-',
        '&',
        'é',
        'ß',
        'İ',
        'ſ',
        '\u{a0}',
        '\u{2019}',
        '\u{2014}',
        '\u{301}',
        '\u{212A}',
        'ﬁ',
        '北',
        '京',
        '\u{1F642}',
        '\u{10348}',
        '\u{FF21}',
        '\u{0}',
    ];
    let rules = inline(GAZETTEER);
    let mut g = Gen(0xC0FFEE);
    for _ in 0..2000 {
        let mut text = String::new();
        for _ in 0..g.below(200) {
            if g.below(5) == 0 {
                text.push_str(g.pick(WORDS));
            } else {
                text.push(CHARS[g.below(CHARS.len())]);
            }
        }
        let ((whole, _), (windows, _)) = both(&rules, &text);
        assert_eq!(whole, windows, "text: {text:?}");
    }
}

/// A paragraph is judged wrapped prose or not on all its lines, whichever window holds a part
/// of it: here a short paragraph whose single line break ends a sentence, and a wrapped one
/// whose line breaks are spaces, each with an entry across a line break and one in a far window.
#[test]
fn a_line_break_reads_the_same_in_a_window_as_in_the_whole_text() {
    let rules = trawl::Rules::from_source(
        "t.trawl",
        r#"lexicon City = ["Paris", "New York", "York"] with case ignore
rule r { match "a" City City emit C }"#,
    )
    .expect("rules");
    let filler = "word ".repeat(200);
    let texts = [
        // (found by fuzzing) a window starts inside a paragraph whose lines are not wrapped prose
        format!("Paris May New New New New {filler}a Paris \n New York York a a a a York York Paris"),
        format!(
            "{filler}\n\nThe delegation said that a Paris\nNew York exchange would follow in the autumn and that it\n\
             would be announced later by the two city councils after the talks ended on Monday.\n\n{filler}"
        ),
    ];
    for text in &texts {
        let ((whole, _), (windows, some)) = both(&rules, text);
        assert!(some > 0, "the prefilter is used");
        assert_eq!(whole, windows, "text: {text:?}");
    }
}
