"""PatentsView bulk tables joined on patent_id (hand-written fixture from the documented layout)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from mining.errors import InputError
from mining.ingest import detect_format, iter_file, read_file
from mining.ingest.base import BadRecords, read_head
from mining.ingest.formats import patentsview
from mining.ingest.formats.patentsview import PatentsViewTsv, ipc_code, ipc_edition, is_sorted_by_patent_id
from mining.schema import record_id

TABLES = ("g_patent.tsv", "g_ipc_at_issue.tsv", "g_cpc_current.tsv", "g_assignee_disambiguated.tsv", "g_inventor_disambiguated.tsv")


@pytest.fixture
def folder(fixtures: Path, tmp_path: Path) -> Path:
    """A writable copy of the fixture tables."""
    target = tmp_path / "pv"
    target.mkdir()
    for name in TABLES:
        shutil.copy(fixtures / "patentsview" / name, target / name)
    return target


def parse(path: Path, skip_bad: bool = False) -> tuple[list[dict], BadRecords]:
    bad = BadRecords(skip_bad=skip_bad)
    return list(iter_file(path, bad=bad)), bad


def read_tsv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle, delimiter="\t"))


def write_tsv(path: Path, rows: list[list[str]], quoting: int = csv.QUOTE_ALL) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter="\t", quoting=quoting, lineterminator="\n").writerows(rows)


def comparable(rows: list[dict]) -> dict[str, dict]:
    """Records by source_id without the positional fields (to compare two ways of reading)."""
    return {r["source_id"]: {k: v for k, v in r.items() if k not in ("record_no", "line_no")} for r in rows}


EXPECTED = {
    "US-10956785-B2": {
        "title": "Training a neural network using augmented training datasets",
        "pub_date": "2021-03-23", "year": 2021, "doc_type": "granted_patent", "doc_type_raw": "B2",
        "assignees": ["International Business Machines Corporation"],
        "authors": ["Chen, Wei", "Smith, John R."],
        "ipc": ["G06N 3/08", "G06N 20/00"], "ipc_editions": ["2006.01", "2019.01"],
        "cpc": ["G06N 3/08", "G06N 3/045", "G06N 20/00", "Y02D 10/00"],
    },
    "US-11568231-B1": {
        "title": "Adaptive speech recognition using a recurrent neural network on an embedded device",
        "pub_date": "2023-01-31", "year": 2023, "doc_type": "granted_patent", "doc_type_raw": "B1",
        "assignees": ["Gonzalez, Maria"],  # an individual assignee: "Last, First"
        "authors": ["Gonzalez, Maria"],
        "ipc": ["G10L 15/16", "G06N 3/044"], "ipc_editions": ["2006.01", "2023.01"],
        "cpc": ["G10L 15/16", "G06N 3/044"],
    },
    "US-9875440-B1": {
        "title": "Method for classifying images with convolutional neural networks",
        "pub_date": "2018-01-23", "year": 2018, "doc_type": "granted_patent", "doc_type_raw": "B1",
        "assignees": ["Siemens Healthcare GmbH", "Siemens Medical Solutions USA, Inc."],
        "authors": ["Weber, Thomas"],
        "ipc": ["G06K 9/62", "G06N 3/04"], "ipc_editions": ["2006.01", "2006.01"],
        "cpc": ["G06V 10/82", "G06N 3/045", "G06T 7/0012"],
    },
}


def assert_expected(rows: list[dict]) -> None:
    assert [r["source_id"] for r in rows] == list(EXPECTED)
    for row in rows:
        for key, value in EXPECTED[row["source_id"]].items():
            assert row[key] == value, (row["source_id"], key)


# ----------------------------------------------------------------------------------------------
# The fixture, pointed at as a folder and as g_patent.tsv


@pytest.mark.parametrize("target", ["folder", "g_patent.tsv"])
def test_fixture_joined(fixtures: Path, target: str) -> None:
    path = fixtures / "patentsview"
    if target != "folder":
        path = path / target
    assert detect_format(path) == "patentsview_tsv"
    rows, bad = parse(path)
    assert bad.bad == [] and bad.warnings == []
    assert_expected(rows)
    first = rows[0]
    assert first["record_id"] == record_id("patentsview", "US-10956785-B2")
    assert (first["source"], first["source_format"], first["kind"], first["file"]) == (
        "patentsview", "patentsview_tsv", "patent", "g_patent.tsv")
    assert [(r["record_no"], r["line_no"]) for r in rows] == [(1, 2), (2, 3), (3, 4)]
    assert first["abstract"].startswith("A method for training a neural network includes generating an augmented")


def test_read_file_gives_schema_frame(fixtures: Path) -> None:
    frame = read_file(fixtures / "patentsview")
    assert len(frame) == 3 and frame["year"].tolist() == [2021, 2023, 2018]


def test_sorted_tables_are_merge_joined_without_duckdb(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_duckdb(*_: object) -> None:
        raise AssertionError("sorted tables must be merge-joined")

    monkeypatch.setattr(patentsview, "DuckDBLookup", no_duckdb)
    monkeypatch.setattr(patentsview, "BATCH", 1)  # one patent per step: the join must carry across batches
    rows, _ = parse(folder)
    assert_expected(rows)


def test_is_sorted_by_patent_id(fixtures: Path, folder: Path) -> None:
    for name in TABLES:
        assert is_sorted_by_patent_id(fixtures / "patentsview" / name)
    rows = read_tsv(folder / "g_cpc_current.tsv")
    write_tsv(folder / "g_cpc_current.tsv", [rows[0], *reversed(rows[1:])])
    assert not is_sorted_by_patent_id(folder / "g_cpc_current.tsv")


def test_unsorted_sibling_is_joined_through_duckdb(fixtures: Path, folder: Path) -> None:
    for name in ("g_cpc_current.tsv", "g_assignee_disambiguated.tsv"):
        rows = read_tsv(folder / name)
        write_tsv(folder / name, [rows[0], *reversed(rows[1:])])
    assert not is_sorted_by_patent_id(folder / "g_cpc_current.tsv")
    rows, bad = parse(folder)
    assert bad.warnings == []
    assert_expected(rows)
    assert comparable(rows) == comparable(parse(fixtures / "patentsview")[0])


def test_unsorted_g_patent_switches_to_duckdb(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = read_tsv(folder / "g_patent.tsv")
    write_tsv(folder / "g_patent.tsv", [rows[0], rows[3], rows[1], rows[2]])  # 9875440 first
    monkeypatch.setattr(patentsview, "BATCH", 1)
    parsed, _ = parse(folder)
    assert [r["source_id"] for r in parsed] == ["US-9875440-B1", "US-10956785-B2", "US-11568231-B1"]
    for row in parsed:
        for key, value in EXPECTED[row["source_id"]].items():
            assert row[key] == value, (row["source_id"], key)


def test_many_patents_streamed_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """2,500 patents, sparse siblings, several batches: every patent gets exactly its own rows."""
    folder = tmp_path / "big"
    folder.mkdir()
    ids = sorted(str(n) for n in range(8_000_000, 8_002_500))
    write_tsv(folder / "g_patent.tsv", [["patent_id", "patent_type", "patent_date", "patent_title", "wipo_kind", "withdrawn"]]
              + [[i, "utility", "2015-06-02", f"Neural network number {i}", "B2", "0"] for i in ids])
    write_tsv(folder / "g_cpc_current.tsv", [["patent_id", "cpc_sequence", "cpc_group"]]
              + [[i, str(s), f"G06N3/{s:02d}"] for i in ids if int(i) % 3 == 0 for s in (8, 4)])
    write_tsv(folder / "g_assignee_disambiguated.tsv",
              [["patent_id", "assignee_sequence", "disambig_assignee_individual_name_first",
                "disambig_assignee_individual_name_last", "disambig_assignee_organization"]]
              + [[i, "0", "", "", f"Company {i[-2:]}"] for i in ids if int(i) % 7 == 0])
    monkeypatch.setattr(patentsview, "BATCH", 97)
    rows, bad = parse(folder)
    assert len(rows) == 2500
    # the IPC and abstract tables are missing: one warning each, not one per patent
    assert sorted(w.location.file.name for w in bad.warnings) == ["g_ipc_at_issue.tsv", "g_patent_abstract.tsv"]
    for row in rows:
        number = int(row["source_id"].split("-")[1])
        assert row["cpc"] == (["G06N 3/04", "G06N 3/08"] if number % 3 == 0 else [])  # sorted by cpc_sequence
        assert row["assignees"] == ([f"Company {str(number)[-2:]}"] if number % 7 == 0 else [])
        assert row["abstract"] is None


def test_current_layout_abstract_table_and_unquoted(folder: Path) -> None:
    """Current releases: no patent_abstract in g_patent (g_patent_abstract.tsv), cpc_symbol_position, no quotes."""
    rows = read_tsv(folder / "g_patent.tsv")
    at = rows[0].index("patent_abstract")
    write_tsv(folder / "g_patent.tsv", [r[:at] + r[at + 1:] for r in rows], quoting=csv.QUOTE_MINIMAL)
    write_tsv(folder / "g_patent_abstract.tsv", [["patent_id", "patent_abstract"]] + [[r[0], r[at]] for r in rows[1:]])
    cpc = read_tsv(folder / "g_cpc_current.tsv")
    write_tsv(folder / "g_cpc_current.tsv", [cpc[0] + ["cpc_symbol_position"]] + [r + ["F"] for r in cpc[1:]],
              quoting=csv.QUOTE_MINIMAL)
    parsed, bad = parse(folder)
    assert bad.warnings == []
    assert_expected(parsed)
    assert parsed[2]["abstract"].startswith("Medical images are classified by a convolutional neural network")


def test_old_layout_cpc_subgroup(folder: Path) -> None:
    """Older releases: cpc_group is the main group ('G06N3') and cpc_subgroup the symbol."""
    cpc = read_tsv(folder / "g_cpc_current.tsv")
    at = cpc[0].index("cpc_group")
    rows = [cpc[0][:at] + ["cpc_group", "cpc_subgroup"] + cpc[0][at + 1:]]
    rows += [r[:at] + [r[at].split("/")[0], r[at]] + r[at + 1:] for r in cpc[1:]]
    write_tsv(folder / "g_cpc_current.tsv", rows)
    parsed, bad = parse(folder)
    assert bad.warnings == []
    assert_expected(parsed)


# ----------------------------------------------------------------------------------------------
# Missing and bad tables


def test_missing_cpc_table_is_a_warning(folder: Path) -> None:
    (folder / "g_cpc_current.tsv").unlink()
    rows, bad = parse(folder)
    assert len(rows) == 3 and all(r["cpc"] == [] for r in rows)
    assert rows[0]["ipc"] == ["G06N 3/08", "G06N 20/00"]
    assert len(bad.warnings) == 1
    assert bad.warnings[0].location.file == folder / "g_cpc_current.tsv"
    assert "CPC codes left empty" in bad.warnings[0].problem


def test_missing_assignee_and_ipc_tables_are_warnings(folder: Path) -> None:
    (folder / "g_assignee_disambiguated.tsv").unlink()
    (folder / "g_ipc_at_issue.tsv").unlink()
    (folder / "g_inventor_disambiguated.tsv").unlink()  # optional: no warning
    rows, bad = parse(folder)
    assert all(r["assignees"] == [] and r["ipc"] == [] and r["authors"] == [] for r in rows)
    assert sorted(w.location.file.name for w in bad.warnings) == ["g_assignee_disambiguated.tsv", "g_ipc_at_issue.tsv"]


def test_missing_abstract_table_warns_when_g_patent_has_no_abstract(folder: Path) -> None:
    rows = read_tsv(folder / "g_patent.tsv")
    at = rows[0].index("patent_abstract")
    write_tsv(folder / "g_patent.tsv", [r[:at] + r[at + 1:] for r in rows])
    parsed, bad = parse(folder)
    assert all(r["abstract"] is None for r in parsed)
    assert [w.location.file.name for w in bad.warnings] == ["g_patent_abstract.tsv"]


def test_missing_g_patent_is_an_error(folder: Path) -> None:
    (folder / "g_patent.tsv").unlink()
    with pytest.raises(InputError) as excinfo:
        list(iter_file(folder, fmt="patentsview_tsv"))
    assert excinfo.value.location.file == folder and "g_patent.tsv" in excinfo.value.problem
    with pytest.raises(InputError):  # not recognised as PatentsView either
        detect_format(folder)


def test_sibling_missing_a_column_names_table_line_and_field(folder: Path) -> None:
    rows = read_tsv(folder / "g_ipc_at_issue.tsv")
    rows[0][rows[0].index("main_group")] = "maingroup"
    write_tsv(folder / "g_ipc_at_issue.tsv", rows)
    with pytest.raises(InputError) as excinfo:
        list(iter_file(folder))
    location = excinfo.value.location
    assert (location.file, location.line, location.field) == (folder / "g_ipc_at_issue.tsv", 1, "main_group")


def test_g_patent_missing_a_column(folder: Path) -> None:
    rows = read_tsv(folder / "g_patent.tsv")
    at = rows[0].index("wipo_kind")
    write_tsv(folder / "g_patent.tsv", [r[:at] + r[at + 1:] for r in rows])
    with pytest.raises(InputError) as excinfo:
        list(iter_file(folder, fmt="patentsview_tsv"))
    assert (excinfo.value.location.line, excinfo.value.location.field) == (1, "wipo_kind")


def test_empty_tables(folder: Path) -> None:
    (folder / "g_cpc_current.tsv").write_bytes(b"")
    with pytest.raises(InputError, match="empty") as excinfo:
        list(iter_file(folder))
    assert excinfo.value.location.file == folder / "g_cpc_current.tsv"
    (folder / "g_patent.tsv").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        detect_format(folder / "g_patent.tsv")
    with pytest.raises(InputError, match="empty"):
        list(iter_file(folder, fmt="patentsview_tsv"))


def test_row_without_patent_id_fails_or_is_skipped(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_duckdb(*_: object) -> None:
        raise AssertionError("an empty patent_id must not look like an unsorted g_patent")

    monkeypatch.setattr(patentsview, "DuckDBLookup", no_duckdb)
    rows = read_tsv(folder / "g_patent.tsv")
    rows[2][0] = ""
    write_tsv(folder / "g_patent.tsv", rows)
    with pytest.raises(InputError) as excinfo:
        list(iter_file(folder))
    assert (excinfo.value.location.line, excinfo.value.location.record, excinfo.value.location.field) == (3, 2, "patent_id")
    parsed, bad = parse(folder, skip_bad=True)
    assert [r["source_id"] for r in parsed] == ["US-10956785-B2", "US-9875440-B1"] and len(bad.bad) == 1


def test_withdrawn_patent_and_odd_values(folder: Path) -> None:
    rows = read_tsv(folder / "g_patent.tsv")
    rows[1][rows[0].index("withdrawn")] = "1"
    rows[2][rows[0].index("patent_date")] = "2023-02-30"
    write_tsv(folder / "g_patent.tsv", rows)
    ipc = read_tsv(folder / "g_ipc_at_issue.tsv")
    ipc[1][ipc[0].index("ipc_version_indicator")] = "unknown"
    write_tsv(folder / "g_ipc_at_issue.tsv", ipc)
    parsed, bad = parse(folder)
    assert parsed[0]["doc_type"] == "patent"  # withdrawn: never issued
    assert parsed[0]["ipc_editions"] == ["", "2019.01"]
    assert parsed[1]["pub_date"] is None and parsed[1]["year"] is None
    assert sorted(w.location.field for w in bad.warnings) == ["ipc_version_indicator", "patent_date"]
    ipc_warning = next(w for w in bad.warnings if w.location.field == "ipc_version_indicator")
    assert (ipc_warning.location.file, ipc_warning.location.line) == (folder / "g_ipc_at_issue.tsv", 2)


def test_sniffer_claims_only_g_patent(fixtures: Path, tmp_path: Path) -> None:
    base = fixtures / "patentsview"
    assert PatentsViewTsv.sniff(base, "")
    assert PatentsViewTsv.sniff(base / "g_patent.tsv", read_head(base / "g_patent.tsv"))
    for name in TABLES[1:]:
        assert not PatentsViewTsv.sniff(base / name, read_head(base / name)), name
    assert not PatentsViewTsv.sniff(tmp_path, "")
    csv_file = tmp_path / "g_patent.csv"
    csv_file.write_text("patent_id,patent_title\n1,x\n", encoding="utf-8")
    assert not PatentsViewTsv.sniff(csv_file, read_head(csv_file))


@pytest.mark.parametrize(
    ("row", "code"),
    [
        ({"section": "G", "ipc_class": "06", "subclass": "N", "main_group": "3", "subgroup": "08"}, "G06N 3/08"),
        ({"section": "G", "ipc_class": "6", "subclass": "N", "main_group": "3", "subgroup": "8"}, "G06N 3/08"),
        ({"section": "G", "ipc_class": "06", "subclass": "F", "main_group": "18", "subgroup": "2413"}, "G06F 18/2413"),
        ({"section": "G", "ipc_class": "G06", "subclass": "N", "main_group": "20", "subgroup": "00"}, "G06N 20/00"),
        ({"section": "G", "ipc_class": "06", "subclass": "N", "main_group": "", "subgroup": ""}, None),
    ],
)
def test_ipc_code(row: dict[str, str], code: str | None) -> None:
    assert ipc_code(row) == code


def test_ipc_edition() -> None:
    assert ipc_edition("2006-01-01") == "2006.01"
    assert ipc_edition("20230101") == "2023.01"
    assert ipc_edition("") == ""
    assert ipc_edition("n/a") is None
