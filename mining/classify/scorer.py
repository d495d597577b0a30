"""Glue between the trained artefacts in ``models/`` and the classify stage: the AI classifier behind the
stage's :class:`~mining.classify.stage.ModelScorer` interface, the shared embedding function (cached in
the workspace by model id and text hash) and the topic text model."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from mining.classify.embed import CachedEmbedder, Embedder, EmbeddingCache
from mining.classify.model import ARTEFACT_FILE, AIClassifier

log = logging.getLogger(__name__)

AI_MODEL_DIR = "ai-classifier"
TOPIC_MODEL_DIR = "topic-classifier"

Embed = Callable[[Sequence[str]], np.ndarray]


class ClassifierScorer:
    """A trained :class:`AIClassifier` as the stage's scorer: lexical first, embedding inside the band."""

    def __init__(self, model: AIClassifier, embed: Embed, model_version: str) -> None:
        self.model = model
        self.embed = embed
        self.model_version = model_version
        self.threshold: float | None = float(model.threshold_)

    def lexical(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.predict_proba_lexical(list(texts))

    def uncertain(self, p_lex: np.ndarray) -> np.ndarray:
        return self.model.needs_embedding(np.asarray(p_lex, dtype=float))

    def final_without_embedding(self, p_lex: np.ndarray) -> np.ndarray:
        return np.asarray(p_lex, dtype=float)

    def refine(self, texts: Sequence[str], p_lex: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        vectors = np.asarray(self.embed(list(texts)), dtype=np.float32)
        p_final = self.model.predict_proba_embed_all(list(texts), embeddings=vectors)
        p_emb = self.model.predict_proba_embedding(embeddings=vectors)
        return p_final, p_emb


def artefact_version(folder: Path) -> str:
    """``<folder name>@<first 12 hex of the artefact's sha256>``: changes whenever the model is retrained."""
    digest = hashlib.sha256((folder / ARTEFACT_FILE).read_bytes()).hexdigest()[:12]
    return f"{folder.name}@{digest}"


def make_embed(cache_dir: Path | None) -> tuple[Embedder, Embed]:
    """The packaged MiniLM (loaded lazily on first use) behind a cache keyed by (model id, text hash)."""
    embedder = Embedder()
    cache = EmbeddingCache(cache_dir) if cache_dir is not None else None
    return embedder, CachedEmbedder(embedder, cache).embed


def load_scorer(models_dir: Path, embed_cache: Path | None) -> tuple[ClassifierScorer | None, Embed]:
    """The trained AI classifier (None, with a warning, when ``models/ai-classifier`` is absent) and the
    shared embedding function."""
    embedder, embed = make_embed(embed_cache)
    folder = models_dir / AI_MODEL_DIR
    if not (folder / ARTEFACT_FILE).exists():
        log.warning("no trained AI classifier in %s: rules and codes only (run `mining train`)", folder)
        return None, embed
    model = AIClassifier.load(folder, embedder=embedder)
    return ClassifierScorer(model, embed, artefact_version(folder)), embed


def load_topic_model(models_dir: Path):  # noqa: ANN201 - returns TopicTextClassifier | None
    from mining.classify.topics import TopicTextClassifier

    model = TopicTextClassifier.load(models_dir / TOPIC_MODEL_DIR)
    if model is None:
        log.warning("no topic text model in %s: topics from WoS fields and journals only (run `mining train-topics`)",
                    models_dir / TOPIC_MODEL_DIR)
    return model
