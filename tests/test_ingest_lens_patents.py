"""Lens.org patent export CSV (hand-written fixture from the documented header, see its README)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mining.errors import InputError
from mining.ingest import detect_format, iter_file, read_file
from mining.ingest.base import BadRecords, read_head
from mining.ingest.formats.lens_patents import LensPatentsCsv, parse_priority
from mining.schema import record_id

FIXTURE = "lens_patents/lens_patents_sample.csv"
HEADER = (
    '"#",Jurisdiction,Display Key,Lens ID,Publication Date,Publication Year,Application Number,Application Date,'
    "Priority Numbers,Earliest Priority Date,Title,Abstract,Applicants,Owners,Document Type,Has Full Text,"
    "Cites Patent Count,Cited by Patent Count,Simple Family Size,Simple Family Members,"
    "Simple Family Member Jurisdictions,CPC Classifications,IPCR Classifications"
)


def parse(path: Path, skip_bad: bool = False) -> tuple[list[dict], BadRecords]:
    bad = BadRecords(skip_bad=skip_bad)
    return list(iter_file(path, bad=bad)), bad


def test_fixture_has_the_documented_header(fixtures: Path) -> None:
    assert (fixtures / FIXTURE).read_text(encoding="utf-8").splitlines()[0] == HEADER


def test_detected_and_counted(fixtures: Path) -> None:
    path = fixtures / FIXTURE
    assert detect_format(path) == "lens_patents_csv"
    rows, bad = parse(path)
    assert len(rows) == 4 and bad.bad == [] and bad.warnings == []
    assert [(r["record_no"], r["line_no"]) for r in rows] == [(1, 2), (2, 3), (3, 4), (4, 5)]
    assert all(r["source"] == "lens_patents" and r["kind"] == "patent" and r["file"] == "lens_patents_sample.csv" for r in rows)


def test_cn_tencent_application(fixtures: Path) -> None:
    row = parse(fixtures / FIXTURE)[0][0]
    assert row["source_id"] == "CN-112418292-A"  # Display Key "CN 112418292 A" as a publication number
    assert row["record_id"] == record_id("lens_patents", "CN-112418292-A")
    assert (row["doc_type"], row["doc_type_raw"]) == ("patent_application", "Patent Application")
    assert row["title"] == "Image classification model training method and device based on convolutional neural network"
    assert row["abstract"].startswith("The application discloses an image classification model training method")
    assert (row["pub_date"], row["year"], row["priority_date"]) == ("2021-02-26", 2021, "2020-11-18")
    assert row["assignees"] == ["TENCENT TECH SHENZHEN CO LTD"]
    assert row["cpc"] == ["G06N 3/08", "G06N 3/045", "G06V 10/82", "G06V 10/764"]
    assert row["ipc"] == ["G06N 3/08", "G06N 3/04", "G06V 10/82", "G06K 9/62"]
    assert row["ipc_editions"] == ["", "", "", ""]
    assert (row["priority_numbers"], row["priority_countries"]) == (["CN 202011296565 A"], ["CN"])
    assert row["cited_by"] == 2


def test_us_granted_with_two_applicants(fixtures: Path) -> None:
    row = parse(fixtures / FIXTURE)[0][1]
    assert (row["source_id"], row["doc_type"]) == ("US-11321613-B2", "granted_patent")
    assert row["assignees"] == ["INTERNATIONAL BUSINESS MACHINES CORP", "RED HAT INC"]
    assert row["priority_numbers"] == ["US 201916580123 A", "US 201862735842 P"]
    assert row["priority_countries"] == ["US", "US"]
    assert (row["priority_date"], row["cited_by"]) == ("2018-09-25", 14)
    assert row["ipc"] == ["G06N 3/08", "G06F 9/50"] and row["cpc"] == ["G06N 3/08", "G06N 3/098", "G06F 9/5027"]


def test_wo_application_with_foreign_priorities(fixtures: Path) -> None:
    row = parse(fixtures / FIXTURE)[0][2]
    assert (row["doc_type"], row["assignees"], row["cited_by"]) == ("patent_application", ["SIEMENS AG"], 0)
    assert row["priority_numbers"] == ["EP 19218761 A", "US 201962951234 P"]
    assert row["priority_countries"] == ["EP", "US"]


def test_design_right_with_empty_ipcr_and_owner_fallback(fixtures: Path) -> None:
    row = parse(fixtures / FIXTURE)[0][3]
    assert (row["doc_type"], row["doc_type_raw"]) == ("patent", "Design Right")
    assert row["ipc"] == [] and row["ipc_editions"] == [] and row["cpc"] == []
    assert row["abstract"] is None
    assert row["assignees"] == ["SAMSUNG ELECTRONICS CO LTD"]  # from Owners, date stamp dropped
    assert (row["priority_numbers"], row["priority_countries"]) == (["KR 20200004212 U"], ["KR"])


def test_read_file_gives_schema_frame(fixtures: Path) -> None:
    frame = read_file(fixtures / FIXTURE)
    assert len(frame) == 4
    assert frame["cited_by"].tolist() == [2, 14, 0, 1]


def test_fuller_export_with_kind_inventors_and_bom(fixtures: Path, tmp_path: Path) -> None:
    """Exports with more fields (Kind, Inventors, URL, Legal Status) and a BOM + CRLF read the same."""
    lines = (fixtures / FIXTURE).read_text(encoding="utf-8").splitlines()
    header = lines[0].replace("Jurisdiction,Display Key", "Jurisdiction,Kind,Display Key").replace(
        "Applicants,Owners", "Applicants,Inventors,Owners") + ",Legal Status"
    first = lines[1].replace("1,CN,CN 112418292 A", "1,CN,A,CN 112418292 A").replace(
        "TENCENT TECH SHENZHEN CO LTD,", "TENCENT TECH SHENZHEN CO LTD,WANG WEI;;LI NA,") + ",PENDING"
    path = tmp_path / "lens-full.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join([header, first, ""]).encode("utf-8"))
    assert detect_format(path) == "lens_patents_csv"
    rows, bad = parse(path)
    assert len(rows) == 1 and bad.warnings == []
    assert rows[0]["authors"] == ["WANG WEI", "LI NA"]
    assert rows[0]["assignees"] == ["TENCENT TECH SHENZHEN CO LTD"]
    assert rows[0]["cpc"][0] == "G06N 3/08"


def test_missing_document_type_falls_back_on_kind(fixtures: Path, tmp_path: Path) -> None:
    text = (fixtures / FIXTURE).read_text(encoding="utf-8").replace(",Granted Patent,", ",,")
    path = tmp_path / "no-type.csv"
    path.write_text(text, encoding="utf-8")
    rows, _ = parse(path)
    assert rows[1]["doc_type_raw"] is None and rows[1]["doc_type"] == "granted_patent"  # from "US 11321613 B2"


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("US 201916580123 A 2019-09-24", ("US 201916580123 A", "US")),
        ("EP 19218761 A 2019-12-20", ("EP 19218761 A", "EP")),
        ("CN202011296565A", ("CN202011296565A", "CN")),
        ("PCT/EP2020/086123 2020-12-15", ("PCT/EP2020/086123", "WO")),
        ("12345", None),
    ],
)
def test_parse_priority(value: str, parsed: tuple[str, str] | None) -> None:
    assert parse_priority(value) == parsed


def test_does_not_claim_the_lens_scholarly_export(tmp_path: Path) -> None:
    path = tmp_path / "lens-scholarly.csv"
    path.write_text(
        '"Lens ID","Title","Date Published","Publication Year","Publication Type","Source Title","Author/s"\n'
        '"000-360-106-493-122","Dynamic real-time risk analytics","2020-01-01","2020","journal article","X","A B"\n',
        encoding="utf-8",
    )
    assert not LensPatentsCsv.sniff(path, read_head(path))


@pytest.mark.shared
def test_does_not_claim_the_real_lens_scholarly_export(shared_data: Path) -> None:
    path = shared_data / "exports" / "lens_scholarly" / "bibliometrix_lens_sample.csv"
    assert not LensPatentsCsv.sniff(path, read_head(path))


def test_missing_required_column_names_file_line_and_field(fixtures: Path, tmp_path: Path) -> None:
    text = (fixtures / FIXTURE).read_text(encoding="utf-8").replace(",Document Type,", ",Doc Kind,", 1)
    path = tmp_path / "renamed.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as excinfo:
        list(iter_file(path, fmt="lens_patents_csv"))
    location = excinfo.value.location
    assert (location.file, location.line, location.field) == (path, 1, "Document Type")
    assert "renamed.csv, line 1" in str(excinfo.value)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        list(iter_file(path, fmt="lens_patents_csv"))


def test_row_without_lens_id_fails_or_is_skipped(fixtures: Path, tmp_path: Path) -> None:
    text = (fixtures / FIXTURE).read_text(encoding="utf-8").replace("187-530-261-448-912", "", 1)
    path = tmp_path / "no-id.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as excinfo:
        list(iter_file(path))
    assert (excinfo.value.location.line, excinfo.value.location.record, excinfo.value.location.field) == (4, 3, "Lens ID")
    rows, bad = parse(path, skip_bad=True)
    assert len(rows) == 3 and len(bad.bad) == 1


def test_bad_values_are_warnings(fixtures: Path, tmp_path: Path) -> None:
    text = (fixtures / FIXTURE).read_text(encoding="utf-8").replace("2021-02-26", "26.02.2021", 1).replace(
        "G06N3/08;;G06N3/04;;", "G06N3/08;;not-a-code;;", 1)
    path = tmp_path / "odd.csv"
    path.write_text(text, encoding="utf-8")
    rows, bad = parse(path)
    assert rows[0]["pub_date"] is None and rows[0]["year"] == 2021  # from Publication Year
    assert rows[0]["ipc"] == ["G06N 3/08", "G06V 10/82", "G06K 9/62"]
    assert sorted(w.location.field for w in bad.warnings) == ["IPCR Classifications", "Publication Date"]
