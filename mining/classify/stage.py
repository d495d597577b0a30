"""The classify stage: rules -> (cheap) lexical model -> embedding only where it can change the answer
-> policy -> decisions with reasons; topics; and a change report against the previous run.

Reads the workspace's ``works`` table, writes ``classification`` (one row per work), ``rule_hits``
(one row per hit, with field and character span), ``model_scores`` (probabilities by work, text hash
and model version: reused on the next run, so a keyword edit re-runs only rules and policy) and
``topics``; the change report goes to ``reports/classify-changes.md``/``.json``.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

import numpy as np
import pandas as pd

from mining.classify.policy import Evidence, Policy, decide, evidence_from, load_policy, needs_embedding, needs_model
from mining.classify.rules import RuleEngine, load_rules
from mining.classify.text import normalise_text, text_hash
from mining.config import Config
from mining.store import Workspace

log = logging.getLogger(__name__)

CLASSIFICATION = "classification"
RULE_HITS = "rule_hits"
MODEL_SCORES = "model_scores"
TOPICS = "topics"


class ModelScorer(Protocol):
    """What the stage needs from a trained classifier (see :mod:`mining.classify.scorer`)."""

    model_version: str
    threshold: float | None

    def lexical(self, texts: Sequence[str]) -> np.ndarray:
        """Cheap probability for every text."""

    def uncertain(self, p_lex: np.ndarray) -> np.ndarray:
        """Mask of lexical probabilities for which the embedding may change the answer."""

    def refine(self, texts: Sequence[str], p_lex: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(final probability, embedding-model probability) for texts whose embedding is needed."""

    def final_without_embedding(self, p_lex: np.ndarray) -> np.ndarray:
        """Final (calibrated) probability from the lexical probability alone."""


@dataclass
class ClassifyResult:
    works: int
    ai: int
    borderline: int
    decided_by: dict[str, int]
    model_needed: int
    embedded: int
    model_scores_reused: int
    seconds: float
    policy: str
    rules_version: str
    model_version: str | None
    changes: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def texts_of(frame: pd.DataFrame) -> list[str]:
    """Normalised title + abstract of every row (missing values, NaN included, count as empty)."""
    return [normalise_text(t if isinstance(t, str) else None, a if isinstance(a, str) else None)
            for t, a in zip(frame["title"], frame["abstract"])]


class LazyTexts:
    """Normalised title + abstract computed on first access per row (normalising every record of a
    large corpus costs more than matching the rules, and most rows never reach the model)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.titles = frame["title"].to_numpy()
        self.abstracts = frame["abstract"].to_numpy()
        self._done: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self.titles)

    def __getitem__(self, i: int) -> str:
        if i not in self._done:
            t, a = self.titles[i], self.abstracts[i]
            self._done[i] = normalise_text(t if isinstance(t, str) else None, a if isinstance(a, str) else None)
        return self._done[i]


def raw_text_hash(title: Any, abstract: Any) -> str:
    """Hash of the raw title and abstract: keys stored model scores (a changed text is scored again)."""
    return text_hash(f"{title if isinstance(title, str) else ''}\x1f{abstract if isinstance(abstract, str) else ''}")


def score_texts(
    scorer: ModelScorer | None,
    texts: Sequence[str] | LazyTexts,
    model_mask: np.ndarray,
    embed_allowed: np.ndarray,
    previous: pd.DataFrame | None = None,
    keys: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Model probabilities for the texts that need them: columns p_lex, p_emb, p_model, used_embedding.

    ``previous`` (columns key, p_lex, p_emb, p_model, used_embedding) holds earlier scores by ``keys``
    (work id + text hash + model version); those are reused rather than recomputed.
    """
    n = len(texts)
    out = pd.DataFrame({"p_lex": np.full(n, np.nan), "p_emb": np.full(n, np.nan), "p_model": np.full(n, np.nan),
                        "used_embedding": np.zeros(n, dtype=bool), "reused": np.zeros(n, dtype=bool)})
    if scorer is None or not model_mask.any():
        return out
    todo = np.asarray(model_mask, dtype=bool).copy()
    if previous is not None and keys is not None and len(previous):
        known = previous.set_index("key")
        hit = np.array([k in known.index for k in keys]) & todo
        # a reused score without an embedding is stale if the embedding is now allowed and needed
        if hit.any():
            rows = known.loc[[k for k, h in zip(keys, hit) if h]]
            stale = (~rows["used_embedding"].to_numpy()) & embed_allowed[hit] & scorer.uncertain(rows["p_lex"].to_numpy())
            idx = np.flatnonzero(hit)
            fresh = idx[~stale]
            for col in ("p_lex", "p_emb", "p_model", "used_embedding"):
                out.loc[fresh, col] = rows[col].to_numpy()[~stale]
            out.loc[fresh, "reused"] = True
            todo[fresh] = False
    idx = np.flatnonzero(todo)
    if len(idx):
        chosen = [texts[i] for i in idx]
        p_lex = scorer.lexical(chosen)
        out.loc[idx, "p_lex"] = p_lex
        out.loc[idx, "p_model"] = scorer.final_without_embedding(p_lex)
        refine = scorer.uncertain(p_lex) & embed_allowed[idx]
        if refine.any():
            ridx = idx[refine]
            p_final, p_emb = scorer.refine([texts[i] for i in ridx], p_lex[refine])
            out.loc[ridx, "p_model"] = p_final
            out.loc[ridx, "p_emb"] = p_emb
            out.loc[ridx, "used_embedding"] = True
    return out


