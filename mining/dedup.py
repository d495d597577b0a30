"""Cross-source deduplication: records (one per source row) -> works (one per real paper or patent).

The same paper reaches us from several databases (a WoS record and a Scopus record of one article),
the same record may be exported twice, and databases hold their own duplicates. :func:`deduplicate`
links records with four rules, applied in this order over a union-find of record positions (so
merges are transitive: A~B and B~C put A, B and C in one work):

1. ``record_id``: identical record_id (the same source record exported twice);
2. ``doi``: the same normalised DOI (papers);
3. ``title_year_author``: papers whose normalised titles score ``fuzz.ratio >= title_threshold``,
   with the same publication year and compatible first authors, and none of the guards below firing;
4. ``source_id``: the same source id in its normalised form; for patents the same publication
   number however the source spells it (``US-2023377099-A1``, ``US2023377099A1``,
   ``US 2023/0377099 A1``).

Decisions (the why behind the rules):

* Two records whose DOIs differ never end up in one work, also not transitively: rules 3 and 4
  refuse to join two groups that both carry DOIs and share none (``rejected_group_doi_conflict``).
  A record without a DOI can join a group with one.
* Rule 3 is strict on the year: a conference paper and its journal version a year later are
  different works, and so is a WoS early-access record dated differently; those pairs are counted
  as ``rejected_year`` when the blocking saw them.
* Rule 3 never merges: a correction / erratum / retraction with the work it corrects, a reply or
  comment with its target, a meeting abstract with a paper, two records of one database with
  different document types (WoS's ISSCC proceedings paper and its JSSC journal version in the same
  year; across databases types disagree too often to be used), titles whose numbers, roman numerals,
  number words or part markers differ ("Part I" / "Part II", "Volume A" / "Volume B", "XI" / "X",
  "2nd" / "3rd"), generic or very short titles ("Editorial", "Preface", fewer than three words), records
  without a first author, and patents (patents are linked by publication number only: two patents
  with the same title and inventor in one year are usually different members of a family).
* First authors are compatible when a surname word of one is a name word of the other (WoS
  ``Smith, J`` / Scopus ``Smith J.`` / OpenAlex ``John Smith`` / compound and hyphenated surnames,
  ``Voegler`` / ``Vögler``), when the names look swapped (``Dong, B`` / Scopus ``Bo D.``: each surname
  starts with an initial of the other), or when a Spanish first surname became an initial
  (``Yacchirema, D. C.`` / ``Vargas D.C.Y.``). Failing that, author lists of the same length whose
  co-authors all match pairwise also count.
* Blocking: a pair is compared only if its normalised titles (spaces removed) share the first or
  the last :data:`BLOCK_CHARS` characters. Blocks larger than :data:`BIG_BLOCK` are split by year,
  and those still too large by a longer title key (32, then 64 characters), so that a corpus where
  thousands of titles a year start with "Deep learning based" stays fast; a cross-year pair inside such
  a block is then not counted as ``rejected_year``.
  Two duplicates whose titles differ both within the first 16 and within the last 16 characters are
  missed (on the 2,792 real records of the team's sample exports blocking finds every pair that
  an all-pairs comparison finds).
* Patents: publication numbers match with their kind code; a record whose number has no kind code
  joins the records of the same number when they all have one kind code. Only a ``source_id`` that
  is a publication number can match (a Lens ID is not one).
* ``identifiers`` are ``doi:<doi>`` and ``<source>:<source_id>`` of every merged record.
* Survivor: the richest record (most non-empty fields; ties: wos > scopus > openalex > ieee > lens >
  arxiv > derwent > lens_patents > google_patents > patentsview, then input order) gives the work its
  id, provenance fields and every value it has; empty fields are filled from the other records in the
  same order; the abstract is the longest, ``cited_by`` the largest, keywords the case-insensitive union;
  ``authors`` + ``addresses`` (+ ``address_countries``) + ``author_address`` come together from the record
  with the most addresses (so the links stay valid); ``ipc`` + ``ipc_editions`` and ``priority_numbers`` + ``priority_countries``
  also come together from one record.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from mining.schema import COLUMN_NAMES, LIST_COLUMNS, WORK_COLUMNS, WORK_SCHEMA, normalise_title

log = logging.getLogger(__name__)

RULES: tuple[str, ...] = ("record_id", "doi", "title_year_author", "source_id")

#: Characters of the space-free normalised title used as blocking keys (prefix and suffix).
BLOCK_CHARS = 16
#: Title blocks larger than this are split by publication year (cdist cost is quadratic in block size).
BIG_BLOCK = 2_000
#: Blocks up to this size are scored pair by pair in one vectorised call; larger ones with chunked cdist.
SMALL_BLOCK = 48
#: Rows of a chunked cdist call, at most; and the most cells (float32) one call may return.
CDIST_CHUNK = 2_048
CDIST_CELLS = 32 * 1024 * 1024
#: Pairs from small blocks scored per cpdist call (bounds memory).
PAIR_BATCH = 2_000_000
#: Titles with fewer words than this never merge by title (too generic to tell works apart).
MIN_TITLE_WORDS = 3
#: DOI merges whose titles share less than this (token_set_ratio) are listed in the report for audit.
DOI_TITLE_AUDIT = 60.0

#: Survivor preference on ties (WoS first: it has WC/SC).
SOURCE_PRIORITY: dict[str, int] = {
    "wos": 0, "scopus": 1, "openalex": 2, "ieee": 3, "lens": 4, "arxiv": 5,
    "derwent": 6, "lens_patents": 7, "google_patents": 8, "patentsview": 9,
}

#: Normalised titles that name a kind of item, not a work.
GENERIC_TITLES = frozenset(
    {
        "editorial", "guest editorial", "editorial board", "preface", "foreword", "introduction", "index",
        "author index", "subject index", "contents", "table of contents", "letter to the editor",
        "letters to the editor", "reply", "response", "book review", "book reviews", "erratum", "correction",
        "corrigendum", "in memoriam", "obituary", "news", "abstracts", "front matter", "back matter", "cover",
        "acknowledgment", "acknowledgments", "acknowledgement", "acknowledgements", "reviewers", "announcement",
        "conclusion", "conclusions", "summary", "commentary", "comment", "discussion", "editors note",
        "editor s note", "introduction to the special issue", "reply to the letter to the editor",
        "response to the letter to the editor", "thanks to reviewers", "list of reviewers",
    }
)


@dataclass
class DedupResult:
    """What :func:`deduplicate` returns.

    ``works``: one row per work, exactly the columns of :data:`mining.schema.WORK_SCHEMA`.
    ``pairs``: one row per merge that joined two groups (``record_a``, ``record_b``, ``rule``, ``score``;
    ``score`` is the title ratio for ``title_year_author`` and null otherwise), so
    ``len(pairs) == records_in - works_out``.
    ``summary``: counts (records in, works out, merges by rule, candidate pairs rejected and why).
    ``examples``: up to 20 merged pairs with titles, for the report.
    ``doi_audit``: DOI merges whose two titles look unrelated (probably a DOI error in one source).
    ``rejected``: title-rule candidate pairs (ratio >= threshold) that were not merged, with the reason
    (``record_a``, ``record_b``, ``reason``, ``score``).
    """

    works: pd.DataFrame
    pairs: pd.DataFrame
    summary: dict[str, Any]
    examples: pd.DataFrame = field(default_factory=pd.DataFrame)
    doi_audit: pd.DataFrame = field(default_factory=pd.DataFrame)
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)

    def report_markdown(self) -> str:
        """A human-readable merge report: counts by rule, rejections, example pairs with titles."""
        s = self.summary
        lines = [
            "# Deduplication report",
            "",
            f"- records in: {s['records_in']}",
            f"- works out: {s['works_out']}",
            f"- records merged away: {s['records_in'] - s['works_out']}",
            f"- title threshold (rapidfuzz ratio on normalised titles): {s['title_threshold']}",
            "",
            "## Merges by rule",
            "",
            "| rule | merges | matches already in one work |",
            "| --- | ---: | ---: |",
        ]
        for rule in RULES:
            lines.append(f"| {rule} | {s['merges_by_rule'].get(rule, 0)} | {s['already_merged_by_rule'].get(rule, 0)} |")
        lines += ["", "## Title rule: candidate pairs", "", f"- pairs scoring >= threshold: {s['title_candidates']}"]
        for key in sorted(k for k in s if k.startswith("rejected_")):
            lines.append(f"- {key}: {s[key]}")
        lines.append(f"- records not eligible for the title rule: {s['title_ineligible']}")
        lines += ["", "## Example merges", ""]
        if self.examples.empty:
            lines.append("(none)")
        else:
            lines += ["| rule | score | year | record a | record b | title a | title b |", "| --- | ---: | --- | --- | --- | --- | --- |"]
            for row in self.examples.itertuples(index=False):
                score = "" if pd.isna(row.score) else f"{row.score:.1f}"
                year = f"{_fmt(row.year_a)}/{_fmt(row.year_b)}"
                lines.append(
                    f"| {row.rule} | {score} | {year} | {row.source_a}:{row.record_a} | {row.source_b}:{row.record_b} "
                    f"| {_md(row.title_a)} | {_md(row.title_b)} |"
                )
        if not self.doi_audit.empty:
            lines += [
                "",
                f"## DOI merges with unrelated titles ({len(self.doi_audit)}; check the DOI in the sources)",
                "",
                "| doi | title a | title b |",
                "| --- | --- | --- |",
            ]
            for row in self.doi_audit.head(20).itertuples(index=False):
                lines.append(f"| {row.doi} | {_md(row.title_a)} | {_md(row.title_b)} |")
        return "\n".join(lines) + "\n"


def _fmt(value: Any) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _md(text: Any) -> str:
    return _fmt(text).replace("|", "\\|").replace("\n", " ")[:120]


# ----------------------------------------------------------------------------------------------
# Union-find


class _UnionFind:
    """Union-find over record positions that also tracks each group's DOIs (to refuse DOI conflicts)."""

    def __init__(self, n: int, dois: Sequence[str | None]) -> None:
        self.parent = list(range(n))
        self.size = [1] * n
        self.doi: list[str | None] = list(dois)  # one DOI of the group (valid at roots)
        self.more_dois: dict[int, set[str]] = {}  # roots whose group has several DOIs

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def _dois(self, root: int) -> set[str]:
        extra = self.more_dois.get(root)
        if extra is not None:
            return extra
        doi = self.doi[root]
        return {doi} if doi else set()

    def union(self, a: int, b: int, check_doi: bool) -> str:
        """Join the groups of ``a`` and ``b``: 'merged', 'same' (already one group) or 'doi_conflict'."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return "same"
        da, db = self.doi[ra], self.doi[rb]
        if check_doi and da and db and da != db:
            set_a, set_b = self._dois(ra), self._dois(rb)
            if set_a.isdisjoint(set_b):
                return "doi_conflict"
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        keep_doi, other_doi = self.doi[ra], self.doi[rb]
        if ra in self.more_dois or rb in self.more_dois or (keep_doi and other_doi and keep_doi != other_doi):
            merged = self._dois(ra) | self._dois(rb)
            self.more_dois.pop(rb, None)
            if len(merged) > 1:
                self.more_dois[ra] = merged
        if other_doi and not keep_doi:
            self.doi[ra] = other_doi
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        return "merged"

    def roots(self) -> np.ndarray:
        return np.fromiter((self.find(i) for i in range(len(self.parent))), dtype=np.int64, count=len(self.parent))


# ----------------------------------------------------------------------------------------------
# Keys and guards


def _str_array(series: pd.Series, default: str | None) -> np.ndarray:
    """A column as an object array of stripped strings, ``default`` for missing or blank cells.

    (A plain ``where(..., None)`` is not enough: pandas may turn the None back into NaN.)
    """
    out = np.empty(len(series), dtype=object)
    out[:] = [v.strip() or default if isinstance(v, str) else default for v in series.tolist()]
    return out


def _text(value: Any) -> str:
    """A cell as a stripped string ('' for None / NaN / NA)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip()


