"""Web of Science parsers on real exports: record counts, known values, located errors, streaming."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mining.errors import InputError
from mining.ingest import BadRecords, detect_format, iter_file, read_file
from mining.ingest.formats import wos
from mining.ingest.formats.wos import WosPlaintext, WosTab, looks_like_citation, split_c1_cell

WOS_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "wos"
TWO_PAPER = WOS_FIXTURES / "metaknowledge_TwoPaper.isi"
SAVEDRECS = WOS_FIXTURES / "metaknowledge_savedrecs.txt"
TAB_4071 = WOS_FIXTURES / "scientopy_wos_2026_04_02_4071.txt"


def rows_of(path: Path, fmt: str | None = None, skip_bad: bool = False) -> tuple[list[dict], BadRecords]:
    bad = BadRecords(skip_bad=skip_bad)
    return list(iter_file(path, fmt, bad)), bad


def assert_no_shifted_fields(rows: list[dict]) -> None:
    """Values land in their own columns: years, DOIs, UTs, ISSNs and counts have their shapes."""
    for row in rows:
        assert row["source"] == "wos" and row["kind"] == "paper"
        assert row["source_id"].startswith("WOS:"), row["source_id"]
        assert row["year"] is None or 1900 <= row["year"] <= 2026, row["year"]
        assert row["doi"] is None or row["doi"].startswith("10."), row["doi"]
        assert row["issn"] is None or re.fullmatch(r"\d{4}-\d{3}[\dX]", row["issn"]), row["issn"]
        assert row["cited_by"] is None or row["cited_by"] >= 0
        assert row["pub_date"] is None or row["pub_date"].startswith(str(row["year"]))
        assert row["title"] and not row["title"].startswith("WOS:")
        for link in row["author_address"]:
            assert 0 <= link["author"] < len(row["authors"])
            assert 0 <= link["address"] < len(row["addresses"])
        assert len(set(row["addresses"])) == len(row["addresses"])
    assert len({row["record_id"] for row in rows}) == len(rows)


# ----------------------------------------------------------------------------------------------
# Committed fixtures (run everywhere)


def test_two_paper_fixture_values() -> None:
    rows, bad = rows_of(TWO_PAPER)
    assert len(rows) == 2 and not bad.bad and not bad.warnings
    first, last = rows
    assert first["source_id"] == "WOS:000086967200001"
    assert first["source_format"] == "wos_plaintext"
    assert first["title"] == "Supervenience and causation: A probabilistic approach"
    assert first["doi"] == "10.1023/a:1005282128866"
    assert first["year"] == 2000 and first["pub_date"] == "2000-03"
    assert first["authors"] == ("Kim, S",)
    assert first["addresses"] == ("Univ Wisconsin, Dept Philosophy, Madison, WI 53706 USA.",)
    assert first["author_address"] == ({"author": 0, "address": 0},)  # one address: every author links to it
    assert first["cited_by"] == 1
    assert first["venue"] == "SYNTHESE" and first["issn"] == "0039-7857" and first["language"] == "English"
    assert first["doc_type"] == "article" and first["doc_type_raw"] == "Article"
    assert first["wos_categories"] == ("History & Philosophy Of Science", "Philosophy")
    assert first["research_areas"] == ("History & Philosophy of Science", "Philosophy")
    assert first["reprint_address"].startswith("Kim, S (reprint author), Univ Wisconsin")
    assert first["abstract"].startswith("It is often argued that if a mental property supervenes")
    assert first["line_no"] == 3 and first["record_no"] == 1 and first["file"] == TWO_PAPER.name
    assert last["source_id"] == "WOS:000168001500006"
    assert last["doi"] == "10.1023/a:1005677609556" and last["year"] == 2001 and last["pub_date"] == "2001"
    assert last["index_keywords"] == ("CAUSALITY",) and last["author_keywords"] == ()
    assert last["cited_by"] == 0 and last["wos_categories"] == ("Philosophy",)
    assert last["line_no"] == 49 and last["record_no"] == 2
    assert_no_shifted_fields(rows)


def test_savedrecs_fixture_old_layout() -> None:
    rows, bad = rows_of(SAVEDRECS)
    assert len(rows) == 32 and not bad.bad
    first, last = rows[0], rows[-1]
    assert first["source_id"] == "WOS:A1979GV55600001"
    assert first["title"] == (
        "EXPERIMENTS IN PHENOMENOLOGICAL ELECTRODYNAMICS AND THE ELECTROMAGNETIC ENERGY-MOMENTUM TENSOR"
    )  # continuation line joined with one space
    assert first["doi"] == "10.1016/0370-1573(79)90074-7" and first["year"] == 1979
    assert first["authors"] == ("BREVIK, I",) and first["cited_by"] == 244
    assert first["doc_type"] == "review"
    # Old layout: upper-case C1 without [author] groups, one address a line; two addresses, so no links.
    assert first["addresses"] == (
        "UNIV TRONDHEIM,INST THEORET PHYS,N-7034 TRONDHEIM,NORWAY.",
        "LUFTKRIGSSKOLEN,TRONDHEIM MIL 7000,NORWAY.",
    )
    assert first["author_address"] == ()
    assert first["wos_categories"] == ("Physics, Multidisciplinary",) and first["research_areas"] == ("Physics",)
    assert last["source_id"] == "WOS:A1974S801100007"
    assert last["authors"] == ("BEAUREGA.OC", "IMBERT, C", "ROOSEN, G") and last["language"] == "French"
    assert last["title"] == "INTERNAL PHOTON IMPULSE OF DIELECTRIC AND ON COUPLE APPLIED TO ANISOTROPIC CRYSTAL"
    assert last["venue"] == "COMPTES RENDUS HEBDOMADAIRES DES SEANCES DE L ACADEMIE DES SCIENCES SERIE B"
    assert last["addresses"][0] == "INST HENRI POINCARE,CNRS,LAB PHYSIQUE THEORIQUE,11 RUE PIERRE & MARIE CURIE,75005 PARIS,FRANCE."
    assert last["year"] == 1974 and last["doi"] is None and last["cited_by"] == 0
    assert last["research_areas"] == ("Science & Technology - Other Topics",)
    # line_no is the line of each record's PT line, read off the file itself.
    pt_lines = [n for n, line in enumerate(SAVEDRECS.read_text(encoding="utf-8-sig").splitlines(), 1) if line.startswith("PT ")]
    assert [row["line_no"] for row in rows] == pt_lines
    assert [row["record_no"] for row in rows] == list(range(1, 33))
    assert_no_shifted_fields(rows)


def test_tab_4071_fixture_values() -> None:
    rows, bad = rows_of(TAB_4071)
    assert len(rows) == 71 and not bad.bad
    first, last = rows[0], rows[-1]
    assert first["source_format"] == "wos_tab"
    assert first["source_id"] == "WOS:001242600300012" and first["doi"] == "10.1002/adsr.202300058"
    assert first["year"] == 2023 and first["pub_date"] == "2023-10" and first["cited_by"] == 6
    assert first["authors"][0] == "Sheeja Prakash, Karthika" and len(first["authors"]) == 11
    assert first["addresses"][0] == "Univ Freiburg, Dept Microsyst Engn IMTEK, D-79110 Freiburg, Germany"
    assert first["wos_categories"] == ("Chemistry, Analytical", "Instruments & Instrumentation")
    assert first["research_areas"] == ("Chemistry", "Instruments & Instrumentation")
    assert first["issn"] == "2751-1219" and first["eissn"] is None
    assert "bluetooth low energy" in first["author_keywords"]
    assert last["source_id"] == "WOS:001394833300001" and last["doi"] == "10.1093/ajhp/zxae392"
    assert last["year"] == 2025 and last["pub_date"] == "2025-06-01" and last["cited_by"] == 0
    assert last["doc_type"] == "editorial" and last["eissn"] == "1535-2900"
    assert last["authors"] == ("Leal, Jo Ann", "Wiebe, Alex", "Andersen, Merissa", "Kosaski, Dylan")
    # "[Leal, Jo Ann] Essentia Hlth...; [Leal, Jo Ann; Wiebe, Alex; Andersen, Merissa; Kosaski, Dylan] Mayo Clin..."
    assert last["addresses"] == ("Essentia Hlth, Duluth, MN 55805 USA", "Mayo Clin, Rochester, MN 55905 USA")
    assert last["author_address"] == (
        {"author": 0, "address": 0},
        {"author": 0, "address": 1},
        {"author": 1, "address": 1},
        {"author": 2, "address": 1},
        {"author": 3, "address": 1},
    )
    assert [row["line_no"] for row in rows] == list(range(2, 73))
    assert_no_shifted_fields(rows)


def test_read_file_gives_the_schema_frame() -> None:
    frame = read_file(TAB_4071)
    assert len(frame) == 71
    assert frame["year"].dtype.name == "Int64"
    assert list(frame["source_id"].iloc[[0, -1]]) == ["WOS:001242600300012", "WOS:001394833300001"]


@pytest.mark.parametrize(
    ("path", "fmt"), [(TWO_PAPER, "wos_plaintext"), (SAVEDRECS, "wos_plaintext"), (TAB_4071, "wos_tab")]
)
def test_detect_format_of_fixtures(path: Path, fmt: str) -> None:
    assert detect_format(path) == fmt


def test_sniffers() -> None:
    assert WosPlaintext.sniff(Path("x"), "\ufeffFN Clarivate Analytics Web of Science\nVR 1.0\n")
    assert WosPlaintext.sniff(Path("x"), "PT J\nAU Kim, S\n")  # header stripped by some tools
    assert not WosPlaintext.sniff(Path("x"), "PT\tAU\tBA\n")
    assert WosTab.sniff(Path("x"), "\ufeffPT\tAU\tBA\tBE\n")
    assert not WosTab.sniff(Path("x"), "Authors,Title,Year\n")


# ----------------------------------------------------------------------------------------------
# Errors: each names the file, the line, the record and the field


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _fixture_text(path: Path) -> str:
    return path.read_text(encoding="utf-8-sig")


def _lines(path: Path) -> list[str]:
    return _fixture_text(path).split("\n")


def test_bad_file_rebuilt_from_fixture(tmp_path: Path) -> None:
    """metaknowledge's badFile.isi is savedrecs.txt with three defects; rebuild it from the fixture."""
    lines = _lines(SAVEDRECS)
    assert lines[12] == "CR Abraham M., 1909, RC CIRC MAT PALERMO, V28, P1"
    lines[12] = "   " + lines[12][3:]  # the CR tag is lost: references run on inside C1
    nr = lines.index("NR 104")
    lines.insert(nr + 1, "CR [ANONYMOUS], 1968, PHYS REV, V171, P1385")  # a stray CR after NR
    text = "\n".join(lines).rstrip("\n")
    assert text.endswith("EF")
    text = text[: -len("EF")].rstrip("\n") + "\n"  # no EF
    path = _write(tmp_path, "badFile.isi", text)
    with pytest.raises(InputError) as info:
        rows_of(path)
    location = info.value.location
    assert (location.line, location.record, location.field) == (13, 1, "C1")
    assert "badFile.isi" in str(info.value) and "cited reference" in info.value.problem
    rows, bad = rows_of(path, skip_bad=True)
    assert len(rows) == 31 and rows[0]["source_id"] != "WOS:A1979GV55600001"
    assert [(b.location.line, b.location.record, b.location.field) for b in bad.bad][0] == (13, 1, "C1")
    assert "no EF" in bad.bad[1].problem


