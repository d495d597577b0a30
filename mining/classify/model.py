"""The AI classifier: a fast lexical model, an embedding model where it can matter, and a calibrated stack.

Design (the why):

* **Lexical model** (cheap, every record): TF-IDF over word 1-2 grams of the CSET-normalised text,
  each feature scaled by its naive-Bayes log-count ratio (NB-LR, Wang & Manning 2012), then a
  logistic regression. Trained on all of TRAIN.
* **Embedding model** (slow, some records): a classifier on MiniLM sentence embeddings, either a
  logistic regression or a one-hidden-layer MLP (whichever has the better TUNE average precision; on
  the CSET data the MLP wins clearly: AP 0.915 against 0.898). Embedding all of TRAIN would take hours
  on 2 cores, so it is trained on a subset: every TRAIN positive plus a random sample of negatives
  (``embed_negatives_per_positive`` times as many), with the sampled negatives re-weighted by
  (all negatives / sampled negatives) so the model's probabilities refer to TRAIN's real base rate.
* **Stacker**: a logistic regression on ``[logit p_lex, logit p_emb]`` fitted on TUNE (data the two
  models never saw, from the target distribution), which also calibrates. Lexical-only and
  embedding-only calibrators (Platt scaling on TUNE) are fitted too.
* **Cascade**: the calibrated lexical probability decides alone unless it falls inside the band
  ``[band_low_, band_high_]``; only records in the band are embedded and get the stacked probability.
  The band is the one embedding the fewest TUNE records such that, with out-of-fold predictions at the
  tuned threshold, (a) the cascade's F1 stays within ``max_f1_loss`` of "embed everything" and (b) it
  contains at least ``min_flip_coverage`` of the records whose decision the embedding changes (stacked
  and lexical-only decisions differ). (a) alone is too weak a guide: embeddings move F1 by less than a
  point here, so a 0.005 tolerance is met by embedding almost nothing, by luck of the TUNE sample;
  (b) asks the cascade to reproduce the embed-everything decisions, which is what "embed only where it
  can change the answer" means.

Hyperparameters given as tuples (``lexical_Cs``, ``embedding_Cs``, ``embedding_mlp_alphas``) are chosen
on TUNE by average precision; the F1-optimal decision threshold is chosen on TUNE's out-of-fold stacked probabilities.
When ``fit`` is given no TUNE set, a stratified ``tune_fraction`` of the training data plays that role.

The estimator takes its embedder (anything with ``model_id`` and ``embed(texts)``) through the
constructor, so tests can inject a tiny fake; saving never stores the embedder, only its ``model_id``.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.utils.validation import check_is_fitted

from mining.classify.embed import TextEmbedder

log = logging.getLogger(__name__)

ARTEFACT_FILE = "classifier.joblib"
META_FILE = "classifier.json"
FORMAT_VERSION = 1
# Tokens are runs of word characters, single letters included ("3d", "x", "c++" -> "c").
TOKEN_PATTERN = r"(?u)\b\w+\b"

EmbeddingsProvider = Callable[[Sequence[str]], np.ndarray]


def logit(p: np.ndarray) -> np.ndarray:
    """log(p / (1 - p)), clipped away from 0 and 1."""
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def _scores(model: Any, X: Any) -> np.ndarray:
    """A model's score on the logit scale (decision_function where it has one)."""
    if hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(X), dtype=np.float64)
    return logit(model.predict_proba(X)[:, 1])


