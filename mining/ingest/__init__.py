"""Ingest: read export files of any known format into schema rows.

Library use::

    from mining.ingest import read_file
    frame = read_file("savedrecs.txt")          # format auto-detected, a pandas DataFrame in the record schema
    frame = read_file("x.csv", fmt="scopus_csv", skip_bad=True)

Storing into a workspace (dedup-safe, atomic) is :func:`mining.ingest.runner.ingest_paths`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pandas as pd

from mining.errors import HINT_FORMAT, InputError, Location, UnknownFormatError
from mining.ingest.base import BadRecords, Parser, Row, locate_decode_error, read_head, registry
from mining.schema import to_frame, to_table

__all__ = ["detect_format", "get_parser", "iter_file", "read_file", "BadRecords"]


def get_parser(fmt: str) -> Parser:
    """The parser registered under ``fmt``; a clear error listing the known formats otherwise."""
    parsers = registry()
    if fmt not in parsers:
        raise UnknownFormatError(Location(None), f"unknown format {fmt!r}", f"known formats: {', '.join(sorted(parsers))}")
    return parsers[fmt]()


def detect_format(path: Path | str) -> str:
    """Name of the format of ``path``, from its head. Raises a located error for empty or unknown files."""
    path = Path(path)
    if not path.exists():
        raise InputError(Location(path), "no such file", "check the path")
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(Location(path, line=1), "the file is empty", "export the records again")
    head = read_head(path) if path.is_file() else ""
    candidates = sorted(registry().values(), key=lambda cls: -cls.priority)
    for cls in candidates:
        if cls.sniff(path, head):
            return cls.name
    first = head.splitlines()[0][:120] if head.strip() else ""
    raise UnknownFormatError(Location(path, line=1), f"not a known export format (first line: {first!r})", HINT_FORMAT)


def iter_file(path: Path | str, fmt: str | None = None, bad: BadRecords | None = None) -> Iterator[Row]:
    """Stream schema rows from one file (``fmt`` auto-detected when None)."""
    path = Path(path)
    parser = get_parser(fmt or detect_format(path))
    try:
        yield from parser.records(path, bad if bad is not None else BadRecords())
    except UnicodeDecodeError:
        raise locate_decode_error(path) from None


def read_file(path: Path | str, fmt: str | None = None, skip_bad: bool = False) -> pd.DataFrame:
    """Parse a whole file into a DataFrame in the record schema (for files that fit in memory)."""
    bad = BadRecords(skip_bad=skip_bad)
    return to_frame(to_table(iter_file(path, fmt, bad)))
