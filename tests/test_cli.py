"""The command line: every command documented with an example; end-to-end runs on real fixtures."""

from __future__ import annotations

import typer.main
from typer.testing import CliRunner

from mining.cli import app

runner = CliRunner()


def _commands(group: object, prefix: str = "") -> dict[str, object]:
    """Every command and sub-command of the (typer-built) click group, by its full name."""
    found: dict[str, object] = {}
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        found[prefix + name] = command
        if hasattr(command, "commands"):
            found.update(_commands(command, prefix + name + " "))
    return found


def test_every_command_has_help_with_an_example() -> None:
    commands = _commands(typer.main.get_command(app))
    assert {"ingest", "dedup", "records", "run", "formats", "schema", "bench ingest"} <= set(commands)
    for name, command in commands.items():
        if hasattr(command, "commands"):
            continue
        result = runner.invoke(app, [*name.split(), "--help"])
        assert result.exit_code == 0, name
        assert "Example:" in result.output, f"`mining {name} --help` shows no example"


# ------------------------------------------------------------------------------------------------
# End to end on real fixtures

import json  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from mining.store import Workspace  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures"
IEEE = FIXTURES / "ieee" / "litstudy_ieee_test.csv"
SCOPUS = FIXTURES / "scopus" / "bibliometrix_scopus_sample.csv"


def test_ingest_twice_adds_nothing_and_records_exports(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    first = runner.invoke(app, ["ingest", str(IEEE), str(SCOPUS), "--workspace", str(ws)])
    assert first.exit_code == 0, first.output
    stored = Workspace(ws).records()
    assert len(stored) == 10 + 8
    again = runner.invoke(app, ["ingest", str(IEEE), "--workspace", str(ws)])
    assert again.exit_code == 0 and "already ingested" in again.output
    assert len(Workspace(ws).records()) == 18
    out = tmp_path / "records.jsonl"
    result = runner.invoke(app, ["records", "--workspace", str(ws), "--table", "records", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 18
    assert {r["source"] for r in rows} == {"ieee", "scopus"}
    assert all(isinstance(r["authors"], list) for r in rows)
    assert all(r["file_sha256"] and len(r["file_sha256"]) == 64 for r in rows)


def test_bad_file_stops_with_a_located_error_and_stores_nothing(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["ingest", str(IEEE), "--workspace", str(ws)]).exit_code == 0
    before = sorted(p.name for p in (ws / "records").iterdir())
    # a real Scopus export with one row given an extra, shifted cell
    lines = SCOPUS.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    bad = tmp_path / "scopus_bad.csv"
    bad.write_text(lines[0] + lines[1] + lines[2].rstrip("\r\n") + ',"shifted"\n' + "".join(lines[3:]), encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(bad), "--workspace", str(ws)])
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert "scopus_bad.csv" in message and "line 3" in message and "record 2" in message and "--skip-bad" in message
    assert sorted(p.name for p in (ws / "records").iterdir()) == before  # nothing added, no temp folder left
    assert len(Workspace(ws).records()) == 10
    skipped = runner.invoke(app, ["ingest", str(bad), "--workspace", str(ws), "--skip-bad"])
    assert skipped.exit_code == 0, skipped.output
    assert len(Workspace(ws).records()) == 10 + 7
    reports = [json.loads(p.read_text()) for p in (ws / "reports").glob("ingest-*.json")]
    bad_report = next(r for r in reports if r["path"].endswith("scopus_bad.csv"))
    assert bad_report["bad_records"] == 1 and bad_report["bad"][0]["record"] == 2 and bad_report["bad"][0]["line"] == 3


def test_unknown_and_empty_files_are_named(tmp_path: Path) -> None:
    unknown = tmp_path / "notes.txt"
    unknown.write_text("just some notes\nnot an export\n")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    for path, words in ((unknown, "not a known export format"), (empty, "empty")):
        result = runner.invoke(app, ["ingest", str(path), "--workspace", str(tmp_path / "ws")])
        assert result.exit_code == 1
        assert path.name in result.output and words in " ".join(result.output.split())


def test_records_csv_keeps_lists_as_json(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["ingest", str(IEEE), "--workspace", str(ws)]).exit_code == 0
    out = tmp_path / "records.csv"
    assert runner.invoke(app, ["records", "-w", str(ws), "--table", "records", "--out", str(out)]).exit_code == 0
    frame = pd.read_csv(out)
    assert len(frame) == 10
    first_authors = json.loads(frame.loc[0, "authors"])
    assert first_authors == Workspace(ws).records().loc[0, "authors"].tolist()
