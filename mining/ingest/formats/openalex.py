"""OpenAlex: the web-UI CSV download (``openalex_csv``) and works JSON (``openalex_json``).

**CSV.** Columns are dotted paths of the Work object (``authorships.author.display_name``, ...),
and every list is flattened with ``"|"``, across authors *and* within an author. So
``authorships.institutions.display_name`` has one slot per institution of each author, and an empty
slot for an author without one: 2 authors with 2 institutions each give 4 slots ("A|B|A|B").
The author boundaries are recovered when they are certain: as many slots as authors (one or none
each), or the slots repeating the same block once per author. Otherwise the institutions are kept
as addresses without author links (with a warning). ``authorships.countries`` is flattened the same
way (one slot per distinct country of each author); when it has one slot per author, or the record
has a single country, the code goes to ``address_countries`` beside each institution (the web CSV has
no raw affiliation strings).

**JSON.** A JSON array of works (streamed with :meth:`json.JSONDecoder.raw_decode` over a buffer,
never read whole), JSON lines (one work, or one API result page ``{"meta", "results"}``, per line),
optionally gzip-compressed. Both shapes of the Work object are read:

* legacy (2022): ``host_venue``, ``concepts``, ``authorships[].raw_affiliation_string`` (one string;
  its ``;`` are *not* separators: "Newcastle University; UK" is one address);
* current: ``primary_location.source``, ``topics``, ``authorships[].raw_affiliation_strings`` (a list),
  ``authorships[].affiliations[].raw_affiliation_string``, ``authorships[].institutions[]``.

Addresses are the raw affiliation strings (``address_countries`` gets the institutions' country when
they agree on one); an author without one gets the institution names and their countries. The abstract is rebuilt from ``abstract_inverted_index``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar, Iterator

from mining.errors import InputError, Location
from mining.ingest.base import BadRecords, Parser, Row, register, split_multi, to_int
from mining.ingest.common import CsvParser, AddressBook, clean, first_line_cells, paper_row
from mining.ingest.formats.scopus import unescape
from mining.ingest.jsonstream import JsonItem, JsonProblem, compressed_input_errors, iter_json, open_maybe_gzip, text_head
from mining.schema import normalise_doi, normalise_issn

_OPENALEX_ID = re.compile(r"^(?:https?://openalex\.org/)?([WwAaSsIiVv]\d+)$")

# ----------------------------------------------------------------------------------------------
# Work helpers


def short_id(value: Any) -> str | None:
    """``'https://openalex.org/W4200035428'`` -> ``'W4200035428'``; None when it is not an OpenAlex id."""
    text = clean(value)
    if text is None:
        return None
    match = _OPENALEX_ID.match(text)
    return match.group(1).upper() if match else None


def rebuild_abstract(index: Any) -> str | None:
    """Text from OpenAlex's ``abstract_inverted_index`` ({word: [positions]})."""
    if not isinstance(index, dict) or not index:
        return None
    placed: dict[int, str] = {}
    for word, positions in index.items():
        if not isinstance(positions, list):
            continue
        for position in positions:
            if isinstance(position, int):
                placed[position] = word
    if not placed:
        return None
    return " ".join(placed[p] for p in sorted(placed))


def _names(items: Any, key: str = "display_name") -> list[str]:
    out: list[str] = []
    if isinstance(items, list):
        for item in items:
            name = clean(item.get(key)) if isinstance(item, dict) else None
            if name and name not in out:
                out.append(name)
    return out


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _slots(cell: str | None) -> list[str]:
    """A '|'-joined CSV cell as slots, keeping empty slots (they mark authors without a value)."""
    if cell is None or not cell.strip():
        return []
    return [part.strip() for part in cell.split("|")]


def partition_slots(slots: list[str], authors: int) -> list[list[str]] | None:
    """Per-author values from flattened slots, when the boundaries are certain (see the module docstring)."""
    if authors == 0 or not slots:
        return None
    if len(slots) == authors:
        return [[slot] if slot else [] for slot in slots]
    if len(slots) % authors == 0:
        size = len(slots) // authors
        blocks = [slots[i * size : (i + 1) * size] for i in range(authors)]
        if all(block == blocks[0] for block in blocks):
            return [[slot for slot in block if slot] for block in blocks]
    return None


# ----------------------------------------------------------------------------------------------
# Parsers


