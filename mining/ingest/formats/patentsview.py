"""PatentsView bulk tables (USPTO granted patents), joined on ``patent_id``.

The user points ``mining ingest`` at ``g_patent.tsv`` or at the folder holding it; the sibling tables
in the same folder are joined to it:

==============================  =========================================================  =============
table                           columns used                                                if missing
==============================  =========================================================  =============
``g_patent.tsv``                patent_id, patent_type, patent_date, patent_title,          error
                                patent_abstract (older releases), wipo_kind, withdrawn
``g_ipc_at_issue.tsv``          section, ipc_class, subclass, main_group, subgroup,         warning
                                ipc_sequence, ipc_version_indicator
``g_cpc_current.tsv``           cpc_group (``G06N3/08``; older releases: cpc_subgroup),      warning
                                cpc_sequence
``g_assignee_disambiguated.tsv``  disambig_assignee_organization, ..._individual_name_first  warning
                                / _last, assignee_sequence
``g_inventor_disambiguated.tsv``  disambig_inventor_name_first / _last, inventor_sequence     ignored
``g_patent_abstract.tsv``       patent_abstract (current releases moved it out of g_patent)  warning if
                                                                                             g_patent has
                                                                                             no abstract
==============================  =========================================================  =============

The tables are tab-separated, text cells in double quotes, and have millions of rows, so nothing is
loaded whole. The bulk files are sorted by ``patent_id`` (as text: ``"10000000" < "9999999"``), so each
sibling is read once, in step with ``g_patent`` (a streaming merge-join, constant memory). A first
pass over each sibling checks that order on the raw bytes; a sibling that is not sorted is loaded into
a temporary on-disk DuckDB database (``read_csv``) and looked up batch by batch instead, which is
slower but correct for any order. If ``g_patent`` itself turns out not to be sorted, the siblings
switch to DuckDB from that point on (everything joined before was joined correctly).

Records: ``source_id`` is ``US-<patent_id>-<wipo_kind>`` (``US-10929046-B2``), the form Google Patents
uses, so the dedup step can match the two sources; ``pub_date`` is the grant date; IPC codes are built
from section + class + subclass + main group / subgroup, with their edition from
``ipc_version_indicator`` (``2006-01-01`` -> ``2006.01``); assignees are the organisation or, for an
individual, ``'Last, First'``; inventors likewise ``'Last, First'``.
"""

from __future__ import annotations

import csv
import logging
import re
import shutil
import tempfile
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Iterator, Protocol

from mining.errors import InputError, Location
from mining.ingest.base import BadRecords, Parser, Row, csv_rows, register
from mining.ingest.formats.google_patents import doc_type_from_kind, parse_date
from mining.schema import normalise_ipc, record_id

log = logging.getLogger(__name__)

SOURCE = "patentsview"
PATENT_TABLE = "g_patent.tsv"
_PATENT_REQUIRED = ("patent_id", "patent_type", "patent_date", "patent_title", "wipo_kind")
#: g_patent rows joined per step; bounds memory (and the size of one DuckDB lookup).
BATCH = 2_000

# (line in the sibling table or None when read through DuckDB, row)
SiblingRow = tuple[int | None, dict[str, str]]


@dataclass(frozen=True)
class Sibling:
    """A table joined to g_patent."""

    file: str
    key: str
    required: tuple[str, ...]
    sequence: str | None
    #: What is lost when the table is absent, for the warning (None: absent silently).
    missing_means: str | None


SIBLINGS: tuple[Sibling, ...] = (
    Sibling("g_ipc_at_issue.tsv", "ipc", ("patent_id", "section", "ipc_class", "subclass", "main_group", "subgroup"),
            "ipc_sequence", "IPC codes left empty"),
    Sibling("g_cpc_current.tsv", "cpc", ("patent_id",), "cpc_sequence", "CPC codes left empty"),
    Sibling("g_assignee_disambiguated.tsv", "assignee",
            ("patent_id", "disambig_assignee_individual_name_first", "disambig_assignee_individual_name_last",
             "disambig_assignee_organization"),
            "assignee_sequence", "assignees left empty"),
    Sibling("g_inventor_disambiguated.tsv", "inventor",
            ("patent_id", "disambig_inventor_name_first", "disambig_inventor_name_last"), "inventor_sequence", None),
    Sibling("g_patent_abstract.tsv", "abstract", ("patent_id", "patent_abstract"), None,
            "abstracts left empty (this g_patent.tsv has no patent_abstract column)"),
)


_SEQUENCE_COLUMN = {sibling.key: sibling.sequence for sibling in SIBLINGS}


class _OutOfOrder(Exception):
    """g_patent asked for a patent_id below one it asked for before: a merge-join cannot go back."""


