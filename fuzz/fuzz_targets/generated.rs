//! Structure-aware: generated rule sets (every pattern operator, captures and
//! list captures, named regex groups, expressions, `where`, contexts, anchors,
//! vetoes, priorities, scopes, cascades) on
//! generated texts. The backtracker, the Pike VM and the prefilter must give
//! the same records, and the step count must stay within the linear bound.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[path = "bound.rs"]
mod bound;
use trawl::exec::{self, Scratch};
use trawl::output::{records, OffsetUnit};
use trawl::{Options, Rules};

const WORDS: &[&str] =
    &["a", "b", "New", "York", "said", "Paris", ",", ".", "and", "May", "19", "\n", "\n\n", "é", "the"];
const LABELS: &[&str] = &["A", "B", "C"];
const CLASSES: &[&str] = &["cap", "lower", "num", "word", "punct", "initial", "any"];

#[derive(Arbitrary, Debug)]
enum Pat {
    Word(u8),
    Fold(u8),
    Class(u8),
    Lexicon,
    Label(u8),
    Regex,
    Test(u8, u8),
    Seq(Vec<Pat>),
    Alt(Vec<Pat>),
    Counted(Box<Pat>, u8, Option<u8>, bool),
    Optional(Box<Pat>, bool),
    Star(Box<Pat>, bool),
    Plus(Box<Pat>, bool),
    Gap(Option<(u8, u8)>),
    Context { negated: bool, after: bool, inner: Box<Pat> },
    Start,
    End,
    /// A named capture inside the pattern (`c0:`, `c1:`): inside repetitions, or written twice,
    /// it binds a list.
    Captured(u8, Box<Pat>),
    /// A token regex with named groups (parts of a token).
    Groups,
}

#[derive(Arbitrary, Debug)]
struct Rule {
    pattern: Pat,
    label: u8,
    capture: bool,
    longer_than: Option<u8>,
    veto: Option<u8>,
    priority: i8,
    scope: u8,
    keep_all: bool,
}

#[derive(Arbitrary, Debug)]
struct Case {
    rules: Vec<Rule>,
    text: Vec<u8>,
}

fn pick<'a>(items: &[&'a str], i: u8) -> &'a str {
    items[i as usize % items.len()]
}

fn render(p: &Pat, depth: u32, out: &mut String) {
    if depth > 6 {
        out.push('_');
        return;
    }
    let inner = |p: &Pat, out: &mut String| {
        out.push('(');
        render(p, depth + 1, out);
        out.push(')');
    };
    let lazy = |l: bool, out: &mut String| {
        if l {
            out.push('?');
        }
    };
    match p {
        Pat::Word(w) => out.push_str(&format!("{:?}", pick(WORDS, *w).trim())),
        Pat::Fold(w) => out.push_str(&format!("{:?}i", pick(WORDS, *w).trim())),
        Pat::Class(c) => out.push_str(pick(CLASSES, *c)),
        Pat::Lexicon => out.push_str("City"),
        Pat::Label(l) => out.push_str(pick(LABELS, *l)),
        Pat::Regex => out.push_str("/^[a-z]+$/i"),
        Pat::Test(a, b) => out.push_str(&format!(
            "[{} & !{}]",
            pick(&["cap", "word", "A", "City"], *a),
            pick(&["num", "B", "lower"], *b)
        )),
        Pat::Seq(items) | Pat::Alt(items) if items.is_empty() => out.push_str("word"),
        Pat::Seq(items) => {
            for (k, i) in items.iter().take(4).enumerate() {
                if k > 0 {
                    out.push(' ');
                }
                inner(i, out);
            }
        }
        Pat::Alt(items) => {
            for (k, i) in items.iter().take(4).enumerate() {
                if k > 0 {
                    out.push_str(" | ");
                }
                inner(i, out);
            }
        }
        Pat::Counted(p, min, max, l) => {
            inner(p, out);
            let min = min % 4;
            match max.map(|m| m % 5) {
                Some(m) => out.push_str(&format!("{{{},{}}}", min.min(m), min.max(m))),
                None => out.push_str(&format!("{{{min},}}")),
            }
            lazy(*l, out);
        }
        Pat::Optional(p, l) => {
            inner(p, out);
            out.push('?');
            lazy(*l, out);
        }
        Pat::Star(p, l) => {
            inner(p, out);
            out.push('*');
            lazy(*l, out);
        }
        Pat::Plus(p, l) => {
            inner(p, out);
            out.push('+');
            lazy(*l, out);
        }
        Pat::Gap(None) => out.push_str("..."),
        Pat::Gap(Some((a, b))) => out.push_str(&format!("...{{{},{}}}", a % 3, a % 3 + b % 4)),
        Pat::Context { negated, after, inner: p } => {
            if *negated {
                out.push_str("not ");
            }
            out.push_str(if *after { "after(" } else { "before(" });
            render(p, depth + 1, out);
            out.push(')');
        }
        Pat::Start => out.push('^'),
        Pat::End => out.push('$'),
        Pat::Captured(n, p) => {
            out.push_str(&format!("c{}:", n % 2));
            inner(p, out);
        }
        Pat::Groups => out.push_str("/^(?<g>[a-zA-Z])(?<h>[a-z]*)$/"),
    }
}

