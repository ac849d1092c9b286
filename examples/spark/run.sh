#!/usr/bin/env bash
# Opt-in test of the PySpark recipes: builds trawl and its Python package, installs pyspark
# (about 450 MB), pandas and pyarrow into .venv-spark, then under Spark local mode
#  1. pipes 1,000 documents through trawl in filter mode and checks every document comes back
#     once (pipe.py);
#  2. runs the same documents, and the bulk corpus's first 10 MB when ../shared is there, through
#     the Python package in mapInPandas beside the pipe form, checks both give the same records and
#     prints the seconds of each (binding.py).
# Needs Java 17 or newer. Not part of `cargo test` (its environment is large).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v java >/dev/null || { echo "Java 17+ is needed for Spark" >&2; exit 2; }
cargo build --release --locked
VENV=${VENV:-.venv-spark}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q "pyspark>=3.5" "pandas<3" pyarrow
# Spark's Python workers: the environment with trawl and pandas.
export PYSPARK_PYTHON="$(cd "$VENV" && pwd)/bin/python"
"$VENV/bin/pip" install -q .
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
"$VENV/bin/python" examples/spark/binding.py "$PWD/target/release/trawl" "$WORK/docs.jsonl"
BULK=../shared/corpus/bulk/whitehouse_2009_2015.jsonl
if [ -f "$BULK" ]; then
  python3 - "$BULK" "$WORK/bulk10.jsonl" <<'PY'
import json, sys
n = 0
with open(sys.argv[1], encoding="utf-8") as src, open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in src:
        if n >= 10_000_000:
            break
        n += len(json.loads(line)["text"].encode("utf-8"))
        out.write(line)
PY
  "$VENV/bin/python" examples/spark/binding.py "$PWD/target/release/trawl" "$WORK/bulk10.jsonl"
fi
rm -rf "$WORK"
