//! The tricky semantics, one behaviour per test.

use crate::common::{extract_lines, inline, inline_errors};

fn run(rules: &str, text: &str) -> Vec<String> {
    extract_lines(&inline(rules), text, None)
}

#[test]
fn greedy_takes_the_most_lazy_the_least() {
    assert_eq!(run("rule r { match cap+ emit X }", "the New York City hall"), ["X \"New York City\""]);
    assert_eq!(
        run("rule r { match cap+? emit X }", "the New York City hall"),
        ["X \"New\"", "X \"York\"", "X \"City\""]
    );
    assert_eq!(run("rule r { match cap{1,2} emit X }", "New York City"), ["X \"New York\"", "X \"City\""]);
    // Lazy changes what is preferred at a start, not where the match starts.
    assert_eq!(run("rule r { match cap{1,2}? \"City\" emit X }", "New York City"), ["X \"New York City\""]);
}

#[test]
fn gaps_are_lazy_and_bounded() {
    assert_eq!(run("rule r { match \"from\" ... \"to\" emit X }", "from a to b to c"), ["X \"from a to\""]);
    assert_eq!(run("rule r { match \"from\" ...{0,1} \"to\" emit X }", "from a b to c"), Vec::<String>::new());
    assert_eq!(run("rule r { match \"from\" ...{2,} \"to\" emit X }", "from to a to b to"), ["X \"from to a to\""]);
}

#[test]
fn alternatives_are_preferred_in_order() {
    assert_eq!(run("rule r { match (\"a\" | \"a\" \"b\") emit X }", "a b"), ["X \"a\""]);
    assert_eq!(run("rule r { match (\"a\" \"b\" | \"a\") emit X }", "a b"), ["X \"a b\""]);
}

#[test]
fn matches_of_one_rule_do_not_overlap_and_go_left_to_right() {
    assert_eq!(run("rule r { match word word emit X }", "a b c d e"), ["X \"a b\"", "X \"c d\""]);
}

#[test]
fn context_is_checked_but_not_part_of_the_match() {
    let rules = "rule r { match before(\"in\") y:/^\\d{4}$/ after(\".\" | \",\") emit Year { y } }";
    assert_eq!(
        run(rules, "in 2018, but 2019. Also in 2020 and in 2021."),
        ["Year \"2018\" y=\"2018\"", "Year \"2021\" y=\"2021\""]
    );
    let rules = "rule r { match not before(\"$\") n:num not after(\"%\") emit N }";
    assert_eq!(run(rules, "$5 and 6% and 7 and 8"), ["N \"7\"", "N \"8\""]);
    // Context may look outside what the match covers, but not outside the scope.
    let rules = "rule r { match before(\"end\" \".\") cap emit X }";
    assert_eq!(run(rules, "The end. Next one."), Vec::<String>::new());
    let rules = "rule r { match before(\"end\" \".\") cap scope paragraph emit X }";
    assert_eq!(run(rules, "The end. Next one."), ["X \"Next\""]);
}

#[test]
fn anchors_match_scope_edges() {
    assert_eq!(run("rule r { match ^ cap emit X }", "One two. Three four."), ["X \"One\"", "X \"Three\""]);
    assert_eq!(run("rule r { match word \".\"? $ emit X }", "One two. Three four"), ["X \"two.\"", "X \"four\""]);
}

#[test]
fn conflicts_priority_beats_length() {
    let rules = "rule long { match cap cap emit P }\nrule short { match \"York\" emit P priority 1 }";
    assert_eq!(run(rules, "New York"), ["P \"York\""]);
}

#[test]
fn conflicts_longer_beats_leftmost() {
    let rules = "rule a { match \"a\" \"b\" emit P }\nrule b { match \"b\" \"c\" \"d\" emit P }";
    assert_eq!(run(rules, "a b c d"), ["P \"b c d\""]);
}

#[test]
fn conflicts_leftmost_beats_rule_order() {
    let rules = "rule first { match \"b\" \"c\" emit P }\nrule second { match \"a\" \"b\" emit P }";
    assert_eq!(run(rules, "a b c"), ["P \"a b\""]);
}

#[test]
fn conflicts_rule_order_breaks_the_last_tie() {
    let rules =
        "rule first { match x:\"a\" emit P { by: \"first\" } }\nrule second { match \"a\" emit P { by: \"second\" } }";
    assert_eq!(run(rules, "a"), ["P \"a\" by=\"first\""]);
}

#[test]
fn keep_all_opts_out_and_other_labels_never_conflict() {
    let rules = "rule a { match cap cap emit P }\nrule b { match cap keep all emit P }\nrule c { match cap emit Q }";
    assert_eq!(run(rules, "New York"), ["P \"New\"", "Q \"New\"", "P \"New York\"", "P \"York\"", "Q \"York\""]);
}

