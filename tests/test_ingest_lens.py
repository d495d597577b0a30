"""Lens.org scholarly CSV parser: the real export, the patent-CSV boundary, malformed input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mining.errors import InputError
from mining.ingest import BadRecords, detect_format, iter_file, read_file
from mining.ingest.base import read_head
from mining.ingest.formats.lens import LensScholarlyCsv
from mining.schema import COLUMN_NAMES, to_table

LENS_ID = re.compile(r'^"?(\d{3}-\d{3}-\d{3}-\d{3}-\d{2}[\dX])"?,', re.MULTILINE)


def lens_ids_in(path: Path) -> list[str]:
    """Lens IDs at the start of each record, read off the raw file independently of the parser."""
    return LENS_ID.findall(path.read_text(encoding="utf-8-sig"))


def parse(path: Path, **kwargs: object) -> tuple[list[dict], BadRecords]:
    bad = BadRecords(**kwargs)  # type: ignore[arg-type]
    return list(iter_file(path, "lens_scholarly_csv", bad)), bad


def check_sample(path: Path) -> None:
    rows, bad = parse(path)
    assert [row["source_id"] for row in rows] == lens_ids_in(path)
    assert len(rows) == 8
    assert not bad.bad and not bad.warnings
    for row in rows:
        assert 2019 <= row["year"] <= 2021
        assert row["doi"].startswith("10.")
        assert isinstance(row["cited_by"], int) and row["cited_by"] >= 0
        assert re.match(r"^\d{4}-\d{2}-\d{2}$", row["pub_date"]) and row["pub_date"].startswith(str(row["year"]))
        assert re.match(r"^\d{4}-\d{3}[\dX]$", row["issn"])
        assert row["addresses"] == [] and row["author_address"] == []  # the scholarly export has no affiliations
        assert row["doc_type"] == "article" and row["doc_type_raw"] == "journal article"
        assert row["source"] == "lens" and row["source_format"] == "lens_scholarly_csv"
    assert len({row["record_id"] for row in rows}) == 8
    assert tuple(to_table(rows).schema.names) == COLUMN_NAMES
    first, last = rows[0], rows[-1]
    assert first["source_id"] == "000-360-106-493-122"
    assert first["doi"] == "10.1007/s10669-020-09792-x"
    assert first["year"] == 2020 and first["pub_date"] == "2020-11-22"
    assert first["authors"][0] == "Petar Radanliev" and len(first["authors"]) == 10
    assert first["authors"][-1] == "La’Treall Maddox"
    assert first["cited_by"] == 10
    assert (first["issn"], first["eissn"]) == ("2194-5411", "2194-5403")  # order as Lens writes them
    assert first["venue"] == "Environment systems & decisions"
    assert first["author_keywords"][:2] == ["Cyber risk regulations", "Cyber risk self-assessment"]
    assert first["index_keywords"][:2] == ["Risk assessment", "Enhanced Data Rates for GSM Evolution"]
    assert (first["file"], first["record_no"], first["line_no"]) == (path.name, 1, 2)
    assert last["source_id"] == "001-354-075-327-521"
    assert last["doi"] == "10.46661/revmetodoscuanteconempresa.3298"
    assert last["year"] == 2019
    assert last["authors"] == ["Samir Ricardo Neme Chaves", "Liliana Yamile Rodríguez-González"]
    assert last["cited_by"] == 2
    assert (last["issn"], last["eissn"]) == ("1886-516X", None)  # written "1886516x"
    assert rows[6]["source_id"] == "001-152-766-697-42X"  # check digit X
    assert rows[6]["cited_by"] == 182


@pytest.mark.shared
def test_real_file(shared_data: Path) -> None:
    path = shared_data / "exports" / "lens_scholarly" / "bibliometrix_lens_sample.csv"
    assert detect_format(path) == "lens_scholarly_csv"
    check_sample(path)


def test_fixture(fixtures: Path) -> None:
    path = fixtures / "lens" / "bibliometrix_lens_sample.csv"
    assert detect_format(path) == "lens_scholarly_csv"
    check_sample(path)
    assert len(read_file(path)) == 8


@pytest.mark.shared
def test_other_exports_not_claimed(shared_data: Path) -> None:
    others = [
        *sorted((shared_data / "exports" / "wos_tabdelimited").iterdir()),
        *sorted((shared_data / "exports" / "wos_plaintext").iterdir()),
        *sorted((shared_data / "exports" / "scopus_csv").iterdir()),
        *sorted((shared_data / "exports" / "ieee_csv").iterdir()),
        shared_data / "exports" / "openalex" / "bibliometrix_openalex_sample.csv",
        *sorted((shared_data / "patents").glob("*.csv")),
    ]
    for path in others:
        assert not LensScholarlyCsv.sniff(path, read_head(path)), path


def test_lens_patent_csv_not_claimed(fixtures: Path, tmp_path: Path) -> None:
    header = (
        '"#",Jurisdiction,Display Key,Lens ID,Publication Date,Publication Year,Application Number,'
        "Application Date,Priority Numbers,Earliest Priority Date,Title,Abstract,Applicants,Owners,"
        "Document Type,Has Full Text,Cites Patent Count,Cited by Patent Count,Simple Family Size,"
        "Simple Family Members,Simple Family Member Jurisdictions,CPC Classifications,IPCR Classifications,"
        "Publication Type\n"
    )
    path = tmp_path / "lens_patents.csv"
    path.write_text(header, encoding="utf-8")
    assert not LensScholarlyCsv.sniff(path, read_head(path))
    sample = fixtures / "lens_patents" / "lens_patents_sample.csv"
    if sample.exists():  # written by the patents parser's author
        assert not LensScholarlyCsv.sniff(sample, read_head(sample))


# ----------------------------------------------------------------------------------------------
# Malformed input


def _lines(fixtures: Path) -> list[str]:
    return (fixtures / "lens" / "bibliometrix_lens_sample.csv").read_text(encoding="utf-8").splitlines(keepends=True)


def test_unknown_header_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "no_lens_id.csv"
    path.write_text('"Title","Publication Year","Publication Type"\n"T","2020","journal article"\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        list(iter_file(path, "lens_scholarly_csv"))
    assert info.value.location.file == path and info.value.location.line == 1
    assert info.value.location.field == "Lens ID"
    assert "line 1" in str(info.value) and "Lens ID" in str(info.value)


def test_row_with_extra_cells_is_located_and_skippable(fixtures: Path, tmp_path: Path) -> None:
    lines = _lines(fixtures)
    lines[5] = lines[5].rstrip("\r\n") + ',"surplus"\n'  # record 5 on line 6
    path = tmp_path / "extra.csv"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as info:
        list(iter_file(path, "lens_scholarly_csv"))
    assert (info.value.location.line, info.value.location.record) == (6, 5)
    rows, bad = parse(path, skip_bad=True)
    assert len(rows) == 7 and [b.location.record for b in bad.bad] == [5]
    ids = lens_ids_in(path)
    assert [row["source_id"] for row in rows] == ids[:4] + ids[5:]


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        list(iter_file(path, "lens_scholarly_csv"))


def test_latin1_copy_is_a_located_encoding_error(fixtures: Path, tmp_path: Path) -> None:
    text = (fixtures / "lens" / "bibliometrix_lens_sample.csv").read_text(encoding="utf-8")
    expected_line = next(n for n, line in enumerate(text.split("\n"), start=1) if any(0x80 <= ord(c) <= 0xFF for c in line))
    path = tmp_path / "latin1.csv"
    path.write_bytes(text.encode("latin-1", errors="replace"))
    assert detect_format(path) == "lens_scholarly_csv"
    with pytest.raises(InputError) as info:
        read_file(path)
    assert "UTF-8" in str(info.value) and info.value.location.line == expected_line