def _fold(text: str) -> str:
    """Lower case, accents folded (NFKD without combining marks)."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


_TRAILING_BRACKET = re.compile(r"\s*\[[^\]]*\]\s*\.?\s*$")


_MARKUP = re.compile(r"<[^>]+>")
_PUNCT = re.compile(r"[^\w\s]")
_SPACES = re.compile(r"\s+")


def _normalise_title_fast(text: str) -> str:
    """:func:`mining.schema.normalise_title`, with a fast path for ASCII titles (NFKD is a no-op on them)."""
    if not text.isascii():
        return normalise_title(text)
    text = _PUNCT.sub(" ", _MARKUP.sub(" ", text.lower()))
    return _SPACES.sub(" ", text).strip()


def comparable_title(title: Any) -> str:
    """The normalised title used by the title rule.

    Scopus appends the original-language title in brackets ("English title [Titre original]");
    that trailing bracket is dropped when what remains still has a few words.
    """
    text = _text(title)
    if text.endswith("]") or text.endswith("]."):
        stripped = _TRAILING_BRACKET.sub("", text)
        if len(stripped.split()) >= MIN_TITLE_WORDS:
            text = stripped
    return _normalise_title_fast(text)


_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
    "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
}
_ROMAN = re.compile(r"^(?=[ivx]+$)(x{0,3})(ix|iv|v?i{0,3})$")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10}
_PART_WORDS = frozenset(
    "part parts vol volume section chapter book no number phase stage appendix supplement series edition issue".split()
)
_DIGITS = re.compile(r"\d+")


def _roman_value(token: str) -> int:
    total = 0
    for ch, nxt in zip(token, token[1:] + " "):
        value = _ROMAN_VALUES[ch]
        total += -value if nxt != " " and _ROMAN_VALUES.get(nxt, 0) > value else value
    return total


def number_signature(norm_title: str) -> str:
    """Numbers, roman numerals, number words and part letters of a normalised title, as a sorted key.

    Two near-identical titles with different signatures are different works ("Part I" / "Part II",
    "Volume A" / "Volume B", "Direct and Large-Eddy Simulation XI" / "... X"). Number words and roman
    numerals count as their value, so "Part II" and "Part 2" agree. A lone "i", "v" or "x" counts only
    after a part word or at the end of the title (elsewhere it is usually a word or a variable).
    """
    tokens = norm_title.split()
    values: list[str] = [str(int(d)) for d in _DIGITS.findall(norm_title)]
    for k, token in enumerate(tokens):
        after_part = k > 0 and tokens[k - 1] in _PART_WORDS
        if token in _NUMBER_WORDS:
            values.append(str(_NUMBER_WORDS[token]))
        elif _ROMAN.match(token) and (len(token) > 1 or after_part or k == len(tokens) - 1):
            values.append(str(_roman_value(token)))
        elif after_part and len(token) == 1 and token.isalpha():
            values.append("part:" + token)
    return " ".join(sorted(values))


_ERRATUM = re.compile(
    r"^\W*(?:authors?'?s?\s+|publisher'?s?\s+)?(?:correction|erratum|corrigendum|addendum)s?\b\s*(?:to\b|on\b|notice|[:(\-–—]|$)"
    r"|\b(?:erratum|corrigendum)\b"
    r"|\(vol\.?\s*\d+[^)]*\)\s*\.?\s*$",  # WoS correction notices: "Title (vol 5, 100120, 2020)"
    re.IGNORECASE,
)
_RETRACTION = re.compile(r"\b(?:retraction|retracted|withdrawn|expression of concern)\b", re.IGNORECASE)
_RETRACT_WORD = re.compile(r"retract", re.IGNORECASE)
_RETRACTION_TYPE = re.compile(r"\bretraction\b|expression of concern", re.IGNORECASE)
_REPLY = re.compile(
    r"^\W*(?:in\s+)?(?:reply|response|rebuttal)\b\s*(?:to\b|:)|\bauthors?'?s?\s+(?:reply|response)\b|\breply to\b",
    re.IGNORECASE,
)
_COMMENT = re.compile(r"^\W*(?:comments?|commentary|discussion|remarks?)\s*(?:on\b|to\b|about\b|of\b|:)", re.IGNORECASE)
_ABSTRACT_TYPES = re.compile(r"meeting abstract|conference abstract|poster abstract", re.IGNORECASE)


def marker_signature(title: str, doc_type: str, doc_type_raw: str) -> str:
    """Markers that make a record a different item than the work it names ('erratum retraction ...')."""
    marks = []
    # normalise_doc_type files retractions and retracted articles under "erratum" too: tell them apart
    # by the raw type. A WoS "Article; Retracted Publication" is the article itself (it may merge with
    # its copy in another database); a "Retraction" is the notice.
    retract_raw = _RETRACT_WORD.search(doc_type_raw)
    if _ERRATUM.search(title) or (doc_type == "erratum" and not retract_raw):
        marks.append("erratum")
    if _RETRACTION.search(title) or _RETRACTION_TYPE.search(doc_type_raw):
        marks.append("retraction")
    if _REPLY.search(title):
        marks.append("reply")
    if _COMMENT.search(title):
        marks.append("comment")
    if _ABSTRACT_TYPES.search(doc_type_raw):
        marks.append("abstract")
    return " ".join(marks)


_MARK_REASON = {"erratum": "rejected_erratum", "retraction": "rejected_erratum", "reply": "rejected_reply_comment",
                "comment": "rejected_reply_comment", "abstract": "rejected_doc_type"}


@dataclass(frozen=True)
class AuthorKey:
    """A first author reduced to what can be compared across sources."""

    surname: frozenset[str]  # surname words (particles dropped)
    words: frozenset[str]  # every name word of two letters or more
    initials: str  # initials of the given names


_PARTICLES = frozenset("van von der den de del della di da dos das du la le el al bin ben ter ten".split())
_INITIALS_TOKEN = re.compile(r"^(?:[A-Z]\.?-?){1,4}$")
_NO_AUTHOR = re.compile(r"no author|anonymous|^\[?anon", re.IGNORECASE)


_TRANSLITERATION = (("ß", "ss"), ("ae", "a"), ("oe", "o"), ("ue", "u"))


def _words(text: str) -> list[str]:
    """Name words, accents folded; German transliterations made equal ("Voegler" = "Vögler")."""
    folded = _fold(text)
    for old, new in _TRANSLITERATION:
        folded = folded.replace(old, new)
    return [w for w in re.split(r"[\W\d_]+", folded) if w]


def author_key(name: Any) -> AuthorKey | None:
    """Parse one author name in any source's spelling; None when there is no usable name.

    ``Smith, John`` / ``Smith, J`` (WoS), ``Smith J.`` / ``Van der Berg J.-P.`` (Scopus),
    ``J. Smith`` (IEEE), ``John Smith`` (OpenAlex: surname = last word), ``Dong Bo`` (WoS without comma).
    """
    text = _text(name)
    if not text or _NO_AUTHOR.search(text):
        return None
    if "," in text:
        surname_part, given_part = text.split(",", 1)
    else:
        tokens = text.split()
        if len(tokens) == 1:
            surname_part, given_part = tokens[0], ""
        else:
            k = len(tokens)
            while k > 1 and _INITIALS_TOKEN.match(tokens[k - 1]):
                k -= 1
            if k < len(tokens):  # trailing initials: Scopus "Rahmani A.M."
                surname_part, given_part = " ".join(tokens[:k]), " ".join(tokens[k:])
            else:
                k = 0
                while k < len(tokens) - 1 and _INITIALS_TOKEN.match(tokens[k]):
                    k += 1
                if k > 0:  # leading initials: IEEE "A. Hayashi"
                    surname_part, given_part = " ".join(tokens[k:]), " ".join(tokens[:k])
                else:  # "John Smith"
                    surname_part, given_part = tokens[-1], " ".join(tokens[:-1])
    surname_words = [w for w in _words(surname_part) if w not in _PARTICLES] or _words(surname_part)
    if not surname_words:
        return None
    given_raw = given_part.strip()
    if re.fullmatch(r"[A-Z]{1,4}", given_raw):  # WoS AU initials written together: "Smith, JA"
        given_words = list(given_raw.lower())
    else:
        given_words = _words(given_part)
    initials = "".join(w[0] for w in given_words)
    words = frozenset(w for w in surname_words + given_words if len(w) >= 2 and w not in _PARTICLES)
    return AuthorKey(frozenset(surname_words), words, initials)


def authors_compatible(a: AuthorKey, b: AuthorKey) -> bool:
    """Same first author as far as two sources' spellings can tell (see the module docstring)."""
    if a.surname & b.words or b.surname & a.words:
        return True
    # Swapped given name / surname (Chinese names): each surname starts with an initial of the other.
    if any(s[0] in b.initials for s in a.surname) and any(s[0] in a.initials for s in b.surname):
        return True
    # Spanish double surnames: WoS "Yacchirema, D. C." is Scopus "Vargas D.C.Y." (the first surname
    # became the last initial): same leading initials, and the extra initials hold the other's surname.
    for x, y in ((a, b), (b, a)):
        extra = y.initials[len(x.initials):]
        if x.initials and extra and y.initials.startswith(x.initials) and any(s[0] in extra for s in x.surname):
            return True
    return False


