//! Parsing: the AST of every valid fixture, the diagnostic of every invalid one.

use crate::common::rel;
use trawl::{diag, source::SourceMap, syntax};

fn parse_file(path: &std::path::Path) -> (SourceMap, Result<syntax::ast::RuleFile, Vec<diag::Diagnostic>>) {
    let text = std::fs::read_to_string(path).expect("fixture");
    let mut sources = SourceMap::new();
    let id = sources.add(rel(path).display().to_string(), rel(path), text.clone());
    let parsed = syntax::parse(id, &text);
    (sources, parsed)
}

#[test]
fn valid_files_parse_to_ast() {
    insta::glob!("fixtures/syntax/ok/*.trawl", |path| {
        let (sources, parsed) = parse_file(path);
        match parsed {
            Ok(ast) => insta::assert_snapshot!(ast.to_string()),
            Err(d) => panic!("{}", diag::render(&sources, &d)),
        }
    });
}

#[test]
fn invalid_files_give_diagnostics() {
    insta::glob!("fixtures/syntax/err/*.trawl", |path| {
        let (sources, parsed) = parse_file(path);
        match parsed {
            Ok(ast) => panic!("{} parsed:\n{ast}", path.display()),
            Err(d) => insta::assert_snapshot!(diag::render(&sources, &d)),
        }
    });
}
