"""The workspace: an embedded store of Parquet files queried with DuckDB, one folder per workspace.

Layout::

    WORKSPACE/
      manifest.json            every ingested input: sha256 -> file name, format, counts, time, part folder
      records/<sha16>/*.parquet the records of one input file, in the record schema (one folder per input)
      tables/<name>.parquet     tables written by later stages (works, dedup_pairs, ...)
      reports/                  ingest and stage reports (bad records, merge reports)

Why this shape: each input's records live in their own folder, so ingesting a file is one atomic
folder rename (a crash leaves no half-written input), re-ingesting the same bytes is a no-op found by
hash, and the record set is a plain Parquet dataset that DuckDB, pandas and Dask all read without a
server. Every write goes to a temporary name first and is then renamed into place; writers hold an
exclusive lock on ``WORKSPACE/.lock`` so two processes cannot interleave manifest updates.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mining.errors import StoreError
from mining.schema import SCHEMA, to_frame

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"


def sha256_of(path: Path) -> str:
    """sha256 of a file's bytes, or of a folder's files (names and contents, sorted) for multi-file inputs."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode())
        with open(file, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` via a temporary file in the same folder and an atomic rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)


def atomic_write_text(target: Path, text: str) -> None:
    atomic_write_bytes(target, text.encode("utf-8"))


@dataclass
class StagedInput:
    """Records of one input being written; becomes visible only on :meth:`Workspace.commit_input`."""

    sha256: str
    tmp_dir: Path
    parts: int = 0
    records: int = 0


class Workspace:
    """One workspace folder. Cheap to construct; creates the folder on first write."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    # -- layout -------------------------------------------------------------------------------
    @property
    def records_dir(self) -> Path:
        return self.root / "records"

    @property
    def tables_dir(self) -> Path:
        return self.root / "tables"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    def exists(self) -> bool:
        return (self.root / MANIFEST).exists()

    def require(self) -> None:
        """Raise a clear error when the workspace has never been written."""
        if not self.exists():
            raise StoreError(f"{self.root}: no workspace here (no {MANIFEST}); run `mining ingest FILE --workspace {self.root}` first")

    # -- locking ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive writer lock (blocks until other writers are done)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- manifest -----------------------------------------------------------------------------
    def manifest(self) -> dict[str, dict[str, Any]]:
        """Ingested inputs by sha256."""
        path = self.root / MANIFEST
        if not path.exists():
            return {}
        try:
            return json.loads(path.read_text("utf-8"))["inputs"]
        except (json.JSONDecodeError, KeyError) as exc:
            raise StoreError(f"{path}: unreadable manifest ({exc}); restore it from a backup or re-ingest into a new workspace") from exc

    def _write_manifest(self, inputs: dict[str, dict[str, Any]]) -> None:
        atomic_write_text(self.root / MANIFEST, json.dumps({"version": 1, "inputs": inputs}, indent=2, sort_keys=True))

    def has_input(self, sha256: str) -> bool:
        return sha256 in self.manifest()

    # -- ingest writes ------------------------------------------------------------------------
    def stage_input(self, sha256: str) -> StagedInput:
        """Start writing the records of one input into a hidden temporary folder."""
        self.records_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.records_dir / f".tmp-{sha256[:16]}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        return StagedInput(sha256=sha256, tmp_dir=tmp)

    def write_batch(self, staged: StagedInput, table: pa.Table) -> None:
        """Append one batch (an Arrow table in the record schema) to a staged input."""
        if table.num_rows == 0:
            return
        table = table.set_column(table.schema.get_field_index("file_sha256"), "file_sha256", pa.array([staged.sha256] * table.num_rows, pa.string()))
        pq.write_table(table, staged.tmp_dir / f"part-{staged.parts:05d}.parquet", compression="zstd")
        staged.parts += 1
        staged.records += table.num_rows

    def commit_input(self, staged: StagedInput, entry: dict[str, Any]) -> None:
        """Make a staged input visible: rename its folder into place, then record it in the manifest."""
        with self.lock():
            inputs = self.manifest()
            if staged.sha256 in inputs:  # another process ingested the same bytes meanwhile
                self.abort_input(staged)
                return
            final = self.records_dir / staged.sha256[:16]
            if final.exists():
                shutil.rmtree(final)  # left by a crash between rename and manifest write: not in the manifest, so stale
            os.replace(staged.tmp_dir, final)
            inputs[staged.sha256] = {**entry, "part": final.name, "records": staged.records,
                                     "ingested_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            self._write_manifest(inputs)

    def abort_input(self, staged: StagedInput) -> None:
        """Throw a staged input away (on error): nothing of it becomes visible."""
        shutil.rmtree(staged.tmp_dir, ignore_errors=True)

    # -- reads --------------------------------------------------------------------------------
    def record_files(self) -> list[Path]:
        """Parquet files of committed inputs only (manifest order; temporary folders are never read)."""
        files: list[Path] = []
        for entry in self.manifest().values():
            files.extend(sorted((self.records_dir / entry["part"]).glob("*.parquet")))
        return files

    def records(self, columns: list[str] | None = None) -> pd.DataFrame:
        """All stored records in the record schema (an empty frame with the schema when there are none)."""
        files = self.record_files()
        if not files:
            return to_frame(SCHEMA.empty_table())
        table = pa.concat_tables(pq.read_table(f, columns=columns, schema=SCHEMA) for f in files)
        return to_frame(table)

    def write_table(self, name: str, frame: pd.DataFrame | pa.Table, schema: pa.Schema | None = None) -> Path:
        """Replace table ``name`` atomically (write ``.name.tmp``, then rename)."""
        table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
        self.tables_dir.mkdir(parents=True, exist_ok=True)
        target = self.tables_dir / f"{name}.parquet"
        tmp = self.tables_dir / f".{name}.{uuid.uuid4().hex}.tmp"
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, target)
        return target

    def has_table(self, name: str) -> bool:
        return (self.tables_dir / f"{name}.parquet").exists()

    def read_table(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        path = self.tables_dir / f"{name}.parquet"
        if not path.exists():
            raise StoreError(f"{self.root}: no table {name!r} yet; run the stage that writes it (e.g. `mining dedup` for works)")
        return to_frame(pq.read_table(path, columns=columns))

    def write_report(self, name: str, text: str) -> Path:
        target = self.reports_dir / name
        atomic_write_text(target, text)
        return target

    def sql(self, query: str) -> pd.DataFrame:
        """Run SQL over the workspace with DuckDB; views ``records`` and one per table are defined."""
        con = duckdb.connect()
        try:
            files = self.record_files()
            if files:
                listing = ", ".join(f"'{f.as_posix()}'" for f in files)
                con.execute(f"CREATE VIEW records AS SELECT * FROM read_parquet([{listing}])")
            if self.tables_dir.exists():
                for path in sorted(self.tables_dir.glob("*.parquet")):
                    con.execute(f"CREATE VIEW \"{path.stem}\" AS SELECT * FROM read_parquet('{path.as_posix()}')")
            return to_frame(con.sql(query).to_arrow_table())
        finally:
            con.close()
