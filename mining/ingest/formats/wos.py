"""Web of Science exports: tagged plain text (``wos_plaintext``) and tab-delimited (``wos_tab``).

Plain text
----------
A file is ``FN``/``VR`` header lines, then records from ``PT`` to ``ER``, then ``EF``. Each line starts
with a two-character tag (``[A-Z][A-Z0-9]``, then a space or the end of the line) or, continuing the
previous tag, three spaces. :func:`iter_tagged` reads that syntax (Derwent Innovations Index exports use
it too, see :mod:`mining.ingest.formats.derwent`) into one ``{tag: text}`` dict per record, the lines of
a tag kept in its text separated by :data:`SEP`; it streams the file in blocks and does no per-line
Python work on well-formed records (see its docstring), which is what makes it fast.

How the lines of a tag become values is decided when the row is built: for the multi-valued tags
(AU, AF, C1) every line is one value (:func:`field_values`); for every other tag the lines are one text
joined with a space (:func:`field_text`; ``DE``, ``WC``... are joined first and then split on ``;``,
because WoS wraps them anywhere).

Both layouts are read the same way: the 2026 one (C1 as ``[Author; Author] address``) and the old one
(C1 in upper case, one address per line, no author groups).

What is an error (reported through :meth:`BadRecords.fail`, so ``--skip-bad`` drops the record and goes
on) and what is tolerated, and why:

* a line that is neither a tag line nor a three-space continuation (a lost tag, a wrapped line that lost
  its indentation, a wrong file): error, the record is dropped;
* a record not closed by ``ER`` before the next ``PT`` or the end of the file: error (truncated or
  hand-edited); a file without the final ``EF``: error naming the last line (the export was cut off; the
  records before it are complete and, when skipping, kept);
* a tag that occurs twice in one record: error, whatever its position. A tag *out of WoS order* alone is
  not an error: WoS has changed its field order between versions and tools re-order fields, so order
  carries no information we could rely on, while repetition always means damage (two records or two
  exports run together). So in metaknowledge's ``badFile.isi`` the stray ``CR`` line after ``NR`` is not
  reported by itself: it is the only CR of its record (the record's real CR line lost its tag), and
  that record is reported for the references it left inside C1;
* a C1 (address) line shaped like a cited reference (``Abraham M., 1909, RC CIRC MAT PALERMO, V28, P1``:
  a short name, then ``, YYYY,``): error. That is what a lost ``CR`` tag looks like — the references run
  on inside C1 and would become hundreds of fake affiliations;
* ``UT`` missing: error (it is the record's identity); ``PY`` present but not a four-digit year: error
  (a shifted or corrupt field); ``TC`` not a number, a ``DI`` that is not a DOI: warnings, value dropped;
* blank lines are ignored anywhere (WoS writes one after each ``ER``); an unknown but well-formed tag is
  kept and ignored (WoS adds tags over time: C3, WE, FP, ...).

Tab-delimited
-------------
One header line of tags, one record per line, UTF-8 with BOM and CRLF. Two layouts are known: 66 columns
(2017, a trailing tab on every row and unbalanced quotes, hence ``QUOTE_NONE``) and 71 columns (2026).
The cells are turned into the same ``{tag: text}`` mapping as the plain text (AU/AF split on ``;`` and
C1 on the semicolons that separate ``[group] address`` entries, not on those inside the brackets, their
values joined with :data:`SEP`) and go through the same :func:`build_wos_row`, so the field mapping
exists once.
"""

from __future__ import annotations

import csv
import datetime as _dt
import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Mapping

from mining.errors import InputError, Location
from mining.ingest.base import BadRecords, Parser, Row, csv_rows, locate_decode_error, open_text, register, to_int
from mining.schema import normalise_doc_type, normalise_doi, normalise_issn, record_id

log = logging.getLogger(__name__)

