"""IEEE Xplore CSV export (``ieee_csv``).

The header starts ``"Document Title",Authors,"Author Affiliations",...``. ``Authors`` and
``Author Affiliations`` are both ``";"``-separated and aligned: affiliation *i* is author *i*'s (one
affiliation per author). When the two lists differ in length the alignment cannot be trusted, so
the affiliations are kept as addresses without author links and a warning is recorded.
Multi-valued keyword cells are ``";"``-separated without spaces.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from mining.errors import Location
from mining.ingest.base import BadRecords, Row, register, split_multi, to_int
from mining.ingest.common import CsvParser, AddressBook, clean, first_line_cells, paper_row
from mining.schema import normalise_doc_type, normalise_doi, normalise_issn

REQUIRED = ("Document Title", "Authors", "Author Affiliations", "Publication Year")

_ARNUMBER = re.compile(r"arnumber=(\d+)")

# "Document Identifier" says where the record lives in Xplore; map what the generic table misses.
_DOC_TYPES = {
    "ieee journals": "article",
    "ieee magazines": "article",
    "ieee early access articles": "article",
    "ibm journals": "article",
    "iet journals": "article",
    "aip journals": "article",
    "tup journals": "article",
    "vde journals": "article",
    "ieee conferences": "conference_paper",
    "iet conferences": "conference_paper",
    "vde conferences": "conference_paper",
    "ieee standards": "other",
    "ieee courses": "other",
    "wiley-ieee press ebook chapters": "book_chapter",
    "mit press ebook chapters": "book_chapter",
    "ieee books": "book",
}


def ieee_doc_type(raw: str | None) -> str:
    """Normalised type from ``Document Identifier`` ("IEEE Journals", "IEEE Conferences", ...)."""
    if not raw:
        return "other"
    known = _DOC_TYPES.get(raw.strip().lower())
    if known:
        return known
    lowered = raw.lower()
    if "journal" in lowered or "magazine" in lowered or "article" in lowered:
        return "article"
    if "conference" in lowered:
        return "conference_paper"
    return normalise_doc_type(raw)


def _aligned(cell: str | None) -> list[str]:
    """Split on ';' keeping empty slots (an author without affiliation), dropping a trailing empty one."""
    text = clean(cell)
    if text is None:
        return []
    parts = [part.strip() for part in text.split(";")]
    while parts and not parts[-1]:
        parts.pop()
    return parts


@register
class IeeeCsv(CsvParser):
    """IEEE Xplore "Export > CSV" of search results."""

    name: ClassVar[str] = "ieee_csv"
    source: ClassVar[str] = "ieee"
    kind: ClassVar[str] = "paper"
    description: ClassVar[str] = "IEEE Xplore CSV export"
    priority: ClassVar[int] = 10

    @classmethod
    def sniff(cls, path: Path, head: str) -> bool:
        header = first_line_cells(head)
        return bool(header) and header[0] == "Document Title" and "Author Affiliations" in header

    required: ClassVar[tuple[str, ...]] = REQUIRED
    layout_name: ClassVar[str] = "IEEE Xplore CSV"

    def _row(self, path: Path, record_no: int, line_no: int, cells: dict[str, str], bad: BadRecords) -> Row | None:
        def get(name: str) -> str | None:
            return clean(cells.get(name))

        def where(name: str) -> Location:
            return Location(path, line=line_no, record=record_no, field=name)

        title = get("Document Title")
        link = get("PDF Link") or ""
        match = _ARNUMBER.search(link)
        source_id = match.group(1) if match else get("Article Number")
        if source_id is None and title is None:
            bad.fail(where("Document Title"), "record has neither an article number nor a title")
            return None
        if source_id is None:
            bad.warn(where("PDF Link"), "no article number (arnumber) in the PDF link")
        author_slots = _aligned(get("Authors"))
        authors = [name for name in author_slots if name]
        position = {slot: index for index, slot in enumerate(i for i, name in enumerate(author_slots) if name)}
        affiliations = _aligned(get("Author Affiliations"))
        book = AddressBook()
        if affiliations and len(affiliations) == len(author_slots):
            for slot, address in enumerate(affiliations):
                book.link(position.get(slot), address)
        else:
            if affiliations:
                bad.warn(
                    where("Author Affiliations"),
                    f"{len(affiliations)} affiliations for {len(author_slots)} authors: kept without author links",
                )
            for address in affiliations:
                book.add(address)
        index_keywords: list[str] = []
        for column in ("IEEE Terms", "INSPEC Controlled Terms"):
            for term in split_multi(get(column), ";"):
                if term not in index_keywords:
                    index_keywords.append(term)
        doc_type_raw = get("Document Identifier")
        doi_raw = get("DOI")
        doi = normalise_doi(doi_raw)
        if doi_raw and doi is None:
            bad.warn(where("DOI"), f"not a DOI: {doi_raw[:40]!r}")
        return paper_row(
            self,
            path,
            record_no,
            line_no,
            source_id=source_id,
            title=title,
            year=to_int(get("Publication Year"), bad, where("Publication Year")),
            doc_type_raw=doc_type_raw,
            doc_type=ieee_doc_type(doc_type_raw),
            abstract=get("Abstract"),
            author_keywords=split_multi(get("Author Keywords"), ";"),
            index_keywords=index_keywords,
            venue=get("Publication Title"),
            issn=normalise_issn(get("ISSN")),
            doi=doi,
            authors=authors,
            addresses=book.addresses,
            author_address=book.links,
            cited_by=to_int(get("Article Citation Count"), bad, where("Article Citation Count")),
        )
