"""Google Patents: the search-results CSV export, and the scraped details CSV (abstract + CPC codes).

Search export (``gp-search-*.csv``), one row per publication::

    search URL:,https://patents.google.com/?q=...          <- first line in real downloads; optional
    id,title,assignee,inventor/author,priority date,filing/creation date,publication date,grant date,result link,representative figure link
    US-2023377099-A1,Synthesizing content using diffusion models ... ,Nvidia Corporation,"Karsten Julian Kreis, Tim Dockhorn",5/19/2022,...

Records: ``source_id`` is the ``id`` as written, ``doc_type_raw`` its kind code (``A1``) and ``doc_type``
follows from office and kind code (:func:`doc_type_from_kind`); ``pub_date``/``year`` come from
"publication date" and ``priority_date`` from "priority date". Filing and grant dates have no column in
the record schema, and the office is not a priority country, so nothing else is filled in.

Quirks seen in the real file: every title ends with a space; dates are ``M/D/YYYY``; several assignees
and several inventors share one cell, joined with ``", "``; the last row of the shared sample is cut off
(id and half a title, nothing else) and is kept with a warning.

**Splitting the assignee cell.** Google joins names with ``", "``, but company names contain the same
separator ("Samsung Electronics Co., Ltd.", "Hewlett-Packard Development Company, L.P."). The cell is
split on ``", "`` and then a piece is glued back to the one before it when it is

* a legal-form or name suffix (``Inc.``, ``LLC``, ``Ltd.``, ``L.P.``, ``N.A.``, ``Corp``, ``Limited``,
  ``Incorporated``, ``B.V.``, ``Jr.``, ``III`` ..., and their Korean/Russian transliterations seen in the
  data), also when words follow ("Inc. Dba Gep");
* a two-letter upper-case code (a US state: "President and Fellows of Harvard College, MA");
* a continuation starting with a lower-case function word ("Rutgers, the State University of New
  Jersey", "The United States of America, as Represented by the Secretary").

A single capitalised word followed by a given name or initials ("Koonin, Eugene", "Wolf, Yuri I.") is
kept as one "Surname, Given" individual. On the shared sample this yields 5,891 assignees (288 rows
with more than one). Known misses, left as they are: "Baker Hughes, A Ge Company, Llc" and "University
Of Maryland, College Park" become two names each, and "..., as Represented by the Secretary,
Department of Health and Human Services" loses its last part to a separate name. Inventors
(``inventor/author``) are split the same way ("Robert Barker, JR." stays one person). Full-width
commas (Japanese names) and commas without a space (Chinese names) never split.

**Details CSV** (``scraped_patent_details_*.csv``: ``publication_number,title,abstract,cpc_codes``) is not
a vendor export: ``cpc_codes`` is a Python list literal (``"['G06T19/20', 'G06T17/20']"``) and the
publication number is unhyphenated (``US12412340B2``). Its source_id is re-hyphenated to Google's search
id form (see :func:`hyphenate_publication_number`) so that both files give the same ``record_id`` for
the same patent; the dedup step merges the two rows (search row: names and dates; details row:
abstract and CPC codes).
"""

from __future__ import annotations

import ast
import csv
import re
from datetime import date
from pathlib import Path
from typing import Iterator

from mining.errors import Location
from mining.ingest.base import BadRecords, Parser, Row, csv_rows, register
from mining.schema import normalise_ipc, record_id

SOURCE = "google_patents"

# ----------------------------------------------------------------------------------------------
# Publication numbers and kind codes (shared with the Lens and PatentsView parsers)

#: Google's search id: country, number (may start with letters: TW-I755778-B, US-RE50335-E), kind.
GOOGLE_ID = re.compile(r"^([A-Z]{2})-([A-Z]{0,2}\d+)-([A-Z]\d?)$")
_PUBLICATION_NUMBER = re.compile(r"^([A-Z]{2})([A-Z]{0,2}\d+)([A-Z]\d?)$")

