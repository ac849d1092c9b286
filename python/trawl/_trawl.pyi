"""Type stubs of the extension module (python/src/lib.rs)."""

import datetime
import os
from typing import Any, Iterable, Iterator, Literal, Mapping, Optional, Sequence, TypedDict, Union, overload

__version__: str

class Span(TypedDict):
    text: str
    start: int
    end: int

class Record(TypedDict, total=False):
    v: int
    doc: str
    label: str
    internal: bool
    start: int
    end: int
    text: str
    fields: dict[str, Any]
    rule: str
    source: str
    captures: dict[str, Any]

class ErrorInfo(TypedDict):
    kind: str
    message: str

class DocumentResult(TypedDict, total=False):
    v: int
    id: str
    records: list[Record]
    error: ErrorInfo

class Diagnostic(TypedDict):
    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    severity: Literal["error", "warning"]
    message: str
    hints: list[str]

Document = Union[str, Mapping[str, Any]]
Date = Union[str, datetime.date, None]
Offsets = Literal["chars", "bytes"]

class RuleError(Exception):
    """Rule files that could not be loaded; ``str()`` is the rendered diagnostics."""

    diagnostics: list[Diagnostic]

class ExtractionError(Exception):
    """A document over a limit; ``kind`` is ``"timeout"`` or ``"too_large"``."""

    kind: str

class Rules:
    """A compiled rule set; immutable, shareable between threads."""

    @staticmethod
    def from_paths(paths: Sequence[Union[str, os.PathLike[str]]]) -> "Rules": ...
    @staticmethod
    def from_source(name: str, text: str) -> "Rules": ...
    @staticmethod
    def bundled(name: str = "news") -> "Rules": ...
    def extract(
        self,
        text: str,
        anchor_date: Date = None,
        offsets: Offsets = "chars",
        doc: str = "-",
        internal: bool = False,
        timeout: Optional[float] = None,
    ) -> list[Record]: ...
    @overload
    def extract_many(
        self,
        docs: Iterable[Document],
        threads: int = 1,
        anchor_date: Date = None,
        offsets: Offsets = "chars",
        internal: bool = False,
        timeout: Optional[float] = None,
        format: Literal["dict"] = "dict",
    ) -> Iterator[DocumentResult]: ...
    @overload
    def extract_many(
        self,
        docs: Iterable[Document],
        threads: int = 1,
        anchor_date: Date = None,
        offsets: Offsets = "chars",
        internal: bool = False,
        timeout: Optional[float] = None,
        *,
        format: Literal["json"],
    ) -> Iterator[str]: ...
    def test(self) -> dict[str, Any]: ...
    @property
    def labels(self) -> list[str]: ...
    @property
    def warnings(self) -> list[str]: ...

def bundled_packs() -> list[str]: ...
def schema_version() -> int: ...
