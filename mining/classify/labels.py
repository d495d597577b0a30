"""Labelled records for training and evaluating the AI classifier, and the fixed CSET split.

Three file shapes are read (JSONL, optionally gzipped, or CSV):

* CSET (georgetown-cset/ai-relevant-papers): ``{"text", "label": "True"|"False", "meta": {"id", "year"}}``,
  ``text`` already preprocessed (see :mod:`mining.classify.text`);
* the arXiv union sample: ``{"arxiv_id", "title", "abstract", "is_ai", "year", ...}``, raw text;
* a generic audit file: ``record_id``, ``label`` (``ai``/``not_ai``, ``true``/``false``, ``1``/``0``,
  ``yes``/``no``) and either ``title`` + ``abstract`` or ``text``.

Every text is passed through :func:`~mining.classify.text.normalise_string` /
:func:`~mining.classify.text.normalise_text`, so all sources share CSET's text form (the function is
idempotent on CSET's texts).

The split (:func:`cset_split`) is part of the evaluation protocol and must not change: the CSET dev
file is halved by ``int(sha1(id), 16) % 2`` into TEST (odd) and TUNE (even); every other record is
TRAIN, except records whose id also appears in TUNE/TEST (never trained on).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import logging
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from mining.classify.text import normalise_string, normalise_text
from mining.errors import MiningError

log = logging.getLogger(__name__)

#: File name (without extensions) of the CSET file that is halved into TUNE and TEST.
CSET_DEV_STEM = "cset_arxiv_ai_binary_10pct_dev"
COLUMNS = ["id", "text", "label", "year", "source_file"]

_TRUE = {"true", "1", "ai", "yes", "y", "t"}
_FALSE = {"false", "0", "not_ai", "not ai", "no", "n", "f", "non_ai"}


class LabelFileError(MiningError):
    """A labelled file that cannot be read."""


def parse_label(value: Any) -> bool:
    """``True``/``"True"``/``"ai"``/``1`` -> True; ``False``/``"not_ai"``/``0`` -> False; else an error."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"unknown label {value!r}: use ai/not_ai, true/false or 1/0")


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".jsonl", ".json", ".csv"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def _open_text(path: Path) -> io.TextIOBase:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig")  # type: ignore[return-value]
    return path.open("r", encoding="utf-8-sig", newline="")


def _iter_rows(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of a JSONL or CSV file (gzip allowed) as dicts."""
    is_csv = ".csv" in path.suffixes
    with _open_text(path) as handle:
        if is_csv:
            yield from csv.DictReader(handle)
            return
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise LabelFileError(f"{path}:{line_no}: not valid JSON ({exc.msg})") from exc


def _shape(row: dict[str, Any], path: Path) -> str:
    if "text" in row and "label" in row and isinstance(row.get("meta"), dict):
        return "cset"
    if "arxiv_id" in row and "is_ai" in row:
        return "union"
    if "record_id" in row and "label" in row and ("text" in row or "title" in row or "abstract" in row):
        return "generic"
    raise LabelFileError(
        f"{path}: unknown labelled-file shape (keys {sorted(row)}); expected CSET {{text,label,meta}}, "
        "the arXiv union {arxiv_id,title,abstract,is_ai,year} or record_id,label plus title/abstract or text"
    )


def _year(value: Any) -> int | None:
    try:
        return int(str(value)[:4]) if value not in (None, "") else None
    except ValueError:
        return None


def _convert(row: dict[str, Any], shape: str, path: Path, where: int) -> tuple[str, str, bool, int | None]:
    try:
        if shape == "cset":
            meta = row["meta"]
            return str(meta["id"]), normalise_string(row["text"]), parse_label(row["label"]), _year(meta.get("year"))
        if shape == "union":
            return (str(row["arxiv_id"]), normalise_text(row.get("title"), row.get("abstract")),
                    parse_label(row["is_ai"]), _year(row.get("year")))
        text = row.get("text")
        text = normalise_string(text) if text else normalise_text(row.get("title"), row.get("abstract"))
        return str(row["record_id"]), text, parse_label(row["label"]), _year(row.get("year"))
    except (KeyError, TypeError, ValueError) as exc:
        raise LabelFileError(f"{path}: record {where}: {exc}") from exc


def load_labelled(paths: list[Path] | list[str]) -> pd.DataFrame:
    """Read labelled files into one frame ``[id, text, label, year, source_file]``.

    ``label`` is bool, ``year`` a nullable integer, ``source_file`` the file's name. Records with an
    empty text are dropped (logged). Duplicate ids inside one file keep their first occurrence.
    """
    frames = []
    for raw_path in paths:
        path = Path(raw_path)
        if not path.exists():
            raise LabelFileError(f"{path}: no such labelled file")
        ids: list[str] = []
        texts: list[str] = []
        labels: list[bool] = []
        years: list[int | None] = []
        shape = None
        for where, row in enumerate(_iter_rows(path), 1):
            shape = shape or _shape(row, path)
            rid, text, label, year = _convert(row, shape, path, where)
            ids.append(rid)
            texts.append(text)
            labels.append(label)
            years.append(year)
        frame = pd.DataFrame({"id": ids, "text": texts, "label": labels,
                              "year": pd.array(years, dtype="Int64"), "source_file": path.name})
        empty = frame["text"].str.len() == 0
        dupes = frame["id"].duplicated()
        if empty.any() or dupes.any():
            log.warning("%s: dropped %d record(s) with no text and %d duplicate id(s)", path.name, int(empty.sum()), int(dupes.sum()))
            frame = frame[~empty & ~dupes]
        log.info("%s: %d labelled records (%s shape), %d positive", path.name, len(frame), shape, int(frame["label"].sum()))
        frames.append(frame)
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(COLUMNS, ["object", "object", "bool", "Int64", "object"])})
    return pd.concat(frames, ignore_index=True)[COLUMNS]


def _parity(record_id: str) -> int:
    return int(hashlib.sha1(record_id.encode("utf-8")).hexdigest(), 16) % 2


def cset_split(frame: pd.DataFrame) -> pd.Series:
    """The fixed split: ``"test"`` / ``"tune"`` for the CSET dev file's records (sha1(id) odd / even),
    ``"train"`` for every other record, and ``"excluded"`` for a non-dev record whose id is also in
    the dev file (it must never be trained on)."""
    is_dev = frame["source_file"].map(lambda name: _stem(Path(str(name))) == CSET_DEV_STEM)
    parity = frame["id"].map(lambda rid: _parity(str(rid)))
    split = pd.Series("train", index=frame.index, dtype="object")
    split[is_dev & (parity == 1)] = "test"
    split[is_dev & (parity == 0)] = "tune"
    dev_ids = set(frame.loc[is_dev, "id"])
    leaked = ~is_dev & frame["id"].isin(dev_ids)
    if leaked.any():
        log.warning("%d training record(s) share an id with the CSET dev file: excluded", int(leaked.sum()))
        split[leaked] = "excluded"
    return split
