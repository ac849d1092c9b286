//! `trawl-bench`: runs a benchmark workload (the peer harness's neutral JSON
//! format, translated by `trawl::workload`) over a corpus on one thread, and
//! prints the harness's JSON result line, so that trawl runs beside spaCy,
//! flashtext, pyahocorasick and Python regexes in `tools/run_peers.py`.
//!
//! Timed: tokenizing, matching, and turning every match into (rule, start
//! character, end character). Not timed: reading the corpus (`load_seconds`),
//! translating and compiling the rules (`compile_seconds`), writing `--emit`.

#[path = "../alloc.rs"]
mod alloc;

use clap::Parser;
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;
use trawl::check::load::MemoryFiles;
use trawl::exec::{self, Origin};
use trawl::text::Document;
use trawl::{Options, Rules};

/// Run a benchmark workload with trawl and print the harness's result line.
#[derive(Parser)]
#[command(name = "trawl-bench", version)]
struct Args {
    /// Workload JSON file.
    #[arg(long, required_unless_present = "rules")]
    workload: Option<PathBuf>,
    /// Run a rule pack instead of a workload (`bundled` for the bundled news pack).
    #[arg(long, conflicts_with = "workload")]
    rules: Option<PathBuf>,
    /// JSONL file ({"id","text"} per line), .txt file, or a folder of them.
    #[arg(long)]
    corpus: PathBuf,
    /// Use only the first documents up to about this many MB.
    #[arg(long)]
    max_mb: Option<f64>,
    /// Use only the first N documents.
    #[arg(long)]
    max_docs: Option<usize>,
    /// Write every match in the peers' match-file format.
    #[arg(long, value_name = "FILE")]
    emit: Option<PathBuf>,
    /// Time tokenizing alone (the whole text, prefilter or not).
    #[arg(long)]
    tokenize_only: bool,
    /// Tokenize every document whole even when the rules have a literal prefilter.
    #[arg(long)]
    no_prefilter: bool,
    /// Also print on stderr where the time went: the static lexicons and each rule, slowest first.
    #[arg(long)]
    profile: bool,
}

fn corpus_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    for exts in [[".jsonl", ".jsonl.gz"], [".txt", ".txt.gz"]] {
        let mut out = vec![];
        let mut stack = vec![path.to_path_buf()];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else { continue };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if exts.iter().any(|x| p.to_string_lossy().ends_with(x)) {
                    out.push(p);
                }
            }
        }
        if !out.is_empty() {
            out.sort();
            return out;
        }
    }
    eprintln!("trawl-bench: no .jsonl or .txt files under {}", path.display());
    std::process::exit(2);
}

/// Documents as the peers load them: (ids, texts, UTF-8 bytes).
fn load_corpus(path: &Path, max_docs: Option<usize>, max_mb: Option<f64>) -> (Vec<String>, Vec<String>, usize) {
    let limit = max_mb.map(|m| (m * 1e6) as usize);
    let (mut ids, mut texts, mut bytes) = (vec![], vec![], 0usize);
    let base =
        if path.is_dir() { path.to_path_buf() } else { path.parent().map(Path::to_path_buf).unwrap_or_default() };
    let mut push = |id: String, text: String| -> bool {
        if max_docs.is_some_and(|m| texts.len() >= m) || limit.is_some_and(|l| bytes >= l) {
            return false;
        }
        bytes += text.len();
        ids.push(id);
        texts.push(text);
        true
    };
    'files: for f in corpus_files(path) {
        let rel = f.strip_prefix(&base).unwrap_or(&f).to_string_lossy().to_string();
        if rel.ends_with(".gz") {
            eprintln!("trawl-bench: gzip corpora are not supported; decompress {rel}");
            std::process::exit(2);
        }
        if rel.ends_with(".jsonl") {
            let file = std::io::BufReader::new(std::fs::File::open(&f).expect("corpus file"));
            for (i, line) in file.lines().enumerate() {
                let line = line.expect("corpus line");
                if line.trim().is_empty() {
                    continue;
                }
                let v: serde_json::Value = serde_json::from_str(&line).expect("corpus JSON line");
                let id = match v.get("id") {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(other) if !other.is_null() => other.to_string(),
                    _ => format!("{rel}:{}", i + 1),
                };
                if !push(id, v["text"].as_str().expect("text").to_string()) {
                    break 'files;
                }
            }
        } else if !push(rel, std::fs::read_to_string(&f).expect("corpus text")) {
            break;
        }
    }
    (ids, texts, bytes)
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    (kb / 1024.0 * 10.0).round() / 10.0
}

