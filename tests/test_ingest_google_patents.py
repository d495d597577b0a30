"""Google Patents search export and scraped details CSV: real rows (fixture copies and ../shared)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from mining.errors import InputError
from mining.ingest import detect_format, iter_file, read_file
from mining.ingest.base import BadRecords
from mining.ingest.formats.google_patents import (
    doc_type_from_kind,
    hyphenate_publication_number,
    split_names,
)
from mining.schema import normalise_ipc, record_id

SEARCH = "gp-search-20251001-102842.csv"
DETAILS = "scraped_patent_details_20251001-102842.csv"
SEARCH_FIXTURE = "google_patents/gp-search-20251001-102842-first200.csv"
DETAILS_FIXTURE = "google_patents/scraped_patent_details_20251001-102842-first50.csv"
SEARCH_URL_LINE = "search URL:,https://patents.google.com/?q=(machine+learning)&oq=machine+learning\n"


def parse(path: Path, skip_bad: bool = False) -> tuple[list[dict], BadRecords]:
    bad = BadRecords(skip_bad=skip_bad)
    return list(iter_file(path, bad=bad)), bad


def by_id(rows: list[dict]) -> dict[str, dict]:
    return {row["source_id"]: row for row in rows}


def assert_not_shifted(rows: list[dict]) -> None:
    """Every field where it belongs: ids look like ids, dates parsed, years plausible."""
    for row in rows:
        assert re.match(r"^[A-Z]{2}-[A-Z]{0,2}\d+-[A-Z]\d?$", row["source_id"]), row["source_id"]
        if row.get("pub_date") is not None:
            assert re.match(r"^\d{4}-\d{2}-\d{2}$", row["pub_date"])
            assert 1990 <= row["year"] <= 2026
            assert row["year"] == int(row["pub_date"][:4])
        if row.get("priority_date"):
            assert re.match(r"^\d{4}-\d{2}-\d{2}$", row["priority_date"])
        assert not (row.get("title") or "").endswith(" ")


# ----------------------------------------------------------------------------------------------
# Search export, fixture copy (runs without ../shared)


def test_fixture_search_export_detected_and_counted(fixtures: Path) -> None:
    path = fixtures / SEARCH_FIXTURE
    assert detect_format(path) == "google_patents_csv"
    rows, bad = parse(path)
    assert len(rows) == 200
    assert bad.bad == [] and bad.warnings == []
    assert [r["record_no"] for r in rows] == list(range(1, 201))
    assert rows[0]["line_no"] == 2 and rows[-1]["line_no"] == 201
    assert_not_shifted(rows)
    assert len({r["record_id"] for r in rows}) == 200


def test_fixture_first_and_last_rows(fixtures: Path) -> None:
    rows, _ = parse(fixtures / SEARCH_FIXTURE)
    first, last = rows[0], rows[-1]
    assert first["source_id"] == "DE-102021126648-A1"
    assert first["record_id"] == record_id("google_patents", "DE-102021126648-A1")
    assert first["title"] == "IMITATION TRAINING USING SYNTHETIC DATA"  # trailing space stripped
    assert first["assignees"] == ["Nvidia Corporation"]
    assert first["authors"] == ["Tae Eun Choe", "Aman Kishore", "Junghyun Kwon", "Minwoo Park", "Pengei Hao", "Akshita Mittel"]
    assert (first["priority_date"], first["pub_date"], first["year"]) == ("2020-10-15", "2022-04-21", 2022)
    assert (first["doc_type"], first["doc_type_raw"], first["kind"]) == ("patent_application", "A1", "patent")
    assert (first["source"], first["source_format"], first["file"]) == ("google_patents", "google_patents_csv", Path(SEARCH_FIXTURE).name)

    assert last["source_id"] == "US-2020151619-A1"
    assert last["title"].startswith("Systems and methods for determining machine learning training approaches")
    assert last["assignees"] == ["Hewlett Packard Enterprise Development Lp"]
    assert last["authors"][0] == "Satish Kumar Mopur" and len(last["authors"]) == 7
    assert (last["priority_date"], last["pub_date"]) == ("2018-11-09", "2020-05-14")


def test_fixture_cn_and_multi_assignee_rows(fixtures: Path) -> None:
    rows = by_id(parse(fixtures / SEARCH_FIXTURE)[0])
    cn = rows["CN-113361705-B"]
    assert cn["assignees"] == ["辉达公司"]
    assert cn["authors"] == ["J·德瓦兰扬", "S·菲德勒", "A·卡尔"]
    assert (cn["doc_type"], cn["pub_date"], cn["priority_date"]) == ("granted_patent", "2024-09-20", "2020-03-06")
    assert rows["CN-208108077-U"]["doc_type"] == "patent"  # utility model
    assert rows["CN-208108077-U"]["assignees"] == ["北京化工大学"]
    # two assignees (Japanese and Latin spelling of the same company), one Korean "DataRobot, Inc."
    assert rows["JP-2024043563-A"]["assignees"] == ["エヌビディア コーポレーション", "Nvidia Corp"]
    assert rows["JP-2024043563-A"]["doc_type"] == "patent_application"
    assert rows["KR-20210141917-A"]["assignees"] == ["데이터로봇, 인크."]
    assert rows["US-11599813-B1"]["assignees"] == ["Amazon Technologies, Inc."]
    assert rows["US-2021274361-A1"]["assignees"] == ["At&T Intellectual Property I, L.P."]
    assert rows["DE-112021002965-T5"]["doc_type"] == "patent_application"  # translation of a PCT application
    assert rows["WO-2024258441-A1"]["doc_type"] == "patent_application"
    assert rows["US-12230040-B2"]["doc_type"] == "granted_patent"


def test_search_url_first_line_is_skipped(fixtures: Path, tmp_path: Path) -> None:
    """Real downloads start with 'search URL:,<url>' before the header."""
    plain, _ = parse(fixtures / SEARCH_FIXTURE)
    path = tmp_path / "gp-search-with-url.csv"
    path.write_text(SEARCH_URL_LINE + (fixtures / SEARCH_FIXTURE).read_text(encoding="utf-8"), encoding="utf-8")
    assert detect_format(path) == "google_patents_csv"
    rows, bad = parse(path)
    assert len(rows) == 200 and bad.warnings == []
    assert rows[0]["line_no"] == 3 and rows[-1]["line_no"] == 202
    for with_url, without in zip(rows, plain):
        assert {k: v for k, v in with_url.items() if k not in ("line_no", "file")} == {
            k: v for k, v in without.items() if k not in ("line_no", "file")
        }


def test_search_url_line_with_bom_and_crlf(fixtures: Path, tmp_path: Path) -> None:
    text = SEARCH_URL_LINE + (fixtures / SEARCH_FIXTURE).read_text(encoding="utf-8")
    path = tmp_path / "gp-search-bom-crlf.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert detect_format(path) == "google_patents_csv"
    rows, _ = parse(path)
    assert len(rows) == 200
    assert rows[0]["source_id"] == "DE-102021126648-A1" and rows[0]["title"] == "IMITATION TRAINING USING SYNTHETIC DATA"
    assert rows[-1]["pub_date"] == "2020-05-14"


def test_read_file_gives_schema_frame(fixtures: Path) -> None:
    frame = read_file(fixtures / SEARCH_FIXTURE)
    assert len(frame) == 200
    assert frame["year"].dtype.name == "Int64"
    assert frame.loc[0, "assignees"].tolist() == ["Nvidia Corporation"]


# ----------------------------------------------------------------------------------------------
# Details CSV, fixture copy


def test_fixture_details(fixtures: Path) -> None:
    path = fixtures / DETAILS_FIXTURE
    assert detect_format(path) == "google_patents_details_csv"
    rows, bad = parse(path)
    assert len(rows) == 50 and bad.warnings == []
    first = rows[0]
    assert first["source_id"] == "US-12412340-B2"
    assert first["title"] == "Synthesizing three-dimensional shapes using latent diffusion models in content generation systems and applications"
    assert first["abstract"].startswith("Approaches presented herein provide for the unconditional generation of novel three dimensional (3D)")
    assert first["cpc"] == ["G06T 19/20", "G06T 17/20", "G06V 10/44", "G06V 10/82", "G06V 20/64", "G06T 2210/56", "G06T 2219/2021"]
    assert (first["doc_type"], first["source_format"], first["line_no"]) == ("granted_patent", "google_patents_details_csv", 2)
    assert first.get("year") is None
    assert rows[1]["source_id"] == "US-2024013462-A1"  # US20240013462A1: DOCDB drops a serial digit
    assert rows[3]["source_id"] == "CN-113361705-B" and "G06N 3/08" in rows[3]["cpc"]
    assert_not_shifted(rows)


def test_both_google_files_give_the_same_record_id(fixtures: Path) -> None:
    search = by_id(parse(fixtures / SEARCH_FIXTURE)[0])
    details = by_id(parse(fixtures / DETAILS_FIXTURE)[0])
    for patent in ("US-12412340-B2", "US-2024013462-A1", "CN-113361705-B", "WO-2024258441-A1"):
        assert details[patent]["record_id"] == search[patent]["record_id"]
    assert set(details) <= set(search)  # all 50 details rows are among the first 200 search rows


# ----------------------------------------------------------------------------------------------
# Helpers


@pytest.mark.parametrize(
    ("cell", "names"),
    [
        ("Samsung Electronics Co., Ltd.", ["Samsung Electronics Co., Ltd."]),
        ("Beijing Bytedance Network Technology Co., Ltd., Bytedance Inc.",
         ["Beijing Bytedance Network Technology Co., Ltd.", "Bytedance Inc."]),
        ("Nb Ventures, Inc. Dba Gep", ["Nb Ventures, Inc. Dba Gep"]),
        ("University Of Maryland, College Park", ["University Of Maryland", "College Park"]),  # known miss
        ("The Broad Institute, Inc., Massachusetts Institute Of Technology, President and Fellows of Harvard College, MA",
         ["The Broad Institute, Inc.", "Massachusetts Institute Of Technology", "President and Fellows of Harvard College, MA"]),
        ("Rutgers, the State University of New Jersey, Koonin, Eugene, Wolf, Yuri I., Eric S. Lander",
         ["Rutgers, the State University of New Jersey", "Koonin, Eugene", "Wolf, Yuri I.", "Eric S. Lander"]),
        ("Robert Barker, JR., Farhan Abrol", ["Robert Barker, JR.", "Farhan Abrol"]),
        ("Marsette A. Vona, III, Victor X. Luo", ["Marsette A. Vona, III", "Victor X. Luo"]),
        ("奥恩全球运营有限公司,新加坡分公司", ["奥恩全球运营有限公司,新加坡分公司"]),
        ("ドーア，マイケル・ビー, B Doerr Michael", ["ドーア，マイケル・ビー", "B Doerr Michael"]),
        ("", []),
    ],
)
def test_split_names(cell: str, names: list[str]) -> None:
    assert split_names(cell) == names


@pytest.mark.parametrize(
    ("number", "google_id"),
    [
        ("US12412340B2", "US-12412340-B2"),
        ("US20240013462A1", "US-2024013462-A1"),
        ("USRE50335E1", "US-RE50335-E"),
        ("TWI755778B", "TW-I755778-B"),
        ("CN113361705B", "CN-113361705-B"),
        ("WO2024258441A1", "WO-2024258441-A1"),
        ("EP4128089A1", "EP-4128089-A1"),
        ("not a number", None),
    ],
)
def test_hyphenate_publication_number(number: str, google_id: str | None) -> None:
    assert hyphenate_publication_number(number) == google_id


@pytest.mark.parametrize(
    ("country", "kind", "doc_type"),
    [
        ("US", "A1", "patent_application"), ("US", "B1", "granted_patent"), ("US", "B2", "granted_patent"),
        ("US", "E", "granted_patent"), ("CN", "A", "patent_application"), ("CN", "B", "granted_patent"),
        ("CN", "C", "granted_patent"), ("CN", "U", "patent"), ("CN", "Y", "patent"), ("EP", "A2", "patent_application"),
        ("EP", "B1", "granted_patent"), ("JP", "A", "patent_application"), ("JP", "B2", "granted_patent"),
        ("KR", "A", "patent_application"), ("KR", "B1", "granted_patent"), ("WO", "A1", "patent_application"),
        ("WO", "A9", "patent_application"), ("DE", "A1", "patent_application"), ("DE", "B4", "granted_patent"),
        ("DE", "T5", "patent_application"), ("ES", "T3", "granted_patent"), ("RU", "C2", "granted_patent"),
        ("RU", "U1", "patent"), ("AU", "A4", "patent"), ("CA", "C", "granted_patent"), ("US", "", "patent"),
    ],
)
def test_doc_type_from_kind(country: str, kind: str, doc_type: str) -> None:
    assert doc_type_from_kind(country, kind) == doc_type


def test_cpc_section_y_is_kept() -> None:
    assert normalise_ipc("Y02D10/00") == "Y02D 10/00"
    assert normalise_ipc("Y10S707/99948") == "Y10S 707/99948"
    assert normalise_ipc("G06N3/0464") == "G06N 3/0464"
    assert normalise_ipc("nonsense") is None


# ----------------------------------------------------------------------------------------------
# Bad input


def test_missing_required_column_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "no-date.csv"
    path.write_text("id,title,assignee,inventor/author,priority date\nUS-1-B2,A title,X,Y,1/1/2020\n", encoding="utf-8")
    with pytest.raises(InputError) as excinfo:
        list(iter_file(path, fmt="google_patents_csv"))
    error = excinfo.value
    assert error.location.file == path and error.location.line == 1 and error.location.field == "publication date"
    assert "no-date.csv, line 1" in str(error) and "publication date" in str(error)


def test_missing_column_after_search_url_line_is_located_on_line_2(tmp_path: Path) -> None:
    path = tmp_path / "url-no-id.csv"
    path.write_text(SEARCH_URL_LINE + "title,assignee,publication date\nA,B,1/1/2020\n", encoding="utf-8")
    with pytest.raises(InputError) as excinfo:
        list(iter_file(path, fmt="google_patents_csv"))
    assert excinfo.value.location.line == 2 and excinfo.value.location.field == "id"


def test_details_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "details.csv"
    path.write_text("publication_number,title,abstract\nUS1B2,t,a\n", encoding="utf-8")
    with pytest.raises(InputError) as excinfo:
        list(iter_file(path, fmt="google_patents_details_csv"))
    assert excinfo.value.location.line == 1 and excinfo.value.location.field == "cpc_codes"


@pytest.mark.parametrize("fmt", ["google_patents_csv", "google_patents_details_csv"])
def test_empty_file(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        detect_format(path)
    with pytest.raises(InputError, match="empty") as excinfo:
        list(iter_file(path, fmt=fmt))
    assert excinfo.value.location.line == 1


def test_bad_id_fails_or_is_skipped(fixtures: Path, tmp_path: Path) -> None:
    lines = (fixtures / SEARCH_FIXTURE).read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = "not-an-id" + lines[3][lines[3].index(","):]  # record 3, line 4
    path = tmp_path / "bad-id.csv"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as excinfo:
        list(iter_file(path))
    assert (excinfo.value.location.line, excinfo.value.location.record, excinfo.value.location.field) == (4, 3, "id")
    rows, bad = parse(path, skip_bad=True)
    assert len(rows) == 199 and len(bad.bad) == 1 and bad.bad[0].location.record == 3


def test_unparseable_date_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "odd-date.csv"
    path.write_text(
        "id,title,assignee,inventor/author,priority date,filing/creation date,publication date\n"
        "US-11599813-B1,A title ,\"Amazon Technologies, Inc.\",Jane Doe,2019-13-45,,3/21/2023\n",
        encoding="utf-8",
    )
    rows, bad = parse(path)
    assert rows[0]["priority_date"] is None and rows[0]["pub_date"] == "2023-03-21"
    assert len(bad.warnings) == 1 and bad.warnings[0].location.field == "priority date"


def test_sniffers_do_not_claim_each_other(fixtures: Path) -> None:
    assert detect_format(fixtures / "lens_patents" / "lens_patents_sample.csv") == "lens_patents_csv"
    assert detect_format(fixtures / DETAILS_FIXTURE) != "google_patents_csv"


# ----------------------------------------------------------------------------------------------
# The full files in ../shared/data


@pytest.mark.shared
def test_shared_search_export(shared_data: Path) -> None:
    rows, bad = parse(shared_data / "patents" / SEARCH)
    assert len(rows) == 5321  # counted independently with csv.DictReader, pandas and DuckDB
    assert bad.bad == []
    # the last row is cut off in the file (id and half a title): kept, with one warning
    assert len(bad.warnings) == 1 and bad.warnings[0].location.line == 5322
    last = rows[-1]
    assert (last["source_id"], last["title"], last["pub_date"], last["assignees"]) == (
        "CN-113935469-B", "Model training method based on dec", None, [])
    assert rows[-2]["source_id"] == "US-10929046-B2" and rows[-2]["assignees"] == ["Pure Storage, Inc."]
    assert_not_shifted(rows)
    assert all(r["pub_date"] for r in rows[:-1])
    assert len({r["record_id"] for r in rows}) == 5321
    offices = Counter(r["source_id"][:2] for r in rows)
    assert (offices["US"], offices["CN"], offices["JP"], offices["EP"]) == (3618, 985, 201, 183)
    assert Counter(r["doc_type"] for r in rows) == {"granted_patent": 4202, "patent_application": 913, "patent": 206}
    assert sum(len(r["assignees"]) for r in rows) == 5891


@pytest.mark.shared
def test_shared_search_export_named_rows(shared_data: Path) -> None:
    rows = by_id(parse(shared_data / "patents" / SEARCH)[0])
    assert rows["US-11533487-B2"]["assignees"] == ["Beijing Bytedance Network Technology Co., Ltd.", "Bytedance Inc."]
    assert rows["EP-3417425-B1"]["assignees"] == ["Samsung Electronics Co., Ltd."]
    broad = rows["EP-3430134-B1"]["assignees"]
    assert broad[:4] == ["The Broad Institute, Inc.", "Massachusetts Institute of Technology",
                         "President and Fellows of Harvard College", "Rutgers, the State University of New Jersey"]
    assert "Koonin, Eugene" in broad and "Makarova, Kira S." in broad
    assert rows["CA-3177620-A1"]["assignees"][:3] == ["Strong Force Iot Portfolio 2016, Llc", "Charles H. CELLA", "Gerald William Duffy, Jr."]
    assert rows["US-RE50335-E"]["doc_type"] == "granted_patent"
    assert rows["JP-2020530159-A5"]["priority_date"] is None and rows["JP-2020530159-A5"]["pub_date"] == "2021-09-09"


@pytest.mark.shared
def test_shared_details_and_same_record_ids(shared_data: Path) -> None:
    details, bad = parse(shared_data / "patents" / DETAILS)
    assert len(details) == 2203 and bad.warnings == []
    assert sum(1 for r in details if not r["cpc"]) == 37
    assert details[-1]["source_id"] == "US-11941724-B2" and details[-1]["cpc"][-1] == "Y02D 10/00"
    search_ids = {r["record_id"] for r in parse(shared_data / "patents" / SEARCH)[0]}
    # every scraped patent is in the search export, under the same record_id
    assert all(r["record_id"] in search_ids for r in details)
    assert "US-RE50335-E" in {r["source_id"] for r in details}
