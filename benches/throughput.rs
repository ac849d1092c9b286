//! Criterion benchmarks: compiling rule sets, and extraction throughput
//! (bytes per second) with the bundled news pack and tokenizing alone.
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
                black_box(exec::extract(&rules.program, &doc, &Options::default(), &mut scratch));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, compile, extract);
criterion_main!(benches);
