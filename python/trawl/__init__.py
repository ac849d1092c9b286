"""trawl: rule-based information extraction.

Rule files written in trawl's rule language are compiled once into an immutable program and
applied to text; every record is a dict with the same keys as a line of ``trawl extract``:
``v``, ``doc``, ``label``, ``start``, ``end`` (offsets in characters, i.e. ``str`` indices),
``text``, ``fields``, ``rule``, ``source`` and ``captures``.

>>> import trawl
>>> rules = trawl.Rules.from_source("people.trawl", '''
...   lexicon Title = ["President", "Prime Minister"]
...   rule person_with_title {
...     match  title:Title name:(cap cap?)
...     emit   Person { name, title }
...   }
... ''')
>>> [(r["label"], r["text"]) for r in rules.extract("Talks with Prime Minister Fumio Kishida began.")]
[('Person', 'Prime Minister Fumio Kishida')]

``Rules.bundled("news")`` is the bundled news pack (people, places, organisations, dates, money,
events); ``Rules.extract_many(docs, threads=N)`` streams over many documents; the spaCy pipeline
component is ``nlp.add_pipe("trawl")`` (``pip install trawl[spacy]``). The rule language is
described in docs/LANGUAGE.md of the project.
"""

from ._trawl import (
    ExtractionError,
    Rules,
    RuleError,
    __version__,
    bundled_packs,
    schema_version,
)

__all__ = [
    "ExtractionError",
    "Rules",
    "RuleError",
    "__version__",
    "bundled_packs",
    "schema_version",
]
