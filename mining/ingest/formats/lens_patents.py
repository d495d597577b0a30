"""Lens.org patent search export (CSV).

Header (Lens documentation; an export may add columns such as ``Kind``, ``Inventors``, ``URL``,
``Extended Family ...`` and ``Legal Status`` depending on the fields chosen)::

    "#",Jurisdiction,Display Key,Lens ID,Publication Date,Publication Year,Application Number,
    Application Date,Priority Numbers,Earliest Priority Date,Title,Abstract,Applicants,Owners,
    Document Type,Has Full Text,Cites Patent Count,Cited by Patent Count,Simple Family Size,
    Simple Family Members,Simple Family Member Jurisdictions,CPC Classifications,IPCR Classifications

Multi-valued cells are joined with ``;;`` (often ``";; "``). Priority numbers are written
``"US 201916580123 A 2019-09-24"`` (office, number, kind, date): ``priority_numbers`` keeps each one
without its trailing date and ``priority_countries`` is its two-letter office, aligned with it.
``Document Type`` is Lens's publication type ("Granted Patent", "Patent Application", "Design Right",
"Search Report", ...). Owners, used only where there are no applicants, may carry a recorded date in
brackets, which is dropped.

Not to be confused with the Lens *scholarly* export, which also has ``Lens ID`` but has
``Publication Type`` and no ``Jurisdiction``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from mining.errors import Location
from mining.ingest.base import BadRecords, Parser, Row, csv_rows, register, split_multi, to_int
from mining.ingest.common import first_line_cells
from mining.ingest.formats.google_patents import doc_type_from_kind, hyphenate_publication_number, parse_date
from mining.schema import normalise_ipc, record_id

SOURCE = "lens_patents"
SEP = ";;"

_REQUIRED = ("Lens ID", "Jurisdiction", "Title", "Publication Date", "Document Type")

_DOC_TYPES = {
    "granted patent": "granted_patent",
    "amended patent": "granted_patent",
    "patent application": "patent_application",
    "amended application": "patent_application",
}

_PRIORITY = re.compile(r"^([A-Z]{2})(?:\s+|(?=\d))(.+?)(?:\s+(\d{4}-\d{2}-\d{2}))?$")
_PCT = re.compile(r"^PCT/([A-Z]{2}\d{2,4}/\d+)(?:\s+(\d{4}-\d{2}-\d{2}))?$")
_OWNER_DATE = re.compile(r"\s*\(\d{4}-\d{2}-\d{2}\)\s*$")
_DISPLAY_KIND = re.compile(r"\s([A-Z]\d?)$")


def parse_priority(value: str) -> tuple[str, str] | None:
    """``'US 201916580123 A 2019-09-24'`` -> ``('US 201916580123 A', 'US')``: the number as written without its
    date, and its office; None when there is no office code.

    A PCT application number (``'PCT/EP2020/012345'``) is an international (WO) priority.
    """
    text = value.strip()
    pct = _PCT.match(text)
    if pct:
        return text[: pct.start(2)].strip() if pct.group(2) else text, "WO"
    match = _PRIORITY.match(text)
    if not match:
        return None
    number = text[: match.start(3)].strip() if match.group(3) else text
    return number, match.group(1)


@register
class LensPatentsCsv(Parser):
    """Lens.org patent search results exported as CSV."""

    name = "lens_patents_csv"
    source = SOURCE
    kind = "patent"
    description = "Lens.org patent export CSV (Jurisdiction, Display Key, Lens ID, ';;'-joined lists)"
    priority = 50

    @classmethod
    def sniff(cls, path: Path, head: str) -> bool:
        header = set(first_line_cells(head))
        return {"Lens ID", "Jurisdiction"} <= header and bool({"Display Key", "Document Type"} & header)

    def records(self, path: Path, bad: BadRecords) -> Iterator[Row]:
        for record_no, line_no, row in csv_rows(path, bad, required=_REQUIRED, layout_name="Lens patent CSV"):

            def where(field: str) -> Location:
                return Location(path, line=line_no, record=record_no, field=field)

            lens_id = row["Lens ID"].strip()
            if not lens_id:
                bad.fail(where("Lens ID"), "no Lens ID")
                continue
            title = row["Title"].strip() or None
            pub_date = parse_date(row["Publication Date"], bad, where("Publication Date"))
            year = int(pub_date[:4]) if pub_date else to_int(row.get("Publication Year"), bad, where("Publication Year"))
            doc_type_raw = row["Document Type"].strip() or None
            doc_type = _DOC_TYPES.get((doc_type_raw or "").lower())
            if doc_type is None and doc_type_raw:
                doc_type = "patent"  # Design Right, Search Report, Limited Patent, Unknown, ...
            elif doc_type is None:
                # No document type at all: fall back on the kind code ("Kind" column or the Display Key).
                kind = row.get("Kind", "").strip() or self._kind_from_display_key(row.get("Display Key", ""))
                doc_type = doc_type_from_kind(row["Jurisdiction"], kind)
            priority_numbers: list[str] = []
            priority_countries: list[str] = []
            for value in split_multi(row.get("Priority Numbers"), SEP):
                parsed = parse_priority(value)
                if parsed is None:
                    bad.warn(where("Priority Numbers"), f"not a priority number: {value[:40]!r}")
                    continue
                priority_numbers.append(parsed[0])
                priority_countries.append(parsed[1])
            ipc = self._codes(row.get("IPCR Classifications"), bad, where("IPCR Classifications"))
            assignees = split_multi(row.get("Applicants"), SEP)
            if not assignees:
                assignees = [_OWNER_DATE.sub("", owner) for owner in split_multi(row.get("Owners"), SEP)]
            # The publication number (Display Key "CN 112418292 A" -> "CN-112418292-A", the form every patent
            # parser uses) is the source id, so dedup matches the same publication across sources; the
            # Lens ID is the fallback when the Display Key is not a publication number.
            source_id = hyphenate_publication_number(row.get("Display Key", "")) or lens_id
            yield {
                "record_id": record_id(SOURCE, source_id, title, year),
                "source": SOURCE,
                "source_format": self.name,
                "source_id": source_id,
                "kind": "patent",
                "doc_type": doc_type,
                "doc_type_raw": doc_type_raw,
                "title": title,
                "abstract": row.get("Abstract", "").strip() or None,
                "year": year,
                "pub_date": pub_date,
                "authors": split_multi(row.get("Inventors"), SEP),
                "assignees": assignees,
                "cited_by": to_int(row.get("Cited by Patent Count"), bad, where("Cited by Patent Count")),
                "ipc": ipc,
                "ipc_editions": [""] * len(ipc),  # the export does not say which IPC edition
                "cpc": self._codes(row.get("CPC Classifications"), bad, where("CPC Classifications")),
                "priority_numbers": priority_numbers,
                "priority_countries": priority_countries,
                "priority_date": parse_date(row.get("Earliest Priority Date"), bad, where("Earliest Priority Date")),
                "file": path.name,
                "record_no": record_no,
                "line_no": line_no,
            }

    @staticmethod
    def _kind_from_display_key(display_key: str) -> str:
        """``'US 11321613 B2'`` -> ``'B2'``."""
        match = _DISPLAY_KIND.search(display_key.strip())
        return match.group(1) if match else ""

    @staticmethod
    def _codes(cell: str | None, bad: BadRecords, location: Location) -> list[str]:
        result: list[str] = []
        for code in split_multi(cell, SEP):
            normalised = normalise_ipc(code)
            if normalised is None:
                bad.warn(location, f"not a classification code: {code[:30]!r}")
            elif normalised not in result:
                result.append(normalised)
        return result
