"""Every output validates against the checked-in JSON Schemas (schema/): the CLI's lines of every
kind, error records of every kind the CLI can be made to write, filter mode, what the Python API
returns, every stored insta snapshot of records and every snapshot store file."""

import json
import os
import subprocess

import pytest

jsonschema = pytest.importorskip("jsonschema")

import trawl  # noqa: E402
from conftest import DEV_DOCS, ROOT, SEED  # noqa: E402


def validator(name):
    schema = json.loads((ROOT / "schema" / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


RECORD = validator("record.v1.json")
DOCUMENT = validator("document.v1.json")
SNAPSHOT = validator("snapshot.v1.json")


def valid(v, items):
    items = list(items)
    assert items
    for item in items:
        errors = sorted(v.iter_errors(item), key=str)
        assert not errors, f"{item}: {errors[0]}"
    return items


def cli(trawl_bin, *args, stdin=b"", cwd=ROOT):
    out = subprocess.run([trawl_bin, *args], input=stdin, capture_output=True, cwd=cwd)
    return [json.loads(line) for line in out.stdout.decode().splitlines()]


def test_records_of_the_seed_and_the_dev_documents(trawl_bin):
    valid(RECORD, cli(trawl_bin, "extract", "--anchor-date", "2023-05-01", "--internal", str(SEED)))
    valid(RECORD, cli(trawl_bin, "extract", "--offsets", "bytes", str(SEED)))
    if DEV_DOCS.is_dir():
        valid(RECORD, cli(trawl_bin, "extract", str(DEV_DOCS)))


def test_error_records_of_every_kind_the_cli_can_be_made_to_write(trawl_bin, tmp_path):
    d = tmp_path / "docs"
    d.mkdir()
    (d / "binary.txt").write_bytes(b"\x00\x01\x02")
    (d / "latin1.txt").write_bytes(b"caf\xe9")
    (d / "utf16.txt").write_bytes(b"\xff\xfe\x00\xd8")  # a lone surrogate after the mark
    (d / "big.txt").write_text("word " * 100)
    os.mkfifo(d / "fifo")
    lines = cli(trawl_bin, "extract", "--max-doc-bytes", "200", str(d))
    lines += cli(trawl_bin, "extract", "--max-steps", "1", str(SEED))
    jsonl = b'{"id": "a", "text": "In Tokyo."}\n{broken\n{"id": "b"}\n'
    lines += cli(trawl_bin, "extract", "--input-format", "jsonl", "-", stdin=jsonl)
    lines += cli(trawl_bin, "extract", str(tmp_path / "missing.txt"))
    kinds = {line["error"]["kind"] for line in valid(RECORD, lines) if "error" in line}
    assert kinds >= {"binary", "invalid_utf8", "invalid_utf16", "too_large", "not_a_file", "timeout",
                     "invalid_json", "invalid_document"}, kinds
    # Every kind the schema lists is one the CLI writes (internal: a bug; empty_line: filter mode).
    listed = {k["const"] for k in json.loads((ROOT / "schema" / "record.v1.json").read_text())
              ["$defs"]["ErrorKind"]["oneOf"]}
    assert listed - kinds <= {"internal", "empty_line", "unreadable"}, listed - kinds


def test_filter_mode_lines(trawl_bin):
    jsonl = b'{"id": "a", "text": "Talks in Tokyo on 3 May 2023."}\n\n{broken\n{"text": 5}\n'
    lines = valid(DOCUMENT, cli(trawl_bin, "extract", "--input-format", "jsonl", "--per-document", "-",
                                stdin=jsonl))
    assert [("error" in x) for x in lines] == [False, True, True, True]


def test_python_results():
    news = trawl.Rules.bundled("news")
    valid(RECORD, news.extract(SEED.read_text(), anchor_date="2023-05-01", internal=True))
    valid(DOCUMENT, news.extract_many([SEED.read_text(), {"id": "x"}, "In Paris."], threads=2))


def test_every_stored_snapshot():
    decoder = json.JSONDecoder()
    snaps = sorted((ROOT / "tests" / "snapshots").glob("integration__extract__*.snap"))
    assert snaps
    records = []
    for path in snaps:
        body = path.read_text().split("\n---\n", 1)[1].strip()
        i = 0
        while i < len(body):
            value, i = decoder.raw_decode(body, i)
            records.append(value)
            while i < len(body) and body[i].isspace():
                i += 1
    valid(RECORD, [r for r in records if "v" in r])
    stores = sorted((ROOT / "tests" / "corpus-snapshots").glob("*/*.jsonl"))
    assert len(stores) > 1
    for path in stores:
        valid(SNAPSHOT, [json.loads(line) for line in path.read_text().splitlines()])
