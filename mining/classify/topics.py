"""The ten topics (multi-label): from WoS subject fields, else from the journal, else from the text.

Order of evidence for one work (each assigned topic says where it came from):

1. ``wos``: the record's own WoS research areas (SC) / categories (WC), mapped by ``rules/topics.yaml``;
2. ``journal``: topics learnt from the WoS-labelled works of the same journal in the store (matched by
   ISSN, eISSN or normalised journal title): a topic is given when at least ``min_share`` of that
   journal's WoS works carry it (journals are filed under fixed categories, so this is nearly exact);
3. ``text``: a one-vs-rest logistic regression on the MiniLM embedding of title + abstract, trained on
   WoS records whose SC/WC give the truth (``mining train-topics``), with a per-topic threshold.

The text step embeds, which is slow, so by default it runs only for the works that need topics for the
tables (AI works) and have no topic from steps 1-2; embeddings are shared with the AI classifier's cache.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

import joblib
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from mining.classify.rules import TopicMap

log = logging.getLogger(__name__)

MODEL_FILE = "topic_model.joblib"
CARD_FILE = "model_card.json"


def _journal_keys(issn: Any, eissn: Any, venue: Any) -> list[str]:
    keys = [f"issn:{v}" for v in (issn, eissn) if isinstance(v, str) and v]
    if isinstance(venue, str) and venue.strip():
        keys.append("venue:" + re.sub(r"[^a-z0-9]+", " ", venue.lower()).strip())
    return keys


@dataclass
class JournalTopicIndex:
    """Journal key -> topics, learnt from the WoS-labelled works of each journal."""

    min_share: float = 0.5
    topics: dict[str, list[str]] = field(default_factory=dict)
    support: dict[str, int] = field(default_factory=dict)

    @classmethod
    def learn(cls, works: pd.DataFrame, wos_topics: Sequence[list[str] | None], min_share: float = 0.5) -> "JournalTopicIndex":
        """``wos_topics[i]``: topics of works[i] from its own SC/WC, or None when it has no SC/WC."""
        counts: dict[str, dict[str, int]] = {}
        totals: dict[str, int] = {}
        for (issn, eissn, venue), topics in zip(works[["issn", "eissn", "venue"]].itertuples(index=False), wos_topics):
            if topics is None:
                continue
            for key in _journal_keys(issn, eissn, venue):
                totals[key] = totals.get(key, 0) + 1
                bucket = counts.setdefault(key, {})
                for topic in topics:
                    bucket[topic] = bucket.get(topic, 0) + 1
        index = cls(min_share=min_share)
        for key, total in totals.items():
            index.support[key] = total
            index.topics[key] = sorted(t for t, n in counts.get(key, {}).items() if n / total >= min_share)
        return index

    def lookup(self, issn: Any, eissn: Any, venue: Any) -> list[str] | None:
        """Topics of the journal (possibly empty: a known journal outside the ten), None if unknown."""
        for key in _journal_keys(issn, eissn, venue):
            if key in self.topics:
                return self.topics[key]
        return None


class TopicTextClassifier(BaseEstimator, ClassifierMixin):
    """One-vs-rest logistic regression on text embeddings, one F1-tuned threshold per topic.

    ``fit(X, Y)``: X embeddings (n, d), Y multi-hot (n, k) with ``topic_ids`` naming the k columns.
    """

    def __init__(self, topic_ids: Sequence[str] = (), C: float = 4.0, cv: int = 5, random_state: int = 0) -> None:
        self.topic_ids = topic_ids
        self.C = C
        self.cv = cv
        self.random_state = random_state

    def fit(self, X: np.ndarray, Y: np.ndarray) -> "TopicTextClassifier":
        X = np.asarray(X, dtype=np.float32)
        Y = np.asarray(Y, dtype=bool)
        if X.ndim != 2 or Y.ndim != 2 or len(X) != len(Y):
            raise ValueError(f"X must be (n, d) and Y (n, k) with the same n; got {X.shape} and {Y.shape}")
        if Y.shape[1] != len(self.topic_ids):
            raise ValueError(f"Y has {Y.shape[1]} columns but {len(self.topic_ids)} topic ids were given")
        if len(X) < self.cv * 2:
            raise ValueError(f"Requesting {self.cv}-fold threshold tuning but only {len(X)} examples were given")
        self.estimators_: list[LogisticRegression | None] = []
        self.thresholds_ = np.full(Y.shape[1], 0.5)
        self.positives_ = Y.sum(axis=0)
        folds = KFold(self.cv, shuffle=True, random_state=self.random_state)
        for k in range(Y.shape[1]):
            y = Y[:, k]
            if y.sum() < self.cv or (~y).sum() < self.cv:
                self.estimators_.append(None)  # too few examples to learn this topic: never predicted
                continue
            oof = np.zeros(len(y))
            for train, test in folds.split(X):
                if y[train].all() or not y[train].any():
                    oof[test] = y[train].mean()
                    continue
                model = LogisticRegression(C=self.C, max_iter=2000, class_weight="balanced")
                oof[test] = model.fit(X[train], y[train]).predict_proba(X[test])[:, 1]
            self.thresholds_[k] = _best_threshold(y, oof)
            self.estimators_.append(LogisticRegression(C=self.C, max_iter=2000, class_weight="balanced").fit(X, y))
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        out = np.zeros((len(X), len(self.estimators_)))
        for k, model in enumerate(self.estimators_):
            if model is not None and len(X):
                out[:, k] = model.predict_proba(X)[:, 1]
        return out

    def predict(self, X: np.ndarray) -> np.ndarray:
        proba = self.predict_proba(X)
        fitted = np.array([m is not None for m in self.estimators_])
        return (proba >= self.thresholds_) & fitted

    def save(self, folder: Path, card: dict[str, Any]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, folder / MODEL_FILE)
        (folder / CARD_FILE).write_text(json.dumps(card, indent=2, default=str), encoding="utf-8")

    @staticmethod
    def load(folder: Path) -> "TopicTextClassifier | None":
        path = folder / MODEL_FILE
        return joblib.load(path) if path.exists() else None


def _best_threshold(y: np.ndarray, scores: np.ndarray) -> float:
    best, best_f1 = 0.5, -1.0
    for threshold in np.linspace(0.1, 0.9, 33):
        pred = scores >= threshold
        tp = float((pred & y).sum())
        f1 = 2 * tp / max(1.0, pred.sum() + y.sum())
        if f1 > best_f1:
            best, best_f1 = float(threshold), f1
    return best


def topic_texts(frame: pd.DataFrame) -> list[str]:
    """The text the topic model (and the AI classifier) embeds: normalised title + abstract."""
    from mining.classify.stage import texts_of

    return texts_of(frame)


def wos_topic_lists(frame: pd.DataFrame, topic_map: TopicMap) -> list[list[str] | None]:
    """Topics from each work's own SC/WC; None for works without any SC/WC (not WoS-labelled)."""
    result: list[list[str] | None] = []
    for areas, categories in zip(frame["research_areas"], frame["wos_categories"]):
        areas = list(areas) if areas is not None else []
        categories = list(categories) if categories is not None else []
        result.append(topic_map.topics_from_wos(areas, categories) if (areas or categories) else None)
    return result


