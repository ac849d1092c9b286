#!/usr/bin/env bash
# Opt-in test of the PySpark recipe: builds trawl, installs pyspark (about
# 450 MB) into .venv-spark, pipes 1,000 documents through trawl in filter
# mode under Spark local mode, and checks every document comes back once.
# Needs Java 17 or newer. Not part of `cargo test` (its environment is large).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v java >/dev/null || { echo "Java 17+ is needed for Spark" >&2; exit 2; }
cargo build --release --locked
VENV=${VENV:-.venv-spark}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q "pyspark>=3.5"
WORK=$(mktemp -d)
python3 - "$WORK/docs.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(1000):
        if i % 97 == 13:
            f.write("{broken json\n")
        else:
            f.write(json.dumps({"id": f"doc-{i}", "text": f"Talks in Tokyo and Paris on May {i % 28 + 1}, 2023."}) + "\n")
PY
"$VENV/bin/python" examples/spark/pipe.py "$PWD/target/release/trawl" "$WORK/docs.jsonl" "$WORK/records.parquet"
