"""The ``mining`` command line: a thin layer over the library; each command opens the workspace and calls
one library function. Every command's help ends with an ``Example:`` (a test checks it)."""

from __future__ import annotations

import json
import logging
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from mining.config import Config, load_config
from mining.errors import MiningError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="From raw bibliographic and patent exports to the tables of a national AI competitiveness index.")
bench_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Benchmarks that write reports to eval/reports/.")
app.add_typer(bench_app, name="bench")

console = Console(stderr=True)
out = Console()

WorkspaceOpt = typer.Option(None, "--workspace", "-w", help="Workspace folder (default ./workspace, or MINING_WORKSPACE).")
RulesOpt = typer.Option(None, "--rules", help="Rules folder (keywords.yaml, patent_codes.yaml, topics.yaml, policies/); default ./rules of the project.")
PolicyOpt = typer.Option("report", "--policy", "-p", help="Decision policy: a name in RULES/policies/ (report, cset) or a YAML file.")


class _State:
    config: Config = Config()


state = _State()


@app.callback()
def main(
    config_file: Optional[Path] = typer.Option(None, "--config", help="TOML settings file (default ./mining.toml if present, or MINING_CONFIG)."),
    log_level: Optional[str] = typer.Option(None, "--log-level", help="DEBUG, INFO, WARNING or ERROR (default INFO, or MINING_LOG_LEVEL)."),
) -> None:
    """Analysts' tool for the research-and-innovation pillar of an AI competitiveness index.

    Example: mining ingest savedrecs.txt scopus.csv && mining dedup && mining records --out works.csv
    """
    state.config = load_config(config_file, log_level=log_level)
    logging.basicConfig(level=state.config.log_level.upper(), format="%(message)s",
                        handlers=[RichHandler(console=console, show_path=False, show_time=False)], force=True)


def _config(workspace: Optional[Path] = None, out_dir: Optional[Path] = None) -> Config:
    return state.config.replace(workspace=workspace, out_dir=out_dir)


def _fail(exc: Exception) -> None:
    console.print(f"[bold red]error:[/] {exc}", highlight=False)
    raise typer.Exit(code=1)


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,} records"),
                    TimeElapsedColumn(), console=console, transient=True, disable=not console.is_terminal)


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Export files (or folders of them) to store."),
    workspace: Optional[Path] = WorkspaceOpt,
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="Force a format instead of detecting it (see `mining formats`)."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Skip malformed records (listed in the workspace's reports/) instead of stopping."),
) -> None:
    """Read export files into the workspace. The same file twice adds nothing; a bad file adds nothing.

    Example: mining ingest exports/savedrecs.txt exports/scopus.csv --workspace ws
    """
    from mining.ingest.runner import ingest_paths
    from mining.store import Workspace

    config = _config(workspace)
    ws = Workspace(config.workspace)
    try:
        with _progress() as bar:
            task = bar.add_task("ingest", total=None)
            results = ingest_paths(paths, ws, fmt=fmt, skip_bad=skip_bad, batch_size=config.ingest_batch_size,
                                   progress=lambda p, n: bar.update(task, description=p.name, completed=n))
    except MiningError as exc:
        _fail(exc)
        return
    table = Table("file", "format", "status", "records", "bad", "warnings")
    for r in results:
        table.add_row(Path(r.path).name, r.format or "-", r.status, f"{r.records:,}", str(r.bad_records), str(r.warnings))
    out.print(table)
    for r in results:
        if r.bad_records:
            console.print(f"{r.bad_records} bad record(s) in {r.path} skipped; listed in {r.report}")
        if r.error:
            console.print(f"[red]{r.error}[/]")
    if any(r.status == "failed" for r in results):
        raise typer.Exit(code=1)


@app.command()
def dedup(workspace: Optional[Path] = WorkspaceOpt) -> None:
    """Merge the same work seen in several sources (DOI, then title+year+first author, then source ids).

    Writes the `works` table and a merge report (reports/dedup.md).

    Example: mining dedup --workspace ws
    """
    from mining.pipeline import dedup_stage
    from mining.store import Workspace

    config = _config(workspace)
    ws = Workspace(config.workspace)
    try:
        ws.require()
        summary = dedup_stage(ws, config)
    except MiningError as exc:
        _fail(exc)
        return
    out.print_json(json.dumps(summary, default=str))
    console.print(f"merge report: {ws.reports_dir / 'dedup.md'}")


class TableName(str, Enum):
    works = "works"
    records = "records"