_TAG_SHAPE = re.compile(r"^[A-Z][A-Z0-9]$")
_MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}
# Seasons in PD ("SPR", "FAL", "WIN", "SUM") are not months: such dates stay at year level.

#: The author part of a cited reference: "Abraham M.", "ALLEN PJ", "Skobel'tsyn D. V.", "[ANONYMOUS]".
_CITED_NAME = re.compile(r"^(?:\[ANONYMOUS\]|[A-Z][A-Za-z'`\-]*(?: [A-Za-z'`\-]+\.?){0,4}\.?)$")


def looks_like_citation(entry: str) -> bool:
    """True for a cited reference where an address should be (a C1 line without an ``[author]`` group).

    A reference is ``Name, YYYY, SOURCE...`` (or ``YYYY, SOURCE`` without author); an address never has a
    bare four-digit year as its second comma-separated part right after a short personal name. Cheap
    string tests first: this runs on every old-layout address line.
    """
    k = entry.find(", ")
    if k < 0 or k > 60:
        return False
    if k == 4:
        year = entry[:4]
        if year.isdigit() and year[:2] in ("15", "16", "17", "18", "19", "20"):
            return True
    year = entry[k + 2 : k + 6]
    if not (year.isdigit() and entry[k + 6 : k + 8] in (", ", "") and year[:2] in ("15", "16", "17", "18", "19", "20")):
        return False
    return bool(_CITED_NAME.match(entry[:k]))


_C1_ENTRY_SPLIT = re.compile(r";\s*(?=\[)")


#: Separates the lines (or values) of one tag inside a field's text: a newline and the three spaces that
#: start a continuation line, so a plain-text field's text is exactly the file's text.
SEP = "\n   "

#: What may follow a tag: a space and the value, or nothing (the value, if any, is on continuation lines).
_TAG_ENDS = (" ", "")
#: Characters read per block; blocks are cut at line ends, so memory is bounded by this, not by the file.
BLOCK_CHARS = 1 << 20


@dataclass(slots=True)
class TaggedRecord:
    """One ``PT``..``ER`` record.

    ``fields`` maps each tag to its text as in the file, its lines separated by :data:`SEP` (so a one-line
    field is a plain string and nothing is split or joined until a row builder asks for it; the first
    line may be empty when the text starts on a continuation line).
    """

    record_no: int
    line_no: int
    fields: dict[str, str]
    #: Blank lines inside the record, by the tag they follow (almost always None): keeps line_of exact.
    blank_after: dict[str, int] | None = None

    def line_of(self, tag: str) -> int:
        """Line of the first line of ``tag`` (the record's line when the tag is absent)."""
        return _record_line_of(self.fields, tag, self.line_no, self.blank_after)


def _record_line_of(fields: dict[str, str], tag: str, line_no: int, blank_after: dict[str, int] | None) -> int:
    """Line of ``tag`` in a record starting at ``line_no``: every field before it, line by line."""
    line = line_no
    for name, value in fields.items():
        if name == tag:
            return line
        line += 1 + value.count(SEP)
        if blank_after:
            line += blank_after.get(name, 0)
    return line_no


# ----------------------------------------------------------------------------------------------
# The tag-stream reader (shared with Derwent)


def iter_tagged(
    path: Path, bad: BadRecords, *, layout: str = "Web of Science plain text", tab_continuations: bool = False
) -> Iterator[TaggedRecord]:
    """Stream the ``PT``..``ER`` records of a tagged file, checking the syntax (see the module docstring).

    Records with a syntax problem are reported through ``bad`` and not yielded.

    How it stays fast while streaming: the file is read in blocks of about :data:`BLOCK_CHARS` characters
    cut after an ``ER`` line. For each record, one regex ``findall`` turns its lines into ``(tag, text)``
    pairs (a field's continuation lines included in its text) and ``dict`` makes the record; two counts
    and two comparisons prove it well formed (keys plus continuation lines equal to all lines: no
    malformed line and no repeated tag; keys within the known tags). No Python code runs per line or per
    field. A record that fails a check goes through :meth:`_TagStream.feed`, line by line, which finds
    and reports the exact problem; the result is the same either way, only slower.

    ``tab_continuations`` also accepts continuation lines indented with a tab (Derwent writes the
    ``DS`` designated-states lines that way); WoS never does, so there such a line is an error.
    """
    stream = _TagStream(path, bad, tab_continuations)
    try:
        yield from stream.records()
    except UnicodeDecodeError:
        raise locate_decode_error(path) from None
    stream.finish(layout)