def assign_topics(
    works: pd.DataFrame,
    topic_map: TopicMap,
    text_model: TopicTextClassifier | None,
    embed: Any | None,
    text_mask: np.ndarray | None = None,
    min_share: float = 0.5,
) -> pd.DataFrame:
    """Topics for every work: columns work_id, topics (ids), topic_sources (aligned: wos|journal|text).

    ``embed``: a callable texts -> embeddings (e.g. ``CachedEmbedder.embed``); ``text_mask``: the works
    allowed to use the text step (default: all). Works left without topics get empty lists.
    """
    from_wos = wos_topic_lists(works, topic_map)
    journals = JournalTopicIndex.learn(works, from_wos, min_share=min_share)
    topics: list[list[str]] = []
    sources: list[list[str]] = []
    need_text: list[int] = []
    for i, (own, issn, eissn, venue) in enumerate(zip(from_wos, works["issn"], works["eissn"], works["venue"])):
        if own is not None:
            topics.append(own)
            sources.append(["wos"] * len(own))
            continue
        by_journal = journals.lookup(issn, eissn, venue)
        if by_journal:
            topics.append(list(by_journal))
            sources.append(["journal"] * len(by_journal))
            continue
        topics.append([])
        sources.append([])
        if text_mask is None or bool(text_mask[i]):
            need_text.append(i)
    if need_text and text_model is not None and embed is not None:
        subset = works.iloc[need_text]
        vectors = embed(topic_texts(subset))
        predicted = text_model.predict(vectors)
        ids = list(text_model.topic_ids)
        for row, flags in zip(need_text, predicted):
            chosen = [ids[k] for k in np.flatnonzero(flags)]
            topics[row] = chosen
            sources[row] = ["text"] * len(chosen)
    log.info("topics: %d from WoS fields, %d from the journal, %d by text model", sum(t is not None for t in from_wos),
             sum(1 for s in sources if s[:1] == ["journal"]), sum(1 for s in sources if s[:1] == ["text"]))
    return pd.DataFrame({"work_id": works["work_id"].tolist(), "topics": topics, "topic_sources": sources})


