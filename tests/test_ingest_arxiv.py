"""arXiv JSON-lines parser: CSET and harvest shapes, plain and gzip, malformed input."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from mining.errors import InputError
from mining.ingest import BadRecords, detect_format, iter_file, read_file
from mining.ingest.base import read_head
from mining.ingest.formats.arxiv import ArxivJsonl, split_cset_text

ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})$")


def raw_lines(path: Path) -> list[str]:
    """The file's non-blank lines, read independently of the parser."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:  # type: ignore[operator]
        return [line for line in handle if line.strip()]


def summarise(path: Path, bad: BadRecords | None = None) -> tuple[int, dict, dict]:
    """Count, first and last record, streaming (the 200k file is not held as rows)."""
    count = 0
    first: dict = {}
    last: dict = {}
    for row in iter_file(path, "arxiv_jsonl", bad):
        count += 1
        if count == 1:
            first = row
        last = row
        assert ARXIV_ID.match(row["source_id"]), row["source_id"]
        assert 1989 <= row["year"] <= 2020
        assert row["doc_type"] == "preprint" and row["source"] == "arxiv" and row["kind"] == "paper"
        assert row["title"] and row["line_no"] == row["record_no"] == count
        assert "label" not in row and "is_ai" not in row
    return count, first, last


@pytest.mark.shared
def test_cset_micro_sample(shared_data: Path) -> None:
    path = shared_data / "ai_labelled" / "cset_micro_sample_train.jsonl"
    assert detect_format(path) == "arxiv_jsonl"
    count, first, last = summarise(path)
    assert count == len(raw_lines(path)) == 500
    assert first["source_id"] == "1911.06354" and first["year"] == 2019
    assert first["title"] == "thermodynamic analysis of quantum error correcting engines"
    assert first["abstract"].startswith("quantum error correcting codes can be cast in a way")
    assert last["source_id"] == "1310.8601" and last["year"] == 2013
    assert last["title"] == "non relativistic approach for cosmological scalar field dark matter"


@pytest.mark.shared
def test_cset_dev_gz(shared_data: Path) -> None:
    path = shared_data / "ai_labelled" / "cset_arxiv_ai_binary_10pct_dev.jsonl.gz"
    assert detect_format(path) == "arxiv_jsonl"
    count, first, last = summarise(path)
    assert count == len(raw_lines(path)) == 10604
    assert first["source_id"] == "1807.05440" and first["year"] == 2018
    assert first["title"] == "electron trimer states in conventional superconductors"
    assert last["source_id"] == "1404.4898" and last["year"] == 2014
    assert last["title"] == "frustration and multicriticality in the antiferromagnetic spin chain"


@pytest.mark.shared
def test_harvest_union_gz(shared_data: Path) -> None:
    path = shared_data / "ai_labelled" / "arxiv_union_sample200k.jsonl.gz"
    assert detect_format(path) == "arxiv_jsonl"
    bad = BadRecords()
    count, first, last = summarise(path, bad)
    with gzip.open(path, "rb") as handle:
        newlines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 22), b""))
    assert count == newlines == 200_000
    assert not bad.bad and not bad.warnings
    assert first["source_id"] == "cs/9301111" and first["year"] == 1989
    assert first["title"] == "Nested satisfiability"
    assert first["abstract"].startswith("A special case of the satisfiability problem")
    assert last["source_id"] == "1912.13506" and last["year"] == 2019
    assert last["title"].startswith("Integrated Sensor System to Control the Temperature Effects")


@pytest.mark.shared
def test_other_files_not_claimed(shared_data: Path) -> None:
    others = [
        *sorted((shared_data / "exports").rglob("*.*")),
        *sorted((shared_data / "patents").iterdir()),
        *sorted((shared_data / "affiliations").iterdir()),
        *sorted((shared_data / "gazetteers").iterdir()),
    ]
    for path in others:
        if path.is_file():
            assert not ArxivJsonl.sniff(path, read_head(path)), path


# ----------------------------------------------------------------------------------------------
# Fixtures


def test_fixture_cset_head(fixtures: Path) -> None:
    path = fixtures / "arxiv" / "cset_micro_sample_train_head50.jsonl"
    assert detect_format(path) == "arxiv_jsonl"
    count, first, last = summarise(path)
    assert count == 50
    assert first["source_id"] == "1911.06354"
    lines = raw_lines(path)
    fiftieth = json.loads(lines[-1])
    assert last["source_id"] == fiftieth["meta"]["id"] and last["year"] == fiftieth["meta"]["year"]
    assert f"{last['title']}. {last['abstract']}" == fiftieth["text"]
    frame = read_file(path)
    assert len(frame) == 50 and set(frame["doc_type"]) == {"preprint"}


