//! Checking: a rendered diagnostic snapshot per kind of rule error.

use crate::common::load;
use trawl::diag;

#[test]
fn rule_errors_give_diagnostics() {
    insta::glob!("fixtures/check/err/*.trawl", |path| {
        match load(path) {
            Ok(_) => panic!("{} compiled", path.display()),
            Err(e) => {
                assert!(
                    e.diagnostics.iter().all(|d| d.span.is_some() || d.message.contains("cannot read")),
                    "every error has a place"
                );
                insta::assert_snapshot!(diag::render(&e.sources, &e.diagnostics));
            }
        }
    });
}

#[test]
fn all_errors_of_a_file_are_reported() {
    let text = "rule a { match Titel emit X }\nrule b { match x:cap emit Y { v: y } }\nrule c { match /(/ emit Z }\n";
    let rendered = crate::common::inline_errors(text);
    assert_eq!(rendered.matches("error:").count(), 3, "{rendered}");
}

#[test]
fn lint_warnings() {
    insta::glob!("fixtures/check/warn/*.trawl", |path| {
        let rules = crate::common::rules(path);
        assert!(!rules.warnings.is_empty(), "{} gives no warning", path.display());
        insta::assert_snapshot!(diag::render(&rules.program.set.sources, &rules.warnings));
    });
}

#[test]
fn bundled_pack_is_lint_clean() {
    let rules = trawl::Rules::bundled_news().expect("bundled");
    assert!(rules.warnings.is_empty(), "{}", diag::render(&rules.program.set.sources, &rules.warnings));
}

/// A syntax error in one file and a duplicate definition in another hide nothing else.
#[test]
fn every_file_is_checked_whatever_fails_elsewhere() {
    let e = match load(&crate::common::root().join("tests/fixtures/check/pack")) {
        Ok(_) => panic!("the pack compiled"),
        Err(e) => e,
    };
    insta::assert_snapshot!(diag::render(&e.sources, &e.diagnostics));
}
