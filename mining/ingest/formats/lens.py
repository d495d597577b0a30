"""Lens.org scholarly works CSV export (``lens_scholarly_csv``).

Multi-valued cells are joined with ``"; "``. The scholarly export has no affiliations, so
``addresses`` stays empty. ``ISSNs`` lists up to two ISSNs without hyphens and without saying
which is print and which electronic (the sample has both orders): the first goes to ``issn``, the
second to ``eissn``. ``Fields of Study`` and ``MeSH Terms`` are the indexer keywords.

The Lens *patent* CSV also has a ``Lens ID`` column; it is recognised by ``Jurisdiction`` and is
not claimed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from mining.errors import Location
from mining.ingest.base import BadRecords, Row, register, split_multi, to_int
from mining.ingest.common import CsvParser, clean, first_line_cells, paper_row
from mining.schema import normalise_doi, normalise_issn

REQUIRED = ("Lens ID", "Title", "Publication Year")


@register
class LensScholarlyCsv(CsvParser):
    """Lens.org scholarly search results exported as CSV."""

    name: ClassVar[str] = "lens_scholarly_csv"
    source: ClassVar[str] = "lens"
    kind: ClassVar[str] = "paper"
    description: ClassVar[str] = "Lens.org scholarly works CSV export"
    priority: ClassVar[int] = 10

    @classmethod
    def sniff(cls, path: Path, head: str) -> bool:
        header = first_line_cells(head)
        return "Lens ID" in header and "Publication Type" in header and "Jurisdiction" not in header

    required: ClassVar[tuple[str, ...]] = REQUIRED
    layout_name: ClassVar[str] = "Lens scholarly CSV"

    def _row(self, path: Path, record_no: int, line_no: int, cells: dict[str, str], bad: BadRecords) -> Row | None:
        def get(name: str) -> str | None:
            return clean(cells.get(name))

        def where(name: str) -> Location:
            return Location(path, line=line_no, record=record_no, field=name)

        lens_id = get("Lens ID")
        title = get("Title")
        if lens_id is None:
            bad.fail(where("Lens ID"), "record has no Lens ID")
            return None
        issns = [issn for issn in (normalise_issn(v) for v in split_multi(get("ISSNs"), ";")) if issn]
        doi_raw = get("DOI")
        doi = normalise_doi(doi_raw)
        if doi_raw and doi is None:
            bad.warn(where("DOI"), f"not a DOI: {doi_raw[:40]!r}")
        year = to_int(get("Publication Year"), bad, where("Publication Year"))
        return paper_row(
            self,
            path,
            record_no,
            line_no,
            source_id=lens_id,
            title=title,
            year=year,
            doc_type_raw=get("Publication Type"),
            abstract=get("Abstract"),
            author_keywords=split_multi(get("Keywords"), ";"),
            index_keywords=split_multi(get("Fields of Study"), ";") + split_multi(get("MeSH Terms"), ";"),
            venue=get("Source Title"),
            issn=issns[0] if issns else None,
            eissn=issns[1] if len(issns) > 1 else None,
            pub_date=get("Date Published") or (str(year) if year is not None else None),
            doi=doi,
            authors=split_multi(get("Author/s"), ";"),
            addresses=[],
            author_address=[],
            cited_by=to_int(get("Citing Works Count"), bad, where("Citing Works Count")),
        )
