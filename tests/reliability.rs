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
        .args(["extract", "--input-format", "jsonl", "--per-document", "--max-steps", "200", "-"])
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