def test_fixture_harvest_head_gz(fixtures: Path) -> None:
    path = fixtures / "arxiv" / "arxiv_union_sample200k_head50.jsonl.gz"
    assert detect_format(path) == "arxiv_jsonl"
    count, first, last = summarise(path)
    assert count == 50
    assert first["source_id"] == "cs/9301111" and first["title"] == "Nested satisfiability"
    fiftieth = json.loads(raw_lines(path)[-1])
    assert (last["source_id"], last["title"], last["abstract"]) == (fiftieth["arxiv_id"], fiftieth["title"], fiftieth["abstract"])
    assert last["year"] == int(fiftieth["year"])


def test_split_cset_text() -> None:
    assert split_cset_text("a title. the abstract. more") == ("a title", "the abstract. more")
    assert split_cset_text("only a title.") == ("only a title", None)


# ----------------------------------------------------------------------------------------------
# Malformed input


def test_bad_line_is_located_and_skippable(fixtures: Path, tmp_path: Path) -> None:
    lines = raw_lines(fixtures / "arxiv" / "cset_micro_sample_train_head50.jsonl")[:5]
    lines[2] = lines[2][: len(lines[2]) // 2] + "\n"  # line 3 cut in half
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as info:
        list(iter_file(path, "arxiv_jsonl"))
    assert (info.value.location.line, info.value.location.record) == (3, 3)
    rows = list(iter_file(path, "arxiv_jsonl", BadRecords(skip_bad=True)))
    assert [row["line_no"] for row in rows] == [1, 2, 4, 5]


def test_unknown_shape_and_missing_id(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_text(
        '{"arxiv_id": "1234.5678", "title": "Good", "abstract": "A.", "year": "2019"}\n'
        '{"paper": "no known keys"}\n'
        '{"text": "t. a", "label": "True", "meta": {"year": 2019}}\n',
        encoding="utf-8",
    )
    bad = BadRecords(skip_bad=True)
    rows = list(iter_file(path, "arxiv_jsonl", bad))
    assert [row["source_id"] for row in rows] == ["1234.5678"]
    assert [(b.location.line, b.location.field) for b in bad.bad] == [(2, None), (3, "id")]
    with pytest.raises(InputError, match="neither the CSET"):
        list(iter_file(path, "arxiv_jsonl"))


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        list(iter_file(path, "arxiv_jsonl"))


def test_not_gzip(tmp_path: Path) -> None:
    path = tmp_path / "fake.jsonl.gz"
    path.write_text('{"arxiv_id": "1", "title": "t"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="gzip"):
        list(iter_file(path, "arxiv_jsonl"))


def test_latin1_copy_is_a_located_encoding_error(fixtures: Path, tmp_path: Path) -> None:
    lines = raw_lines(fixtures / "arxiv" / "cset_micro_sample_train_head50.jsonl")[:4]
    lines[2] = json.dumps({"label": "False", "text": "théorie des nombres. résumé", "meta": {"id": "1001.0001", "year": 2010}}, ensure_ascii=False) + "\n"
    path = tmp_path / "latin1.jsonl"
    path.write_bytes("".join(lines).encode("latin-1", errors="replace"))
    assert detect_format(path) == "arxiv_jsonl"
    with pytest.raises(InputError) as info:
        read_file(path)
    assert "UTF-8" in str(info.value) and info.value.location.line == 3


def test_latin1_inside_gzip_is_located(fixtures: Path, tmp_path: Path) -> None:
    lines = raw_lines(fixtures / "arxiv" / "arxiv_union_sample200k_head50.jsonl.gz")[:5]
    lines[3] = json.dumps({"arxiv_id": "1001.0002", "title": "Théorie", "abstract": "é", "year": "2010"}, ensure_ascii=False) + "\n"
    path = tmp_path / "latin1.jsonl.gz"
    path.write_bytes(gzip.compress("".join(lines).encode("latin-1", errors="replace")))
    assert detect_format(path) == "arxiv_jsonl"
    with pytest.raises(InputError) as info:
        read_file(path)
    assert "UTF-8" in str(info.value) and info.value.location.line == 4
