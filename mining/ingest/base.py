"""What every parser shares: the parser interface, the registry, bad-record handling and file reading.

A parser is a class with a format ``name``, a ``sniff`` test on the head of a file and a ``records``
generator yielding schema rows (see :mod:`mining.schema`). Parsers stream: they never hold a whole
file, so memory stays flat in file size. Problems go through :class:`BadRecords`, which raises a
located :class:`~mining.errors.InputError` unless the user asked to ``--skip-bad``.
"""

from __future__ import annotations

import codecs
import csv
import logging
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterator, TextIO

from mining.errors import HINT_ENCODING, HINT_SKIP_BAD, InputError, Location

log = logging.getLogger(__name__)

#: How much of a file the format sniffers see.
HEAD_BYTES = 64 * 1024

Row = dict[str, Any]


@dataclass
class BadRecord:
    location: Location
    problem: str
    hint: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {**self.location.as_dict(), "problem": self.problem, "hint": self.hint}


@dataclass
class BadRecords:
    """Collects problems found while parsing one file.

    With ``skip_bad`` false (the default) the first problem raises :class:`InputError`; with it true the
    problem is recorded, the parser drops that record and goes on, and the list ends up in the ingest report.
    Warnings never stop parsing (a value that could not be read, such as a non-numeric citation count).
    """

    skip_bad: bool = False
    bad: list[BadRecord] = field(default_factory=list)
    warnings: list[BadRecord] = field(default_factory=list)

    def fail(self, location: Location, problem: str, hint: str = HINT_SKIP_BAD) -> None:
        """Report a record that cannot be read. Raises unless skipping; the caller then drops the record."""
        if not self.skip_bad:
            raise InputError(location, problem, hint)
        self.bad.append(BadRecord(location, problem, hint))
        log.warning("skipped bad record: %s: %s", location, problem)

    def warn(self, location: Location, problem: str) -> None:
        """Report a value that was dropped (the record itself is kept)."""
        self.warnings.append(BadRecord(location, problem))


class Parser(ABC):
    """One input format. Subclasses set the class attributes and implement ``sniff`` and ``records``."""

    #: Format name used by ``--format`` and in ``source_format``.
    name: ClassVar[str]
    #: Value of the ``source`` column.
    source: ClassVar[str]
    #: ``'paper'`` or ``'patent'``.
    kind: ClassVar[str]
    #: One line for ``mining formats``.
    description: ClassVar[str]
    #: Sniffers are tried in descending priority (specific formats before generic ones).
    priority: ClassVar[int] = 0

    @classmethod
    @abstractmethod
    def sniff(cls, path: Path, head: str) -> bool:
        """True when the decoded first :data:`HEAD_BYTES` of the file look like this format."""

    @abstractmethod
    def records(self, path: Path, bad: BadRecords) -> Iterator[Row]:
        """Yield one schema row per record, in file order. Must stream (never read the whole file)."""


_REGISTRY: dict[str, type[Parser]] = {}


def register(cls: type[Parser]) -> type[Parser]:
    """Class decorator adding a parser to the registry under its ``name``."""
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"two parsers are named {cls.name!r}: {_REGISTRY[cls.name]} and {cls}")
    _REGISTRY[cls.name] = cls
    return cls


def registry() -> dict[str, type[Parser]]:
    """Every known parser by format name (imports the format modules on first use)."""
    from mining.ingest import formats  # noqa: F401  (importing registers the parsers)

    return dict(_REGISTRY)


# ----------------------------------------------------------------------------------------------
# Reading text


def open_text(path: Path, newline: str | None = None) -> TextIO:
    """Open a text export: UTF-8 with or without BOM, strict (a wrong encoding is an error, not mojibake)."""
    return open(path, "r", encoding="utf-8-sig", errors="strict", newline=newline)


def read_head(path: Path) -> str:
    """The decoded head of a file for sniffing (lenient: sniffing must not fail on a cut multibyte char)."""
    with open(path, "rb") as handle:
        raw = handle.read(HEAD_BYTES)
    return raw.decode("utf-8-sig", errors="replace")


