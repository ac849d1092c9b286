#!/usr/bin/env python3
"""trawl through Python beside the CLI and spaCy, in one run (docs/PERFORMANCE.md).

The first documents of the bulk corpus up to --max-mb of text (as the peers' --max-mb takes
them), the bundled news pack:

- `cli tN`: `trawl extract --input-format jsonl --threads N --stats=json` on those documents as
  JSON Lines, output to /dev/null: the wall time of the process (compiling the rules included),
  and the extraction's own time (`--stats`, from the first document read to the last written);
- `python tN`: `trawl.Rules.bundled("news")` then `list(rules.extract_many(docs, threads=N))`,
  every record built as Python dicts and all of them kept (in this process): the wall time of
  both, and of the second alone;
- `python tN stream`: the same, each document's records counted and dropped as they come (a
  batch job that writes them somewhere): Python's cyclic collector, which walks every dict kept,
  has far less to walk;
- `python tN json`: `extract_many(docs, threads=N, format="json")`, each document's filter-mode
  line as a `str` (no object per record);
- `spacy`: the peer harness's spaCy entity ruler + Matcher on the news.json workload
  (`../shared/bench/peers/spacy_peer.py --lexicon-mode entity`; its own timed section, which
  leaves out loading and compiling).

Each is run --repeat times, interleaved; the table gives medians. Run it with the Python of the
test environment (`target/python-venv`, made by `cargo test`), which has the package and spaCy:

    target/python-venv/bin/python tools/python_bench.py --trawl target/release/trawl
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def load_docs(path, max_mb):
    docs, nbytes, limit = [], 0, int(max_mb * 1e6)
    with open(path, encoding="utf-8") as f:
        for line in f:
            if nbytes >= limit:
                break
            d = json.loads(line)
            docs.append({"id": d["id"], "text": d["text"]})
            nbytes += len(d["text"].encode("utf-8"))
    return docs, nbytes


def time_cli(trawl_bin, jsonl, threads):
    t = time.perf_counter()
    out = subprocess.run([trawl_bin, "extract", "--input-format", "jsonl", "--threads", str(threads),
                          "--stats=json", jsonl], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         check=True, text=True)
    whole = time.perf_counter() - t
    stats = json.loads(out.stderr.strip().splitlines()[-1])["stats"]
    return whole, stats["seconds"], stats["records"]


def time_python(docs, threads, keep=True, fmt="dict"):
    import trawl

    t = time.perf_counter()
    rules = trawl.Rules.bundled("news")
    t2 = time.perf_counter()
    if fmt == "json":
        n = sum(len(line) for line in rules.extract_many(docs, threads=threads, format="json"))
        n = f"{n / 1e6:.1f} MB of lines"
    elif keep:
        out = list(rules.extract_many(docs, threads=threads))
        n = sum(len(o.get("records", [])) for o in out)
    else:
        n = sum(len(o.get("records", [])) for o in rules.extract_many(docs, threads=threads))
    end = time.perf_counter()
    return end - t, end - t2, n


def time_spacy(corpus, max_mb):
    peer = SHARED / "bench" / "peers" / "spacy_peer.py"
    workload = SHARED / "bench" / "workloads" / "news.json"
    out = subprocess.run([sys.executable, str(peer), str(workload), str(corpus), "--max-mb", str(max_mb),
                          "--greedy", "LONGEST", "--lexicon-mode", "entity"],
                         capture_output=True, check=True, text=True)
    line = json.loads(out.stdout.strip().splitlines()[-1])
    return None, line["seconds"], line["matches"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trawl", default=str(ROOT / "target" / "release" / "trawl"))
    ap.add_argument("--corpus", default=str(SHARED / "corpus" / "bulk" / "whitehouse_2009_2015.jsonl"))
    ap.add_argument("--max-mb", type=float, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-spacy", action="store_true")
    args = ap.parse_args()

    docs, nbytes = load_docs(args.corpus, args.max_mb)
    tmp = tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8")
    with tmp:
        for d in docs:
            tmp.write(json.dumps(d) + "\n")
    names = ("cli t1", "cli t2", "python t1", "python t2", "python t1 stream", "python t2 stream",
             "python t1 json", "python t2 json", "spacy")
    whole = {k: [] for k in names}
    runs = {k: [] for k in names}
    counts = {}
    try:
        for _ in range(args.repeat):
            for name, fn in (
                ("cli t1", lambda: time_cli(args.trawl, tmp.name, 1)),
                ("python t1", lambda: time_python(docs, 1)),
                ("cli t2", lambda: time_cli(args.trawl, tmp.name, 2)),
                ("python t2", lambda: time_python(docs, 2)),
                ("python t1 stream", lambda: time_python(docs, 1, keep=False)),
                ("python t2 stream", lambda: time_python(docs, 2, keep=False)),
                ("python t1 json", lambda: time_python(docs, 1, fmt="json")),
                ("python t2 json", lambda: time_python(docs, 2, fmt="json")),
                ("spacy", lambda: time_spacy(args.corpus, args.max_mb)),
            ):
                if name == "spacy" and args.no_spacy:
                    continue
                w, seconds, n = fn()
                runs[name].append(seconds)
                if w is not None:
                    whole[name].append(w)
                counts[name] = n
    finally:
        os.unlink(tmp.name)

    med = {k: statistics.median(v) for k, v in runs.items() if v}
    wmed = {k: statistics.median(v) for k, v in whole.items() if v}
    mbs = {k: nbytes / 1e6 / s for k, s in med.items()}
    wmbs = {k: nbytes / 1e6 / s for k, s in wmed.items()}
    print(f"{len(docs)} documents, {nbytes / 1e6:.2f} MB, medians of {args.repeat} interleaved runs\n")
    print("| run | whole run s | MB/s | extraction s | MB/s | records or matches | × spaCy (extraction) |")
    print("|---|---|---|---|---|---|---|")
    for k in med:
        x = f"{mbs[k] / mbs['spacy']:.0f}×" if "spacy" in mbs else "-"
        w = f"{wmed[k]:.2f} | {wmbs[k]:.2f}" if k in wmed else "- | -"
        print(f"| {k} | {w} | {med[k]:.2f} | {mbs[k]:.2f} | {counts.get(k, '-')} | {x} |")
    print()
    for t in ("t1", "t2", "t1 stream", "t2 stream", "t1 json", "t2 json"):
        a, b = f"python {t}", f"cli {t.split()[0]}"
        print(f"{a} ÷ {b}: whole run {wmbs[a] / wmbs[b]:.2f}, extraction {mbs[a] / mbs[b]:.2f}")
    for who in ("python", "python stream", "cli"):
        if who == "python stream":
            a, b = "python t2 stream", "python t1 stream"
            print(f"{a} ÷ {b}: whole run {wmbs[a] / wmbs[b]:.2f}, extraction {mbs[a] / mbs[b]:.2f}")
            continue
        a, b = f"{who} t2", f"{who} t1"
        print(f"{a} ÷ {b}: whole run {wmbs[a] / wmbs[b]:.2f}, extraction {mbs[a] / mbs[b]:.2f}")

if __name__ == "__main__":
    main()
