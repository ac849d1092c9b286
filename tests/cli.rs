//! The command line: exit codes, error records, formats, stdin, pipes.

use crate::common::root;
use std::io::{Read, Write};
use std::process::{Command, Stdio};

fn trawl(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trawl")).args(args).current_dir(root()).output().expect("run trawl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("trawl-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn extract_seed_with_bundled_rules() {
    let (code, out, err) = trawl(&["extract", "--anchor-date", "2023-05-01", "tests/corpus/japan-france-talks.txt"]);
    assert_eq!(code, 0, "{err}");
    let records: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    assert!(records.len() > 40);
    assert!(records.iter().all(|r| r["v"] == 1 && r["doc"] == "tests/corpus/japan-france-talks.txt"));
    let dateline = records.iter().find(|r| r["label"] == "Dateline").expect("dateline");
    assert_eq!(dateline["fields"]["date"], "2023-05-01");
}

#[test]
fn text_format_and_byte_offsets() {
    let (code, out, _) = trawl(&["extract", "--format", "text", "tests/corpus/japan-france-talks.txt"]);
    assert_eq!(code, 0);
    assert!(out.lines().any(|l| l.contains("Person") && l.contains("\"Catherine Colonna\"")), "{out}");
    let (_, chars, _) = trawl(&["extract", "tests/corpus/japan-france-talks.txt"]);
    let (_, bytes, _) = trawl(&["extract", "--offsets", "bytes", "tests/corpus/japan-france-talks.txt"]);
    let last = |s: &str| serde_json::from_str::<serde_json::Value>(s.lines().last().expect("line")).expect("json");
    // The text has curly quotes before the end: byte offsets run ahead of character offsets.
    assert!(last(&bytes)["start"].as_u64() > last(&chars)["start"].as_u64());
}

#[test]
fn stdin_output_file_and_folders() {
    let dir = temp_dir("io");
    let out_file = dir.join("out.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_trawl"))
        .args(["extract", "-o", out_file.to_str().expect("path"), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(b"Talks in Paris and Tokyo.").expect("write");
    let status = child.wait().expect("wait");
    assert!(status.success());
    let written = std::fs::read_to_string(&out_file).expect("output file");
    assert_eq!(written.lines().count(), 2, "{written}");
    assert!(written.contains("\"doc\":\"-\""));
    // Folders are read recursively, in sorted order.
    std::fs::create_dir_all(dir.join("docs/b")).expect("mkdir");
    std::fs::write(dir.join("docs/b/2.txt"), "Paris").expect("write");
    std::fs::write(dir.join("docs/1.txt"), "Tokyo").expect("write");
    let (code, out, _) = trawl(&["extract", dir.join("docs").to_str().expect("path")]);
    assert_eq!(code, 0);
    let texts: Vec<String> =
        out.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json")["text"].to_string()).collect();
    assert_eq!(texts, ["\"Tokyo\"", "\"Paris\""]);
}

#[test]
fn bad_documents_get_error_records_and_the_batch_goes_on() {
    let dir = temp_dir("bad");
    std::fs::write(dir.join("a.txt"), "Talks in Paris.").expect("write");
    std::fs::write(dir.join("b.txt"), b"caf\xe9 in Tokyo").expect("write");
    std::fs::write(dir.join("c.txt"), b"bin\x00ary").expect("write");
    std::fs::write(dir.join("d.txt"), "Talks in Tokyo.").expect("write");
    let (code, out, err) = trawl(&["extract", dir.to_str().expect("path")]);
    assert_eq!(code, 1, "{err}");
    let lines: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    let kinds: Vec<String> = lines
        .iter()
        .map(|l| l["error"]["kind"].as_str().unwrap_or(l["label"].as_str().unwrap_or("")).to_string())
        .collect();
    assert_eq!(kinds, ["Place", "invalid_utf8", "binary", "Place"]);
    assert!(err.contains("2 of 4 documents failed"), "{err}");
    let (code, _, _) = trawl(&["extract", "--max-doc-bytes", "5", dir.join("a.txt").to_str().expect("path")]);
    assert_eq!(code, 1);
}

#[test]
fn usage_and_rule_errors_exit_2() {
    let (code, _, err) = trawl(&["extract"]);
    assert_eq!(code, 2);
    assert!(err.contains("no input"), "{err}");
    let (code, _, err) = trawl(&["extract", "--anchor-date", "May 1", "-"]);
    assert_eq!((code, err.trim()), (2, "trawl: --anchor-date: `May 1` is not a date (expected YYYY-MM-DD)"));
    let (code, _, _) = trawl(&["extract", "--frobnicate"]);
    assert_eq!(code, 2);
    let (code, out, err) = trawl(&["check", "tests/fixtures/check/err/unknown_name.trawl"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    insta::assert_snapshot!(err);
    let (code, _, err) =
        trawl(&["extract", "--rules", "tests/fixtures/check/err/cycle.trawl", "tests/corpus/japan-france-talks.txt"]);
    assert_eq!(code, 2);
    assert!(err.contains("cycle"), "{err}");
}

#[test]
fn check_and_dump_valid_rules() {
    let (code, _, err) = trawl(&["check", "rules/news"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.starts_with("ok: "), "{err}");
    let (code, out, _) = trawl(&["dump", "ast", "tests/fixtures/syntax/ok/items.trawl"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("(import \"common.trawl\")"));
    let (code, out, _) = trawl(&["dump", "program"]);
    assert_eq!(code, 0);
    assert!(out.contains("rule person_with_title"));
}

#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    let dir = temp_dir("pipe");
    let text = "Talks in Paris and Tokyo. ".repeat(20_000);
    std::fs::write(dir.join("big.txt"), &text).expect("write");
    let mut child = Command::new(env!("CARGO_BIN_EXE_trawl"))
        .args(["extract", dir.join("big.txt").to_str().expect("path")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).expect("some output");
    drop(stdout);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}