class OutFormat(str, Enum):
    csv = "csv"
    jsonl = "jsonl"
    parquet = "parquet"


@app.command()
def records(
    out_file: Path = typer.Option(..., "--out", "-o", help="File to write."),
    workspace: Optional[Path] = WorkspaceOpt,
    fmt: Optional[OutFormat] = typer.Option(None, "--format", help="csv, jsonl or parquet (default: from the file suffix)."),
    table: TableName = typer.Option(TableName.works, "--table", help="works (deduplicated; default) or records (as ingested)."),
) -> None:
    """Write the stored works (or raw records) in the documented schema (`mining schema`).

    Example: mining records --workspace ws --out works.jsonl
    """
    from mining.export import write_frame
    from mining.store import Workspace

    ws = Workspace(_config(workspace).workspace)
    try:
        ws.require()
        frame = ws.records() if table is TableName.records else ws.read_table("works")
        path = write_frame(frame, out_file, fmt.value if fmt else None)
    except MiningError as exc:
        _fail(exc)
        return
    console.print(f"{len(frame):,} {table.value} written to {path}")


@app.command()
def formats() -> None:
    """List the input formats the tool reads (names for --format).

    Example: mining formats
    """
    from mining.ingest.base import registry

    table = Table("format", "source", "kind", "description")
    for name, cls in sorted(registry().items()):
        table.add_row(name, cls.source, cls.kind, cls.description)
    out.print(table)


@app.command()
def schema() -> None:
    """Print the record schema (column, type, meaning) as Markdown.

    Example: mining schema > SCHEMA.md
    """
    from mining.schema import schema_markdown

    sys.stdout.write(schema_markdown() + "\n")


@app.command()
def run(
    demo: bool = typer.Option(False, "--demo", help="Run on the embedded demo exports in data/demo/."),
    inputs: Optional[list[Path]] = typer.Argument(None, help="Export files to ingest first (optional: the workspace may already hold them)."),
    workspace: Optional[Path] = WorkspaceOpt,
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Output folder (default ./out)."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Skip malformed records instead of stopping."),
    policy: str = PolicyOpt,
) -> None:
    """Run the whole pipeline: ingest, dedup, classify, and write the outputs to --out.

    With --demo and no --workspace, the workspace is out/demo-workspace.

    Example: mining run --demo
    """
    from mining.pipeline import demo_inputs, run_pipeline

    config = _config(workspace, out_dir)
    if demo and workspace is None:
        config = config.replace(workspace=Path(config.out_dir) / "demo-workspace")
    try:
        paths = list(inputs or [])
        if demo:
            paths += demo_inputs(config)
        with _progress() as bar:
            task = bar.add_task("ingest", total=None)
            result = run_pipeline(config, paths, skip_bad=skip_bad, policy=policy,
                                  progress=lambda p, n: bar.update(task, description=p.name, completed=n))
    except MiningError as exc:
        _fail(exc)
        return
    table = Table("stage", "result")
    for stage, summary in result.stages.items():
        table.add_row(stage, json.dumps(summary, default=str)[:200])
    out.print(table)
    console.print(f"done in {result.seconds:.1f} s; outputs in {result.out_dir}:")
    for path in result.outputs:
        console.print(f"  {path}")




def _embed_cache(config: Config) -> Path:
    return Path(config.workspace) / "cache" / "embeddings"


@app.command()
def classify(
    workspace: Optional[Path] = WorkspaceOpt,
    rules: Optional[Path] = RulesOpt,
    policy: str = PolicyOpt,
    no_model: bool = typer.Option(False, "--no-model", help="Rules and codes only (no classifier)."),
) -> None:
    """Decide for every work whether it counts as AI (score, reasons, borderline flag) and assign topics.

    After an edit of the keyword file only rules and policy re-run (model scores are reused); a change
    report lists what flipped, by rule (reports/classify-changes.md).

    Example: mining classify --workspace ws --policy report
    """
    from mining.classify.scorer import load_scorer, load_topic_model
    from mining.classify.stage import classify_workspace
    from mining.store import Workspace

    config = _config(workspace).replace(rules_dir=rules)
    ws = Workspace(config.workspace)
    try:
        ws.require()
        scorer, embed = load_scorer(config.models_dir, _embed_cache(config))
        result = classify_workspace(ws, config, policy, None if no_model else scorer, embed, load_topic_model(config.models_dir))
    except MiningError as exc:
        _fail(exc)
        return
    out.print_json(json.dumps(result.as_dict(), default=str))
    console.print(f"change report: {ws.reports_dir / 'classify-changes.md'}")