@register
class OpenAlexCsv(CsvParser):
    """OpenAlex web-UI "Download > CSV" of a works search."""

    name: ClassVar[str] = "openalex_csv"
    source: ClassVar[str] = "openalex"
    kind: ClassVar[str] = "paper"
    description: ClassVar[str] = "OpenAlex works CSV (web UI download)"
    priority: ClassVar[int] = 10

    @classmethod
    def sniff(cls, path: Path, head: str) -> bool:
        header = first_line_cells(head)
        if "id" not in header or not ("display_name" in header or "title" in header):
            return False
        return any(name.startswith("authorships.") for name in header) or "openalex.org/W" in head

    required: ClassVar[tuple[str, ...]] = ("id",)
    layout_name: ClassVar[str] = "OpenAlex CSV"

    def _row(self, path: Path, record_no: int, line_no: int, cells: dict[str, str], bad: BadRecords) -> Row | None:
        def get(name: str) -> str | None:
            return clean(cells.get(name))

        def where(name: str) -> Location:
            return Location(path, line=line_no, record=record_no, field=name)

        work_id = short_id(get("id"))
        if work_id is None or not work_id.startswith("W"):
            bad.fail(where("id"), f"not an OpenAlex work id: {get('id')!r}")
            return None
        authors = [name for name in _slots(get("authorships.author.display_name")) if name]
        book = self._addresses(authors, get("authorships.institutions.display_name"), get("authorships.countries"), bad, where)
        keywords: list[str] = []
        for column in ("topics.display_name", "primary_topic.display_name", "concepts.display_name", "keywords.display_name"):
            for value in split_multi(get(column), "|"):
                if value not in keywords:
                    keywords.append(value)
        year = to_int(get("publication_year"), bad, where("publication_year"))
        title = get("display_name") or get("title")
        return paper_row(
            self,
            path,
            record_no,
            line_no,
            source_id=work_id,
            title=title,
            year=year,
            doc_type_raw=get("type"),
            abstract=get("abstract"),
            index_keywords=keywords,
            language=get("language"),
            venue=get("primary_location.source.display_name"),
            issn=normalise_issn(get("primary_location.source.issn_l")),
            pub_date=get("publication_date") or (str(year) if year is not None else None),
            doi=normalise_doi(get("doi")),
            authors=authors,
            addresses=book.addresses,
            address_countries=book.countries,
            author_address=book.links,
            cited_by=to_int(get("cited_by_count"), bad, where("cited_by_count")),
        )

    @staticmethod
    def _addresses(authors: list[str], institutions: str | None, countries: str | None, bad: BadRecords, where: Any) -> AddressBook:
        book = AddressBook()
        slots = _slots(institutions)
        if not slots:
            return book
        per_author = partition_slots(slots, len(authors))
        country_slots = _slots(countries)
        distinct = {c for c in country_slots if c}
        author_country: list[str | None] | None = None
        if len(country_slots) == len(authors):
            author_country = [c or None for c in country_slots]
        single = next(iter(distinct)) if len(distinct) == 1 else None
        if per_author is None:
            bad.warn(
                where("authorships.institutions.display_name"),
                f"{len(slots)} institution slots for {len(authors)} authors: kept without author links",
            )
            for name in slots:
                book.add(name, single)
            return book
        for author, names in enumerate(per_author):
            country = author_country[author] if author_country is not None else single
            for name in names:
                book.link(author, name, country)
        return book


