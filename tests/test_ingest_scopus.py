"""Scopus CSV parser: the three real layouts, the realigned surplus-cell rows, and malformed input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mining.errors import InputError
from mining.ingest import BadRecords, detect_format, iter_file, read_file
from mining.ingest.base import read_head
from mining.ingest.formats.scopus import ScopusCsv, link_scopus_affiliations, split_scopus_authors
from mining.schema import COLUMN_NAMES, to_table

ISSN = re.compile(r"^\d{4}-\d{3}[\dX]$")


def scopus_file(shared_data: Path, name: str) -> Path:
    return shared_data / "exports" / "scopus_csv" / name


def eids_in(path: Path) -> set[str]:
    """EIDs read off the raw file, independently of the parser: the eid= of each record's Link."""
    return set(re.findall(r"inward/record\.uri\?eid=(2-s2\.0-\d+)", path.read_text(encoding="utf-8-sig")))


def parse(path: Path, **kwargs: object) -> tuple[list[dict], BadRecords]:
    bad = BadRecords(**kwargs)  # type: ignore[arg-type]
    return list(iter_file(path, "scopus_csv", bad)), bad


def assert_sane(rows: list[dict]) -> None:
    """No shifted fields: every value looks like what its column holds."""
    for row in rows:
        assert re.match(r"^2-s2\.0-\d+$", row["source_id"]), row["source_id"]
        assert row["year"] is None or 1900 <= row["year"] <= 2030
        assert row["doi"] is None or row["doi"].startswith("10.")
        assert row["cited_by"] is None or (isinstance(row["cited_by"], int) and row["cited_by"] >= 0)
        assert row["issn"] is None or ISSN.match(row["issn"])
        assert row["language"] is None or re.match(r"^[A-Z][a-z]+(; [A-Z][a-z]+)*$", row["language"]), row["language"]
        assert row["doc_type_raw"] is None or not any(ch.isdigit() for ch in row["doc_type_raw"])
        assert row["source"] == "scopus" and row["source_format"] == "scopus_csv" and row["kind"] == "paper"
        for link in row["author_address"]:
            assert 0 <= link["author"] < len(row["authors"])
            assert 0 <= link["address"] < len(row["addresses"])
        assert len(set(row["addresses"])) == len(row["addresses"])
    assert len({row["record_id"] for row in rows}) == len(rows)
    table = to_table(rows)
    assert table.num_rows == len(rows) and tuple(table.schema.names) == COLUMN_NAMES


# ----------------------------------------------------------------------------------------------
# Real files (../shared/data)


@pytest.mark.shared
def test_bibliometrix_2023_layout(shared_data: Path) -> None:
    path = scopus_file(shared_data, "bibliometrix_scopus_sample.csv")
    rows, bad = parse(path)
    assert len(rows) == len(eids_in(path)) == 8
    assert not bad.bad and not bad.warnings
    assert_sane(rows)
    first, last = rows[0], rows[-1]
    assert first["source_id"] == "2-s2.0-105030721984"
    assert first["doi"] == "10.1177/20552076261415846"
    assert first["year"] == 2026 and first["pub_date"] == "2026"
    assert first["authors"] == ["Liu, Fengyuan", "Li, Chunyun", "Liu, Yong", "Li, Yufei"]  # "Author full names", ids removed
    assert first["addresses"] == [
        "Department of Clinical Medicine, Hunan Normal University Health Science Center, Hunan, Changsha, China",
        "Department of Surgery, Department of Clinical Medicine, Hunan Normal University Health Science Center, Hunan, Changsha, China",
    ]
    assert first["author_address"] == [
        {"author": 0, "address": 0},
        {"author": 1, "address": 1},
        {"author": 2, "address": 1},
        {"author": 3, "address": 1},
    ]
    assert first["cited_by"] == 0
    assert first["issn"] == "2055-2076"  # written 20552076
    assert first["venue"] == "Digital Health"
    assert first["language"] == "English"
    assert first["doc_type"] == "article" and first["doc_type_raw"] == "Article"
    assert first["author_keywords"] == ["Artificial intelligence", "bibliometrics", "citeSpace", "spinal diseases", "VOSviewer"]
    assert first["index_keywords"] == []
    assert first["reprint_address"].startswith("Y. Li; Department of Surgery, Department of Clinical Medicine")
    assert (first["file"], first["record_no"], first["line_no"]) == ("bibliometrix_scopus_sample.csv", 1, 2)
    assert last["source_id"] == "2-s2.0-105023452863"
    assert last["doi"] == "10.1097/md.0000000000046229"
    assert last["year"] == 2025
    assert last["authors"][0] == "Li, Kejia"
    assert last["addresses"][0] == (
        "Department of Pharmacy, The Second Affiliated Hospital of Kunming Medical University, Yunnan Province, Kunming, China"
    )
    assert last["cited_by"] == 0
    assert last["index_keywords"][:3] == ["Bibliometrics", "Humans", "Hypertension, Portal"]
    # record 6: the first of two authors has no affiliation ("Cinkara E.; Derinalp P., Gaziantep ...")
    sixth = rows[5]
    assert sixth["authors"] == ["Cinkara, Emrah", "Derinalp, Pelin"]
    assert sixth["addresses"] == ["Gaziantep Education Faculty, Gaziantep University, Gaziantep, Turkey"]
    assert sixth["author_address"] == [{"author": 1, "address": 0}]


