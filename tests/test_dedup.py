"""Cross-source deduplication on real records.

Most tests read the cuts in ``tests/fixtures/dedup/`` (real WoS and Scopus rows of the same ScientoPy
query, WoS correction notices, Google Patents ids; see the README there). One test runs on the full
WoS 2017 + Scopus 2017 files from ``../shared/data`` and skips when it is absent.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import mining.dedup as dedup
from mining.dedup import (
    DedupResult,
    author_key,
    authors_compatible,
    comparable_title,
    deduplicate,
    marker_signature,
    number_signature,
    publication_number_key,
)
from mining.errors import UnknownFormatError
from mining.ingest import read_file
from mining.schema import COLUMN_NAMES, WORK_SCHEMA, record_id, to_frame, to_table

DEDUP = Path(__file__).resolve().parent / "fixtures" / "dedup"
WOS_2017 = "scientopy_wos_2017_cut.txt"
SCOPUS_2017 = "scientopy_scopus_2017_cut.csv"
CUTS = (WOS_2017, SCOPUS_2017, "scientopy_wos_2026_04_02_1000_cut.txt", "scientopy_wos_2026_04_02_4071_cut.txt")
PATENTS = "gp-search-20251001-102842_first6.csv"


def _read(path: Path) -> pd.DataFrame:
    try:
        return read_file(path)
    except UnknownFormatError as exc:  # a parser not registered (yet)
        pytest.skip(f"no parser for {path.name}: {exc}")


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return pd.concat([_read(DEDUP / name) for name in CUTS], ignore_index=True)


@pytest.fixture(scope="module")
def result(records: pd.DataFrame) -> DedupResult:
    return deduplicate(records)


def rid(frame: pd.DataFrame, source_id: str) -> str:
    """record_id of the (single) record with this source id."""
    ids = frame.loc[frame["source_id"] == source_id, "record_id"].unique()
    assert len(ids) == 1, (source_id, ids)
    return str(ids[0])


def work_index(result: DedupResult) -> dict[str, str]:
    """record_id -> work_id."""
    exploded = result.works[["work_id", "merged_record_ids"]].explode("merged_record_ids")
    return dict(zip(exploded["merged_record_ids"], exploded["work_id"]))


def work_of(result: DedupResult, record: str) -> pd.Series:
    work_id = work_index(result)[record]
    return result.works.loc[result.works["work_id"] == work_id].iloc[0]


def rejected_between(result: DedupResult, a: str, b: str) -> set[str]:
    """Reasons recorded for keeping the works of records a and b apart."""
    works = work_index(result)
    target = {works[a], works[b]}
    return {
        row.reason
        for row in result.rejected.itertuples(index=False)
        if {works[row.record_a], works[row.record_b]} == target
    }


def make_records(rows: list[dict]) -> pd.DataFrame:
    """Schema rows -> a record frame exactly as the parsers produce it."""
    return to_frame(to_table(rows))


def variant(record: pd.Series, **changes: object) -> dict:
    """A new record built from a real one: a new source id (so a new record_id), some fields changed."""
    row = {name: record[name] for name in COLUMN_NAMES}
    for name, value in row.items():
        if hasattr(value, "tolist"):
            row[name] = value.tolist()
        elif value is not None and not isinstance(value, (list, str)) and pd.isna(value):
            row[name] = None
    row.update(changes)
    row["record_id"] = record_id(str(row["source"]), str(row["source_id"]))
    return row


# ----------------------------------------------------------------------------------------------
# The same paper in WoS and Scopus


@pytest.mark.parametrize(
    ("doi", "ut", "eid"),
    [
        ("10.1016/j.future.2017.04.031", "WOS:000413060400006", "2-s2.0-85018181196"),
        ("10.1016/j.future.2017.02.014", "WOS:000413060400014", "2-s2.0-85012875280"),
        ("10.3390/s17061193", "WOS:000404553900009", "2-s2.0-85019724666"),
        ("10.1109/lwc.2016.2647247", "WOS:000399392500006", "2-s2.0-85018192196"),
        ("10.1109/access.2017.2739804", "WOS:000409349400023", "2-s2.0-85028461481"),
    ],
)
def test_same_paper_in_wos_and_scopus_merges_by_doi(
    records: pd.DataFrame, result: DedupResult, doi: str, ut: str, eid: str
) -> None:
    wos, scopus = rid(records, ut), rid(records, eid)
    work = work_of(result, wos)
    assert work["merged_record_ids"] == [wos, scopus]
    assert work["work_id"] == wos  # WoS is the survivor (as rich, and preferred on ties: it has WC/SC)
    assert work["doi"] == doi
    assert work["sources"] == ["wos", "scopus"]
    assert work["identifiers"] == [f"doi:{doi}", f"wos:{ut}", f"scopus:{eid}"]
    pair = result.pairs[(result.pairs["record_a"].isin([wos, scopus])) & (result.pairs["record_b"].isin([wos, scopus]))]
    assert pair["rule"].tolist() == ["doi"]
    assert pair["score"].isna().all()


def test_survivor_is_filled_from_the_other_records(records: pd.DataFrame, result: DedupResult) -> None:
    # Tonyali et al. 2018: WoS and Scopus list the same six author keywords in different orders.
    wos, scopus = rid(records, "WOS:000413060400006"), rid(records, "2-s2.0-85018181196")
    work = work_of(result, scopus)
    assert work["work_id"] == wos
    assert work["provenance"] == [f"{WOS_2017}#1", f"{SCOPUS_2017}#2"]
    assert list(work["author_keywords"]) == [
        "Internet of things", "Privacy-preserving protocols", "Reliable data aggregation",
        "Secure multiparty computation", "Fully homomorphic encryption", "Smart Metering systems",
    ]
    index_keywords = list(work["index_keywords"])
    assert index_keywords[:4] == ["GRIDS", "INFORMATION", "SCHEME", "MODEL"]  # WoS Keywords Plus first
    assert "Advanced metering infrastructures" in index_keywords and "Smart metering" in index_keywords
    assert len({k.lower() for k in index_keywords}) == len(index_keywords)
    assert list(work["wos_categories"]) == ["Computer Science, Theory & Methods"]
    assert work["pub_date"] == "2018-01"  # WoS's month, not Scopus's bare year
    assert len(work["abstract"]) == 1929  # WoS's abstract is the longer one (Scopus: 1906)

    # Kulatunga 2017: WoS has no DOI and a short abstract; Scopus has the DOI, a longer abstract, fewer addresses.
    wos = rid(records, "WOS:000400570200004")
    kulatunga = records.set_index("record_id").loc[[wos, rid(records, "2-s2.0-85018782023")]]
    work = work_of(result, wos)
    assert work["work_id"] == wos
    assert work["doi"] == "10.1109/mitp.2017.28"
    assert len(work["abstract"]) == max(len(a) for a in kulatunga["abstract"]) == 646
    assert list(work["addresses"]) == list(kulatunga["addresses"].iloc[0])  # WoS: 3 addresses, Scopus: 2
    assert list(work["authors"]) == list(kulatunga["authors"].iloc[0])
    links = list(work["author_address"])
    assert links and all(link["address"] < len(work["addresses"]) and link["author"] < len(work["authors"]) for link in links)

    # Citation counts: the largest (Voegler et al.: WoS 4, Scopus 11; Wi-Fi backscatter: 7, 19, 44).
    assert work_of(result, rid(records, "WOS:000375576700004"))["cited_by"] == 11
    backscatter = work_of(result, rid(records, "WOS:000350564600099"))
    assert backscatter["cited_by"] == 44
    assert sorted(backscatter["merged_record_ids"]) == sorted(
        rid(records, s) for s in ("WOS:000350564600099", "2-s2.0-84924376918", "2-s2.0-84907326146")
    )


@pytest.mark.parametrize(
    ("ut", "eid", "score"),
    [
        ("WOS:000400570200004", "2-s2.0-85018782023", 100.0),  # WoS without DOI, "Kulatunga, Chamil" / "Kulatunga C."
        ("WOS:000409214500008", "2-s2.0-85032943349", 100.0),  # "Aranzazu-Suescun, Catalina" / "Aranzazu-Suescun C."
        ("WOS:000405992100247", "2-s2.0-85020527961", 100.0),  # no DOI on either side; "Dong Bo" / "Bo D."
        ("WOS:000391729400052", "2-s2.0-85007495948", 100.0),  # "Yacchirema, D. C." / "Vargas D.C.Y."
        ("WOS:000375125100013", "2-s2.0-84963721336", 100.0),  # no DOI on either side
        ("WOS:000399262700013", "2-s2.0-85018742681", 99.0),  # WoS title typo "Systern"
        ("WOS:000369384200018", "2-s2.0-84979738850", 94.5),  # Scopus drops the last word ("System")
    ],
)
def test_same_paper_without_doi_merges_by_title_year_author(
    records: pd.DataFrame, result: DedupResult, ut: str, eid: str, score: float
) -> None:
    wos, scopus = rid(records, ut), rid(records, eid)
    assert work_index(result)[wos] == work_index(result)[scopus] == wos
    pair = result.pairs[(result.pairs["record_a"].isin([wos, scopus])) & (result.pairs["record_b"].isin([wos, scopus]))]
    assert pair["rule"].tolist() == ["title_year_author"]
    assert pair["score"].iloc[0] == pytest.approx(score, abs=0.1)


# ----------------------------------------------------------------------------------------------
# Different works with (near) identical titles


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        # Zhu et al.: the 2015 journal article and the 2014 conference paper (each also in Scopus).
        ("WOS:000361236100001", "2-s2.0-84941618270", "rejected_year"),
        # Schrickte et al.: WoS and Scopus give the same paper two Inderscience DOIs.
        ("WOS:000389918100003", "2-s2.0-84997161377", "rejected_doi_conflict"),
        # Kim S.: WCNC 2016 and its workshop, two DOIs.
        ("2-s2.0-84989906583", "2-s2.0-84987949065", "rejected_doi_conflict"),
        # Ko H.: the FGCS article ("CG-E2S2: ...") and the conference paper, both Scopus.
        ("2-s2.0-85029724801", "2-s2.0-85030723743", "rejected_doc_type"),
        # Prummel et al. 2015: JSSC article and the ISSCC paper, both WoS, same year.
        ("WOS:000366659700024", "WOS:000355252700097", "rejected_doc_type"),
        # Iqbal et al. 2018: PLOS ONE article and a meeting abstract with the same title.
        ("WOS:000447173500066", "WOS:000434978002010", "rejected_doc_type"),
        # Two WoS correction notices of one article, 2021 and 2020.
        ("WOS:001144371900006", "WOS:001128578800051", "rejected_year"),
    ],
)
def test_real_near_identical_titles_stay_apart(
    records: pd.DataFrame, result: DedupResult, a: str, b: str, reason: str
) -> None:
    ra, rb = rid(records, a), rid(records, b)
    assert work_index(result)[ra] != work_index(result)[rb]
    assert reason in rejected_between(result, ra, rb)


def test_correction_notice_never_joins_its_article(records: pd.DataFrame, result: DedupResult) -> None:
    article = rid(records, "WOS:001093219100020")
    corrections = [rid(records, s) for s in ("WOS:001144371900006", "WOS:001128578800051", "WOS:001126246100010")]
    assert all(work_index(result)[c] != work_index(result)[article] for c in corrections)
    assert marker_signature(records.loc[records["record_id"] == corrections[0], "title"].iloc[0], "erratum", "Correction") == "erratum"


def test_doi_shared_by_different_papers_is_listed_for_audit(records: pd.DataFrame, result: DedupResult) -> None:
    # WoS gives the ACR article "Multiple Protocol Transport Network Gateway..." the DOI of another RACS paper.
    audit = result.doi_audit
    assert audit["doi"].tolist() == ["10.1145/2811411.2811532"]
    assert set(audit[["title_a", "title_b"]].iloc[0]) == {
        "Multiple Protocol Transport Network Gateway for IoT Systems",
        "Distributed meta-routing over heterogeneous networks for M2M/IoT systems",
    }
    assert result.summary["doi_title_dissimilar"] == 1
    assert "DOI merges with unrelated titles" in result.report_markdown()


def _sss(records: pd.DataFrame) -> pd.Series:
    """The Scopus record of "Smart service system(SSS): ..." (a long title, so prefixes stay above 93)."""
    return records.loc[records["source_id"] == "2-s2.0-85018742681"].iloc[0]


@pytest.mark.parametrize(
    ("title", "changes", "reason"),
    [
        ("{t}: Part II", {}, "rejected_part_number"),
        ("Correction to: {t}", {}, "rejected_erratum"),
        ("Erratum: {t}", {}, "rejected_erratum"),
        ("RETRACTED: {t}", {}, "rejected_erratum"),
        ("Comment on: {t}", {}, "rejected_reply_comment"),
        ("Reply to: {t}", {}, "rejected_reply_comment"),
        ("{t}", {"year": 2018}, "rejected_year"),
        ("{t}", {"doi": "10.1109/cc.2017.0000001"}, "rejected_doi_conflict"),
        ("{t}", {"authors": ["Smith J."]}, "rejected_author"),
        ("{t}", {"authors": []}, "rejected_no_author"),
    ],
)
def test_constructed_variants_of_a_real_record_stay_apart(
    records: pd.DataFrame, title: str, changes: dict, reason: str
) -> None:
    base = _sss(records)
    fields = {"doi": None, **changes}
    made = variant(base, source="ieee", source_format="ieee_csv", source_id="7897329", title=title.format(t=base["title"]), **fields)
    frame = pd.concat([records, make_records([made])], ignore_index=True)
    result = deduplicate(frame)
    works = work_index(result)
    assert works[made["record_id"]] == made["record_id"]  # alone in its work
    assert reason in rejected_between(result, made["record_id"], base["record_id"])


def test_part_numbers_compare_by_value(records: pd.DataFrame) -> None:
    base = _sss(records)
    part_2 = variant(base, source="ieee", source_id="1", doi=None, title=base["title"] + ", Part 2")
    part_ii = variant(base, source="openalex", source_id="W2", doi=None, title=base["title"] + ", Part II")
    part_i = variant(base, source="lens", source_id="3", doi=None, title=base["title"] + ", Part I")
    result = deduplicate(make_records([part_2, part_ii, part_i]))
    works = work_index(result)
    assert works[part_2["record_id"]] == works[part_ii["record_id"]] != works[part_i["record_id"]]
    assert result.rejected["reason"].tolist() == ["rejected_part_number"]


def test_paper_and_patent_never_merge() -> None:
    patents = _read(DEDUP / PATENTS)
    patent = patents.loc[patents["source_id"] == "US-2023377099-A1"].iloc[0]
    paper = variant(patent, source="scopus", source_id="2-s2.0-1", kind="paper", doc_type="article", doc_type_raw="Article")
    result = deduplicate(pd.concat([patents, make_records([paper])], ignore_index=True))
    assert result.summary["works_out"] == len(patents) + 1
    assert result.summary["title_candidates"] == 0  # the title rule looks at papers only


# ----------------------------------------------------------------------------------------------
# Transitivity, identifiers, record_id duplicates


def test_transitive_merge_across_rules(records: pd.DataFrame) -> None:
    # WoS Kulatunga (no DOI) ~title~ Scopus Kulatunga (DOI) ~DOI~ an OpenAlex record of it with a longer title.
    scopus = records.loc[records["source_id"] == "2-s2.0-85018782023"].iloc[0]
    openalex = variant(
        scopus, source="openalex", source_format="openalex_json", source_id="https://openalex.org/W2611111111",
        title=scopus["title"] + ": lessons from a field trial in Irish dairy farms", authors=["Chamil Kulatunga"],
        file="works.json", record_no=7,
    )
    frame = pd.concat([records, make_records([openalex])], ignore_index=True)
    result = deduplicate(frame)
    wos = rid(records, "WOS:000400570200004")
    work = work_of(result, wos)
    assert sorted(work["merged_record_ids"]) == sorted([wos, scopus["record_id"], openalex["record_id"]])
    assert work["sources"] == ["wos", "scopus", "openalex"]
    assert work["identifiers"] == [
        "doi:10.1109/mitp.2017.28", "wos:WOS:000400570200004", "scopus:2-s2.0-85018782023",
        "openalex:https://openalex.org/W2611111111",
    ]
    assert work["provenance"] == [f"{WOS_2017}#6", f"{SCOPUS_2017}#8", "works.json#7"]
    members = set(work["merged_record_ids"])
    rules = result.pairs[result.pairs["record_a"].isin(members) & result.pairs["record_b"].isin(members)]["rule"]
    assert sorted(rules) == ["doi", "title_year_author"]


def test_no_work_ends_up_with_two_dois_through_a_doi_less_record(records: pd.DataFrame) -> None:
    # The WoS "Systern" record has no DOI and title-matches both the real Scopus record and an IEEE
    # copy with another DOI: it may join one of them, never both.
    base = _sss(records)
    other = variant(base, source="ieee", source_id="7897330", doi="10.1109/cc.2017.0000002", authors=["Guo, Yongan"])
    result = deduplicate(pd.concat([records, make_records([other])], ignore_index=True))
    by_record = records.set_index("record_id")["doi"].to_dict()
    by_record[other["record_id"]] = other["doi"]
    for members in result.works["merged_record_ids"]:
        dois = {by_record[m] for m in members if isinstance(by_record.get(m), str)}
        assert len(dois) <= 1, members
    wos = rid(records, "WOS:000399262700013")
    assert work_index(result)[wos] == work_index(result)[base["record_id"]]  # the better (earlier, real) match
    assert work_index(result)[other["record_id"]] == other["record_id"]
    assert "rejected_doi_conflict" in rejected_between(result, other["record_id"], base["record_id"])


def test_union_find_keeps_every_doi_of_a_group() -> None:
    # Records 0 and 1 are one record exported twice with two DOIs; 2 has neither; 3 has the first DOI.
    uf = dedup._UnionFind(5, ["10.1/a", "10.1/b", None, "10.1/a", "10.1/c"])
    assert uf.union(2, 0, check_doi=True) == "merged"
    assert uf.union(1, 2, check_doi=False) == "merged"  # rule 1 does not check
    assert uf.union(3, 1, check_doi=True) == "merged"  # shares 10.1/a
    assert uf.union(4, 0, check_doi=True) == "doi_conflict"  # 10.1/c is in none of the group's DOIs
    assert uf.union(3, 0, check_doi=True) == "same"
    assert uf._dois(uf.find(0)) == {"10.1/a", "10.1/b"}


def test_blocking_finds_the_same_pairs_as_all_pairs(records: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    """On these real titles (and a one-letter variant of each), the prefix/suffix blocks miss no pair that an
    all-pairs comparison finds, whether blocks are scored pair by pair or with chunked cdist (forced here)."""
    from rapidfuzz import fuzz, process

    titles = pd.Series([dedup.comparable_title(t) for t in records["title"]], dtype=object)
    titles = pd.concat([titles, titles.str.replace("a", "e", n=1, regex=False)], ignore_index=True).to_numpy(dtype=object)
    years = pd.Series([2017] * len(titles), dtype=object).to_numpy()
    matrix = process.cdist(titles, titles, scorer=fuzz.ratio, score_cutoff=93.0)
    expected = {(i, j) for i in range(len(titles)) for j in range(i + 1, len(titles)) if matrix[i, j] >= 93.0}
    assert len(expected) == 166
    for small, chunk in ((48, 2048), (1, 3)):
        monkeypatch.setattr(dedup, "SMALL_BLOCK", small)
        monkeypatch.setattr(dedup, "CDIST_CHUNK", chunk)
        a, b, s = dedup._title_candidates(titles, years, 93.0)
        assert set(zip(a.tolist(), b.tolist())) == expected
        assert (s >= 93.0).all()
    # Blocks over BIG_BLOCK are split (by year, then by longer keys): fewer pairs, but identical titles stay together.
    monkeypatch.setattr(dedup, "BIG_BLOCK", 2)
    a, b, s = dedup._title_candidates(titles, years, 93.0)
    found = set(zip(a.tolist(), b.tolist()))
    identical = {(i, j) for i, j in expected if titles[i] == titles[j]}
    assert identical <= found <= expected


def test_record_id_duplicates_collapse(records: pd.DataFrame, result: DedupResult) -> None:
    again = _read(DEDUP / WOS_2017)  # the same export read twice
    twice = deduplicate(pd.concat([records, again], ignore_index=True))
    assert twice.summary["merges_by_rule"]["record_id"] == len(again) == 17
    assert twice.summary["works_out"] == result.summary["works_out"]
    work = work_of(twice, rid(records, "WOS:000413060400006"))
    assert work["merged_record_ids"].count(rid(records, "WOS:000413060400006")) == 2
    assert work["provenance"].count(f"{WOS_2017}#1") == 2


def test_counts_and_works_table(records: pd.DataFrame, result: DedupResult) -> None:
    s = result.summary
    assert (s["records_in"], s["works_out"]) == (52, 32)
    assert s["merges_by_rule"] == {"record_id": 0, "doi": 11, "title_year_author": 9, "source_id": 0}
    assert len(result.pairs) == s["records_in"] - s["works_out"]
    assert list(result.works.columns) == WORK_SCHEMA.names
    pa.Table.from_pandas(result.works, schema=WORK_SCHEMA, preserve_index=False)  # conforms to the schema
    members = [m for ms in result.works["merged_record_ids"] for m in ms]
    assert sorted(members) == sorted(records["record_id"])  # every record in exactly one work
    assert result.works["work_id"].is_unique


def test_report_markdown(result: DedupResult) -> None:
    report = result.report_markdown()
    assert "- records in: 52" in report and "- works out: 32" in report
    assert "| doi | 11 | 0 |" in report
    assert "| title_year_author | 9 |" in report
    assert "Smart Service Systern(SSS)" in report  # an example pair, with both titles
    assert len(result.examples) == 20


def test_empty_input() -> None:
    empty = make_records([])
    result = deduplicate(empty)
    assert result.works.empty and list(result.works.columns) == WORK_SCHEMA.names
    assert result.summary["works_out"] == 0 and result.pairs.empty


# ----------------------------------------------------------------------------------------------
# Patents: the same publication number in several spellings


def test_patents_with_the_same_publication_number_merge() -> None:
    google = _read(DEDUP / PATENTS)
    us = google.loc[google["source_id"] == "US-2023377099-A1"].iloc[0]
    cn = google.loc[google["source_id"] == "CN-113361705-B"].iloc[0]
    derwent_us = variant(us, source="derwent", source_format="derwent_plaintext", source_id="US2023377099-A1", title=us["title"].upper())
    lens_us = variant(us, source="lens_patents", source_format="lens_patents_csv", source_id="US 2023/0377099 A1")
    derwent_cn = variant(cn, source="derwent", source_format="derwent_plaintext", source_id="CN113361705B")
    cn_application = variant(cn, source="lens_patents", source_id="CN 113361705 A", doc_type="patent_application")
    frame = pd.concat([google, make_records([derwent_us, lens_us, derwent_cn, cn_application])], ignore_index=True)
    result = deduplicate(frame)
    works = work_index(result)
    assert works[derwent_us["record_id"]] == works[lens_us["record_id"]] == works[us["record_id"]]
    assert works[derwent_cn["record_id"]] == works[cn["record_id"]]
    assert works[cn_application["record_id"]] == cn_application["record_id"]  # kind A is another publication
    assert result.summary["merges_by_rule"]["source_id"] == 3
    work = work_of(result, us["record_id"])
    # Equally rich records: Derwent is preferred, then Lens, then Google (sources listed in that order).
    assert work["work_id"] == derwent_us["record_id"]
    assert work["sources"] == ["derwent", "lens_patents", "google_patents"]
    assert "derwent:US2023377099-A1" in work["identifiers"]


@pytest.mark.parametrize(
    ("value", "source", "key"),
    [
        ("US-2023377099-A1", "google_patents", ("US2023377099", "A1")),
        ("US2023377099A1", "derwent", ("US2023377099", "A1")),
        ("US 2023/0377099 A1", "lens_patents", ("US2023377099", "A1")),
        ("US20230377099A1", "", ("US2023377099", "A1")),
        ("CN-113361705-B", "google_patents", ("CN113361705", "B")),
        ("US-10929046-B2", "patentsview", ("US10929046", "B2")),
        ("10929046", "patentsview", ("US10929046", "")),
        ("013-582-447-219-06X", "lens_patents", None),  # a Lens ID is not a publication number
    ],
)
def test_publication_number_key(value: str, source: str, key: tuple[str, str] | None) -> None:
    assert publication_number_key(value, source) == key


# ----------------------------------------------------------------------------------------------
# Building blocks, on name and title forms seen in the real files


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Tonyali, Samet", "Tonyali S.", True),  # WoS AF / Scopus
        ("Rahmani, Amir M.", "Rahmani A.M.", True),
        ("Hayashi, Akihiro", "A. Hayashi", True),  # IEEE
        ("Radanliev, Petar", "Petar Radanliev", True),  # OpenAlex
        ("Aranzazu-Suescun, Catalina", "Aranzazu-Suescun C.", True),
        ("Voegler, Michael", "Vögler M.", True),
        ("Dong Bo", "Bo D.", True),  # WoS without comma / Scopus swapped
        ("Dong, B", "Bo D.", True),
        ("Yacchirema, D. C.", "Vargas D.C.Y.", True),
        ("El Kaed, Chadi", "Kaed C.E.", True),
        ("Liu, CB", "Moller D.P.F.", False),
        ("Li, HT", "Zhang Y.", False),
    ],
)
def test_first_author_forms(a: str, b: str, same: bool) -> None:
    key_a, key_b = author_key(a), author_key(b)
    assert key_a is not None and key_b is not None
    assert authors_compatible(key_a, key_b) is same


def test_author_key_rejects_placeholders() -> None:
    assert author_key("[No author name available]") is None
    assert author_key("") is None


def test_title_signatures() -> None:
    assert number_signature(comparable_title("Direct and Large-Eddy Simulation XI")) != number_signature(
        comparable_title("Direct and Large-Eddy Simulation X")
    )
    assert number_signature(comparable_title("Proof and Computation II")) != number_signature(comparable_title("Proof and Computation"))
    assert number_signature("x part ii") == number_signature("x part 2") == number_signature("x second part")
    assert number_signature("volume a of x") == number_signature("volume a of x")
    assert number_signature("x volume a") != number_signature("x volume b")
    assert number_signature(comparable_title("A 10 mW Bluetooth Low-Energy Transceiver")) == number_signature(
        comparable_title("A 10mW Bluetooth Low-Energy Transceiver")
    )
    assert marker_signature("Correction to: Deep learning for X", "other", "") == "erratum"
    assert marker_signature("Is Bluetooth Low Energy feasible? (vol 5, 100120, 2020)", "erratum", "Correction") == "erratum"
    assert marker_signature("Error correction codes for flash memories", "article", "Article") == ""
    assert marker_signature("Notice of Retraction: X", "other", "") == "retraction"
    assert marker_signature("Reply to comment on X", "letter", "Letter") == "reply"
    assert marker_signature("Comment on: X", "letter", "Letter") == "comment"
    assert marker_signature("Accurate real time localization", "conference_paper", "Meeting Abstract") == "abstract"
    # Scopus appends the original-language title in brackets.
    assert comparable_title("Smart grids in Spain [Redes inteligentes en España]") == "smart grids in spain"


# ----------------------------------------------------------------------------------------------
# The full files (../shared/data)


@pytest.mark.shared
def test_full_wos_2017_and_scopus_2017(shared_data: Path) -> None:
    exports = shared_data / "exports"
    records = pd.concat(
        [read_file(exports / "wos_tabdelimited" / "scientopy_wos_2017.txt"), read_file(exports / "scopus_csv" / "scientopy_scopus_2017.csv")],
        ignore_index=True,
    )
    result = deduplicate(records)
    s = result.summary
    assert (s["records_in"], s["works_out"]) == (1046, 930)
    assert s["merges_by_rule"] == {"record_id": 0, "doi": 100, "title_year_author": 16, "source_id": 0}
    assert (s["rejected_year"], s["rejected_doi_conflict"], s["rejected_doc_type"]) == (1, 3, 1)
    assert s["doi_title_dissimilar"] == 1
    sources = result.works["sources"].map(tuple).value_counts().to_dict()
    assert sources == {("scopus",): 805, ("wos", "scopus"): 114, ("wos",): 11}
    # Pairs read by eye (same title, authors, year): every 11th merge of the run.
    works = work_index(result)
    for ut, eid in [
        ("WOS:000413060400014", "2-s2.0-85012875280"),  # Rahmani: Exploiting smart e-Health gateways ...
        ("WOS:000412362300027", "2-s2.0-85022027390"),  # Kua: Using Active Queue Management ...
        ("WOS:000395006900002", "2-s2.0-84969842379"),  # Park: Scalable architecture for an automated surveillance ...
        ("WOS:000381840900008", "2-s2.0-84979599477"),  # Bharti: Task requirement aware pre-processing ...
        ("WOS:000386405100001", "2-s2.0-84978807242"),  # Kim: A heuristic resource scheduling scheme ...
        ("WOS:000375576700004", "2-s2.0-84963811933"),  # Voegler / Vögler: A Scalable Framework ...
        ("WOS:000358323300001", "2-s2.0-84938840129"),  # Galinina: Smart home gateway system over BLE ...
        ("WOS:000360722700001", "2-s2.0-84941248400"),  # Jung: Secure Bootstrapping and Rebootstrapping ...
        ("WOS:000336669800074", "2-s2.0-84900830200"),  # Fang: An Integrated System for Regional Environmental ...
        ("WOS:000301071700001", "2-s2.0-84964247494"),  # De Poorter: Enabling direct connectivity ...
        ("WOS:000345580300014", "2-s2.0-84913591472"),  # Nieminen (WoS without DOI): Networking Solutions ...
    ]:
        assert works[rid(records, ut)] == works[rid(records, eid)] == rid(records, ut), (ut, eid)
