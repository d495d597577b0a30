"""Keyword rules, patent code rules and the topic map: loaded from ``rules/*.yaml``, validated, compiled once.

The rule files are data that analysts edit (see the comment block at the top of each file):

* ``keywords.yaml``      keyword rules (``sufficient`` / ``context``), context sets and exclusions;
* ``patent_codes.yaml``  IPC/CPC code rules with the editions in which they apply;
* ``topics.yaml``        Web of Science research areas (SC) and categories (WC) -> the ten topics.

:func:`load_rules` reads and validates all three into a :class:`RuleSet` (errors name the file, the
rule id and the key). :class:`RuleEngine` compiles a rule set once into spaCy phrase matchers over a
blank English tokenizer (with CJK characters split one per token, so Chinese terms match character by
character in the same pass) and reports, per record, every hit with its field and character span,
plus the derived evidence the decision policy reads (:mod:`mining.classify.policy`).

How a record is read (:meth:`RuleEngine.match_record`):

1. Fields ``title``, ``abstract``, ``author_keywords``, ``index_keywords``; list fields are joined with
   ``"; "`` and hit offsets refer to that joined text.
2. Prefilter: each term variant is indexed by its rarest-looking word (its anchor); a record is
   tokenized only if, for some variant, every word of it occurs among the record's lower-cased words
   (or the record has CJK characters). Other records cannot match and skip spaCy entirely: this is
   what makes a rules-only re-run fast (about 12 % of arXiv abstracts pass). Chinese terms are in the
   same matchers, so they only ever match in text with CJK characters, where the language is also
   detected (langdetect) and recorded.
3. Rule hits. Case-insensitive terms match on ``LOWER``, case-sensitive ones on ``ORTH``. In a field
   without case information (all lower case, or ALL CAPS) case-sensitive terms match
   case-insensitively but count only as ``context`` evidence (``caseless_fallback`` in the YAML). A
   hit lying inside a longer hit of another rule in the same field is dropped.
4. When any rule fired: exclusion phrases and context words. Only exclusions that apply to a rule
   that fired are kept (and reported in ``exclusions``); an exclusion hit that only partly overlaps
   a rule hit is dropped (the rule reading wins); context words inside an exclusion phrase do not
   count.
5. Evidence, one list per outcome, each fired rule in exactly one list (first that applies):
   ``sufficient`` (a hit of a sufficient rule that no exclusion covers), ``context_ok`` (a context
   hit, not excluded, with a word of one of its context sets elsewhere in the record, outside every
   hit of the same rule),
   ``context_missing`` (not excluded, no context), ``excluded`` (every hit excluded: an exclusion of
   that rule covers the hit, or sits within the exclusion's scope: same sentence / field / record).
"""

from __future__ import annotations

import bisect
import hashlib
import json
import logging
import re
import string
import time
from dataclasses import asdict, dataclass, field
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Sequence

import yaml

from mining.errors import MiningError
from mining.schema import normalise_ipc

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd
    from spacy.tokens import Doc

log = logging.getLogger(__name__)

KEYWORDS_FILE = "keywords.yaml"
CODES_FILE = "patent_codes.yaml"
TOPICS_FILE = "topics.yaml"

#: Record fields the keyword rules read, in the order hits are reported.
TEXT_FIELDS: tuple[str, ...] = ("title", "abstract", "author_keywords", "index_keywords")
#: List fields are joined with this before matching; hit offsets refer to the joined text.
FIELD_JOIN = "; "

STRENGTHS = ("sufficient", "context")
GROUPS = ("techniques", "neural_networks", "nlp", "vision", "speech", "tools")
SCOPES = ("span", "sentence", "field", "record")
SCHEMES = ("IPC", "CPC", "both")

#: Columns of :meth:`RuleEngine.match_frame`'s result.
FRAME_COLUMNS: tuple[str, ...] = (
    "record_id", "hits", "sufficient", "context_ok", "context_missing", "excluded", "exclusions", "codes",
    "language", "rules_version",
)

_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_TOPIC_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_EDITION = re.compile(r"^(\d{4})\.(\d{2})$")
_CODE_PREFIX = re.compile(r"^[A-HY]\d{2}[A-Z]( \d{1,4}/\d*)?$")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_CLASS = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
_WORD = re.compile(r"[0-9a-z]+")
_PUNCT_TO_SPACE = str.maketrans({c: " " for c in string.punctuation})
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9\-]*")
# A sentence ends after . ! ? followed by white space, or after a CJK full stop / mark.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")

# Words too common to be a good prefilter anchor (lower is better); used only to pick, per term, the
# word whose presence the prefilter tests. Any choice is correct; a rarer one is faster.
_ANCHOR_PENALTY = {
    **dict.fromkeys(("data", "model", "models", "system", "systems", "method", "methods", "analysis", "analyses",
                     "based", "network", "networks", "net", "nets", "detection", "processing", "image", "images",
                     "learning", "search", "unit", "units", "time", "of", "the", "a", "and", "to", "in", "for",
                     "s", "set", "sets", "task", "multi", "self", "semi", "pre", "e", "q", "on"), 2),
    **dict.fromkeys(("machine", "neural", "deep", "recognition", "classification", "extraction", "translation",
                     "computing", "video", "speech", "text", "object", "feature", "features", "memory", "long",
                     "short", "term", "generative", "language", "large", "graph", "vision", "target",
                     "computer", "artificial", "intelligence", "diffusion", "segmentation", "transformer",
                     "attention"), 1),
}


class RuleError(MiningError):
    """A rule file that cannot be used: says which file, which rule, which key, and what to do."""

    def __init__(self, file: Path | str, problem: str, rule_id: str | None = None, key: str | None = None) -> None:
        self.file = str(file)
        self.rule_id = rule_id
        self.key = key
        self.problem = problem
        where = [self.file]
        if rule_id:
            where.append(f"rule {rule_id!r}")
        if key:
            where.append(f"key {key!r}")
        super().__init__(f"{', '.join(where)}: {problem}")


# --------------------------------------------------------------------------------------- rule objects


@dataclass(frozen=True)
class Terms:
    """The three term lists every keyword entry (rule, context set, exclusion) may carry."""

    en: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()
    case_sensitive: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.en) + len(self.zh) + len(self.case_sensitive)


@dataclass(frozen=True)
class KeywordRule:
    id: str
    group: str
    label: str
    source: str
    strength: str  # "sufficient" | "context"
    terms: Terms
    needs_context: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class ContextSet:
    id: str
    label: str
    terms: Terms
    note: str = ""


