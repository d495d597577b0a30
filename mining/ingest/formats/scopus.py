"""Scopus CSV export (``scopus_csv``), and the small helpers the other paper parsers share.

Three layouts are known and read by column name, so added or removed columns do not matter:

* 2017 and earlier (30 columns): ``Authors`` joined with ``", "`` ("Rahmani A.M., Gia T.N."), no
  ``Author(s) ID`` / ``Author full names``;
* 2018-2022 (45 columns, UTF-8 BOM): ``Author(s) ID`` added, authors still joined with ``", "``;
* 2023 on: ``Authors`` joined with ``"; "`` ("Liu F.; Li C."), ``Author full names``
  ("Liu, Fengyuan (60410297700); ...") which we prefer as the author names.

The separator is decided per row: a ``;`` in the cell means the new layout. In the old one a name
suffix written as its own comma field ("Oliveira A., Jr.") is joined back to its name.

``Authors with affiliations`` holds one ``"; "``-separated entry per author: the author's name
("Liu F." or, in old files, "Phillips, J.C.") then that author's affiliations joined with ``", "``.
The name is recognised by comparing it with the ``Authors`` cell, and the rest is cut into
affiliations by matching it against the ``Affiliations`` column (the distinct affiliations,
``"; "``-joined); a rest that matches nothing is kept as one address. Scopus writes some
characters as HTML entities (``&#x2013;``), whose ``;`` would split a list: entities are decoded first.

Some Scopus exports carry more cells than headers: the 2018-2022 header names one
``Funding Text 1`` column but rows with a second funding text have one cell more (litstudy's
file: 56 of 58 rows). Such a row is realigned by dropping the surplus funding-text cells when the
result checks out (``EID`` is an EID, ``Source`` is "Scopus", the ``Link`` names the same EID), with
a warning; a row that cannot be realigned is a bad record.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import ClassVar

from mining.errors import Location
from mining.ingest.base import BadRecords, Row, register, split_multi, to_int
from mining.ingest.common import CsvParser, AddressBook, clean, first_line_cells, paper_row
from mining.schema import normalise_doi, normalise_issn

# ----------------------------------------------------------------------------------------------
# Scopus

_ENTITY = re.compile(r"&(?:#[xX][0-9a-fA-F]{1,6}|#\d{1,7}|[A-Za-z][A-Za-z0-9]{1,7});")
_EID = re.compile(r"^2-s2\.0-\d+$")
_FUNDING_TEXT = re.compile(r"^Funding Texts?( \d+)?$")
_AUTHOR_ID = re.compile(r"\s*\(\d+\)\s*$")
_NAME_SUFFIX = re.compile(r"^(?:Jr|Sr|II|III|IV|V|2nd|3rd)\.?$", re.IGNORECASE)
_INITIALS = re.compile(r"^(?:[A-Z\u00C0-\u024F][a-z]?\.[\s-]*)+$")

REQUIRED = ("Authors", "Title", "Year", "Source title", "EID")


def unescape(text: str | None) -> str | None:
    """Decode HTML entities Scopus leaves in text (``&#x2013;`` -> '–'); only complete ``&...;`` forms."""
    if not text or "&" not in text:
        return text
    return _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)


def split_scopus_authors(cell: str | None) -> list[str]:
    """Names from an ``Authors`` cell, old (``", "``) or new (``"; "``) separator, '[No author ...]' -> []."""
    text = clean(cell)
    if text is None or text.startswith("[No author"):
        return []
    if ";" in text:
        return split_multi(text, ";")
    names: list[str] = []
    for part in split_multi(text, ","):
        if names and _NAME_SUFFIX.match(part):
            names[-1] = f"{names[-1]}, {part}"  # "Oliveira A., Jr." is one author
        else:
            names.append(part)
    return names


def _name_key(name: str) -> str:
    return re.sub(r"[\s,.\-]", "", name).lower()


def _segment(fields: list[str], known: set[str]) -> list[str] | None:
    """Cut ``fields`` (an entry split on ", ") into consecutive runs that are each a known affiliation.

    Longest runs first; None when no cut uses known affiliations only.
    """
    n = len(fields)
    best: list[list[str] | None] = [None] * (n + 1)
    best[n] = []
    for i in range(n - 1, -1, -1):
        for j in range(n, i, -1):
            rest = best[j]
            if rest is None:
                continue
            candidate = ", ".join(fields[i:j])
            if candidate in known:
                best[i] = [candidate, *rest]
                break
    return best[0]


