"""The record schema: the contract between every stage.

Every parser yields plain ``dict`` rows with (a subset of) the columns below; :func:`to_table` turns a
batch of rows into an Arrow table with exactly this schema (missing columns become null / empty
lists), which the store writes to Parquet and every later stage reads back as a pandas DataFrame.
Papers and patents share one schema; patent-only columns are empty for papers and vice versa.

``python -m mining.schema`` (or ``mining schema``) prints the table below as Markdown.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

import pyarrow as pa

if TYPE_CHECKING:
    import pandas as pd

STR = pa.string()
INT = pa.int64()
STR_LIST = pa.list_(pa.string())
LINK = pa.struct([("author", pa.int32()), ("address", pa.int32())])


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    meaning: str


COLUMNS: tuple[Column, ...] = (
    Column("record_id", STR, "Stable id: 'r' + 16 hex of sha1(source, source_id); same record re-exported gets the same id."),
    Column("source", STR, "Database it came from: wos, scopus, ieee, openalex, lens, arxiv, derwent, google_patents, lens_patents, patentsview."),
    Column("source_format", STR, "Parser that read it, e.g. wos_plaintext, wos_tab, scopus_csv."),
    Column("source_id", STR, "The source's own id: WoS UT, Scopus EID, IEEE article number, OpenAlex W-id, Lens ID (papers), arXiv id; patents: the publication number as 'CC-NUMBER-KIND' (e.g. US-2023377099-A1)."),
    Column("kind", STR, "'paper' or 'patent'."),
    Column("doc_type", STR, "Normalised document type: article, review, conference_paper, book_chapter, book, editorial, letter, erratum, preprint, data_paper, other, patent_application, granted_patent, patent (kind unknown)."),
    Column("doc_type_raw", STR, "Document type exactly as the source wrote it."),
    Column("title", STR, "Title (continuation lines joined with one space)."),
    Column("abstract", STR, "Abstract."),
    Column("author_keywords", STR_LIST, "Author keywords (WoS DE, Scopus Author Keywords, IEEE Author Keywords)."),
    Column("index_keywords", STR_LIST, "Indexer keywords (WoS ID Keywords Plus, Scopus Index Keywords, IEEE Terms, OpenAlex concepts)."),
    Column("language", STR, "Language as the source names it (e.g. 'English'), or an ISO 639-1 code from OpenAlex."),
    Column("venue", STR, "Journal, proceedings or book series title (WoS SO, Scopus Source title)."),
    Column("issn", STR, "Print ISSN, NNNN-NNNN."),
    Column("eissn", STR, "Electronic ISSN, NNNN-NNNN."),
    Column("year", INT, "Publication year (patents: publication year)."),
    Column("pub_date", STR, "Publication date as ISO 8601, as precise as known: YYYY, YYYY-MM or YYYY-MM-DD."),
    Column("doi", STR, "DOI, normalised: lower case, no 'https://doi.org/' or 'doi:' prefix."),
    Column("authors", STR_LIST, "Authors (patents: inventors) in order, full names where the source has them ('Surname, Given')."),
    Column("addresses", STR_LIST, "Raw affiliation / address strings in source order, each once (patents: assignee addresses where given)."),
    Column("address_countries", STR_LIST, "Country (ISO 3166-1 alpha-2) of each address where the source states it separately (OpenAlex), aligned with addresses; '' where not given."),
    Column("author_address", pa.list_(LINK), "Author-address links: {author: index into authors, address: index into addresses}, in order."),
    Column("reprint_address", STR, "Reprint / corresponding address (WoS RP, Scopus Correspondence Address)."),
    Column("cited_by", INT, "Citation count reported by the source at export time (WoS TC, Scopus Cited by)."),
    Column("wos_categories", STR_LIST, "Web of Science categories (WC)."),
    Column("research_areas", STR_LIST, "Web of Science research areas (SC)."),
    Column("ipc", STR_LIST, "IPC codes, normalised 'G06N 3/08' (section+class+subclass, space, group/subgroup)."),
    Column("ipc_editions", STR_LIST, "Edition / version of each IPC code, aligned with ipc ('' where unknown), e.g. '2006.01'."),
    Column("cpc", STR_LIST, "CPC codes, normalised like ipc."),
    Column("assignees", STR_LIST, "Patent assignees / applicants as written (Derwent AE with its code, e.g. 'TENCENT TECHNOLOGY SHENZHEN CO LTD (TNCT-C)')."),
    Column("priority_numbers", STR_LIST, "Priority application numbers."),
    Column("priority_countries", STR_LIST, "Priority offices (two-letter), aligned with priority_numbers where the source gives them."),
    Column("priority_date", STR, "Earliest priority date, ISO 8601."),
    Column("file", STR, "Provenance: file name the record was read from."),
    Column("file_sha256", STR, "Provenance: sha256 of that file's bytes."),
    Column("record_no", INT, "Provenance: 1-based position of the record in its file."),
    Column("line_no", INT, "Provenance: 1-based line where the record starts in its file (null for JSON)."),
)

SCHEMA = pa.schema([pa.field(c.name, c.type) for c in COLUMNS])
COLUMN_NAMES = tuple(c.name for c in COLUMNS)
LIST_COLUMNS = frozenset(c.name for c in COLUMNS if pa.types.is_list(c.type))

#: Columns added to the deduplicated ``works`` table on top of :data:`COLUMNS`.
WORK_COLUMNS: tuple[Column, ...] = (
    Column("work_id", STR, "Id of the merged work: the record_id of the surviving record."),
    Column("merged_record_ids", STR_LIST, "record_id of every record merged into this work (itself included)."),
    Column("identifiers", STR_LIST, "Union of identifiers of the merged records: 'doi:<doi>' and '<source>:<source_id>' (wos:WOS:..., scopus:2-s2.0-..., openalex:W..., google_patents:US-...-B2)."),
    Column("sources", STR_LIST, "Sources of the merged records."),
    Column("provenance", STR_LIST, "'file#record_no' of every merged record."),
)
WORK_SCHEMA = pa.schema([pa.field(c.name, c.type) for c in WORK_COLUMNS + COLUMNS])

DOC_TYPES = (
    "article", "review", "conference_paper", "book_chapter", "book", "editorial", "letter", "erratum",
    "preprint", "data_paper", "other", "patent_application", "granted_patent", "patent",
)

# Ordered: the first pattern that matches the lower-cased raw type wins. WoS writes combinations such as
# "Article; Proceedings Paper" (a journal article also in proceedings: an article) or
# "Proceedings Paper" alone (conference paper); "Article; Early Access" is an article.
_DOC_TYPE_PATTERNS: tuple[tuple[str, str], ...] = (
    # "Retraction" is the notice; "Article; Retracted Publication" is the (flagged) article itself.
    (r"\b(correction|erratum|retraction)\b", "erratum"),
    (r"^(conference review|proceedings)$", "other"),  # Scopus: a proceedings overview; OpenAlex: a whole volume
    (r"\b(review|short survey)\b", "review"),
    (r"^proceedings-article$", "conference_paper"),  # Crossref / OpenAlex
    (r"\b(article|journal-article|journal article|journals|^j$|^ar$)\b", "article"),
    (r"\b(proceedings paper|conference paper|conference|proceedings-article|meeting abstract|^cp$|^c$|conferences)\b", "conference_paper"),
    (r"\b(book chapter|book-chapter|chapter|^ch$)\b", "book_chapter"),
    (r"\b(book|books|monograph|^b$)\b", "book"),
    (r"\b(editorial material|editorial|^ed$)\b", "editorial"),
    (r"\b(letter|^le$)\b", "letter"),
    (r"\b(preprint|posted-content)\b", "preprint"),
    (r"\b(data paper|dataset)\b", "data_paper"),
)


def normalise_doc_type(raw: str | None) -> str:
    """Map a source's document type to one of :data:`DOC_TYPES` (``'other'`` when nothing matches)."""
    if not raw:
        return "other"
    text = raw.strip().lower()
    for pattern, value in _DOC_TYPE_PATTERNS:
        if re.search(pattern, text):
            return value
    return "other"