_PN_CLEAN = re.compile(r"[^A-Z0-9]")
_PN = re.compile(r"^([A-Z]{2})(\d+|[A-Z]{1,2}\d+)([A-Z]\d?)?$")


def publication_number_key(value: Any, source: str = "") -> tuple[str, str] | None:
    """Patent publication number -> (country + number, kind code), spelling differences removed.

    ``US-2023377099-A1``, ``US2023377099A1``, ``US 2023/0377099 A1`` -> ``('US2023377099', 'A1')``;
    US pre-grant publications are written with and without the zero after the year. A PatentsView
    id (``10123456``, no country) is a US grant. None when the text is not a publication number.
    """
    text = _PN_CLEAN.sub("", _text(value).upper())
    if not text:
        return None
    if source == "patentsview" and (text[0].isdigit() or re.match(r"^(D|RE|PP|H|T)\d", text)):
        text = "US" + text
    match = _PN.match(text)
    if not match:
        return None
    country, number, kind = match.group(1), match.group(2), match.group(3) or ""
    if number.isdigit():
        if country == "US" and len(number) == 11 and number[:2] in ("19", "20") and number[4] == "0":
            number = number[:4] + number[5:]
        number = number.lstrip("0") or "0"
    return country + number, kind


# ----------------------------------------------------------------------------------------------
# Candidate pairs for the title rule


