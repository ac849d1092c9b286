"""The spaCy component: spans, ents, existing entities, nlp.pipe with processes, to_disk/load."""

import pytest

spacy = pytest.importorskip("spacy")

import trawl  # noqa: E402
from conftest import SEED  # noqa: E402

ENTS = ["Person", "Place", "Organization", "Date", "Money"]
TEXT = "French President Emmanuel Macron met Fumio Kishida in Tokyo on 3 May 2023."


def blank_with_trawl(**config):
    nlp = spacy.blank("en")
    nlp.add_pipe("trawl", config=config)
    return nlp


def test_found_through_the_entry_point_and_writes_spans_and_ents():
    nlp = blank_with_trawl(labels=ENTS)
    doc = nlp(TEXT)
    spans = doc.spans["trawl"]
    records = trawl.Rules.bundled("news").extract(TEXT)
    assert [(s.start_char, s.end_char, s.label_) for s in spans] == [
        (r["start"], r["end"], r["label"]) for r in records
    ]
    person = next(s for s in spans if s.text == "Emmanuel Macron" or s.label_ == "Person")
    assert person._.trawl["rule"].startswith("person")
    assert person._.trawl["source"].startswith("rules/news/people/")
    assert "name" in person._.trawl["fields"]
    assert nlp.pipe_labels["trawl"] == trawl.Rules.bundled("news").labels
    # Every label when none are named: the meeting covers the clause.
    assert [e.label_ for e in blank_with_trawl()(TEXT).ents] == ["Meeting", "Date"]
    ents = [(e.text, e.label_) for e in doc.ents]
    assert ("Tokyo", "Place") in ents and ("3 May 2023", "Date") in ents
    # doc.ents never overlap
    toks = [t for e in doc.ents for t in range(e.start, e.end)]
    assert len(toks) == len(set(toks))


def test_labels_and_spans_key():
    nlp = blank_with_trawl(labels=["Place"], spans_key="found")
    doc = nlp(TEXT)
    assert {e.label_ for e in doc.ents} == {"Place"}
    assert "found" in doc.spans and len(doc.spans["found"]) > len(doc.ents)


def test_existing_entities_are_kept_unless_overwrite_ents():
    for overwrite, want in ((False, "CITY"), (True, "Place")):
        nlp = spacy.blank("en")
        ruler = nlp.add_pipe("entity_ruler")
        ruler.add_patterns([{"label": "CITY", "pattern": "Tokyo"}])
        nlp.add_pipe("trawl", config={"overwrite_ents": overwrite, "labels": ENTS})
        doc = nlp(TEXT)
        assert [e.label_ for e in doc.ents if e.text == "Tokyo"] == [want]


def test_spans_that_do_not_fall_on_token_boundaries_expand():
    nlp = blank_with_trawl(rules="bundled:news/places")
    doc = nlp("Talks in Tokyo-based firms.")
    [s] = [s for s in doc.spans["trawl"] if "Tokyo" in s.text]
    assert s.start_char <= doc.text.index("Tokyo") and s.end_char >= doc.text.index("Tokyo") + 5


def test_rules_from_a_folder_travel_with_the_pipeline(tmp_path):
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "names.tsv").write_text("Kishida\n")
    (pack / "p.trawl").write_text('lexicon Name = file "names.tsv"\nrule pm {\n  match  n:Name\n  emit   PM\n}\n')
    nlp = blank_with_trawl(rules=str(pack))
    assert [e.label_ for e in nlp(TEXT).ents] == ["PM"]
    nlp.to_disk(tmp_path / "pipeline")
    (pack / "p.trawl").unlink()
    (pack / "names.tsv").unlink()
    loaded = spacy.load(tmp_path / "pipeline")
    assert [e.text for e in loaded(TEXT).ents] == ["Kishida"]


def test_pipe_with_threads_and_processes():
    nlp = blank_with_trawl(threads=2, labels=ENTS)
    texts = [TEXT, "No names here.", SEED.read_text()] * 5
    want = [[(e.start_char, e.label_) for e in nlp(t).ents] for t in texts]
    got = [[(e.start_char, e.label_) for e in d.ents] for d in nlp.pipe(texts, batch_size=4)]
    assert got == want
    got2 = [[(e.start_char, e.label_) for e in d.ents] for d in nlp.pipe(texts, n_process=2, batch_size=4)]
    assert got2 == want


def test_a_broken_rule_file_raises_rule_error(tmp_path):
    bad = tmp_path / "bad.trawl"
    bad.write_text("rule r {\n  match  Nope\n  emit   X\n}\n")
    nlp = blank_with_trawl(rules=str(bad))
    with pytest.raises(trawl.RuleError) as e:
        nlp("text")
    assert e.value.diagnostics[0]["line"] == 2
