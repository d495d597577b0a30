"""Helpers shared by the paper parsers (scopus, ieee, lens, openalex, arxiv): cell cleaning, header
sniffing, address books with author links, and the columns every paper row sets the same way."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterator

from mining.ingest.base import BadRecords, Parser, Row, csv_rows
from mining.schema import normalise_doc_type, record_id


def clean(value: Any) -> str | None:
    """A cell as text, stripped; empty cells and R's ``NA`` (bibliometrix-written files) become None."""
    if value is None:
        return None
    text = str(value).strip()
    return None if text in ("", "NA") else text


def first_line_cells(head: str) -> list[str]:
    """The header cells of a CSV head (the first physical line; headers have no embedded newlines)."""
    lines = head.splitlines()
    if not lines:
        return []
    try:
        return [cell.strip() for cell in next(csv.reader([lines[0]]))]
    except (csv.Error, StopIteration):
        return []


@dataclass
class AddressBook:
    """Distinct addresses in first-seen order plus author->address links, as the schema stores them."""

    addresses: list[str] = field(default_factory=list)
    #: ISO country code per address ('' when the source gives none), aligned with ``addresses``.
    countries: list[str] = field(default_factory=list)
    links: list[dict[str, int]] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict)
    _linked: set[tuple[int, int]] = field(default_factory=set)

    def add(self, address: str | None, country: str | None = None) -> int | None:
        """Index of ``address`` (added when new, with its ISO country code when the source states one);
        None for a blank one."""
        address = clean(address)
        if address is None:
            return None
        if address not in self._index:
            self._index[address] = len(self.addresses)
            self.addresses.append(address)
            self.countries.append((clean(country) or "").upper())
        elif country and not self.countries[self._index[address]]:
            self.countries[self._index[address]] = country.strip().upper()
        return self._index[address]

    def link(self, author: int | None, address: str | None, country: str | None = None) -> None:
        """Add ``address`` and, when ``author`` is known, link it to that author (each pair once)."""
        index = self.add(address, country)
        if index is None or author is None or (author, index) in self._linked:
            return
        self._linked.add((author, index))
        self.links.append({"author": author, "address": index})


def paper_row(
    parser: type[Parser] | Parser,
    path: Path,
    record_no: int,
    line_no: int | None,
    *,
    source_id: str | None,
    title: str | None,
    year: int | None,
    doc_type_raw: str | None = None,
    doc_type: str | None = None,
    **fields: Any,
) -> Row:
    """A schema row for a paper with the columns every parser sets the same way.

    ``doc_type`` defaults to :func:`~mining.schema.normalise_doc_type` of ``doc_type_raw``; ``pub_date``
    defaults to the year.
    """
    row: Row = {
        "record_id": record_id(parser.source, source_id, title, year),
        "source": parser.source,
        "source_format": parser.name,
        "source_id": source_id,
        "kind": "paper",
        "doc_type": doc_type or normalise_doc_type(doc_type_raw),
        "doc_type_raw": doc_type_raw,
        "title": title,
        "year": year,
        "file": path.name,
        "record_no": record_no,
        "line_no": line_no,
    }
    row.update(fields)
    if row.get("pub_date") is None and year is not None:
        row["pub_date"] = str(year)
    return row


class CsvParser(Parser):
    """A CSV export read row by row through :func:`~mining.ingest.base.csv_rows`.

    Subclasses set ``required`` and ``layout_name`` (for the header check and its error message),
    optionally ``realign`` (see ``csv_rows``), and implement ``_row``, which returns a schema row or
    None for a record it reported as bad.
    """

    required: ClassVar[tuple[str, ...]] = ()
    layout_name: ClassVar[str] = "CSV"
    realign: ClassVar[Callable[[list[str], list[str]], list[str] | None] | None] = None

    def records(self, path: Path, bad: BadRecords) -> Iterator[Row]:
        realign = type(self).realign
        for record_no, line_no, cells in csv_rows(path, bad, required=self.required, layout_name=self.layout_name,
                                                  realign=realign):
            row = self._row(path, record_no, line_no, cells, bad)
            if row is not None:
                yield row

    def _row(self, path: Path, record_no: int, line_no: int, cells: dict[str, str], bad: BadRecords) -> Row | None:
        raise NotImplementedError
