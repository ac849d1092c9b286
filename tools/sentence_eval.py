#!/usr/bin/env python3
"""Sentence boundaries against the dev gold (GUM documents' `sentences` layer), trawl beside pySBD
and spaCy's rule-based sentencizer when they are installed, in one run.

Only boundaries inside a paragraph count: a sentence start that follows a blank line (or starts
the document) is one every splitter gets for free. A predicted boundary is right when a gold
sentence starts at the same character offset.

    cargo build --release
    pip install pysbd spacy        # optional peers
    python3 tools/sentence_eval.py ../shared/corpus/dev/gold_dev.jsonl
"""

import json
import os
import re
import subprocess
import sys
import tempfile


def inner_starts(text, starts):
    """The sentence starts that are not at a paragraph start."""
    out = set()
    for s in starts:
        before = text[:s]
        if not before.strip() or re.search(r"\n[ \t\r]*\n[ \t\r]*$", before):
            continue
        out.add(s)
    return out


def paragraphs(text):
    """Blank-line paragraphs as (offset, text)."""
    pos = 0
    for m in re.finditer(r"\n[ \t\r]*\n", text + "\n\n"):
        yield pos, text[pos:m.start()]
        pos = m.end()


def trawl_starts(docs, binary):
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for d in docs:
            f.write(json.dumps({"id": d["id"], "text": d["text"]}) + "\n")
        path = f.name
    extra = os.environ.get("TRAWL_TOKENS_ARGS", "").split()
    out = subprocess.run([binary, "tokens", "--format", "jsonl", *extra, path], capture_output=True, text=True, check=True)
    starts = {}
    for line in out.stdout.splitlines():
        s = json.loads(line)
        starts.setdefault(s["doc"], []).append(s["start"])
    return starts


def splitter_starts(docs, split):
    starts = {}
    for d in docs:
        found = []
        for off, par in paragraphs(d["text"]):
            for a in split(par):
                found.append(off + a)
        starts[d["id"]] = found
    return starts


def pysbd_split():
    try:
        import pysbd
    except ImportError:
        return None
    seg = pysbd.Segmenter(language="en", clean=False, char_span=True)
    return lambda par: [s.start for s in seg.segment(par) if s.sent.strip()]


def spacy_split():
    try:
        import spacy
    except ImportError:
        return None
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")

    def split(par):
        out = []
        for s in nlp(par).sents:
            out.append(s.start_char)
        return out

    return split


def score(docs, starts):
    tp = fp = fn = 0
    for d in docs:
        gold = inner_starts(d["text"], [s["start"] for s in d["sentences"]])
        got = set()
        for s in starts.get(d["id"], []):
            # Skip white space so that offsets compare at the first character.
            while s < len(d["text"]) and d["text"][s].isspace():
                s += 1
            got.add(s)
        got = inner_starts(d["text"], got)
        tp += len(gold & got)
        fp += len(got - gold)
        fn += len(gold - got)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return tp, fp, fn, p, r, f


def main():
    gold = sys.argv[1] if len(sys.argv) > 1 else "../shared/corpus/dev/gold_dev.jsonl"
    binary = sys.argv[2] if len(sys.argv) > 2 else "target/release/trawl"
    docs = [d for d in map(json.loads, open(gold, encoding="utf-8")) if d.get("sentences")]
    rows = [("trawl", trawl_starts(docs, binary))]
    for name, make in (("pySBD", pysbd_split), ("spaCy sentencizer", spacy_split)):
        split = make()
        if split is None:
            print(f"({name} is not installed; skipped)")
            continue
        rows.append((name, splitter_starts(docs, split)))
    print(f"{len(docs)} documents; boundaries inside paragraphs")
    print(f"{'splitter':<20} {'tp':>5} {'fp':>5} {'fn':>5} {'P':>6} {'R':>6} {'F1':>6}")
    for name, starts in rows:
        tp, fp, fn, p, r, f = score(docs, starts)
        print(f"{name:<20} {tp:>5} {fp:>5} {fn:>5} {p:>6.3f} {r:>6.3f} {f:>6.3f}")


main()
