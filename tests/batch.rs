//! Batch extraction: JSON Lines input, filter mode, threads, order, globs,
//! statistics, and the GNU parallel recipe.

use crate::common::root;
use std::io::Write;
use std::process::{Command, Stdio};

fn trawl_stdin(args: &[&str], input: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trawl"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// 1,000 JSON Lines documents, some of them broken in every way a line can be.
fn thousand_docs() -> (Vec<u8>, Vec<String>) {
    let mut input = Vec::new();
    let mut ids = Vec::new();
    for i in 0..1000 {
        let id = format!("doc-{i}");
        let line: Vec<u8> = match i % 100 {
            7 => b"{not json".to_vec(),
            13 => format!("{{\"id\": \"{id}\", \"body\": \"no text field\"}}").into_bytes(),
            21 => format!("{{\"id\": \"{id}\", \"text\": 42}}").into_bytes(),
            33 => b"   ".to_vec(),
            47 => {
                let mut l = format!("{{\"id\": \"{id}\", \"text\": \"caf").into_bytes();
                l.extend_from_slice(b"\xe9 in Paris\"}");
                l
            }
            59 => format!("{{\"id\": \"{id}\", \"text\": \"{}\"}}", "Paris ".repeat(400)).into_bytes(),
            _ => format!("{{\"id\": \"{id}\", \"text\": \"Talks in Tokyo and Paris on May {}, 2023.\"}}", i % 28 + 1)
                .into_bytes(),
        };
        input.extend_from_slice(&line);
        input.push(b'\n');
        ids.push(id);
    }
    (input, ids)
}

#[test]
fn filter_mode_gives_one_line_per_input_line_in_order() {
    let (input, ids) = thousand_docs();
    for threads in ["1", "2"] {
        let args = [
            "extract",
            "--input-format",
            "jsonl",
            "--per-document",
            "--max-doc-bytes",
            "2000",
            "--threads",
            threads,
            "-",
        ];
        let (code, out, err) = trawl_stdin(&args, &input);
        assert_eq!(code, 0, "errors are lines of the output in filter mode\n{err}");
        let lines: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
        assert_eq!(lines.len(), 1000);
        for (i, (line, id)) in lines.iter().zip(&ids).enumerate() {
            match i % 100 {
                7 => {
                    // source:line:FNV-1a of the line, so that the line can be found again.
                    let want = format!("-:{}:{:016x}", i + 1, fnv1a(b"{not json"));
                    assert_eq!(
                        (line["id"].as_str(), line["error"]["kind"].as_str()),
                        (Some(want.as_str()), Some("invalid_json"))
                    )
                }
                33 => {
                    assert_eq!(line["error"]["kind"], "empty_line", "{i}");
                    assert_eq!(line["id"], format!("-:{}:{:016x}", i + 1, fnv1a(b"   ")));
                }
                13 | 21 => assert_eq!(
                    (&line["id"], &line["error"]["kind"]),
                    (&serde_json::json!(id), &serde_json::json!("invalid_document"))
                ),
                47 => assert_eq!(line["error"]["kind"], "invalid_json", "invalid UTF-8 inside a JSON line: {line}"),
                59 => assert_eq!(line["error"]["kind"], "too_large", "{line}"),
                _ => {
                    assert_eq!(line["id"], serde_json::json!(id));
                    let labels: Vec<&str> = line["records"]
                        .as_array()
                        .expect("records")
                        .iter()
                        .map(|r| r["label"].as_str().expect("label"))
                        .collect();
                    assert_eq!(labels, ["Place", "Place", "Date"], "{line}");
                }
            }
        }
        assert_eq!(err.matches("trawl: ").count(), 61, "{err}");
        let mut strict = args.to_vec();
        strict.insert(1, "--fail-on-error");
        let (code, _, _) = trawl_stdin(&strict, &input);
        assert_eq!(code, 1, "--fail-on-error");
    }
}

/// FNV-1a, 64 bits, as trawl's ids of error lines use it.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

#[test]
fn jsonl_metadata_gives_each_document_its_anchor_date() {
    let input = b"{\"id\": \"a\", \"date\": \"2020-03-05\", \"text\": \"They met early this month.\"}\n\
{\"id\": \"b\", \"date\": \"2021-11-30T08:00:00Z\", \"text\": \"They met early this month.\"}\n\
{\"id\": \"c\", \"text\": \"They met early this month.\"}\n";
    let (code, out, err) = trawl_stdin(
        &["extract", "--input-format", "jsonl", "--anchor-field", "date", "--anchor-date", "1999-01-01", "-"],
        input,
    );
    assert_eq!(code, 0, "{err}");
    let values: Vec<(String, String)> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .map(|v| {
            (v["doc"].as_str().expect("doc").to_string(), v["fields"]["value"].as_str().expect("value").to_string())
        })
        .collect();
    assert_eq!(
        values,
        [("a".into(), "2020-03".into()), ("b".into(), "2021-11".into()), ("c".into(), "1999-01".into())]
    );
}

#[test]
fn unordered_output_has_the_same_records() {
    let (input, _) = thousand_docs();
    let run = |extra: &[&str]| {
        let mut args = vec!["extract", "--input-format", "jsonl", "--threads", "2", "--max-doc-bytes", "2000"];
        args.extend(extra);
        args.push("-");
        let (_, out, _) = trawl_stdin(&args, &input);
        let mut lines: Vec<String> = out.lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    assert_eq!(run(&[]), run(&["--unordered"]));
}

#[test]
fn include_exclude_and_stats() {
    let dir = std::env::temp_dir().join(format!("trawl-globs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("drafts")).expect("mkdir");
    std::fs::write(dir.join("a.txt"), "Talks in Paris.").expect("write");
    std::fs::write(dir.join("b.md"), "Talks in Tokyo.").expect("write");
    std::fs::write(dir.join("drafts/c.txt"), "Talks in Rome.").expect("write");
    let d = dir.to_str().expect("path");
    let (code, out, err) =
        trawl_stdin(&["extract", "--include", "*.txt", "--exclude", "drafts/**", "--stats=json", d], b"");
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("\"Paris\""));
    let stats: serde_json::Value = serde_json::from_str(err.lines().last().expect("stats")).expect("json stats");
    assert_eq!(stats["stats"]["documents"], 1);
    assert_eq!(stats["stats"]["labels"]["Place"], 1);
}

/// The GNU parallel recipe of the README: split a JSON Lines stream into
/// blocks, run trawl in filter mode on each, keep the order.
#[test]
fn gnu_parallel_recipe() {
    if Command::new("parallel").arg("--version").output().is_err() {
        eprintln!("gnu_parallel_recipe: GNU parallel is not installed here; .ci/run installs it");
        if std::env::var_os("CI").is_some() {
            panic!("GNU parallel must be installed in CI");
        }
        return;
    }
    let (input, ids) = thousand_docs();
    let bin = env!("CARGO_BIN_EXE_trawl");
    let cmd = format!("{bin} extract --input-format jsonl --per-document --max-doc-bytes 2000 --threads 1 -");
    let mut child = Command::new("parallel")
        .args(["--pipe", "--block", "20k", "-k", "--will-cite", &cmd])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("parallel");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("join").expect("write");
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    assert_eq!(lines.len(), 1000);
    // Ids of the good lines come back in order; broken lines carry their block-local line
    // number and the hash of the line, which finds it in the input.
    for (k, (line, id)) in lines.iter().zip(&ids).enumerate() {
        if line.get("records").is_some() {
            assert_eq!(line["id"], serde_json::json!(id));
        } else if k % 100 == 7 {
            let want = format!(":{:016x}", fnv1a(b"{not json"));
            assert!(line["id"].as_str().is_some_and(|i| i.ends_with(&want)), "{line}");
        }
    }
}

#[test]
fn translated_workloads_are_readable_rule_packs() {
    let dir = std::env::temp_dir().join(format!("trawl-workload-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let w = root().join("tests/fixtures/workload/mini.json");
    let (code, _, err) =
        trawl_stdin(&["workload", w.to_str().expect("path"), "--out", dir.to_str().expect("path")], b"");
    assert_eq!(code, 0, "{err}");
    let rules = dir.join("mini.trawl");
    let (code, _, err) = trawl_stdin(&["check", rules.to_str().expect("path")], b"");
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = trawl_stdin(
        &["extract", "--rules", rules.to_str().expect("path"), "-"],
        b"Prime Minister Fumio Kishida visited France in May 2023.",
    );
    assert_eq!(code, 0);
    let got: Vec<(String, String)> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .map(|v| (v["label"].as_str().expect("label").to_string(), v["text"].as_str().expect("text").to_string()))
        .collect();
    assert_eq!(
        got,
        [
            ("PERSON".to_string(), "Prime Minister Fumio Kishida".to_string()),
            ("GPE".to_string(), "France".to_string()),
            ("DATE".to_string(), "May 2023".to_string())
        ]
    );
}

#[test]
fn values_lost_to_overflow_or_division_by_zero_are_counted() {
    let (code, out, err) = trawl_stdin(
        &["extract", "--rules", "tests/fixtures/extract/values/rules.trawl", "--stats=json", "-"],
        b"Pay $4 and $5 million, and 79228162514264337593543950335 times $79228162514264337593543950335 million.",
    );
    assert_eq!(code, 0, "{err}");
    // Every `scaled` match divides by zero; the last one overflows its `value` too.
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(!out.contains("\"none\""), "{out}");
    assert!(err.contains("\"value_faults\":4"), "{err}");
}