def link_scopus_affiliations(short_names: list[str], with_affiliations: str | None, affiliations: str | None) -> AddressBook:
    """Addresses and author links from ``Authors with affiliations`` (see the module docstring).

    ``short_names`` are the ``Authors`` names, whose positions are the author indexes. Affiliations of
    the ``Affiliations`` column that no author entry names are appended unlinked.
    """
    book = AddressBook()
    known_list = split_multi(unescape(clean(affiliations)), "; ")
    known = set(known_list)
    entries = split_multi(unescape(clean(with_affiliations)), "; ")
    positional = len(entries) == len(short_names)
    keys = [_name_key(name) for name in short_names]
    cursor = 0
    for number, entry in enumerate(entries):
        fields = [f.strip() for f in entry.split(", ")]
        author: int | None = None
        width: int | None = None
        candidates = [number] if positional else list(range(cursor, len(keys))) + list(range(0, cursor))
        for index in candidates:
            for size in (1, 2, 3):
                if size <= len(fields) and _name_key(", ".join(fields[:size])) == keys[index]:
                    author, width = index, size
                    break
            if width is not None:
                break
        if width is None:
            # Name not recognised: "Surname, I." (old layout) takes two fields, "Surname I." one.
            width = 2 if len(fields) > 1 and _INITIALS.match(fields[1]) else 1
            author = number if positional else None
        else:
            cursor = author if author is not None else cursor
        rest = fields[width:]
        if not rest:
            continue
        parts = _segment(rest, known) if known else None
        for address in parts or [", ".join(rest)]:
            book.link(author, address)
    for address in known_list:
        book.add(address)
    return book


def realign_row(header: list[str], cells: list[str]) -> list[str] | None:
    """Drop surplus funding-text cells from a row longer than the header, or None when that does not fit."""
    surplus = len(cells) - len(header)
    funding = [i for i, name in enumerate(header) if _FUNDING_TEXT.match(name)]
    if surplus <= 0 or not funding or "EID" not in header:
        return None
    last = funding[-1]
    candidate = cells[: last + 1] + cells[last + 1 + surplus :]
    eid = candidate[header.index("EID")].strip()
    if not _EID.match(eid):
        return None
    if "Source" in header and candidate[header.index("Source")].strip() not in ("Scopus", ""):
        return None
    if "Link" in header:
        match = re.search(r"[?&]eid=([^&]+)", candidate[header.index("Link")])
        if match and match.group(1) != eid:
            return None
    return candidate


@register
class ScopusCsv(CsvParser):
    """Scopus "CSV" export, any of the three known layouts (read by column name)."""

    name: ClassVar[str] = "scopus_csv"
    source: ClassVar[str] = "scopus"
    kind: ClassVar[str] = "paper"
    description: ClassVar[str] = "Scopus CSV export (2017, 2018-2022 and 2023+ layouts)"
    priority: ClassVar[int] = 10

    @classmethod
    def sniff(cls, path: Path, head: str) -> bool:
        header = first_line_cells(head)
        return "EID" in header and "Source title" in header

    required: ClassVar[tuple[str, ...]] = REQUIRED
    layout_name: ClassVar[str] = "Scopus CSV"
    realign = staticmethod(realign_row)

    def _row(self, path: Path, record_no: int, line_no: int, cells: dict[str, str], bad: BadRecords) -> Row | None:
        def get(name: str) -> str | None:
            return unescape(clean(cells.get(name)))

        def where(name: str) -> Location:
            return Location(path, line=line_no, record=record_no, field=name)

        eid = get("EID")
        title = get("Title")
        if eid is None and title is None:
            bad.fail(where("EID"), "record has neither an EID nor a title")
            return None
        if eid is not None and not _EID.match(eid):
            bad.warn(where("EID"), f"not a Scopus EID: {eid[:40]!r}")
        year = to_int(get("Year"), bad, where("Year"))
        short_names = split_scopus_authors(get("Authors"))
        full_names = [_AUTHOR_ID.sub("", name) for name in split_multi(get("Author full names"), ";")]
        authors = full_names if full_names and len(full_names) == len(short_names) else short_names
        book = link_scopus_affiliations(short_names, cells.get("Authors with affiliations"), cells.get("Affiliations"))
        doi_raw = get("DOI")
        doi = normalise_doi(doi_raw)
        if doi_raw and doi is None:
            bad.warn(where("DOI"), f"not a DOI: {doi_raw[:40]!r}")
        abstract = get("Abstract")
        if abstract and abstract.startswith("[No abstract available]"):
            abstract = None
        cited_by = to_int(get("Cited by"), bad, where("Cited by"))
        return paper_row(
            self,
            path,
            record_no,
            line_no,
            source_id=eid,
            title=title,
            year=year,
            doc_type_raw=get("Document Type"),
            abstract=abstract,
            author_keywords=split_multi(get("Author Keywords"), ";"),
            index_keywords=split_multi(get("Index Keywords"), ";"),
            language=get("Language of Original Document"),
            venue=get("Source title"),
            issn=normalise_issn(get("ISSN")),
            doi=doi,
            authors=authors,
            addresses=book.addresses,
            author_address=book.links,
            reprint_address=get("Correspondence Address"),
            cited_by=cited_by,
        )
