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
    // `dump ast` loads what the other commands load: the bundled pack without paths, a folder's
    // files and the packs they use; a file whose import is absent is shown, then the error.
    let (code, out, err) = trawl(&["dump", "ast", "tests/fixtures/syntax/ok/items.trawl"]);
    assert_eq!(code, 2);
    assert!(out.starts_with("# tests/fixtures/syntax/ok/items.trawl\n(import \"common.trawl\")"), "{out}");
    assert!(err.contains("cannot read rule file"), "{err}");
    let (code, out, _) = trawl(&["dump", "ast"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("# rules/news/news.trawl\n"), "{}", &out[..80.min(out.len())]);
    let (code, out, _) = trawl(&["dump", "ast", "tests/fixtures/packs/republican"]);
    assert_eq!(code, 0);
    assert!(out.contains("(use news/dates)") && out.contains("# bundled:/rules/news/dates/dates.trawl\n"), "{out}");
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

fn report(format: &str) -> (i32, String) {
    let (code, out, err) =
        trawl(&["test", "--format", format, "--color", "never", "tests/fixtures/test/failing.trawl"]);
    assert!(err.is_empty(), "{err}");
    (code, out)
}

#[test]
fn test_reports_failures_as_diffs() {
    let (code, out) = report("human");
    assert_eq!(code, 1);
    insta::assert_snapshot!("test_human", out);
    let (_, out) = report("github");
    insta::assert_snapshot!("test_github", out);
    // One annotation per failing example (5), each at the rule file's example line.
    assert_eq!(
        out.lines().filter(|l| l.starts_with("::error file=tests/fixtures/test/failing.trawl,line=")).count(),
        5
    );
    let (_, out) = report("json");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["summary"], serde_json::json!({"passed": 1, "failed": 5, "todo": 1, "todo_passing": 1}));
}

#[test]
fn test_junit_is_valid_xml_with_a_case_per_example() {
    let (_, out) = report("junit");
    let doc = roxmltree::Document::parse(&out).expect("valid XML");
    let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), 8);
    assert_eq!(cases.iter().filter(|c| c.children().any(|x| x.has_tag_name("failure"))).count(), 5);
    assert_eq!(cases.iter().filter(|c| c.children().any(|x| x.has_tag_name("skipped"))).count(), 2);
    insta::assert_snapshot!("test_junit", out);
}

#[test]
fn the_bundled_pack_passes_and_a_broken_example_fails_with_its_rule_and_line() {
    let (code, out, _) = trawl(&["test", "--color", "never"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("examples: ") && out.contains(" passed, 0 failed"), "{out}");
    // Break one example in a temporary copy of the pack.
    let dir = temp_dir("broken-pack");
    copy_dir(&root().join("rules/news"), &dir);
    let events = dir.join("events/events.trawl");
    let text = std::fs::read_to_string(&events).expect("events");
    let line = text.lines().position(|l| l.contains("example \"talks six times\"")).expect("example") + 1;
    std::fs::write(&events, text.replace("Count \"six times\" { value: 6 }", "Count \"six times\" { value: 7 }"))
        .expect("write");
    let (code, out, _) = trawl(&["test", "--color", "never", dir.to_str().expect("path")]);
    assert_eq!(code, 1, "{out}");
    let head = format!("{}:{line}: count_times: example \"talks six times\" ... FAILED", events.display());
    assert!(out.contains(&head), "{out}");
    assert!(out.contains("~ Count \"six times\" field `value`: expected 7, got 6"), "{out}");
    let (_, out, _) = trawl(&["test", "--format", "github", dir.to_str().expect("path")]);
    assert_eq!(out.lines().filter(|l| l.starts_with("::error ")).count(), 1, "{out}");
    assert!(out.contains(&format!("line={line},")), "{out}");
}

/// Copies a folder and everything below it.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for f in std::fs::read_dir(from).expect("dir") {
        let f = f.expect("entry").path();
        let dest = to.join(f.file_name().expect("name"));
        if f.is_dir() {
            copy_dir(&f, &dest);
        } else {
            std::fs::copy(&f, dest).expect("copy");
        }
    }
}

