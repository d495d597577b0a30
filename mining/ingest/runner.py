"""Store export files in a workspace: detect, parse in batches, write aside, commit atomically."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path
from typing import Callable, Iterable, Iterator

from mining.errors import InputError, Location
from mining.ingest import detect_format, get_parser
from mining.ingest.base import BadRecords, locate_decode_error
from mining.schema import to_table
from mining.store import Workspace, sha256_of

log = logging.getLogger(__name__)

#: Called after each stored batch with (file, records so far).
Progress = Callable[[Path, int], None]


@dataclass
class FileResult:
    """What happened to one input."""

    path: str
    format: str | None
    status: str  # "ingested" | "already ingested" | "failed"
    records: int = 0
    bad_records: int = 0
    warnings: int = 0
    report: str | None = None
    error: str | None = None
    bad: list[dict] = field(default_factory=list)


def expand_inputs(paths: Iterable[Path | str]) -> list[Path]:
    """Files to ingest: files as given; a folder is one input when a parser claims it (PatentsView
    tables), otherwise each visible file inside it, sorted."""
    from mining.ingest.base import registry

    result: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(Location(path), "no such file or folder", "check the path")
        if path.is_dir():
            if any(cls.sniff(path, "") for cls in registry().values()):
                result.append(path)
                continue
            result.extend(sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".") and p.name != "README.md"))
        else:
            result.append(path)
    return result


def _batches(rows: Iterator[dict], size: int) -> Iterator[list[dict]]:
    while batch := list(islice(rows, size)):
        yield batch


def ingest_file(
    path: Path,
    workspace: Workspace,
    fmt: str | None = None,
    skip_bad: bool = False,
    batch_size: int = 20_000,
    progress: Progress | None = None,
) -> FileResult:
    """Parse one input into the workspace. Raises :class:`InputError` (nothing stored) on bad input
    unless ``skip_bad``; then bad records are skipped and listed in ``reports/ingest-<sha16>.json``."""
    sha = sha256_of(path)
    if workspace.has_input(sha):
        log.info("%s: already ingested (same bytes), nothing added", path)
        return FileResult(str(path), fmt, "already ingested")
    fmt = fmt or detect_format(path)
    parser = get_parser(fmt)
    bad = BadRecords(skip_bad=skip_bad)
    staged = workspace.stage_input(sha)
    try:
        rows = parser.records(path, bad)
        for batch in _batches(rows, batch_size):
            workspace.write_batch(staged, to_table(batch))
            if progress:
                progress(path, staged.records)
    except UnicodeDecodeError:
        workspace.abort_input(staged)
        raise locate_decode_error(path) from None
    except BaseException:
        workspace.abort_input(staged)
        raise
    if staged.records == 0 and not bad.bad:
        workspace.abort_input(staged)
        raise InputError(Location(path), f"no records found in this {fmt} file", "check that the export is complete")
    result = FileResult(str(path), fmt, "ingested", records=staged.records, bad_records=len(bad.bad),
                        warnings=len(bad.warnings), bad=[b.as_dict() for b in bad.bad])
    report = {**asdict(result), "sha256": sha, "warnings": [w.as_dict() for w in bad.warnings]}
    report_path = workspace.write_report(f"ingest-{sha[:16]}.json", json.dumps(report, indent=2, ensure_ascii=False))
    result.report = str(report_path)
    workspace.commit_input(staged, {"file": path.name, "path": str(path.resolve()), "format": fmt,
                                    "bad_records": len(bad.bad), "warnings": len(bad.warnings)})
    log.info("%s: %d records (%s), %d bad, %d warnings", path, staged.records, fmt, len(bad.bad), len(bad.warnings))
    return result


def ingest_paths(
    paths: Iterable[Path | str],
    workspace: Workspace,
    fmt: str | None = None,
    skip_bad: bool = False,
    batch_size: int = 20_000,
    progress: Progress | None = None,
) -> list[FileResult]:
    """Ingest several inputs, each atomically. Without ``skip_bad`` the first bad input stops the run
    (inputs committed before it stay; the bad one leaves nothing). With it, a file that cannot be read
    at all is reported as failed and the others go on."""
    results: list[FileResult] = []
    for path in expand_inputs(paths):
        try:
            results.append(ingest_file(path, workspace, fmt, skip_bad, batch_size, progress))
        except InputError as exc:
            if not skip_bad:
                raise
            log.error("%s", exc)
            results.append(FileResult(str(path), fmt, "failed", error=str(exc)))
    return results
