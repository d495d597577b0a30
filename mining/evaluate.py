"""Evaluation of the AI classification and the topics on labelled data, written to ``eval/reports/``.

Protocol (fixed in :func:`mining.classify.labels.cset_split`): the CSET dev file is halved into TUNE,
used for every choice made in training (hyperparameters, stacking, thresholds, uncertainty band), and
TEST, used only here. Intervals: Wilson 95 % for precision and recall, a percentile bootstrap (1,000
resamples of the test records) for F1.
"""

from __future__ import annotations

import json
import logging
import math
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from mining.classify.labels import cset_split, load_labelled
from mining.classify.policy import load_policy
from mining.classify.rules import RuleEngine, load_rules
from mining.classify.scorer import load_scorer
from mining.classify.stage import decide_frame
from mining.config import Config
from mining.store import atomic_write_text

log = logging.getLogger(__name__)


def wilson(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion (0, 0 when there are no trials)."""
    if trials == 0:
        return 0.0, 0.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def scores_with_ci(y: np.ndarray, predicted: np.ndarray, boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Precision, recall, F1 with 95 % intervals, and the confusion counts."""
    y = np.asarray(y, dtype=bool)
    predicted = np.asarray(predicted, dtype=bool)
    tp = int((y & predicted).sum())
    fp = int((~y & predicted).sum())
    fn = int((y & ~predicted).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    rng = np.random.default_rng(seed)
    n = len(y)
    f1s = np.empty(boot)
    for b in range(boot):
        idx = rng.integers(0, n, n)
        yt, pt = y[idx], predicted[idx]
        btp = (yt & pt).sum()
        denom = 2 * btp + (~yt & pt).sum() + (yt & ~pt).sum()
        f1s[b] = 2 * btp / denom if denom else 0.0
    return {
        "n": n, "positives": int(y.sum()), "tp": tp, "fp": fp, "fn": fn,
        "precision": precision, "precision_ci": wilson(tp, tp + fp),
        "recall": recall, "recall_ci": wilson(tp, tp + fn),
        "f1": f1, "f1_ci": (float(np.percentile(f1s, 2.5)), float(np.percentile(f1s, 97.5))),
    }


def _fmt(scores: dict[str, Any]) -> str:
    p, r, f = scores["precision"], scores["recall"], scores["f1"]
    (pl, ph), (rl, rh), (fl, fh) = scores["precision_ci"], scores["recall_ci"], scores["f1_ci"]
    return f"{p:.3f} [{pl:.3f}, {ph:.3f}] | {r:.3f} [{rl:.3f}, {rh:.3f}] | **{f:.3f}** [{fl:.3f}, {fh:.3f}]"


def _frame_for_rules(test: pd.DataFrame) -> pd.DataFrame:
    """Labelled texts as works: the (normalised) text stands in the abstract; no title, no keywords."""
    n = len(test)
    return pd.DataFrame({
        "work_id": test["id"].astype(str).to_numpy(), "record_id": test["id"].astype(str).to_numpy(),
        "kind": ["paper"] * n, "title": [None] * n, "abstract": test["text"].to_numpy(),
        "author_keywords": [[] for _ in range(n)], "index_keywords": [[] for _ in range(n)],
    })


def evaluate_classification(label_paths: Sequence[Path], config: Config, embed_cache: Path | None,
                            examples: int = 12) -> dict[str, Any]:
    """Scores on the TEST half for: rules alone, lexical model, embedding model, the cascade under the
    ``cset`` policy (the combined system), the stacked model on every record, and the ``report`` policy."""
    started = time.perf_counter()
    frame = load_labelled(list(label_paths))
    split = cset_split(frame)
    test = frame[split == "test"].reset_index(drop=True)
    if test.empty:
        raise ValueError("no TEST records: pass the CSET dev file (cset_arxiv_ai_binary_10pct_dev.jsonl.gz)")
    y = test["label"].to_numpy(dtype=bool)
    works = _frame_for_rules(test)
    engine = RuleEngine(load_rules(config.rules_dir))
    rules_out = engine.match_frame(works)
    rules_pred = (rules_out["sufficient"].map(len) + rules_out["context_ok"].map(len)).to_numpy() > 0

    scorer, embed = load_scorer(config.models_dir, embed_cache)
    if scorer is None:
        raise ValueError(f"no trained classifier in {config.models_dir}; run `mining train` first")
    model = scorer.model
    texts = test["text"].tolist()
    p_lex = model.predict_proba_lexical(texts)
    vectors = np.asarray(embed(texts), dtype=np.float32)  # cached: the cascade below reuses them
    p_emb = model.predict_proba_embedding(embeddings=vectors)
    p_all = model.predict_proba_embed_all(texts, embeddings=vectors)

    rows: dict[str, dict[str, Any]] = {}
    rows["rules alone (report keyword list)"] = scores_with_ci(y, rules_pred)
    rows["lexical model alone (TF-IDF + LR)"] = scores_with_ci(y, p_lex >= model.threshold_lexical_)
    rows["embedding model alone (MiniLM + MLP)"] = scores_with_ci(y, p_emb >= model.threshold_embedding_)
    decisions = {}
    for name in ("cset", "report"):
        policy = load_policy(name, config.rules_dir / "policies")
        decisions[name] = decide_frame(works, rules_out, policy, scorer)
    cascade = decisions["cset"]
    rows["combined: cascade, `cset` policy"] = scores_with_ci(y, cascade["is_ai"].to_numpy())
    rows["stacked model on every record (embed all)"] = scores_with_ci(y, p_all >= model.threshold_)
    rows["`report` policy (rules decide, model otherwise)"] = scores_with_ci(y, decisions["report"]["is_ai"].to_numpy())

    by_year = []
    years = test["year"].astype("Int64")
    for year in sorted(y_ for y_ in years.dropna().unique()):
        mask = (years == year).to_numpy(dtype=bool)
        if mask.sum() < 20:
            continue
        by_year.append({"year": int(year), "n": int(mask.sum()), "positives": int(y[mask].sum()),
                        "rules": scores_with_ci(y[mask], rules_pred[mask], boot=200),
                        "combined": scores_with_ci(y[mask], cascade["is_ai"].to_numpy()[mask], boot=200),
                        "report": scores_with_ci(y[mask], decisions["report"]["is_ai"].to_numpy()[mask], boot=200)})

    combined = cascade["is_ai"].to_numpy()
    p_final = cascade["p_model"].to_numpy()

    def sample(mask: np.ndarray, order: np.ndarray) -> list[dict[str, Any]]:
        idx = [i for i in order if mask[i]][:examples]
        return [{"id": test.at[i, "id"], "year": None if pd.isna(test.at[i, "year"]) else int(test.at[i, "year"]),
                 "p": round(float(p_final[i]), 3), "rules": list(rules_out.at[i, "sufficient"]) + list(rules_out.at[i, "context_ok"]),
                 "text": test.at[i, "text"][:220]} for i in idx]

    report_only = decisions["report"]["is_ai"].to_numpy() & ~combined
    rule_counts: dict[str, int] = {}
    for i in np.flatnonzero(report_only):
        for rule in decisions["report"].at[i, "rules_positive"]:
            rule_counts[rule] = rule_counts.get(rule, 0) + 1
    used = cascade["used_embedding"].to_numpy()
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "label_files": [Path(p).name for p in label_paths],
        "test_records": len(test), "test_positives": int(y.sum()),
        "model_version": scorer.model_version, "rules_version": engine.version,
        "thresholds": {"lexical": model.threshold_lexical_, "embedding": model.threshold_embedding_, "stacked": model.threshold_,
                       "band": [model.band_low_, model.band_high_]},
        "embedded_share_cset": float(used.mean()),
        "rows": rows, "by_year": by_year,
        "false_positives": sample(combined & ~y, np.argsort(-p_final)),
        "false_negatives": sample(~combined & y, np.argsort(p_final)),
        "report_policy": {
            "ai_under_report_not_cset": int(report_only.sum()),
            "of_which_labelled_not_ai": int((report_only & ~y).sum()),
            "rules_behind_them": dict(sorted(rule_counts.items(), key=lambda kv: -kv[1])[:15]),
            "examples": sample(report_only & ~y, np.argsort(p_final)),
        },
        "seconds": round(time.perf_counter() - started, 1),
    }


def evaluate_topics(wos_paths: Sequence[Path], config: Config, embed_cache: Path | None) -> dict[str, Any]:
    """Micro/macro F1 of the text topic model against WoS research areas it never saw (5-fold CV)."""
    from mining.classify.scorer import make_embed
    from mining.classify.topics import cross_validated_topics, labelled_topic_frame, micro_macro_f1, topic_texts
    from mining.ingest import read_file

    frames = [read_file(p) for p in wos_paths]
    frame = pd.concat(frames, ignore_index=True).drop_duplicates("record_id")
    topic_map = load_rules(config.rules_dir).topics
    labelled, Y = labelled_topic_frame(frame, topic_map)
    _, embed = make_embed(embed_cache)
    X = np.asarray(embed(topic_texts(labelled)), dtype=np.float32)
    predicted = cross_validated_topics(X, Y, topic_map.ids)
    scores = micro_macro_f1(Y, predicted)
    scores["per_topic"] = {tid: s for tid, s in zip(topic_map.ids, scores["per_topic"])}
    return {"records": len(labelled), "files": [Path(p).name for p in wos_paths], **scores}


def classification_markdown(result: dict[str, Any], topics: dict[str, Any] | None, command: str) -> str:
    rows = result["rows"]
    lines = [
        "# AI classification: evaluation on held-out labelled arXiv data", "",
        f"Reproduce: `{command}`  ", f"Date: {result['date']}; model `{result['model_version']}`; rules `{result['rules_version']}`.", "",
        "**Split.** The CSET dev file (10,604 arXiv papers labelled by CSET's arXiv-category rule) is halved by "
        "`sha1(arXiv id) % 2`: TUNE (even) chose every hyperparameter, threshold and the uncertainty band in "
        "`mining train`; TEST (odd) is used only here. Training used the 200,000-paper arXiv sample and the "
        "500-paper CSET micro sample.", "",
        f"TEST: {result['test_records']:,} papers, {result['test_positives']:,} AI. Intervals: Wilson 95 % (P, R), bootstrap 95 % (F1).", "",
        "| system | precision [95 % CI] | recall [95 % CI] | F1 [95 % CI] |", "| --- | --- | --- | --- |",
    ]
    lines += [f"| {name} | {_fmt(s)} |" for name, s in rows.items()]
    cascade = rows["combined: cascade, `cset` policy"]
    everything = rows["stacked model on every record (embed all)"]
    lines += [
        "", f"The cascade embedded {result['embedded_share_cset']:.1%} of the TEST records (lexical probability inside "
        f"the band {result['thresholds']['band']}); its F1 is {cascade['f1'] - everything['f1']:+.3f} from embedding every record.", "",
        "Published anchors on arXiv (CSET, *Identifying AI research*): keyword list F1 0.64-0.69, SciBERT 0.88, SPECTER 0.895.", "",
        "## By year (TEST)", "", "| year | papers | AI | rules F1 | combined P | combined R | combined F1 | report-policy F1 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in result["by_year"]:
        c = row["combined"]
        lines.append(f"| {row['year']} | {row['n']} | {row['positives']} | {row['rules']['f1']:.3f} | {c['precision']:.3f} | "
                     f"{c['recall']:.3f} | {c['f1']:.3f} [{c['f1_ci'][0]:.2f}, {c['f1_ci'][1]:.2f}] | {row['report']['f1']:.3f} |")
    report = result["report_policy"]
    lines += [
        "", "## Where the `report` policy differs", "",
        f"{report['ai_under_report_not_cset']:,} TEST papers are AI under `report` but not under `cset`; "
        f"{report['of_which_labelled_not_ai']:,} of them are labelled not-AI by CSET. They are papers whose text "
        "names an AI method (a sufficient keyword rule fires) but which arXiv did not file under an AI category, "
        "e.g. physics or audio papers that use deep networks: AI by the report's definition (methods and their "
        "applications in any field), not by CSET's. Rules behind them:", "",
        ", ".join(f"`{k}` {v}" for k, v in report["rules_behind_them"].items()) or "(none)", "",
        "Examples (labelled not AI, AI under `report`):", "",
    ]
    lines += [f"- `{e['id']}` ({e['year']}) p={e['p']} rules={e['rules']}: {e['text']}..." for e in report["examples"]]
    for title, key in (("False positives of the combined system (highest probability first)", "false_positives"),
                       ("False negatives of the combined system (lowest probability first)", "false_negatives")):
        lines += ["", f"## {title}", ""]
        lines += [f"- `{e['id']}` ({e['year']}) p={e['p']} rules={e['rules']}: {e['text']}..." for e in result[key]]
    if topics:
        lines += [
            "", "## Topics: text model against hidden WoS research areas", "",
            f"{topics['records']:,} real WoS records ({', '.join(topics['files'])}) whose SC/WC give the truth (mapped by "
            "`rules/topics.yaml`); 5-fold cross-validation: each record's topics are predicted by a model that never saw "
            "its SC/WC (nor its journal).", "",
            f"**Micro F1 {topics['micro_f1']:.3f}, macro F1 {topics['macro_f1']:.3f}** (macro over topics present).", "",
            "| topic | support | precision | recall | F1 |", "| --- | ---: | ---: | ---: | ---: |",
        ]
        lines += [f"| {tid} | {s['support']} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} |"
                  for tid, s in topics["per_topic"].items()]
    lines.append("")
    return "\n".join(lines)


def write_classification_report(result: dict[str, Any], topics: dict[str, Any] | None, out_dir: Path, command: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "classify.json", json.dumps({"classification": result, "topics": topics}, indent=2, default=str))
    target = out_dir / "classify.md"
    atomic_write_text(target, classification_markdown(result, topics, command))
    return target