@pytest.mark.shared
def test_litstudy_2018_layout_with_surplus_cells(shared_data: Path) -> None:
    path = scopus_file(shared_data, "litstudy_scopus.csv")
    rows, bad = parse(path)
    assert len(rows) == len(eids_in(path)) == 58
    assert not bad.bad
    # 56 rows carry a second funding-text cell the header does not name: realigned, with a warning each
    assert len(bad.warnings) == 56
    assert {w.location.record for w in bad.warnings} == set(range(3, 59))
    assert_sane(rows)
    first, last = rows[0], rows[-1]
    assert first["source_id"] == "2-s2.0-27344436659"
    assert first["doi"] == "10.1002/jcc.20289"
    assert first["year"] == 2005
    assert first["authors"][:3] == ["Phillips J.C.", "Braun R.", "Wang W."] and len(first["authors"]) == 10
    assert first["addresses"][0] == "Beckman Institute, University of Illinois at Urbana-Champaign, Urbana, IL 61801, United States"
    assert first["cited_by"] == 13169
    assert first["doc_type"] == "review"
    assert first["issn"] == "0192-8651"
    # Chipot, C. (author 6) is at the French address, Skeel (7) at the third one
    assert {"author": 6, "address": 1} in first["author_address"]
    assert {"author": 7, "address": 2} in first["author_address"]
    assert last["source_id"] == "2-s2.0-85040521543"
    assert last["doi"] is None and last["year"] == 1999
    assert last["authors"] == [] and last["addresses"] == []  # "[No author name available]"
    assert last["cited_by"] is None
    assert last["doc_type_raw"] == "Conference Review" and last["language"] == "English"
    assert last["issn"] is None  # the 132065 shifted into ISSN before realignment is the conference code
    third = rows[2]  # the first realigned row
    assert third["source_id"] == "2-s2.0-85123480963"
    assert third["doi"] == "10.1038/s41598-022-04849-0"
    assert third["issn"] == "2045-2322"
    assert third["language"] == "English" and third["doc_type_raw"] == "Article"
    assert third["reprint_address"].startswith("Gutowska, K.; Institute of Computing Science, Piotrowo 2, Poland")
    assert third["cited_by"] == 3
    # Kardynska (author 2) has two affiliations written one after the other with ", "
    kardynska = [third["addresses"][link["address"]] for link in third["author_address"] if link["author"] == 2]
    assert [address.split(",")[0] for address in kardynska] == [
        "Department of Biosensors and Processing of Biomedical Signals",
        "Department of Systems Biology and Engineering",
    ]
    assert third["addresses"][1].startswith("Department of Systems Biology and Engineering")  # Kogut's, seen first


