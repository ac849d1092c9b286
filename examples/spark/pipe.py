"""Run trawl in filter mode under PySpark (local mode) and check that every
input document comes back exactly once, in a DataFrame and as Parquet; broken
input lines come back as error lines whose id ends in the line's FNV-1a hash.

Usage: python pipe.py TRAWL_BINARY INPUT.jsonl OUTPUT_DIR
"""
import json
import sys

from pyspark.sql import SparkSession


def fnv1a(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) % (1 << 64)
    return f"{h:016x}"


def identity(line):
    """A good line's id; a broken line's hash (trawl puts it at the end of the error line's id)."""
    try:
        return json.loads(line)["id"]
    except ValueError:
        return fnv1a(line.encode())


def main():
    trawl, corpus, out_dir = sys.argv[1:4]
    spark = SparkSession.builder.master("local[2]").appName("trawl-pipe").getOrCreate()
    sc = spark.sparkContext
    lines = sc.textFile(corpus, minPartitions=4)
    n_in = lines.count()
    # checkCode=True: a failing trawl process fails the job instead of losing lines. In
    # filter mode a bad document is an error line and trawl still exits 0.
    piped = lines.pipe(f"{trawl} extract --input-format jsonl --per-document --threads 1 -", checkCode=True)
    df = spark.read.json(piped)
    n_out = df.count()
    ids_in = sorted(identity(line) for line in lines.collect())
    ids_out = sorted(r["id"] if r["error"] is None else r["id"].rsplit(":", 1)[1] for r in df.collect())
    df.write.mode("overwrite").parquet(out_dir)
    back = spark.read.parquet(out_dir).count()
    print(json.dumps({"input_lines": n_in, "output_lines": n_out, "same_ids": ids_in == ids_out, "parquet_rows": back}))
    spark.stop()
    if not (n_in == n_out == back and ids_in == ids_out):
        sys.exit(1)


if __name__ == "__main__":
    main()
