//! Rule examples: the bundled packs' own, and those of docs/LANGUAGE.md.

use crate::common::*;
use trawl::testing::{run_examples, Status};

fn failures(rules: &trawl::Rules) -> Vec<String> {
    let mut out = vec![];
    for o in run_examples(rules) {
        if let Status::Fail(problems) = &o.status {
            let lines = trawl::testing::report::problem_lines(problems, Default::default());
            out.push(format!("{} ({}): {:?}\n    {}", o.rule, o.location(), o.text, lines.join("\n    ")));
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

/// The ```trawl and ```trawl-error blocks of docs/LANGUAGE.md, with their line.
fn language_blocks() -> Vec<(usize, bool, String)> {
    let doc = std::fs::read_to_string(root().join("docs/LANGUAGE.md")).expect("LANGUAGE.md");
    let mut blocks = vec![];
    let mut current: Option<(usize, bool, String)> = None;
    for (i, line) in doc.lines().enumerate() {
        match &mut current {
            None if line.trim() == "```trawl" || line.trim() == "```trawl-error" => {
                current = Some((i + 1, line.trim().ends_with("error"), String::new()))
            }
            None => {}
            Some(_) if line.trim() == "```" => blocks.push(current.take().expect("block")),
            Some((_, _, text)) => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    blocks
}

/// Loads one block as if it were `tests/fixtures/language/block.trawl`.
fn load_block(text: &str) -> Result<trawl::Rules, trawl::RuleErrors> {
    struct Block<'a>(&'a str);
    let path = std::path::PathBuf::from("tests/fixtures/language/block.trawl");
    impl trawl::check::load::Files for Block<'_> {
        fn read(&self, p: &std::path::Path, max: u64) -> std::io::Result<String> {
            if p == std::path::Path::new("tests/fixtures/language/block.trawl") {
                Ok(self.0.to_string())
            } else {
                trawl::check::load::DiskFiles.read(p, max)
            }
        }
        fn rule_files_in(&self, _: &std::path::Path) -> Option<std::io::Result<Vec<std::path::PathBuf>>> {
            None
        }
    }
    trawl::Rules::load(&[path], &Block(text))
}

#[test]
fn language_reference_examples_pass() {
    let blocks = language_blocks();
    assert!(blocks.len() >= 20, "only {} blocks", blocks.len());
    let mut problems = vec![];
    for (line, must_fail, text) in &blocks {
        match (load_block(text), must_fail) {
            (Err(e), false) => problems.push(format!("docs/LANGUAGE.md:{line}: does not compile:\n{e}")),
            (Ok(_), true) => problems.push(format!("docs/LANGUAGE.md:{line}: compiles but should not")),
            (Err(_), true) => {}
            (Ok(rules), false) => {
                let outcomes = run_examples(&rules);
                if outcomes.is_empty() {
                    problems.push(format!("docs/LANGUAGE.md:{line}: the block has no example, so it tests nothing"));
                }
                for f in failures(&rules) {
                    problems.push(format!("docs/LANGUAGE.md:{line}: {f}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn language_reference_covers_every_construct() {
    // Each construct of the grammar appears in at least one tested block.
    let all: String = language_blocks().into_iter().filter(|b| !b.1).map(|b| b.2).collect();
    let constructs = [
        "import ",
        "use news/",
        " { Person }",
        "dates::Date",
        "lexicon ",
        "file \"",
        "{iso:",
        "with case ignore",
        "with case ignore above",
        "from Person.name forms",
        "forms [acronym]",
        "pattern ",
        "\"i",
        "/^",
        "cap",
        "upper",
        "lower",
        "num",
        "word",
        "punct",
        "symbol",
        "initial",
        " _",
        "[cap &",
        "[glued &",
        " | ",
        "!(",
        "len >",
        "shape =",
        "lower =",
        "!\"the\"",
        "(kind = ",
        "(kind)",
        "+?",
        "{2}",
        "{1,}",
        "{,2}",
        "{1,3}?",
        "...",
        "...{0,1}",
        "before(",
        "not after(",
        "not before(",
        "after(",
        "^ ",
        " $",
        "where ",
        " and ",
        "not (",
        "veto ",
        "priority ",
        "scope  paragraph",
        "scope document",
        "keep all",
        " at ",
        "_Venue",
        "text(",
        "lower(",
        "upper(",
        "len(",
        "int(",
        "date(",
        "c.n",
        "num(",
        "trim(",
        "replace(",
        "round(",
        "coalesce(",
        "count(",
        "first(",
        "last(",
        "join(",
        " ?? ",
        " ++ ",
        "if ",
        " * ",
        " / ",
        "(?<",
        "0.1 + 0.2",
        "(y:num)+",
        "shift(",
        "period(",
        "weekday(",
        "nth_weekday(",
        "day_in(",
        "easter(",
        "example ",
        "counterexample ",
        "todo example",
    ];
    let missing: Vec<&str> = constructs.iter().copied().filter(|c| !all.contains(c)).collect();
    assert!(missing.is_empty(), "constructs without a tested block: {missing:?}");
}