def test_truncated_without_ef(tmp_path: Path) -> None:
    text = _fixture_text(TWO_PAPER)
    cut = text[: text.rindex("EF")]
    path = _write(tmp_path, "no_ef.txt", cut)
    last_line = cut.rstrip("\n").count("\n") + 1
    with pytest.raises(InputError) as info:
        rows_of(path)
    assert info.value.location.line == last_line and "truncated" in info.value.problem
    assert f"line {last_line}" in str(info.value)
    rows, bad = rows_of(path, skip_bad=True)
    assert len(rows) == 2 and len(bad.bad) == 1


def test_truncated_inside_a_record(tmp_path: Path) -> None:
    text = _fixture_text(TWO_PAPER)
    cut = text[: text.index("NR 14")]  # the second record loses its tail, ER and EF
    path = _write(tmp_path, "cut.txt", cut)
    with pytest.raises(InputError) as info:
        rows_of(path)
    assert info.value.location.record == 2 and "not closed by ER" in info.value.problem
    rows, bad = rows_of(path, skip_bad=True)
    assert [row["source_id"] for row in rows] == ["WOS:000086967200001"]
    assert [b.location.record for b in bad.bad] == [2, None]  # the open record, then the missing EF


def test_record_not_closed_before_next_pt(tmp_path: Path) -> None:
    lines = _lines(TWO_PAPER)
    assert lines[46] == "ER"
    del lines[46]
    path = _write(tmp_path, "no_er.txt", "\n".join(lines))
    with pytest.raises(InputError) as info:
        rows_of(path)
    assert info.value.location.record == 1 and info.value.location.line == 48
    assert "not closed by ER before the next PT" in info.value.problem
    rows, bad = rows_of(path, skip_bad=True)
    assert [row["source_id"] for row in rows] == ["WOS:000168001500006"]
    assert [row["record_no"] for row in rows] == [2]


