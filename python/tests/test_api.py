"""The Python API: loading, extract, extract_many, errors, test(), and the CLI's records."""

import datetime
import json
import subprocess
import threading

import pytest

import trawl
from conftest import DEV_DOCS, ROOT, SEED

PEOPLE = """
lexicon Title = ["President", "Prime Minister"]
rule person_with_title {
  match  title:Title name:(cap cap?)
  emit   Person { name, title }
  example "President Emmanuel Macron" => Person { name: "Emmanuel Macron" }
}
"""


def test_from_source_extract_gives_cli_shaped_records():
    rules = trawl.Rules.from_source("people.trawl", PEOPLE)
    [r] = rules.extract("Talks with Prime Minister Fumio Kishida began.")
    assert list(r) == ["v", "doc", "label", "start", "end", "text", "fields", "rule", "source", "captures"]
    assert r["v"] == trawl.schema_version() == 1
    assert (r["label"], r["text"], r["start"], r["end"]) == ("Person", "Prime Minister Fumio Kishida", 11, 39)
    assert r["fields"]["name"] == {"text": "Fumio Kishida", "start": 26, "end": 39}
    assert r["source"] == "people.trawl:3"
    assert r["doc"] == "-"


def test_offsets_in_chars_and_bytes():
    rules = trawl.Rules.from_source("p.trawl", PEOPLE)
    text = "東京で President Emmanuel Macron が"
    [c] = rules.extract(text)
    [b] = rules.extract(text, offsets="bytes")
    assert text[c["start"]:c["end"]] == "President Emmanuel Macron"
    assert text.encode()[b["start"]:b["end"]].decode() == "President Emmanuel Macron"
    with pytest.raises(ValueError, match="offsets"):
        rules.extract(text, offsets="lines")


def test_anchor_date_as_string_or_date(news):
    text = "The talks were held last Friday."
    a = [r for r in news.extract(text, anchor_date="2023-05-01") if r["label"] == "Date"]
    b = [r for r in news.extract(text, anchor_date=datetime.date(2023, 5, 1)) if r["label"] == "Date"]
    assert a == b and a[0]["fields"]["value"] == "2023-04-28"
    with pytest.raises(ValueError, match="not a date"):
        news.extract(text, anchor_date="2023-13-01")


def test_bundled_packs_load_alone():
    assert "news" in trawl.bundled_packs() and "news/dates" in trawl.bundled_packs()
    dates = trawl.Rules.bundled("news/dates")
    labels = {r["label"] for r in dates.extract("President Macron met him on 3 May 2023.")}
    assert labels == {"Date"}
    assert "Person" not in dates.labels
    with pytest.raises(trawl.RuleError, match="no bundled pack"):
        trawl.Rules.bundled("nonsense")


def test_from_paths_and_a_bundled_name(tmp_path):
    (tmp_path / "mine.trawl").write_text(
        'use news/dates { Date }\n'
        'rule meeting {\n  match  "met" "on" d:Date\n  emit   Meeting { date: d.value }\n'
        '  example "they met on 3 May 2023" => Meeting "met on 3 May 2023" { date: "2023-05-03" }\n}\n'
    )
    rules = trawl.Rules.from_paths([tmp_path])
    [m] = [r for r in rules.extract("They met on 3 May 2023.") if r["label"] == "Meeting"]
    assert m["fields"]["date"] == "2023-05-03"
    assert rules.test()["summary"] == {"passed": 1, "failed": 0, "todo": 0, "todo_passing": 0}


def test_rule_error_has_every_diagnostic():
    broken = 'rule a {\n  match  Nope\n  emit   A\n}\nrule b {\n  match  "x" y:Missing\n  emit   B\n}\n'
    with pytest.raises(trawl.RuleError) as e:
        trawl.Rules.from_source("broken.trawl", broken)
    diags = e.value.diagnostics
    assert len(diags) == 2
    assert [(d["file"], d["line"], d["severity"]) for d in diags] == [
        ("broken.trawl", 2, "error"),
        ("broken.trawl", 6, "error"),
    ]
    assert diags[0]["column"] == 10 and "Nope" in diags[0]["message"]
    text = str(e.value)
    assert "broken.trawl:2:10" in text and "^" in text


def test_test_reports_failures():
    rules = trawl.Rules.from_source("t.trawl", 'rule r { match "a" emit A example "a" => A "b" }')
    report = rules.test()
    assert report["summary"]["failed"] == 1
    [ex] = report["examples"]
    assert ex["status"] == "fail" and ex["rule"] == "r"


def test_extraction_error_over_a_limit(news, seed_text):
    with pytest.raises(ValueError, match="timeout"):
        news.extract("a", timeout=-1)
    # A nanosecond is over before the first rule has run.
    with pytest.raises(trawl.ExtractionError) as e:
        news.extract(seed_text, timeout=1e-9)
    assert e.value.kind == "timeout" and "--timeout" in str(e.value)
    [bad, good] = news.extract_many([seed_text, "In Tokyo."], timeout=1e-9)
    assert bad["error"]["kind"] == "timeout"


def test_extract_many_in_order_with_errors(news):
    docs = [
        "Talks in Tokyo.",
        {"id": "b", "text": "Paris on May 3.", "date": "2023-05-01"},
        {"id": "c"},
        {"id": "d", "text": 42},
        {"id": "e", "text": "x", "date": "soon"},
        17,
        {"text": "In Berlin."},
    ]
    for threads in (1, 2, 3):
        out = list(news.extract_many(docs, threads=threads))
        assert [o["id"] for o in out] == ["0", "b", "c", "d", "e", "5", "6"]
        assert [o.get("error", {}).get("kind") for o in out] == [
            None, None, "invalid_document", "invalid_document", "invalid_document", "invalid_document", None
        ]
        assert [r["text"] for r in out[0]["records"]] == ["Tokyo"]
        dates = [r for r in out[1]["records"] if r["label"] == "Date"]
        assert dates[0]["fields"]["value"] == "2023-05-03"
        assert list(out[0]) == ["v", "id", "records"] and list(out[2]) == ["v", "id", "error"]