#[test]
fn check_deny_warnings() {
    let (code, _, err) = trawl(&["check", "tests/fixtures/check/warn/no_examples.trawl"]);
    assert_eq!(code, 0);
    assert!(err.contains("warning: rule `untested` has no examples") && err.contains("1 warning"), "{err}");
    let (code, _, err) = trawl(&["check", "--deny", "warnings", "tests/fixtures/check/warn/no_examples.trawl"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = trawl(&["check", "--deny", "warnings", "rules/news"]);
    assert_eq!(code, 0);
}

#[test]
fn corpus_snapshots_match() {
    let (code, out, err) = trawl(&[
        "snapshot",
        "--check",
        "--color",
        "never",
        "--store",
        "tests/corpus-snapshots/seed",
        "--anchor-date",
        "2023-05-01",
        "tests/corpus/japan-france-talks.txt",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let dev = root().join("../shared/corpus/dev/docs");
    if dev.is_dir() {
        let (code, out, err) = trawl(&[
            "snapshot",
            "--check",
            "--color",
            "never",
            "--store",
            "tests/corpus-snapshots/dev",
            dev.to_str().expect("path"),
        ]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("101 unchanged"), "{out}");
    } else {
        eprintln!("corpus_snapshots_match: ../shared/corpus/dev/docs is not here; checked the seed only");
    }
}

#[test]
fn snapshots_do_not_churn_and_a_one_rule_change_shows_only_that_rule() {
    let dir = temp_dir("snapshots");
    let store = dir.join("store");
    let docs =
        [root().join("tests/corpus/japan-france-talks.txt"), root().join("tests/fixtures/extract/derived/doc.txt")];
    let docs: Vec<&str> = docs.iter().map(|d| d.to_str().expect("path")).collect();
    let write = |rules: Option<&str>| {
        let mut args = vec!["snapshot", "--store", store.to_str().expect("path"), "--anchor-date", "2023-05-01"];
        if let Some(r) = rules {
            args.extend(["--rules", r]);
        }
        args.extend(&docs);
        trawl(&args)
    };
    assert_eq!(write(None).0, 0);
    let first = std::fs::read(store.join("japan-france-talks.txt.jsonl")).expect("stored");
    let (code, _, err) = write(None);
    assert_eq!(code, 0);
    assert!(err.contains("0 written, 2 unchanged"), "{err}");
    assert_eq!(std::fs::read(store.join("japan-france-talks.txt.jsonl")).expect("stored"), first, "byte-identical");
    // Change one rule in a copy of the pack.
    let pack = dir.join("news");
    copy_dir(&root().join("rules/news"), &pack);
    let events = pack.join("events/events.trawl");
    let text = std::fs::read_to_string(&events).expect("events");
    std::fs::write(
        &events,
        text.replace(
            "emit   Count { value: int(n) }\n  example \"talks six times\" => Count \"six times\" { value: 6 }",
            "emit   Count { value: int(n), unit: \"times\" }",
        ),
    )
    .expect("write");
    let mut args = vec!["snapshot", "--check", "--color", "never", "--store", store.to_str().expect("path")];
    args.extend(["--anchor-date", "2023-05-01", "--rules", pack.to_str().expect("path")]);
    args.extend(&docs);
    let (code, out, _) = trawl(&args);
    assert_eq!(code, 1, "{out}");
    let rules_mentioned: Vec<&str> = out.lines().filter_map(|l| l.strip_prefix("rule ")).collect();
    assert_eq!(rules_mentioned.len(), 1, "{out}");
    assert!(rules_mentioned[0].starts_with("count_times ("), "{out}");
    let out = out.replace(pack.to_str().expect("path"), "[pack]");
    insta::assert_snapshot!("snapshot_one_rule_change", out);
}

#[test]
fn the_readme_ci_recipe_runs() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let yaml = readme.split("```yaml").nth(1).and_then(|s| s.split("```").next()).expect("a yaml block");
    let commands: Vec<&str> = yaml.lines().filter_map(|l| l.trim().strip_prefix("run: trawl ")).collect();
    assert!(commands.len() >= 4, "{yaml}");
    for c in commands {
        let c = c.split(" > ").next().expect("command");
        let args: Vec<&str> = c.split_whitespace().collect();
        let (code, out, err) = trawl(&args);
        assert_eq!(code, 0, "trawl {c}\n{out}{err}");
    }
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let args = |c: &'static str| ["test", "--color", c, "tests/fixtures/test/failing.trawl"];
    let (_, always, _) = trawl(&args("always"));
    assert!(always.contains("\x1b[31mFAILED\x1b[0m"), "{always}");
    let (_, never, _) = trawl(&args("never"));
    assert!(!never.contains('\x1b'));
    // Not a terminal here, so `auto` means no colour.
    let (_, auto, _) = trawl(&args("auto"));
    assert!(!auto.contains('\x1b'));
}

#[test]
fn check_and_test_find_every_pack_below_a_folder() {
    // Two packs that both define `Month`: each is checked with names of its own.
    let (code, out, err) = trawl(&["check", "tests/fixtures/packs"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("pack tests/fixtures/packs/dates_a:"), "{err}");
    assert!(err.contains("pack tests/fixtures/packs/nested/dates_b:"), "{err}");
    let (code, out, err) = trawl(&["check", "tests/fixtures/packs/dates_a", "tests/fixtures/packs/nested/dates_b"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = trawl(&["test", "tests/fixtures/packs"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 packs, 5 examples, 0 failed"), "{out}");
    // `rules` holds the bundled pack one level down; `.` works where a path is taken.
    let (code, out, err) = trawl(&["test", "rules"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("pack rules/news:"), "{out}");
    let out = Command::new(env!("CARGO_BIN_EXE_trawl"))
        .args(["check", "."])
        .current_dir(root().join("tests/fixtures/packs/dates_a"))
        .output()
        .expect("run trawl");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn line_breaks_can_be_spaces_or_sentence_ends() {
    let dir = std::env::temp_dir().join(format!("trawl-line-breaks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let rules = dir.join("s.trawl");
    std::fs::write(&rules, "rule s { match ^ _ ... $ emit S }\n").expect("rules");
    let doc = dir.join("d.txt");
    std::fs::write(&doc, "The board named a new Chief Financial\nOfficer today.\n").expect("doc");
    let sentences = |mode: &str| {
        let (code, out, err) = trawl(&[
            "extract",
            "--rules",
            rules.to_str().expect("path"),
            "--line-breaks",
            mode,
            doc.to_str().expect("path"),
        ]);
        assert_eq!(code, 0, "{err}");
        out.lines().count()
    };
    // Two short lines: `auto` keeps them apart (they are not wrapped prose), `space` joins them.
    assert_eq!(sentences("auto"), 2);
    assert_eq!(sentences("sentence"), 2);
    assert_eq!(sentences("space"), 1);
    // Lines kept apart: a lexicon entry spans them under `scope paragraph`, as a literal does;
    // a blank line parts them.
    std::fs::write(
        &rules,
        "lexicon Office = [\"Chief Financial Officer\"]\n\
         rule by_lexicon { match Office emit O scope paragraph }\n\
         rule by_literal { match \"Chief\" \"Financial\" \"Officer\" emit L scope paragraph }\n",
    )
    .expect("rules");
    std::fs::write(
        &doc,
        "The board named a new Chief Financial\nOfficer today.\n\nIt thanked its Chief Financial\n\nOfficer Lee.\n",
    )
    .expect("doc");
    let (code, out, err) = trawl(&["extract", "--rules", rules.to_str().expect("path"), doc.to_str().expect("path")]);
    assert_eq!(code, 0, "{err}");
    let n = label_counts(&out);
    assert_eq!((n.get("O"), n.get("L")), (Some(&1), Some(&1)), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tokens_shows_sentences_and_their_tokens() {
    let (code, out, err) = trawl(&["tokens", "tests/corpus/japan-france-talks.txt"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Japan · , · France · plan"), "{out}");
    let (code, out, err) =
        trawl(&["tokens", "--format", "jsonl", "--offsets", "bytes", "tests/corpus/japan-france-talks.txt"]);
    assert_eq!(code, 0, "{err}");
    let first: serde_json::Value = serde_json::from_str(out.lines().next().expect("a sentence")).expect("json");
    assert_eq!(first["start"], 0);
    assert_eq!(first["tokens"][0], serde_json::json!([0, 5]));
    assert_eq!(first["paragraph"], 0);
}

/// Runs trawl in a folder.
fn trawl_in(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trawl")).args(args).current_dir(dir).output().expect("run trawl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// The labels of JSON Lines records, counted.
fn label_counts(out: &str) -> std::collections::BTreeMap<String, usize> {
    let mut n = std::collections::BTreeMap::new();
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("record");
        *n.entry(v["label"].as_str().expect("label").to_string()).or_default() += 1;
    }
    n
}

#[test]
fn a_user_pack_reuses_bundled_dates_and_people_beside_the_news_pack() {
    let pack = "tests/fixtures/packs/republican";
    let (code, out, err) = trawl(&["check", pack]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!err.contains("warning"), "the bundled packs it uses raise no warnings here: {err}");
    let (code, out, err) = trawl(&["test", pack]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 passed, 0 failed"), "only the pack's own examples run: {out}");
    let dir = temp_dir("user-pack");
    let doc = dir.join("doc.txt");
    std::fs::write(&doc, "Jean Valjean was named mayor on 3 May 2020. He was born in Brumaire.\n").expect("doc");
    let doc = doc.to_str().expect("path");
    // Beside the news pack on disk: its own `Month` and the news pack's do not clash, and the
    // dates rules the user pack uses run once (the copy on disk), not twice.
    let (code, out, err) = trawl(&["extract", "--rules", pack, "--rules", "./rules/news", doc]);
    assert_eq!(code, 0, "{err}");
    let n = label_counts(&out);
    assert_eq!(n.get("Date"), Some(&1), "{out}");
    assert_eq!(n.get("Appointment"), Some(&1), "{out}");
    assert_eq!(n.get("RepublicanMonth"), Some(&1), "{out}");
    assert!(out.contains("\"source\":\"rules/news/dates/dates.trawl:"), "{out}");
    // Alone, it reads the bundled packs from the binary.
    let (code, out, err) = trawl(&["extract", "--rules", pack, doc]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(label_counts(&out).get("Date"), Some(&1), "{out}");
    assert!(out.contains("\"source\":\"bundled:/rules/news/dates/dates.trawl:"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bundled_pack_loads_by_name_and_each_part_of_the_news_pack_loads_alone() {
    let dir = temp_dir("bundled-name");
    let doc = dir.join("doc.txt");
    std::fs::write(&doc, "Revenue rose 12% to $4.5 billion on 3 May 2020.\n").expect("doc");
    let (code, out, err) = trawl_in(&dir, &["extract", "--rules", "news/money", "doc.txt"]);
    assert_eq!(code, 0, "{err}");
    let n = label_counts(&out);
    assert_eq!((n.get("Money"), n.get("Percent"), n.get("Date")), (Some(&1), Some(&1), None), "{out}");
    for part in ["words", "lexicons", "dates", "money", "organizations", "people", "places", "events"] {
        let (code, out, err) = trawl(&["test", &format!("rules/news/{part}")]);
        assert_eq!(code, 0, "{part}: {out}{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pack_paths_work_as_dot_dotdot_absolute_and_through_a_symlink() {
    let news = root().join("rules/news");
    let (code, out, err) = trawl_in(&news, &["check", "."]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = trawl_in(&news, &["test", "."]);
    assert!(code == 0 && out.contains(" passed, 0 failed"), "{out}{err}");
    let doc = root().join("tests/corpus/japan-france-talks.txt");
    let doc = doc.to_str().expect("path");
    let reference = trawl(&["extract", "--rules", "rules/news", doc]).1;
    assert!(reference.lines().count() > 10, "{reference}");
    let abs = news.to_str().expect("path").to_string();
    let dir = temp_dir("symlink");
    let link = dir.join("linked-news");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&news, &link).expect("symlink");
    #[cfg(not(unix))]
    copy_dir(&news, &link);
    for (cwd, path) in [
        (root(), "./rules/news".to_string()),
        (root().join("tests"), "../rules/news".to_string()),
        (root(), abs),
        (root(), link.to_str().expect("path").to_string()),
    ] {
        let (code, out, err) = trawl_in(&cwd, &["extract", "--rules", &path, doc]);
        assert_eq!(code, 0, "{path}: {err}");
        assert_eq!(label_counts(&out), label_counts(&reference), "{path}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_readme_user_pack_is_the_tested_fixture() {
    // The README's pack of five lines, compiled as written, finds what the fixture's examples say.
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let block = readme.split("```trawl\n").nth(1).and_then(|s| s.split("```").next()).expect("a trawl block");
    assert_eq!(block.lines().count(), 5, "{block}");
    let rules = trawl::Rules::from_source("readme.trawl", block).expect("compiles");
    let text = "Jean Valjean was named mayor on 3 May 2020. He was born in Brumaire.";
    let records = rules.extract(text, &trawl::Options::default()).expect("extract");
    let labels: Vec<(&str, &str)> = records.iter().map(|r| (r.label.as_str(), r.text.as_str())).collect();
    assert!(labels.contains(&("Appointment", "Jean Valjean was named mayor on 3 May 2020")), "{labels:?}");
    assert!(labels.contains(&("RepublicanMonth", "Brumaire")), "{labels:?}");
    assert!(labels.contains(&("Date", "3 May 2020")), "{labels:?}");
    let fixture =
        std::fs::read_to_string(root().join("tests/fixtures/packs/republican/republican.trawl")).expect("fixture");
    for line in block.lines() {
        let head = line.split(" emit ").next().expect("line");
        assert!(fixture.contains(head), "the fixture has `{head}`");
    }
}

/// `trawl explain`: one fixture a question (`tests/fixtures/explain/*.args`, an argument a
/// line), its answer a snapshot. Together they give every reason an attempt can stop for.
#[test]
fn explain_answers_why_a_rule_did_or_did_not_match() {
    insta::glob!("fixtures/explain/*.args", |path| {
        let args = std::fs::read_to_string(path).expect("args");
        let mut argv = vec!["explain"];
        argv.extend(args.lines());
        let (code, out, err) = trawl(&argv);
        assert_eq!(code, 0, "{err}");
        insta::assert_snapshot!(out);
    });
}

#[test]
fn explain_json_has_the_same_answers() {
    let (code, out, err) = trawl(&[
        "explain",
        "person_with_title",
        "tests/corpus/japan-france-talks.txt",
        "--span",
        "their French counterparts",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let attempt =
        v[0]["attempts"].as_array().and_then(|a| a.iter().find(|x| x["at"]["text"] == "French")).expect("French");
    assert_eq!(
        attempt["outcome"],
        "title:Title failed at \"counterparts\": the lexicon Title has no entry that starts here"
    );
    assert_eq!(attempt["matched"][0][1]["text"], "French");
    assert_eq!(v[0]["matches"].as_array().map(Vec::len), Some(4));
}

#[test]
fn explain_refuses_an_unknown_rule_and_a_missing_span() {
    let seed = "tests/corpus/japan-france-talks.txt";
    let (code, _, err) = trawl(&["explain", "no_such_rule", seed]);
    assert_eq!(code, 2);
    assert!(err.contains("no rule is named `no_such_rule`"), "{err}");
    let (code, _, err) = trawl(&["explain", "person_with_title", seed, "--span", "not in the text"]);
    assert_eq!(code, 2);
    assert!(err.contains("does not occur"), "{err}");
}

#[test]
fn extract_internal_adds_the_internal_labels_records_marked_as_such() {
    let seed = "tests/corpus/japan-france-talks.txt";
    let (_, plain, _) = trawl(&["extract", "--anchor-date", "2023-05-01", seed]);
    let (code, with, err) = trawl(&["extract", "--anchor-date", "2023-05-01", "--internal", seed]);
    assert_eq!(code, 0, "{err}");
    let (internal, public): (Vec<&str>, Vec<&str>) = with.lines().partition(|l| l.contains("\"internal\":true"));
    assert_eq!(public, plain.lines().collect::<Vec<_>>(), "the other records are the same");
    assert!(!internal.is_empty());
    assert!(internal.iter().all(|l| l.contains("\"label\":\"_")), "{internal:?}");
}

#[test]
fn test_explain_says_why_each_failing_example_failed() {
    let (code, out, _) = trawl(&["test", "--explain", "--color", "never", "tests/fixtures/test/failing.trawl"]);
    assert_eq!(code, 1);
    let why = out.split("\nwhy tests/fixtures/test/failing.trawl:26: title_only").nth(1).expect("title_only explained");
    assert!(why.contains("lost a conflict to Person \"President Macron\" of rule `person` (longer)"), "{why}");
    assert_eq!(out.matches("\nwhy tests/fixtures/test/failing.trawl:").count(), 5, "one per failing example");
}

#[test]
fn check_formats_for_machines() {
    let err = "tests/fixtures/check/err/example_never_passes.trawl";
    let (code, out, _) = trawl(&["check", "--format", "json", err]);
    assert_eq!(code, 2);
    insta::assert_snapshot!("check_json", out);
    let (code, out, _) = trawl(&["check", "--format", "short", err]);
    assert_eq!(code, 2);
    assert!(out.lines().all(|l| l.starts_with(&format!("{err}:")) && l.contains(": error: ")), "{out}");
    let (code, out, _) = trawl(&["check", "--format", "github", err]);
    assert_eq!(code, 2);
    assert_eq!(out.lines().filter(|l| l.starts_with(&format!("::error file={err},line="))).count(), 2, "{out}");
    // Warnings alone pass, unless denied.
    let warn = "tests/fixtures/check/warn/never_present.trawl";
    let (code, out, _) = trawl(&["check", "--format", "short", warn]);
    assert_eq!(code, 0);
    assert!(out.lines().count() > 0 && out.lines().all(|l| l.contains(": warning: ")), "{out}");
    let (code, _, _) = trawl(&["check", "--format", "short", "--deny", "warnings", warn]);
    assert_eq!(code, 2);
}

#[test]
fn version_says_the_record_schema_and_the_bundled_packs() {
    let (code, out, _) = trawl(&["--version"]);
    assert_eq!(code, 0);
    assert!(out.contains("record schema: v1"), "{out}");
    assert!(out.contains("bundled packs: news, news/dates,"), "{out}");
}

#[test]
fn help_hides_the_benchmark_translator_and_quiet_silences_per_document_messages() {
    let (_, help, _) = trawl(&["--help"]);
    assert!(help.contains("explain") && !help.contains("workload"), "{help}");
    let (_, extract_help, _) = trawl(&["extract", "--help"]);
    assert!(extract_help.contains("Examples:\n  trawl extract --anchor-date"), "{extract_help}");
    let dir = temp_dir("quiet");
    std::fs::write(dir.join("bad.txt"), [0x41, 0xff, 0x41]).expect("write");
    std::fs::write(dir.join("good.txt"), "Talks in Paris.").expect("write");
    let d = dir.display().to_string();
    let (code, out, err) = trawl(&["extract", &d]);
    assert_eq!(code, 1);
    assert!(err.contains("bad.txt"), "{err}");
    let (code, quiet_out, quiet_err) = trawl(&["extract", "-q", &d]);
    assert_eq!(code, 1);
    assert_eq!(quiet_out, out, "the same records and error records");
    assert!(!quiet_err.contains("bad.txt: "), "{quiet_err}");
}

/// The commands `--help` lists (not `help` itself, nor hidden ones), from the binary's own help.
fn listed_commands() -> Vec<String> {
    let (_, help, _) = trawl(&["--help"]);
    let commands = help.split("Commands:").nth(1).expect("a command list");
    let names: Vec<String> = commands
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_string)
        .collect();
    assert!(names.len() >= 9 && names.iter().any(|n| n == "extract"), "{names:?}");
    names
}

#[test]
fn man_pages_and_completions_cover_every_command() {
    let commands = listed_commands();
    let dir = temp_dir("generate");
    let (code, _, err) = trawl(&["generate", "man", "--out", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let top = std::fs::read_to_string(dir.join("trawl.1")).expect("trawl.1");
    assert!(top.starts_with(".ie") && top.contains(".TH trawl 1"), "{top}");
    for c in &commands {
        let page = std::fs::read_to_string(dir.join(format!("trawl-{c}.1"))).unwrap_or_else(|_| panic!("trawl-{c}.1"));
        let title = format!(".TH trawl-{c} 1  \"trawl-{c} {}\"", env!("CARGO_PKG_VERSION"));
        assert!(page.contains(&title), "trawl-{c}.1 has its own title and version:\n{page}");
        assert!(top.contains(&format!("trawl\\-{c}(1)")), "trawl.1 refers to trawl-{c}(1)");
    }
    // A command's page lists its options.
    let extract = std::fs::read_to_string(dir.join("trawl-extract.1")).unwrap();
    assert!(extract.contains("\\-\\-anchor\\-date") && extract.contains("\\-\\-rules"), "{extract}");
    assert!(!dir.join("trawl-workload.1").exists(), "hidden commands get no page");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, script, err) = trawl(&["generate", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        for c in &commands {
            assert!(script.contains(c.as_str()), "{shell} completion lacks `{c}`");
        }
        assert!(script.contains("anchor-date"), "{shell} completion lacks extract's options");
    }
    let (code, _, _) = trawl(&["generate", "bash", "--out", dir.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(dir.join("trawl.bash").exists());
}

#[test]
fn fmt_rewrites_in_place_and_check_changes_nothing() {
    let dir = temp_dir("fmt");
    let file = dir.join("pack.trawl");
    let messy = "rule r { match  \"a\"   cap emit A }\n";
    std::fs::write(&file, messy).unwrap();
    let path = file.to_str().unwrap();
    let (code, out, err) = trawl(&["fmt", "--check", path]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("pack.trawl:1: not formatted") && err.contains("1 file not formatted"), "{out}{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), messy, "--check changes nothing");
    let (code, _, err) = trawl(&["fmt", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let tidy = "rule r {\n  match  \"a\" cap\n  emit   A\n}\n";
    assert_eq!(std::fs::read_to_string(&file).unwrap(), tidy);
    assert_eq!(trawl(&["fmt", "--check", path]).0, 0);
    // A file that does not parse is left alone, with exit 2.
    std::fs::write(dir.join("broken.trawl"), "rule r { match \"a\n").unwrap();
    let (code, _, err) = trawl(&["fmt", dir.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("broken.trawl: does not parse"), "{err}");
    // Standard input to standard output.
    let mut child = Command::new(env!("CARGO_BIN_EXE_trawl"))
        .args(["fmt", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run trawl");
    child.stdin.take().unwrap().write_all(messy.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), tidy);
}

/// Runs trawl with extra environment variables.
fn trawl_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trawl"));
    cmd.args(args).current_dir(root()).env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run trawl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn color_is_one_flag_for_every_command_and_follows_no_color_and_clicolor_force() {
    let broken = "tests/fixtures/check/err/unknown_name.trawl";
    let esc = "\u{1b}[";
    // Not a terminal: no colour, unless asked for.
    assert!(!trawl_env(&["check", broken], &[]).2.contains(esc));
    assert!(trawl_env(&["check", "--color", "always", broken], &[]).2.contains(esc));
    assert!(trawl_env(&["--color", "always", "check", broken], &[]).2.contains(esc), "--color before the command");
    assert!(trawl_env(&["check", broken], &[("CLICOLOR_FORCE", "1")]).2.contains(esc));
    assert!(!trawl_env(&["check", broken], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).2.contains(esc));
    assert!(!trawl_env(&["check", "--color", "never", broken], &[("CLICOLOR_FORCE", "1")]).2.contains(esc));
    // The same flag for extract's rule errors and for test's report.
    assert!(trawl_env(&["extract", "--color", "always", "--rules", broken, "-"], &[]).2.contains(esc));
    let (_, out, _) = trawl_env(&["test", "--color", "always", "tests/fixtures/test/failing.trawl"], &[]);
    assert!(out.contains(esc), "{out}");
}