# Kind codes whose meaning depends on the office (WIPO ST.16 and the offices' own tables).
_KIND_BY_OFFICE: dict[tuple[str, str], str] = {
    ("AU", "A4"): "patent",  # innovation patent: a second-tier right, like a utility model
    ("DE", "T5"): "patent_application",  # German translation of a PCT application
    ("DE", "T1"): "patent_application",
    ("DE", "T2"): "granted_patent",  # German translation of a granted European patent
    ("ES", "T3"): "granted_patent",  # Spanish translation of a granted European patent
    ("US", "E"): "granted_patent",  # reissued patent
    ("US", "E1"): "granted_patent",
    ("US", "S"): "granted_patent",  # design patent
    ("US", "S1"): "granted_patent",
    ("US", "P1"): "patent_application",  # plant patent application
    ("US", "P2"): "granted_patent",
    ("US", "P3"): "granted_patent",
    ("US", "H"): "patent",  # statutory invention registration
    ("US", "H1"): "patent",
}


def doc_type_from_kind(country: str | None, kind: str | None) -> str:
    """Document type from the office and kind code.

    A* (A, A1, A2, A9 ...) is a published application everywhere (CN-A, JP-A, KR-A, EP-A1, WO-A1,
    US-A1); B* and C* are granted patents (CN-B, EP-B1, US-B2, JP-B2, KR-B1, CA-C, RU-C2, CN-C);
    U and Y are utility models (CN-U, CN-Y, RU-U1, KR-U), which are rights but not patents for
    inventions, so ``'patent'``; WO documents are always applications. Office-specific codes such as
    US-E (reissue), ES-T3 or DE-T5 are in a table; anything else is ``'patent'`` (kind unknown).
    """
    country = (country or "").strip().upper()
    kind = (kind or "").strip().upper()
    if not kind:
        return "patent"
    if (country, kind) in _KIND_BY_OFFICE:
        return _KIND_BY_OFFICE[(country, kind)]
    if country == "WO":
        return "patent_application" if kind.startswith("A") else "patent"
    first = kind[0]
    if first == "A":
        return "patent_application"
    if first in "BC":
        return "granted_patent"
    return "patent"


def hyphenate_publication_number(number: str) -> str | None:
    """``US12412340B2`` -> ``US-12412340-B2``: Google's search-export id for a publication number.

    Google's id uses the DOCDB number: US pre-grant publications drop the first digit of the 7-digit
    serial (``US20240013462A1`` -> ``US-2024013462-A1``) and US reissues carry kind ``E`` rather than
    ``E1`` (``USRE50335E1`` -> ``US-RE50335-E``). Checked against the ``result link`` of all 5,321 rows of
    the shared search export. None when ``number`` is not a publication number.
    """
    match = _PUBLICATION_NUMBER.match(number.strip().upper().replace(" ", ""))
    if not match:
        return None
    country, serial, kind = match.groups()
    if country == "US" and len(serial) == 11 and serial.isdigit() and serial[4] == "0":
        serial = serial[:4] + serial[5:]
    if country == "US" and serial.startswith("RE") and kind.startswith("E"):
        kind = "E"
    return f"{country}-{serial}-{kind}"



# ----------------------------------------------------------------------------------------------
# Dates and names

_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_date(value: str | None, bad: BadRecords, location: Location) -> str | None:
    """``'5/19/2022'`` or ``'2022-05-19'`` -> ``'2022-05-19'``; '' -> None; anything else -> None + warning."""
    text = (value or "").strip()
    if not text:
        return None
    match = _US_DATE.match(text)
    if match:
        month, day, year = (int(g) for g in match.groups())
    else:
        match = _ISO_DATE.match(text) or _ISO_DATE.match(text.replace("/", "-"))
        if not match:
            bad.warn(location, f"not a date: {text[:40]!r}")
            return None
        year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        bad.warn(location, f"not a date: {text[:40]!r}")
        return None