def locate_decode_error(path: Path) -> InputError:
    """Build the error for a file that is not valid UTF-8, naming the line and byte of the first bad byte."""
    line = 1
    offset = 0
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                line += chunk.count(b"\n", 0, exc.start)
                bad = chunk[exc.start : exc.start + 4]
                return InputError(
                    Location(path, line=line),
                    f"not valid UTF-8 (byte {offset + exc.start}: {bad!r}); the file may be Latin-1/Windows-1252",
                    HINT_ENCODING,
                )
            line += chunk.count(b"\n")
            offset += len(chunk)
    return InputError(Location(path), "not valid UTF-8", HINT_ENCODING)


def split_multi(value: str | None, sep: str) -> list[str]:
    """Split a multi-valued cell on ``sep``, stripping blanks; ``None``/'' -> []."""
    if not value:
        return []
    return [part.strip() for part in value.split(sep) if part.strip()]


def to_int(value: str | None, bad: BadRecords, location: Location) -> int | None:
    """Parse an integer cell; a non-number becomes None with a warning (the record is kept)."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        return int(float(text)) if "." in text else int(text)
    except ValueError:
        bad.warn(location, f"not a number: {text[:40]!r}")
        return None


def csv_rows(
    path: Path,
    bad: BadRecords,
    *,
    delimiter: str = ",",
    quoting: int = csv.QUOTE_MINIMAL,
    required: tuple[str, ...] = (),
    layout_name: str = "CSV",
    preamble: Callable[[list[str]], bool] | None = None,
    realign: Callable[[list[str], list[str]], list[str] | None] | None = None,
) -> Iterator[tuple[int, int, dict[str, str]]]:
    """Stream a delimited export as ``(record_no, line_no, {header: cell})``.

    Handles a UTF-8 BOM, CRLF, quoted cells with newlines and a trailing empty column. A row with more
    cells than headers keeps the first ``len(header)`` cells when the extra ones are empty, and is a bad
    record otherwise (the fields would be shifted). A missing required header is an error for the file.
    ``preamble``: a test on the first row; when true that row is skipped and the next one is the header
    (Google Patents writes ``search URL:,...`` above its header). Line numbers always count every line.
    ``realign``: called with (header, cells) for a row with extra non-empty cells; returns the cells
    fixed to the header's width (the row is kept, with a warning) or None (a bad record).
    """
    csv.field_size_limit(sys.maxsize)
    with open_text(path, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter, quoting=quoting)
        try:
            header = next(reader)
        except StopIteration:
            raise InputError(Location(path, line=1), "the file is empty", "export the records again") from None
        if preamble is not None and preamble(header):
            header = next(reader, [])
            if not header:
                raise InputError(Location(path, line=reader.line_num + 1), "no header after the first line", "export the records again")
        header_line = reader.line_num
        header = [h.strip() for h in header]
        while header and header[-1] == "":
            header.pop()  # trailing delimiter on the header line (WoS 2017 tab files)
        missing = [name for name in required if name not in header]
        if missing:
            raise InputError(
                Location(path, line=header_line, field=", ".join(missing)),
                f"header is not a known {layout_name} layout: missing column(s) {missing}",
                "name the format with --format, or re-export with all fields",
            )
        width = len(header)
        record_no = 0
        line_no = reader.line_num + 1
        for cells in reader:
            start = line_no
            line_no = reader.line_num + 1
            if not cells or all(not c.strip() for c in cells):
                continue
            record_no += 1
            if len(cells) > width:
                if any(c.strip() for c in cells[width:]):
                    location = Location(path, line=start, record=record_no, field=f"column {width + 1}")
                    fixed = realign(header, cells) if realign is not None else None
                    if fixed is None:
                        bad.fail(location, f"row has {len(cells)} cells but the header has {width}: fields would be shifted")
                        continue
                    bad.warn(location, f"row has {len(cells) - width} more cell(s) than the header; realigned")
                    cells = fixed
                else:
                    cells = cells[:width]
            elif len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            yield record_no, start, dict(zip(header, cells))


def iter_lines(path: Path) -> Iterator[tuple[int, str]]:
    """``(line_no, line)`` without line endings, UTF-8 with optional BOM."""
    with open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            yield number, line.rstrip("\r\n")

