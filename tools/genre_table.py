#!/usr/bin/env python3
"""Names (Person, Place, Organization) lenient F1 per genre of the dev gold, for one trawl binary
or for two side by side (a change's effect on each genre).

Leave-one-genre-out reading: a rule change justified by one genre's errors should not lose F1 on
the genres it was not drawn from; the table shows, for each genre, the score before and after.

    cargo build --release
    python3 tools/genre_table.py ../shared/corpus/dev/gold_dev.jsonl [--base OLD_TRAWL] [--trawl NEW_TRAWL]
"""

import argparse
import collections
import json
import re
import subprocess
import sys

LABELS = ["Person", "Place", "Organization"]


def scores(trawl, gold, where):
    """Lenient F1 per label from `trawl eval --names`, for gold documents matching `where`."""
    args = [trawl, "eval", "--gold", gold, "--names"] + [a for w in where for a in ("--gold-where", w)]
    out = subprocess.run(args, capture_output=True, text=True).stdout
    got = {}
    for line in out.splitlines():
        m = re.match(r"^(Person|Place|Organization)\b.*\|\s+\d+\s+\d+\s+\d+\s+[\d.]+\s+[\d.]+\s+([\d.]+)\s+\|", line)
        if m:
            got[m.group(1)] = float(m.group(2))
    return got


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gold")
    ap.add_argument("--trawl", default="target/release/trawl")
    ap.add_argument("--base")
    args = ap.parse_args()
    genres = collections.Counter()
    for line in open(args.gold):
        d = json.loads(line)
        genres[(d.get("dataset"), d.get("genre"))] += 1
    rows = [(f"{ds}/{g}", n, [f"genre={g}"]) for (ds, g), n in sorted(genres.items())]
    rows.append(("all", sum(genres.values()), []))
    head = "| genre | docs | " + " | ".join(LABELS) + " |"
    print(head)
    print("|" + "---|" * (2 + len(LABELS)))
    for name, n, where in rows:
        new = scores(args.trawl, args.gold, where)
        if args.base:
            old = scores(args.base, args.gold, where)
            cells = [f"{old.get(l, 0):.3f} → {new.get(l, 0):.3f}" for l in LABELS]
        else:
            cells = [f"{new.get(l, 0):.3f}" for l in LABELS]
        print(f"| {name} | {n} | " + " | ".join(cells) + " |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