_SUFFIX = re.compile(
    # legal forms that may be followed by more words ("Inc. Dba Gep")
    r"^(?:(?:inc|llc|l\.l\.c|ltd|l\.p|corp|n\.a)\.?(?:\s|$)|"
    # suffixes that must be the whole piece ("II" alone, not "II Edmund Bennett RICHARDS")
    r"(?:incorporated|limited|lp|llp|l\.l\.p|plc|pbc|corporation|co|s\.a|s\.a\.s|ag|se|gmbh|b\.v|n\.v|"
    r"s\.p\.a|s\.r\.l|srl|pty|ulc|jr|sr|ii|iii|iv)\.?$)",
    re.IGNORECASE,
)
# Transliterated legal forms seen in the Korean and Russian rows of the shared sample.
_FOREIGN_SUFFIXES = frozenset({"인크.", "아이엔씨.", "엘엘씨", "인코포레이티드", "Ллс", "ЛЛС", "ЛЛК", "Лтд.", "Инк.", "ИНК."})
_STATE_CODE = re.compile(r"^[A-Z]{2}$")
_CONTINUATION = re.compile(r"^(?:the|of|and|as|at|for|in|on|by|dba|d/b/a)\s")  # lower case only
_SURNAME = re.compile(r"^[A-Z][a-zA-Z'\-]+$")
_GIVEN = re.compile(r"^[A-Z][a-z'\-]+(?:\s+[A-Z]\.)*$")


def split_names(cell: str | None) -> list[str]:
    """Split a Google Patents assignee or inventor cell into names (rules in the module docstring)."""
    pieces = [p.strip() for p in (cell or "").split(", ") if p.strip()]
    names: list[str] = []
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        if names and (
            _SUFFIX.match(piece) or piece in _FOREIGN_SUFFIXES or _STATE_CODE.match(piece) or _CONTINUATION.match(piece)
        ):
            names[-1] = f"{names[-1]}, {piece}"
            i += 1
            continue
        if i + 1 < len(pieces) and _SURNAME.match(piece) and _GIVEN.match(pieces[i + 1]) and not _SUFFIX.match(pieces[i + 1]):
            names.append(f"{piece}, {pieces[i + 1]}")
            i += 2
            continue
        names.append(piece)
        i += 1
    return names


# ----------------------------------------------------------------------------------------------
# Reading the CSV (with the optional "search URL:" first line)

_SEARCH_HEADER = ("id", "title", "assignee", "inventor/author", "priority date", "filing/creation date", "publication date")
_SEARCH_REQUIRED = ("id", "title", "publication date")
_DETAILS_REQUIRED = ("publication_number", "title", "abstract", "cpc_codes")


def _is_search_url_line(cells: list[str]) -> bool:
    return bool(cells) and cells[0].strip().lower().rstrip(":") == "search url"


def _first_cells(head: str) -> list[list[str]]:
    """The first two lines of a head, as CSV cells (lenient: for sniffing only)."""
    lines = head.splitlines()[:2]
    try:
        return [next(csv.reader([line]), []) for line in lines]
    except csv.Error:
        return []


# ----------------------------------------------------------------------------------------------
# Parsers


