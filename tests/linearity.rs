//! Linear time without a clock: the matching steps of a document (a
//! deterministic count, `Scratch::steps`) must grow at most in proportion to
//! its text. Each shape is run on a text and on the same text four times as
//! long; the steps may grow at most 4× plus a constant. A search that rescans
//! the rest of its unit per start, a context run to the unit's end per
//! position, a veto that scans every candidate per match, or a quadratic loop
//! over derived names grows 16× here.

use crate::common::inline;
use trawl::{exec, Options, Rules};

fn steps(rules: &Rules, text: &str) -> u64 {
    let mut scratch = exec::Scratch::new();
    let doc = exec::document(&rules.program, text, &mut scratch);
    exec::extract(&rules.program, &doc, &Options::default(), &mut scratch).expect("within limits");
    scratch.steps()
}

/// The steps of a text extracted in pieces of about `piece` bytes (as the CLI reads a long text).
fn steps_in_pieces(rules: &Rules, text: &str, piece: usize) -> u64 {
    let mut scratch = exec::Scratch::new();
    let opts = Options { piece_bytes: piece, ..Options::default() };
    exec::extract_text(&rules.program, text, &opts, &mut scratch, |_, _, _| true).expect("within limits");
    scratch.steps()
}

/// Steps for `make(n)` and `make(4n)`: the second at most 4× the first plus `slack`.
fn assert_linear(what: &str, rules: &Rules, make: impl Fn(usize) -> String, n: usize) {
    assert_linear_by(what, |text| steps(rules, text), make, n);
}

/// [`assert_linear`] with the steps counted by `steps`.
fn assert_linear_by(what: &str, steps: impl Fn(&str) -> u64, make: impl Fn(usize) -> String, n: usize) {
    let (small, large) = (steps(&make(n)), steps(&make(4 * n)));
    let slack = 2_000;
    eprintln!("{what}: {small} -> {large} steps ({:.2}×)", large as f64 / small.max(1) as f64);
    assert!(large <= 4 * small + slack, "{what}: {small} steps, then {large} for 4× the text");
}

fn a_s(n: usize) -> String {
    "a ".repeat(n)
}

#[test]
fn every_construct_is_linear_on_one_long_sentence() {
    let shapes: &[(&str, &str)] = &[
        ("a rejecting where", r#"rule r { match x:"a" ... $ where len(x) > 5 emit A }"#),
        ("an optional gap to a missing literal", r#"rule r { match "a" (... "zzz")? emit A }"#),
        ("an alternative with a gap", r#"rule r { match ("a" ... "zzz" | "a") emit A }"#),
        ("a negated after with a gap", r#"rule r { match "a" not after(... "zzz") emit A }"#),
        ("an after with a gap that holds", r#"rule r { match "a" after(... $) emit A }"#),
        ("a veto of every token", "rule a { match word emit B }\nrule v { match \"a\" veto B }"),
        ("nested repetition", r#"rule r { match ("a" | "a" "a")* ("a"+)+ "b" "zzz" scope document emit A }"#),
        ("three gaps", r#"rule r { match "a" ... ... ... "b" "zzz" scope document emit A }"#),
        ("a where over a gap", r#"rule r { match x:"a" ... y:"a" where len(x) > len(y) emit A }"#),
    ];
    for (what, src) in shapes {
        // "b" and "zzz" occur once, "zzz" at the end, so that no rule is skipped for lacking them
        // and every start has a "zzz" after it, but nothing ends in "b zzz".
        let rules = inline(src);
        assert_linear(what, &rules, |n| format!("b {}zzz", a_s(n)), 2_000);
    }
    let rules = inline(r#"rule r { match before("include" ("a" ",")*) "a" emit A }"#);
    assert_linear("a before with a repetition", &rules, |n| format!("include {}", "a , ".repeat(n / 2)), 2_000);
}

#[test]
fn the_bundled_pack_is_linear_on_lists_and_names() {
    let rules = Rules::bundled_news().expect("bundled");
    assert_linear("a list of countries", &rules, |n| format!("They include {}", "France, ".repeat(n / 2)), 2_000);
    assert_linear("one name repeated", &rules, |n| "John Xyzab said. ".repeat(n / 4), 2_000);
    // Distinct names, each said once (a name's first and last word become derived forms).
    let names = |n: usize| {
        let mut t = String::new();
        for i in 0..n / 4 {
            let (first, last) = (["John", "Mary", "Omar", "Anna"][i % 4], i.to_string());
            let last: String = last.bytes().map(|b| (b - b'0' + b'a') as char).collect();
            t.push_str(&format!("{first} Q{last}son said. "));
        }
        t
    };
    assert_linear("distinct names", &rules, names, 2_000);
    // Read in pieces, as a long text is: the names of the pieces before are known in each piece,
    // and adding them must not cost again in every later piece.
    assert_linear_by("distinct names in pieces", |t| steps_in_pieces(&rules, t, 2_048), names, 4_000);
}

/// The step budget stops a document that would cost too much, with an error, not a partial result.
#[test]
fn the_step_budget_stops_extraction_with_an_error() {
    let rules = inline(r#"rule r { match "a" (... "zzz")? emit A }"#);
    let text = format!("zzz {}", a_s(5_000));
    let mut scratch = exec::Scratch::new();
    let doc = exec::document(&rules.program, &text, &mut scratch);
    let full = exec::extract(&rules.program, &doc, &Options::default(), &mut scratch).expect("within limits");
    let needed = scratch.steps();
    assert_eq!(full.output.len(), 5_000);
    let mut opts = Options::default();
    opts.limits.max_steps = Some(needed / 2);
    match exec::extract(&rules.program, &doc, &opts, &mut scratch) {
        Err(e) => assert_eq!(e, trawl::Exceeded::Steps(needed / 2)),
        Ok(ex) => panic!("{} records past the budget", ex.output.len()),
    }
    opts.limits.max_steps = Some(needed);
    assert!(exec::extract(&rules.program, &doc, &opts, &mut scratch).is_ok(), "exactly the steps it needs");
    // The default grows with the text: a base plus a number per token.
    assert_eq!(trawl::Limits::default().steps_for(10), 50_000_000 + 10 * 2_000);
}