def decide_frame(
    works: pd.DataFrame,
    rules_out: pd.DataFrame,
    policy: Policy,
    scorer: ModelScorer | None,
    previous_scores: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Decisions for every work: one row per work with the decision, its reasons and the probabilities."""
    evidences: list[Evidence] = [evidence_from({**row, "kind": kind}, row.get("codes") or [])
                                 for row, kind in zip(rules_out.to_dict("records"), works["kind"])]
    texts = LazyTexts(works)
    hashes = [raw_text_hash(t, a) for t, a in zip(works["title"].to_numpy(), works["abstract"].to_numpy())]
    model_version = scorer.model_version if scorer is not None else None
    keys = [f"{w}|{h}|{model_version}" for w, h in zip(works["work_id"], hashes)]
    model_mask = np.array([needs_model(policy, e) for e in evidences], dtype=bool)
    embed_allowed = np.array([needs_embedding(policy, e) for e in evidences], dtype=bool)
    scores = score_texts(scorer, texts, model_mask, embed_allowed, previous_scores, keys)
    threshold = scorer.threshold if scorer is not None else None
    decisions = [decide(policy, e, None if np.isnan(p) else float(p), threshold)
                 for e, p in zip(evidences, scores["p_model"].to_numpy())]
    return pd.DataFrame({
        "work_id": works["work_id"].to_numpy(),
        "kind": works["kind"].to_numpy(),
        "is_ai": [d.is_ai for d in decisions],
        "score": [round(float(d.score), 4) for d in decisions],
        "borderline": [d.borderline for d in decisions],
        "decided_by": [d.decided_by for d in decisions],
        "reasons": [json.dumps(d.reasons, ensure_ascii=False, sort_keys=True) for d in decisions],
        "rules_positive": [e.rules_positive for e in evidences],
        "codes": [list(e.codes) for e in evidences],
        "p_lex": scores["p_lex"].to_numpy(),
        "p_emb": scores["p_emb"].to_numpy(),
        "p_model": scores["p_model"].to_numpy(),
        "used_embedding": scores["used_embedding"].to_numpy(),
        "score_reused": scores["reused"].to_numpy(),
        "text_hash": hashes,
        "score_key": keys,
        "policy": policy.id,
        "rules_version": rules_out["rules_version"].iloc[0] if len(rules_out) else "",
        "model_version": model_version,
    })


def hits_table(rules_out: pd.DataFrame) -> pd.DataFrame:
    """One row per rule hit: work_id, rule_id, strength, field, start, end, text, excluded_by."""
    rows = [{"work_id": wid, **hit} for wid, hits in zip(rules_out["record_id"], rules_out["hits"]) for hit in hits]
    columns = ["work_id", "rule_id", "strength", "field", "start", "end", "text", "excluded_by"]
    return pd.DataFrame(rows, columns=columns)


def change_report(previous: pd.DataFrame | None, current: pd.DataFrame, works: pd.DataFrame, examples: int = 10) -> dict[str, Any]:
    """What flipped since the previous run: counts each way, by rule (rules that appeared/disappeared), examples."""
    if previous is None or not len(previous):
        return {"previous_run": False}
    before = previous.set_index("work_id")
    after = current.set_index("work_id")
    common = after.index.intersection(before.index)
    was, now = before.loc[common, "is_ai"], after.loc[common, "is_ai"]
    to_ai = common[(~was) & now]
    to_not = common[was & (~now)]
    titles = works.set_index("work_id")["title"]

    def rule_delta(ids: pd.Index, gained: bool) -> dict[str, int]:
        counts: dict[str, int] = {}
        for wid in ids:
            old, new = set(before.at[wid, "rules_positive"]), set(after.at[wid, "rules_positive"])
            for rule in (new - old) if gained else (old - new):
                counts[rule] = counts.get(rule, 0) + 1
            if old == new:
                counts["(no rule change: model or policy)"] = counts.get("(no rule change: model or policy)", 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: -kv[1]))

    def sample(ids: pd.Index) -> list[dict[str, Any]]:
        return [{"work_id": wid, "title": str(titles.get(wid, ""))[:150],
                 "before": {"decided_by": before.at[wid, "decided_by"], "rules": list(before.at[wid, "rules_positive"])},
                 "after": {"decided_by": after.at[wid, "decided_by"], "rules": list(after.at[wid, "rules_positive"])}}
                for wid in list(ids)[:examples]]

    return {
        "previous_run": True,
        "previous_rules_version": str(before["rules_version"].iloc[0]) if len(before) else "",
        "rules_version": str(after["rules_version"].iloc[0]) if len(after) else "",
        "previous_policy": str(before["policy"].iloc[0]) if len(before) else "",
        "policy": str(after["policy"].iloc[0]) if len(after) else "",
        "compared": int(len(common)), "new_works": int(len(after.index.difference(before.index))),
        "flipped_to_ai": int(len(to_ai)), "flipped_to_not_ai": int(len(to_not)),
        "to_ai_by_rule_gained": rule_delta(to_ai, True), "to_not_ai_by_rule_lost": rule_delta(to_not, False),
        "examples_to_ai": sample(to_ai), "examples_to_not_ai": sample(to_not),
    }


def change_markdown(changes: dict[str, Any]) -> str:
    if not changes.get("previous_run"):
        return "# Classification changes\n\nFirst classification of this workspace: nothing to compare.\n"
    lines = [
        "# Classification changes", "",
        f"Rules {changes['previous_rules_version']} -> {changes['rules_version']}; policy {changes['previous_policy']} -> {changes['policy']}.", "",
        f"- works compared: {changes['compared']:,} (new since then: {changes['new_works']:,})",
        f"- flipped to AI: {changes['flipped_to_ai']:,}",
        f"- flipped to not AI: {changes['flipped_to_not_ai']:,}", "",
    ]
    for title, key in (("To AI, by rule gained", "to_ai_by_rule_gained"), ("To not AI, by rule lost", "to_not_ai_by_rule_lost")):
        if changes[key]:
            lines += [f"## {title}", "", "| rule | works |", "| --- | ---: |"]
            lines += [f"| `{rule}` | {n:,} |" for rule, n in changes[key].items()] + [""]
    for title, key in (("Examples: to AI", "examples_to_ai"), ("Examples: to not AI", "examples_to_not_ai")):
        if changes[key]:
            lines += [f"## {title}", ""]
            lines += [f"- `{e['work_id']}` {e['title']} (rules before {e['before']['rules']}, after {e['after']['rules']})" for e in changes[key]]
            lines.append("")
    return "\n".join(lines)


def classify_records(
    frame: pd.DataFrame,
    config: Config,
    policy_name: str | Path = "report",
    scorer: ModelScorer | None = None,
    embed: Callable[[list[str]], np.ndarray] | None = None,
    topic_model: Any | None = None,
    engine: RuleEngine | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Classify records held in memory (no workspace): (decisions with topics, rule output).

    ``frame`` needs work_id, kind, title, abstract (other record columns are used when present).
    """
    from mining.classify.topics import assign_topics
    from mining.schema import COLUMN_NAMES, LIST_COLUMNS

    frame = frame.copy()
    for column in COLUMN_NAMES:
        if column not in frame.columns:
            frame[column] = [[] for _ in range(len(frame))] if column in LIST_COLUMNS else None
    frame["record_id"] = frame["work_id"]
    engine = engine or RuleEngine(load_rules(config.rules_dir))
    policy = load_policy(policy_name, config.rules_dir / "policies")
    rules_out = engine.match_frame(frame)
    decisions = decide_frame(frame, rules_out, policy, scorer)
    topics = assign_topics(frame, engine.ruleset.topics, topic_model, embed, text_mask=decisions["is_ai"].to_numpy())
    return decisions.merge(topics, on="work_id", how="left"), rules_out


def classify_workspace(
    workspace: Workspace,
    config: Config,
    policy_name: str | Path = "report",
    scorer: ModelScorer | None = None,
    embed: Callable[[list[str]], np.ndarray] | None = None,
    topic_model: Any | None = None,
) -> ClassifyResult:
    """Classify every work of the workspace and assign topics; returns counts and the change report."""
    from mining.classify.topics import assign_topics

    started = time.perf_counter()
    works = workspace.read_table("works")
    ruleset = load_rules(config.rules_dir)
    engine = RuleEngine(ruleset)
    policy = load_policy(policy_name, config.rules_dir / "policies")
    log.info("classify: %d works, rules %s, policy %s, model %s", len(works), ruleset.version, policy.id,
             scorer.model_version if scorer else "none")
    rules_out = engine.match_frame(works)
    previous_scores = workspace.read_table(MODEL_SCORES) if workspace.has_table(MODEL_SCORES) else None
    previous = workspace.read_table(CLASSIFICATION) if workspace.has_table(CLASSIFICATION) else None
    decisions = decide_frame(works, rules_out, policy, scorer, previous_scores)

    scored = decisions[~decisions["p_lex"].isna()]
    new_scores = scored[["score_key", "p_lex", "p_emb", "p_model", "used_embedding"]].rename(columns={"score_key": "key"})
    if previous_scores is not None and len(previous_scores):
        keep = previous_scores[~previous_scores["key"].isin(new_scores["key"])]
        new_scores = pd.concat([keep, new_scores], ignore_index=True)
    changes = change_report(previous, decisions, works)

    topics = assign_topics(works, ruleset.topics, topic_model, embed, text_mask=decisions["is_ai"].to_numpy())
    workspace.write_table(CLASSIFICATION, decisions)
    workspace.write_table(RULE_HITS, hits_table(rules_out))
    workspace.write_table(MODEL_SCORES, new_scores)
    workspace.write_table(TOPICS, topics)
    workspace.write_report("classify-changes.json", json.dumps(changes, indent=2, default=str, ensure_ascii=False))
    workspace.write_report("classify-changes.md", change_markdown(changes))

    counts = decisions["decided_by"].value_counts().to_dict()
    return ClassifyResult(
        works=len(decisions), ai=int(decisions["is_ai"].sum()), borderline=int(decisions["borderline"].sum()),
        decided_by={str(k): int(v) for k, v in counts.items()},
        model_needed=int((~decisions["p_lex"].isna()).sum()), embedded=int(decisions["used_embedding"].sum()),
        model_scores_reused=int(decisions["score_reused"].sum()), seconds=round(time.perf_counter() - started, 2),
        policy=policy.id, rules_version=ruleset.version, model_version=scorer.model_version if scorer else None,
        changes={k: v for k, v in changes.items() if not k.startswith("examples")},
    )