@dataclass(frozen=True)
class Exclusion:
    id: str
    label: str
    applies_to: tuple[str, ...]
    scope: str
    terms: Terms
    caseless_only: bool = False
    acronyms_only: bool = False
    note: str = ""


@dataclass(frozen=True)
class CodeRule:
    id: str
    label: str
    prefix: str
    match: str  # "prefix" | "exact"
    scheme: str  # "IPC" | "CPC" | "both"
    valid_from: tuple[int, int] | None
    valid_to: tuple[int, int] | None
    optional: bool
    source: str = ""
    note: str = ""

    def matches(self, code: str) -> bool:
        return code == self.prefix if self.match == "exact" else code.startswith(self.prefix)

    def valid_in(self, edition: tuple[int, int] | None) -> bool:
        """Whether the rule applies to a code of ``edition`` (None: unknown, the window is not checked)."""
        if edition is None:
            return True
        if self.valid_from is not None and edition < self.valid_from:
            return False
        return not (self.valid_to is not None and edition > self.valid_to)


@dataclass(frozen=True)
class Topic:
    id: str
    name: str
    research_areas: tuple[str, ...]
    wos_categories: tuple[str, ...]
    note: str = ""


def _norm_subject(value: str) -> str:
    return " ".join(value.split()).casefold()


class TopicMap:
    """WoS research areas (SC) and categories (WC) -> the report's topics (multi-label)."""

    def __init__(self, topics: Sequence[Topic], version: str = "") -> None:
        self.topics = tuple(topics)
        self.version = version
        self._by_sc: dict[str, list[int]] = {}
        self._by_wc: dict[str, list[int]] = {}
        for i, topic in enumerate(self.topics):
            for value in topic.research_areas:
                self._by_sc.setdefault(_norm_subject(value), []).append(i)
            for value in topic.wos_categories:
                self._by_wc.setdefault(_norm_subject(value), []).append(i)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.topics)

    def name(self, topic_id: str) -> str:
        return next(t.name for t in self.topics if t.id == topic_id)

    def topics_from_wos(self, research_areas: Iterable[str] | None, wos_categories: Iterable[str] | None) -> list[str]:
        """Topic ids for a record's SC and WC values, in the order of ``topics.yaml``.

        Values are compared ignoring case and repeated spaces; a value may also be a whole ``"; "``-joined
        WoS field. Unknown values are ignored (they map to none of the ten topics).
        """
        found: set[int] = set()
        for values, index in ((research_areas, self._by_sc), (wos_categories, self._by_wc)):
            for value in _iter_strings(values):
                for part in value.split(";"):
                    found.update(index.get(_norm_subject(part), ()))
        return [self.topics[i].id for i in sorted(found)]


@dataclass(frozen=True)
class RuleSet:
    """Everything in a rules folder, validated. Build it with :func:`load_rules`."""

    rules: tuple[KeywordRule, ...]
    context_sets: tuple[ContextSet, ...]
    exclusions: tuple[Exclusion, ...]
    caseless_needs_context: tuple[str, ...]
    codes: tuple[CodeRule, ...]
    narrow_variant: tuple[CodeRule, ...]
    topics: TopicMap
    file_versions: Mapping[str, str]
    content_hash: str
    rules_dir: Path | None = None

    @property
    def version(self) -> str:
        """``keywords@V,patent_codes@V,topics@V#hash``: the files' own versions plus a hash of their content.

        The hash is over the parsed content (comments excluded), so any edit of a term, strength or code
        changes the version even when nobody bumped the file's ``version``.
        """
        files = ",".join(f"{name}@{version}" for name, version in self.file_versions.items())
        return f"{files}#{self.content_hash}"

    def rule(self, rule_id: str) -> KeywordRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def summary(self) -> dict[str, Any]:
        """Counts for reports and logs: rules per strength, terms per language, exclusions, codes, topics."""
        per_strength: dict[str, int] = {}
        for rule in self.rules:
            per_strength[rule.strength] = per_strength.get(rule.strength, 0) + 1
        return {
            "version": self.version,
            "rules": len(self.rules),
            "rules_per_strength": per_strength,
            "rules_from_report": sum(r.source == "report" for r in self.rules),
            "terms_en": sum(len(r.terms.en) for r in self.rules),
            "terms_case_sensitive": sum(len(r.terms.case_sensitive) for r in self.rules),
            "terms_zh": sum(len(r.terms.zh) for r in self.rules),
            "context_sets": len(self.context_sets),
            "context_terms": sum(len(c.terms) for c in self.context_sets),
            "exclusions": len(self.exclusions),
            "exclusion_terms": sum(len(e.terms) for e in self.exclusions),
            "code_rules": len(self.codes),
            "optional_code_rules": sum(c.optional for c in self.codes),
            "topics": len(self.topics.topics),
        }


# --------------------------------------------------------------------------------------- loading


def _iter_strings(values: Iterable[str] | str | None) -> Iterator[str]:
    if values is None:
        return
    if isinstance(values, str):
        yield values
        return
    try:
        iterator = iter(values)
    except TypeError:
        return
    for value in iterator:
        if isinstance(value, str) and value.strip():
            yield value


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise RuleError(path, "file not found; every rules folder needs keywords.yaml, patent_codes.yaml and topics.yaml")
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError as exc:
        raise RuleError(path, f"not valid YAML ({exc}); check indentation and quote values containing ': ' or ', '") from exc
    if not isinstance(data, dict):
        raise RuleError(path, "the file must be a mapping with at least `version`")
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        raise RuleError(path, 'missing or non-string `version`; write it quoted, e.g. version: "2026.11.1"', key="version")
    return data