#[test]
fn where_filters_and_the_search_goes_on() {
    let rules = "rule r { match d:num m:cap where int(d) <= 31 emit D { day: int(d) } }";
    assert_eq!(run(rules, "32 May and 31 May"), ["D \"31 May\" day=31"]);
    // A failed condition drops that match only; a match starting one token later is still found.
    let rules = "rule r { match a:word b:word where b != \"x\" emit P }";
    assert_eq!(run(rules, "a x b"), ["P \"x b\""]);
}

#[test]
fn veto_removes_overlapping_annotations() {
    let rules = "lexicon M = [\"May\"]\nrule d { match M emit Date }\nrule v { match \"Theresa\" \"May\" veto Date }";
    assert_eq!(run(rules, "Theresa May left in May."), ["Date \"May\""]);
}

#[test]
fn cascades_follow_labels_not_file_order() {
    let rules = "rule b { match x:A \"!\" emit B { from: x } }\nrule a { match \"hi\" emit A }";
    assert_eq!(run(rules, "hi !"), ["A \"hi\"", "B \"hi !\" from=\"hi\""]);
}

#[test]
fn cycles_name_the_rules() {
    let e = inline_errors("rule a { match C emit A }\nrule b { match A emit B }\nrule c { match B emit C }");
    assert!(e.contains("cycle: a → b → c → a"), "{e}");
}

#[test]
fn name_propagation_is_not_a_cycle() {
    let rules = "lexicon F = [\"Ada\"]\nrule p { match F cap emit Person }\nlexicon K = from Person forms [last]\nrule again { match K emit Person }";
    assert_eq!(run(rules, "Ada Lovelace wrote. Lovelace died."), ["Person \"Ada Lovelace\"", "Person \"Lovelace\""]);
}

#[test]
fn constraints_on_annotations() {
    let rules = "lexicon T = [\"General\" {kind: \"military\"}, \"President\" {kind: \"civil\"}]\n\
                 rule r { match t:T(kind = \"military\") n:cap emit P { kind: t.kind } }";
    assert_eq!(run(rules, "General Smith and President Jones"), ["P \"General Smith\" kind=\"military\""]);
}

#[test]
fn offsets_are_characters_by_default_and_bytes_on_request() {
    let rules = inline("rule r { match \"Zoë\" emit N }");
    let text = "🙂 café Zoë";
    let chars = rules.extract(text, &trawl::Options::default()).expect("within limits");
    assert_eq!((chars[0].start, chars[0].end), (7, 10));
    let bytes = rules
        .extract_with(text, &trawl::Options::default(), trawl::OffsetUnit::Bytes, &mut trawl::exec::Scratch::new())
        .expect("within limits");
    assert_eq!((bytes[0].start, bytes[0].end), (11, 15));
    assert_eq!(&text[11..15], "Zoë");
}

#[test]
fn multi_word_literals_follow_their_own_tokenization() {
    assert_eq!(
        run("rule r { match \"two-plus-two\" \"talks\" emit X }", "the two\u{2011}plus\u{2011}two talks"),
        ["X \"two‑plus‑two talks\""]
    );
    assert_eq!(run("rule r { match \"U.S.\" emit X }", "the U.S. and US"), ["X \"U.S.\""]);
}

#[test]
fn dates_resolve_only_against_the_anchor() {
    let rules =
        inline("lexicon M = [\"May\" {n: 5}]\nrule d { match m:M d:num emit Date { value: date(month: m, day: d) } }");
    assert_eq!(extract_lines(&rules, "on May 19", None), ["Date \"May 19\" value=\"XXXX-05-19\""]);
    assert_eq!(extract_lines(&rules, "on May 19", Some("2023-05-01")), ["Date \"May 19\" value=\"2023-05-19\""]);
}

#[test]
fn pathological_patterns_stay_linear() {
    // Nested and overlapping repetition that backtracking engines explode on. The text holds
    // every literal the rules need (so no rule is skipped before matching) but never "y x".
    let text = format!("y {}x", "Aa ".repeat(20_000));
    for src in [
        "rule r { match (cap | cap cap)* (cap+)+ \"y\" \"x\" scope document emit X }",
        "rule r { match cap ... ... ... \"y\" \"x\" scope document emit X }",
    ] {
        let rules = inline(src);
        let mut scratch = trawl::exec::Scratch::new();
        let doc = trawl::exec::document(&rules.program, &text, &mut scratch);
        let ex = trawl::exec::extract(&rules.program, &doc, &trawl::Options::default(), &mut scratch);
        assert!(ex.expect("within limits").output.is_empty());
        // Linear: a bounded number of steps per (instruction, token), far below any blow-up.
        let insts = rules.program.rules[0].insts.len() as u64;
        assert!(scratch.steps() <= 4 * insts * 20_003, "{src}: {} steps", scratch.steps());
    }
}

