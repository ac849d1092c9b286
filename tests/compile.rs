//! Compiling: the program listing of each fixture, and of the bundled pack.

use crate::common::rules;

#[test]
fn program_listings() {
    insta::glob!("fixtures/compile/*.trawl", |path| {
        insta::assert_snapshot!(rules(path).program.to_string());
    });
}

#[test]
fn bundled_news_program_listing() {
    let rules = trawl::Rules::bundled_news().expect("bundled");
    insta::assert_snapshot!(rules.program.to_string());
}

#[test]
fn a_thousand_rules_compile() {
    let mut text = String::from("lexicon L = [\"alpha\", \"beta gamma\"]\n");
    for i in 0..1000 {
        text.push_str(&format!(
            "rule r{i} {{ match \"w{i}\" (cap | L){{1,3}} x:num? before(\"the\")? emit Label{} {{ v: x }} }}\n",
            i % 7
        ));
    }
    let rules = crate::common::inline(&text);
    assert_eq!(rules.program.rules.len(), 1000);
}
