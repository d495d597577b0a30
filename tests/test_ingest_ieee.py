"""IEEE Xplore CSV parser: real exports, author-ordered affiliations, malformed input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mining.errors import InputError
from mining.ingest import BadRecords, detect_format, iter_file, read_file
from mining.ingest.base import read_head
from mining.ingest.formats.ieee import IeeeCsv, ieee_doc_type
from mining.schema import COLUMN_NAMES, to_table


def ieee_file(shared_data: Path, name: str) -> Path:
    return shared_data / "exports" / "ieee_csv" / name


def arnumbers_in(path: Path) -> list[str]:
    """Article numbers read off the raw file, independently of the parser."""
    return re.findall(r"stamp\.jsp\?arnumber=(\d+)", path.read_text(encoding="utf-8-sig"))


def parse(path: Path, **kwargs: object) -> tuple[list[dict], BadRecords]:
    bad = BadRecords(**kwargs)  # type: ignore[arg-type]
    return list(iter_file(path, "ieee_csv", bad)), bad


def assert_sane(rows: list[dict]) -> None:
    for row in rows:
        assert row["source_id"] is not None and row["source_id"].isdigit()
        assert 1950 <= row["year"] <= 2030
        assert row["doi"] is None or row["doi"].startswith("10.")
        assert row["cited_by"] is None or (isinstance(row["cited_by"], int) and row["cited_by"] >= 0)
        assert row["issn"] is None or re.match(r"^\d{4}-\d{3}[\dX]$", row["issn"])
        assert row["doc_type"] in ("article", "conference_paper")
        assert row["source"] == "ieee" and row["kind"] == "paper"
        for link in row["author_address"]:
            assert 0 <= link["author"] < len(row["authors"]) and 0 <= link["address"] < len(row["addresses"])
    assert len({row["record_id"] for row in rows}) == len(rows)
    assert tuple(to_table(rows).schema.names) == COLUMN_NAMES


def check_test_file(rows: list[dict], bad: BadRecords, path: Path) -> None:
    """Values of litstudy_ieee_test.csv (the shared file and its fixture copy are the same bytes)."""
    assert [row["source_id"] for row in rows] == arnumbers_in(path)
    assert len(rows) == 10
    assert not bad.bad
    assert_sane(rows)
    first, last = rows[0], rows[-1]
    assert first["source_id"] == "6634083"
    assert first["title"] == 'Exascale Computing Trends: Adjusting to the "New Normal"\' for Computer Architecture'
    assert first["doi"] == "10.1109/mcse.2013.95"
    assert first["year"] == 2013
    assert first["authors"] == ["P. Kogge", "J. Shalf"]
    assert first["addresses"] == ["University of Notre Dame", "Lawrence Berkeley National Laboratory"]
    assert first["author_address"] == [{"author": 0, "address": 0}, {"author": 1, "address": 1}]
    assert first["cited_by"] == 51
    assert first["issn"] == "1558-366X"
    assert first["venue"] == "Computing in Science & Engineering"
    assert first["doc_type"] == "article" and first["doc_type_raw"] == "IEEE Magazines"
    assert first["author_keywords"][-1] == "programming models"
    # IEEE Terms then INSPEC controlled terms, duplicates dropped
    assert first["index_keywords"][:2] == ["Computer architecture", "Market research"]
    assert first["index_keywords"][-1] == "parallel programming"
    assert "computer architecture" in first["index_keywords"]  # INSPEC's lower-case term is a different string
    assert last["source_id"] == "7830461"
    assert last["doi"] == "10.1109/espt.2016.005"
    assert last["year"] == 2016
    assert last["authors"][0] == "Y. -T. S. Chang"
    assert last["addresses"] == [
        "NASA Adv. Supercomput. Div., NASA Ames Res. Center, Moffett Field, CA, USA",
        "I/O Doctors, LLC, Hanska, MN, USA",
    ]
    # three authors, two of them at the same address: the address is stored once, the links stay right
    assert last["author_address"] == [{"author": 0, "address": 0}, {"author": 1, "address": 0}, {"author": 2, "address": 1}]
    assert last["cited_by"] is None
    assert last["doc_type"] == "conference_paper"
    # record 2: 7 affiliations for 6 authors -> addresses kept, no links, a warning
    second = rows[1]
    assert len(second["authors"]) == 6 and len(second["addresses"]) == 6  # 7 listed, one repeated
    assert second["addresses"][-1] == "another affiliation"
    assert second["author_address"] == []
    assert [(w.location.record, w.location.field) for w in bad.warnings] == [(2, "Author Affiliations")]
    # record 7: every affiliation is "NA"
    seventh = rows[6]
    assert len(seventh["authors"]) == 26 and seventh["addresses"] == [] and seventh["doc_type"] == "article"


# ----------------------------------------------------------------------------------------------
# Real files


@pytest.mark.shared
def test_litstudy_ieee_test(shared_data: Path) -> None:
    path = ieee_file(shared_data, "litstudy_ieee_test.csv")
    rows, bad = parse(path)
    check_test_file(rows, bad, path)


@pytest.mark.shared
def test_litstudy_ieee_1(shared_data: Path) -> None:
    path = ieee_file(shared_data, "litstudy_ieee_1.csv")
    rows, bad = parse(path)
    assert [row["source_id"] for row in rows] == arnumbers_in(path)
    assert len(rows) == 100
    assert not bad.bad and not bad.warnings
    assert_sane(rows)
    first, last = rows[0], rows[-1]
    assert first["source_id"] == "9150427"
    assert first["doi"] == "10.1109/ipdpsw50202.2020.00117"
    assert first["year"] == 2020
    assert first["authors"] == ["A. Hayashi", "S. Raj Paul", "V. Sarkar"]
    assert first["addresses"] == ["Georgia Institute of Technology Atlanta,Georgia,USA"]
    assert first["author_address"] == [{"author": i, "address": 0} for i in range(3)]
    assert first["cited_by"] is None
    assert last["source_id"] == "5298705"
    assert last["doi"] == "10.1109/hibi.2009.11"
    assert last["year"] == 2009
    assert last["authors"][0] == "U. Erra"
    assert last["addresses"][0] == "Dipt. di Mat. e Inf., Univ. della Basilicata, Italy"
    assert last["author_address"][:3] == [{"author": 0, "address": 0}, {"author": 1, "address": 1}, {"author": 2, "address": 1}]
    assert last["cited_by"] == 15
    types = {row["doc_type_raw"] for row in rows}
    assert types == {"IEEE Conferences", "IEEE Journals", "IEEE Magazines", "IEEE Early Access Articles"}


@pytest.mark.shared
def test_real_files_detect_as_ieee(shared_data: Path) -> None:
    for name in ("litstudy_ieee_test.csv", "litstudy_ieee_1.csv"):
        assert detect_format(ieee_file(shared_data, name)) == "ieee_csv"


@pytest.mark.shared
def test_other_exports_not_claimed(shared_data: Path) -> None:
    others = [
        *sorted((shared_data / "exports" / "wos_tabdelimited").iterdir()),
        *sorted((shared_data / "exports" / "wos_plaintext").iterdir()),
        *sorted((shared_data / "exports" / "scopus_csv").iterdir()),
        shared_data / "exports" / "lens_scholarly" / "bibliometrix_lens_sample.csv",
        shared_data / "exports" / "openalex" / "bibliometrix_openalex_sample.csv",
        *sorted((shared_data / "patents").glob("*.csv")),
    ]
    for path in others:
        assert not IeeeCsv.sniff(path, read_head(path)), path


# ----------------------------------------------------------------------------------------------
# Fixture


def test_fixture(fixtures: Path) -> None:
    path = fixtures / "ieee" / "litstudy_ieee_test.csv"
    assert detect_format(path) == "ieee_csv"
    rows, bad = parse(path)
    check_test_file(rows, bad, path)
    assert len(read_file(path)) == 10


def test_doc_types() -> None:
    assert ieee_doc_type("IEEE Journals") == "article"
    assert ieee_doc_type("IEEE Conferences") == "conference_paper"
    assert ieee_doc_type("IBM Journals") == "article"
    assert ieee_doc_type("IEEE Standards") == "other"
    assert ieee_doc_type(None) == "other"


# ----------------------------------------------------------------------------------------------
# Malformed input


def _lines(fixtures: Path) -> list[str]:
    return (fixtures / "ieee" / "litstudy_ieee_test.csv").read_text(encoding="utf-8").splitlines(keepends=True)


def test_unknown_header_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "no_affiliations.csv"
    path.write_text('"Document Title",Authors,"Publication Year"\n"T","A. B","2020"\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        list(iter_file(path, "ieee_csv"))
    assert info.value.location.file == path and info.value.location.line == 1
    assert info.value.location.field == "Author Affiliations"
    assert "line 1" in str(info.value) and "Author Affiliations" in str(info.value)


def test_row_with_extra_cells_is_located_and_skippable(fixtures: Path, tmp_path: Path) -> None:
    lines = _lines(fixtures)
    lines[2] = lines[2].rstrip("\r\n") + ',"surplus"\n'  # record 2 on line 3
    path = tmp_path / "extra.csv"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as info:
        list(iter_file(path, "ieee_csv"))
    assert (info.value.location.line, info.value.location.record) == (3, 2)
    rows, bad = parse(path, skip_bad=True)
    assert len(rows) == 9 and [b.location.record for b in bad.bad] == [2]
    assert [row["source_id"] for row in rows] == [a for i, a in enumerate(arnumbers_in(path)) if i != 1]


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        list(iter_file(path, "ieee_csv"))


def test_latin1_copy_is_a_located_encoding_error(fixtures: Path, tmp_path: Path) -> None:
    text = (fixtures / "ieee" / "litstudy_ieee_test.csv").read_text(encoding="utf-8")
    expected_line = next(n for n, line in enumerate(text.split("\n"), start=1) if any(0x80 <= ord(c) <= 0xFF for c in line))
    path = tmp_path / "latin1.csv"
    path.write_bytes(text.encode("latin-1", errors="replace"))
    assert detect_format(path) == "ieee_csv"
    with pytest.raises(InputError) as info:
        read_file(path)
    assert "UTF-8" in str(info.value) and info.value.location.line == expected_line
