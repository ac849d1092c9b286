//! Criterion benchmarks: compiling rule sets, and extraction throughput
//! (bytes per second) with the bundled news pack, tokenizing alone, and a
//! 1,000-word gazetteer with and without the literal prefilter.
//!
//! `cargo bench --bench throughput`. The text is the sample article from
//! `tests/corpus/` repeated, or the bulk corpus's first 2 MB when
//! `../shared/corpus/bulk/whitehouse_2009_2015.jsonl` is present. For the
//! side-by-side comparison with other engines, see docs/PERFORMANCE.md.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use trawl::text::Document;
use trawl::{exec, Options, Rules};

fn texts() -> Vec<String> {
    let bulk =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/bulk/whitehouse_2009_2015.jsonl");
    if let Ok(data) = std::fs::read_to_string(&bulk) {
        let mut out = vec![];
        let mut bytes = 0;
        for line in data.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("json");
            let t = v["text"].as_str().unwrap_or_default().to_string();
            bytes += t.len();
            out.push(t);
            if bytes > 2_000_000 {
                break;
            }
        }
        return out;
    }
    let seed = include_str!("../tests/corpus/japan-france-talks.txt");
    vec![seed.to_string(); 200]
}

fn generated_rules(n: usize) -> String {
    let mut s = String::from("lexicon L = [\"alpha\", \"beta gamma\", \"delta\"]\n");
    for i in 0..n {
        s.push_str(&format!(
            "rule r{i} {{ match \"w{i}\"i (cap | L){{1,3}} x:num? emit Label{} {{ v: x }} }}\n",
            i % 13
        ));
    }
    s
}

fn generated_lexicon(n: usize) -> String {
    let mut s = String::from("lexicon Big = [");
    for i in 0..n {
        s.push_str(&format!("\"term{i} word{}\", ", i % 97));
    }
    s.push_str("\"last\"] with case ignore\nrule r { match Big emit Hit }\n");
    s
}

fn compile(c: &mut Criterion) {
    let mut g = c.benchmark_group("compile");
    g.bench_function("bundled news pack", |b| b.iter(|| black_box(Rules::bundled_news().expect("bundled"))));
    for n in [10, 100, 1000] {
        let text = generated_rules(n);
        g.bench_with_input(BenchmarkId::new("generated rules", n), &text, |b, t| {
            b.iter(|| black_box(Rules::from_source("gen.trawl", t).expect("compiles")))
        });
    }
    let lex = generated_lexicon(100_000);
    g.sample_size(10);
    g.bench_function("lexicon of 100k entries", |b| {
        b.iter(|| black_box(Rules::from_source("lex.trawl", &lex).expect("ok")))
    });
    g.finish();
}

fn extract(c: &mut Criterion) {
    let texts = texts();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut g = c.benchmark_group("extract");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.bench_function("tokenize only", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(Document::new(t));
            }
        })
    });
    let rules = Rules::bundled_news().expect("bundled");
    let mut scratch = exec::Scratch::new();
    g.bench_function("bundled news pack", |b| {
        b.iter(|| {
            for t in &texts {
                let doc = Document::new(t);
                black_box(
                    exec::extract(&rules.program, &doc, &Options::default(), &mut scratch).expect("within limits"),
                );
            }
        })
    });
    // A gazetteer of 1,000 words of the text itself, as gazetteers are: terms that occur a few
    // times (two to five), not function words. Rules of entries only, so the prefilter applies.
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for w in texts.iter().flat_map(|t| t.split_whitespace()) {
        if w.len() >= 4 && w.chars().all(char::is_alphabetic) {
            *counts.entry(w.to_lowercase()).or_default() += 1;
        }
    }
    let terms: Vec<&String> = counts.iter().filter(|(_, &n)| (2..=5).contains(&n)).map(|(w, _)| w).collect();
    let step = (terms.len() / 1000).max(1);
    let words: Vec<&String> = terms.iter().step_by(step).take(1000).copied().collect();
    let list: Vec<String> = words.iter().map(|w| format!("{w:?}")).collect();
    let source = format!("lexicon Gaz = [{}] with case ignore\nrule g {{ match Gaz emit Hit }}\n", list.join(", "));
    let gazetteer = Rules::from_source("gazetteer.trawl", &source).expect("gazetteer compiles");
    assert!(gazetteer.program.prefilter.is_ok());
    g.bench_function("gazetteer of 1k words, prefilter", |b| {
        b.iter(|| {
            for t in &texts {
                let doc = exec::document(&gazetteer.program, t, &mut scratch);
                black_box(
                    exec::extract(&gazetteer.program, &doc, &Options::default(), &mut scratch).expect("within limits"),
                );
            }
        })
    });
    g.bench_function("gazetteer of 1k words, whole documents", |b| {
        b.iter(|| {
            for t in &texts {
                let doc = Document::new(t);
                black_box(
                    exec::extract(&gazetteer.program, &doc, &Options::default(), &mut scratch).expect("within limits"),
                );
            }
        })
    });
    g.finish();
}

criterion_group!(benches, compile, extract);
criterion_main!(benches);
