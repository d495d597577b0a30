"""The workspace store: atomic inputs, tables, manifest, SQL."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mining.errors import StoreError
from mining.schema import to_table
from mining.store import Workspace, sha256_of


def _rows(n: int, prefix: str = "r") -> list[dict]:
    return [{"record_id": f"{prefix}{i}", "source": "wos", "kind": "paper", "title": f"Title {i}", "year": 2000 + i} for i in range(n)]


def test_staged_input_is_invisible_until_committed(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    staged = ws.stage_input("a" * 64)
    ws.write_batch(staged, to_table(_rows(3)))
    assert ws.records().empty  # nothing visible yet
    ws.commit_input(staged, {"file": "x.txt", "format": "wos_plaintext"})
    frame = ws.records()
    assert list(frame["record_id"]) == ["r0", "r1", "r2"]
    assert set(frame["file_sha256"]) == {"a" * 64}
    assert ws.manifest()["a" * 64]["records"] == 3


def test_aborted_input_leaves_nothing(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ok = ws.stage_input("b" * 64)
    ws.write_batch(ok, to_table(_rows(2)))
    ws.commit_input(ok, {"file": "ok.txt"})
    failed = ws.stage_input("c" * 64)
    ws.write_batch(failed, to_table(_rows(5, "x")))
    ws.abort_input(failed)
    assert len(ws.records()) == 2
    assert not any(p.name.startswith(".tmp") for p in ws.records_dir.iterdir())
    assert "c" * 64 not in ws.manifest()


def test_commit_of_same_bytes_twice_adds_nothing(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    for _ in range(2):
        staged = ws.stage_input("d" * 64)
        ws.write_batch(staged, to_table(_rows(4)))
        ws.commit_input(staged, {"file": "same.txt"})
    assert len(ws.records()) == 4
    assert len(ws.manifest()) == 1


def test_tables_are_replaced_atomically_and_queryable(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    staged = ws.stage_input("e" * 64)
    ws.write_batch(staged, to_table(_rows(3)))
    ws.commit_input(staged, {"file": "t.txt"})
    ws.write_table("scores", pd.DataFrame({"record_id": ["r0", "r1"], "score": [0.1, 0.9]}))
    ws.write_table("scores", pd.DataFrame({"record_id": ["r2"], "score": [0.5]}))
    assert ws.read_table("scores")["record_id"].tolist() == ["r2"]
    assert not list(ws.tables_dir.glob("*.tmp"))
    joined = ws.sql("SELECT r.title, s.score FROM records r JOIN scores s USING (record_id)")
    assert joined.to_dict(orient="records") == [{"title": "Title 2", "score": 0.5}]


def test_missing_workspace_and_table_errors_say_what_to_do(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "nowhere")
    with pytest.raises(StoreError, match="mining ingest"):
        ws.require()
    with pytest.raises(StoreError, match="mining dedup"):
        ws.read_table("works")


def test_sha256_of_folder_depends_on_names_and_contents(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.tsv").write_text("x")
    first = sha256_of(tmp_path / "d")
    (tmp_path / "d" / "a.tsv").write_text("y")
    assert sha256_of(tmp_path / "d") != first