def _block_pairs(codes: np.ndarray, titles: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (i < j, positions into ``titles``) in the same block whose fuzz.ratio >= threshold.

    Small blocks are enumerated with numpy and scored in one ``cpdist`` call; large ones with chunked
    ``cdist`` (score_cutoff, float32) so memory stays bounded.
    """
    out_a: list[np.ndarray] = []
    out_b: list[np.ndarray] = []
    out_s: list[np.ndarray] = []
    if len(codes) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32)
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    _, starts, sizes = np.unique(sorted_codes, return_index=True, return_counts=True)
    small_a: list[np.ndarray] = []
    small_b: list[np.ndarray] = []
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= SMALL_BLOCK)]):
        block_starts = starts[sizes == size]
        iu, ju = np.triu_indices(int(size), 1)
        small_a.append(order[(block_starts[:, None] + iu[None, :]).ravel()])
        small_b.append(order[(block_starts[:, None] + ju[None, :]).ravel()])
    if small_a:
        all_a = np.concatenate(small_a)
        all_b = np.concatenate(small_b)
        for lo in range(0, len(all_a), PAIR_BATCH):
            a, b = all_a[lo : lo + PAIR_BATCH], all_b[lo : lo + PAIR_BATCH]
            scores = process.cpdist(titles[a], titles[b], scorer=fuzz.ratio, score_cutoff=threshold, dtype=np.float32, workers=-1)
            keep = scores >= threshold
            out_a.append(a[keep])
            out_b.append(b[keep])
            out_s.append(scores[keep])
    for start, size in zip(starts[sizes > SMALL_BLOCK].tolist(), sizes[sizes > SMALL_BLOCK].tolist()):
        members = order[start : start + size]
        block_titles = titles[members]
        step = max(1, min(CDIST_CHUNK, CDIST_CELLS // size))
        for lo in range(0, size, step):
            hi = min(lo + step, size)
            matrix = process.cdist(
                block_titles[lo:hi], block_titles[lo:], scorer=fuzz.ratio, score_cutoff=threshold, dtype=np.float32, workers=-1
            )
            rows, cols = np.nonzero(matrix >= threshold)
            upper = cols > rows  # column c is block position lo + c, row r is lo + r
            rows, cols = rows[upper], cols[upper]
            out_a.append(members[lo + rows])
            out_b.append(members[lo + cols])
            out_s.append(matrix[rows, cols])
    if not out_a:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32)
    return np.concatenate(out_a), np.concatenate(out_b), np.concatenate(out_s)


def _title_candidates(
    titles: np.ndarray, years: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate pairs (positions into ``titles``) from prefix and suffix blocks, deduplicated."""
    if len(titles) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32)
    squeezed = pd.Series(titles, dtype=object).str.replace(" ", "", regex=False)
    year_text = "\x1f" + pd.Series(years, dtype=object).astype(str)
    results = []
    for side in ("prefix", "suffix"):

        def cut(n: int, side: str = side) -> pd.Series:
            return squeezed.str[:n] if side == "prefix" else squeezed.str[-n:]

        key = cut(BLOCK_CHARS)
        # Oversized blocks are split by year, then by a longer title key (quadratic cost otherwise).
        for refined in (key + year_text, cut(2 * BLOCK_CHARS) + year_text, cut(4 * BLOCK_CHARS) + year_text):
            codes, _ = pd.factorize(key)
            big = np.bincount(codes)[codes] > BIG_BLOCK
            if not big.any():
                break
            key = key.where(~big, refined)
        codes, _ = pd.factorize(key)
        results.append(_block_pairs(codes.astype(np.int64), titles, threshold))
    a = np.concatenate([r[0] for r in results])
    b = np.concatenate([r[1] for r in results])
    s = np.concatenate([r[2] for r in results])
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    pair_id = lo * len(titles) + hi
    _, first = np.unique(pair_id, return_index=True)
    return lo[first], hi[first], s[first]


# ----------------------------------------------------------------------------------------------
# The main entry point


def _nonempty_scalar(series: pd.Series) -> np.ndarray:
    """True where a scalar cell holds a value (blank strings count as empty)."""
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        text = series.astype("string")
        return (text.notna() & (text.str.strip() != "")).fillna(False).to_numpy(dtype=bool)
    return series.notna().to_numpy(dtype=bool)


def _list_len(series: pd.Series) -> np.ndarray:
    return np.fromiter(
        (len(v) if isinstance(v, (list, tuple, np.ndarray)) else 0 for v in series), dtype=np.int64, count=len(series)
    )