@app.command("classify-text")
def classify_text(
    rules: Optional[Path] = RulesOpt,
    policy: str = PolicyOpt,
    no_model: bool = typer.Option(False, "--no-model", help="Rules and codes only (no classifier)."),
) -> None:
    """Classify JSON lines from stdin, one JSON line out per line in.

    Input: {"id", "title", "abstract", "keywords", "kind", "ipc"} or {"text"} alone.
    Output: {"id", "is_ai", "score", "borderline", "decided_by", "reasons", "topics"}.

    Example: echo '{"id": "1", "title": "Deep learning for crop yield"}' | mining classify-text
    """
    import pandas as pd

    from mining.classify.scorer import load_scorer, load_topic_model
    from mining.classify.stage import classify_records

    config = _config().replace(rules_dir=rules)
    rows = []
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            _fail(MiningError(f"<stdin> line {number}: not JSON ({exc.msg}); send one JSON object per line"))
            return
        if not isinstance(item, dict) or not (item.get("text") or item.get("title") or item.get("abstract")):
            _fail(MiningError(f"<stdin> line {number}: needs 'title'/'abstract' or 'text'"))
            return
        keywords = item.get("keywords") or []
        rows.append({
            "work_id": str(item.get("id", number)), "kind": item.get("kind") or "paper",
            "title": item.get("title") or item.get("text"), "abstract": item.get("abstract"),
            "author_keywords": keywords if isinstance(keywords, list) else [str(keywords)],
            "ipc": item.get("ipc") or [], "pub_date": item.get("pub_date"),
        })
    if not rows:
        return
    try:
        scorer, embed = load_scorer(config.models_dir, None)
        frame, _ = classify_records(pd.DataFrame(rows), config, policy, None if no_model else scorer, embed,
                                    load_topic_model(config.models_dir))
    except MiningError as exc:
        _fail(exc)
        return
    for row in frame.to_dict("records"):
        sys.stdout.write(json.dumps({
            "id": row["work_id"], "is_ai": bool(row["is_ai"]), "score": row["score"], "borderline": bool(row["borderline"]),
            "decided_by": row["decided_by"], "reasons": json.loads(row["reasons"]), "topics": list(row["topics"]),
        }, ensure_ascii=False) + "\n")


@app.command()
def explain(
    record: str = typer.Argument(..., help="A work id, record id, source id (UT, EID, ...) or DOI."),
    workspace: Optional[Path] = WorkspaceOpt,
) -> None:
    """Why a work was (not) counted as AI: decision, reasons, the rule hits with their text, topics.

    Example: mining explain WOS:000402365200010 --workspace ws
    """
    from mining.classify.explain import explain_work
    from mining.store import Workspace

    ws = Workspace(_config(workspace).workspace)
    try:
        ws.require()
        report = explain_work(ws, record)
    except MiningError as exc:
        _fail(exc)
        return
    out.print_json(json.dumps(report, default=str, ensure_ascii=False))