@pytest.mark.shared
def test_scientopy_2017_layout(shared_data: Path) -> None:
    path = scopus_file(shared_data, "scientopy_scopus_2017.csv")
    rows, bad = parse(path)
    assert len(rows) == len(eids_in(path)) == 921
    assert not bad.bad and not bad.warnings
    assert_sane(rows)
    first, last = rows[0], rows[-1]
    assert first["source_id"] == "2-s2.0-85012875280"
    assert first["doi"] == "10.1016/j.future.2017.02.014"
    assert first["year"] == 2018
    assert first["authors"][0] == "Rahmani A.M."
    assert first["addresses"][:3] == [
        "Department of Computer Science, University of California Irvine, United States",
        "Institute of Computer Technology, TU Wien, Vienna, Austria",
        "Department of Information Technology, University of Turku, Turku, Finland",
    ]
    assert first["author_address"][:3] == [{"author": 0, "address": 0}, {"author": 0, "address": 1}, {"author": 1, "address": 2}]
    assert first["cited_by"] == 2
    assert first["issn"] == "0167-739X"
    assert last["source_id"] == "2-s2.0-5744252573"
    assert last["doi"] is None and last["year"] == 2004
    assert last["authors"] == ["Gershenfeld N.", "Krikorian R.", "Cohen D."]
    assert last["addresses"] == ["Center for Bits and Atoms, Massachusetts Inst. of Technology, United States", "Internet-0", "Sun, Italy"]
    assert last["cited_by"] == 295
    # "Oliveira A., Jr." is one author, not two (old comma separator)
    tenth = rows[9]
    assert tenth["authors"][-1] == "Oliveira A., Jr." and len(tenth["authors"]) == 8
    assert {link["author"] for link in tenth["author_address"]} == set(range(8))
    # HTML entities decoded before splitting on "; " ("Ghent University &#x2013; imec")
    fourteenth = rows[13]
    assert fourteenth["addresses"] == [
        "Ghent University – imec, IDLab, Department of Information Technology, Technologiepark Zwijnaarde 15, B-9052 Ghent, Belgium."
    ]
    assert len(fourteenth["author_address"]) == 4


@pytest.mark.shared
def test_real_files_detect_as_scopus(shared_data: Path) -> None:
    for name in ("bibliometrix_scopus_sample.csv", "litstudy_scopus.csv", "scientopy_scopus_2017.csv"):
        assert detect_format(scopus_file(shared_data, name)) == "scopus_csv"


@pytest.mark.shared
def test_other_exports_not_claimed(shared_data: Path) -> None:
    others = [
        *sorted((shared_data / "exports" / "wos_tabdelimited").iterdir()),
        *sorted((shared_data / "exports" / "wos_plaintext").iterdir()),
        *sorted((shared_data / "exports" / "ieee_csv").iterdir()),
        shared_data / "exports" / "lens_scholarly" / "bibliometrix_lens_sample.csv",
        shared_data / "exports" / "openalex" / "bibliometrix_openalex_sample.csv",
        *sorted((shared_data / "patents").glob("*.csv")),
    ]
    for path in others:
        assert not ScopusCsv.sniff(path, read_head(path)), path


# ----------------------------------------------------------------------------------------------
# Fixtures (no ../shared needed)


def test_fixture_bibliometrix(fixtures: Path) -> None:
    path = fixtures / "scopus" / "bibliometrix_scopus_sample.csv"
    assert detect_format(path) == "scopus_csv"
    frame = read_file(path)
    assert len(frame) == len(eids_in(path)) == 8
    assert frame.loc[0, "source_id"] == "2-s2.0-105030721984"
    assert frame.loc[7, "doi"] == "10.1097/md.0000000000046229"
    assert list(frame["year"]) == [2026, 2026, 2025, 2025, 2025, 2026, 2025, 2025]


def test_fixture_litstudy_head_realigned(fixtures: Path) -> None:
    path = fixtures / "scopus" / "litstudy_scopus_head4.csv"
    rows, bad = parse(path)
    assert [row["source_id"] for row in rows] == [
        "2-s2.0-27344436659",
        "2-s2.0-0024645936",
        "2-s2.0-85123480963",
        "2-s2.0-85138069321",
    ]
    assert [w.location.record for w in bad.warnings] == [3, 4]
    assert rows[3]["issn"] == "1553-734X" and rows[3]["language"] == "English" and rows[3]["cited_by"] == 1
    assert rows[3]["reprint_address"].startswith("Koch, I.; Goethe University Frankfurt")
    assert_sane(rows)