#[test]
fn extraction_is_deterministic() {
    let rules = trawl::Rules::bundled_news().expect("bundled");
    let text =
        std::fs::read_to_string(crate::common::root().join("tests/corpus/japan-france-talks.txt")).expect("seed");
    let a = rules.extract(&text, &trawl::Options::default()).expect("within limits");
    for _ in 0..3 {
        assert_eq!(rules.extract(&text, &trawl::Options::default()).expect("within limits"), a);
    }
}

#[test]
fn lexicon_coverage_tests_agree_beyond_the_mask_width() {
    // Static lexicons read by `[...]` tests get one bit each of a 64-bit mask; the 65th and later
    // are tested one by one. Both ways must give the same answers, including a lexicon entry that
    // covers two tokens and a required (not negated) lexicon.
    let mut rules = String::new();
    for k in 0..70 {
        rules.push_str(&format!("lexicon L{k} = [\"W{k}\"]\n"));
    }
    rules.push_str("lexicon Two = [\"New York\"]\n");
    let none: Vec<String> = (0..70).map(|k| format!("!L{k}")).collect();
    rules.push_str(&format!("rule free {{ match [cap & {}] emit Free }}\n", none.join(" & ")));
    rules.push_str("rule inside { match [cap & Two & !L3 & !L69] emit Inside }\n");
    // W5 is excluded through the mask, W66 through the items left over; New and York pass both.
    let text = "W5 Alpha W66 Beta New York";
    assert_eq!(
        run(&rules, text),
        ["Free \"Alpha\"", "Free \"Beta\"", "Free \"New\"", "Inside \"New\"", "Free \"York\"", "Inside \"York\""]
    );
}

#[test]
fn rules_anchored_on_a_rare_literal_or_annotation_find_every_match() {
    // "a" is frequent and "c" rare, so candidates come from the occurrences of "c" and the
    // distance range before it (1 or 2 tokens here); the matches must be those of a plain scan.
    let text = "a a a a a a a a a a a a a a a a b c a a a a a a a a a a a c a a a a a a a a a a a a a a a x c";
    assert_eq!(run(r#"rule r { match "a" "b"? "c" emit X }"#, text), ["X \"a b c\"", "X \"a c\""]);
    assert_eq!(run(r#"lexicon L = ["c"] rule r { match "a" "b"? L emit X }"#, text), ["X \"a b c\"", "X \"a c\""]);
    // An unbounded distance before the rare word: no anchoring, the same answers.
    assert_eq!(run(r#"rule r { match "a" "b"* "c" emit X }"#, text), ["X \"a b c\"", "X \"a c\""]);
    // A class first, the rare literal second ("x c" has no "a" before "c").
    assert_eq!(run(r#"rule r { match lower "c" emit X }"#, text), ["X \"b c\"", "X \"a c\"", "X \"x c\""]);
}

#[test]
fn numbers_are_exact_decimals_and_overflow_is_absent() {
    let rules = "rule r { match \"x\" a:num emit V { sum: num(a) + 0.2, prod: num(a) * 1000000000, q: num(a) / 3, \
                 big: num(a) * 79228162514264337593543950335 * 100, neg: -num(a) - 1 } }";
    // 0.1 + 0.2 is 0.3 exactly; the product has no binary-fraction digits; the overflow is left
    // out; a quotient of 28 digits is written as the nearest JSON double.
    assert_eq!(run(rules, "x 0.1"), ["V \"x 0.1\" sum=0.3 prod=100000000 q=0.03333333333333333 neg=-1.1"]);
    assert_eq!(run(rules, "x 1.2"), ["V \"x 1.2\" sum=1.4 prod=1200000000 q=0.4 neg=-2.2"]);
}

#[test]
fn conditions_compare_numbers_read_from_text() {
    let rules = "rule r { match n:num \"people\" where num(n) >= 1000 emit Crowd { n: num(n) } }";
    assert_eq!(
        run(rules, "1,200 people and 999 people and 1.234,5 people"),
        ["Crowd \"1,200 people\" n=1200", "Crowd \"1.234,5 people\" n=1234.5"]
    );
}

#[test]
fn list_captures_keep_every_binding_and_alternatives_bind_one_branch() {
    let rules = "rule r { match (w:cap)+ \"and\" w:cap emit L { w, n: count(w), last: last(w) } }";
    assert_eq!(run(rules, "Ann Bob and Cy"), ["L \"Ann Bob and Cy\" w=[\"Ann\", \"Bob\", \"Cy\"] n=3 last=\"Cy\""]);
    let rules = "rule r { match (a:\"left\" | b:\"right\") \"turn\" emit T { a, b, c: a ?? \"none\" } }";
    assert_eq!(run(rules, "right turn"), ["T \"right turn\" b=\"right\" c=\"none\""]);
}
