"""Explain one work's classification: the decision, the policy branch, rule hits in context, topics."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from mining.errors import StoreError
from mining.schema import normalise_doi
from mining.store import Workspace


def find_work(works: pd.DataFrame, key: str) -> pd.Series:
    """The work a user means by ``key``: work id, any merged record id, source id or DOI."""
    key = key.strip()
    doi = normalise_doi(key)
    for column in ("work_id", "record_id", "source_id"):
        match = works[works[column] == key]
        if len(match):
            return match.iloc[0]
    wanted = {key, f"doi:{doi}"} if doi else {key}
    merged = works["merged_record_ids"].map(lambda ids: not wanted.isdisjoint(ids))
    named = works["identifiers"].map(lambda ids: not wanted.isdisjoint(ids) or any(i.split(":", 1)[-1] == key for i in ids))
    match = works[merged | named]
    if len(match):
        return match.iloc[0]
    raise StoreError(f"no work matches {key!r} (tried work id, record id, source id, DOI); list ids with `mining records`")


def _snippet(text: str, start: int, end: int, width: int = 60) -> str:
    left, right = max(0, start - width), min(len(text), end + width)
    return ("..." if left else "") + text[left:start] + "[[" + text[start:end] + "]]" + text[end:right] + ("..." if right < len(text) else "")


def _field_text(work: pd.Series, field: str) -> str:
    value = work.get(field)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return "; ".join(str(v) for v in value)
    except TypeError:
        return str(value)


def explain_work(workspace: Workspace, key: str) -> dict[str, Any]:
    """Everything behind one work's decision, as a JSON-ready dict."""
    works = workspace.read_table("works")
    work = find_work(works, key)
    work_id = work["work_id"]
    if not workspace.has_table("classification"):
        raise StoreError(f"{workspace.root}: not classified yet; run `mining classify`")
    decisions = workspace.read_table("classification")
    row = decisions[decisions["work_id"] == work_id]
    if not len(row):
        raise StoreError(f"work {work_id} is not in the last classification (ingested since?); run `mining classify`")
    decision = row.iloc[0]
    hits = workspace.read_table("rule_hits")
    hits = hits[hits["work_id"] == work_id]
    topics = workspace.read_table("topics") if workspace.has_table("topics") else None
    topic_row = topics[topics["work_id"] == work_id].iloc[0] if topics is not None and (topics["work_id"] == work_id).any() else None
    return {
        "work_id": work_id,
        "title": work["title"],
        "sources": list(work["sources"]),
        "identifiers": list(work["identifiers"]),
        "is_ai": bool(decision["is_ai"]),
        "score": float(decision["score"]),
        "borderline": bool(decision["borderline"]),
        "decided_by": decision["decided_by"],
        "reasons": json.loads(decision["reasons"]),
        "probabilities": {k: (None if pd.isna(decision[k]) else float(decision[k])) for k in ("p_lex", "p_emb", "p_model")},
        "used_embedding": bool(decision["used_embedding"]),
        "versions": {"policy": decision["policy"], "rules": decision["rules_version"], "model": decision["model_version"]},
        "rule_hits": [
            {"rule_id": h.rule_id, "strength": h.strength, "field": h.field, "text": h.text,
             "excluded_by": None if pd.isna(h.excluded_by) else h.excluded_by, "context": _snippet(_field_text(work, h.field), int(h.start), int(h.end))}
            for h in hits.itertuples()
        ],
        "topics": [] if topic_row is None else [
            {"topic": t, "from": s} for t, s in zip(topic_row["topics"], topic_row["topic_sources"])
        ],
    }
