"""Write stored tables to files users open elsewhere (CSV, JSON lines, Parquet)."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from mining.errors import MiningError

FORMATS = ("csv", "jsonl", "parquet")


def _plain(value: object) -> object:
    """numpy arrays / structs from Parquet -> plain lists and dicts (JSON-serialisable)."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_frame(frame: pd.DataFrame, out: Path, fmt: str | None = None) -> Path:
    """Write ``frame`` to ``out`` atomically. Format from ``fmt`` or the file suffix.

    In CSV, list and struct columns are written as JSON text (e.g. ``["Smith, J", "Li, X"]``) so nothing is
    lost and the file reads back with ``json.loads``.
    """
    fmt = (fmt or out.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise MiningError(f"{out}: unknown output format {fmt!r}; use one of {', '.join(FORMATS)} (or a matching suffix)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.tmp")
    if fmt == "parquet":
        frame.to_parquet(tmp, index=False)
    else:
        records = [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
        if fmt == "jsonl":
            with open(tmp, "w", encoding="utf-8") as handle:
                for record in records:
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            flat = pd.DataFrame(
                [{k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v for k, v in r.items()} for r in records],
                columns=list(frame.columns),
            )
            flat.to_csv(tmp, index=False)
    os.replace(tmp, out)
    return out