def labelled_topic_frame(frame: pd.DataFrame, topic_map: TopicMap) -> tuple[pd.DataFrame, np.ndarray]:
    """WoS records with SC/WC -> (those records, multi-hot truth over topic_map.ids)."""
    truth = wos_topic_lists(frame, topic_map)
    keep = [i for i, t in enumerate(truth) if t is not None]
    ids = list(topic_map.ids)
    Y = np.zeros((len(keep), len(ids)), dtype=bool)
    for row, i in enumerate(keep):
        for topic in truth[i] or []:
            Y[row, ids.index(topic)] = True
    return frame.iloc[keep].reset_index(drop=True), Y


def micro_macro_f1(Y: np.ndarray, P: np.ndarray) -> dict[str, Any]:
    """Micro and macro F1 (macro over topics present in the truth), with per-topic P/R/F1/support."""
    per: list[dict[str, float]] = []
    for k in range(Y.shape[1]):
        tp = float((Y[:, k] & P[:, k]).sum())
        fp = float((~Y[:, k] & P[:, k]).sum())
        fn = float((Y[:, k] & ~P[:, k]).sum())
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per.append({"precision": precision, "recall": recall, "f1": f1, "support": int(Y[:, k].sum())})
    tp = float((Y & P).sum())
    micro = 2 * tp / max(1.0, float(Y.sum() + P.sum()))
    present = [p["f1"] for p in per if p["support"] > 0]
    return {"micro_f1": micro, "macro_f1": float(np.mean(present)) if present else 0.0, "per_topic": per}


def cross_validated_topics(X: np.ndarray, Y: np.ndarray, topic_ids: Sequence[str], folds: int = 5, seed: int = 0) -> np.ndarray:
    """Out-of-fold predictions: each record predicted by a model that never saw its SC/WC."""
    predicted = np.zeros_like(Y, dtype=bool)
    for train, test in KFold(folds, shuffle=True, random_state=seed).split(X):
        model = TopicTextClassifier(topic_ids=list(topic_ids)).fit(X[train], Y[train])
        predicted[test] = model.predict(X[test])
    return predicted


def train_topic_model(frame: pd.DataFrame, topic_map: TopicMap, embed: Any, out_dir: Path, sources: Iterable[str] = ()) -> dict[str, Any]:
    """Fit the text topic model on WoS-labelled records and save it with a model card."""
    labelled, Y = labelled_topic_frame(frame, topic_map)
    if len(labelled) < 20:
        raise ValueError(f"only {len(labelled)} records carry WoS SC/WC; the topic model needs at least 20")
    X = embed(topic_texts(labelled))
    model = TopicTextClassifier(topic_ids=list(topic_map.ids)).fit(X, Y)
    card = {
        "model": "one-vs-rest logistic regression on MiniLM embeddings of normalised title + abstract",
        "trained_on": list(sources), "records": len(labelled), "topic_map_version": topic_map.version,
        "positives": dict(zip(topic_map.ids, map(int, Y.sum(axis=0)))),
        "thresholds": dict(zip(topic_map.ids, map(float, model.thresholds_))),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    model.save(out_dir, card)
    return card
