"""OpenAlex parsers: the web CSV, works JSON in the 2022 and current shapes, the JSON stream reader."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from pathlib import Path

import pytest

from mining.errors import InputError
from mining.ingest import BadRecords, detect_format, iter_file, read_file
from mining.ingest.base import read_head
from mining.ingest.formats.openalex import (
    JsonItem,
    JsonProblem,
    OpenAlexCsv,
    OpenAlexJson,
    iter_json,
    partition_slots,
    rebuild_abstract,
)
from mining.schema import COLUMN_NAMES, to_table

WORK_ID = re.compile(r'"id": "https://openalex\.org/(W\d+)"')


def parse(path: Path, fmt: str, **kwargs: object) -> tuple[list[dict], BadRecords]:
    bad = BadRecords(**kwargs)  # type: ignore[arg-type]
    return list(iter_file(path, fmt, bad)), bad


def assert_sane(rows: list[dict]) -> None:
    for row in rows:
        assert re.match(r"^W\d+$", row["source_id"])
        assert row["year"] is None or 1900 <= row["year"] <= 2030
        assert row["doi"] is None or row["doi"].startswith("10.")
        assert row["cited_by"] is None or (isinstance(row["cited_by"], int) and row["cited_by"] >= 0)
        assert row["issn"] is None or re.match(r"^\d{4}-\d{3}[\dX]$", row["issn"])
        assert row["source"] == "openalex" and row["kind"] == "paper"
        for link in row["author_address"]:
            assert 0 <= link["author"] < len(row["authors"]) and 0 <= link["address"] < len(row["addresses"])
    assert len({row["record_id"] for row in rows}) == len(rows)
    assert tuple(to_table(rows).schema.names) == COLUMN_NAMES


# ----------------------------------------------------------------------------------------------
# Web CSV


def check_csv_sample(path: Path) -> None:
    rows, bad = parse(path, "openalex_csv")
    ids = re.findall(r'^"?https://openalex\.org/(W\d+)', path.read_text(encoding="utf-8-sig"), re.MULTILINE)
    assert [row["source_id"] for row in rows] == ids
    assert len(rows) == 8
    assert not bad.bad and not bad.warnings
    assert_sane(rows)
    first, last = rows[0], rows[-1]
    assert first["source_id"] == "W2755950973"
    assert first["doi"] == "10.1016/j.joi.2017.08.007"
    assert first["year"] == 2017 and first["pub_date"] == "2017-09-12"
    assert first["authors"] == ["Massimo Aria", "Corrado Cuccurullo"]
    assert first["addresses"] == ["University of Naples Federico II", 'University of Campania "Luigi Vanvitelli"']
    assert first["address_countries"] == ["IT", "IT"]
    assert first["author_address"] == [{"author": 0, "address": 0}, {"author": 1, "address": 1}]
    assert first["cited_by"] == 13235
    assert first["venue"] == "Journal of Informetrics" and first["issn"] == "1751-1577"
    assert first["language"] == "en" and first["doc_type"] == "article"
    assert first["index_keywords"] == ["Data Analysis with R"]
    assert first["abstract"] is None
    assert last["source_id"] == "W4297216055"
    assert last["doi"] == "10.21031/epod.1069307"
    assert last["year"] == 2022
    assert last["authors"] == ["Serap BÜYÜKKIDIK"]
    assert last["addresses"] == ["Sinop University"]
    assert last["address_countries"] == ["TR"]
    assert last["cited_by"] == 99
    assert last["abstract"].startswith("The bibliometrix package in R programming language")
    # 2 authors with 2 institutions each, flattened to 4 slots "GMC|Thapar|GMC|Thapar"
    third = rows[2]
    assert third["addresses"] == ["Government Medical College", "Thapar Institute of Engineering & Technology"]
    assert third["address_countries"] == ["IN", "IN"]
    assert third["author_address"] == [
        {"author": 0, "address": 0},
        {"author": 0, "address": 1},
        {"author": 1, "address": 0},
        {"author": 1, "address": 1},
    ]
    # an author without institution leaves an empty slot: "X|X||University of Turin", countries "IT|IT||IT"
    seventh = rows[6]
    assert len(seventh["authors"]) == 4
    assert seventh["addresses"] == ["Università degli Studi del Piemonte Orientale “Amedeo Avogadro”", "University of Turin"]
    assert seventh["address_countries"] == ["IT", "IT"]
    assert seventh["author_address"] == [{"author": 0, "address": 0}, {"author": 1, "address": 0}, {"author": 3, "address": 1}]
    # per-author countries: the fifth author is in Pakistan
    fifth = rows[4]
    assert fifth["addresses"] == ["University of Technology Malaysia", "Sukkur IBA University"]
    assert fifth["address_countries"] == ["MY", "PK"]
    assert fifth["author_address"][-1] == {"author": 4, "address": 1}
    assert rows[1]["addresses"] == [] and rows[1]["authors"] == ["Hamid Derviş"]


@pytest.mark.shared
def test_csv_real_file(shared_data: Path) -> None:
    path = shared_data / "exports" / "openalex" / "bibliometrix_openalex_sample.csv"
    assert detect_format(path) == "openalex_csv"
    check_csv_sample(path)


def test_csv_fixture(fixtures: Path) -> None:
    path = fixtures / "openalex" / "bibliometrix_openalex_sample.csv"
    assert detect_format(path) == "openalex_csv"
    check_csv_sample(path)
    assert len(read_file(path)) == 8


def test_partition_slots() -> None:
    assert partition_slots(["A", "B"], 2) == [["A"], ["B"]]
    assert partition_slots(["A", "", "B"], 3) == [["A"], [], ["B"]]
    assert partition_slots(["A", "B", "A", "B"], 2) == [["A", "B"], ["A", "B"]]
    assert partition_slots(["A", "B", "C"], 2) is None  # who has two? unknown
    assert partition_slots(["A", "B", "C", "D"], 2) is None


def test_csv_ambiguous_institutions_kept_unlinked(fixtures: Path, tmp_path: Path) -> None:
    header = (fixtures / "openalex" / "bibliometrix_openalex_sample.csv").read_text(encoding="utf-8").splitlines()[0]
    names = next(csv.reader([header]))
    cells = {name: "" for name in names}
    cells.update(
        {
            "id": "https://openalex.org/W1",
            "display_name": "A title",
            "authorships.author.display_name": "Ann A|Bob B",
            "authorships.institutions.display_name": "Inst X|Inst Y|Inst Z",
            "authorships.countries": "FR|FR",
            "publication_year": "2020",
        }
    )
    path = tmp_path / "ambiguous.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(names)
    writer.writerow([cells[name] for name in names])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    rows, bad = parse(path, "openalex_csv")
    assert rows[0]["addresses"] == ["Inst X", "Inst Y", "Inst Z"]  # one country for the whole record
    assert rows[0]["address_countries"] == ["FR", "FR", "FR"]
    assert rows[0]["author_address"] == []
    assert [w.location.field for w in bad.warnings] == ["authorships.institutions.display_name"]


# ----------------------------------------------------------------------------------------------
# Works JSON


@pytest.mark.shared
def test_legacy_json_real_file(shared_data: Path) -> None:
    path = shared_data / "exports" / "openalex" / "herreio_openalex_works_tu9_legacy2022.json"
    assert detect_format(path) == "openalex_json"
    rows, bad = parse(path, "openalex_json")
    ids = WORK_ID.findall(path.read_text(encoding="utf-8"))
    assert [row["source_id"] for row in rows] == ids
    assert len(rows) == 410
    assert not bad.bad and not bad.warnings
    assert_sane(rows)
    assert all(row["line_no"] is None for row in rows)
    assert [row["record_no"] for row in rows] == list(range(1, 411))
    first, last = rows[0], rows[-1]
    assert first["source_id"] == "W4200035428"
    assert first["doi"] == "10.1142/10552"
    assert first["year"] == 2023 and first["pub_date"] == "2023-02-01"
    assert first["authors"] == ["Ronny Hänsch"]
    assert first["addresses"] == ["Technische Universität BerlinGermany"]  # raw_affiliation_string as written
    assert first["cited_by"] == 1
    assert first["venue"] == "Series in computer vision" and first["issn"] == "2010-2143"
    assert first["doc_type_raw"] == "monograph" and first["doc_type"] == "book"
    assert first["index_keywords"] == ["Random forest", "Environmental science", "Geography", "Forestry"]
    assert last["source_id"] == "W3081750989"
    assert last["doi"] is None and last["year"] == 2017
    assert last["authors"][0] == "Tuomas Hytönen"
    assert last["addresses"][0] == "Department of Mathematics and Statistics"
    assert last["cited_by"] == 31
    # abstract rebuilt from abstract_inverted_index
    twelfth = rows[11]
    assert twelfth["source_id"] == "W4286472674"
    assert twelfth["abstract"].startswith("In Zaatari camp, Jordan, thousands of Syrian refugees were sheltered in tents and caravans,")
    # a raw string whose ";" is not a separator stays one address; a trailing ";" is dropped
    addresses = {address for row in rows for address in row["addresses"]}
    assert "Newcastle University; UK" in addresses
    assert "TU Berlin" in addresses and "TU Berlin;" not in addresses
    assert "Sorbonne Université" in addresses  # &#x00E9; decoded


def test_legacy_json_fixture(fixtures: Path) -> None:
    path = fixtures / "openalex" / "herreio_openalex_works_tu9_legacy2022_first5.json"
    assert detect_format(path) == "openalex_json"
    rows, bad = parse(path, "openalex_json")
    assert [row["source_id"] for row in rows] == WORK_ID.findall(path.read_text(encoding="utf-8"))
    assert len(rows) == 5 and not bad.bad
    assert rows[0]["source_id"] == "W4200035428" and rows[0]["authors"] == ["Ronny Hänsch"]
    assert rows[2]["authors"][0] == "Ninkov, Anton Boudreau"
    assert rows[2]["addresses"][:4] == ["University of Ottawa", "Kiel University", "DataCite", "Humboldt-Universität zu Berlin"]
    assert rows[4]["index_keywords"] == []
    assert_sane(rows)


def check_current_shape(rows: list[dict]) -> None:
    assert [row["source_id"] for row in rows] == ["W2755950973", "W4390001234"]
    first, second = rows
    assert first["doi"] == "10.1016/j.joi.2017.08.007"
    assert first["venue"] == "Journal of Informetrics" and first["issn"] == "1751-1577"
    assert first["index_keywords"] == ["Data Analysis with R", "scientometrics and bibliometrics research"]
    assert first["language"] == "en" and first["cited_by"] == 13235 and first["year"] == 2017
    assert first["addresses"][0].startswith("Department of Economics and Statistics, Università degli Studi di Napoli")
    assert first["author_address"] == [{"author": 0, "address": 0}, {"author": 1, "address": 1}]
    assert second["doi"] is None and second["issn"] is None
    assert second["doc_type"] == "preprint"
    assert second["venue"] == "arXiv (Cornell University)"
    assert second["abstract"] == "We match raw affiliation strings to institutions with a graph neural network."
    assert second["index_keywords"] == [
        "Natural Language Processing Techniques",
        "Advanced Graph Neural Networks",
        "Computer science",
        "Artificial intelligence",
    ]
    assert second["authors"] == ["Wei Zhang", "Anna Müller", "Li Wang"]
    assert second["addresses"] == [
        "Department of Computer Science and Technology, Tsinghua University, Beijing 100084, China",
        "Beijing Academy of Artificial Intelligence, Beijing, China",
        "Technical University of Berlin",  # no raw string: the institution (its country in address_countries)
    ]
    assert second["address_countries"] == ["CN", "CN", "DE"]
    assert second["author_address"] == [
        {"author": 0, "address": 0},
        {"author": 0, "address": 1},
        {"author": 1, "address": 2},
        {"author": 2, "address": 0},
    ]
    assert_sane(rows)


def test_current_shape_array(fixtures: Path) -> None:
    path = fixtures / "openalex" / "openalex_current_shape.json"
    assert detect_format(path) == "openalex_json"
    rows, bad = parse(path, "openalex_json")
    assert not bad.bad and not bad.warnings
    check_current_shape(rows)
    assert [row["line_no"] for row in rows] == [None, None]
    # the CSV and the JSON of the same work get the same record id
    csv_rows, _ = parse(fixtures / "openalex" / "bibliometrix_openalex_sample.csv", "openalex_csv")
    assert rows[0]["record_id"] == csv_rows[0]["record_id"]


def test_current_shape_json_lines_and_gzip(fixtures: Path, tmp_path: Path) -> None:
    works = json.loads((fixtures / "openalex" / "openalex_current_shape.json").read_text(encoding="utf-8"))
    text = "\n".join(json.dumps(work, ensure_ascii=False) for work in works) + "\n"
    path = tmp_path / "works.jsonl"
    path.write_text(text, encoding="utf-8")
    assert detect_format(path) == "openalex_json"
    rows, _ = parse(path, "openalex_json")
    check_current_shape(rows)
    assert [row["line_no"] for row in rows] == [1, 2]
    gz = tmp_path / "works.jsonl.gz"
    gz.write_bytes(gzip.compress(text.encode("utf-8")))
    assert detect_format(gz) == "openalex_json"
    check_current_shape(parse(gz, "openalex_json")[0])
    page = tmp_path / "page.json"  # one API response page per line
    page.write_text(json.dumps({"meta": {"count": 2}, "results": works}) + "\n", encoding="utf-8")
    check_current_shape(parse(page, "openalex_json")[0])


@pytest.mark.shared
def test_other_files_not_claimed(shared_data: Path) -> None:
    others = [
        *sorted((shared_data / "exports" / "wos_tabdelimited").iterdir()),
        *sorted((shared_data / "exports" / "wos_plaintext").iterdir()),
        *sorted((shared_data / "exports" / "scopus_csv").iterdir()),
        *sorted((shared_data / "exports" / "ieee_csv").iterdir()),
        shared_data / "exports" / "lens_scholarly" / "bibliometrix_lens_sample.csv",
        *sorted((shared_data / "patents").glob("*.csv")),
        *sorted((shared_data / "ai_labelled").iterdir()),
        *sorted((shared_data / "affiliations").glob("*.json")),
        *sorted((shared_data / "gazetteers").glob("*.json")),
    ]
    for path in others:
        head = read_head(path)
        assert not OpenAlexCsv.sniff(path, head), path
        assert not OpenAlexJson.sniff(path, head), path


# ----------------------------------------------------------------------------------------------
# The JSON stream reader


def _items(text: str, chunk_size: int) -> list[JsonItem | JsonProblem]:
    return list(iter_json(io.StringIO(text), chunk_size=chunk_size))


@pytest.mark.parametrize("chunk_size", [1, 7, 64, 1 << 16])
def test_iter_json_array_any_chunk_size(fixtures: Path, chunk_size: int) -> None:
    text = (fixtures / "openalex" / "openalex_current_shape.json").read_text(encoding="utf-8")
    items = _items(text, chunk_size)
    assert all(isinstance(item, JsonItem) and item.in_array for item in items)
    assert [item.value for item in items] == json.loads(text)  # type: ignore[union-attr]
    starts = [n for n, line in enumerate(text.split("\n"), start=1) if line == "  {"]
    assert [item.line for item in items] == starts == [2, 148]  # type: ignore[union-attr]


@pytest.mark.parametrize("chunk_size", [3, 1 << 16])
def test_iter_json_numbers_and_empty_array(chunk_size: int) -> None:
    assert [i.value for i in _items(" [ 12345 , {\"a\": [1, 2]} ,\n 6.5e3 ] ", chunk_size)] == [12345, {"a": [1, 2]}, 6500.0]  # type: ignore[union-attr]
    assert _items("[]", chunk_size) == []
    assert [i.value for i in _items("\n" * 10 + '[{"a": 1}]', chunk_size)] == [{"a": 1}]  # type: ignore[union-attr]


def test_iter_json_problems() -> None:
    (problem,) = [i for i in _items('[{"a": 1},\n{"b": }]', 8) if isinstance(i, JsonProblem)]
    assert problem.fatal and problem.line == 2
    truncated = _items('[{"a": 1}, {"b": 2}', 4)
    assert isinstance(truncated[-1], JsonProblem) and truncated[-1].fatal
    lines = _items('{"a": 1}\nnot json\n\n{"b": 2}\n', 5)
    assert [type(i).__name__ for i in lines] == ["JsonItem", "JsonProblem", "JsonItem"]
    assert [i.line for i in lines] == [1, 2, 4]
    assert not lines[1].fatal  # type: ignore[union-attr]


def test_rebuild_abstract() -> None:
    assert rebuild_abstract({"world": [1], "hello": [0, 2]}) == "hello world hello"
    assert rebuild_abstract(None) is None and rebuild_abstract({}) is None


# ----------------------------------------------------------------------------------------------
# Malformed input


def test_csv_unknown_header(tmp_path: Path) -> None:
    path = tmp_path / "no_id.csv"
    path.write_text("display_name,publication_year\nT,2020\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        list(iter_file(path, "openalex_csv"))
    assert info.value.location.file == path and info.value.location.line == 1 and info.value.location.field == "id"


def test_csv_row_with_extra_cells(fixtures: Path, tmp_path: Path) -> None:
    lines = (fixtures / "openalex" / "bibliometrix_openalex_sample.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].rstrip("\r\n") + ',"surplus"\n'
    path = tmp_path / "extra.csv"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as info:
        list(iter_file(path, "openalex_csv"))
    assert (info.value.location.line, info.value.location.record) == (3, 2)
    rows, bad = parse(path, "openalex_csv", skip_bad=True)
    assert len(rows) == 7 and rows[1]["source_id"] == "W3158457682" and [b.location.record for b in bad.bad] == [2]


def test_json_lines_bad_line_and_work_without_id(fixtures: Path, tmp_path: Path) -> None:
    works = json.loads((fixtures / "openalex" / "openalex_current_shape.json").read_text(encoding="utf-8"))
    no_id = dict(works[1])
    del no_id["id"]
    del no_id["ids"]
    lines = [json.dumps(works[0]), '{"id": "https://openalex.org/W5", "title": ', json.dumps(no_id), json.dumps(works[1])]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        list(iter_file(path, "openalex_json"))
    assert (info.value.location.line, info.value.location.record) == (2, 2)
    assert "not valid JSON" in str(info.value)
    rows, bad = parse(path, "openalex_json", skip_bad=True)
    assert [row["source_id"] for row in rows] == ["W2755950973", "W4390001234"]
    assert [(b.location.line, b.location.field) for b in bad.bad] == [(2, None), (3, "id")]
    assert [row["line_no"] for row in rows] == [1, 4]


def test_truncated_array_is_an_error(fixtures: Path, tmp_path: Path) -> None:
    text = (fixtures / "openalex" / "openalex_current_shape.json").read_text(encoding="utf-8")
    path = tmp_path / "truncated.json"
    path.write_text(text[: len(text) // 2 + 1000], encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON|not closed"):
        list(iter_file(path, "openalex_json"))
    rows, bad = parse(path, "openalex_json", skip_bad=True)
    assert [row["source_id"] for row in rows] == ["W2755950973"]
    assert len(bad.bad) == 1 and "rest of the file" in bad.bad[0].problem


def test_json_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        list(iter_file(path, "openalex_json"))
    path.write_text("[]\n", encoding="utf-8")
    assert list(iter_file(path, "openalex_json")) == []


def test_json_latin1_copy(fixtures: Path, tmp_path: Path) -> None:
    text = (fixtures / "openalex" / "openalex_current_shape.json").read_text(encoding="utf-8")
    expected_line = next(n for n, line in enumerate(text.split("\n"), start=1) if any(0x80 <= ord(c) <= 0xFF for c in line))
    path = tmp_path / "latin1.json"
    path.write_bytes(text.encode("latin-1", errors="replace"))
    assert detect_format(path) == "openalex_json"
    with pytest.raises(InputError) as info:
        read_file(path)
    assert "UTF-8" in str(info.value) and info.value.location.line == expected_line


def test_csv_latin1_copy(fixtures: Path, tmp_path: Path) -> None:
    text = (fixtures / "openalex" / "bibliometrix_openalex_sample.csv").read_text(encoding="utf-8")
    expected_line = next(n for n, line in enumerate(text.split("\n"), start=1) if any(0x80 <= ord(c) <= 0xFF for c in line))
    path = tmp_path / "latin1.csv"
    path.write_bytes(text.encode("latin-1", errors="replace"))
    with pytest.raises(InputError) as info:
        read_file(path)
    assert "UTF-8" in str(info.value) and info.value.location.line == expected_line