#: One field: a tag (then a space, or the end of the line), its text and its continuation lines.
_FIELD_LINE = re.compile(r"\n([A-Z][A-Z0-9])(?: |(?=\n)|$)([^\n]*(?:\n   [^\n]*)*)")


def _blocks(path: Path) -> Iterator[str]:
    """The file as blocks of whole lines (final newline removed), cut after an ER line where one is in reach.

    A block ends inside a record only when no ER line is found in 8 blocks' worth of text (a huge
    record, or not a tagged file): the slow path then carries the open record over to the next block.
    """
    tail = ""
    with open_text(path) as handle:
        while chunk := handle.read(BLOCK_CHARS):
            buf = tail + chunk if tail else chunk
            cut = buf.rfind("\nER\n")
            if cut >= 0:
                cut += 3  # after "ER"
            elif len(buf) > 8 * BLOCK_CHARS or buf.startswith("ER\n"):
                cut = buf.rfind("\n")
            if cut < 0:
                tail = buf
                continue
            tail = buf[cut + 1 :]
            yield buf[:cut]
    if tail:
        yield tail


def _fast_fields(text: str, start: int, stop: int, field_lines: Callable[[str, int, int], list[tuple[str, str]]]) -> dict[str, str]:
    """``{tag: text}`` of the record ``text[start:stop]`` (``start`` at the newline before its PT line).

    The cited references (``CR``: most of a record's bytes, one reference a line, and in WoS exports
    followed by ``NR``) are taken as one slice up to the ``NR`` line instead of being scanned by the
    regex. The caller's line check still covers the slice: any line in it that is not a continuation
    line (or a CR that repeats) makes the record fail and go to the slow path, so this changes the
    speed, never the result. Without CR or NR the whole record goes through the regex.
    """
    cr = text.find("\nCR ", start, stop)
    if cr < 0:
        return dict(field_lines(text, start, stop))
    nr = text.find("\nNR ", cr, stop)
    if nr < 0:
        return dict(field_lines(text, start, stop))
    fields = dict(field_lines(text, start, cr))
    fields["CR"] = text[cr + 4 : nr]  # replaces an earlier CR: the key count then shows the repetition
    fields.update(field_lines(text, nr, stop))
    return fields


