#!/usr/bin/env python3
"""Time trawl on pathological texts at two sizes, interleaved, in one run.

In: the release binary (`cargo build --release`) and, for the real-news row, a
JSON Lines corpus with a `text` field (the bulk transcripts of ../shared).
Out: a Markdown table on stdout: each shape's time at 25 KB and 100 KB of
`a a a ...` (one sentence, no punctuation) and the growth for 4x the text;
then the bundled pack on 1 MB of each pathological text beside 1 MB of real
news, and on 1 MB and 4 MB of each. Medians of --repeat runs, the sizes interleaved so that the machine's
noise hits both alike. The step counts that a test checks without a clock are
in tests/linearity.rs; this is the clock side.

    python3 tools/linearity_bench.py [--repeat 5] [--news ../shared/corpus/bulk/whitehouse_2009_2015.jsonl]
"""

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

SHAPES = [
    ("`match x:\"a\" ... $ where len(x) > 5`", 'rule r { match x:"a" ... $ where len(x) > 5 emit A }', "a"),
    ("`match \"a\" (... \"zzz\")?`", 'rule r { match "a" (... "zzz")? emit A }', "a"),
    ("`match (\"a\" ... \"zzz\" \\| \"a\")`", 'rule r { match ("a" ... "zzz" | "a") emit A }', "a"),
    ("`match \"a\" not after(... \"zzz\")`", 'rule r { match "a" not after(... "zzz") emit A }', "a"),
    ("`before(\"include\" (\"a\" \",\")*) \"a\"`", 'rule r { match before("include" ("a" ",")*) "a" emit A }', "inc"),
    ("`match word` + `veto B`", 'rule a { match word emit B }\nrule v { match "a" veto B }', "a"),
]


def text_of(kind, size):
    if kind == "a":
        return "a " * (size // 2)
    if kind == "inc":
        return "include " + "a , " * (size // 4)
    if kind == "list":
        return "They include " + "France, " * (size // 8)
    if kind == "names":
        out, i, n = [], 0, 0
        while n < size:
            last = "".join(chr(ord("a") + int(d)) for d in str(i))
            out.append(f"{['John', 'Mary', 'Omar', 'Anna'][i % 4]} Q{last}son said. ")
            n += len(out[-1])
            i += 1
        return "".join(out)
    raise ValueError(kind)


def run(binary, rules, path):
    args = [binary, "extract", "--threads", "1", path]
    if rules:
        args[2:2] = ["--rules", rules]
    t = time.perf_counter()
    subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t


def median_pair(binary, rules, a, b, repeat):
    ta, tb = [], []
    for _ in range(repeat):
        ta.append(run(binary, rules, a))
        tb.append(run(binary, rules, b))
    return statistics.median(ta), statistics.median(tb)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/trawl")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--news", default="../shared/corpus/bulk/whitehouse_2009_2015.jsonl")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="trawl-linearity-")

    def write(name, text):
        p = os.path.join(tmp, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    print("| shape | 25 KB | 100 KB | growth for 4x text |")
    print("|---|---|---|---|")
    for k, (label, rule, kind) in enumerate(SHAPES):
        rules = write(f"shape{k}.trawl", rule + "\n")
        small, large = write(f"s{k}.txt", text_of(kind, 25_000)), write(f"l{k}.txt", text_of(kind, 100_000))
        a, b = median_pair(args.binary, rules, small, large, args.repeat)
        print(f"| {label} | {a:.3f} s | {b:.3f} s | {b / a:.1f}x |")

    print()
    print("| bundled pack, 1 MB of | time | vs real news |")
    print("|---|---|---|")
    news = None
    if os.path.exists(args.news):
        parts, n = [], 0
        with open(args.news) as f:
            for line in f:
                t = json.loads(line).get("text", "")
                parts.append(t)
                n += len(t) + 2
                if n >= 1_000_000:
                    break
        news = write("news.txt", "\n\n".join(parts)[:1_000_000])
    rows = [("list", "`They include France, France, ...`"), ("names", "`John Qabson said. Mary Qbson said. ...`")]
    for kind, label in rows:
        p = write(f"{kind}.txt", text_of(kind, 1_000_000))
        if news:
            t_news, t = median_pair(args.binary, None, news, p, args.repeat)
            print(f"| {label} | {t:.3f} s | {t / t_news:.1f}x (news: {t_news:.3f} s) |")
        else:
            t = statistics.median(run(args.binary, None, p) for _ in range(args.repeat))
            print(f"| {label} | {t:.3f} s | (no news corpus at {args.news}) |")

    # A long text is read in pieces (docs/LANGUAGE.md §2): 4x the text is 4x the pieces.
    print()
    print("| bundled pack on | 1 MB | 4 MB | growth for 4x text |")
    print("|---|---|---|---|")
    for kind, label in rows:
        small, large = write(f"{kind}1.txt", text_of(kind, 1_000_000)), write(f"{kind}4.txt", text_of(kind, 4_000_000))
        a, b = median_pair(args.binary, None, small, large, args.repeat)
        print(f"| {label} | {a:.3f} s | {b:.3f} s | {b / a:.1f}x |")


if __name__ == "__main__":
    main()