def best_f1_threshold(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """(threshold, F1) maximising F1 of ``p >= threshold`` (threshold halfway between neighbouring scores)."""
    y = np.asarray(y, dtype=bool)
    order = np.argsort(-p, kind="mergesort")
    ps, ys = p[order], y[order]
    tp = np.cumsum(ys)
    k = np.arange(1, len(ys) + 1)
    f1 = 2 * tp / (k + y.sum())
    # Only cut between distinct scores.
    valid = np.r_[ps[1:] < ps[:-1], True]
    f1 = np.where(valid, f1, -1)
    i = int(np.argmax(f1))
    threshold = float((ps[i] + ps[i + 1]) / 2) if i + 1 < len(ps) else float(ps[i])
    return threshold, float(f1[i])


def _fast_f1(y: np.ndarray, predicted: np.ndarray) -> float:
    denominator = int(y.sum()) + int(predicted.sum())
    return 2.0 * int((y & predicted).sum()) / denominator if denominator else 0.0


def prf(y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Precision, recall, F1 and counts of a boolean prediction."""
    y = np.asarray(y, dtype=bool)
    predicted = np.asarray(predicted, dtype=bool)
    return {
        "precision": float(precision_score(y, predicted, zero_division=0)),
        "recall": float(recall_score(y, predicted, zero_division=0)),
        "f1": float(f1_score(y, predicted, zero_division=0)),
        "n": int(len(y)),
        "positives": int(y.sum()),
        "predicted_positive": int(predicted.sum()),
    }


def select_embedding_subset(y: np.ndarray, negatives_per_positive: float, max_negatives: int | None,
                            random_state: int) -> np.ndarray:
    """Indices of the TRAIN records the embedding model is trained on: every positive, then negatives
    in a fixed random order (a larger ratio gives a superset, so cached embeddings are reused)."""
    y = np.asarray(y, dtype=bool)
    positives = np.flatnonzero(y)
    negatives = np.random.RandomState(random_state).permutation(np.flatnonzero(~y))
    n_neg = int(round(negatives_per_positive * len(positives)))
    if max_negatives is not None:
        n_neg = min(n_neg, max_negatives)
    n_neg = min(n_neg, len(negatives))
    return np.concatenate([positives, negatives[:n_neg]])


class AIClassifier(BaseEstimator, ClassifierMixin):
    """Is this paper AI? ``X`` is a sequence of texts already normalised by
    :func:`mining.classify.text.normalise_text`; ``y`` booleans (or 0/1)."""

    def __init__(
        self,
        embedder: TextEmbedder | None = None,
        *,
        ngram_max: int = 2,
        min_df: int = 3,
        max_features: int | None = 400_000,
        nb_weighting: bool = True,
        lexical_Cs: Sequence[float] = (1.0,),
        embedding_Cs: Sequence[float] = (1.0,),
        embedding_mlp_alphas: Sequence[float] = (),
        embedding_mlp_hidden: int = 256,
        embed_negatives_per_positive: float = 1.0,
        max_embed_negatives: int | None = None,
        stacker_C: float = 1.0,
        cv_folds: int = 5,
        tune_fraction: float = 0.25,
        max_f1_loss: float = 0.005,
        min_flip_coverage: float = 0.95,
        random_state: int = 0,
    ) -> None:
        self.embedder = embedder
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.max_features = max_features
        self.nb_weighting = nb_weighting
        self.lexical_Cs = lexical_Cs
        self.embedding_Cs = embedding_Cs
        self.embedding_mlp_alphas = embedding_mlp_alphas
        self.embedding_mlp_hidden = embedding_mlp_hidden
        self.embed_negatives_per_positive = embed_negatives_per_positive
        self.max_embed_negatives = max_embed_negatives
        self.stacker_C = stacker_C
        self.cv_folds = cv_folds
        self.tune_fraction = tune_fraction
        self.max_f1_loss = max_f1_loss
        self.min_flip_coverage = min_flip_coverage
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting

    def _validate(self, X: Sequence[str], y: Any) -> tuple[list[str], np.ndarray]:
        if isinstance(X, str):
            raise TypeError("X must be a sequence of texts, not one string")
        texts = [str(t) for t in X]
        labels = np.asarray(y)
        if labels.ndim != 1 or len(labels) != len(texts):
            raise ValueError(f"X has {len(texts)} texts but y has shape {labels.shape}")
        if labels.dtype != bool:
            if not np.isin(labels, [0, 1]).all():
                raise ValueError("y must be boolean or 0/1")
            labels = labels.astype(bool)
        if labels.all() or not labels.any():
            raise ValueError("y needs both classes")
        return texts, labels

    def fit(self, X: Sequence[str], y: Any, X_tune: Sequence[str] | None = None, y_tune: Any = None,
            embeddings_provider: EmbeddingsProvider | None = None) -> "AIClassifier":
        """Fit the lexical and embedding models on ``X``, then the stacker, calibrators, threshold and band
        on ``(X_tune, y_tune)``. ``embeddings_provider`` (texts -> vectors) overrides the embedder for
        this call, e.g. to go through a cache; otherwise ``self.embedder.embed`` is used."""
        if self.embedder is None and embeddings_provider is None:
            raise ValueError("AIClassifier needs an embedder (constructor) or an embeddings_provider (fit)")
        if not (0 < self.tune_fraction < 1) or self.cv_folds < 2 or not self.lexical_Cs:
            raise ValueError("invalid tune_fraction, cv_folds or lexical_Cs")
        if not (len(self.embedding_Cs) or len(self.embedding_mlp_alphas)):
            raise ValueError("give at least one embedding model: embedding_Cs and/or embedding_mlp_alphas")
        texts, labels = self._validate(X, y)
        if X_tune is None:
            texts, tune_texts, labels, tune_labels = train_test_split(
                texts, labels, test_size=self.tune_fraction, stratify=labels, random_state=self.random_state)
            labels, tune_labels = np.asarray(labels), np.asarray(tune_labels)
        else:
            tune_texts, tune_labels = self._validate(X_tune, y_tune)
        provider = embeddings_provider or self.embedder.embed  # type: ignore[union-attr]
        self.embedding_model_id_ = getattr(self.embedder, "model_id", None) or getattr(provider, "model_id", "unknown")
        timings: dict[str, float] = {}
        started = time.perf_counter()

        # Lexical model on all of TRAIN.
        log.info("lexical model: vectorising %d training texts", len(texts))
        self.vectorizer_ = TfidfVectorizer(ngram_range=(1, self.ngram_max), min_df=self.min_df,
                                           max_features=self.max_features, sublinear_tf=True,
                                           dtype=np.float32, token_pattern=TOKEN_PATTERN)
        X_train = self.vectorizer_.fit_transform(texts)
        # Older scikit-learn keeps every pruned term in stop_words_ (millions of strings): never save it.
        if hasattr(self.vectorizer_, "stop_words_"):
            del self.vectorizer_.stop_words_
        if self.nb_weighting:
            present = (X_train > 0).astype(np.float32)
            pos = np.asarray(present[labels].sum(axis=0)).ravel() + 1.0
            neg = np.asarray(present[~labels].sum(axis=0)).ravel() + 1.0
            self.nb_ratio_ = np.log((pos / pos.sum()) / (neg / neg.sum())).astype(np.float32)
            X_train = X_train @ sp.diags(self.nb_ratio_)
        else:
            self.nb_ratio_ = None
        X_tune_lex = self._lexical_features(tune_texts)
        timings["lexical_vectorise_s"] = time.perf_counter() - started
        lexical_candidates = {f"lr C={C:g}": (lambda C=float(C): LogisticRegression(C=C, solver="liblinear"))
                              for C in self.lexical_Cs}
        self.lexical_, _, lexical_scores = self._fit_best(
            lexical_candidates, X_train, labels, None, X_tune_lex, tune_labels, "lexical")
        self.lexical_C_ = float(self.lexical_.C)
        timings["lexical_fit_s"] = time.perf_counter() - started - timings["lexical_vectorise_s"]

        # Embedding model on a subset of TRAIN, re-weighted to TRAIN's base rate.
        subset = select_embedding_subset(labels, self.embed_negatives_per_positive, self.max_embed_negatives,
                                         self.random_state)
        n_neg_all = int((~labels).sum())
        n_neg_subset = int((~labels[subset]).sum())
        weights = np.where(labels[subset], 1.0, n_neg_all / max(n_neg_subset, 1))
        t0 = time.perf_counter()
        log.info("embedding model: %d training texts (%d positive, %d of %d negatives; negative weight %.2f)",
                 len(subset), int(labels[subset].sum()), n_neg_subset, n_neg_all, weights.max())
        E_train = np.asarray(provider([texts[i] for i in subset]), dtype=np.float32)
        E_tune = np.asarray(provider(tune_texts), dtype=np.float32)
        timings["embed_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        embedding_candidates: dict[str, Callable[[], Any]] = {
            f"lr C={C:g}": (lambda C=float(C): LogisticRegression(C=C, max_iter=5000)) for C in self.embedding_Cs}
        for alpha in self.embedding_mlp_alphas:
            embedding_candidates[f"mlp alpha={alpha:g}"] = (
                lambda alpha=float(alpha): MLPClassifier(hidden_layer_sizes=(self.embedding_mlp_hidden,), alpha=alpha,
                                                         early_stopping=True, max_iter=200,
                                                         random_state=self.random_state))
        self.embedding_, self.embedding_choice_, embedding_scores = self._fit_best(
            embedding_candidates, E_train, labels[subset], weights, E_tune, tune_labels, "embedding")
        timings["embedding_fit_s"] = time.perf_counter() - t0

        # Stack and calibrate on TUNE.
        t0 = time.perf_counter()
        z_lex = self.lexical_.decision_function(X_tune_lex)
        z_emb = _scores(self.embedding_, E_tune)
        self._fit_tune_layer(z_lex, z_emb, tune_labels)
        timings["stack_s"] = time.perf_counter() - t0
        timings["total_s"] = time.perf_counter() - started
        self.training_summary_ = {
            "n_train": len(texts), "n_train_positive": int(labels.sum()),
            "n_tune": len(tune_texts), "n_tune_positive": int(tune_labels.sum()),
            "n_embedding_train": int(len(subset)), "n_embedding_train_positive": int(labels[subset].sum()),
            "embedding_negative_weight": float(n_neg_all / max(n_neg_subset, 1)),
            "n_features": int(len(self.vectorizer_.vocabulary_)),
            "lexical_scores_tune_ap": lexical_scores, "embedding_scores_tune_ap": embedding_scores,
            "timings": {k: round(v, 1) for k, v in timings.items()},
        }
        self.classes_ = np.array([False, True])
        return self

    def _fit_best(self, candidates: dict[str, Callable[[], Any]], X: Any, y: np.ndarray, weights: np.ndarray | None,
                  X_val: Any, y_val: np.ndarray, name: str) -> tuple[Any, str, dict[str, float]]:
        """Fit every candidate; keep the one with the best average precision on the TUNE data."""
        best: tuple[float, str, Any] | None = None
        scores: dict[str, float] = {}
        for label, make in candidates.items():
            t0 = time.perf_counter()
            model = make().fit(X, y, sample_weight=weights)
            ap = float(average_precision_score(y_val, _scores(model, X_val)))
            scores[label] = round(ap, 5)
            log.info("%s model %s: TUNE average precision %.4f (%.0f s)", name, label, ap, time.perf_counter() - t0)
            if best is None or ap > best[0]:
                best = (ap, label, model)
        assert best is not None
        return best[2], best[1], scores

    def _fit_tune_layer(self, z_lex: np.ndarray, z_emb: np.ndarray, y: np.ndarray) -> None:
        """Stacker, calibrators, threshold and cascade band from TUNE scores (out-of-fold where chosen)."""
        cv = StratifiedKFold(n_splits=self.cv_folds, shuffle=True, random_state=self.random_state)
        Z = np.column_stack([z_lex, z_emb])
        L = z_lex.reshape(-1, 1)
        M = z_emb.reshape(-1, 1)

        def oof(features: np.ndarray, C: float) -> np.ndarray:
            return cross_val_predict(LogisticRegression(C=C), features, y, cv=cv, method="predict_proba")[:, 1]

        p_stack = oof(Z, self.stacker_C)
        p_lex = oof(L, 1e4)
        p_emb = oof(M, 1e4)
        self.stacker_ = LogisticRegression(C=self.stacker_C).fit(Z, y)
        self.lexical_calibrator_ = LogisticRegression(C=1e4).fit(L, y)
        self.embedding_calibrator_ = LogisticRegression(C=1e4).fit(M, y)

        self.threshold_, _ = best_f1_threshold(y, p_stack)
        self.threshold_lexical_, _ = best_f1_threshold(y, p_lex)
        self.threshold_embedding_, _ = best_f1_threshold(y, p_emb)
        t = self.threshold_
        full_f1 = _fast_f1(y, p_stack >= t)
        # Band: fewest records embedded with F1 within max_f1_loss of embedding all, and at least
        # min_flip_coverage of the decisions the embedding changes reproduced.
        flips = (p_stack >= t) != (p_lex >= t)
        n_flips = max(int(flips.sum()), 1)
        below = np.unique(np.r_[p_lex[p_lex < t], t])
        above = np.unique(np.r_[p_lex[p_lex >= t], t])
        lows = np.unique(np.quantile(below, np.linspace(0, 1, 101)))
        highs = np.unique(np.quantile(above, np.linspace(0, 1, 101)))
        best: tuple[float, float, float, float] | None = None  # (share, -f1, low, high)
        for low in lows:
            for high in highs:
                inside = (p_lex >= low) & (p_lex <= high)
                if int((flips & inside).sum()) < self.min_flip_coverage * n_flips:
                    continue
                f1 = _fast_f1(y, np.where(inside, p_stack, p_lex) >= t)
                if f1 >= full_f1 - self.max_f1_loss:
                    candidate = (float(inside.mean()), -float(f1), float(low), float(high))
                    if best is None or candidate < best:
                        best = candidate
        if best is None:  # cannot happen: the widest band embeds everything
            best = (1.0, -full_f1, 0.0, 1.0)
        self.band_low_, self.band_high_ = best[2], best[3]
        inside = (p_lex >= self.band_low_) & (p_lex <= self.band_high_)
        p_cascade = np.where(inside, p_stack, p_lex)
        self.tune_metrics_ = {
            "note": "TUNE half of the CSET dev file, out-of-fold predictions of the TUNE-fitted layer; the "
                    "threshold and band were chosen on these same predictions, so these figures are optimistic",
            "lexical": prf(y, p_lex >= self.threshold_lexical_),
            "embedding": prf(y, p_emb >= self.threshold_embedding_),
            "embed_all": prf(y, p_stack >= t),
            "cascade": prf(y, p_cascade >= t),
            "lexical_at_threshold": prf(y, p_lex >= t),
            "embedding_share": float(inside.mean()),
            "decisions_changed_by_embedding": int(flips.sum()),
            "changed_decisions_inside_band": int((flips & inside).sum()),
            "average_precision": {"lexical": float(average_precision_score(y, p_lex)),
                                  "embedding": float(average_precision_score(y, p_emb)),
                                  "embed_all": float(average_precision_score(y, p_stack))},
        }
        log.info("TUNE (out-of-fold): lexical F1 %.4f, embedding F1 %.4f, embed-all F1 %.4f, cascade F1 %.4f "
                 "embedding %.1f%% of records (band [%.3f, %.3f], threshold %.3f)",
                 self.tune_metrics_["lexical"]["f1"], self.tune_metrics_["embedding"]["f1"],
                 self.tune_metrics_["embed_all"]["f1"], self.tune_metrics_["cascade"]["f1"],
                 100 * inside.mean(), self.band_low_, self.band_high_, t)

    # --------------------------------------------------------------- prediction

    def _lexical_features(self, texts: Sequence[str]) -> sp.csr_matrix:
        X = self.vectorizer_.transform(list(texts))
        if self.nb_ratio_ is not None:
            X = X @ sp.diags(self.nb_ratio_)
        return X

    def _lexical_scores(self, texts: Sequence[str]) -> np.ndarray:
        return self.lexical_.decision_function(self._lexical_features(texts))

    def _provider(self, embeddings_provider: EmbeddingsProvider | TextEmbedder | None) -> EmbeddingsProvider:
        source = embeddings_provider if embeddings_provider is not None else self.embedder
        if source is None:
            raise ValueError("no embedder: pass one to AIClassifier(...) / load(...) or give an embeddings_provider")
        return source.embed if hasattr(source, "embed") else source  # type: ignore[return-value]

    def predict_proba_lexical(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated lexical-only probability (cheap: no embedding)."""
        check_is_fitted(self, "lexical_")
        if len(texts) == 0:
            return np.zeros(0)
        z = self._lexical_scores(texts)
        return self.lexical_calibrator_.predict_proba(z.reshape(-1, 1))[:, 1]

    def predict_proba_embedding(self, texts: Sequence[str] | None = None, embeddings: np.ndarray | None = None,
                                embeddings_provider: EmbeddingsProvider | TextEmbedder | None = None) -> np.ndarray:
        """Calibrated embedding-only probability (from texts, or from precomputed ``embeddings``)."""
        check_is_fitted(self, "embedding_")
        if embeddings is None:
            embeddings = np.asarray(self._provider(embeddings_provider)(list(texts or [])), dtype=np.float32)
        if len(embeddings) == 0:
            return np.zeros(0)
        z = _scores(self.embedding_, embeddings)
        return self.embedding_calibrator_.predict_proba(z.reshape(-1, 1))[:, 1]

    def needs_embedding(self, p_lex: np.ndarray) -> np.ndarray:
        """Which records the embedding can change: calibrated lexical probability inside the band."""
        check_is_fitted(self, "band_low_")
        p_lex = np.asarray(p_lex)
        return (p_lex >= self.band_low_) & (p_lex <= self.band_high_)

    def _stacked(self, z_lex: np.ndarray, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        z_emb = _scores(self.embedding_, embeddings)
        p = self.stacker_.predict_proba(np.column_stack([z_lex, z_emb]))[:, 1]
        p_emb = self.embedding_calibrator_.predict_proba(z_emb.reshape(-1, 1))[:, 1]
        return p, p_emb

    def predict_proba_cascade(self, texts: Sequence[str],
                              embeddings_provider: EmbeddingsProvider | TextEmbedder | None = None
                              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(p_final, used_embedding, p_lex, p_emb)``: the lexical probability decides outside the band,
        the stacked one inside it; only records inside the band are embedded (``p_emb`` is NaN elsewhere)."""
        check_is_fitted(self, "stacker_")
        texts = list(texts)
        if not texts:
            empty = np.zeros(0)
            return empty, np.zeros(0, dtype=bool), empty, empty
        z_lex = self._lexical_scores(texts)
        p_lex = self.lexical_calibrator_.predict_proba(z_lex.reshape(-1, 1))[:, 1]
        used = self.needs_embedding(p_lex)
        p_final = p_lex.copy()
        p_emb = np.full(len(texts), np.nan)
        if used.any():
            chosen = [texts[i] for i in np.flatnonzero(used)]
            embeddings = np.asarray(self._provider(embeddings_provider)(chosen), dtype=np.float32)
            p_final[used], p_emb[used] = self._stacked(z_lex[used], embeddings)
        return p_final, used, p_lex, p_emb

    def predict_proba_embed_all(self, texts: Sequence[str], embeddings: np.ndarray | None = None,
                                embeddings_provider: EmbeddingsProvider | TextEmbedder | None = None) -> np.ndarray:
        """The stacked probability for every record (embeds everything: the cascade's reference)."""
        check_is_fitted(self, "stacker_")
        texts = list(texts)
        if embeddings is None:
            embeddings = np.asarray(self._provider(embeddings_provider)(texts), dtype=np.float32)
        if not texts:
            return np.zeros(0)
        return self._stacked(self._lexical_scores(texts), embeddings)[0]

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """sklearn interface: ``(n, 2)`` probabilities of [not AI, AI] from the cascade."""
        p = self.predict_proba_cascade(X)[0]
        return np.column_stack([1 - p, p])

    def predict(self, X: Sequence[str]) -> np.ndarray:
        """AI or not at the tuned threshold."""
        return self.predict_proba(X)[:, 1] >= self.threshold_

    # ------------------------------------------------------------ persistence

    def metadata(self) -> dict[str, Any]:
        """Thresholds, band and identifiers, as written next to the artefact (JSON-safe)."""
        check_is_fitted(self, "stacker_")
        return {
            "format_version": FORMAT_VERSION,
            "embedding_model_id": self.embedding_model_id_,
            "threshold": self.threshold_,
            "threshold_lexical": self.threshold_lexical_,
            "threshold_embedding": self.threshold_embedding_,
            "band": [self.band_low_, self.band_high_],
            "lexical_C": self.lexical_C_,
            "embedding_model": self.embedding_choice_,
            "params": {k: (list(v) if isinstance(v, tuple) else v)
                       for k, v in self.get_params(deep=False).items() if k != "embedder"},
            "tune_metrics": self.tune_metrics_,
            "training_summary": self.training_summary_,
        }

    def save(self, directory: Path | str) -> Path:
        """Write ``classifier.joblib`` (without the embedder) and ``classifier.json`` into ``directory``."""
        import joblib

        check_is_fitted(self, "stacker_")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        embedder, self.embedder = self.embedder, None
        try:
            temporary = directory / f".{ARTEFACT_FILE}.tmp"
            joblib.dump(self, temporary, compress=3)
            temporary.replace(directory / ARTEFACT_FILE)
        finally:
            self.embedder = embedder
        (directory / META_FILE).write_text(json.dumps(self.metadata(), indent=2) + "\n", encoding="utf-8")
        return directory / ARTEFACT_FILE

    @classmethod
    def load(cls, directory: Path | str, embedder: TextEmbedder | None = None) -> "AIClassifier":
        """Load a saved classifier; ``embedder`` defaults to the packaged MiniLM (loaded lazily) and must
        produce the vectors the model was trained on (same ``model_id``)."""
        import joblib

        from mining.classify.embed import Embedder

        path = Path(directory) / ARTEFACT_FILE
        if not path.exists():
            raise FileNotFoundError(f"{path}: no trained classifier here; run `mining train`")
        model = joblib.load(path)
        if not isinstance(model, cls):
            raise TypeError(f"{path} holds a {type(model).__name__}, not an AIClassifier")
        model.embedder = embedder if embedder is not None else Embedder()
        if model.embedder.model_id != model.embedding_model_id_:
            raise ValueError(f"{path} was trained on embeddings {model.embedding_model_id_!r} but the embedder "
                             f"gives {model.embedder.model_id!r}")
        return model
