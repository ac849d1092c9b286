"""trawl as a spaCy pipeline component: ``nlp.add_pipe("trawl", config={...})``.

In: a ``Doc`` (any tokenizer; the component reads ``doc.text``). Out: the same ``Doc`` with every
record of the rules in ``doc.spans[spans_key]`` (aligned to spaCy's tokens with
``char_span(alignment_mode="expand")``), each span's ``._.trawl`` holding the record's
``fields``, ``rule``, ``source`` and ``captures``; and, when ``ents`` is set, the records of
``labels`` that do not overlap one another (the longest first, as ``spacy.util.filter_spans``)
added to ``doc.ents``. Entities already there are kept unless ``overwrite_ents``, as
EntityRuler's option of that name does.

Config:

- ``rules``: ``"bundled:news"`` (or any bundled pack, ``"bundled:news/dates"``), or a rule file or
  folder on disk, or a list of them. ``nlp.to_disk`` copies rule files into the pipeline, so
  ``spacy.load`` needs nothing else.
- ``spans_key`` (``"trawl"``), ``ents`` (``True``), ``labels`` (the labels that go to ``doc.ents``;
  ``None``: every label — with the news pack that includes events such as ``Meeting``, which
  cover whole clauses, so name the entity labels you want),
  ``overwrite_ents`` (``False``), ``anchor_date`` (``None`` or ``"YYYY-MM-DD"``: relative dates),
  ``threads`` (``1``: worker threads used by ``nlp.pipe``).
"""

import json
import shutil
from pathlib import Path
from typing import Any, Iterable, Iterator, List, Optional, Union

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from . import RuleError, Rules

BUNDLED = "bundled:"

if not Span.has_extension("trawl"):
    Span.set_extension("trawl", default=None)


def _specs(rules: Union[str, List[str]]) -> List[str]:
    return [rules] if isinstance(rules, str) else list(rules)


def _load(specs: List[str]) -> Rules:
    if len(specs) == 1 and specs[0].startswith(BUNDLED):
        return Rules.bundled(specs[0][len(BUNDLED):])
    # Bundled packs by name beside files on disk: the loader finds `news/dates` when no such
    # path exists.
    return Rules.from_paths([s[len(BUNDLED):] if s.startswith(BUNDLED) else s for s in specs])