def test_extract_many_streams_lazily(news):
    seen = []

    def gen():
        for i in range(1000):
            seen.append(i)
            yield f"Talks in Tokyo, number {i}."

    it = news.extract_many(gen(), threads=2)
    first = next(it)
    assert first["id"] == "0"
    assert len(seen) < 1000  # a bounded number of documents in flight, not the whole input
    rest = list(it)
    assert [o["id"] for o in rest] == [str(i) for i in range(1, 1000)]


def test_extract_many_matches_extract(news):
    texts = [p for p in SEED.read_text().split("\n\n") if p.strip()]
    many = list(news.extract_many(texts, threads=2, anchor_date="2023-05-01"))
    for text, got in zip(texts, many):
        one = news.extract(text, anchor_date="2023-05-01")
        assert got["records"] == [{k: v for k, v in r.items() if k not in ("v", "doc")} for r in one]


def test_threads_share_one_rules_object(news, seed_text):
    want = news.extract(seed_text, anchor_date="2023-05-01")
    results = []

    def work():
        results.append(news.extract(seed_text, anchor_date="2023-05-01"))

    ts = [threading.Thread(target=work) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(r == want for r in results)


def cli_records(trawl_bin, *args):
    out = subprocess.run([trawl_bin, "extract", *args], capture_output=True, check=True, cwd=ROOT)
    return [json.loads(line) for line in out.stdout.decode().splitlines()]


def test_same_records_as_the_cli_on_the_seed(news, trawl_bin, seed_text):
    want = cli_records(trawl_bin, "--anchor-date", "2023-05-01", "tests/corpus/japan-france-talks.txt")
    got = news.extract(seed_text, anchor_date="2023-05-01", doc="tests/corpus/japan-france-talks.txt")
    assert len(got) > 50
    assert got == want


def test_same_records_as_the_cli_on_the_dev_documents(news, trawl_bin):
    if not DEV_DOCS.is_dir():
        pytest.skip("../shared/corpus/dev is not here (a user's clone)")
    want = {}
    for r in cli_records(trawl_bin, "--anchor-date", "2020-01-01", str(DEV_DOCS)):
        want.setdefault(r["doc"], []).append(r)
    docs = sorted(DEV_DOCS.glob("*.txt"))
    assert len(docs) == 101
    for path in docs:
        got = news.extract(path.read_text(encoding="utf-8-sig"), anchor_date="2020-01-01", doc=str(path))
        assert got == want.get(str(path), []), path.name


def test_help_and_repr(news):
    assert "extract" in trawl.Rules.extract.__doc__
    assert "bundled:news" in repr(news)
    assert trawl.__doc__ and "extract_many" in trawl.__doc__


def test_rules_pickle_and_work_in_other_processes(tmp_path, seed_text):
    import concurrent.futures
    import multiprocessing
    import pickle

    (tmp_path / "p.trawl").write_text('rule r {\n  match  "Tokyo"\n  emit   City\n}\n')
    made = [trawl.Rules.bundled("news/dates"), trawl.Rules.from_source("s.trawl", PEOPLE),
            trawl.Rules.from_paths([tmp_path])]
    text = "President Emmanuel Macron met them in Tokyo on 3 May 2023."
    for rules in made:
        again = pickle.loads(pickle.dumps(rules))
        assert again.extract(text) == rules.extract(text) and again.extract(text)
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=ctx) as pool:
        got = list(pool.map(made[2].extract, [text, seed_text]))
    assert got == [made[2].extract(text), made[2].extract(seed_text)]


def test_documents_may_be_any_mapping(news):
    import types

    doc = types.MappingProxyType({"id": "m", "text": "Talks in Tokyo."})
    [out] = news.extract_many([doc])
    assert out["id"] == "m" and [r["text"] for r in out["records"]] == ["Tokyo"]


def test_extract_many_as_json_lines_is_filter_mode_byte_for_byte(news, trawl_bin, seed_text, tmp_path):
    docs = [{"id": f"p{i}", "text": p} for i, p in enumerate(seed_text.split("\n\n"))]
    docs += [{"id": "bad"}, {"id": "late", "text": "On May 3 in Paris.", "date": "2023-05-01"}]
    if DEV_DOCS.is_dir():
        docs += [{"id": p.name, "text": p.read_text(encoding="utf-8-sig")} for p in sorted(DEV_DOCS.glob("*.txt"))]
    src = tmp_path / "docs.jsonl"
    src.write_text("".join(json.dumps(d) + "\n" for d in docs))
    out = subprocess.run([trawl_bin, "extract", "--input-format", "jsonl", "--per-document",
                          "--anchor-date", "2023-05-01", str(src)], capture_output=True, check=True)
    want = out.stdout.decode().splitlines()
    for threads in (1, 2):
        got = list(news.extract_many(docs, threads=threads, anchor_date="2023-05-01", format="json"))
        assert got == want
    dicts = list(news.extract_many(docs, anchor_date="2023-05-01"))
    assert [json.loads(line) for line in want] == dicts
    with pytest.raises(ValueError, match="format"):
        news.extract_many(docs, format="xml")