def test_line_that_is_neither_tag_nor_continuation(tmp_path: Path) -> None:
    lines = _lines(TWO_PAPER)
    lines.insert(10, "Madison, WI 53706 USA")  # a wrapped line that lost its indentation (line 11)
    path = _write(tmp_path, "lost_indent.txt", "\n".join(lines))
    with pytest.raises(InputError) as info:
        rows_of(path)
    assert (info.value.location.line, info.value.location.record) == (11, 1)
    assert "neither a field tag nor a continuation" in info.value.problem
    rows, _ = rows_of(path, skip_bad=True)
    assert [row["source_id"] for row in rows] == ["WOS:000168001500006"]


def test_repeated_tag(tmp_path: Path) -> None:
    lines = _lines(TWO_PAPER)
    assert lines[72] == "NR 14"
    lines.insert(73, "TC 7")  # line 74; record 2's own TC moves to line 75
    path = _write(tmp_path, "twice.txt", "\n".join(lines))
    with pytest.raises(InputError) as info:
        rows_of(path)
    loc = info.value.location
    assert (loc.line, loc.record, loc.field) == (75, 2, "TC")
    assert "occurs twice" in info.value.problem and "first at line 74" in info.value.problem
    rows, bad = rows_of(path, skip_bad=True)
    assert [row["source_id"] for row in rows] == ["WOS:000086967200001"] and bad.bad[0].location.field == "TC"