fn main() {
    alloc::init();
    let args = Args::parse();
    let t = Instant::now();
    let (rules, tr) = match (&args.workload, &args.rules) {
        (Some(w), _) => {
            let json = std::fs::read_to_string(w).expect("workload file");
            let tr = trawl::workload::translate(&json).unwrap_or_else(|e| {
                eprintln!("trawl-bench: {e}");
                std::process::exit(2)
            });
            let files: HashMap<PathBuf, String> = tr.files.iter().map(|(p, c)| (PathBuf::from(p), c.clone())).collect();
            let rules = Rules::load(&[PathBuf::from(&tr.files[0].0)], &MemoryFiles(files));
            (rules, tr)
        }
        (None, Some(pack)) => {
            let rules = if pack.as_os_str() == "bundled" {
                Rules::bundled_news()
            } else {
                Rules::from_paths(std::slice::from_ref(pack))
            };
            let names: Vec<String> = rules
                .as_ref()
                .map(|r| r.program.set.rules.iter().map(|x| x.name.clone()).collect())
                .unwrap_or_default();
            let name = pack.file_name().map_or("pack".into(), |n| n.to_string_lossy().to_string());
            (rules, trawl::workload::Translation { name, labels: names.clone(), rules: names, files: vec![] })
        }
        (None, None) => unreachable!("clap requires one"),
    };
    let rules = rules.unwrap_or_else(|e| {
        eprintln!("trawl-bench: the rules do not compile:\n{e}");
        std::process::exit(2)
    });
    let compile_seconds = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let (ids, texts, nbytes) = load_corpus(&args.corpus, args.max_docs, args.max_mb);
    let load_seconds = t.elapsed().as_secs_f64();

    let prog = &rules.program;
    let opts = Options::default();
    let mut scratch = exec::Scratch::new();
    if args.profile {
        scratch.enable_profile();
    }
    let mut tokens = 0usize;
    let mut matches: Vec<(u32, u32, u32, u32)> = Vec::new();
    let mut count = 0usize;
    let keep = args.emit.is_some();
    let t = Instant::now();
    for (di, text) in texts.iter().enumerate() {
        let doc = if args.tokenize_only || args.no_prefilter {
            Document::new(text)
        } else {
            exec::document(prog, text, &mut scratch)
        };
        tokens += doc.tokens.len();
        if args.tokenize_only {
            continue;
        }
        let ex = match exec::extract(prog, &doc, &opts, &mut scratch) {
            Ok(ex) => ex,
            Err(e) => {
                eprintln!("trawl-bench: document {di}: {e}");
                continue;
            }
        };
        for &id in &ex.output {
            let a = &ex.annotations[id as usize];
            let Origin::Rule { rule, .. } = a.origin else { continue };
            let s = doc.tokens[a.start as usize].char_start;
            let e = doc.tokens[a.end as usize - 1].char_end;
            count += 1;
            if keep {
                matches.push((di as u32, rule.0, s, e));
            }
        }
    }
    let seconds = t.elapsed().as_secs_f64();

    if let Some(path) = &args.emit {
        matches.sort_unstable();
        let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("emit file"));
        let mut byte_of: Vec<usize> = vec![];
        let mut cur = u32::MAX;
        for &(di, ri, s, e) in &matches {
            let text = &texts[di as usize];
            if di != cur {
                cur = di;
                byte_of = text.char_indices().map(|(b, _)| b).chain([text.len()]).collect();
            }
            let r = &prog.set.rules[ri as usize];
            let label = tr.rules.iter().position(|n| *n == r.name).map_or(r.name.as_str(), |i| tr.labels[i].as_str());
            let (bs, be) = (byte_of[s as usize], byte_of[e as usize]);
            let line = serde_json::json!({"doc": ids[di as usize], "rule": r.name, "label": label,
                "start_char": s, "end_char": e, "start_byte": bs, "end_byte": be, "text": &text[bs..be]});
            writeln!(out, "{line}").expect("write emit");
        }
    }
    let mb = nbytes as f64 / 1e6;
    let round = |x: f64, d: i32| (x * 10f64.powi(d)).round() / 10f64.powi(d);
    let result = serde_json::json!({
        "peer": "trawl", "peer_version": env!("CARGO_PKG_VERSION"), "workload": tr.name,
        "rules": if args.tokenize_only { 0 } else { tr.rules.len() }, "rules_total": tr.rules.len(), "rules_skipped": [],
        "docs": texts.len(), "bytes": nbytes, "MB": round(mb, 3), "tokens": tokens,
        "matches": count, "seconds": round(seconds, 4), "compile_seconds": round(compile_seconds, 4),
        "load_seconds": round(load_seconds, 4), "MB_per_s": round(mb / seconds.max(1e-9), 3),
        "peak_rss_MB": peak_rss_mb(), "tokenize_only": args.tokenize_only,
        "prefilter": prog.prefilter.is_ok() && !args.no_prefilter && !args.tokenize_only, "threads": 1,
    });
    println!("{result}");
    if let Some(p) = scratch.profile() {
        print_profile(prog, p, seconds);
    }
}

/// The profile on stderr: static lexicons, derived lexicons, then rules by time spent.
fn print_profile(prog: &trawl::Program, p: &exec::Profile, total: f64) {
    let share = |d: std::time::Duration| 100.0 * d.as_secs_f64() / total.max(1e-9);
    eprintln!("{:>8.3} s {:>5.1}%  static lexicons", p.lexicons.as_secs_f64(), share(p.lexicons));
    eprintln!("{:>8.3} s {:>5.1}%  derived lexicons", p.derived.as_secs_f64(), share(p.derived));
    let mut rules: Vec<(usize, std::time::Duration)> = p.rules.iter().copied().enumerate().collect();
    rules.sort_by_key(|r| std::cmp::Reverse(r.1));
    for (r, d) in rules {
        let rule = &prog.set.rules[r];
        eprintln!("{:>8.3} s {:>5.1}%  rule {}", d.as_secs_f64(), share(d), rule.name);
    }
}