def deduplicate(records: pd.DataFrame, title_threshold: float = 93.0) -> DedupResult:
    """Merge records of the same work; see the module docstring for the rules and decisions.

    ``records`` is a frame in the record schema (missing columns are treated as empty);
    ``title_threshold`` is the rapidfuzz ratio (0-100) for the title rule (``Config.dedup_title_threshold``).

    Complexity, for n records: key building is O(n) (one title normalisation per distinct title, the
    rest vectorised pandas); rules 1, 2 and 4 are factorize/group-by passes, O(n log n); the title rule
    compares only pairs inside blocks sharing a 16-character title prefix or suffix, O(sum of squared
    block sizes) rapidfuzz comparisons with every block bounded by :data:`BIG_BLOCK` (oversized blocks
    are split by year, then by longer keys), so O(n * BIG_BLOCK) in the worst case and about O(n) on
    real titles; guards (year, markers, numbers, authors) run in Python only on pairs scoring above the
    threshold; the union-find is near O(n + merges); works are built with vectorised group operations
    over the records of merged groups. Memory: O(n) plus at most CDIST_CELLS float32 cells per cdist
    call and PAIR_BATCH pairs per cpdist call. Measured: 1 M synthetic rows in about 75 s on 2 cores.
    """
    frame = records.reset_index(drop=True)
    for name in COLUMN_NAMES:
        if name not in frame.columns:
            frame[name] = pd.Series([[] for _ in range(len(frame))] if name in LIST_COLUMNS else [None] * len(frame), dtype=object)
    n = len(frame)
    summary: dict[str, Any] = {
        "records_in": n,
        "works_out": n,
        "title_threshold": float(title_threshold),
        "merges_by_rule": {rule: 0 for rule in RULES},
        "already_merged_by_rule": {rule: 0 for rule in RULES},
        "title_candidates": 0,
        "title_ineligible": 0,
        "rejected_year": 0,
        "rejected_no_year": 0,
        "rejected_doi_conflict": 0,
        "rejected_group_doi_conflict": 0,
        "rejected_erratum": 0,
        "rejected_reply_comment": 0,
        "rejected_doc_type": 0,
        "rejected_part_number": 0,
        "rejected_author": 0,
        "rejected_no_author": 0,
        "rejected_pn_ambiguous_kind": 0,
    }
    kinds = _str_array(frame["kind"], "")
    dois = np.array([v.lower() if v else None for v in _str_array(frame["doi"], None)], dtype=object)
    record_ids = _str_array(frame["record_id"], None)
    sources = _str_array(frame["source"], "")
    uf = _UnionFind(n, dois)
    pair_a: list[int] = []
    pair_b: list[int] = []
    pair_rule: list[str] = []
    pair_score: list[float] = []

    def apply(a_idx: Iterable[int], b_idx: Iterable[int], rule: str, scores: Iterable[float] | None, check_doi: bool) -> None:
        score_iter = scores if scores is not None else iter(lambda: np.nan, None)
        for a, b, score in zip(a_idx, b_idx, score_iter):
            outcome = uf.union(int(a), int(b), check_doi)
            if outcome == "merged":
                pair_a.append(int(a))
                pair_b.append(int(b))
                pair_rule.append(rule)
                pair_score.append(float(score))
                summary["merges_by_rule"][rule] += 1
            elif outcome == "same":
                summary["already_merged_by_rule"][rule] += 1
            else:
                summary["rejected_group_doi_conflict"] += 1

    # Rule 1: identical record_id.
    a, b = _star_edges(pd.Series(record_ids, dtype=object))
    apply(a, b, "record_id", None, check_doi=False)

    # Rule 2: identical DOI (within one kind).
    doi_series = pd.Series(dois, dtype=object)
    doi_key = (pd.Series(kinds, dtype=object) + "\x1f" + doi_series.fillna("")).where(doi_series.notna(), None)
    a, b = _star_edges(doi_key)
    apply(a, b, "doi", None, check_doi=False)
    doi_audit = _doi_audit(frame, a, b, dois)

    # Rule 3: title + year + first author (best scores first; pairs already in one work are not judged).
    ta, tb, ts, reasons = _title_rule(frame, kinds, dois, title_threshold, summary)
    candidates_rejected: list[tuple[int, int, str, float]] = []
    rule = "title_year_author"
    for a_pos, b_pos, score, reason in zip(ta, tb, ts, reasons):
        if reason is None:
            outcome = uf.union(a_pos, b_pos, check_doi=True)
            if outcome == "merged":
                pair_a.append(a_pos)
                pair_b.append(b_pos)
                pair_rule.append(rule)
                pair_score.append(score)
                summary["merges_by_rule"][rule] += 1
            elif outcome == "same":
                summary["already_merged_by_rule"][rule] += 1
            else:
                candidates_rejected.append((a_pos, b_pos, "rejected_group_doi_conflict", score))
        elif uf.find(a_pos) == uf.find(b_pos):
            summary["already_merged_by_rule"][rule] += 1
        else:
            candidates_rejected.append((a_pos, b_pos, reason, score))

    # Rule 4: same source id / patent publication number.
    a, b = _source_id_edges(frame, kinds, sources, summary)
    apply(a, b, "source_id", None, check_doi=True)

    roots = uf.roots()
    # A rejection counts once per pair of final works, and not at all when the two records ended up
    # in one work anyway (through other records).
    rejected: list[tuple[int, int, str, float]] = []
    seen: set[tuple[int, int]] = set()
    for a_pos, b_pos, reason, score in candidates_rejected:
        ra, rb = int(roots[a_pos]), int(roots[b_pos])
        key = (min(ra, rb), max(ra, rb))
        if ra != rb and key not in seen:
            seen.add(key)
            rejected.append((a_pos, b_pos, reason, score))
            summary[reason] += 1
    works = _build_works(frame, roots)
    summary["works_out"] = len(works)
    pairs = pd.DataFrame(
        {
            "record_a": pd.Series(record_ids[np.asarray(pair_a, dtype=np.int64)], dtype=object),
            "record_b": pd.Series(record_ids[np.asarray(pair_b, dtype=np.int64)], dtype=object),
            "rule": pd.Series(pair_rule, dtype=object),
            "score": pd.Series(pair_score, dtype="float64"),
        }
    )
    examples = _examples(frame, np.asarray(pair_a, dtype=np.int64), np.asarray(pair_b, dtype=np.int64), pairs)
    summary["doi_title_dissimilar"] = len(doi_audit)
    log.info(
        "dedup: %d records -> %d works (%s)", n, len(works),
        ", ".join(f"{rule} {count}" for rule, count in summary["merges_by_rule"].items()),
    )
    rejected_frame = pd.DataFrame(
        {
            "record_a": pd.Series(record_ids[np.asarray([r[0] for r in rejected], dtype=np.int64)], dtype=object),
            "record_b": pd.Series(record_ids[np.asarray([r[1] for r in rejected], dtype=np.int64)], dtype=object),
            "reason": pd.Series([r[2] for r in rejected], dtype=object),
            "score": pd.Series([r[3] for r in rejected], dtype="float64"),
        }
    )
    return DedupResult(works=works, pairs=pairs, summary=summary, examples=examples, doi_audit=doi_audit, rejected=rejected_frame)


