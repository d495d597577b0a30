"""The catalogue of user-facing errors: each says where (file, line, record, field), what, and what to do."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class MiningError(Exception):
    """Base class of every error the tool reports to a user (the CLI prints it without a traceback)."""


@dataclass
class Location:
    """Where in an input something went wrong. Every part is optional; whatever is known is reported."""

    file: Path | str | None = None
    line: int | None = None
    record: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        parts = [str(self.file) if self.file else "<input>"]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.record is not None:
            parts.append(f"record {self.record}")
        if self.field:
            parts.append(f"field {self.field}")
        return ", ".join(parts)

    def as_dict(self) -> dict[str, object]:
        return {"file": str(self.file) if self.file else None, "line": self.line, "record": self.record, "field": self.field}


class InputError(MiningError):
    """A problem with an input file: malformed, truncated, wrong encoding, unknown layout, empty."""

    def __init__(self, location: Location, problem: str, hint: str = "") -> None:
        self.location = location
        self.problem = problem
        self.hint = hint
        message = f"{location}: {problem}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class UnknownFormatError(InputError):
    """No parser recognises the file."""


class StoreError(MiningError):
    """The workspace is missing, locked or inconsistent."""


# Hints reused by several parsers, so the advice is the same everywhere.
HINT_SKIP_BAD = "fix the record, re-export it, or pass --skip-bad to skip bad records and list them in a report"
HINT_ENCODING = "re-export the file as UTF-8 (Web of Science: 'UTF-8' option; Scopus: CSV is UTF-8 by default)"
HINT_FORMAT = "name the format with --format (see `mining formats`), or check that this is an unmodified export"
