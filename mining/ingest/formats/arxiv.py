"""arXiv metadata as JSON lines (``arxiv_jsonl``), plain or ``.gz``.

Two shapes, told apart per line by its keys:

* CSET (georgetown-cset/ai-relevant-papers): ``{"text", "label", "meta": {"id", "year"}}`` where
  ``text`` is title + ". " + abstract, lower-cased with punctuation stripped. The title is cut at
  the first ". " (a title that itself contained ". " is cut early: the source cannot tell);
* harvest sample: ``{"arxiv_id", "title", "abstract", "categories", "is_ai", "year", "source"}``
  (raw text, original case).

Labels (``label``, ``is_ai``) are not part of the record schema and are not read here; nor are the
``categories``, which the labels are derived from (putting them into keywords would leak the label
into any classifier that reads keywords).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Iterator

from mining.errors import InputError, Location
from mining.ingest.base import BadRecords, Parser, Row, register, to_int
from mining.ingest.jsonstream import JsonProblem, compressed_input_errors, iter_json, open_maybe_gzip, text_head
from mining.ingest.common import clean, paper_row

CSET_KEYS = frozenset({"text", "meta"})
HARVEST_KEYS = frozenset({"arxiv_id", "title"})


def split_cset_text(text: str) -> tuple[str, str | None]:
    """``'title. abstract'`` -> (title, abstract); no '. ' -> (text, None)."""
    title, sep, abstract = text.partition(". ")
    if not sep:
        return text.rstrip(". ").strip(), None
    return title.strip(), abstract.strip() or None


@register
class ArxivJsonl(Parser):
    """arXiv papers as JSON lines: CSET labelled files or the harvested sample (optionally .gz)."""

    name: ClassVar[str] = "arxiv_jsonl"
    source: ClassVar[str] = "arxiv"
    kind: ClassVar[str] = "paper"
    description: ClassVar[str] = "arXiv JSON lines (CSET text/label/meta, or arxiv_id/title/abstract), .gz read transparently"
    priority: ClassVar[int] = 10

    @classmethod
    def sniff(cls, path: Path, head: str) -> bool:
        lines = text_head(path, head).lstrip().splitlines()
        if not lines:
            return False
        try:
            first = json.loads(lines[0])
        except json.JSONDecodeError:
            return False
        if not isinstance(first, dict):
            return False
        keys = set(first)
        return CSET_KEYS <= keys or HARVEST_KEYS <= keys

    def records(self, path: Path, bad: BadRecords) -> Iterator[Row]:
        if path.stat().st_size == 0:
            raise InputError(Location(path, line=1), "the file is empty", "export the records again")
        record_no = 0
        with compressed_input_errors(path), open_maybe_gzip(path) as handle:
            for item in iter_json(handle):
                record_no += 1
                if isinstance(item, JsonProblem):
                    bad.fail(Location(path, line=item.line, record=record_no), item.message)
                    if item.fatal:
                        return
                    continue
                if item.in_array:
                    bad.fail(Location(path, line=item.line, record=record_no), "a JSON array, not JSON lines")
                    return
                row = self._row(path, record_no, item.line, item.value, bad)
                if row is not None:
                    yield row

    def _row(self, path: Path, record_no: int, line_no: int, value: Any, bad: BadRecords) -> Row | None:
        location = Location(path, line=line_no, record=record_no)
        if not isinstance(value, dict):
            bad.fail(location, f"expected a JSON object, found {type(value).__name__}")
            return None
        keys = set(value)
        if CSET_KEYS <= keys:
            meta = value.get("meta") if isinstance(value.get("meta"), dict) else {}
            arxiv_id = clean(meta.get("id"))
            text = clean(value.get("text"))
            title, abstract = split_cset_text(text) if text else (None, None)
            year_raw = meta.get("year")
        elif HARVEST_KEYS <= keys:
            arxiv_id = clean(value.get("arxiv_id"))
            title = clean(value.get("title"))
            abstract = clean(value.get("abstract"))
            year_raw = value.get("year")
        else:
            bad.fail(location, f"neither the CSET (text, meta) nor the harvest (arxiv_id, title) shape: keys {sorted(keys)[:8]}")
            return None
        if arxiv_id is None:
            bad.fail(Location(path, line=line_no, record=record_no, field="id"), "record has no arXiv id")
            return None
        year = year_raw if isinstance(year_raw, int) else to_int(clean(year_raw), bad, Location(path, line=line_no, record=record_no, field="year"))
        return paper_row(
            self,
            path,
            record_no,
            line_no,
            source_id=arxiv_id,
            title=title,
            year=year,
            doc_type_raw=None,
            doc_type="preprint",
            abstract=abstract,
        )
