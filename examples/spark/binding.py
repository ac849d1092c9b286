"""Run trawl through its Python package inside PySpark (`mapInPandas`, local mode), beside the
pipe form (`pipe.py`) on the same input, and check both give every document once with the same
records. Prints one JSON line: documents, the seconds each form took, and whether they agree.

Each executor's Python worker compiles the bundled rules once (a module-level cache) and runs
`Rules.extract_many(..., format="json")` over its batches: each document's filter-mode line, the
same text the pipe form reads back from the binary, as one string column (no Python objects per
record).

Usage: python binding.py TRAWL_BINARY INPUT.jsonl
"""
import json
import sys
import time

import pandas as pd
from pyspark.sql import SparkSession

_RULES = None


def rules():
    global _RULES
    if _RULES is None:
        import trawl

        _RULES = trawl.Rules.bundled("news")
    return _RULES


def extract_batches(batches):
    """A partition's raw JSON Lines in, one filter-mode line per document out."""
    for pdf in batches:
        docs = []
        for i, line in enumerate(pdf["value"]):
            try:
                d = json.loads(line)
                docs.append({"id": str(d.get("id", i)), "text": d.get("text"), "date": d.get("date")})
            except ValueError:
                docs.append({"id": f"broken:{i}"})  # no text: an invalid_document error line
        yield pd.DataFrame({"value": list(rules().extract_many(docs, threads=1, format="json"))})


def main():
    trawl_bin, corpus = sys.argv[1:3]
    spark = SparkSession.builder.master("local[2]").appName("trawl-binding").getOrCreate()
    lines = spark.read.text(corpus).repartition(4).cache()
    n_in = lines.count()

    cmd = f"{trawl_bin} extract --input-format jsonl --per-document --threads 1 -"
    # Each form twice, alternating; the second run of each is reported (the first starts Spark's
    # Python workers and imports pandas, pyarrow and trawl there).
    for i in range(2):
        if i:
            bound_lines.unpersist(blocking=True)  # or the same plan is answered from the cache
            out.unpersist(blocking=True)
        t = time.perf_counter()
        bound_lines = lines.mapInPandas(extract_batches, "value string").cache()
        n_bound = bound_lines.count()
        bound_s = time.perf_counter() - t
        t = time.perf_counter()
        out = lines.rdd.map(lambda r: r.value).pipe(cmd, checkCode=True).cache()
        n_piped = out.count()
        pipe_s = time.perf_counter() - t
    bound = spark.read.json(bound_lines.rdd.map(lambda r: r.value))
    piped = spark.read.json(out)

    def good(rows, key):
        # (A run without errors infers no `error` column for the pipe form's lines.)
        return {r["id"]: key(r) for r in rows if r.asDict().get("error") is None}

    a = good(bound.collect(), lambda r: len(r["records"]))
    b = good(piped.collect(), lambda r: len(r["records"]))
    same = a == b and len(a) > 0
    print(json.dumps({"documents": n_in, "binding_rows": n_bound, "pipe_rows": n_piped,
                      "binding_seconds": round(bound_s, 2), "pipe_seconds": round(pipe_s, 2),
                      "same_records": same}))
    spark.stop()
    if not (n_in == n_bound == n_piped and same):
        sys.exit(1)


if __name__ == "__main__":
    main()