class _Lookup(Protocol):
    path: Path

    def fetch(self, ids: list[str]) -> dict[str, list[SiblingRow]]: ...

    def close(self) -> None: ...


def _read_header(path: Path) -> list[str]:
    with open(path, "r", encoding="utf-8-sig", errors="replace", newline="") as handle:
        first = handle.readline()
    return [h.strip() for h in next(csv.reader([first], delimiter="\t"), [])]


def _check_header(path: Path, required: tuple[str, ...], table: str) -> list[str]:
    header = _read_header(path)
    if not header:
        raise InputError(Location(path, line=1), "the file is empty", "download the table again")
    missing = [name for name in required if name not in header]
    if missing:
        raise InputError(
            Location(path, line=1, field=", ".join(missing)),
            f"header is not the PatentsView {table} layout: missing column(s) {missing}",
            "use the PatentsView bulk download tables unchanged",
        )
    return header


def is_sorted_by_patent_id(path: Path) -> bool:
    """True when the first column never decreases (as text) down the file: one pass over the raw bytes.

    A cell with an embedded newline makes a junk "first column" on the next line; that can only make a
    sorted file look unsorted (then DuckDB is used: slower, still correct), never the reverse.
    """
    header = _read_header(path)
    if not header or header[0] != "patent_id":
        return False  # the byte scan reads the first column only
    previous = b""
    with open(path, "rb") as handle:
        handle.readline()  # header
        for line in handle:
            tab = line.find(b"\t")
            key = (line[:tab] if tab >= 0 else line.rstrip(b"\r\n")).strip().strip(b'"')
            if not key:
                continue
            if key < previous:
                return False
            previous = key
    return True


class MergeJoin:
    """A sibling table sorted by patent_id, handed out patent by patent in one forward pass."""

    def __init__(self, path: Path, rows: Iterator[tuple[int, int, dict[str, str]]]) -> None:
        self.path = path
        self._rows = rows
        self._next: SiblingRow | None = None
        self._asked: str | None = None
        self._advance()

    def _advance(self) -> None:
        item = next(self._rows, None)
        if item is None:
            self._next = None
            return
        _, line_no, row = item
        row["patent_id"] = row["patent_id"].strip()
        if self._next is not None and row["patent_id"] < self._next[1]["patent_id"]:
            raise InputError(
                Location(self.path, line=line_no, field="patent_id"),
                f"rows are not sorted by patent_id ({row['patent_id']!r} after {self._next[1]['patent_id']!r})",
                "use the PatentsView bulk tables unchanged, or sort the table by patent_id",
            )
        self._next = (line_no, row)

    def fetch(self, ids: list[str]) -> dict[str, list[SiblingRow]]:
        found: dict[str, list[SiblingRow]] = {}
        for patent_id in ids:
            if self._asked is not None and patent_id < self._asked:
                raise _OutOfOrder(patent_id)
            self._asked = patent_id
            while self._next is not None and self._next[1]["patent_id"] < patent_id:
                self._advance()
            while self._next is not None and self._next[1]["patent_id"] == patent_id:
                found.setdefault(patent_id, []).append(self._next)
                self._advance()
        return found

    def close(self) -> None:
        close = getattr(self._rows, "close", None)
        if close is not None:
            close()


class DuckDBLookup:
    """A sibling table in any order: copied once into an on-disk DuckDB table, then looked up per batch."""

    def __init__(self, path: Path, workdir: Path) -> None:
        import duckdb  # only needed for unsorted tables

        self.path = path
        self._con = duckdb.connect(str(workdir / f"{path.stem}.duckdb"))
        self._con.execute(
            "CREATE TABLE t AS SELECT * FROM read_csv(?, delim = '\t', header = true, all_varchar = true, "
            "quote = '\"', escape = '\"')",
            [str(path)],
        )
        self._columns = [row[0] for row in self._con.execute("DESCRIBE t").fetchall()]

    def fetch(self, ids: list[str]) -> dict[str, list[SiblingRow]]:
        found: dict[str, list[SiblingRow]] = {}
        result = self._con.execute("SELECT * FROM t WHERE trim(patent_id) IN (SELECT unnest(?::VARCHAR[]))", [ids])
        for values in result.fetchall():
            row = {name: ("" if value is None else value) for name, value in zip(self._columns, values)}
            row["patent_id"] = row["patent_id"].strip()
            found.setdefault(row["patent_id"], []).append((None, row))
        return found

    def close(self) -> None:
        self._con.close()


def _sequence(row: dict[str, str], column: str | None) -> int:
    try:
        return int(row.get(column or "", "") or 0)
    except ValueError:
        return 0


_VERSION = re.compile(r"^(\d{4})-?(\d{2})")