def test_split_authors_both_separators() -> None:
    assert split_scopus_authors("Liu F.; Li C.") == ["Liu F.", "Li C."]
    assert split_scopus_authors("Rahmani A.M., Gia T.N.") == ["Rahmani A.M.", "Gia T.N."]
    assert split_scopus_authors("De Andrade N., Jr., Almeida J.") == ["De Andrade N., Jr.", "Almeida J."]
    assert split_scopus_authors("[No author name available]") == []
    assert split_scopus_authors("NA") == []


def test_link_affiliations_unknown_rest_kept_whole() -> None:
    book = link_scopus_affiliations(["Doe J."], "Doe J., Lab X, Univ Y, Z", "")
    assert book.addresses == ["Lab X, Univ Y, Z"]
    assert book.links == [{"author": 0, "address": 0}]


# ----------------------------------------------------------------------------------------------
# Malformed input


def _lines(fixtures: Path) -> list[str]:
    return (fixtures / "scopus" / "bibliometrix_scopus_sample.csv").read_text(encoding="utf-8").splitlines(keepends=True)


def test_unknown_header_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "not_scopus.csv"
    path.write_text('"Authors","Title","Year","Source title"\n"Doe J.","T","2020","V"\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        list(iter_file(path, "scopus_csv"))
    error = info.value
    assert error.location.file == path and error.location.line == 1
    assert error.location.field == "EID"
    assert "not_scopus.csv, line 1" in str(error) and "EID" in str(error)


def test_row_with_extra_cells_is_located_and_skippable(fixtures: Path, tmp_path: Path) -> None:
    lines = _lines(fixtures)
    lines[3] = lines[3].rstrip("\r\n") + ',"surplus"\n'  # record 3 on line 4: cannot be realigned
    path = tmp_path / "extra.csv"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as info:
        list(iter_file(path, "scopus_csv"))
    location = info.value.location
    assert (location.line, location.record, location.field) == (4, 3, "column 46")
    rows, bad = parse(path, skip_bad=True)
    assert len(rows) == 7 and [b.location.record for b in bad.bad] == [3]
    order = re.findall(r"inward/record\.uri\?eid=(2-s2\.0-\d+)", "".join(lines))
    assert [row["source_id"] for row in rows] == order[:2] + order[3:]
    assert [row["record_no"] for row in rows] == [1, 2, 4, 5, 6, 7, 8]


def test_trailing_empty_cell_is_not_an_error(fixtures: Path, tmp_path: Path) -> None:
    lines = _lines(fixtures)
    lines[1] = lines[1].rstrip("\r\n") + ",\n"
    path = tmp_path / "trailing.csv"
    path.write_text("".join(lines), encoding="utf-8")
    rows, bad = parse(path)
    assert len(rows) == 8 and not bad.bad and rows[0]["source_id"] == "2-s2.0-105030721984"


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        list(iter_file(path, "scopus_csv"))
    with pytest.raises(InputError, match="empty"):
        detect_format(path)


def test_header_only_file_has_no_records(fixtures: Path, tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text(_lines(fixtures)[0], encoding="utf-8")
    assert list(iter_file(path, "scopus_csv")) == []


def test_latin1_copy_is_a_located_encoding_error(fixtures: Path, tmp_path: Path) -> None:
    text = (fixtures / "scopus" / "litstudy_scopus_head4.csv").read_text(encoding="utf-8-sig")
    expected_line = next(n for n, line in enumerate(text.split("\n"), start=1) if any(0x80 <= ord(c) <= 0xFF for c in line))
    path = tmp_path / "latin1.csv"
    path.write_bytes(text.encode("latin-1", errors="replace"))
    assert detect_format(path) == "scopus_csv"
    with pytest.raises(InputError) as info:
        read_file(path)
    assert "UTF-8" in str(info.value) and info.value.location.line == expected_line