class _Checker:
    """Validation helpers bound to one file, so every error names it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, problem: str, rule_id: str | None = None, key: str | None = None) -> RuleError:
        return RuleError(self.path, problem, rule_id, key)

    def top_keys(self, data: Mapping[str, Any], allowed: set[str]) -> None:
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.fail(f"unknown top-level key(s) {unknown}; allowed: {sorted(allowed)}", key=unknown[0])

    def entries(self, data: Mapping[str, Any], key: str, required: bool = True) -> list[dict[str, Any]]:
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail(f"missing `{key}` (a list of entries)", key=key)
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(f"`{key}` must be a list of mappings (entries starting with '- id: ...')", key=key)
        return value

    def entry_id(self, entry: Mapping[str, Any], section: str, pattern: re.Pattern[str], seen: dict[str, str]) -> str:
        rule_id = entry.get("id")
        if not isinstance(rule_id, str) or not pattern.match(rule_id):
            raise self.fail(f"entry in `{section}` has a missing or malformed id {rule_id!r} "
                            f"(expected a lower-case dotted id such as 'nn.gan')", rule_id=str(rule_id), key="id")
        if rule_id in seen:
            raise self.fail(f"duplicate id (already used in `{seen[rule_id]}`); ids must be unique", rule_id=rule_id, key="id")
        seen[rule_id] = section
        return rule_id

    def keys(self, entry: Mapping[str, Any], rule_id: str, allowed: set[str], required: set[str]) -> None:
        unknown = sorted(set(entry) - allowed)
        if unknown:
            raise self.fail(f"unknown key {unknown[0]!r}; allowed keys: {sorted(allowed)}", rule_id, unknown[0])
        missing = sorted(required - set(entry))
        if missing:
            raise self.fail(f"missing required key {missing[0]!r}", rule_id, missing[0])

    def text(self, entry: Mapping[str, Any], rule_id: str, key: str, default: str | None = None) -> str:
        value = entry.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail("must be a non-empty string", rule_id, key)
        return value.strip()

    def choice(self, entry: Mapping[str, Any], rule_id: str, key: str, options: Sequence[str], default: str | None = None) -> str:
        value = entry.get(key, default)
        if value not in options:
            raise self.fail(f"must be one of {list(options)}, got {value!r}", rule_id, key)
        return str(value)

    def flag(self, entry: Mapping[str, Any], rule_id: str, key: str) -> bool:
        value = entry.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(f"must be true or false, got {value!r}", rule_id, key)
        return value

    def str_list(self, entry: Mapping[str, Any], rule_id: str, key: str) -> tuple[str, ...]:
        value = entry.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail(f"must be a list of strings, got {type(value).__name__}", rule_id, key)
        if not value:
            raise self.fail("empty list; remove the key or add at least one term", rule_id, key)
        out: list[str] = []
        for item in value:
            if not isinstance(item, str) or not item.strip():
                raise self.fail(f"every item must be a non-empty string, got {item!r} (quote numbers and values with ': ')",
                                rule_id, key)
            out.append(" ".join(item.split()))
        return tuple(out)

    def terms(self, entry: Mapping[str, Any], rule_id: str) -> Terms:
        terms = Terms(self.str_list(entry, rule_id, "terms_en"), self.str_list(entry, rule_id, "terms_zh"),
                      self.str_list(entry, rule_id, "case_sensitive_terms"))
        if not len(terms):
            raise self.fail("no terms: give at least one of terms_en, terms_zh, case_sensitive_terms", rule_id, "terms_en")
        for term in terms.zh:
            if not _CJK.search(term):
                raise self.fail(f"{term!r} has no Chinese character; put it in terms_en", rule_id, "terms_zh")
        return terms

    def edition(self, entry: Mapping[str, Any], rule_id: str, key: str) -> tuple[int, int] | None:
        value = entry.get(key)
        if value is None:
            return None
        match = _EDITION.match(str(value))
        if not isinstance(value, str) or not match or not 1 <= int(match.group(2)) <= 12:
            raise self.fail(f"must be an edition 'YYYY.MM' in quotes (or null), got {value!r}", rule_id, key)
        return int(match.group(1)), int(match.group(2))


_RULE_KEYS = {"id", "group", "label", "source", "strength", "terms_en", "terms_zh", "case_sensitive_terms",
              "needs_context", "note"}
_CONTEXT_KEYS = {"id", "label", "terms_en", "terms_zh", "case_sensitive_terms", "note"}
_EXCLUSION_KEYS = {"id", "label", "strength", "applies_to", "scope", "caseless_only", "acronyms_only", "terms_en",
                   "terms_zh", "case_sensitive_terms", "note"}
_CODE_KEYS = {"id", "label", "prefix", "match", "scheme", "valid_from", "valid_to", "optional", "source", "note"}
_TOPIC_KEYS = {"id", "name", "research_areas", "wos_categories", "note"}


def _load_keywords(path: Path) -> tuple[dict[str, Any], tuple[KeywordRule, ...], tuple[ContextSet, ...],
                                        tuple[Exclusion, ...], tuple[str, ...]]:
    data = _read_yaml(path)
    check = _Checker(path)
    check.top_keys(data, {"version", "name", "caseless_fallback", "rules", "context_sets", "exclusions"})
    seen: dict[str, str] = {}

    context_sets: list[ContextSet] = []
    for entry in check.entries(data, "context_sets", required=False):
        cid = check.entry_id(entry, "context_sets", _ID, seen)
        check.keys(entry, cid, _CONTEXT_KEYS, {"id", "label"})
        context_sets.append(ContextSet(cid, check.text(entry, cid, "label"), check.terms(entry, cid),
                                       str(entry.get("note") or "")))
    context_ids = {c.id for c in context_sets}

    def context_refs(entry: Mapping[str, Any], rule_id: str, key: str) -> tuple[str, ...]:
        refs = check.str_list(entry, rule_id, key)
        for ref in refs:
            if ref not in context_ids:
                raise check.fail(f"unknown context set {ref!r}; defined context sets: {sorted(context_ids) or 'none'}",
                                 rule_id, key)
        return refs

    fallback = data.get("caseless_fallback") or {}
    if not isinstance(fallback, dict) or set(fallback) - {"needs_context"}:
        raise check.fail("`caseless_fallback` takes only `needs_context: [context set ids]`", key="caseless_fallback")
    caseless_needs = context_refs(fallback, "caseless_fallback", "needs_context") if fallback else ()

    rules: list[KeywordRule] = []
    seen_terms: dict[tuple[str, str], str] = {}
    for entry in check.entries(data, "rules"):
        rid = check.entry_id(entry, "rules", _ID, seen)
        check.keys(entry, rid, _RULE_KEYS, {"id", "group", "label", "strength"})
        strength = check.choice(entry, rid, "strength", STRENGTHS)
        needs = context_refs(entry, rid, "needs_context")
        if strength == "context" and not needs:
            raise check.fail("a context rule needs `needs_context: [context set ids]`", rid, "needs_context")
        if strength == "sufficient" and needs:
            raise check.fail("only context rules take `needs_context` (this rule is sufficient)", rid, "needs_context")
        terms = check.terms(entry, rid)
        for key, values, fold in (("terms_en", terms.en, True), ("terms_zh", terms.zh, True),
                                  ("case_sensitive_terms", terms.case_sensitive, False)):
            for term in values:
                norm = " ".join(re.split(r"[\s\-]+", term.lower() if fold else term))
                other = seen_terms.setdefault((key if not fold else "ci", norm), rid)
                if other != rid:
                    raise check.fail(f"term {term!r} is also in rule {other!r}; a term belongs to one rule", rid, key)
        rules.append(KeywordRule(
            id=rid, group=check.choice(entry, rid, "group", GROUPS), label=check.text(entry, rid, "label"),
            source=check.choice(entry, rid, "source", ("report", "extension"), default="report"),
            strength=strength, terms=terms, needs_context=needs, note=str(entry.get("note") or ""),
        ))
    rule_ids = {r.id for r in rules}

    exclusions: list[Exclusion] = []
    for entry in check.entries(data, "exclusions", required=False):
        eid = check.entry_id(entry, "exclusions", _ID, seen)
        check.keys(entry, eid, _EXCLUSION_KEYS, {"id", "label", "applies_to"})
        check.choice(entry, eid, "strength", ("exclusion",), default="exclusion")
        applies = check.str_list(entry, eid, "applies_to")
        if not applies:
            raise check.fail("an exclusion must name the rule ids it vetoes", eid, "applies_to")
        for ref in applies:
            if ref not in rule_ids:
                raise check.fail(f"unknown rule id {ref!r}", eid, "applies_to")
        exclusions.append(Exclusion(
            id=eid, label=check.text(entry, eid, "label"), applies_to=applies,
            scope=check.choice(entry, eid, "scope", SCOPES, default="sentence"), terms=check.terms(entry, eid),
            caseless_only=check.flag(entry, eid, "caseless_only"), acronyms_only=check.flag(entry, eid, "acronyms_only"),
            note=str(entry.get("note") or ""),
        ))
    return data, tuple(rules), tuple(context_sets), tuple(exclusions), caseless_needs


def _load_codes(path: Path) -> tuple[dict[str, Any], tuple[CodeRule, ...], tuple[CodeRule, ...]]:
    data = _read_yaml(path)
    check = _Checker(path)
    check.top_keys(data, {"version", "name", "codes", "narrow_variant"})
    seen: dict[str, str] = {}

    def parse(entry: Mapping[str, Any], section: str, narrow: bool) -> CodeRule:
        cid = check.entry_id(entry, section, _ID, seen)
        check.keys(entry, cid, _CODE_KEYS, {"id", "label", "prefix"} | (set() if narrow else {"scheme"}))
        prefix = check.text(entry, cid, "prefix")
        if not _CODE_PREFIX.match(prefix):
            raise check.fail(f"{prefix!r} is not a code prefix in the schema's form ('G06N', 'G06K 9/', 'G10L 15/16')",
                             cid, "prefix")
        valid_from = check.edition(entry, cid, "valid_from")
        valid_to = check.edition(entry, cid, "valid_to")
        if valid_from and valid_to and valid_from > valid_to:
            raise check.fail("valid_from is after valid_to", cid, "valid_from")
        return CodeRule(
            id=cid, label=check.text(entry, cid, "label"), prefix=prefix,
            match=check.choice(entry, cid, "match", ("prefix", "exact"), default="prefix"),
            scheme=check.choice(entry, cid, "scheme", SCHEMES, default="both"),
            valid_from=valid_from, valid_to=valid_to, optional=check.flag(entry, cid, "optional"),
            source=str(entry.get("source") or ""), note=str(entry.get("note") or ""),
        )

    codes = tuple(parse(e, "codes", False) for e in check.entries(data, "codes"))
    narrow = tuple(parse(e, "narrow_variant", True) for e in check.entries(data, "narrow_variant", required=False))
    return data, codes, narrow


def _load_topics(path: Path) -> tuple[dict[str, Any], tuple[Topic, ...]]:
    data = _read_yaml(path)
    check = _Checker(path)
    check.top_keys(data, {"version", "name", "topics"})
    seen: dict[str, str] = {}
    topics: list[Topic] = []
    for entry in check.entries(data, "topics"):
        tid = check.entry_id(entry, "topics", _TOPIC_ID, seen)
        check.keys(entry, tid, _TOPIC_KEYS, {"id", "name"})
        areas = check.str_list(entry, tid, "research_areas")
        categories = check.str_list(entry, tid, "wos_categories")
        if not areas and not categories:
            raise check.fail("a topic needs research_areas or wos_categories", tid, "research_areas")
        topics.append(Topic(tid, check.text(entry, tid, "name"), areas, categories, str(entry.get("note") or "")))
    return data, tuple(topics)


def load_rules(rules_dir: Path) -> RuleSet:
    """Read and validate ``keywords.yaml``, ``patent_codes.yaml`` and ``topics.yaml`` from ``rules_dir``.

    Raises :class:`RuleError` naming the file, the rule id and the key of the first problem found.
    """
    rules_dir = Path(rules_dir)
    kw_data, rules, context_sets, exclusions, caseless_needs = _load_keywords(rules_dir / KEYWORDS_FILE)
    code_data, codes, narrow = _load_codes(rules_dir / CODES_FILE)
    topic_data, topics = _load_topics(rules_dir / TOPICS_FILE)
    canonical = json.dumps({"keywords": kw_data, "patent_codes": code_data, "topics": topic_data},
                           sort_keys=True, ensure_ascii=False, default=str)
    content_hash = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:10]
    versions = {"keywords": str(kw_data["version"]), "patent_codes": str(code_data["version"]),
                "topics": str(topic_data["version"])}
    ruleset = RuleSet(rules=rules, context_sets=context_sets, exclusions=exclusions,
                      caseless_needs_context=caseless_needs, codes=codes, narrow_variant=narrow,
                      topics=TopicMap(topics, versions["topics"]), file_versions=versions,
                      content_hash=content_hash, rules_dir=rules_dir)
    log.debug("rules loaded from %s: %s", rules_dir, ruleset.summary())
    return ruleset


# --------------------------------------------------------------------------------------- term variants


def _plural(word: str) -> str | None:
    """Plural of a term's last word, or None where a plural makes no sense (numbers, words ending in s)."""
    if not word or word[-1].isdigit():
        return None
    if any(c.isupper() for c in word[1:]) or word.isupper():  # acronym or CamelCase name: CNN -> CNNs
        return word + "s"
    lower = word.lower()
    if lower.endswith("sis"):
        return word[:-2] + "es"
    if lower.endswith(("ss", "x", "z", "ch", "sh")):
        return word + "es"
    if lower.endswith("s"):
        return None
    if lower.endswith("y") and len(lower) > 1 and lower[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def term_variants(term: str, case_sensitive: bool = False) -> list[str]:
    """Every surface form a term matches: hyphen/space combinations between its words, plural of the last word.

    ``"long short term memory"`` gives "long short-term memory", "long-short-term memory", ... and their
    plurals; ``"CNN"`` (case-sensitive) gives "CNN", "CNNs"; ``"deep RL"`` also "Deep RL".
    """
    words = [w for w in re.split(r"[\s\-]+", term.strip()) if w]
    if not words:
        return []
    if len(words) == 1:
        joined = [words[0]]
    elif len(words) <= 6:
        joined = []
        for seps in product((" ", "-"), repeat=len(words) - 1):
            joined.append(words[0] + "".join(sep + w for sep, w in zip(seps, words[1:])))
    else:
        joined = [" ".join(words), "-".join(words)]
    out: list[str] = []
    for form in joined:
        out.append(form)
        last = re.split(r"([ \-])", form)[-1]
        plural = _plural(last)
        if plural:
            out.append(form[: len(form) - len(last)] + plural)
    if case_sensitive:
        out += [v[0].upper() + v[1:] for v in out if v[0].islower()]
    return list(dict.fromkeys(out))


def _anchor(variant: str) -> str | None:
    """The lower-cased word of a variant the prefilter looks for (its rarest-looking word)."""
    words = _WORD.findall(variant.lower())
    if not words:
        return None
    return min(words, key=lambda w: (_ANCHOR_PENALTY.get(w, 0), -len(w), w))


# --------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Hit:
    """One match. ``start``/``end`` are character offsets in the field's text (list fields: joined with "; ").

    ``strength``: ``sufficient`` or ``context`` for keyword rules (the effective strength: a case-sensitive
    term matched in a field without case counts as ``context``), ``exclusion`` for exclusion phrases,
    ``context_term`` for context-set words, ``code`` for patent code rules. ``excluded_by`` names the
    exclusion that vetoed a keyword hit.
    """

    rule_id: str
    strength: str
    field: str
    start: int
    end: int
    text: str
    excluded_by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RuleResult:
    """What the rules found in one record; every fired rule id is in exactly one evidence list."""

    hits: tuple[Hit, ...] = ()
    sufficient: tuple[str, ...] = ()
    context_ok: tuple[str, ...] = ()
    context_missing: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    language: str | None = None

    @property
    def positive(self) -> tuple[str, ...]:
        """Rule ids that say AI: sufficient plus context rules with their context."""
        return self.sufficient + self.context_ok

    def as_dict(self) -> dict[str, Any]:
        return {
            "hits": [h.as_dict() for h in self.hits],
            "sufficient": list(self.sufficient), "context_ok": list(self.context_ok),
            "context_missing": list(self.context_missing), "excluded": list(self.excluded),
            "exclusions": list(self.exclusions), "codes": list(self.codes), "language": self.language,
        }


@dataclass
class _RuleHit:
    rule_id: str
    field: str
    start: int
    end: int
    strength: str
    caseless: bool  # a case-sensitive term matched in a field without case
    acronym: bool  # matched through case_sensitive_terms (exactly or caseless)
    needs: tuple[str, ...]
    excluded_by: str | None = None
    context_ok: bool = False


@dataclass
class _Prepared:
    record_id: str | None
    fields: dict[str, str]
    has_cjk: bool
    candidate: bool
    record: Mapping[str, Any] = field(repr=False, default_factory=dict)


def _field_text(value: Any) -> str:
    """A record field as one string (None/NaN -> "", list-like -> items joined with :data:`FIELD_JOIN`)."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (float, int)):
        return ""
    if hasattr(value, "__iter__") and hasattr(value, "__len__"):
        return FIELD_JOIN.join(v.strip() for v in value if isinstance(v, str) and v.strip())
    return ""


def _is_caseless(text: str) -> bool:
    """True when the text's letters carry no case information: all lower case, or ALL CAPS (3+ words)."""
    if text.islower():
        return True
    return text.isupper() and len(_LATIN_WORD.findall(text)) >= 3


def _edition_of(value: str | None) -> tuple[int, int] | None:
    """'2006.01' / '2021-06-30' / '2022' -> (year, month); None when not a date or edition."""
    if not value or not isinstance(value, str):
        return None
    match = re.match(r"^\s*(\d{4})(?:[.\-/](\d{1,2}))?", value)
    if not match:
        return None
    month = int(match.group(2)) if match.group(2) else 1
    return int(match.group(1)), month if 1 <= month <= 12 else 1


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


# --------------------------------------------------------------------------------------- engine


class RuleEngine:
    """A :class:`RuleSet` compiled into spaCy phrase matchers, ready to match records.

    Parameters
    ----------
    ruleset:
        Rules from :func:`load_rules`.
    optional_codes:
        Also apply the code rules marked ``optional: true`` (G10L neural-network speech groups).
    narrow_codes:
        Apply ``narrow_variant`` carve-outs (G06N 10 quantum computing, G06N 99/00).
    batch_size:
        Records per batch in :meth:`match_records` / :meth:`match_frame`.
    """

    def __init__(self, ruleset: RuleSet, *, optional_codes: bool = False, narrow_codes: bool = False,
                 batch_size: int = 2000) -> None:
        import spacy
        from langdetect import DetectorFactory
        from spacy.attrs import LOWER
        from spacy.matcher import PhraseMatcher
        from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

        started = time.perf_counter()
        self.ruleset = ruleset
        self.optional_codes = optional_codes
        self.narrow_codes = narrow_codes
        self.batch_size = batch_size
        DetectorFactory.seed = 0  # langdetect is random unless seeded; results must be reproducible

        nlp = spacy.blank("en")
        defaults = nlp.Defaults
        # The matchers read only ORTH and LOWER: computing the other lexical attributes (shape, like_num,
        # prefix, suffix, ...) for every new word type costs a third of the tokenizer's time.
        nlp.vocab.lex_attr_getters = {LOWER: nlp.vocab.lex_attr_getters[LOWER]}
        # Split CJK characters into one token each, so Chinese terms (and Latin acronyms glued to Chinese
        # text, as in "基于LSTM的模型") match through the same phrase matchers as English.
        tokenizer = nlp.tokenizer
        tokenizer.prefix_search = compile_prefix_regex([*defaults.prefixes, _CJK_CLASS]).search
        tokenizer.suffix_search = compile_suffix_regex([*defaults.suffixes, _CJK_CLASS]).search
        tokenizer.infix_finditer = compile_infix_regex([*defaults.infixes, _CJK_CLASS]).finditer
        self._nlp = nlp
        vocab = nlp.vocab

        self._rules = {r.id: r for r in ruleset.rules}
        self._rule_order = {r.id: i for i, r in enumerate(ruleset.rules)}
        self._excl_order = {e.id: i for i, e in enumerate(ruleset.exclusions)}
        self._applies = {e.id: frozenset(e.applies_to) for e in ruleset.exclusions}
        self._exclusions_for: dict[str, list[Exclusion]] = {}
        for excl in ruleset.exclusions:
            for rid in excl.applies_to:
                self._exclusions_for.setdefault(rid, []).append(excl)

        self._rule_lower = PhraseMatcher(vocab, attr="LOWER")
        self._rule_orth = PhraseMatcher(vocab, attr="ORTH")
        self._rule_caseless = PhraseMatcher(vocab, attr="LOWER")
        self._aux_lower = PhraseMatcher(vocab, attr="LOWER")
        self._aux_orth = PhraseMatcher(vocab, attr="ORTH")
        self._aux_caseless = PhraseMatcher(vocab, attr="LOWER")  # context sets' case-sensitive words only
        self._context_ids = {c.id for c in ruleset.context_sets}
        anchors: dict[str, set[frozenset[str]]] = {}
        n_patterns = 0

        def add(matcher: PhraseMatcher, key: str, texts: Iterable[str]) -> int:
            docs = list(tokenizer.pipe(list(dict.fromkeys(texts))))
            if docs:
                matcher.add(key, docs)
            return len(docs)

        for rule in ruleset.rules:
            ci = [v for t in rule.terms.en for v in term_variants(t)] + list(rule.terms.zh)
            cs = [v for t in rule.terms.case_sensitive for v in term_variants(t, case_sensitive=True)]
            n_patterns += add(self._rule_lower, rule.id, ci) + add(self._rule_orth, rule.id, cs)
            add(self._rule_caseless, rule.id, cs)
            for variant in [*ci, *cs]:
                if not _CJK.search(variant) and (anchor := _anchor(variant)):
                    anchors.setdefault(anchor, set()).add(frozenset(_WORD.findall(variant.lower())))
        for entry in (*ruleset.context_sets, *ruleset.exclusions):
            ci = [v for t in entry.terms.en for v in term_variants(t)] + list(entry.terms.zh)
            cs = [v for t in entry.terms.case_sensitive for v in term_variants(t, case_sensitive=True)]
            n_patterns += add(self._aux_lower, entry.id, ci) + add(self._aux_orth, entry.id, cs)
            if entry.id in self._context_ids:
                add(self._aux_caseless, entry.id, cs)
        # Prefilter index: anchor word -> the word sets of the variants it anchors. A record is a
        # candidate only if, for some variant, every word of it occurs in the record's words.
        self._anchors = frozenset(anchors)
        self._anchor_index = {a: tuple(sorted(v, key=len)) for a, v in anchors.items()}
        self._active_codes = tuple(c for c in ruleset.codes if optional_codes or not c.optional)
        self._code_order = {c.id: i for i, c in enumerate(ruleset.codes)}
        self._carve_outs = ruleset.narrow_variant if narrow_codes else ()
        log.info("rule engine compiled: %d rules, %d exclusions, %d patterns, %d anchors in %.2fs (rules %s)",
                 len(ruleset.rules), len(ruleset.exclusions), n_patterns, len(self._anchors),
                 time.perf_counter() - started, ruleset.version)

    @property
    def version(self) -> str:
        return self.ruleset.version

    # ----------------------------------------------------------------- public API

    def match_record(self, record: Mapping[str, Any]) -> RuleResult:
        """Keyword (and, for records with ``ipc``/``cpc``, code) evidence for one record."""
        return self.match_records([record])[0]

    def match_records(self, records: Iterable[Mapping[str, Any]]) -> list[RuleResult]:
        """:meth:`match_record` for many records, tokenized in batches."""
        results: list[RuleResult] = []
        batch: list[Mapping[str, Any]] = []
        for record in records:
            batch.append(record)
            if len(batch) >= self.batch_size:
                results.extend(self._match_batch(batch))
                batch = []
        if batch:
            results.extend(self._match_batch(batch))
        return results

    def match_frame(self, frame: "pd.DataFrame") -> "pd.DataFrame":
        """One row per record of ``frame``: :data:`FRAME_COLUMNS` (hits as a list of dicts, evidence as lists).

        ``record_id`` comes from the frame's column of that name, else from its index.
        """
        import pandas as pd

        wanted = [c for c in (*TEXT_FIELDS, "ipc", "ipc_editions", "cpc", "pub_date") if c in frame.columns]
        records = frame[wanted].to_dict("records") if wanted else [{} for _ in range(len(frame))]
        ids = frame["record_id"].tolist() if "record_id" in frame.columns else [str(i) for i in frame.index]
        version = self.version
        rows = []
        for record_id, result in zip(ids, self.match_records(records)):
            rows.append((record_id, [h.as_dict() for h in result.hits], list(result.sufficient), list(result.context_ok),
                         list(result.context_missing), list(result.excluded), list(result.exclusions),
                         list(result.codes), result.language, version))
        return pd.DataFrame(rows, columns=list(FRAME_COLUMNS))

    def code_hits(self, ipc: Sequence[str] | None, ipc_editions: Sequence[str] | None, cpc: Sequence[str] | None,
                  pub_date: str | None) -> list[Hit]:
        """Hits of the patent code rules, edition-aware.

        A code's edition is its entry in ``ipc_editions`` where known, else the publication date's
        (``2021-06-30`` -> 2021.06). CPC codes carry no edition: the publication date decides. With
        neither, the validity windows are not checked (the code's presence is the evidence).
        ``start``/``end`` locate the code in the field's ``"; "``-joined text.
        """
        hits: list[Hit] = []
        pub_edition = _edition_of(pub_date)
        editions = list(_iter_all(ipc_editions))
        for field_name, scheme, codes in (("ipc", "IPC", list(_iter_all(ipc))), ("cpc", "CPC", list(_iter_all(cpc)))):
            offset = 0
            for i, raw in enumerate(codes):
                code = normalise_ipc(raw) or raw.strip()
                start, end = offset, offset + len(raw)
                offset = end + len(FIELD_JOIN)
                edition = (_edition_of(editions[i]) if scheme == "IPC" and i < len(editions) else None) or pub_edition
                if self._carve_outs and any(c.matches(code) for c in self._carve_outs):
                    continue
                for rule in self._active_codes:
                    if rule.scheme in (scheme, "both") and rule.matches(code) and rule.valid_in(edition):
                        hits.append(Hit(rule.id, "code", field_name, start, end, raw))
        return hits

    def topics_from_wos(self, research_areas: Iterable[str] | None, wos_categories: Iterable[str] | None) -> list[str]:
        """Shortcut to the rule set's :meth:`TopicMap.topics_from_wos`."""
        return self.ruleset.topics.topics_from_wos(research_areas, wos_categories)

    # ----------------------------------------------------------------- internals

    def _prepare(self, record: Mapping[str, Any]) -> _Prepared:
        fields = {}
        for name in TEXT_FIELDS:
            text = _field_text(record.get(name))
            if text.strip():
                fields[name] = text
        joined = "\n".join(fields.values())
        has_cjk = bool(_CJK.search(joined))
        candidate = has_cjk or self._maybe_matches(joined)
        record_id = record.get("record_id")
        return _Prepared(record_id if isinstance(record_id, str) else None, fields, has_cjk, candidate, record)

    def _maybe_matches(self, text: str) -> bool:
        """Prefilter: False only when no term can match ``text`` (no variant has all its words in it)."""
        lowered = text.lower()
        # str.translate + split is C-speed; it equals the regex word split for ASCII text.
        words = set(lowered.translate(_PUNCT_TO_SPACE).split()) if lowered.isascii() else set(_WORD.findall(lowered))
        index = self._anchor_index
        return any(variant <= words for anchor in self._anchors.intersection(words) for variant in index[anchor])

    def _match_batch(self, records: Sequence[Mapping[str, Any]]) -> list[RuleResult]:
        prepared = [self._prepare(r) for r in records]
        jobs = [(i, name, text) for i, p in enumerate(prepared) if p.candidate for name, text in p.fields.items()]
        docs: dict[int, dict[str, Doc]] = {}
        for (i, name, _), doc in zip(jobs, self._nlp.tokenizer.pipe((t for _, _, t in jobs), batch_size=1000)):
            docs.setdefault(i, {})[name] = doc
        results = []
        for i, prep in enumerate(prepared):
            result = self._evaluate(prep, docs.get(i, {}))
            record = prep.record
            if _has_values(record.get("ipc")) or _has_values(record.get("cpc")):
                code_hits = self.code_hits(record.get("ipc"), record.get("ipc_editions"), record.get("cpc"),
                                           record.get("pub_date") if isinstance(record.get("pub_date"), str) else None)
                if code_hits:
                    result = RuleResult(
                        hits=result.hits + tuple(code_hits), sufficient=result.sufficient, context_ok=result.context_ok,
                        context_missing=result.context_missing, excluded=result.excluded, exclusions=result.exclusions,
                        codes=tuple(sorted({h.rule_id for h in code_hits}, key=self._code_order.__getitem__)),
                        language=result.language)
            results.append(result)
        return results

    @staticmethod
    def _spans(matcher: Any, doc: Doc) -> Iterator[tuple[str, int, int]]:
        strings = doc.vocab.strings
        for match_id, start, end in matcher(doc):
            last = doc[end - 1]
            yield strings[match_id], doc[start].idx, last.idx + len(last.text)

    def _language(self, prep: _Prepared) -> str | None:
        if not prep.has_cjk:
            return None
        from langdetect import detect
        from langdetect.lang_detect_exception import LangDetectException

        text = " ".join(prep.fields.get(name, "") for name in ("title", "abstract")) or " ".join(prep.fields.values())
        # Latin words in CJK text (model names, acronyms) mislead langdetect ("基于Transformer的..." -> 'no').
        text = _LATIN_RUN.sub(" ", text) if len(_CJK.findall(text)) >= 4 else text
        try:
            return detect(text)
        except LangDetectException as exc:
            log.debug("language not detected for record %s: %s", prep.record_id, exc)
            return None

    def _evaluate(self, prep: _Prepared, docs: Mapping[str, Doc]) -> RuleResult:
        language = self._language(prep)
        if not docs:
            return RuleResult(language=language)
        texts = prep.fields  # the docs' texts (Doc.text rebuilds the string from tokens: slow)
        caseless = {name: _is_caseless(texts[name]) for name in docs}

        # 1. keyword rule hits
        raw: list[_RuleHit] = []
        for name, doc in docs.items():
            found = [(rid, s, e, False, False) for rid, s, e in self._spans(self._rule_lower, doc)]
            if caseless[name]:
                found += [(rid, s, e, True, True) for rid, s, e in self._spans(self._rule_caseless, doc)]
            else:
                found += [(rid, s, e, False, True) for rid, s, e in self._spans(self._rule_orth, doc)]
            for rid, s, e, via_caseless, acronym in found:
                rule = self._rules[rid]
                if via_caseless:
                    strength = "context"
                    needs = rule.needs_context or self.ruleset.caseless_needs_context
                else:
                    strength, needs = rule.strength, rule.needs_context
                raw.append(_RuleHit(rid, name, s, e, strength, via_caseless, acronym, needs))
        if not raw:
            return RuleResult(language=language)
        hits = _drop_contained(raw)

        # 2. exclusion phrases and context words (only records with a rule hit get here)
        excl_hits: list[tuple[str, str, int, int]] = []
        ctx_hits: list[tuple[str, str, int, int]] = []
        for name, doc in docs.items():
            aux = list(self._spans(self._aux_lower, doc))
            aux += self._spans(self._aux_caseless if caseless[name] else self._aux_orth, doc)
            for aid, s, e in aux:
                (ctx_hits if aid in self._context_ids else excl_hits).append((aid, name, s, e))
        # An exclusion phrase that only partly overlaps a rule phrase loses ("deep learning environment" is
        # not "learning environment"). Context words inside any remaining exclusion phrase do not count
        # ("learning" in "student learning"); only exclusions of rules that fired are applied and reported.
        excl_hits = [x for x in dict.fromkeys(excl_hits) if not any(
            h.field == x[1] and _overlaps(h.start, h.end, x[2], x[3]) and not (x[2] <= h.start and h.end <= x[3])
            for h in hits)]
        ctx_hits = [c for c in dict.fromkeys(ctx_hits) if not any(
            x[1] == c[1] and _overlaps(x[2], x[3], c[2], c[3]) for x in excl_hits)]
        fired = {h.rule_id for h in hits}
        excl_hits = [x for x in excl_hits if fired.intersection(self._applies[x[0]])]

        # 3. exclusions and context per hit
        sentences: dict[str, list[int]] = {}

        def sentence_of(field_name: str, pos: int) -> int:
            if field_name not in sentences:
                text = texts[field_name]
                sentences[field_name] = [0] + [m.end() for m in _SENTENCE_END.finditer(text)]
            return bisect.bisect_right(sentences[field_name], pos) - 1

        for hit in hits:
            for excl in self._exclusions_for.get(hit.rule_id, ()):
                if (excl.caseless_only and not hit.caseless) or (excl.acronyms_only and not hit.acronym):
                    continue
                for xid, xfield, xs, xe in excl_hits:
                    if xid != excl.id:
                        continue
                    same_field = xfield == hit.field
                    if ((same_field and xs <= hit.start and hit.end <= xe) or excl.scope == "record"
                            or (excl.scope == "field" and same_field)
                            or (excl.scope == "sentence" and same_field
                                and sentence_of(xfield, xs) == sentence_of(hit.field, hit.start))):
                        hit.excluded_by = excl.id
                        break
                if hit.excluded_by:
                    break
            if hit.strength == "context" and not hit.excluded_by:
                # A rule is never its own context: words inside any hit of the same rule do not count
                # ("neural networks" three times is still no evidence of the ML sense).
                own = [(o.field, o.start, o.end) for o in hits if o.rule_id == hit.rule_id]
                hit.context_ok = any(
                    cid in hit.needs and not any(f == cfield and _overlaps(cs, ce, s, e) for f, s, e in own)
                    for cid, cfield, cs, ce in ctx_hits)

        # 4. evidence: each fired rule in its best outcome
        rank: dict[str, int] = {}
        for hit in hits:
            if hit.excluded_by:
                outcome = 3
            elif hit.strength == "sufficient":
                outcome = 0
            else:
                outcome = 1 if hit.context_ok else 2
            rank[hit.rule_id] = min(rank.get(hit.rule_id, 9), outcome)
        lists: list[list[str]] = [[], [], [], []]
        for rid in sorted(rank, key=self._rule_order.__getitem__):
            lists[rank[rid]].append(rid)
        fired_exclusions = sorted({x[0] for x in excl_hits}, key=self._excl_order.__getitem__)

        out: list[Hit] = []
        for hit in hits:
            out.append(Hit(hit.rule_id, hit.strength, hit.field, hit.start, hit.end,
                           texts[hit.field][hit.start:hit.end], hit.excluded_by))
        for xid, xfield, xs, xe in excl_hits:
            out.append(Hit(xid, "exclusion", xfield, xs, xe, texts[xfield][xs:xe]))
        if any(h.strength == "context" for h in hits):
            for cid, cfield, cs, ce in ctx_hits:
                out.append(Hit(cid, "context_term", cfield, cs, ce, texts[cfield][cs:ce]))
        order = {name: i for i, name in enumerate(TEXT_FIELDS)}
        out.sort(key=lambda h: (order.get(h.field, 99), h.start, -h.end, h.rule_id))
        return RuleResult(hits=tuple(out), sufficient=tuple(lists[0]), context_ok=tuple(lists[1]),
                          context_missing=tuple(lists[2]), excluded=tuple(lists[3]),
                          exclusions=tuple(fired_exclusions), language=language)


def _drop_contained(hits: list[_RuleHit]) -> list[_RuleHit]:
    """Drop duplicate hits and hits lying inside a longer hit in the same field (longest match wins)."""
    unique: dict[tuple[str, str, int, int], _RuleHit] = {}
    for hit in hits:
        key = (hit.rule_id, hit.field, hit.start, hit.end)
        kept = unique.get(key)
        # the same span found both exactly and case-insensitively: keep the stronger reading
        if kept is None or (kept.caseless and not hit.caseless):
            unique[key] = hit
    hits = list(unique.values())
    return [h for h in hits if not any(
        o is not h and o.field == h.field and o.start <= h.start and h.end <= o.end and (o.end - o.start) > (h.end - h.start)
        for o in hits)]


def _iter_all(values: Any) -> Iterator[str]:
    """Items of a list-like field as strings ('' kept, so positions stay aligned); nothing for None/NaN."""
    if values is None or isinstance(values, (float, int)):
        return
    if isinstance(values, str):
        yield values
        return
    for value in values:
        yield value if isinstance(value, str) else ""


def _has_values(values: Any) -> bool:
    return any(v.strip() for v in _iter_all(values))


# --------------------------------------------------------------------------------------- benchmark


def _read_jsonl_records(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Records from a JSON-lines file (optionally .gz): CSET ``{"text", "meta"}``, arXiv harvest
    ``{"arxiv_id", "title", "abstract"}`` or any ``{"title", "abstract"}`` rows."""
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    records: list[dict[str, Any]] = []
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if limit is not None and len(records) >= limit:
                break
            row = json.loads(line)
            if "text" in row and "title" not in row:
                title, _, abstract = row["text"].partition(". ")
                row_id = (row.get("meta") or {}).get("id")
                records.append({"record_id": str(row_id), "title": title, "abstract": abstract})
            else:
                records.append({"record_id": str(row.get("arxiv_id") or row.get("record_id") or len(records)),
                                "title": row.get("title"), "abstract": row.get("abstract")})
    return records


def benchmark(path: Path, rules_dir: Path, limit: int | None = None, repeat: int = 3) -> dict[str, Any]:
    """Rules-only throughput (records/s) of :meth:`RuleEngine.match_frame` on a JSON-lines file.

    Each repeat compiles a fresh engine (as a re-run after a keyword edit does) and times
    ``match_frame`` alone; the best repeat is reported together with the prefilter pass rate.
    """
    import pandas as pd

    frame = pd.DataFrame(_read_jsonl_records(path, limit))
    best: dict[str, Any] = {}
    for _ in range(repeat):
        started = time.perf_counter()
        engine = RuleEngine(load_rules(rules_dir))
        compiled = time.perf_counter() - started
        started = time.perf_counter()
        result = engine.match_frame(frame)
        elapsed = time.perf_counter() - started
        run = {"records": len(frame), "seconds": round(elapsed, 3), "records_per_s": round(len(frame) / elapsed),
               "compile_seconds": round(compiled, 3),
               "prefilter_pass": round(sum(engine._prepare(r).candidate for r in frame.to_dict("records")) / max(len(frame), 1), 4),
               "records_with_hits": int((result["hits"].str.len() > 0).sum()),
               "rules_positive": int(((result["sufficient"].str.len() + result["context_ok"].str.len()) > 0).sum()),
               "rules_version": engine.version}
        if not best or run["records_per_s"] > best["records_per_s"]:
            best = run
    return best


if __name__ == "__main__":  # pragma: no cover - measurement helper, not a test
    import argparse
    import sys

    from mining.config import load_config

    parser = argparse.ArgumentParser(description="Rules-only throughput: python -m mining.classify.rules FILE.jsonl[.gz]")
    parser.add_argument("path", type=Path)
    parser.add_argument("--rules", type=Path, default=None, help="rules folder (default: the configured rules_dir)")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    report = benchmark(args.path, args.rules or load_config().rules_dir, args.limit, args.repeat)
    sys.stdout.write(json.dumps(report, indent=2) + "\n")