def _star_edges(keys: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """For every key shared by several rows: edges (first row with the key, each other row)."""
    codes, _ = pd.factorize(keys, use_na_sentinel=True)
    valid = np.flatnonzero(codes >= 0)
    if len(valid) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    valid_codes = codes[valid]
    first_pos = np.full(valid_codes.max() + 1, -1, dtype=np.int64)
    uniq, first = np.unique(valid_codes, return_index=True)  # first occurrence of each key
    first_pos[uniq] = valid[first]
    heads = first_pos[valid_codes]
    others = heads != valid
    return heads[others], valid[others]


def _doi_audit(frame: pd.DataFrame, a: np.ndarray, b: np.ndarray, dois: np.ndarray) -> pd.DataFrame:
    """DOI pairs whose titles share almost nothing (token_set_ratio < DOI_TITLE_AUDIT)."""
    rows = []
    if len(a):
        titles = frame["title"]
        ta = [comparable_title(titles.iat[i]) for i in a]
        tb = [comparable_title(titles.iat[j]) for j in b]
        scores = process.cpdist(ta, tb, scorer=fuzz.token_set_ratio, workers=-1)
        for i, j, x, y, score in zip(a, b, ta, tb, scores):
            if x and y and score < DOI_TITLE_AUDIT:
                rows.append({"doi": dois[i], "record_a": frame["record_id"].iat[i], "record_b": frame["record_id"].iat[j],
                             "title_a": titles.iat[i], "title_b": titles.iat[j], "score": float(score)})
    return pd.DataFrame(rows, columns=["doi", "record_a", "record_b", "title_a", "title_b", "score"])


def _title_rule(
    frame: pd.DataFrame, kinds: np.ndarray, dois: np.ndarray, threshold: float, summary: dict[str, Any]
) -> tuple[list[int], list[int], list[float], list[str | None]]:
    """Title-rule candidate pairs (record positions, best score first) and why each must not merge (None: merge)."""
    papers = np.flatnonzero(kinds == "paper")
    summary["title_ineligible"] = int(len(frame) - len(papers))
    if len(papers) < 2:
        return [], [], [], []
    raw_titles = frame["title"].iloc[papers].astype(object)
    distinct = pd.unique(raw_titles.where(raw_titles.notna(), ""))
    normalised = dict(zip(distinct, (comparable_title(t) for t in distinct)))
    norm = raw_titles.where(raw_titles.notna(), "").map(normalised).astype(object)
    word_count = norm.str.count(" ") + 1
    eligible = (norm != "") & (word_count >= MIN_TITLE_WORDS) & ~norm.isin(GENERIC_TITLES)
    summary["title_ineligible"] += int((~eligible).sum())
    positions = papers[eligible.to_numpy()]
    titles = norm[eligible].to_numpy(dtype=object)
    years = frame["year"].iloc[positions].to_numpy(dtype=object)
    a, b, s = _title_candidates(titles, years, threshold)
    summary["title_candidates"] = int(len(a))
    if len(a) == 0:
        return [], [], [], []
    ra, rb = positions[a], positions[b]
    # Guards are computed only for records in candidate pairs (a small share of all records).
    involved = np.unique(np.concatenate([ra, rb]))
    norm_of = dict(zip(positions.tolist(), titles.tolist()))
    columns = {c: frame[c].iloc[involved].tolist() for c in ("title", "doc_type", "doc_type_raw", "authors", "year", "source")}
    info: dict[int, tuple[Any, str, str, Sequence[Any] | None, str | None, str]] = {}
    for k, i in enumerate(involved.tolist()):
        authors = columns["authors"][k]
        names = list(authors) if isinstance(authors, (list, tuple, np.ndarray)) else []
        year = columns["year"][k]
        doc_type = _text(columns["doc_type"][k])
        info[i] = (
            None if year is None or pd.isna(year) else int(year),
            number_signature(norm_of[i]),
            marker_signature(_text(columns["title"][k]), doc_type, _text(columns["doc_type_raw"][k])),
            names if names and _author_key_cached(_text(names[0])) is not None else None,
            dois[i],
            f"{_text(columns['source'][k])}\x1f{doc_type}",
        )
    order = np.argsort(-s, kind="stable")
    out_a: list[int] = []
    out_b: list[int] = []
    out_s: list[float] = []
    out_reason: list[str | None] = []
    for k in order:
        i, j = int(ra[k]), int(rb[k])
        year_i, num_i, mark_i, auth_i, doi_i, type_i = info[i]
        year_j, num_j, mark_j, auth_j, doi_j, type_j = info[j]
        reason = None
        if year_i is None or year_j is None:
            reason = "rejected_no_year"
        elif year_i != year_j:
            reason = "rejected_year"
        elif doi_i and doi_j and doi_i != doi_j:
            reason = "rejected_doi_conflict"
        elif mark_i != mark_j:
            differing = set(mark_i.split()) ^ set(mark_j.split())
            reason = min(_MARK_REASON[m] for m in differing)
        elif type_i != type_j and type_i.split("\x1f")[0] == type_j.split("\x1f")[0]:
            reason = "rejected_doc_type"  # one database, two types: e.g. the conference and the journal version
        elif num_i != num_j:
            reason = "rejected_part_number"
        elif auth_i is None or auth_j is None:
            reason = "rejected_no_author"
        elif not _first_authors_agree(auth_i, auth_j) and not _coauthors_agree(auth_i, auth_j):
            reason = "rejected_author"
        out_a.append(i)
        out_b.append(j)
        out_s.append(float(s[k]))
        out_reason.append(reason)
    return out_a, out_b, out_s, out_reason


@lru_cache(maxsize=1 << 18)
def _author_key_cached(name: str) -> AuthorKey | None:
    return author_key(name)


def _first_authors_agree(a: Sequence[Any], b: Sequence[Any]) -> bool:
    key_a, key_b = _author_key_cached(_text(a[0])), _author_key_cached(_text(b[0]))
    return key_a is not None and key_b is not None and authors_compatible(key_a, key_b)


def _coauthors_agree(a: Sequence[Any], b: Sequence[Any]) -> bool:
    """Author lists of the same length (two or more) whose authors after the first all match pairwise.

    Rescues first authors written too differently to compare ("Yacchirema, D. C." in WoS is
    "Vargas D.C.Y." in Scopus) when the co-authors confirm the match.
    """
    if len(a) < 2 or len(a) != len(b):
        return False
    for x, y in zip(a[1:], b[1:]):
        key_x, key_y = _author_key_cached(_text(x)), _author_key_cached(_text(y))
        if key_x is None or key_y is None or not authors_compatible(key_x, key_y):
            return False
    return True


def _source_id_edges(
    frame: pd.DataFrame, kinds: np.ndarray, sources: np.ndarray, summary: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """Rule 4 edges: papers with the same '<source>:<source_id>' (under different record_ids),
    patents with the same publication number (see :func:`publication_number_key`)."""
    source_ids = _str_array(frame["source_id"], "")
    is_patent = kinds == "patent"
    paper_key = pd.Series(
        [f"{src}:{sid.strip().upper()}" if sid and not pat else None for src, sid, pat in zip(sources, source_ids, is_patent)],
        dtype=object,
    )
    a1, b1 = _star_edges(paper_key)
    patents = np.flatnonzero(is_patent)
    base: list[str | None] = [None] * len(frame)
    full: list[str | None] = [None] * len(frame)
    kind_code: list[str] = [""] * len(frame)
    for i in patents:
        key = publication_number_key(source_ids[i], sources[i])
        if key:
            base[i] = key[0]
            kind_code[i] = key[1]
            full[i] = key[0] + "\x1f" + key[1] if key[1] else None
    a2, b2 = _star_edges(pd.Series(full, dtype=object))
    # Records without a kind code join their number's records when those agree on one kind code.
    kindless = [i for i in patents if base[i] and not kind_code[i]]
    a3: list[int] = []
    b3: list[int] = []
    if kindless:
        base_series = pd.Series(base, dtype=object)
        with_kind = pd.DataFrame({"base": base_series, "kind": kind_code, "pos": np.arange(len(frame))})
        with_kind = with_kind[(with_kind["kind"] != "") & with_kind["base"].notna()]
        kinds_per_base = with_kind.groupby("base")["kind"].nunique()
        first_per_base = with_kind.groupby("base")["pos"].min()
        first_kindless: dict[str, int] = {}
        for i in kindless:
            key = base[i]
            if key in kinds_per_base.index:
                if kinds_per_base[key] == 1:
                    a3.append(int(first_per_base[key]))
                    b3.append(int(i))
                else:
                    summary["rejected_pn_ambiguous_kind"] += 1
            elif key in first_kindless:
                a3.append(first_kindless[key])
                b3.append(int(i))
            else:
                first_kindless[key] = int(i)
    return (
        np.concatenate([a1, a2, np.asarray(a3, dtype=np.int64)]),
        np.concatenate([b1, b2, np.asarray(b3, dtype=np.int64)]),
    )


# ----------------------------------------------------------------------------------------------
# Building the works table

_SURVIVOR_ONLY = ("record_id", "source", "source_format", "source_id", "kind", "file", "file_sha256", "record_no", "line_no")
#: Columns taken together from one record: the first listed decides which record.
_LINKED = (("doc_type", "doc_type_raw"), ("ipc", "ipc_editions"), ("priority_numbers", "priority_countries"))
#: Taken together from the record with the most addresses, so author-address links stay valid.
_AUTHOR_BLOCK = tuple(c for c in ("authors", "addresses", "address_countries", "author_address") if c in COLUMN_NAMES)
_UNION_LISTS = ("author_keywords", "index_keywords")


def _identifiers(dois: pd.Series, sources: pd.Series, source_ids: pd.Series) -> tuple[pd.Series, pd.Series]:
    doi_id = ("doi:" + dois.astype(object).where(_nonempty_scalar(dois), None).astype("string")).astype(object)
    src_ok = _nonempty_scalar(source_ids) & _nonempty_scalar(sources)
    src_id = (sources.astype("string") + ":" + source_ids.astype("string").str.strip()).astype(object).where(src_ok, None)
    return doi_id.where(doi_id.notna(), None), src_id


def _build_works(frame: pd.DataFrame, roots: np.ndarray) -> pd.DataFrame:
    """One row per group of ``roots``: survivor values, filled from the other records (module docstring)."""
    n = len(frame)
    names = [f.name for f in WORK_SCHEMA]
    if n == 0:
        return pd.DataFrame({name: pd.Series([], dtype=object) for name in names})
    group, _ = pd.factorize(roots)
    sizes = np.bincount(group)
    multi = sizes[group] > 1
    doi_id, src_id = _identifiers(frame["doi"], frame["source"], frame["source_id"])
    provenance = (frame["file"].astype("string").fillna("") + "#" + frame["record_no"].astype("string").fillna("")).astype(object)

    # Singletons: the record as it is plus the work columns.
    single = frame.loc[~multi].copy()
    single_pos = np.flatnonzero(~multi)
    single.insert(0, "work_id", single["record_id"].astype(object))
    single.insert(1, "merged_record_ids", [[r] for r in single["record_id"]])
    single.insert(2, "identifiers", [[x for x in (d, s) if x is not None] for d, s in zip(doi_id.iloc[single_pos], src_id.iloc[single_pos])])
    single.insert(3, "sources", [[s] if isinstance(s, str) and s else [] for s in single["source"]])
    single.insert(4, "provenance", [[p] for p in provenance.iloc[single_pos]])
    single["_order"] = single_pos

    merged = _merge_groups(frame, group, np.flatnonzero(multi), doi_id, src_id, provenance)
    works = pd.concat([single, merged], ignore_index=True) if len(merged) else single
    works = works.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
    for name in ("year", "cited_by", "record_no", "line_no"):
        works[name] = pd.to_numeric(works[name], errors="coerce").astype("Int64")
    return works[names]


def _lists_by_group(keys: np.ndarray, values: np.ndarray, groups: np.ndarray) -> list[list[Any]]:
    """``values`` split by ``keys`` (equal keys contiguous), as one list per entry of ``groups`` ([] if absent)."""
    if len(keys) == 0:
        return [[] for _ in range(len(groups))]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    chunks = dict(zip(keys[starts].tolist(), np.split(values, starts[1:])))
    return [chunks[g].tolist() if g in chunks else [] for g in groups.tolist()]


def _merge_groups(
    frame: pd.DataFrame, group: np.ndarray, pos: np.ndarray, doi_id: pd.Series, src_id: pd.Series, provenance: pd.Series
) -> pd.DataFrame:
    """Works for the groups with several records (``pos``: their record positions)."""
    if len(pos) == 0:
        return pd.DataFrame()
    sub = frame.iloc[pos].copy()
    sub["_gid"] = group[pos]
    sub["_pos"] = pos
    richness = np.zeros(len(sub), dtype=np.int64)
    empty: dict[str, np.ndarray] = {}
    for name in COLUMN_NAMES:
        filled = _list_len(sub[name]) > 0 if name in LIST_COLUMNS else _nonempty_scalar(sub[name])
        empty[name] = ~filled
        richness += filled
    priority = sub["source"].map(SOURCE_PRIORITY).fillna(len(SOURCE_PRIORITY)).astype(int).to_numpy()
    # Survivor order inside each group: richest first, then source priority, then input order.
    perm = np.lexsort((pos, priority, -richness, group[pos]))
    sub = sub.iloc[perm]
    empty = {name: mask[perm] for name, mask in empty.items()}
    ranked_pos = sub["_pos"].to_numpy()
    gids = sub["_gid"].to_numpy()
    survivor_rows = np.flatnonzero(np.r_[True, gids[1:] != gids[:-1]])
    out = sub.iloc[survivor_rows].copy().set_index("_gid")

    def first_with(mask_name: str) -> pd.Series:
        """Row (in sub) of the first record of each group where ``mask_name`` is non-empty; survivor otherwise."""
        ok = ~empty[mask_name]
        rows = pd.Series(np.arange(len(sub))[ok], index=gids[ok])
        chosen = rows[~rows.index.duplicated()]
        fallback = pd.Series(survivor_rows, index=gids[survivor_rows])
        return chosen.reindex(fallback.index).fillna(fallback).astype(np.int64)

    linked = {c for block in _LINKED for c in block} | set(_AUTHOR_BLOCK) | set(_UNION_LISTS) | {"abstract", "cited_by", "pub_date"}
    for name in COLUMN_NAMES:
        if name in _SURVIVOR_ONLY or name in linked:
            continue
        rows = first_with(name)
        out[name] = sub[name].iloc[rows.to_numpy()].to_numpy()
    for block in _LINKED:
        rows = first_with(block[0]).to_numpy()
        for name in block:
            out[name] = sub[name].iloc[rows].to_numpy()

    # Authors, addresses and their links from one record: the one with most addresses, then most authors.
    n_addr = _list_len(sub["addresses"])
    n_auth = _list_len(sub["authors"])
    pick = pd.DataFrame({"g": gids, "a": -n_addr, "u": -n_auth, "k": np.arange(len(sub))}).sort_values(["g", "a", "u", "k"], kind="stable")
    rows = pick.drop_duplicates("g")["k"].to_numpy()
    for name in _AUTHOR_BLOCK:
        out[name] = sub[name].iloc[rows].to_numpy()

    # Longest abstract; largest citation count; pub_date from a record of the work's year.
    abstract_len = sub["abstract"].astype("string").str.len().fillna(0).to_numpy()
    pick = pd.DataFrame({"g": gids, "l": -abstract_len, "k": np.arange(len(sub))}).sort_values(["g", "l", "k"], kind="stable")
    out["abstract"] = sub["abstract"].iloc[pick.drop_duplicates("g")["k"].to_numpy()].to_numpy()
    cited = pd.to_numeric(sub["cited_by"], errors="coerce")
    out["cited_by"] = cited.groupby(gids).max().reindex(out.index).to_numpy()
    year_series = pd.to_numeric(out["year"], errors="coerce")
    group_year = pd.Series(year_series.to_numpy(), index=out.index).reindex(gids).to_numpy()
    sub_year = pd.to_numeric(sub["year"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    same_year = (sub_year == group_year) | pd.isna(group_year)
    ok = (~empty["pub_date"]) & same_year
    dates = pd.Series(sub["pub_date"].to_numpy()[ok], index=gids[ok])
    out["pub_date"] = dates[~dates.index.duplicated()].reindex(out.index).to_numpy()

    # Keyword unions (case-insensitive, first spelling kept, survivor's first).
    work_gids = out.index.to_numpy()
    for name in _UNION_LISTS:
        long = pd.DataFrame({"g": gids, "v": sub[name].to_numpy()}).explode("v")
        long = long[long["v"].notna()]
        long["v"] = long["v"].astype(str).str.strip()
        long = long[long["v"] != ""]
        long["key"] = long["v"].str.lower()
        long = long.drop_duplicates(["g", "key"])
        out[name] = _lists_by_group(long["g"].to_numpy(), long["v"].to_numpy(dtype=object), work_gids)

    # Work columns: identifiers (DOIs first, then source ids, each in survivor order), records, sources.
    ids = pd.DataFrame(
        {
            "g": np.concatenate([gids, gids]),
            "doi_last": np.r_[np.zeros(len(sub), dtype=bool), np.ones(len(sub), dtype=bool)],
            "k": np.r_[np.arange(len(sub)), np.arange(len(sub))],
            "v": np.concatenate([doi_id.iloc[ranked_pos].to_numpy(dtype=object), src_id.iloc[ranked_pos].to_numpy(dtype=object)]),
        }
    )
    ids = ids[ids["v"].notna()].sort_values(["g", "doi_last", "k"], kind="stable").drop_duplicates(["g", "v"])
    out["identifiers"] = _lists_by_group(ids["g"].to_numpy(), ids["v"].to_numpy(dtype=object), work_gids)
    out["merged_record_ids"] = _lists_by_group(gids, sub["record_id"].to_numpy(dtype=object), work_gids)
    src = pd.DataFrame({"g": gids, "s": sub["source"].to_numpy(dtype=object)}).dropna().drop_duplicates()
    out["sources"] = _lists_by_group(src["g"].to_numpy(), src["s"].to_numpy(dtype=object), work_gids)
    out["provenance"] = _lists_by_group(gids, provenance.iloc[ranked_pos].to_numpy(dtype=object), work_gids)
    out["work_id"] = out["record_id"].to_numpy()
    out["_order"] = pd.Series(sub["_pos"].to_numpy()).groupby(gids).min().reindex(out.index).to_numpy()
    return out.reset_index(drop=True)[[c.name for c in WORK_COLUMNS] + list(COLUMN_NAMES) + ["_order"]]


def _examples(frame: pd.DataFrame, a: np.ndarray, b: np.ndarray, pairs: pd.DataFrame, limit: int = 20) -> pd.DataFrame:
    """Up to ``limit`` merged pairs with their titles: rules in turn, the title rule's lowest scores first."""
    columns = ["rule", "score", "record_a", "record_b", "source_a", "source_b", "year_a", "year_b", "title_a", "title_b"]
    if len(pairs) == 0:
        return pd.DataFrame(columns=columns)
    by_rule: dict[str, list[int]] = {}
    for rule in RULES:
        idx = np.flatnonzero(pairs["rule"].to_numpy() == rule)
        if rule == "title_year_author":
            idx = idx[np.argsort(pairs["score"].to_numpy()[idx], kind="stable")]
        by_rule[rule] = list(idx)
    chosen: list[int] = []
    while len(chosen) < limit and any(by_rule.values()):
        for rule in RULES:
            if by_rule[rule] and len(chosen) < limit:
                chosen.append(by_rule[rule].pop(0))
    rows = []
    for k in chosen:
        i, j = int(a[k]), int(b[k])
        rows.append(
            {
                "rule": pairs["rule"].iat[k], "score": pairs["score"].iat[k],
                "record_a": frame["record_id"].iat[i], "record_b": frame["record_id"].iat[j],
                "source_a": frame["source"].iat[i], "source_b": frame["source"].iat[j],
                "year_a": frame["year"].iat[i], "year_b": frame["year"].iat[j],
                "title_a": frame["title"].iat[i], "title_b": frame["title"].iat[j],
            }
        )
    return pd.DataFrame(rows, columns=columns)
