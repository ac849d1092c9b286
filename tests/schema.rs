//! The output's JSON Schemas (`schema/`) are the ones the types make, and the CLI's lines are
//! those types: every line read into its type and written again gives the same bytes, so a key
//! the writer adds that the types (and so the schemas) lack fails here. (The Python suite also
//! validates outputs and stored snapshots against the schema files themselves.)

use super::common::root;
use std::process::Command;
use trawl::output::{DocumentLine, ErrorKind, OutputLine};

#[test]
fn checked_in_schemas_are_generated_from_the_types() {
    for (name, text) in trawl::output::schemas() {
        let path = root().join("schema").join(name);
        let stored = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            stored == text,
            "schema/{name} is not what the types give: run `cargo run -- generate schema --out schema` and review the diff"
        );
    }
}

#[test]
fn error_kinds_are_written_by_their_names() {
    for kind in ErrorKind::ALL {
        assert_eq!(serde_json::to_value(kind).expect("kind"), serde_json::Value::from(kind.as_str()));
    }
}

fn lines(args: &[&str], stdin: &[u8]) -> Vec<String> {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_trawl"))
        .args(args)
        .current_dir(root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("trawl");
    child.stdin.take().expect("stdin").write_all(stdin).expect("write");
    let out = child.wait_with_output().expect("trawl");
    String::from_utf8(out.stdout).expect("utf-8").lines().map(str::to_string).collect()
}

fn round_trips<'a, T: serde::Deserialize<'a> + serde::Serialize>(line: &'a str) {
    let typed: T = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(serde_json::to_string(&typed).expect("json"), line);
}

#[test]
fn every_line_of_extract_is_an_output_line() {
    let seed = "tests/corpus/japan-france-talks.txt";
    let mut all = lines(&["extract", "--anchor-date", "2023-05-01", "--internal", seed], b"");
    assert!(all.iter().any(|l| l.contains("\"internal\":true")));
    all.extend(lines(&["extract", "--offsets", "bytes", seed], b""));
    let docs = b"{\"id\":\"a\",\"text\":\"Talks in Tokyo on 3 May.\"}\n{broken\n{\"id\":\"b\"}\n{\"id\":\"c\",\"text\":\"x\"}\n";
    all.extend(lines(&["extract", "--input-format", "jsonl", "-"], docs));
    all.extend(lines(&["extract", "--max-steps", "1", seed], b""));
    all.extend(lines(&["extract", "-"], b"\x00\x01binary"));
    all.extend(lines(&["extract", "-"], b"caf\xe9"));
    let kinds: Vec<&str> = ["invalid_json", "invalid_document", "timeout", "binary", "invalid_utf8"].into();
    for kind in kinds {
        assert!(all.iter().any(|l| l.contains(&format!("\"kind\":\"{kind}\""))), "no {kind} line");
    }
    for line in &all {
        round_trips::<OutputLine>(line);
    }
}

#[test]
fn every_line_of_filter_mode_is_a_document_line() {
    let docs = b"{\"id\":\"a\",\"text\":\"Talks in Tokyo on 3 May 2023.\"}\n\n{broken\n{\"text\":\"In Paris.\"}\n";
    let all = lines(&["extract", "--input-format", "jsonl", "--per-document", "-"], docs);
    assert_eq!(all.len(), 4);
    assert!(all[1].contains("\"empty_line\""));
    for line in &all {
        round_trips::<DocumentLine>(line);
    }
}

#[test]
fn typed_records_are_the_lines_the_cli_writes() {
    let seed = "tests/corpus/japan-france-talks.txt";
    let text = std::fs::read_to_string(root().join(seed)).expect("seed");
    let rules = trawl::Rules::bundled_news().expect("rules");
    let opts = trawl::Options { anchor: trawl::Date::parse("2023-05-01"), ..Default::default() };
    for (unit, flag) in [(trawl::OffsetUnit::Chars, "chars"), (trawl::OffsetUnit::Bytes, "bytes")] {
        let typed = rules.extract_with(&text, &opts, unit, &mut trawl::exec::Scratch::new()).expect("limits");
        let mut mine = Vec::new();
        for r in &typed {
            r.write_json(Some(seed), &mut mine);
            mine.push(b'\n');
        }
        let cli = lines(&["extract", "--anchor-date", "2023-05-01", "--offsets", flag, seed], b"");
        assert!(cli.len() > 50);
        assert_eq!(String::from_utf8(mine).expect("utf-8"), cli.join("\n") + "\n");
    }
}
