"""The README's Python snippets run as written, and print what the README says."""

import contextlib
import io
import re

import pytest

from conftest import ROOT


def python_section():
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    return section, re.findall(r"```python\n(.*?)```", section, re.S)


def run(code, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    return out.getvalue()


def test_first_three_lines(monkeypatch):
    _, blocks = python_section()
    run(blocks[0], monkeypatch)


def test_spacy_tutorial_prints_what_the_readme_says(monkeypatch):
    pytest.importorskip("spacy")
    section, blocks = python_section()
    assert len(blocks[1].strip().splitlines()) == 5
    printed = run(blocks[1], monkeypatch).strip()
    claimed = re.search(r"prints `(.*?)`", section, re.S).group(1)
    assert printed == " ".join(claimed.split())