class _TagStream:
    """State of one tagged file being read: the open record, counters, and what was seen."""

    def __init__(self, path: Path, bad: BadRecords, tab_continuations: bool = False) -> None:
        self.path = path
        self.bad = bad
        self.continuation_starts: tuple[str, ...] = ("   ", "\t") if tab_continuations else ("   ",)
        self.fields: dict[str, str] | None = None  # the open record (slow path), None between records
        self.blank_after: dict[str, int] | None = None
        self.cur_tag = ""  # tag a continuation line belongs to ("" outside any field)
        self.record_no = 0
        self.record_line = 0
        self.skipping = False  # inside a record already reported bad: ignore lines up to its ER / next PT
        self.ended = False  # EF seen (and nothing after it)
        self.seen_any = False
        self.unknown_tags: set[str] = set()
        self.last_line = 0  # last line with something on it: what a truncation message names

    def records(self) -> Iterator[TaggedRecord]:
        fast_tags = _FAST_TAGS
        field_lines = _FIELD_LINE.findall
        line = 1  # line number of the line starting at ``pos``
        for block in _blocks(self.path):
            # Framed by newlines, every line (the first included) starts after a "\n" and ends at one.
            text = "\n" + block + "\n"
            pos, end = 1, len(text)
            while pos < end:
                if self.fields is None and not self.skipping:
                    if text[pos] == "\n":  # a blank line between records
                        pos += 1
                        line += 1
                        continue
                    if text.startswith("PT ", pos):
                        stop = text.find("\nER\n", pos)
                        if stop > 0:
                            lines = text.count("\n", pos - 1, stop)
                            fields = _fast_fields(text, pos - 1, stop, field_lines)
                            if len(fields) + text.count(SEP, pos, stop) == lines and fields.keys() <= fast_tags:
                                self.record_no += 1
                                self.seen_any, self.ended, self.cur_tag = True, False, ""
                                self.record_line = line
                                yield TaggedRecord(self.record_no, line, fields)
                                line += lines  # now the line of ER
                                self.last_line = line
                                line += 1
                                pos = stop + 4
                                continue
                stop = text.find("\n", pos)
                entry = text[pos:stop]
                record = self.feed(entry, line)
                if record is not None:
                    yield record
                if entry and not entry.isspace():
                    self.last_line = line
                line += 1
                pos = stop + 1

    def feed(self, entry: str, line: int) -> TaggedRecord | None:
        """The slow path: one line through the full state machine. Returns the record this line closes."""
        path, bad = self.path, self.bad
        tag = entry[:2]
        end = entry[2:3]
        is_tag = end in _TAG_ENDS and (tag in KNOWN_TAGS or bool(_TAG_SHAPE.match(tag)))
        fields = self.fields
        if is_tag and tag == "PT":
            if fields is not None:
                bad.fail(
                    Location(path, line=line, record=self.record_no),
                    f"record {self.record_no} (line {self.record_line}) is not closed by ER before the next PT",
                )
            self.seen_any = True
            self.record_no += 1
            self.record_line = line
            self.ended = self.skipping = False
            self.fields = {"PT": entry[3:] if end == " " else entry[2:]}
            self.blank_after = None
            self.cur_tag = "PT"
            return None
        if is_tag and tag == "ER":
            record = None
            if fields is not None:
                record = TaggedRecord(self.record_no, self.record_line, fields, self.blank_after)
            elif not self.skipping:
                bad.fail(Location(path, line=line), "ER without a record (no PT before it)")
            self.fields, self.cur_tag, self.skipping = None, "", False
            return record
        if not entry or entry.isspace():
            if fields is not None and self.cur_tag:
                self.blank_after = self.blank_after or {}
                self.blank_after[self.cur_tag] = self.blank_after.get(self.cur_tag, 0) + 1
            return None
        if entry.startswith(self.continuation_starts) and (self.cur_tag or self.skipping):
            if fields is not None and self.cur_tag:
                fields[self.cur_tag] += "\n" + entry if entry.startswith("   ") else SEP + entry.lstrip("\t")
            return None
        if is_tag and tag in ("FN", "VR", "EF"):
            self.seen_any = True
            if fields is not None:
                bad.fail(
                    Location(path, line=line, record=self.record_no),
                    f"record {self.record_no} (line {self.record_line}) is not closed by ER before {tag}",
                )
                self.fields = None
            self.skipping = False
            self.ended = tag == "EF"
            self.cur_tag = tag if tag != "EF" else ""
            return None
        if self.skipping:
            return None
        if is_tag:
            if fields is None:
                bad.fail(Location(path, line=line, field=tag), f"field {tag} outside a record (no PT before it)")
                self.cur_tag = ""
                return None
            if tag not in fields:
                if tag not in KNOWN_TAGS:
                    self.unknown_tags.add(tag)
                fields[tag] = entry[3:] if end == " " else entry[2:]
                self.cur_tag = tag
                return None
            first = _record_line_of(fields, tag, self.record_line, self.blank_after)
            bad.fail(
                Location(path, line=line, record=self.record_no, field=tag),
                f"field {tag} occurs twice in record {self.record_no} (first at line {first})",
            )
        else:
            if entry.startswith("   "):
                problem = "continuation line outside a record"
            elif entry.startswith(" "):
                problem = "line starts with a space but is not a continuation (three spaces)"
            else:
                problem = f"line is neither a field tag nor a continuation: {entry[:60]!r}"
            record = self.record_no if fields is not None else None
            bad.fail(Location(path, line=line, record=record, field=self.cur_tag or None), problem)
        if fields is not None:
            self.fields, self.skipping = None, True
        self.cur_tag = ""
        return None

    def finish(self, layout: str) -> None:
        """End-of-file checks: empty file, a record left open, no EF."""
        path, bad, last = self.path, self.bad, self.last_line
        if not self.seen_any:
            raise InputError(Location(path, line=1), f"the file is empty (no {layout} records)", "export the records again")
        if self.fields is not None:
            bad.fail(
                Location(path, line=last, record=self.record_no),
                f"record {self.record_no} (line {self.record_line}) is not closed by ER before the end of the file:"
                " the file is truncated",
            )
        if not self.ended:
            bad.fail(
                Location(path, line=last),
                f"no EF line at the end (last line {last}): the export looks truncated",
                "export the file again; pass --skip-bad to keep the complete records before the cut",
            )
        if self.unknown_tags:
            log.debug("%s: tags not in the known WoS/Derwent lists (kept, unused): %s", path, sorted(self.unknown_tags))


#: Every tag of WoS core collection and Derwent Innovations Index exports (their published field tag lists).
KNOWN_TAGS = frozenset(
    """FN VR PT AU AF BA BF BE CA GP ED TI SO SE BS LA DT CT CY CL SP HO DE ID AB C1 C3 RP EM RI OI FU FP FX CR NR
    TC Z9 U1 U2 PU PI PA SN EI BN J9 JI PD PY VL IS PN SU SI MA BP EP AR DI DL D2 EA PG P2 WC WE SC GA UT PM OA HC
    HP DA ER EF AE DC MC IP AD FD DS FS CP DN MN RG CI CN EX XP GS NP""".split()
)
#: Tags the fast path accepts inside a record (file structure tags send the record to the slow path).
_FAST_TAGS = KNOWN_TAGS - {"ER", "EF", "FN", "VR"}


# ----------------------------------------------------------------------------------------------
# Values


@functools.lru_cache(maxsize=512)
def _doc_type(raw: str) -> str:
    """normalise_doc_type, cached: a file has a handful of distinct types and the regexes are the cost."""
    return normalise_doc_type(raw)


#: normalise_issn, cached: records of one journal repeat its ISSN.
_issn = functools.lru_cache(maxsize=8192)(normalise_issn)


def field_text(fields: Mapping[str, str], tag: str) -> str | None:
    """A field as one text: its lines joined with a space (how WoS wraps TI, AB, DE, WC...)."""
    value = fields.get(tag)
    if not value:
        return None
    return (_join_lines(value) if SEP in value else value.strip()) or None


def _join_lines(value: str) -> str:
    return " ".join(part.strip() for part in value.split(SEP)).strip()


#: The WoS tags read as text, in the order :func:`_wos_texts` returns them.
_WOS_TEXT_TAGS = ("UT", "PY", "PD", "EA", "TI", "DI", "TC", "DT", "PT", "SN", "EI", "AB", "DE", "ID", "LA", "SO", "RP", "WC", "SC")


def _wos_texts(fields: Mapping[str, str]) -> list[str | None]:
    """:func:`field_text` of every tag of :data:`_WOS_TEXT_TAGS` in one comprehension (not 19 calls)."""
    return [
        ((_join_lines(v) if SEP in v else v.strip()) or None) if v else None
        for v in map(fields.get, _WOS_TEXT_TAGS)
    ]


def field_values(fields: Mapping[str, str], tag: str) -> tuple[str, ...]:
    """A multi-valued field (AU, AF, C1...) as its values: one per line, blanks dropped."""
    value = fields.get(tag)
    if not value:
        return ()
    if SEP not in value:
        value = value.strip()
        return (value,) if value else ()
    return tuple([part for part in map(str.strip, value.split(SEP)) if part])


def _split(text: str | None) -> tuple[str, ...]:
    """``'a; b;; c'`` -> ``('a', 'b', 'c')``."""
    if not text:
        return ()
    return tuple([part for part in map(str.strip, text.split(";")) if part])


def _month_day(text: str) -> tuple[int | None, int | None, int | None]:
    """``'2026 FEB 25'`` -> (2026, 2, 25); ``'MAR'`` -> (None, 3, None); ``'MAR-APR'`` -> (None, 3, None)."""
    year = month = day = None
    tokens = text.replace("-", " ").split()
    for i, token in enumerate(tokens):
        if len(token) == 4 and token.isdigit() and year is None:
            year = int(token)
        elif month is None and token[:3].upper() in _MONTHS and token.isalpha():
            month = _MONTHS[token[:3].upper()]
            if i + 1 < len(tokens) and tokens[i + 1].isdigit() and len(tokens[i + 1]) <= 2:
                day = int(tokens[i + 1])
    return year, month, day


@functools.lru_cache(maxsize=8192)
def _pub_date(year: int | None, pd: str | None, ea: str | None) -> str | None:
    """ISO date as precise as PD (or, failing that, the early-access date EA) allows, in the year PY."""
    if year is None:
        return None
    for raw in (pd, ea):
        if not raw:
            continue
        y, month, day = _month_day(raw)
        if y is not None and y != year and raw is ea:
            continue  # early access in another year than the issue: the month says nothing about PY
        if month is None:
            continue
        if day is not None:
            try:
                return _dt.date(year, month, day).isoformat()
            except ValueError:
                pass
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}"


def split_c1_cell(cell: str) -> list[str]:
    """A tab-file C1 cell -> entries: ``'[A; B] addr1; [C] addr2'`` -> ``['[A; B] addr1', '[C] addr2']``.

    A semicolon inside ``[..]`` separates authors; outside, addresses. Cells without groups split on ``;``.
    """
    if not cell:
        return []
    if "[" not in cell:
        return list(_split(cell))
    entries: list[str] = []
    for part in _C1_ENTRY_SPLIT.split(cell):
        part = part.strip().rstrip(";").strip()
        if not part:
            continue
        if part.startswith("["):
            entries.append(part)
        else:  # addresses without a group before the first group
            entries.extend(_split(part))
    return entries


def _name_key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _addresses(
    c1: str, authors: tuple[str, ...], where: Callable[[str], Location], bad: BadRecords, entry_per_line: bool
) -> tuple[tuple[str, ...], tuple[dict[str, int], ...]] | None:
    """C1 (entries separated by :data:`SEP`) -> (distinct addresses in order, author-address links).

    None when the record is bad (a cited reference inside C1). ``where("C1")`` locates C1's first line
    (called only on error: finding a line costs a walk over the record); with ``entry_per_line`` (plain
    text) the bad entry's own line is reported.
    """
    addresses: list[str] = []
    index: dict[str, int] = {}
    links: list[dict[str, int]] = []
    seen_links: set[tuple[int, int]] = set()
    any_group = False
    author_index: dict[str, int] | None = None
    loose_index: dict[str, int] | None = None
    for offset, entry in enumerate(c1.split(SEP)):
        entry = entry.strip()
        if not entry:
            continue
        group: str | None = None
        address = entry
        if entry.startswith("[") and not entry.startswith("[ANONYMOUS]"):
            close = entry.find("]")
            if close > 0:
                group = entry[1:close]
                address = entry[close + 1 :].strip()
        elif looks_like_citation(entry):
            location = where("C1")
            if entry_per_line and location.line is not None:
                location.line += offset
            bad.fail(
                location,
                f"address line looks like a cited reference ({entry[:60]!r}): a CR tag was probably lost and the"
                " references run on inside C1",
            )
            return None
        if not address:
            continue
        j = index.get(address)
        if j is None:
            j = index[address] = len(addresses)
            addresses.append(address)
        if group is None:
            continue
        any_group = True
        if author_index is None:
            author_index = {}
            for i, name in enumerate(authors):
                author_index.setdefault(name, i)
        for name in group.split(";"):
            name = name.strip()
            i = author_index.get(name)
            if i is None:
                if loose_index is None:
                    loose_index = {}
                    for k, full in enumerate(authors):
                        loose_index.setdefault(_name_key(full), k)
                i = loose_index.get(_name_key(name))
                if i is None:
                    continue
            if (i, j) not in seen_links:
                seen_links.add((i, j))
                links.append({"author": i, "address": j})
    if not any_group and len(addresses) == 1:
        return tuple(addresses), tuple([{"author": i, "address": 0} for i in range(len(authors))])
    return tuple(addresses), tuple(links)


def build_wos_row(
    fields: Mapping[str, str],
    *,
    path: Path,
    source_format: str,
    record_no: int,
    line_no: int,
    bad: BadRecords,
    line_of: Callable[[str], int] | None = None,
) -> Row | None:
    """One WoS record as ``{tag: text}`` -> a schema row (None when the record is bad and was reported).

    This is the only place the WoS field mapping lives; both the plain-text and the tab-delimited parser
    call it. Multi-valued tags (AU, AF, C1) hold their values separated by :data:`SEP`; other tags hold
    the lines of one text. ``line_of(tag)`` gives a tag's line for error messages (plain text); without
    it every field is on ``line_no`` (tab-delimited: one record per line).

    List columns are tuples (:func:`mining.schema.to_table` takes any sequence). Why: rows wait in
    batches of 20,000 for ``to_table``, and CPython's garbage collector stops tracking tuples and dicts
    that hold only strings and numbers, so a waiting batch costs nothing at each collection; with lists
    every collection walks every row (measured: about 20 % of the parse time at 100,000 records).
    """

    def where(tag: str) -> Location:
        return Location(path, line=line_of(tag) if line_of else line_no, record=record_no, field=tag)

    ut, py, pd, ea, title, doi_raw, tc, dt, pt, sn, ei, ab, de, id_, la, so, rp, wc, sc = _wos_texts(fields)
    if not ut:
        bad.fail(where("UT"), "required field UT (WoS accession number) is missing")
        return None
    year: int | None = None
    if py:
        if len(py) == 4 and py.isdigit():
            year = int(py)
        else:
            bad.fail(where("PY"), f"PY is not a four-digit year: {py[:40]!r}")
            return None
    if year is None and ea:
        year = _month_day(ea)[0]  # early-access records have no PY yet
    authors = field_values(fields, "AF") or field_values(fields, "AU")
    c1 = fields.get("C1")
    if c1:
        parsed = _addresses(c1, authors, where, bad, line_of is not None)
        if parsed is None:
            return None
        addresses, links = parsed
    else:
        addresses, links = (), ()
    doi = normalise_doi(doi_raw)
    if doi_raw and doi is None:
        bad.warn(where("DI"), f"not a DOI: {doi_raw[:60]!r}")
    cited_by = None
    if tc:
        if tc.isdigit():
            cited_by = int(tc)
        else:
            cited_by = to_int(tc, bad, where("TC"))
    dt = dt or pt
    return {
        "record_id": record_id("wos", ut, title, year),
        "source": "wos",
        "source_format": source_format,
        "source_id": ut,
        "kind": "paper",
        "doc_type": _doc_type(dt) if dt else "other",
        "doc_type_raw": dt,
        "title": title,
        "abstract": ab,
        "author_keywords": _split(de),
        "index_keywords": _split(id_),
        "language": la,
        "venue": so,
        "issn": _issn(sn) if sn else None,
        "eissn": _issn(ei) if ei else None,
        "year": year,
        "pub_date": _pub_date(year, pd, ea),
        "doi": doi,
        "authors": authors,
        "addresses": addresses,
        "author_address": links,
        "reprint_address": rp,
        "cited_by": cited_by,
        "wos_categories": _split(wc),
        "research_areas": _split(sc),
        "file": path.name,
        "file_sha256": None,
        "record_no": record_no,
        "line_no": line_no,
    }


# ----------------------------------------------------------------------------------------------
# Parsers


_PLAIN_HEAD = re.compile(r"^PT ", re.MULTILINE)


@register
class WosPlaintext(Parser):
    """Web of Science tagged plain text (``savedrecs.txt``), 2026 and older layouts."""

    name = "wos_plaintext"
    source = "wos"
    kind = "paper"
    description = "Web of Science plain text (FN/VR header, PT..ER records, EF)"
    priority = 10

    @classmethod
    def sniff(cls, path: Path, head: str) -> bool:
        text = head.lstrip("\ufeff")
        return text.startswith("FN ") or bool(_PLAIN_HEAD.search(text))

    def records(self, path: Path, bad: BadRecords) -> Iterator[Row]:
        name = self.name
        for rec in iter_tagged(path, bad):
            row = build_wos_row(
                rec.fields, path=path, source_format=name, record_no=rec.record_no, line_no=rec.line_no, bad=bad, line_of=rec.line_of
            )
            if row is not None:
                yield row


#: Tab cells holding several values separated by "; " (C1 is split by :func:`split_c1_cell`).
_TAB_LIST_TAGS = ("AU", "AF")
#: Tab cells used as text.
_TAB_TEXT_TAGS = ("PT", "UT", "PY", "PD", "EA", "TI", "DI", "TC", "DT", "SN", "EI", "AB", "DE", "ID", "LA", "SO", "RP", "WC", "SC")


@register
class WosTab(Parser):
    """Web of Science tab-delimited export (66-column 2017 and 71-column 2026 layouts)."""

    name = "wos_tab"
    source = "wos"
    kind = "paper"
    description = "Web of Science tab-delimited (UTF-8, header line PT<tab>AU<tab>...)"
    priority = 10

    @classmethod
    def sniff(cls, path: Path, head: str) -> bool:
        return head.lstrip("\ufeff").startswith("PT\tAU\t")

    def records(self, path: Path, bad: BadRecords) -> Iterator[Row]:
        rows = csv_rows(
            path, bad, delimiter="\t", quoting=csv.QUOTE_NONE, required=("PT", "AU", "TI", "UT"), layout_name="Web of Science tab-delimited"
        )
        try:
            for record_no, line_no, cells in rows:
                fields: dict[str, str] = {}
                for tag in _TAB_TEXT_TAGS:
                    value = cells.get(tag)
                    if value and not value.isspace():
                        fields[tag] = value
                for tag in _TAB_LIST_TAGS:
                    values = _split(cells.get(tag))
                    if values:
                        fields[tag] = SEP.join(values)
                c1 = split_c1_cell(cells.get("C1", ""))
                if c1:
                    fields["C1"] = SEP.join(c1)
                row = build_wos_row(fields, path=path, source_format=self.name, record_no=record_no, line_no=line_no, bad=bad)
                if row is not None:
                    yield row
        except UnicodeDecodeError:
            raise locate_decode_error(path) from None


__all__ = [
    "KNOWN_TAGS",
    "SEP",
    "TaggedRecord",
    "WosPlaintext",
    "WosTab",
    "build_wos_row",
    "field_text",
    "field_values",
    "iter_tagged",
    "split_c1_cell",
]
