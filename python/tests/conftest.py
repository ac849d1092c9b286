"""Shared fixtures: the project's root, the sample article, the CLI binary to compare with."""

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "corpus" / "japan-france-talks.txt"
DEV_DOCS = ROOT.parent / "shared" / "corpus" / "dev" / "docs"


def cli_binary():
    """The `trawl` binary: $TRAWL_BIN (the Rust test harness sets it), else a built one."""
    given = os.environ.get("TRAWL_BIN")
    if given:
        return given
    for profile in ("release", "debug"):
        p = ROOT / "target" / profile / "trawl"
        if p.exists():
            return str(p)
    return shutil.which("trawl")


@pytest.fixture(scope="session")
def trawl_bin():
    b = cli_binary()
    if b is None:
        pytest.skip("no trawl binary to compare with (set TRAWL_BIN or cargo build)")
    return b


@pytest.fixture(scope="session")
def news():
    import trawl

    return trawl.Rules.bundled("news")


@pytest.fixture(scope="session")
def seed_text():
    return SEED.read_text(encoding="utf-8")
