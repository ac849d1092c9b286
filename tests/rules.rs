//! Rule examples: the bundled packs' own, and those of docs/LANGUAGE.md.

use crate::common::*;
use trawl::testing::{run_examples, Status};

fn failures(rules: &trawl::Rules) -> Vec<String> {
    let mut out = vec![];
    for o in run_examples(rules) {
        if let Status::Fail(problems) = &o.status {
            out.push(format!(
                "{} ({}): {:?}\n    {}",
                o.rule,
                o.location,
                o.text,
                problems.join("\n    ")
            ));
        }
    }
    out
}

#[test]
fn bundled_news_examples_pass() {
    let rules = trawl::Rules::bundled_news().expect("bundled pack compiles");
    let outcomes = run_examples(&rules);
    assert!(outcomes.len() >= 30, "only {} examples", outcomes.len());
    let f = failures(&rules);
    assert!(f.is_empty(), "failing examples:\n{}", f.join("\n"));
}

#[test]
fn bundled_pack_on_disk_is_the_embedded_one() {
    let disk = rules(&root().join("rules/news"));
    let embedded = trawl::Rules::bundled_news().expect("bundled");
    assert_eq!(disk.program.to_string(), embedded.program.to_string());
}