def ipc_code(row: dict[str, str]) -> str | None:
    """One g_ipc_at_issue row -> ``'G06N 3/08'`` (section G, class 06, subclass N, main group 3, subgroup 08)."""
    section = row.get("section", "").strip().upper()
    klass = row.get("ipc_class", "").strip().upper()
    subclass = row.get("subclass", "").strip().upper()
    if len(subclass) == 4:  # some releases repeat the full symbol in every part
        prefix = subclass
    elif len(klass) == 3:
        prefix = klass + subclass
    else:
        prefix = section + klass.zfill(2) + subclass
    main_group = row.get("main_group", "").strip()
    subgroup = row.get("subgroup", "").strip()
    if not (main_group and subgroup):
        return None
    return normalise_ipc(f"{prefix} {main_group}/{subgroup.zfill(2)}")


def ipc_edition(value: str | None) -> str | None:
    """``'2006-01-01'`` -> ``'2006.01'``; '' -> ''; None when not a date."""
    text = (value or "").strip()
    if not text:
        return ""
    match = _VERSION.match(text)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def _person(first: str | None, last: str | None) -> str:
    first, last = (first or "").strip(), (last or "").strip()
    return f"{last}, {first}" if last and first else last or first


@register
class PatentsViewTsv(Parser):
    """PatentsView bulk download: g_patent.tsv joined with its sibling tables."""

    name = "patentsview_tsv"
    source = SOURCE
    kind = "patent"
    description = "PatentsView bulk TSV tables (g_patent.tsv or its folder; IPC, CPC, assignee tables joined)"
    priority = 50

    @classmethod
    def sniff(cls, path: Path, head: str) -> bool:
        if path.is_dir():
            return (path / PATENT_TABLE).is_file()
        if path.suffix.lower() != ".tsv" or not head:
            return False
        try:
            header = [h.strip() for h in next(csv.reader([head.splitlines()[0]], delimiter="\t"), [])]
        except csv.Error:
            return False
        return bool(header) and header[0] == "patent_id" and "patent_title" in header

    def records(self, path: Path, bad: BadRecords) -> Iterator[Row]:
        patent_path = path / PATENT_TABLE if path.is_dir() else path
        if not patent_path.is_file():
            raise InputError(Location(path), f"no {PATENT_TABLE} in this folder", "download g_patent.tsv from PatentsView")
        folder = patent_path.parent
        header = _check_header(patent_path, _PATENT_REQUIRED, "g_patent")
        lookups: dict[str, _Lookup] = {}
        workdir: Path | None = None

        def duckdb_lookup(table: Path) -> DuckDBLookup:
            nonlocal workdir
            if workdir is None:
                workdir = Path(tempfile.mkdtemp(prefix="mining-patentsview-"))
            log.info("%s: joined through DuckDB (lookups by patent_id)", table)
            return DuckDBLookup(table, workdir)

        try:
            for sibling in SIBLINGS:
                if sibling.key == "abstract" and "patent_abstract" in header:
                    continue
                table = folder / sibling.file
                if not table.is_file():
                    if sibling.missing_means:
                        bad.warn(Location(table), f"{sibling.file} not found next to {patent_path.name}: {sibling.missing_means}")
                    continue
                columns = _check_header(table, sibling.required, sibling.file.removesuffix(".tsv"))
                if sibling.key == "cpc" and not {"cpc_group", "cpc_subgroup"} & set(columns):
                    raise InputError(Location(table, line=1, field="cpc_group"),
                                     "header is not the PatentsView g_cpc_current layout: no cpc_group column",
                                     "use the PatentsView bulk download tables unchanged")
                if is_sorted_by_patent_id(table):
                    lookups[sibling.key] = MergeJoin(table, csv_rows(table, bad, delimiter="\t", layout_name=sibling.file))
                else:
                    lookups[sibling.key] = duckdb_lookup(table)

            patents = csv_rows(patent_path, bad, delimiter="\t", required=_PATENT_REQUIRED, layout_name="PatentsView g_patent")
            while batch := list(islice(patents, BATCH)):
                ids = [patent_id for _, _, row in batch if (patent_id := row["patent_id"].strip())]
                joined: dict[str, dict[str, list[SiblingRow]]] = {}
                for key, lookup in list(lookups.items()):
                    try:
                        joined[key] = lookup.fetch(ids)
                    except _OutOfOrder:
                        log.warning("%s is not sorted by patent_id: %s joined through DuckDB from here on",
                                    patent_path, lookup.path)
                        lookup.close()
                        lookups[key] = duckdb_lookup(lookup.path)
                        joined[key] = lookups[key].fetch(ids)
                tables = {key: lookup.path for key, lookup in lookups.items()}
                for record_no, line_no, row in batch:
                    record = self._record(patent_path, record_no, line_no, row, joined, tables, bad)
                    if record is not None:
                        yield record
        finally:
            for lookup in lookups.values():
                lookup.close()
            if workdir is not None:
                shutil.rmtree(workdir, ignore_errors=True)

    def _record(
        self,
        path: Path,
        record_no: int,
        line_no: int,
        row: dict[str, str],
        joined: dict[str, dict[str, list[SiblingRow]]],
        tables: dict[str, Path],
        bad: BadRecords,
    ) -> Row | None:
        def where(field: str) -> Location:
            return Location(path, line=line_no, record=record_no, field=field)

        patent_id = row["patent_id"].strip()
        if not patent_id:
            bad.fail(where("patent_id"), "no patent_id")
            return None

        def rows_of(key: str) -> list[SiblingRow]:
            found = joined.get(key, {}).get(patent_id, [])
            return sorted(found, key=lambda item: _sequence(item[1], _SEQUENCE_COLUMN[key]))

        wipo_kind = row.get("wipo_kind", "").strip()
        patent_type = row.get("patent_type", "").strip()
        title = row.get("patent_title", "").strip() or None
        pub_date = parse_date(row.get("patent_date"), bad, where("patent_date"))
        year = int(pub_date[:4]) if pub_date else None
        source_id = f"US-{patent_id}-{wipo_kind}" if wipo_kind else f"US-{patent_id}"
        abstract = row.get("patent_abstract", "").strip()
        if not abstract:
            abstract = next((r["patent_abstract"].strip() for _, r in rows_of("abstract") if r.get("patent_abstract")), "")
        ipc, editions = self._ipc(tables.get("ipc"), rows_of("ipc"), bad)
        return {
            "record_id": record_id(SOURCE, source_id, title, year),
            "source": SOURCE,
            "source_format": self.name,
            "source_id": source_id,
            "kind": "patent",
            "doc_type": self._doc_type(patent_type, wipo_kind, row.get("withdrawn", "")),
            "doc_type_raw": wipo_kind or patent_type or None,
            "title": title,
            "abstract": abstract or None,
            "year": year,
            "pub_date": pub_date,
            "authors": [name for _, r in rows_of("inventor")
                        if (name := _person(r.get("disambig_inventor_name_first"), r.get("disambig_inventor_name_last")))],
            "assignees": self._assignees(rows_of("assignee")),
            "ipc": ipc,
            "ipc_editions": editions,
            "cpc": self._cpc(tables.get("cpc"), rows_of("cpc"), bad),
            "file": path.name,
            "record_no": record_no,
            "line_no": line_no,
        }

    @staticmethod
    def _doc_type(patent_type: str, wipo_kind: str, withdrawn: str) -> str:
        """Every g_patent row is a grant (B1/B2 utility, E reissue, S1 design, P2/P3 plant), except withdrawn
        ones (numbered but never issued) and statutory invention registrations / defensive publications."""
        if withdrawn.strip() in ("1", "true", "True"):
            return "patent"
        if wipo_kind:
            return doc_type_from_kind("US", wipo_kind)
        return "granted_patent" if patent_type.lower() in ("utility", "design", "plant", "reissue") else "patent"

    @staticmethod
    def _ipc(table: Path | None, rows: list[SiblingRow], bad: BadRecords) -> tuple[list[str], list[str]]:
        codes: list[str] = []
        editions: list[str] = []
        for line_no, row in rows:
            location = Location(table, line=line_no, field="ipc_version_indicator")
            code = ipc_code(row)
            if code is None:
                parts = "|".join(row.get(c, "") for c in ("section", "ipc_class", "subclass", "main_group", "subgroup"))
                bad.warn(Location(table, line=line_no, field="main_group"), f"not an IPC code: {parts!r}")
                continue
            edition = ipc_edition(row.get("ipc_version_indicator"))
            if edition is None:
                bad.warn(location, f"not an IPC version date: {row.get('ipc_version_indicator', '')[:20]!r}")
                edition = ""
            if code not in codes:
                codes.append(code)
                editions.append(edition)
        return codes, editions

    @staticmethod
    def _cpc(table: Path | None, rows: list[SiblingRow], bad: BadRecords) -> list[str]:
        codes: list[str] = []
        for line_no, row in rows:
            raw = (row.get("cpc_subgroup") or row.get("cpc_group") or "").strip()
            code = normalise_ipc(raw)
            if code is None:
                bad.warn(Location(table, line=line_no, field="cpc_group"), f"not a CPC code: {raw[:30]!r}")
            elif code not in codes:
                codes.append(code)
        return codes

    @staticmethod
    def _assignees(rows: list[SiblingRow]) -> list[str]:
        names: list[str] = []
        for _, row in rows:
            name = (row.get("disambig_assignee_organization") or "").strip() or _person(
                row.get("disambig_assignee_individual_name_first"), row.get("disambig_assignee_individual_name_last")
            )
            if name and name not in names:
                names.append(name)
        return names