fn source(rules: &[Rule]) -> String {
    let mut s = String::from("lexicon City = [\"Paris\", \"New York\", \"York\"] with case ignore\n");
    for (i, r) in rules.iter().take(5).enumerate() {
        let mut pat = String::new();
        render(&r.pattern, 0, &mut pat);
        let pat = if r.capture { format!("x:({pat})") } else { pat };
        // Values of every capture and group the pattern has: spans, lists, parts of tokens.
        let mut fields: Vec<String> = vec![];
        for c in ["c0", "c1"] {
            if pat.contains(&format!("{c}:")) {
                fields.push(format!("{c}, n{c}: count({c}) * 2 + 0.5, t{c}: join({c}, \"+\") ++ \"!\""));
            }
        }
        if pat.contains("(?<g>") {
            fields.push("g, h, u: upper(g) ++ lower(h)".into());
        }
        let fields = if fields.is_empty() { String::new() } else { format!(" {{ {} }}", fields.join(", ")) };
        s.push_str(&format!("rule r{i} {{\n  match {pat}\n"));
        if let (true, Some(n)) = (r.capture, r.longer_than) {
            s.push_str(&format!("  where len(x) > {}\n", n % 3));
        }
        match r.veto {
            Some(v) => s.push_str(&format!("  veto {}\n", pick(LABELS, v))),
            None => s.push_str(&format!("  emit {}{fields}\n", pick(LABELS, r.label))),
        }
        s.push_str(&format!("  priority {}\n", r.priority % 3));
        s.push_str(&format!("  scope {}\n", pick(&["sentence", "paragraph", "document"], r.scope)));
        if r.keep_all {
            s.push_str("  keep all\n");
        }
        s.push_str("}\n");
    }
    s
}

fuzz_target!(|case: Case| {
    let src = source(&case.rules);
    let Ok(rules) = Rules::from_source("generated.trawl", &src) else { return };
    let text: String = case.text.iter().take(400).map(|&w| pick(WORDS, w)).collect::<Vec<_>>().join(" ");
    let opts = Options::default();
    let whole = trawl::text::Document::new(&text);
    let run = |backtracking: bool| {
        let mut s = Scratch::new();
        s.set_backtracking(backtracking);
        let ex = exec::extract(&rules.program, &whole, &opts, &mut s).expect("within limits");
        if backtracking {
            let b = bound::steps(&rules, whole.tokens.len(), ex.annotations.len());
            assert!(s.steps() <= b, "{} steps over the bound {b}\n{src}", s.steps());
        }
        records(&rules.program, &whole, &ex, OffsetUnit::Chars)
    };
    let (bt, pike) = (run(true), run(false));
    assert_eq!(bt, pike, "backtracker and Pike VM differ\n{src}\n{text:?}");
    let mut s = Scratch::new();
    let doc = exec::document(&rules.program, &text, &mut s);
    let ex = exec::extract(&rules.program, &doc, &opts, &mut s).expect("within limits");
    assert_eq!(bt, records(&rules.program, &doc, &ex, OffsetUnit::Chars), "prefilter differs\n{src}\n{text:?}");
});
