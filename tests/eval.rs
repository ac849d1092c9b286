//! `trawl eval`: scores of fixture rules against a small gold file, one
//! snapshot per argument file in `fixtures/eval/` (exit code, stdout, stderr).
//! The gold file is built so that every count differs between strict and
//! lenient matching, names-only and all mentions, and values are right and wrong.

use crate::common::root;
use std::process::Command;

fn run_eval(args_file: &std::path::Path) -> String {
    let line = std::fs::read_to_string(args_file).expect("args file");
    let mut args: Vec<String> = vec!["eval".into(), "--rules".into(), "tests/fixtures/eval/rules.trawl".into()];
    if !line.contains("--gold ") {
        args.extend(["--gold".into(), "tests/fixtures/eval/gold.jsonl".into()]);
    }
    args.extend(line.split_whitespace().map(String::from));
    let out = Command::new(env!("CARGO_BIN_EXE_trawl")).args(&args).current_dir(root()).output().expect("trawl runs");
    format!(
        "args: {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
        line.trim(),
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn eval_fixtures() {
    insta::glob!("fixtures/eval/*.args", |path| {
        insta::assert_snapshot!(run_eval(path));
    });
}

#[test]
fn scores_follow_the_definitions() {
    use trawl::eval::{evaluate, read_gold, Config};
    let rules = crate::common::rules(&root().join("tests/fixtures/eval/rules.trawl"));
    let gold = std::fs::read_to_string(root().join("tests/fixtures/eval/gold.jsonl")).unwrap();
    let mut cfg = Config::new("entities");
    cfg.names_only = true;
    let docs = read_gold(&gold, &cfg).unwrap();
    let scores = evaluate(&rules, &docs, &cfg);
    for row in &scores.labels {
        for c in [row.strict, row.lenient] {
            assert_eq!(c.tp + c.fp, row.system, "{}: every record is a tp or an fp", row.label);
            assert_eq!(c.tp + c.fn_, row.gold, "{}: every gold span is a tp or an fn", row.label);
        }
        assert!(row.strict.tp <= row.lenient.tp, "{}: strict never beats lenient", row.label);
    }
    let person = &scores.labels[0];
    // "President Anna Berg" overlaps gold "Anna Berg": lenient only. Pronouns are not names.
    assert!(person.lenient.tp > person.strict.tp);
    let per_rule: usize = scores.rules.iter().filter(|r| r.label == "Person").map(|r| r.records).sum();
    assert_eq!(per_rule, person.system, "per-rule counts add up to the label's records");
}

/// The bundled pack's scores on the dev gold set never fall below the stored
/// baselines (`tests/quality/*.json`, see docs/QUALITY.md). Needs `../shared`.
#[test]
fn bundled_pack_quality_holds_its_baseline() {
    let gold = root().join("../shared/corpus/dev/gold_dev.jsonl");
    if !gold.exists() {
        eprintln!("bundled_pack_quality_holds_its_baseline: {} is not here; skipped", gold.display());
        return;
    }
    let runs: [&[&str]; 2] = [
        &["--names", "--baseline", "tests/quality/names.json"],
        &["--layer", "timex", "--gold-where", "dataset=gum", "--baseline", "tests/quality/dates.json"],
    ];
    for extra in runs {
        let out = Command::new(env!("CARGO_BIN_EXE_trawl"))
            .args(["eval", "--gold", "../shared/corpus/dev/gold_dev.jsonl", "--fail-under"])
            .args(extra)
            .current_dir(root())
            .output()
            .expect("trawl runs");
        assert!(
            out.status.success(),
            "quality fell below the baseline ({extra:?}):\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
