"""The whole pipeline, stage after stage, each reading and writing the workspace.

Stages so far: ingest -> dedup -> classify (AI decision + topics) -> export. Later stages (classify, resolve, tables) plug in here.
Every run writes a run manifest (inputs with hashes, config, code version, per-stage counts).
"""

from __future__ import annotations

import json
import logging
import subprocess
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mining
from mining.config import PROJECT_ROOT, Config
from mining.export import write_frame
from mining.ingest.runner import FileResult, Progress, ingest_paths
from mining.schema import WORK_SCHEMA
from mining.store import Workspace, atomic_write_text

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)


def demo_inputs(config: Config) -> list[Path]:
    """The embedded demo exports (``data/demo/``), every file but the README."""
    folder = config.data_dir / "demo"
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != "README.md" and not p.name.startswith("."))
    if not files:
        raise FileNotFoundError(f"{folder}: no demo inputs; the clone is incomplete")
    return files


def code_version() -> str:
    """Package version plus the git commit when run from a checkout."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                                text=True, timeout=5, check=False).stdout.strip()
    except OSError:
        commit = ""
    return f"{mining.__version__}+{commit}" if commit else mining.__version__


@dataclass
class RunResult:
    workspace: str
    out_dir: str
    started_at: str
    seconds: float = 0.0
    inputs: list[dict[str, Any]] = field(default_factory=list)
    stages: dict[str, Any] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)


def dedup_stage(workspace: Workspace, config: Config) -> dict[str, Any]:
    """Merge the same work seen in several sources; writes tables ``works`` and ``dedup_pairs``."""
    from mining.dedup import deduplicate

    records = workspace.records()
    result = deduplicate(records, title_threshold=config.dedup_title_threshold)
    workspace.write_table("works", result.works, schema=WORK_SCHEMA)
    workspace.write_table("dedup_pairs", result.pairs)
    workspace.write_report("dedup.md", result.report_markdown())
    workspace.write_report("dedup.json", json.dumps(result.summary, indent=2, default=str))
    return result.summary


def classify_stage(workspace: Workspace, config: Config, policy: str = "report", use_model: bool = True) -> dict[str, Any]:
    """AI decision, reasons and topics for every work (tables ``classification``, ``rule_hits``, ``topics``)."""
    from mining.classify.scorer import load_scorer, load_topic_model
    from mining.classify.stage import classify_workspace

    scorer, embed = load_scorer(config.models_dir, Path(config.workspace) / "cache" / "embeddings")
    result = classify_workspace(workspace, config, policy, scorer if use_model else None, embed, load_topic_model(config.models_dir))
    return result.as_dict()


def classified_works(workspace: Workspace) -> "pd.DataFrame":
    """Works joined with their decision and topics: what analysts open first."""
    return workspace.sql(
        "SELECT w.work_id, w.kind, w.doc_type, w.year, w.title, w.venue, w.doi, w.sources, c.is_ai, c.score, "
        "c.borderline, c.decided_by, c.rules_positive, c.codes, c.p_model, t.topics, t.topic_sources, c.reasons "
        "FROM works w JOIN classification c USING (work_id) LEFT JOIN topics t USING (work_id) ORDER BY w.work_id"
    )


def run_pipeline(
    config: Config,
    inputs: list[Path],
    skip_bad: bool = False,
    progress: Progress | None = None,
    policy: str = "report",
) -> RunResult:
    """Ingest ``inputs`` into ``config.workspace`` (already-stored files are skipped), deduplicate,
    classify (AI decision, reasons, topics) and write the outputs to ``config.out_dir``."""
    started = time.perf_counter()
    workspace = Workspace(config.workspace)
    out_dir = Path(config.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    run = RunResult(str(workspace.root), str(out_dir), datetime.now(timezone.utc).isoformat(timespec="seconds"))

    files: list[FileResult] = ingest_paths(inputs, workspace, skip_bad=skip_bad, batch_size=config.ingest_batch_size, progress=progress)
    run.stages["ingest"] = {"files": len(files), "new_records": sum(f.records for f in files),
                            "bad_records": sum(f.bad_records for f in files)}
    manifest = workspace.manifest()
    run.inputs = [{"sha256": sha, **{k: v for k, v in entry.items() if k in ("file", "format", "records", "bad_records")}}
                  for sha, entry in manifest.items()]

    run.stages["dedup"] = dedup_stage(workspace, config)
    run.stages["classify"] = classify_stage(workspace, config, policy)
    run.outputs.append(str(write_frame(classified_works(workspace), out_dir / "classification.csv")))
    works = workspace.read_table("works")
    run.outputs.append(str(write_frame(works, out_dir / "works.csv")))
    run.outputs.append(str(write_frame(works, out_dir / "works.parquet")))
    summary = workspace.sql(
        "SELECT source, kind, doc_type, count(*) AS records FROM records GROUP BY ALL ORDER BY source, kind, records DESC"
    )
    run.outputs.append(str(write_frame(summary, out_dir / "records_by_source.csv")))

    run.seconds = round(time.perf_counter() - started, 2)
    manifest_doc = {"run": asdict(run), "code_version": code_version(),
                    "config": {k: str(v) for k, v in asdict(config).items()}}
    atomic_write_text(out_dir / "run_manifest.json", json.dumps(manifest_doc, indent=2, default=str))
    run.outputs.append(str(out_dir / "run_manifest.json"))
    return run