@register
class OpenAlexJson(Parser):
    """OpenAlex works as JSON (array or JSON lines, optionally .gz), legacy 2022 and current Work shapes."""

    name: ClassVar[str] = "openalex_json"
    source: ClassVar[str] = "openalex"
    kind: ClassVar[str] = "paper"
    description: ClassVar[str] = "OpenAlex works JSON / JSON lines (API or snapshot; 2022 and current shapes)"
    priority: ClassVar[int] = 10

    @classmethod
    def sniff(cls, path: Path, head: str) -> bool:
        text = text_head(path, head).lstrip()
        return text[:1] in ("[", "{") and "openalex.org/W" in text

    def records(self, path: Path, bad: BadRecords) -> Iterator[Row]:
        if path.stat().st_size == 0:
            raise InputError(Location(path, line=1), "the file is empty", "export the records again")
        record_no = 0
        with compressed_input_errors(path), open_maybe_gzip(path) as handle:
            for item in iter_json(handle):
                if isinstance(item, JsonProblem):
                    record_no += 1
                    problem = item.message + ("; the rest of the file cannot be read" if item.fatal else "")
                    bad.fail(Location(path, line=item.line, record=record_no), problem)
                    if item.fatal:
                        return
                    continue
                value = item.value
                works = value["results"] if isinstance(value, dict) and isinstance(value.get("results"), list) else [value]
                for work in works:
                    record_no += 1
                    row = self._row(path, record_no, item, work, bad)
                    if row is not None:
                        yield row

    def _row(self, path: Path, record_no: int, item: JsonItem, work: Any, bad: BadRecords) -> Row | None:
        location = Location(path, line=item.line, record=record_no)

        def where(name: str) -> Location:
            return Location(path, line=item.line, record=record_no, field=name)

        if not isinstance(work, dict):
            bad.fail(location, f"expected a work object, found {type(work).__name__}")
            return None
        work_id = short_id(work.get("id")) or short_id(_dict(work.get("ids")).get("openalex"))
        if work_id is None or not work_id.startswith("W"):
            bad.fail(where("id"), f"work has no OpenAlex W id (id: {str(work.get('id'))[:60]!r})")
            return None
        authors: list[str] = []
        book = AddressBook()
        authorships = work.get("authorships") if isinstance(work.get("authorships"), list) else []
        for authorship in authorships:
            authorship = _dict(authorship)
            name = clean(_dict(authorship.get("author")).get("display_name")) or clean(authorship.get("raw_author_name"))
            if name is None:
                bad.warn(where("authorships"), "authorship without an author name dropped")
                continue
            index = len(authors)
            authors.append(name)
            for address, country in self._authorship_addresses(authorship):
                book.link(index, address, country)
        location_obj = _dict(work.get("primary_location"))
        venue_obj = _dict(location_obj.get("source")) or _dict(work.get("host_venue"))
        issns = venue_obj.get("issn") if isinstance(venue_obj.get("issn"), list) else []
        keywords = _names(work.get("topics")) + _names(work.get("concepts"))
        keywords = list(dict.fromkeys(keywords))
        year = work.get("publication_year")
        if year is not None and not isinstance(year, int):
            year = to_int(str(year), bad, where("publication_year"))
        cited_by = work.get("cited_by_count")
        if cited_by is not None and not isinstance(cited_by, int):
            cited_by = to_int(str(cited_by), bad, where("cited_by_count"))
        title = unescape(clean(work.get("title"))) or unescape(clean(work.get("display_name")))
        doi = normalise_doi(clean(work.get("doi")) or clean(_dict(work.get("ids")).get("doi")))
        return paper_row(
            self,
            path,
            record_no,
            None if item.in_array else item.line,
            source_id=work_id,
            title=title,
            year=year,
            doc_type_raw=clean(work.get("type")),
            abstract=rebuild_abstract(work.get("abstract_inverted_index")),
            index_keywords=keywords,
            language=clean(work.get("language")),
            venue=unescape(clean(venue_obj.get("display_name"))),
            issn=normalise_issn(clean(venue_obj.get("issn_l")) or (clean(issns[0]) if issns else None)),
            pub_date=clean(work.get("publication_date")) or (str(year) if year is not None else None),
            doi=doi,
            authors=authors,
            addresses=book.addresses,
            address_countries=book.countries,
            author_address=book.links,
            cited_by=cited_by,
        )

    @staticmethod
    def _authorship_addresses(authorship: dict[str, Any]) -> list[tuple[str, str | None]]:
        """(address, country code) of one authorship (either shape): its raw affiliation strings, with the
        country when all its institutions share one; else its institutions' names and countries."""
        raw: list[str] = []
        strings = authorship.get("raw_affiliation_strings")
        if isinstance(strings, list):
            raw = [s for s in strings if isinstance(s, str)]
        elif isinstance(authorship.get("raw_affiliation_string"), str):
            raw = [authorship["raw_affiliation_string"]]
        if not raw and isinstance(authorship.get("affiliations"), list):
            raw = [a["raw_affiliation_string"] for a in authorship["affiliations"] if isinstance(a, dict) and isinstance(a.get("raw_affiliation_string"), str)]
        institutions = [_dict(i) for i in authorship.get("institutions") or []]
        countries = {clean(i.get("country_code")) for i in institutions} - {None}
        only_country = next(iter(countries)) if len(countries) == 1 else None
        cleaned = [clean((unescape(s) or "").strip().rstrip(";")) for s in raw]
        addresses = [(s, only_country) for s in cleaned if s]
        if addresses:
            return addresses
        out: list[tuple[str, str | None]] = []
        for institution in institutions:
            name = unescape(clean(institution.get("display_name")))
            if name:
                out.append((name, clean(institution.get("country_code"))))
        return out