@register
class GooglePatentsCsv(Parser):
    """Google Patents search-results CSV export."""

    name = "google_patents_csv"
    source = SOURCE
    kind = "patent"
    description = "Google Patents search results CSV (id, title, assignee, inventor/author, dates)"
    priority = 50

    @classmethod
    def sniff(cls, path: Path, head: str) -> bool:
        rows = _first_cells(head)
        if not rows:
            return False
        header = rows[1] if _is_search_url_line(rows[0]) and len(rows) > 1 else rows[0]
        header = [h.strip() for h in header]
        return header[: len(_SEARCH_HEADER)] == list(_SEARCH_HEADER)

    def records(self, path: Path, bad: BadRecords) -> Iterator[Row]:
        for record_no, line_no, row in csv_rows(path, bad, required=_SEARCH_REQUIRED, layout_name="Google Patents search CSV", preamble=_is_search_url_line):
            source_id = row["id"].strip()
            match = GOOGLE_ID.match(source_id)
            if not match:
                bad.fail(
                    Location(path, line=line_no, record=record_no, field="id"),
                    f"not a Google Patents publication id (like US-2023377099-A1): {source_id[:40]!r}",
                )
                continue
            country, _, kind = match.groups()
            title = row["title"].strip() or None
            raw_pub = row["publication date"]
            pub_date = parse_date(raw_pub, bad, Location(path, line=line_no, record=record_no, field="publication date"))
            if not raw_pub.strip():
                bad.warn(
                    Location(path, line=line_no, record=record_no, field="publication date"),
                    "no publication date (the row may be cut off)",
                )
            priority_date = parse_date(
                row.get("priority date"), bad, Location(path, line=line_no, record=record_no, field="priority date")
            )
            year = int(pub_date[:4]) if pub_date else None
            yield {
                "record_id": record_id(SOURCE, source_id, title, year),
                "source": SOURCE,
                "source_format": self.name,
                "source_id": source_id,
                "kind": "patent",
                "doc_type": doc_type_from_kind(country, kind),
                "doc_type_raw": kind,
                "title": title,
                "year": year,
                "pub_date": pub_date,
                "authors": split_names(row.get("inventor/author")),
                "assignees": split_names(row.get("assignee")),
                "priority_date": priority_date,
                "file": path.name,
                "record_no": record_no,
                "line_no": line_no,
            }


@register
class GooglePatentsDetailsCsv(Parser):
    """Scraped Google Patents details: abstract and CPC codes per publication number."""

    name = "google_patents_details_csv"
    source = SOURCE
    kind = "patent"
    description = "Google Patents details CSV scraped from patent pages (publication_number, title, abstract, cpc_codes)"
    priority = 50

    @classmethod
    def sniff(cls, path: Path, head: str) -> bool:
        rows = _first_cells(head)
        return bool(rows) and [h.strip() for h in rows[0]][:4] == list(_DETAILS_REQUIRED)

    def records(self, path: Path, bad: BadRecords) -> Iterator[Row]:
        for record_no, line_no, row in csv_rows(path, bad, required=_DETAILS_REQUIRED, layout_name="Google Patents details CSV", preamble=_is_search_url_line):
            number = row["publication_number"].strip()
            source_id = hyphenate_publication_number(number)
            if source_id is None:
                bad.fail(
                    Location(path, line=line_no, record=record_no, field="publication_number"),
                    f"not a publication number (like US12412340B2): {number[:40]!r}",
                )
                continue
            country, _, kind = GOOGLE_ID.match(source_id).groups()  # type: ignore[union-attr]
            title = row["title"].strip() or None
            yield {
                "record_id": record_id(SOURCE, source_id, title, None),
                "source": SOURCE,
                "source_format": self.name,
                "source_id": source_id,
                "kind": "patent",
                "doc_type": doc_type_from_kind(country, kind),
                "doc_type_raw": kind,
                "title": title,
                "abstract": row["abstract"].strip() or None,
                "cpc": self._cpc(row["cpc_codes"], bad, Location(path, line=line_no, record=record_no, field="cpc_codes")),
                "file": path.name,
                "record_no": record_no,
                "line_no": line_no,
            }

    @staticmethod
    def _cpc(cell: str, bad: BadRecords, location: Location) -> list[str]:
        """``"['G06T19/20', 'Y02D10/00']"`` -> ``['G06T 19/20', 'Y02D 10/00']`` (a Python list literal)."""
        text = cell.strip()
        if not text or text == "[]":
            return []
        try:
            value = ast.literal_eval(text)
            codes = [str(c) for c in value] if isinstance(value, (list, tuple)) else [str(value)]
        except (ValueError, SyntaxError):
            codes = re.split(r"[;,|]\s*", text.strip("[]"))
            codes = [c.strip().strip("'\"") for c in codes]
        result: list[str] = []
        for code in codes:
            if not code:
                continue
            normalised = normalise_ipc(code)
            if normalised is None:
                bad.warn(location, f"not a CPC code: {code[:30]!r}")
            elif normalised not in result:
                result.append(normalised)
        return result