@app.command()
def train(
    labels: list[Path] = typer.Option(..., "--labels", "-l", help="Labelled files (CSET JSONL, arXiv sample, or CSV/JSONL with record_id,label); repeat the option."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Artefact folder (default models/ai-classifier)."),
    cache: Optional[Path] = typer.Option(Path(".cache/embeddings"), "--cache", help="Embedding cache folder."),
) -> None:
    """Train the AI classifier (lexical + MiniLM embedding + stacker) and write it with its model card.

    The CSET dev file gives the TUNE half (choices) and the TEST half (kept out for `mining evaluate`).

    Example: mining train -l labels/arxiv_union_sample200k.jsonl.gz -l labels/cset_arxiv_ai_binary_10pct_dev.jsonl.gz -l labels/cset_micro_sample_train.jsonl
    """
    from mining.classify.scorer import AI_MODEL_DIR
    from mining.classify.train import train_classifier

    config = _config()
    try:
        card = train_classifier(labels, out_dir or config.models_dir / AI_MODEL_DIR, cache)
    except (MiningError, ValueError) as exc:
        _fail(exc)
        return
    out.print_json(json.dumps(card, default=str))


@app.command("train-topics")
def train_topics(
    labels: list[Path] = typer.Option(..., "--labels", "-l", help="WoS exports (plain text or tab-delimited) whose SC/WC give the topics; repeat the option."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Artefact folder (default models/topic-classifier)."),
    cache: Optional[Path] = typer.Option(Path(".cache/embeddings"), "--cache", help="Embedding cache folder."),
) -> None:
    """Train the topic text model (ten topics, multi-label) on WoS records, from their embeddings.

    Example: mining train-topics -l exports/scientopy_wos_2026_04_02_1000.txt
    """
    import pandas as pd

    from mining.classify.rules import load_rules
    from mining.classify.scorer import TOPIC_MODEL_DIR, make_embed
    from mining.classify.topics import train_topic_model
    from mining.ingest import read_file

    config = _config()
    try:
        frame = pd.concat([read_file(p) for p in labels], ignore_index=True).drop_duplicates("record_id")
        _, embed = make_embed(cache)
        card = train_topic_model(frame, load_rules(config.rules_dir).topics, embed, out_dir or config.models_dir / TOPIC_MODEL_DIR,
                                 sources=[p.name for p in labels])
    except (MiningError, ValueError) as exc:
        _fail(exc)
        return
    out.print_json(json.dumps(card, default=str))


@app.command()
def evaluate(
    labels: list[Path] = typer.Option(..., "--labels", "-l", help="Labelled files; must include the CSET dev file (its TEST half is scored)."),
    wos: Optional[list[Path]] = typer.Option(None, "--wos", help="WoS exports with SC/WC for the topic evaluation; repeat the option."),
    cache: Optional[Path] = typer.Option(Path(".cache/embeddings"), "--cache", help="Embedding cache folder."),
) -> None:
    """Precision, recall and F1 with 95 % intervals on the held-out TEST split; topics against hidden WoS areas.

    Writes eval/reports/classify.md and classify.json.

    Example: mining evaluate -l labels/cset_arxiv_ai_binary_10pct_dev.jsonl.gz --wos exports/scientopy_wos_2026_04_02_1000.txt
    """
    from mining.evaluate import evaluate_classification, evaluate_topics, write_classification_report

    config = _config()
    command = "mining evaluate " + " ".join([f"-l {p}" for p in labels] + [f"--wos {p}" for p in wos or []])
    try:
        result = evaluate_classification(labels, config, cache)
        topics = evaluate_topics(wos, config, cache) if wos else None
        path = write_classification_report(result, topics, config.reports_dir, command)
    except (MiningError, ValueError) as exc:
        _fail(exc)
        return
    console.print(f"report: {path}")
    for name, row in result["rows"].items():
        out.print(f"{name}: P {row['precision']:.3f} R {row['recall']:.3f} F1 {row['f1']:.3f}")
    if topics:
        out.print(f"topics: micro F1 {topics['micro_f1']:.3f}, macro F1 {topics['macro_f1']:.3f} on {topics['records']} WoS records")


@bench_app.command("ingest")
def bench_ingest(
    n_records: int = typer.Option(100_000, "--records", help="Records in the generated WoS plain-text file."),
    compare: bool = typer.Option(True, "--compare/--no-compare", help="Also time metaknowledge on the same file."),
    repeat: int = typer.Option(3, "--repeat", help="Runs per measurement (alternating parsers; the fastest is kept)."),
) -> None:
    """Parse speed and peak memory on a large WoS plain-text file, against metaknowledge.

    Writes eval/reports/bench_ingest.json and .md.

    Example: mining bench ingest --records 100000
    """
    from mining.bench_ingest import run_ingest_benchmark

    result = run_ingest_benchmark(records=n_records, out_dir=state.config.reports_dir, compare=compare, repeat=repeat)
    out.print_json(json.dumps(result, default=str))


@bench_app.command("classify")
def bench_classify(
    labels: list[Path] = typer.Option(..., "--labels", "-l", help="Labelled file(s); the TEST half of the CSET dev file is used when present."),
    n_records: Optional[int] = typer.Option(None, "--records", help="Use only the first N records."),
    embed_all_sample: int = typer.Option(1000, "--embed-all-sample", help="Records on which embedding every record is timed."),
) -> None:
    """Classification records/s: cascade vs embedding every record, and a rules-only re-run.

    Writes eval/reports/bench_classify.json and .md.

    Example: mining bench classify -l labels/cset_arxiv_ai_binary_10pct_dev.jsonl.gz
    """
    from mining.bench_classify import run_classify_benchmark, write_benchmark

    config = state.config
    command = "mining bench classify " + " ".join(f"-l {p}" for p in labels)
    result = run_classify_benchmark(labels, config, records=n_records, embed_all_sample=embed_all_sample)
    path = write_benchmark(result, config.reports_dir, command)
    console.print(f"report: {path}")
    out.print_json(json.dumps(result, default=str))


if __name__ == "__main__":  # pragma: no cover
    app()