def test_out_of_order_tag_is_fine(tmp_path: Path) -> None:
    text = _fixture_text(TWO_PAPER).replace("TC 1\nZ9 1\n", "Z9 1\n").replace("UT WOS:000086967200001\n", "UT WOS:000086967200001\nTC 1\n")
    rows, bad = rows_of(_write(tmp_path, "order.txt", text))
    assert rows[0]["cited_by"] == 1 and not bad.bad


def test_missing_ut_and_bad_year(tmp_path: Path) -> None:
    no_ut = _fixture_text(TWO_PAPER).replace("UT WOS:000168001500006\n", "")
    with pytest.raises(InputError) as info:
        rows_of(_write(tmp_path, "no_ut.txt", no_ut))
    assert (info.value.location.record, info.value.location.field, info.value.location.line) == (2, "UT", 49)
    bad_year = _fixture_text(TWO_PAPER).replace("PY 2001", "PY 20O1")
    with pytest.raises(InputError) as info:
        rows_of(_write(tmp_path, "year.txt", bad_year))
    assert (info.value.location.record, info.value.location.field) == (2, "PY")
    assert info.value.location.line == _lines(TWO_PAPER).index("PY 2001") + 1


def test_non_numeric_times_cited_is_a_warning(tmp_path: Path) -> None:
    text = _fixture_text(TWO_PAPER).replace("TC 0\n", "TC n/a\n")
    rows, bad = rows_of(_write(tmp_path, "tc.txt", text))
    assert len(rows) == 2 and rows[1]["cited_by"] is None
    assert [(w.location.record, w.location.field) for w in bad.warnings] == [(2, "TC")]


