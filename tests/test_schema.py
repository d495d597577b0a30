"""The record schema's normalisers and table builder."""

from __future__ import annotations

import pandas as pd
import pytest

from mining import schema


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("G06N 3/08", "G06N 3/08"),
        ("G06N3/08", "G06N 3/08"),
        ("G06N-003/08", "G06N 3/08"),          # Derwent
        ("G06K   9/6256", "G06K 9/6256"),
        ("G06N   3/0800", "G06N 3/08"),        # WIPO padded subgroup
        ("G06N0003080000", "G06N 3/08"),       # WIPO 14-character
        ("G06N0010000000", "G06N 10/00"),
        ("G06F 18/2413", "G06F 18/2413"),
        ("G06N", None),                        # subclass only: not a group code
        ("not a code", None),
    ],
)
def test_normalise_ipc(raw: str, expected: str | None) -> None:
    assert schema.normalise_ipc(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Article", "article"),
        ("Article; Early Access", "article"),
        ("Article; Proceedings Paper", "article"),
        ("Proceedings Paper", "conference_paper"),
        ("Conference Paper", "conference_paper"),
        ("Review", "review"),
        ("Short Survey", "review"),
        ("Conference Review", "other"),
        ("proceedings", "other"),
        ("proceedings-article", "conference_paper"),
        ("Review; Early Access", "review"),
        ("Correction", "erratum"),
        ("Retraction", "erratum"),
        ("Article; Retracted Publication", "article"),
        ("Book Chapter", "book_chapter"),
        ("Editorial Material", "editorial"),
        ("IEEE Journals", "article"),
        ("IEEE Conferences", "conference_paper"),
        ("journal-article", "article"),
        ("Something new", "other"),
        (None, "other"),
    ],
)
def test_normalise_doc_type(raw: str | None, expected: str) -> None:
    assert schema.normalise_doc_type(raw) == expected


def test_normalise_doi_and_issn() -> None:
    assert schema.normalise_doi("https://doi.org/10.1016/J.JOI.2017.08.007") == "10.1016/j.joi.2017.08.007"
    assert schema.normalise_doi("DOI: 10.1109/ACCESS.2019.1.") == "10.1109/access.2019.1"
    assert schema.normalise_doi("n/a") is None
    assert schema.normalise_issn("15691845") == "1569-1845"
    assert schema.normalise_issn("0028-083x") == "0028-083X"
    assert schema.normalise_issn("") is None


def test_record_id_is_stable_and_source_scoped() -> None:
    a = schema.record_id("wos", "WOS:000123")
    assert a == schema.record_id("wos", "WOS:000123")
    assert a != schema.record_id("scopus", "WOS:000123")
    assert a.startswith("r") and len(a) == 17
    # without a source id the fallback fields decide
    assert schema.record_id("lens", None, "A title", 2020) != schema.record_id("lens", None, "A title", 2021)


def test_to_table_fills_missing_columns_and_rejects_unknown() -> None:
    table = schema.to_table([{"record_id": "r1", "year": 2020, "authors": ["Li, X"]}, {"record_id": "r2"}])
    assert table.schema.equals(schema.SCHEMA)
    frame = schema.to_frame(table)
    assert frame.loc[1, "authors"].tolist() == []
    assert frame["year"].dtype.name == "Int64"
    assert frame.loc[0, "year"] == 2020 and pd.isna(frame.loc[1, "year"])
    with pytest.raises(KeyError, match="titel"):
        schema.to_table([{"record_id": "r1", "titel": "typo"}])


def test_schema_markdown_documents_every_column() -> None:
    text = schema.schema_markdown()
    for column in schema.COLUMNS + schema.WORK_COLUMNS:
        assert f"`{column.name}`" in text
