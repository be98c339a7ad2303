"""Bad input, reported record by record: what was wrong, where, and what was kept.

Lives here: `RecordProblem` (one bad record: line, record id, field, message), `ImportResult`
(the good records plus the problems of one import) and `CrossingsError`. Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


class CrossingsError(ValueError):
    """A whole input could not be used (unreadable file, unknown encoding, missing columns)."""


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """One rejected record: its line number in the source (1-based), its id, the field and why."""

    line: int
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: record {self.record!r}: field {self.field!r}: {self.message}"


class RecordError(ValueError):
    """Raised while parsing one record; the importer turns it into a `RecordProblem`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(slots=True)
class ImportResult(Generic[T]):
    """What an import kept and what it rejected; the good records never depend on the bad ones."""

    records: list[T] = field(default_factory=list)
    problems: list[RecordProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems
