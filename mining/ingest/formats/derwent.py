"""Derwent Innovations Index (DII) tagged exports: one patent family per ``PT P``..``ER`` record.

The syntax is Web of Science's (``FN``/``VR`` header, two-character tags, three-space continuation
lines, ``ER``, ``EF``), so the records come from :func:`mining.ingest.formats.wos.iter_tagged` (with
tab-indented continuation lines allowed: DII writes the ``DS`` designated states that way). The fields
used (from the DII field list):

* ``PN`` patent numbers of the family, ``CN110084281-A; WO2020177500-A1`` (first = basic patent);
* ``TI`` Derwent title; ``AB`` Derwent abstract (``NOVELTY - ... USE - ... ADVANTAGE - ...``);
* ``AU`` inventors, ``AE`` assignees with their Derwent code, ``TENCENT TECHNOLOGY SHENZHEN CO LTD (TNCT-C)``;
* ``IP`` IPC codes in Derwent spelling, ``G06N-003/08; G06K-009/62``;
* ``PD`` patent details, one line per family member:
  ``CN110084281-A   02 Aug 2019   G06K-009/62   201966   Pages: 25   Chinese``;
* ``PI`` priority application(s): ``CN10166433    05 Mar 2019`` (``YYYYMMDD`` dates are read too);
* ``GA`` Derwent primary accession number; ``UT`` ``DIIDW:`` + accession number; ``Z9`` times cited.

``source_id`` is the first PN number (the basic patent), else GA, else UT; a record with none of the
three is an error.

``DC``/``MC`` (Derwent class and manual codes), ``AD`` and ``DS`` are read but have no schema column.

Multi-valued tags come either one value per line (``AU``, ``AE``, ``PD``) or ``"; "``-separated on
lines that wrap anywhere (``PN``, ``IP``, ``MC``); :func:`_values` accepts both: a field with a ``;``
is one wrapped list, a field without one has a value per line. A bracketed ``;`` (as in ``DC``) is
not a separator.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Iterator, Mapping

from mining.errors import Location
from mining.ingest.base import BadRecords, Parser, Row, register, to_int
from mining.ingest.formats.wos import SEP, TaggedRecord, field_text, iter_tagged
from mining.schema import normalise_ipc, record_id

_MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}
_DATE_WORDS = re.compile(r"\b(\d{1,2}) ([A-Za-z]{3}) (\d{4})\b")
_DATE_DIGITS = re.compile(r"\b((?:19|20)\d{2})(\d{2})(\d{2})\b")
_KIND = re.compile(r"-([A-Z]\d?)$")
_IPC_EDITION = re.compile(r"\((\d{4}\.\d{2})\)")
_PN_HEAD = re.compile(r"^PN ", re.MULTILINE)
_AE_HEAD = re.compile(r"^AE ", re.MULTILINE)
_TAGGED_HEAD = re.compile(r"^(?:FN |PT )", re.MULTILINE)


def _split_outside_brackets(text: str) -> list[str]:
    """Split on ``;`` except inside ``(..)``: ``'Q38 (Hoisting; Lifting); X25 (...)'`` -> 2 values."""
    if "(" not in text:
        return [part.strip() for part in text.split(";") if part.strip()]
    values: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == ";" and depth == 0:
            values.append(text[start:i].strip())
            start = i + 1
    values.append(text[start:].strip())
    return [v for v in values if v]


def _values(fields: Mapping[str, str], tag: str) -> tuple[str, ...]:
    """A multi-valued DII field: ``;``-separated (lines joined first: they wrap anywhere) or one per line."""
    raw = fields.get(tag)
    if not raw:
        return ()
    if ";" in raw:
        return tuple(_split_outside_brackets(" ".join(part.strip() for part in raw.split(SEP))))
    return tuple([part for part in (p.strip() for p in raw.split(SEP)) if part])


def _date(text: str) -> _dt.date | None:
    """The first date in ``text``: ``05 Mar 2019`` or ``20190305``; None when there is none (or it is invalid)."""
    match = _DATE_WORDS.search(text)
    try:
        if match:
            month = _MONTHS.get(match.group(2).upper())
            if month:
                return _dt.date(int(match.group(3)), month, int(match.group(1)))
        match = _DATE_DIGITS.search(text)
        if match:
            return _dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    return None


def _doc_type(kind: str | None) -> str:
    """Publication kind code -> schema doc_type: A* applications, B*/C* grants, anything else 'patent'."""
    if not kind:
        return "patent"
    if kind.startswith("A"):
        return "patent_application"
    if kind[0] in "BC":
        return "granted_patent"
    return "patent"


def _language(detail: str) -> str | None:
    """The language closing a PD line (``... Pages: 25   Chinese``)."""
    words = detail.split()
    last = words[-1] if words else ""
    return last if last.isalpha() and last[0].isupper() and last.lower() != "pages" else None


def build_derwent_row(rec: TaggedRecord, path: Path, bad: BadRecords, source_format: str = "derwent") -> Row | None:
    """One DII record -> a schema row (None when it is bad and was reported)."""
    fields = rec.fields
    numbers = _values(fields, "PN")
    accession = field_text(fields, "GA")
    ut = field_text(fields, "UT")
    source_id = numbers[0] if numbers else accession or ut
    if not source_id:
        bad.fail(
            Location(path, line=rec.line_no, record=rec.record_no, field="PN"),
            "required field PN (patent numbers) is missing, and there is no GA or UT accession number either",
        )
        return None
    first = numbers[0] if numbers else None
    kind_match = _KIND.search(first) if first else None
    kind = kind_match.group(1) if kind_match else None

    # PD: the details of each family member; the basic patent's line dates the record.
    details = _values(fields, "PD")
    detail = next((d for d in details if first and d.split()[0] == first), details[0] if details else None)
    published = _date(detail) if detail else None
    if detail and published is None:
        bad.warn(Location(path, line=rec.line_of("PD"), record=rec.record_no, field="PD"), f"no publication date in {detail[:60]!r}")

    priorities = _values(fields, "PI")
    priority_numbers: list[str] = []
    priority_countries: list[str] = []
    priority_dates: list[_dt.date] = []
    for entry in priorities:
        number = entry.split()[0]
        priority_numbers.append(number)
        priority_countries.append(number[:2] if number[:2].isalpha() else "")
        when = _date(entry)
        if when:
            priority_dates.append(when)
    earliest = min(priority_dates) if priority_dates else None
    year = published.year if published else (earliest.year if earliest else None)

    ipc: list[str] = []
    editions: list[str] = []
    for code in _values(fields, "IP"):
        normal = normalise_ipc(code)
        if normal is None:
            bad.warn(Location(path, line=rec.line_of("IP"), record=rec.record_no, field="IP"), f"not an IPC code: {code[:40]!r}")
            continue
        if normal in ipc:
            continue
        ipc.append(normal)
        edition = _IPC_EDITION.search(code)
        editions.append(edition.group(1) if edition else "")

    cited_tag = "TC" if fields.get("TC") else "Z9"
    cited = field_text(fields, cited_tag)
    title = field_text(fields, "TI")
    return {
        "record_id": record_id("derwent", source_id, title, year),
        "source": "derwent",
        "source_format": source_format,
        "source_id": source_id,
        "kind": "patent",
        "doc_type": _doc_type(kind),
        "doc_type_raw": kind,  # DII has no document type; the basic patent's kind code is what says it
        "title": title,
        "abstract": field_text(fields, "AB"),
        "language": _language(detail) if detail else None,
        "year": year,
        "pub_date": published.isoformat() if published else None,
        "authors": _values(fields, "AU"),
        "cited_by": to_int(cited, bad, Location(path, line=rec.line_of(cited_tag), record=rec.record_no, field=cited_tag)) if cited else None,
        # List columns as tuples, like the WoS rows (see build_wos_row: the GC stops tracking them).
        "ipc": tuple(ipc),
        "ipc_editions": tuple(editions),
        "assignees": _values(fields, "AE"),
        "priority_numbers": tuple(priority_numbers),
        "priority_countries": tuple(priority_countries),
        "priority_date": earliest.isoformat() if earliest else None,
        "file": path.name,
        "file_sha256": None,
        "record_no": rec.record_no,
        "line_no": rec.line_no,
    }


@register
class Derwent(Parser):
    """Derwent Innovations Index plain text (``PT P`` records with PN, AE, IP, PD, PI...)."""

    name = "derwent"
    source = "derwent"
    kind = "patent"
    description = "Derwent Innovations Index tagged plain text (WoS syntax; PN/AE/IP/PD/PI patent fields)"
    priority = 20  # before wos_plaintext, whose sniffer also accepts this syntax

    @classmethod
    def sniff(cls, path: Path, head: str) -> bool:
        text = head.lstrip("\ufeff")
        return bool(_TAGGED_HEAD.search(text) and _PN_HEAD.search(text) and _AE_HEAD.search(text))

    def records(self, path: Path, bad: BadRecords) -> Iterator[Row]:
        for rec in iter_tagged(path, bad, layout="Derwent Innovations Index", tab_continuations=True):
            row = build_derwent_row(rec, path, bad, self.name)
            if row is not None:
                yield row