_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


def normalise_doi(value: str | None) -> str | None:
    """``'https://doi.org/10.1000/ABC'`` -> ``'10.1000/abc'``; ``None`` for anything that is not a DOI."""
    if not value:
        return None
    doi = _DOI_PREFIX.sub("", value.strip()).strip().rstrip(".").lower()
    return doi if doi.startswith("10.") and "/" in doi else None


_ISSN = re.compile(r"(\d{4})-?(\d{3}[\dXx])")


def normalise_issn(value: str | None) -> str | None:
    """``'15691845'`` / ``'1569-1845'`` -> ``'1569-1845'``; None when there is no ISSN."""
    if not value:
        return None
    match = _ISSN.search(value)
    return f"{match.group(1)}-{match.group(2).upper()}" if match else None


_IPC = re.compile(r"^\s*([A-HY])\s*(\d{2})\s*([A-Z])\s*-?0*(\d{1,4})\s*/\s*(\d{1,6})")
_IPC_WIPO14 = re.compile(r"^([A-HY])(\d{2})([A-Z])(\d{4})(\d{6})$")  # G06N0003080000


def normalise_ipc(code: str | None) -> str | None:
    """IPC/CPC code in any common spelling -> ``'G06N 3/08'`` (sections A-H, and CPC's Y).

    Accepts ``G06N 3/08``, ``G06N3/08``, ``G06N-003/08`` (Derwent) and ``G06N   3/0800`` (WIPO padded) and ``G06N0003080000`` (WIPO 14-character).
    Returns None when the string is not a group-level code.
    """
    if not code:
        return None
    match = _IPC.match(code.upper()) or _IPC_WIPO14.match(code.strip().upper())
    if not match:
        return None
    section, klass, subclass, group, subgroup = match.groups()
    # WIPO pads subgroups with zeros ("3/0800"); real subgroups have at least two digits ("3/00", "3/04").
    while len(subgroup) > 2 and subgroup.endswith("0"):
        subgroup = subgroup[:-1]
    return f"{section}{klass}{subclass} {int(group)}/{subgroup}"


