"""Streaming JSON readers shared by the JSON parsers (OpenAlex works, arXiv JSON lines): a JSON array or
JSON lines, optionally gzip-compressed, read chunk by chunk with line numbers for error messages."""

from __future__ import annotations

import codecs
import gzip
import io
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, TextIO

from mining.errors import HINT_ENCODING, InputError, Location
from mining.ingest.base import HEAD_BYTES, open_text

_WS = re.compile(r"[ \t\r\n]*")



def open_maybe_gzip(path: Path) -> TextIO:
    """Open a UTF-8 text file, transparently decompressing ``*.gz``."""
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", errors="strict")
    return open_text(path)


@contextmanager
def compressed_input_errors(path: Path) -> Iterator[None]:
    """Turn a broken gzip stream, or (for ``*.gz``) text that is not UTF-8, into a located InputError.

    Plain files need no help: :func:`mining.ingest.iter_file` locates their decoding errors itself,
    but it would look for the bad byte in the compressed bytes of a ``.gz``.
    """
    try:
        yield
    except (gzip.BadGzipFile, EOFError) as exc:
        raise InputError(Location(path), f"not a readable gzip file: {exc}", "decompress it or export it again") from None
    except UnicodeDecodeError:
        if not path.name.endswith(".gz"):
            raise
        raise _locate_gzip_decode_error(path) from None


def _locate_gzip_decode_error(path: Path) -> InputError:
    line = 1
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    with gzip.open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                line += chunk.count(b"\n", 0, exc.start)
                return InputError(
                    Location(path, line=line),
                    f"not valid UTF-8 once decompressed ({chunk[exc.start : exc.start + 4]!r}); the file may be Latin-1",
                    HINT_ENCODING,
                )
            line += chunk.count(b"\n")
    return InputError(Location(path), "not valid UTF-8 once decompressed", HINT_ENCODING)


def text_head(path: Path, head: str) -> str:
    """The decoded head for sniffing, decompressed first for ``*.gz`` ('' when it is not gzip)."""
    if not path.name.endswith(".gz"):
        return head
    try:
        with gzip.open(path, "rb") as handle:
            raw = handle.read(HEAD_BYTES)
    except (OSError, EOFError):
        return ""
    return raw.decode("utf-8-sig", errors="replace")


@dataclass
class JsonItem:
    """One top-level JSON value: the value, the 1-based line where it starts, and whether it was in an array."""

    value: Any
    line: int
    in_array: bool


@dataclass
class JsonProblem:
    """A syntax error at ``line``; ``fatal`` when the rest of the file cannot be read (inside an array)."""

    line: int
    message: str
    fatal: bool


def iter_json(handle: TextIO, chunk_size: int = 1 << 16) -> Iterator[JsonItem | JsonProblem]:
    """Stream the top-level values of a JSON array file or a JSON-lines file.

    A file whose first non-blank character is ``[`` is an array: its elements are decoded one at a
    time from a growing buffer, so memory follows the largest element, not the file. Anything else
    is read as JSON lines, where a bad line is reported and the next one read.
    """
    first = handle.read(chunk_size)
    while first and not first.strip():  # leading blank space longer than a chunk
        more = handle.read(chunk_size)
        if not more:
            break
        first += more
    match = _WS.match(first)
    start = match.end() if match else 0
    if start < len(first) and first[start] == "[":
        yield from _iter_array(handle, first, chunk_size)
    else:
        yield from _iter_lines(handle, first, chunk_size)


def _iter_lines(handle: TextIO, first: str, chunk_size: int = 1 << 16) -> Iterator[JsonItem | JsonProblem]:
    def lines() -> Iterator[str]:
        pending = ""
        text = first
        while text:
            pending += text
            *complete, pending = pending.split("\n")
            yield from complete
            text = handle.read(chunk_size)
        if pending:
            yield pending

    for line_no, line in enumerate(lines(), start=1):
        text = line.strip()
        if not text:
            continue
        try:
            yield JsonItem(json.loads(text), line_no, False)
        except json.JSONDecodeError as exc:
            yield JsonProblem(line_no, f"not valid JSON: {exc.msg} (column {exc.colno})", False)


def _iter_array(handle: TextIO, first: str, chunk_size: int) -> Iterator[JsonItem | JsonProblem]:
    decoder = json.JSONDecoder()
    buf = first
    pos = 0
    line = 1
    eof = False

    def more() -> bool:
        nonlocal buf, pos, eof
        if eof:
            return False
        chunk = handle.read(max(chunk_size, len(buf) - pos))
        if not chunk:
            eof = True
            return False
        buf = buf[pos:] + chunk  # positions restart at the current one
        pos = 0
        return True

    def skip_ws() -> None:
        nonlocal pos, line
        while True:
            end = _WS.match(buf, pos).end()  # type: ignore[union-attr]
            line += buf.count("\n", pos, end)
            pos = end
            if pos < len(buf) or not more():
                return

    skip_ws()
    pos += 1  # the "[" iter_json saw
    count = 0
    while True:
        skip_ws()
        if pos >= len(buf):
            yield JsonProblem(line, "unexpected end of file: the JSON array is not closed (truncated file?)", True)
            return
        if buf[pos] == "]":
            pos += 1
            skip_ws()
            if pos < len(buf):
                yield JsonProblem(line, "unexpected text after the end of the JSON array", True)
            return
        if count:
            if buf[pos] != ",":
                yield JsonProblem(line, f"expected ',' or ']' between works, found {buf[pos]!r}", True)
                return
            pos += 1
            skip_ws()
        while True:
            try:
                value, end = decoder.raw_decode(buf, pos)
            except json.JSONDecodeError as exc:
                if more():
                    continue
                yield JsonProblem(line + buf.count("\n", pos, exc.pos), f"not valid JSON: {exc.msg}", True)
                return
            if len(buf) - end < 64 and more():
                continue  # a number or literal cut at the end of the buffer may go on in the next chunk
            break
        start_line = line
        line += buf.count("\n", pos, end)
        pos = end
        count += 1
        yield JsonItem(value, start_line, True)
