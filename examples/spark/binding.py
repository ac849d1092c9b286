"""Run trawl through its Python package inside PySpark (`mapInPandas`, local mode), beside the
pipe form (`pipe.py`) on the same input, and check both give every document once with the same
records. Prints one JSON line: documents, the seconds each form took, and whether they agree.

Each executor's Python worker compiles the bundled rules once (a module-level cache) and runs
`Rules.extract_many` over its batches; a document's records travel as one JSON string column,
as the pipe form's `records` do once written.

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
    """A partition's raw JSON Lines in, one row per document out: id, records (JSON), error kind."""
    for pdf in batches:
        docs, broken = [], {}
        for i, line in enumerate(pdf["value"]):
            try:
                d = json.loads(line)
                docs.append({"id": str(d.get("id", i)), "text": d.get("text"), "date": d.get("date")})
            except ValueError:
                broken[len(docs)] = True
                docs.append({"id": f"broken:{i}"})  # no text: an invalid_document error
        ids, records, errors = [], [], []
        for k, out in enumerate(rules().extract_many(docs, threads=1)):
            ids.append(out["id"])
            if "error" in out:
                records.append(None)
                errors.append("invalid_json" if k in broken else out["error"]["kind"])
            else:
                records.append(json.dumps(out["records"], ensure_ascii=False))
                errors.append(None)
        yield pd.DataFrame({"id": ids, "records": records, "error": errors})


def main():
    trawl_bin, corpus = sys.argv[1:3]
    spark = SparkSession.builder.master("local[2]").appName("trawl-binding").getOrCreate()
    lines = spark.read.text(corpus).repartition(4).cache()
    n_in = lines.count()

    t = time.perf_counter()
    bound = lines.mapInPandas(extract_batches, "id string, records string, error string").cache()
    n_bound = bound.count()
    bound_s = time.perf_counter() - t

    t = time.perf_counter()
    cmd = f"{trawl_bin} extract --input-format jsonl --per-document --threads 1 -"
    out = lines.rdd.map(lambda r: r.value).pipe(cmd, checkCode=True).cache()
    n_piped = out.count()
    pipe_s = time.perf_counter() - t
    piped = spark.read.json(out)

    def good(rows, key):
        # (A run without errors infers no `error` column for the pipe form's lines.)
        return {r["id"]: key(r) for r in rows if r.asDict().get("error") is None}

    a = good(bound.collect(), lambda r: len(json.loads(r["records"])))
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