def record_id(source: str, source_id: str | None, *fallback: Any) -> str:
    """Stable record id from the source and its own id (or, lacking one, the fallback fields)."""
    key = source_id if source_id else "|".join("" if v is None else str(v) for v in fallback)
    digest = hashlib.sha1(f"{source}\x1f{key}".encode("utf-8")).hexdigest()
    return "r" + digest[:16]


def normalise_title(title: str | None) -> str:
    """Lower case, accents folded, punctuation and repeated spaces removed: the key used to compare titles."""
    if not title:
        return ""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"<[^>]+>", " ", text)  # stray markup such as <i>
    text = re.sub(r"[^\w\s]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def to_table(rows: Iterable[dict[str, Any]], schema: pa.Schema = SCHEMA) -> pa.Table:
    """Rows (dicts with any subset of the schema's columns) -> an Arrow table with exactly ``schema``.

    Unknown keys are an error (a parser bug), so a typo cannot silently drop a field.
    """
    rows = list(rows)
    names = set(schema.names)
    columns: dict[str, list[Any]] = {name: [] for name in schema.names}
    list_cols = {f.name for f in schema if pa.types.is_list(f.type)}
    for row in rows:
        extra = set(row) - names
        if extra:
            raise KeyError(f"parser produced column(s) not in the record schema: {sorted(extra)}")
        for name in schema.names:
            value = row.get(name)
            if value is None and name in list_cols:
                value = []
            columns[name].append(value)
    return pa.table({name: pa.array(columns[name], type=schema.field(name).type) for name in schema.names}, schema=schema)


def to_frame(table: pa.Table) -> "pd.DataFrame":
    """Arrow table -> pandas with nullable integers (``Int64``) so a missing year is <NA>, not a float NaN."""
    import pandas as pd

    return table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype(), pa.int32(): pd.Int32Dtype()}.get)


def schema_markdown() -> str:
    """The record schema as a Markdown table (column, Arrow type, meaning)."""
    lines = ["| column | type | meaning |", "| --- | --- | --- |"]
    for column in COLUMNS:
        lines.append(f"| `{column.name}` | {column.type} | {column.meaning} |")
    lines += ["", "Added in the deduplicated `works` table:", "", "| column | type | meaning |", "| --- | --- | --- |"]
    for column in WORK_COLUMNS:
        lines.append(f"| `{column.name}` | {column.type} | {column.meaning} |")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - documentation helper
    import sys

    sys.stdout.write(schema_markdown() + "\n")
