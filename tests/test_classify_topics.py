"""Topics: WoS fields first, then the journal, then the text model; evaluation helpers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mining.classify.rules import load_rules
from mining.classify.topics import (
    JournalTopicIndex,
    TopicTextClassifier,
    assign_topics,
    labelled_topic_frame,
    micro_macro_f1,
    wos_topic_lists,
)
from mining.config import PROJECT_ROOT
from mining.ingest import read_file

WOS_TAB = Path(__file__).resolve().parent / "fixtures" / "wos" / "scientopy_wos_2026_04_02_4071.txt"


@pytest.fixture(scope="module")
def topic_map():
    return load_rules(PROJECT_ROOT / "rules").topics


@pytest.fixture(scope="module")
def wos() -> pd.DataFrame:
    frame = read_file(WOS_TAB)
    frame["work_id"] = frame["record_id"]
    return frame


class HashEmbedder:
    """A tiny deterministic stand-in for MiniLM: bag of hashed words (tests must not load the real model)."""

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.calls = 0

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.split():
                out[i, hash(word) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def test_wos_fields_give_topics_on_real_records(wos: pd.DataFrame, topic_map) -> None:
    topics = wos_topic_lists(wos, topic_map)
    assert all(t is not None for t in topics)  # every record of a WoS export has SC/WC
    # a record filed under Computer Science gets that topic, in the order of topics.yaml
    for areas, found in zip(wos["research_areas"], topics):
        if "Computer Science" in list(areas):
            assert "computer_science" in found
        if "Engineering" in list(areas):
            assert "engineering" in found


def test_journal_index_learns_from_wos_records(wos: pd.DataFrame, topic_map) -> None:
    topics = wos_topic_lists(wos, topic_map)
    index = JournalTopicIndex.learn(wos, topics)
    first = wos.iloc[0]
    assert index.lookup(first["issn"], first["eissn"], first["venue"]) == sorted(topics[0])
    # matched by title too, whatever the case and punctuation
    assert index.lookup(None, None, str(first["venue"]).lower() + ".") == sorted(topics[0])
    assert index.lookup("0000-0000", None, "No Such Journal") is None


def test_assign_topics_prefers_wos_then_journal_then_text(wos: pd.DataFrame, topic_map) -> None:
    frame = wos.copy()
    hidden = frame.index[:3]
    # hide SC/WC of three records: the first keeps its journal (others of that journal may teach it),
    # the next two also lose their journal, so only the text model can help
    frame.loc[hidden, "research_areas"] = pd.Series([[]] * 3, index=hidden)
    frame.loc[hidden, "wos_categories"] = pd.Series([[]] * 3, index=hidden)
    frame.loc[hidden[1:], ["issn", "eissn", "venue"]] = None
    labelled, Y = labelled_topic_frame(wos, topic_map)
    embed = HashEmbedder()
    model = TopicTextClassifier(topic_ids=list(topic_map.ids), cv=3).fit(embed(labelled["title"].tolist()), Y)
    embed.calls = 0
    result = assign_topics(frame, topic_map, model, lambda texts: embed(texts))
    assert result.loc[3:, "topic_sources"].map(lambda s: set(s) <= {"wos"}).all()
    assert set(result.loc[1, "topic_sources"]) <= {"text"} and set(result.loc[2, "topic_sources"]) <= {"text"}
    assert embed.calls == 2 + (0 if result.loc[0, "topic_sources"][:1] == ["journal"] else 1)
    assert all(len(t) == len(s) for t, s in zip(result["topics"], result["topic_sources"]))


def test_text_mask_limits_embedding(wos: pd.DataFrame, topic_map) -> None:
    frame = wos.copy()
    frame["research_areas"] = [[] for _ in range(len(frame))]
    frame["wos_categories"] = [[] for _ in range(len(frame))]
    frame[["issn", "eissn", "venue"]] = None
    labelled, Y = labelled_topic_frame(wos, topic_map)
    embed = HashEmbedder()
    model = TopicTextClassifier(topic_ids=list(topic_map.ids), cv=3).fit(embed(labelled["title"].tolist()), Y)
    embed.calls = 0
    mask = np.zeros(len(frame), dtype=bool)
    mask[:5] = True
    result = assign_topics(frame, topic_map, model, embed, text_mask=mask)
    assert embed.calls == 5
    assert (result.loc[5:, "topics"].map(len) == 0).all()


def test_topic_classifier_validates_input() -> None:
    with pytest.raises(ValueError, match="Requesting 5-fold"):
        TopicTextClassifier(topic_ids=["a"]).fit(np.zeros((4, 2)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="2 columns but 1 topic"):
        TopicTextClassifier(topic_ids=["a"]).fit(np.zeros((20, 2)), np.zeros((20, 2)))


def test_micro_macro_f1_by_hand() -> None:
    Y = np.array([[1, 0], [1, 1], [0, 1]], dtype=bool)
    P = np.array([[1, 0], [0, 1], [1, 1]], dtype=bool)
    scores = micro_macro_f1(Y, P)
    # topic 0: tp 1 fp 1 fn 1 -> F1 0.5; topic 1: tp 2 fp 0 fn 0 -> F1 1.0; micro: tp 3, |Y| 4, |P| 4 -> 0.75
    assert scores["micro_f1"] == pytest.approx(0.75)
    assert scores["macro_f1"] == pytest.approx(0.75)
    assert scores["per_topic"][0]["f1"] == pytest.approx(0.5)