class TrawlComponent:
    """Adds trawl's records to ``doc.spans`` and ``doc.ents``."""

    def __init__(
        self,
        nlp: Language,
        name: str = "trawl",
        *,
        rules: Union[str, List[str]] = "bundled:news",
        spans_key: str = "trawl",
        ents: bool = True,
        labels: Optional[List[str]] = None,
        overwrite_ents: bool = False,
        anchor_date: Optional[str] = None,
        threads: int = 1,
    ) -> None:
        self.name = name
        self.specs = _specs(rules)
        self.spans_key = spans_key
        self.ents = ents
        self.ent_labels = None if labels is None else set(labels)
        self.overwrite_ents = overwrite_ents
        self.anchor_date = anchor_date
        self.threads = threads
        self._rules: Optional[Rules] = None
        self._error: Optional[RuleError] = None
        # `spacy.load` makes the component from the config (the rules' original paths, which
        # may have changed or be on another machine) and then reads the copy saved with the
        # pipeline (`from_disk`): an error here is raised when the rules are first used, unless
        # `from_disk` has replaced them by then.
        try:
            self._rules = _load(self.specs)
        except RuleError as e:
            self._error = e

    @property
    def rules(self) -> Rules:
        if self._rules is None:
            if self._error is not None:
                raise self._error
            self._rules = _load(self.specs)
        return self._rules

    @property
    def labels(self) -> tuple:
        """The labels the rules can write (spaCy's `nlp.pipe_labels`)."""
        return tuple(self._rules.labels) if self._rules is not None else ()

    def __call__(self, doc: Doc) -> Doc:
        return self._apply(doc, self.rules.extract(doc.text, anchor_date=self.anchor_date))

    def pipe(self, stream: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        # Documents in batches, each batch extracted by `threads` workers without the GIL.
        batch: List[Doc] = []
        for doc in stream:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from self._batch(batch)
                batch = []
        yield from self._batch(batch)

    def _batch(self, docs: List[Doc]) -> Iterator[Doc]:
        if not docs:
            return
        results = self.rules.extract_many(
            (d.text for d in docs), threads=self.threads, anchor_date=self.anchor_date
        )
        for doc, result in zip(docs, results):
            if "error" in result:
                raise ValueError(f"trawl: {result['error']['kind']}: {result['error']['message']}")
            yield self._apply(doc, result["records"])

    def _apply(self, doc: Doc, records: List[dict]) -> Doc:
        spans = []
        for r in records:
            span = doc.char_span(r["start"], r["end"], label=r["label"], alignment_mode="expand")
            if span is None:
                continue
            span._.trawl = {k: r[k] for k in ("fields", "rule", "source", "captures")}
            spans.append(span)
        doc.spans[self.spans_key] = spans
        if self.ents:
            self._set_ents(doc, [s for s in spans if self.ent_labels is None or s.label_ in self.ent_labels])
        return doc

    def _set_ents(self, doc: Doc, spans: List[Span]) -> None:
        new = filter_spans(spans)
        if not new:
            return
        old = list(doc.ents)
        taken = set()
        for e in old:
            taken.update(range(e.start, e.end))
        if self.overwrite_ents:
            claimed = set()
            for s in new:
                claimed.update(range(s.start, s.end))
            kept = [e for e in old if not claimed.intersection(range(e.start, e.end))]
            doc.ents = sorted(kept + new, key=lambda s: s.start)
        else:
            added = [s for s in new if not taken.intersection(range(s.start, s.end))]
            doc.ents = sorted(old + added, key=lambda s: s.start)

    # Serialization: the rule files travel with the pipeline.

    def to_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        stored = []
        for i, spec in enumerate(self.specs):
            if spec.startswith(BUNDLED):
                stored.append(spec)
                continue
            src = Path(spec)
            dest = path / f"rules{i}" / src.name
            if dest.parent.exists():
                shutil.rmtree(dest.parent)
            dest.parent.mkdir(parents=True)
            if src.is_dir():
                shutil.copytree(src, dest)
            else:
                # A single file may read lexicon files beside it (`file "names.tsv"`,
                # `file "lexicons/x.tsv"`): the files next to it and a `lexicons` folder go too.
                for f in src.parent.iterdir():
                    if f.is_file() and f.suffix in (".trawl", ".tsv", ".txt", ".csv"):
                        shutil.copy2(f, dest.parent / f.name)
                if (src.parent / "lexicons").is_dir():
                    shutil.copytree(src.parent / "lexicons", dest.parent / "lexicons")
            stored.append(str(dest.relative_to(path)))
        (path / "trawl.json").write_text(json.dumps({"rules": stored}, indent=2) + "\n")

    def from_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = ()) -> "TrawlComponent":
        path = Path(path)
        stored = json.loads((path / "trawl.json").read_text())["rules"]
        self.specs = [s if s.startswith(BUNDLED) else str(path / s) for s in stored]
        self._rules = _load(self.specs)
        return self

    def __reduce__(self) -> Any:
        # For `nlp.pipe(n_process=N)` under the spawn start method: rebuilt from the config.
        return (_rebuild, (self.name, self.specs, self.spans_key, self.ents,
                           None if self.ent_labels is None else sorted(self.ent_labels),
                           self.overwrite_ents, self.anchor_date, self.threads))


def _rebuild(name, specs, spans_key, ents, labels, overwrite_ents, anchor_date, threads):
    return TrawlComponent(None, name, rules=specs, spans_key=spans_key, ents=ents, labels=labels,
                          overwrite_ents=overwrite_ents, anchor_date=anchor_date, threads=threads)


@Language.factory(
    "trawl",
    default_config={
        "rules": "bundled:news",
        "spans_key": "trawl",
        "ents": True,
        "labels": None,
        "overwrite_ents": False,
        "anchor_date": None,
        "threads": 1,
    },
)
def make_trawl(
    nlp: Language,
    name: str,
    rules: Union[str, List[str]],
    spans_key: str,
    ents: bool,
    labels: Optional[List[str]],
    overwrite_ents: bool,
    anchor_date: Optional[str],
    threads: int,
) -> TrawlComponent:
    """The ``trawl`` factory (spaCy finds it through the ``spacy_factories`` entry point)."""
    return TrawlComponent(nlp, name, rules=rules, spans_key=spans_key, ents=ents, labels=labels,
                          overwrite_ents=overwrite_ents, anchor_date=anchor_date, threads=threads)
