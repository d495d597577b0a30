"""``mining bench classify``: end-to-end classification speed on 2 cores, cascade against embedding
every record, and the rules-only re-run after a keyword edit. Writes ``eval/reports/bench_classify.*``.

Each timing starts from a cold embedding cache (a fresh temporary folder), so embeddings are really
computed; the model artefact and the MiniLM weights are loaded before timing starts.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from mining.classify.labels import cset_split, load_labelled
from mining.classify.policy import load_policy
from mining.classify.rules import RuleEngine, load_rules
from mining.classify.scorer import load_scorer
from mining.classify.stage import decide_frame
from mining.config import Config
from mining.evaluate import _frame_for_rules, scores_with_ci
from mining.store import atomic_write_text

log = logging.getLogger(__name__)


def run_classify_benchmark(label_paths: Sequence[Path], config: Config, records: int | None = None,
                           embed_all_sample: int = 1000, policy_name: str = "cset") -> dict[str, Any]:
    """Time the classify path over every labelled text of the given files (F1 is only reported on the
    TEST half of the CSET dev file, the records no choice was made on)."""
    frame = load_labelled(list(label_paths))
    data = frame.reset_index(drop=True)
    if records is not None:
        data = data.iloc[:records].reset_index(drop=True)
    y = data["label"].to_numpy(dtype=bool)
    is_test = (cset_split(data) == "test").to_numpy()
    works = _frame_for_rules(data)
    policy = load_policy(policy_name, config.rules_dir / "policies")
    result: dict[str, Any] = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "records": len(data), "policy": policy.id, "label_files": [Path(p).name for p in label_paths],
    }
    with tempfile.TemporaryDirectory() as cold:
        scorer, embed = load_scorer(config.models_dir, Path(cold) / "emb")
        if scorer is None:
            raise ValueError(f"no trained classifier in {config.models_dir}; run `mining train` first")
        scorer.model.embedder.embed(["warm up the model"])  # load weights before timing
        t0 = time.perf_counter()
        engine = RuleEngine(load_rules(config.rules_dir))
        rules_out = engine.match_frame(works)
        t1 = time.perf_counter()
        decisions = decide_frame(works, rules_out, policy, scorer)
        t2 = time.perf_counter()
        cascade_seconds = t2 - t0
        used = decisions["used_embedding"].to_numpy()
        result["cascade"] = {
            "seconds": round(cascade_seconds, 2), "records_per_s": round(len(data) / cascade_seconds, 1),
            "rules_seconds": round(t1 - t0, 2), "model_seconds": round(t2 - t1, 2),
            "embedded": int(used.sum()), "embedded_share": float(used.mean()),
            "f1_test": scores_with_ci(y[is_test], decisions["is_ai"].to_numpy()[is_test], boot=200)["f1"] if is_test.any() else None,
        }
        # a keyword edit: rules and policy re-run, model scores reused from the run above
        previous = decisions[~decisions["p_lex"].isna()][["score_key", "p_lex", "p_emb", "p_model", "used_embedding"]]
        previous = previous.rename(columns={"score_key": "key"})
        t3 = time.perf_counter()
        engine2 = RuleEngine(load_rules(config.rules_dir))
        rules_again = engine2.match_frame(works)
        decide_frame(works, rules_again, policy, scorer, previous)
        t4 = time.perf_counter()
        result["rules_only_rerun"] = {"seconds": round(t4 - t3, 2), "records_per_s": round(len(data) / (t4 - t3), 1),
                                      "note": "rule engine compiled from the files, all rules matched, policy applied, model scores reused"}
    # embedding every record: timed on a sample (embedding is linear in the number of texts), F1 on all
    sample = data.iloc[:embed_all_sample]
    with tempfile.TemporaryDirectory() as cold:
        scorer2, embed2 = load_scorer(config.models_dir, Path(cold) / "emb")
        assert scorer2 is not None
        scorer2.model.embedder.embed(["warm up the model"])
        t5 = time.perf_counter()
        engine3 = RuleEngine(load_rules(config.rules_dir))
        engine3.match_frame(works.iloc[: len(sample)])
        vectors = embed2(sample["text"].tolist())
        scorer2.model.predict_proba_embed_all(sample["text"].tolist(), embeddings=np.asarray(vectors))
        t6 = time.perf_counter()
    result["embed_all"] = {"sample": len(sample), "seconds": round(t6 - t5, 2),
                           "records_per_s": round(len(sample) / (t6 - t5), 1)}
    result["speedup"] = round(result["cascade"]["records_per_s"] / result["embed_all"]["records_per_s"], 1)
    return result


def benchmark_markdown(result: dict[str, Any], command: str, eval_rows: dict[str, Any] | None = None) -> str:
    c, e, r = result["cascade"], result["embed_all"], result["rules_only_rerun"]
    lines = [
        "# Classification benchmark", "",
        f"Reproduce: `{command}`  ",
        f"Machine: {result['machine']['cpus']} CPUs, Python {result['machine']['python']}, {result['machine']['platform']}; {result['date']}.", "",
        f"Input: {result['records']:,} labelled arXiv texts ({', '.join(result['label_files'])}), policy `{result['policy']}`. "
        "Cold embedding cache for every timing; model and MiniLM weights loaded before timing starts.", "",
        "| path | records | seconds | records/s | embedded |", "| --- | ---: | ---: | ---: | ---: |",
        f"| cascade end to end (rules + lexical + embedding inside the band + policy) | {result['records']:,} | {c['seconds']} | **{c['records_per_s']:,}** | {c['embedded']:,} ({c['embedded_share']:.1%}) |",
        f"| embed every record (rules + MiniLM + stacked model), timed on a sample | {e['sample']:,} | {e['seconds']} | {e['records_per_s']:,} | 100 % |",
        f"| rules-only re-run after a keyword edit (model scores reused) | {result['records']:,} | {r['seconds']} | **{r['records_per_s']:,}** | 0 |",
        "", f"Cascade: {result['speedup']}x the records/s of embedding every record; of its {c['seconds']} s, rules took {c['rules_seconds']} s "
        f"(engine compile included) and the models {c['model_seconds']} s.",
    ]
    if eval_rows:
        lines += ["", f"F1 on the held-out TEST half (from `eval/reports/classify.md`): cascade {eval_rows['cascade']:.3f}, "
                  f"embedding every record {eval_rows['embed_all']:.3f} (difference {eval_rows['cascade'] - eval_rows['embed_all']:+.3f})."]
    else:
        lines += ["", f"Cascade F1 on the TEST records among them: {c['f1_test']}."]
    lines += ["", "Targets (issue 3): >= 400 records/s overall with F1 within 0.01 of embedding every record; rules-only re-run >= 5,000 records/s.", ""]
    return "\n".join(lines)


def write_benchmark(result: dict[str, Any], out_dir: Path, command: str) -> Path:
    eval_rows = None
    report = out_dir / "classify.json"
    if report.exists():
        rows = json.loads(report.read_text())["classification"]["rows"]
        eval_rows = {"cascade": rows["combined: cascade, `cset` policy"]["f1"],
                     "embed_all": rows["stacked model on every record (embed all)"]["f1"]}
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "bench_classify.json", json.dumps(result, indent=2, default=str))
    target = out_dir / "bench_classify.md"
    atomic_write_text(target, benchmark_markdown(result, command, eval_rows))
    return target

