//! Reliability: no hang on a closed pipe or a write error at any thread count,
//! signals flush what is finished, a failing input ends once, thread counts
//! are validated. Every child process runs under a watchdog, so a regression
//! fails the test instead of hanging CI.

use crate::common::root;
use std::io::{Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Waits for a child at most `secs` seconds, reading its piped output meanwhile;
/// kills it and fails the test if it hangs.
fn wait_or_kill(mut child: Child, secs: u64, what: &str) -> Output {
    fn drain(r: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut v);
            }
            v
        })
    }
    let (out, err) = (drain(child.stdout.take()), drain(child.stderr.take()));
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        match child.try_wait().expect("try_wait") {
            Some(status) => {
                let (stdout, stderr) = (out.join().expect("stdout"), err.join().expect("stderr"));
                return Output { status, stdout, stderr };
            }
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{what}: trawl did not end within {secs} s");
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn trawl() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trawl"));
    c.current_dir(root());
    c
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("trawl-rel-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir
}

fn jsonl_docs(n: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..n {
        let text = "Talks in Tokyo and Paris on May 3, 2023. ".repeat(10);
        v.extend_from_slice(serde_json::json!({"id": format!("d{i}"), "text": text}).to_string().as_bytes());
        v.push(b'\n');
    }
    v
}

/// `trawl extract … | head -c 64`: the reader must not stay blocked on a full queue.
#[test]
fn a_closed_pipe_ends_the_run_at_every_thread_count() {
    let dir = temp_dir("pipe");
    let file = dir.join("docs.jsonl");
    std::fs::write(&file, jsonl_docs(5000)).expect("write");
    let folder = dir.join("folder");
    std::fs::create_dir_all(&folder).expect("mkdir");
    for i in 0..400 {
        std::fs::write(folder.join(format!("{i:04}.txt")), "Talks in Tokyo and Paris. ".repeat(40)).expect("write");
    }
    let f = file.to_str().expect("path");
    let d = folder.to_str().expect("path");
    for threads in ["1", "2", "4"] {
        for args in [
            vec!["extract", "--input-format", "jsonl", "--threads", threads, f],
            vec!["extract", "--threads", threads, d],
        ] {
            let mut child = trawl().args(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
            let mut stdout = child.stdout.take().expect("stdout");
            let mut first = [0u8; 64];
            stdout.read_exact(&mut first).expect("some output");
            drop(stdout);
            let out = wait_or_kill(child, 30, &format!("closed pipe, {args:?}"));
            assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
            assert!(out.stderr.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

/// A full disk: exit 2 with the message, at every thread count, for stdout and `--output`.
#[test]
fn a_write_error_ends_the_run_with_exit_2() {
    if !std::path::Path::new("/dev/full").exists() {
        eprintln!("a_write_error_ends_the_run_with_exit_2: no /dev/full here; skipped");
        return;
    }
    let dir = temp_dir("full");
    let file = dir.join("docs.jsonl");
    std::fs::write(&file, jsonl_docs(3000)).expect("write");
    let f = file.to_str().expect("path");
    for threads in ["1", "2"] {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
        let child = trawl()
            .args(["extract", "--input-format", "jsonl", "--threads", threads, f])
            .stdout(full)
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let out = wait_or_kill(child, 30, "stdout on /dev/full");
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write output"), "{out:?}");
        let child = trawl()
            .args(["extract", "--input-format", "jsonl", "--threads", threads, "--output", "/dev/full", f])
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let out = wait_or_kill(child, 30, "--output /dev/full");
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("No space left"), "{out:?}");
    }
}

/// SIGTERM while standard input stays open: every line read gets its output
/// line (nothing left in a buffer), and the exit code is 128 + 15.
#[test]
fn a_signal_flushes_the_lines_already_read() {
    for threads in ["1", "2"] {
        let mut child = trawl()
            .args(["extract", "--input-format", "jsonl", "--per-document", "--threads", threads, "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut stdin = child.stdin.take().expect("stdin");
        let input = jsonl_docs(100);
        stdin.write_all(&input).expect("write");
        stdin.flush().expect("flush");
        wait_until_read(child.id(), input.len());
        let pid = child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
        assert!(killed.success());
        let out = wait_or_kill(child, 20, "SIGTERM");
        drop(stdin);
        assert_eq!(out.status.code(), Some(143), "{}", String::from_utf8_lossy(&out.stderr));
        let lines: Vec<&str> = std::str::from_utf8(&out.stdout).expect("utf8").lines().collect();
        assert_eq!(lines.len(), 100, "threads {threads}");
        assert!(lines[99].contains("\"d99\""), "{}", lines[99]);
    }
}

/// Waits until a process has read `n` bytes (Linux `/proc/PID/io`; elsewhere a pause).
fn wait_until_read(pid: u32, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        let Ok(io) = std::fs::read_to_string(format!("/proc/{pid}/io")) else {
            std::thread::sleep(Duration::from_secs(2));
            return;
        };
        let rchar: usize =
            io.lines().find_map(|l| l.strip_prefix("rchar: ")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
        if rchar >= n {
            // The line is read; give the reader a moment to hand it on.
            std::thread::sleep(Duration::from_millis(100));
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Standard input that is a folder fails every read: one error record, then the end.
#[test]
fn a_read_error_that_repeats_ends_the_input_once() {
    let dir = temp_dir("eisdir");
    let stdin = std::fs::File::open(&dir).expect("open folder");
    let child = trawl()
        .args(["extract", "--input-format", "jsonl", "-"])
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let out = wait_or_kill(child, 20, "folder as standard input");
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<&str> = std::str::from_utf8(&out.stdout).expect("utf8").lines().collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("\"unreadable\""), "{}", lines[0]);
}

#[test]
fn thread_counts_are_validated() {
    for n in ["0", "1025", "18446744073709551615", "-1", "many"] {
        let child =
            trawl().args(["extract", &format!("--threads={n}"), "-"]).stderr(Stdio::piped()).spawn().expect("spawn");
        let out = wait_or_kill(child, 20, "--threads");
        assert_eq!(out.status.code(), Some(2), "--threads {n}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--threads"), "{out:?}");
    }
}

/// Over the step budget, a document gets a `timeout` error record and the batch goes on.
#[test]
fn a_document_over_the_step_budget_gets_an_error_record() {
    let input = b"{\"id\": \"small\", \"text\": \"Paris.\"}\n{\"id\": \"big\", \"text\": \"Talks in Tokyo and Paris on May 3, 2023, then in Rome.\"}\n";
    let mut child = trawl()
        .args(["extract", "--input-format", "jsonl", "--per-document", "--fail-on-error", "--max-steps", "200", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(input).expect("write");
    let out = wait_or_kill(child, 20, "--max-steps");
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = std::str::from_utf8(&out.stdout)
        .expect("utf8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["records"][0]["text"], "Paris", "{}", lines[0]);
    assert_eq!(lines[1]["error"]["kind"], "timeout", "{}", lines[1]);
    assert!(lines[1]["error"]["message"].as_str().expect("message").contains("--max-steps"));
}

/// Runs `trawl extract` on a folder with extra arguments; returns (exit code, records by doc id).
fn extract_folder(dir: &std::path::Path, extra: &[&str]) -> (i32, Vec<(String, String)>) {
    let mut args = vec!["extract", "--threads", "2"];
    args.extend(extra);
    let d = dir.to_str().expect("path").to_string();
    args.push(&d);
    let child = trawl().args(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let out = wait_or_kill(child, 30, "folder");
    let recs = std::str::from_utf8(&out.stdout)
        .expect("utf8")
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .map(|v| {
            let doc = v["doc"].as_str().expect("doc").strip_prefix(&d).unwrap_or("?").to_string();
            let what = if v.get("error").is_some() {
                format!("error {}", v["error"]["kind"].as_str().unwrap_or("?"))
            } else {
                v["text"].as_str().unwrap_or("?").to_string()
            };
            (doc, what)
        })
        .collect();
    (out.status.code().unwrap_or(-1), recs)
}

/// A FIFO, symbolic links (one to a file, two loops) and hidden files in a folder.
#[test]
fn folders_skip_what_is_not_a_document_and_never_loop() {
    let dir = temp_dir("walk");
    std::fs::create_dir_all(dir.join("sub/deeper")).expect("mkdir");
    std::fs::write(dir.join("a.txt"), "Talks in Paris.").expect("write");
    std::fs::write(dir.join("sub/deeper/b.txt"), "Talks in Tokyo.").expect("write");
    std::fs::write(dir.join(".hidden.txt"), "Talks in Rome.").expect("write");
    let mkfifo = Command::new("mkfifo").arg(dir.join("pipe")).status();
    let fifo = mkfifo.is_ok_and(|s| s.success());
    std::os::unix::fs::symlink(dir.join("a.txt"), dir.join("link.txt")).expect("symlink");
    std::os::unix::fs::symlink(&dir, dir.join("sub/loop1")).expect("symlink");
    std::os::unix::fs::symlink(dir.join("sub"), dir.join("sub/deeper/loop2")).expect("symlink");
    let (code, recs) = extract_folder(&dir, &[]);
    let mut want = vec![("/a.txt".to_string(), "Paris".to_string())];
    if fifo {
        want.push(("/pipe".into(), "error not_a_file".into()));
    }
    want.push(("/sub/deeper/b.txt".into(), "Tokyo".into()));
    assert_eq!(recs, want);
    assert_eq!(code, if fifo { 1 } else { 0 });
    // Followed: the link to a file is a document; each loop is one error record, nothing repeats.
    let (_, recs) = extract_folder(&dir, &["--follow", "--hidden"]);
    let texts: Vec<&str> =
        recs.iter().map(|(d, w)| if w.starts_with("error") { w.as_str() } else { d.as_str() }).collect();
    let mut expected = vec!["/.hidden.txt", "/a.txt", "/link.txt"];
    if fifo {
        expected.push("error not_a_file");
    }
    expected.extend(["/sub/deeper/b.txt", "error unreadable", "error unreadable"]);
    assert_eq!(texts, expected, "{recs:?}");
}

/// An unreadable sub-folder is an error record; the rest of the walk goes on.
#[test]
fn an_unreadable_folder_is_an_error_record() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("unreadable");
    std::fs::create_dir_all(dir.join("closed")).expect("mkdir");
    std::fs::write(dir.join("closed/x.txt"), "Talks in Rome.").expect("write");
    std::fs::write(dir.join("open.txt"), "Talks in Paris.").expect("write");
    std::fs::set_permissions(dir.join("closed"), std::fs::Permissions::from_mode(0o000)).expect("chmod");
    if std::fs::read_dir(dir.join("closed")).is_ok() {
        eprintln!("an_unreadable_folder_is_an_error_record: this user reads any folder (root); skipped");
        let _ = std::fs::set_permissions(dir.join("closed"), std::fs::Permissions::from_mode(0o755));
        return;
    }
    let (code, recs) = extract_folder(&dir, &[]);
    let _ = std::fs::set_permissions(dir.join("closed"), std::fs::Permissions::from_mode(0o755));
    assert_eq!(code, 1);
    assert_eq!(recs, [("/closed".into(), "error unreadable".into()), ("/open.txt".into(), "Paris".into())]);
}

/// Byte-order marks: the same offsets in text and JSON Lines mode (counted after the mark);
/// UTF-16 with a mark is decoded.
#[test]
fn byte_order_marks_and_utf16() {
    let dir = temp_dir("bom");
    let text = "Talks in Paris.";
    let utf8 = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
    let le: Vec<u8> = [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(|u| u.to_le_bytes())).collect();
    let be: Vec<u8> = [0xFE, 0xFF].into_iter().chain(text.encode_utf16().flat_map(|u| u.to_be_bytes())).collect();
    std::fs::write(dir.join("a-utf8.txt"), &utf8).expect("write");
    std::fs::write(dir.join("b-utf16le.txt"), &le).expect("write");
    std::fs::write(dir.join("c-utf16be.txt"), &be).expect("write");
    let jsonl = [b"\xEF\xBB\xBF".as_slice(), br#"{"id": "j", "text": "Talks in Paris."}"#, b"\n"].concat();
    std::fs::write(dir.join("docs.jsonl"), &jsonl).expect("write");
    let offsets = |args: &[&str]| -> Vec<(i64, i64)> {
        let child = trawl().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
        let out = wait_or_kill(child, 20, "bom");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        std::str::from_utf8(&out.stdout)
            .expect("utf8")
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
            .map(|v| (v["start"].as_i64().expect("start"), v["end"].as_i64().expect("end")))
            .collect()
    };
    let d = dir.to_str().expect("path");
    assert_eq!(offsets(&["extract", "--include", "*.txt", d]), [(9, 14), (9, 14), (9, 14)]);
    let j = dir.join("docs.jsonl");
    assert_eq!(offsets(&["extract", "--input-format", "jsonl", j.to_str().expect("path")]), [(9, 14)]);
}

/// File names that are not UTF-8 get distinct, escaped ids.
#[test]
fn non_utf8_file_names_get_distinct_ids() {
    use std::os::unix::ffi::OsStrExt;
    let dir = temp_dir("names");
    let names: [&[u8]; 3] = [b"caf\xe9.txt", b"caf\xe8.txt", b"caf\\xe9.txt"];
    for n in names {
        if std::fs::write(dir.join(std::ffi::OsStr::from_bytes(n)), "Talks in Paris.").is_err() {
            eprintln!("non_utf8_file_names_get_distinct_ids: this file system refuses such names; skipped");
            return;
        }
    }
    let (code, recs) = extract_folder(&dir, &[]);
    assert_eq!(code, 0);
    let ids: Vec<&str> = recs.iter().map(|(d, _)| d.as_str()).collect();
    assert_eq!(ids, ["/caf\\\\xe9.txt", "/caf\\xe8.txt", "/caf\\xe9.txt"]);
}

/// `trawl check` on rule text written to a temporary folder: (exit code, stderr).
fn check_rules(dir: &std::path::Path, files: &[(&str, &str)], target: &str) -> (i32, String) {
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    let child = trawl().args(["check", target]).current_dir(dir).stderr(Stdio::piped()).spawn().expect("spawn");
    let out = wait_or_kill(child, 60, target);
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Rule and lexicon files must be regular files of bounded size: `/dev/zero` and a FIFO are
/// refused before anything is read.
#[test]
fn rule_and_lexicon_files_are_bounded_regular_files() {
    let dir = temp_dir("rulefiles");
    let (code, err) = check_rules(&dir, &[("zero.trawl", "import \"/dev/zero\"\n")], "zero.trawl");
    assert_eq!(code, 2);
    assert!(err.contains("cannot read rule file `/dev/zero`: not a regular file"), "{err}");
    let (code, err) = check_rules(
        &dir,
        &[("lex.trawl", "lexicon Z = file \"/dev/zero\"\nrule r { match Z emit X example \"z\" => X \"z\" }\n")],
        "lex.trawl",
    );
    assert_eq!(code, 2);
    assert!(err.contains("cannot read lexicon file `/dev/zero`: not a regular file"), "{err}");
    if Command::new("mkfifo").arg(dir.join("fifo.tsv")).status().is_ok_and(|s| s.success()) {
        let (code, err) = check_rules(
            &dir,
            &[("fifo.trawl", "lexicon F = file \"fifo.tsv\"\nrule r { match F emit X example \"f\" => X \"f\" }\n")],
            "fifo.trawl",
        );
        assert_eq!(code, 2);
        assert!(err.contains("not a regular file"), "{err}");
    }
    let big = "# padding\n".repeat(900_000);
    let (code, err) = check_rules(&dir, &[("big.trawl", big.as_str())], "big.trawl");
    assert_eq!(code, 2);
    assert!(err.contains("larger than 8388608 bytes"), "{err}");
}

/// Leading `..` are kept: the same import names the same file whichever path names the importer.
#[test]
fn relative_imports_resolve_from_the_importing_file() {
    let dir = temp_dir("dotdot");
    let files = [
        ("x.trawl", "rule outer { match \"outer\" emit X example \"outer\" => X \"outer\" }\n"),
        ("d1/d2/d3/x.trawl", "rule inner { match \"inner\" emit X example \"inner\" => X \"inner\" }\n"),
        ("d1/d2/d3/main.trawl", "import \"../../../x.trawl\"\n"),
    ];
    let (code, err) = check_rules(&dir, &files, "d1/d2/d3/main.trawl");
    assert_eq!(code, 0, "{err}");
    let child = trawl()
        .args(["dump", "program", "main.trawl"])
        .current_dir(dir.join("d1/d2/d3"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let out = wait_or_kill(child, 20, "dump");
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(listing.contains("rule outer"), "{listing}");
    // `.` names the current folder.
    let (code, err) = check_rules(&dir, &[], ".");
    assert_eq!(code, 0, "{err}");
}

/// A chain of 20,000 imports loads without recursion (no stack overflow, no bogus error).
#[test]
fn a_long_import_chain_loads() {
    let dir = temp_dir("chain");
    let n = 20_000;
    for i in 0..n {
        let text = if i + 1 < n { format!("import \"f{}.trawl\"\n", i + 1) } else { String::new() };
        std::fs::write(dir.join(format!("f{i}.trawl")), text).expect("write");
    }
    let (code, err) = check_rules(&dir, &[], "f0.trawl");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(&format!("{n} files")), "{err}");
}

/// Sizes that would explode at compile time are refused with a diagnostic.
#[test]
fn huge_repetitions_are_refused_quickly() {
    let dir = temp_dir("huge");
    let (code, err) =
        check_rules(&dir, &[("min.trawl", "rule r { match \"a\"{4294967295,} \"b\" emit X }\n")], "min.trawl");
    assert_eq!(code, 2);
    assert!(err.contains("repetition counts above 10000"), "{err}");
    let src = "rule r { match \"a\" (not after((\"b\"{1000}){100})){10000} emit X }\n";
    let (code, err) = check_rules(&dir, &[("ctx.trawl", src)], "ctx.trawl");
    assert_eq!(code, 2);
    assert!(err.contains("is too large"), "{err}");
}

/// Inputs the fuzzers found (`fuzz/`), replayed: JSON Lines through filter mode give one line
/// per input line with a non-empty id; rule files give a diagnostic or a program, no panic.
#[test]
fn fuzz_regressions_replay() {
    let dir = root().join("tests/fixtures/fuzz/regressions");
    for entry in std::fs::read_dir(dir.join("jsonl")).expect("jsonl regressions") {
        let path = entry.expect("entry").path();
        let input = std::fs::read(&path).expect("read");
        let child = trawl()
            .args(["extract", "--input-format", "jsonl", "--per-document", "--max-doc-bytes", "4096", "-"])
            .stdin(std::fs::File::open(&path).expect("open"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let out = wait_or_kill(child, 20, "jsonl regression");
        assert_eq!(out.status.code(), Some(0), "{}", path.display());
        let lines: Vec<serde_json::Value> = std::str::from_utf8(&out.stdout)
            .expect("utf8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        let want = input.split(|&b| b == b'\n').count() - usize::from(input.is_empty() || input.ends_with(b"\n"));
        assert_eq!(lines.len(), want, "{}", path.display());
        assert!(lines.iter().all(|l| l["id"].as_str().is_some_and(|i| !i.is_empty())), "{}", path.display());
    }
    if let Ok(entries) = std::fs::read_dir(dir.join("rules")) {
        for entry in entries {
            let text = std::fs::read(entry.expect("entry").path()).expect("read");
            if let Ok(rules) = trawl::Rules::from_source("fuzz.trawl", &String::from_utf8_lossy(&text)) {
                let _ = rules.extract(&String::from_utf8_lossy(&text), &trawl::Options::default());
            }
        }
    }
}

/// A rule set whose rules each fit but together expand past the program limit is refused.
#[test]
fn a_rule_set_too_large_in_all_is_refused() {
    let dir = temp_dir("program");
    let rule = |i: usize| {
        format!("rule r{i} {{ match (\"a\" \"b\" \"c\" \"d\" \"e\" \"f\" \"g\" \"h\" \"i\" \"j\"){{9999}} emit X }}\n")
    };
    let text: String = (0..101).map(rule).collect();
    let (code, err) = check_rules(&dir, &[("big.trawl", text.as_str())], "big.trawl");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the rule set is too large"), "{err}");
}

#[test]
fn long_texts_are_cut_into_pieces_at_paragraphs_then_lines_then_spaces() {
    use trawl::exec::pieces;
    // Short texts are one piece, whatever they hold.
    assert_eq!(pieces("", 10), vec![(0, 0)]);
    assert_eq!(pieces("one two", 10), vec![(0, 7)]);
    // A paragraph end after the first 10 bytes; the next piece starts at its first token.
    let t = "aaaa bbbb cc.\nddd.\n\n  eeee ffff gggg.\n\nhhhh";
    assert_eq!(pieces(t, 10), vec![(0, 22), (22, 39), (39, 43)]);
    assert_eq!(&t[22..26], "eeee");
    // No paragraph end within the next 10 bytes: a line break, then a space.
    assert_eq!(pieces("aaaa bbbb cccc\ndddd eeee", 10), vec![(0, 15), (15, 24)]);
    assert_eq!(pieces("aaaaaaaaaaaa bbbb cccc", 10), vec![(0, 13), (13, 22)]);
    // No whitespace at all: at a character boundary after twice the size.
    let run = "é".repeat(15);
    let cut = pieces(&run, 10);
    assert_eq!(cut, vec![(0, 20), (20, 30)]);
    // Pieces cover the text in order, each of at least the size but the last.
    let long = "Word word. ".repeat(500) + "\n\n" + &"Next one here.\n".repeat(300);
    let p = pieces(&long, 1000);
    assert_eq!(p.first().map(|r| r.0), Some(0));
    assert_eq!(p.last().map(|r| r.1), Some(long.len()));
    assert!(p.windows(2).all(|w| w[0].1 == w[1].0));
    assert!(p[..p.len() - 1].iter().all(|(a, b)| b - a >= 1000 && b - a <= 2000), "{p:?}");
}

/// The seed article, copied `n` times as paragraphs of one text.
fn seed_copies(n: usize) -> String {
    let seed = std::fs::read_to_string(root().join("tests/corpus/japan-france-talks.txt")).expect("seed");
    vec![seed.trim(); n].join("\n\n")
}

#[test]
fn a_text_in_pieces_gives_the_records_of_one_piece() {
    let rules = trawl::Rules::bundled_news().expect("bundled");
    let text = seed_copies(6);
    let mut opts = trawl::Options { anchor: trawl::Date::parse("2023-05-01"), ..Default::default() };
    opts.piece_bytes = usize::MAX;
    let whole = rules.extract(&text, &opts).expect("within limits");
    opts.piece_bytes = 4096;
    let pieced = rules.extract(&text, &opts).expect("within limits");
    assert!(whole.len() > 6 * 20, "{} records", whole.len());
    assert_eq!(pieced, whole);
    // It was extracted in pieces, none much larger than asked for.
    let mut sizes = vec![];
    let mut scratch = trawl::exec::Scratch::new();
    trawl::exec::extract_text(&rules.program, &text, &opts, &mut scratch, |(a, b), doc, _| {
        sizes.push(b - a);
        assert!(doc.tokens.iter().all(|t| (a..b).contains(&(t.start as usize))));
        true
    })
    .expect("within limits");
    assert!(sizes.len() >= 4, "{sizes:?}");
    assert!(sizes.iter().all(|&s| s <= 3 * 4096), "{sizes:?}");
}

#[test]
fn a_name_found_in_one_piece_is_known_in_the_pieces_after_it() {
    let rules = trawl::Rules::bundled_news().expect("bundled");
    let filler = "The weather was mild and the roads were quiet all day long.\n\n".repeat(40);
    let text = format!("Mayor Wilhelmina Oyelaran opened the bridge.\n\n{filler}Later, Oyelaran thanked the crowd.");
    let opts = trawl::Options { piece_bytes: 1024, ..Default::default() };
    assert!(trawl::exec::pieces(&text, opts.piece_bytes).len() > 2);
    let records = rules.extract(&text, &opts).expect("within limits");
    let later: Vec<_> = records.iter().filter(|r| r.label == "Person" && r.text == "Oyelaran").collect();
    assert_eq!(later.len(), 1, "{records:#?}");
    assert_eq!(later[0].fields["full"], "Wilhelmina Oyelaran");
}

/// `trawl extract` of `input` in 4 KiB pieces (anchor 2023-05-01), with `extra` arguments,
/// under a watchdog.
fn extract_in_pieces(extra: &[&str], input: &std::path::Path) -> Output {
    let child = trawl()
        .args(["extract", "--anchor-date", "2023-05-01", "--piece-bytes", "4096"])
        .args(extra)
        .arg(input)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_or_kill(child, 60, "extract in pieces")
}

#[test]
fn a_long_document_over_its_limits_keeps_the_records_of_the_pieces_before() {
    let dir = temp_dir("pieces-limit");
    let doc = dir.join("long.txt");
    std::fs::write(&doc, seed_copies(40)).expect("write");
    let run = |extra: &[&str]| {
        let out = extract_in_pieces(extra, &doc);
        let lines: Vec<serde_json::Value> = std::str::from_utf8(&out.stdout)
            .expect("utf8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        (out.status.code(), lines)
    };
    let (code, all) = run(&[]);
    assert_eq!(code, Some(0));
    assert!(all.iter().all(|l| l.get("error").is_none()));
    // The whole text takes about 470,000 steps: a budget of 200,000 stops it midway.
    let (code, some) = run(&["--max-steps", "200000", "--fail-on-error"]);
    assert_eq!(code, Some(1));
    let (error, records) = some.split_last().expect("lines");
    assert_eq!(error["error"]["kind"], "timeout", "{error}");
    let message = error["error"]["message"].as_str().expect("message");
    assert!(message.contains("the records of its first"), "{message}");
    assert!(!records.is_empty() && records.len() < all.len(), "{} of {}", records.len(), all.len());
    assert_eq!(records, &all[..records.len()]);
}

#[test]
fn a_long_document_written_in_parts_keeps_the_input_order_at_every_thread_count() {
    let dir = temp_dir("pieces-order");
    std::fs::write(dir.join("a.txt"), "Talks in Paris on May 3, 2023.").expect("write");
    // Its records are about a megabyte of output: written in parts while it is extracted.
    std::fs::write(dir.join("b.txt"), seed_copies(60)).expect("write");
    std::fs::write(dir.join("c.txt"), "Rome, then Tokyo.").expect("write");
    let run = |threads: &str| {
        let out = extract_in_pieces(&["--threads", threads], &dir);
        assert_eq!(out.status.code(), Some(0));
        out.stdout
    };
    let one = run("1");
    assert!(one.len() > 1 << 20, "{} bytes", one.len());
    for threads in ["2", "3"] {
        assert!(run(threads) == one, "--threads {threads} wrote other output");
    }
}
