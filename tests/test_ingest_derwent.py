"""Derwent Innovations Index parser on the hand-written fixture (see tests/fixtures/derwent/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mining.errors import InputError
from mining.ingest import BadRecords, detect_format, iter_file, read_file
from mining.ingest.formats.derwent import Derwent, _doc_type, _values

SAMPLE = Path(__file__).resolve().parent / "fixtures" / "derwent" / "derwent_sample.txt"
TWO_PAPER = Path(__file__).resolve().parent / "fixtures" / "wos" / "metaknowledge_TwoPaper.isi"


def rows_of(path: Path, skip_bad: bool = False) -> tuple[list[dict], BadRecords]:
    bad = BadRecords(skip_bad=skip_bad)
    return list(iter_file(path, "derwent", bad)), bad


def test_detected_before_wos_plaintext() -> None:
    assert detect_format(SAMPLE) == "derwent"
    assert detect_format(TWO_PAPER) == "wos_plaintext"  # WoS has PI (publisher city) but no PN/AE lines
    assert Derwent.priority > 10


def test_sample_values() -> None:
    rows, bad = rows_of(SAMPLE)
    assert len(rows) == 3 and not bad.bad and not bad.warnings
    tencent, baidu, siemens = rows
    for row in rows:
        assert row["source"] == "derwent" and row["kind"] == "patent" and row["source_format"] == "derwent"
        assert row["file"] == "derwent_sample.txt" and row["file_sha256"] is None

    assert tencent["source_id"] == "CN110084281-A"
    assert tencent["doc_type"] == "patent_application" and tencent["doc_type_raw"] == "A"
    assert tencent["title"] == (
        "Image recognition method for terminal, involves obtaining image feature of target image by convolutional"
        " neural network model, and determining recognition result of target object according to image feature."
    )
    assert tencent["abstract"].startswith("NOVELTY - The method involves obtaining a target image")
    assert "USE - Image recognition method for a terminal such as a smart phone." in tencent["abstract"]
    assert tencent["authors"] == ("LI Y", "WANG X", "ZHANG H")
    assert tencent["assignees"] == ("TENCENT TECHNOLOGY SHENZHEN CO LTD (TNCT-C)",)
    assert tencent["ipc"] == ("G06K 9/62", "G06N 3/04", "G06N 3/08") and tencent["ipc_editions"] == ("", "", "")
    assert tencent["priority_numbers"] == ("CN10166433",) and tencent["priority_countries"] == ("CN",)
    assert tencent["priority_date"] == "2019-03-05"
    assert (tencent["year"], tencent["pub_date"], tencent["language"]) == (2019, "2019-08-02", "Chinese")
    assert (tencent["record_no"], tencent["line_no"]) == (1, 3)

    assert baidu["source_id"] == "CN108962237-B" and baidu["doc_type"] == "granted_patent"
    # The first PN is the grant: its PD line (21 Jul 2020), not the application's (07 Dec 2018), dates it.
    assert (baidu["year"], baidu["pub_date"]) == (2020, "2020-07-21")
    assert baidu["assignees"] == ("BEIJING BAIDU NETCOM SCI & TECHNOLOGY CO (BIDU-C)",)
    assert baidu["ipc"] == ("G10L 15/16", "G10L 15/22", "G06N 3/08")
    assert baidu["priority_date"] == "2018-05-31" and baidu["authors"] == ("ZHOU J", "SUN L")
    assert (baidu["record_no"], baidu["line_no"]) == (2, 32)

    assert siemens["source_id"] == "DE202019100123-U1" and siemens["doc_type"] == "patent"  # utility model
    assert siemens["assignees"] == ("SIEMENS AG (SIEI-C)", "SIEMENS ENERGY GLOBAL GMBH & CO KG (SIEI-C)")
    assert siemens["ipc"] == ("F01D 5/18", "F01D 25/12")
    assert siemens["priority_numbers"] == ("DE20100123", "EP19155678")
    assert siemens["priority_countries"] == ("DE", "EP") and siemens["priority_date"] == "2019-01-10"
    assert (siemens["year"], siemens["pub_date"], siemens["language"]) == (2019, "2019-02-14", "German")
    assert (siemens["record_no"], siemens["line_no"]) == (3, 55)
    assert len({row["record_id"] for row in rows}) == 3


def test_read_file_frame() -> None:
    frame = read_file(SAMPLE)
    assert list(frame["source_id"]) == ["CN110084281-A", "CN108962237-B", "DE202019100123-U1"]
    assert list(frame["ipc"].iloc[0]) == ["G06K 9/62", "G06N 3/04", "G06N 3/08"]
    assert frame["addresses"].map(len).tolist() == [0, 0, 0]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


def test_compact_priority_dates_and_accession_fallback(tmp_path: Path) -> None:
    text = _sample_text().replace("PI CN10166433    05 Mar 2019", "PI CN110000000-A 20190101")
    text = text.replace("PN CN110084281-A; WO2020177500-A1; US2021271917-A1\n", "")
    rows, bad = rows_of(_write(tmp_path, "compact.txt", text))
    first = rows[0]
    assert first["source_id"] == "2019654321"  # no PN: the GA accession number
    assert first["doc_type"] == "patent" and first["year"] == 2019 and first["pub_date"] == "2019-08-02"
    assert first["priority_numbers"] == ("CN110000000-A",) and first["priority_date"] == "2019-01-01"
    assert not bad.bad


def test_missing_identity_is_located(tmp_path: Path) -> None:
    text = _sample_text().replace("PN CN108962237-B; CN108962237-A\n", "").replace("GA 201883456T\n", "")
    only_ut = rows_of(_write(tmp_path, "only_ut.txt", text))[0]
    assert only_ut[1]["source_id"] == "DIIDW:201883456T"  # the UT accession is the last resort
    path = _write(tmp_path, "no_pn.txt", text.replace("UT DIIDW:201883456T\n", ""))
    with pytest.raises(InputError) as info:
        rows_of(path)
    assert (info.value.location.record, info.value.location.field, info.value.location.line) == (2, "PN", 32)
    rows, bad = rows_of(path, skip_bad=True)
    assert [row["source_id"] for row in rows] == ["CN110084281-A", "DE202019100123-U1"]
    assert bad.bad[0].location.record == 2


def test_truncated_derwent_file(tmp_path: Path) -> None:
    text = _sample_text()
    path = _write(tmp_path, "cut.txt", text[: text.index("MC Q51-A02")])
    with pytest.raises(InputError) as info:
        rows_of(path)
    assert info.value.location.record == 3 and "not closed by ER" in info.value.problem
    rows, bad = rows_of(path, skip_bad=True)
    assert len(rows) == 2 and len(bad.bad) == 2


def test_tab_indented_designated_states_are_continuations() -> None:
    # Line 27 of the fixture starts with two tabs (the DS "(National)" line), as DII writes it.
    line = SAMPLE.read_text(encoding="utf-8").split("\n")[26]
    assert line.startswith("\t\t")
    rows, bad = rows_of(SAMPLE)
    assert not bad.bad and rows[0]["priority_numbers"] == ("CN10166433",)


def test_bad_ipc_code_is_a_warning(tmp_path: Path) -> None:
    text = _sample_text().replace("IP F01D-005/18; F01D-025/12", "IP F01D-005/18; NOT-A-CODE")
    rows, bad = rows_of(_write(tmp_path, "ipc.txt", text))
    assert rows[2]["ipc"] == ("F01D 5/18",)
    assert [(w.location.record, w.location.field) for w in bad.warnings] == [(3, "IP")]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("A", "patent_application"), ("A1", "patent_application"), ("A2", "patent_application"),
     ("B", "granted_patent"), ("B2", "granted_patent"), ("C", "granted_patent"), ("U1", "patent"), (None, "patent")],
)
def test_doc_type_from_kind(kind: str | None, expected: str) -> None:
    assert _doc_type(kind) == expected


def test_values_one_per_line_or_separated() -> None:
    assert _values({"AU": "LI Y\n   WANG X"}, "AU") == ("LI Y", "WANG X")
    assert _values({"PN": "CN1-A; WO2-A1;\n   US3-B2"}, "PN") == ("CN1-A", "WO2-A1", "US3-B2")
    assert _values({"DC": "Q38 (Hoisting; Lifting); X25 (Electric)"}, "DC") == ("Q38 (Hoisting; Lifting)", "X25 (Electric)")
    assert _values({}, "AE") == ()