def test_tab_indented_line_is_an_error_in_wos(tmp_path: Path) -> None:
    text = _fixture_text(TWO_PAPER).replace("SO SYNTHESE\n", "SO SYNTHESE\n\tCONTINUED\n")
    with pytest.raises(InputError) as info:
        rows_of(_write(tmp_path, "tab.txt", text))
    assert info.value.location.record == 1 and info.value.location.line == 8


def test_latin1_copy_is_located(tmp_path: Path) -> None:
    lines = _lines(TWO_PAPER)
    lines[0] = "FN Thomson Reuters Web of Science"  # "™" has no Latin-1 byte
    title_line = lines.index("TI Physical process theories and token-probabilistic causation")
    lines[title_line] = "TI Physical process théories and token-probabilistic causation"
    path = _write(tmp_path, "latin1.txt", "\n".join(lines), encoding="latin-1")
    with pytest.raises(InputError) as info:
        rows_of(path)
    assert info.value.location.line == title_line + 1
    assert "UTF-8" in info.value.problem


def test_latin1_tab_file_is_located(tmp_path: Path) -> None:
    data = TAB_4071.read_text(encoding="utf-8-sig").encode("latin-1", errors="replace")
    path = tmp_path / "latin1_tab.txt"
    path.write_bytes(data)
    first_bad = None
    for number, line in enumerate(data.split(b"\n"), 1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            first_bad = number
            break
    assert first_bad is not None and first_bad > 2
    with pytest.raises(InputError) as info:
        rows_of(path, "wos_tab")
    assert info.value.location.line == first_bad


def test_empty_files(tmp_path: Path) -> None:
    empty = _write(tmp_path, "empty.txt", "")
    with pytest.raises(InputError, match="empty"):
        detect_format(empty)
    with pytest.raises(InputError, match="empty"):
        list(WosPlaintext().records(empty, BadRecords()))
    blank = _write(tmp_path, "blank.txt", "\n\n")
    with pytest.raises(InputError, match="empty"):
        list(WosPlaintext().records(blank, BadRecords()))
    header_only = _write(tmp_path, "none.txt", "FN Clarivate Analytics Web of Science\nVR 1.0\nEF\n")
    assert list(WosPlaintext().records(header_only, BadRecords())) == []  # a valid export of zero records


# ----------------------------------------------------------------------------------------------
# Streaming: blocks cut anywhere give the same rows (the slow path agrees with the fast path)


def test_tiny_blocks_give_the_same_rows(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    text = _fixture_text(SAVEDRECS)
    path = _write(tmp_path, "copy.txt", text)
    expected, _ = rows_of(path)
    for size in (7, 64, 1000):
        monkeypatch.setattr(wos, "BLOCK_CHARS", size)  # blocks end mid-record, continuations start blocks
        rows, bad = rows_of(path)
        assert rows == expected and not bad.bad


def test_errors_are_the_same_in_tiny_blocks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    lines = _lines(TWO_PAPER)
    lines.insert(73, "TC 7")
    path = _write(tmp_path, "twice.txt", "\n".join(lines))
    with pytest.raises(InputError) as normal:
        rows_of(path)
    monkeypatch.setattr(wos, "BLOCK_CHARS", 16)
    with pytest.raises(InputError) as tiny:
        rows_of(path)
    assert str(tiny.value) == str(normal.value)


def test_fast_and_slow_paths_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every record through the line-by-line state machine gives the same rows as the fast path."""
    calls: list[str] = []
    feed = wos._TagStream.feed

    def counting_feed(self: wos._TagStream, entry: str, line: int) -> wos.TaggedRecord | None:
        calls.append(entry[:2])
        return feed(self, entry, line)

    monkeypatch.setattr(wos._TagStream, "feed", counting_feed)
    for path in (TWO_PAPER, SAVEDRECS):
        calls.clear()
        fast, _ = rows_of(path)
        assert set(calls) == {"FN", "VR", "EF"}  # only the file structure took the slow path
        monkeypatch.setattr(wos, "_FAST_TAGS", frozenset())  # no record passes the fast checks
        slow, _ = rows_of(path)
        monkeypatch.setattr(wos, "_FAST_TAGS", wos.KNOWN_TAGS - {"ER", "EF", "FN", "VR"})
        assert "PT" in calls and slow == fast


def test_lines_inside_the_cited_references_are_checked(tmp_path: Path) -> None:
    lines = _lines(TWO_PAPER)
    assert lines[21] == "   Kim J., 1993, MENTAL CAUSATION, P189" and lines[25] == "NR 13"
    bad_lines = lines.copy()
    bad_lines[21] = "Kim J., 1993, MENTAL CAUSATION, P189"  # a reference that lost its indentation (line 22)
    with pytest.raises(InputError) as info:
        rows_of(_write(tmp_path, "cr.txt", "\n".join(bad_lines)))
    assert (info.value.location.line, info.value.location.record) == (22, 1)
    ok_lines = lines.copy()
    ok_lines.insert(25, "XX a tag between CR and NR")  # out of the usual order: fine
    rows, bad = rows_of(_write(tmp_path, "cr_ok.txt", "\n".join(ok_lines)))
    assert len(rows) == 2 and not bad.bad and rows[0]["cited_by"] == 1


def test_empty_field_with_continuation_and_unknown_tag(tmp_path: Path) -> None:
    text = _fixture_text(TWO_PAPER).replace("SO SYNTHESE\n", "SO\n   SYNTHESE\nXX new tag\n")
    rows, bad = rows_of(_write(tmp_path, "odd.txt", text))
    assert rows[0]["venue"] == "SYNTHESE" and not bad.bad


def test_bench_file_replicates_the_seed(tmp_path: Path) -> None:
    from mining.bench_ingest import build_bench_file, run_ingest_benchmark

    path = build_bench_file(SAVEDRECS, 70, tmp_path / "bench.txt")
    rows, bad = rows_of(path)
    assert len(rows) == 70 and not bad.bad
    assert [row["source_id"] for row in rows[:2]] == ["WOS:BENCH000000001", "WOS:BENCH000000002"]
    assert len({row["source_id"] for row in rows}) == 70
    assert rows[32]["title"] == rows[0]["title"] and rows[32]["doi"] == rows[0]["doi"]  # replica 33 = seed record 1
    report = run_ingest_benchmark(records=40, out_dir=tmp_path / "reports", work_dir=tmp_path / "work", compare=False, repeat=1)
    assert [run["records"] for run in report["ours"]] == [40, 120]
    assert report["metaknowledge"] is None and "skipped" in report["note"]
    assert (tmp_path / "reports" / "bench_ingest.json").is_file()
    assert "mining bench ingest" in (tmp_path / "reports" / "bench_ingest.md").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------------------------
# Pieces


def test_split_c1_cell() -> None:
    cell = "[Leal, Jo Ann] Essentia Hlth, Duluth, MN 55805 USA; [Leal, Jo Ann; Wiebe, Alex] Mayo Clin, Rochester, MN 55905 USA"
    assert split_c1_cell(cell) == [
        "[Leal, Jo Ann] Essentia Hlth, Duluth, MN 55805 USA",
        "[Leal, Jo Ann; Wiebe, Alex] Mayo Clin, Rochester, MN 55905 USA",
    ]
    assert split_c1_cell("Univ A, Dept X, Paris, France; Univ B, Lyon, France") == ["Univ A, Dept X, Paris, France", "Univ B, Lyon, France"]
    assert split_c1_cell("") == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Abraham M., 1909, RC CIRC MAT PALERMO, V28, P1", True),
        ("ALLEN PJ, 1966, AM J PHYS, V34, P1185, DOI 10.1119/1.1972585", True),
        ("Skobel'tsyn D. V., 1973, Soviet Physics - Uspekhi, V16", True),
        ("[ANONYMOUS], 1968, PHYS REV, V171, P1385", True),
        ("2024, Journal of Computing Research and Innovation, V9", True),
        ("UNIV TRONDHEIM,INST THEORET PHYS,N-7034 TRONDHEIM,NORWAY.", False),
        ("Univ Wisconsin, Dept Philosophy, Madison, WI 53706 USA.", False),
        ("Zhejiang Chinese Med Univ, Sch Basic Med, 548 Binwen Rd,Bldg 9, Hangzhou 310053, Zhejiang, Peoples R China.", False),
    ],
)
def test_looks_like_citation(line: str, expected: bool) -> None:
    assert looks_like_citation(line) is expected


@pytest.mark.parametrize(
    ("year", "pd", "ea", "expected"),
    [
        (2026, "2026 FEB 25", "FEB 2026", "2026-02-25"),
        (2024, "DEC 31", None, "2024-12-31"),
        (2000, "MAR", None, "2000-03"),
        (2025, "JUN", "MAY 2025", "2025-06"),
        (2025, None, "MAY 2025", "2025-05"),
        (2025, None, "DEC 2024", "2025"),  # early access in another year says nothing about the issue
        (2010, "SPR", None, "2010"),
        (2010, "MAR-APR", None, "2010-03"),
        (2011, "FEB 30", None, "2011-02"),
        (None, "MAR", None, None),
    ],
)
def test_pub_date(year: int | None, pd: str | None, ea: str | None, expected: str | None) -> None:
    assert wos._pub_date(year, pd, ea) == expected


# ----------------------------------------------------------------------------------------------
# Every real export in ../shared/data (skipped without it)


PLAINTEXT_EXPECTED = {
    # file: (records, first UT, first DOI, first year, first author, first address, first TC, last UT, last DOI, last year, last TC)
    "bibliometrix_wos_sample.txt": (
        8, "WOS:001702577900001", "10.1080/00396265.2026.2635057", 2026, "Toh, Ming Liang",
        "Univ Technol Sarawak, Sch Built Environm, Jalan Univ, Sibu 96000, Sarawak, Malaysia.", 0,
        "WOS:001492673800001", "10.1016/j.simpa.2025.100766", 2025, 0,
    ),
    "metaknowledge_TwoPaper.isi": (
        2, "WOS:000086967200001", "10.1023/a:1005282128866", 2000, "Kim, S",
        "Univ Wisconsin, Dept Philosophy, Madison, WI 53706 USA.", 1,
        "WOS:000168001500006", "10.1023/a:1005677609556", 2001, 0,
    ),
    "metaknowledge_savedrecs.txt": (
        32, "WOS:A1979GV55600001", "10.1016/0370-1573(79)90074-7", 1979, "BREVIK, I",
        "UNIV TRONDHEIM,INST THEORET PHYS,N-7034 TRONDHEIM,NORWAY.", 244,
        "WOS:A1974S801100007", None, 1974, 0,
    ),
}

TAB_EXPECTED = {
    "scientopy_wos_2017.txt": (
        125, "WOS:000413060400006", "10.1016/j.future.2017.04.031", 2018, "Tonyali, Samet",
        "Florida Int Univ, Dept Elect & Comp Engn, Miami, FL 33174 USA", 1,
        "WOS:000301071700001", "10.1186/1687-1499-2011-61", 2011, 2,
    ),
    "scientopy_wos_2026_04_02_1000.txt": (
        1000, "WOS:001395617300004", "10.1109/jiot.2024.3468428", 2025, "Luo, Zhiqing",
        "Huazhong Univ Sci & Technol, Sch Elect Informat & Commun, Wuhan 430074, Peoples R China", 10,
        "WOS:000680838400004", "10.1109/inertial51137.2021.9430457", 2021, 6,
    ),
    "scientopy_wos_2026_04_02_4071.txt": (
        71, "WOS:001242600300012", "10.1002/adsr.202300058", 2023, "Sheeja Prakash, Karthika",
        "Univ Freiburg, Dept Microsyst Engn IMTEK, D-79110 Freiburg, Germany", 6,
        "WOS:001394833300001", "10.1093/ajhp/zxae392", 2025, 0,
    ),
}


def _check_expected(rows: list[dict], expected: tuple) -> None:
    count, ut, doi, year, author, address, tc, last_ut, last_doi, last_year, last_tc = expected
    assert len(rows) == count
    first, last = rows[0], rows[-1]
    assert (first["source_id"], first["doi"], first["year"], first["cited_by"]) == (ut, doi, year, tc)
    assert first["authors"][0] == author and first["addresses"][0] == address
    assert (last["source_id"], last["doi"], last["year"], last["cited_by"]) == (last_ut, last_doi, last_year, last_tc)
    assert_no_shifted_fields(rows)


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(PLAINTEXT_EXPECTED))
def test_real_plaintext_exports(shared_data: Path, name: str) -> None:
    path = shared_data / "exports" / "wos_plaintext" / name
    assert detect_format(path) == "wos_plaintext"
    rows, bad = rows_of(path)
    assert not bad.bad and not bad.warnings
    _check_expected(rows, PLAINTEXT_EXPECTED[name])


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(TAB_EXPECTED))
def test_real_tab_exports(shared_data: Path, name: str) -> None:
    path = shared_data / "exports" / "wos_tabdelimited" / name
    assert detect_format(path) == "wos_tab"
    rows, bad = rows_of(path)
    assert not bad.bad and not bad.warnings
    _check_expected(rows, TAB_EXPECTED[name])


@pytest.mark.shared
def test_real_2026_plaintext_layout_details(shared_data: Path) -> None:
    rows, _ = rows_of(shared_data / "exports" / "wos_plaintext" / "bibliometrix_wos_sample.txt")
    first = rows[0]
    assert first["doc_type_raw"] == "Article; Early Access" and first["doc_type"] == "article"
    assert first["pub_date"] == "2026-02-25" and first["issn"] == "0039-6265" and first["eissn"] == "1752-2706"
    assert first["author_keywords"] == ("Word", "GIS", "Real Estate", "bibliometric analysis", "bibliometrix", "QGIS")
    assert first["wos_categories"] == ("Engineering, Civil", "Geosciences, Multidisciplinary", "Remote Sensing")
    assert first["research_areas"] == ("Engineering", "Geology", "Remote Sensing")
    # A DE wrapped over two lines: joined before splitting.
    assert rows[1]["author_keywords"] == ("bibliometric analysis", "item response theory (IRT)", "biblioshiny", "bibliometrix")
    last = rows[-1]
    assert last["authors"][0] == "Souza, Leandro Rodrigues da Silva" and len(last["authors"]) == 8
    assert last["addresses"][0] == "Programa Posgrad Engn Biomed, Uberlandia, Brazil."
    assert len(last["addresses"]) == 7 and last["pub_date"] == "2025-06"
    # [Nasuto, Slawomir J.] Otto von Guericke Univ...: author 4 -> address 5.
    assert {"author": 4, "address": 5} in last["author_address"]
    assert last["wos_categories"] == ("Computer Science, Software Engineering",)


@pytest.mark.shared
def test_real_2017_tab_unbalanced_quotes(shared_data: Path) -> None:
    rows, _ = rows_of(shared_data / "exports" / "wos_tabdelimited" / "scientopy_wos_2017.txt")
    row = rows[123]
    assert row["source_id"] == "WOS:000304539200064" and row["year"] == 2012
    assert row["abstract"].startswith('Current "Internet of Things" concepts point to a future')
    assert rows[0]["addresses"] == (
        "Florida Int Univ, Dept Elect & Comp Engn, Miami, FL 33174 USA",
        "Florida Atlantic Univ, Dept Comp & Elect Engn & Comp Sci, Boca Raton, FL 33431 USA",
    )
    assert rows[0]["author_address"][-1] == {"author": 4, "address": 1}


@pytest.mark.shared
def test_real_bad_file(shared_data: Path) -> None:
    path = shared_data / "exports" / "wos_plaintext" / "metaknowledge_badFile.isi"
    assert detect_format(path) == "wos_plaintext"
    with pytest.raises(InputError) as info:
        rows_of(path)
    location = info.value.location
    assert Path(location.file).name == "metaknowledge_badFile.isi"
    assert (location.line, location.record, location.field) == (13, 1, "C1")
    assert "metaknowledge_badFile.isi, line 13, record 1, field C1" in str(info.value)
    rows, bad = rows_of(path, skip_bad=True)
    assert len(rows) == 31 and rows[0]["record_no"] == 2
    assert [(b.location.line, b.location.record, b.location.field) for b in bad.bad] == [(13, 1, "C1"), (2070, None, None)]
    good, _ = rows_of(shared_data / "exports" / "wos_plaintext" / "metaknowledge_savedrecs.txt")
    assert [row["source_id"] for row in rows] == [row["source_id"] for row in good[1:]]
