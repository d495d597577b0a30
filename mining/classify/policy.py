"""Decision policies: how rule evidence, patent codes and the model probability combine into a decision.

A policy is data (``rules/policies/<name>.yaml``); this module only interprets it. Each decision keeps
its reasons (branch taken, rules and codes that fired, probabilities, thresholds, why borderline) so an
analyst can defend it record by record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from mining.errors import MiningError

POLICY_KEYS = {"name", "version", "patents", "rules", "model"}


class PolicyError(MiningError):
    """A policy file that cannot be used."""


@dataclass(frozen=True)
class Policy:
    """A parsed decision policy (see ``rules/policies/report.yaml`` for the meaning of each field)."""

    name: str
    version: str
    code_decides: bool
    rules_decide: bool
    rules_score: float
    doubt_below: float
    threshold: float | str  # a probability, or "model": the model card's tuned threshold
    band: tuple[float, float]
    source: str = ""

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"

    def resolved_threshold(self, model_threshold: float | None) -> float:
        if self.threshold == "model":
            if model_threshold is None:
                raise PolicyError(f"policy {self.id} takes its threshold from the model, but no trained model is loaded; run `mining train`")
            return float(model_threshold)
        return float(self.threshold)


def load_policy(name_or_path: str | Path, policies_dir: Path) -> Policy:
    """Load ``policies_dir/<name>.yaml`` or a YAML file path; validates every field with a clear error."""
    path = Path(name_or_path)
    if not path.suffix:
        path = policies_dir / f"{name_or_path}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in policies_dir.glob("*.yaml")) if policies_dir.exists() else []
        raise PolicyError(f"no policy {str(name_or_path)!r}: {path} does not exist; known policies: {', '.join(known) or 'none'}")
    try:
        data = yaml.safe_load(path.read_text("utf-8")) or {}
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML ({exc})") from exc
    unknown = set(data) - POLICY_KEYS
    if unknown:
        raise PolicyError(f"{path}: unknown key(s) {sorted(unknown)}; a policy has {sorted(POLICY_KEYS)}")

    def need(section: str, key: str) -> Any:
        try:
            return data[section][key]
        except (KeyError, TypeError):
            raise PolicyError(f"{path}: missing `{section}.{key}`; see rules/policies/report.yaml for the fields") from None

    band = need("model", "band")
    threshold = need("model", "threshold")
    if not (isinstance(band, list) and len(band) == 2 and 0 <= band[0] <= band[1] <= 1):
        raise PolicyError(f"{path}: `model.band` must be [low, high] with 0 <= low <= high <= 1, got {band!r}")
    if threshold != "model" and not (isinstance(threshold, (int, float)) and 0 < threshold < 1):
        raise PolicyError(f"{path}: `model.threshold` must be a probability in (0, 1) or 'model', got {threshold!r}")
    for key in ("score", "doubt_below"):
        value = need("rules", key)
        if not (isinstance(value, (int, float)) and 0 <= value <= 1):
            raise PolicyError(f"{path}: `rules.{key}` must be in [0, 1], got {value!r}")
    return Policy(
        name=str(data.get("name") or path.stem),
        version=str(data.get("version") or "0"),
        code_decides=bool(need("patents", "code_decides")),
        rules_decide=bool(need("rules", "sufficient_decides")),
        rules_score=float(need("rules", "score")),
        doubt_below=float(need("rules", "doubt_below")),
        threshold=threshold,
        band=(float(band[0]), float(band[1])),
        source=str(path),
    )


@dataclass
class Evidence:
    """What the cheap layers found for one record (rule ids only; spans live in the rule hits)."""

    kind: str = "paper"
    codes: Sequence[str] = ()            # patent code rules that fired
    sufficient: Sequence[str] = ()       # rules that count alone
    context_ok: Sequence[str] = ()       # context rules with their context present
    context_missing: Sequence[str] = ()  # context rules that fired without context
    excluded: Sequence[str] = ()         # rules whose hit sits in a non-AI sense
    exclusions: Sequence[str] = ()       # exclusion rules that fired

    @property
    def rules_positive(self) -> list[str]:
        return list(dict.fromkeys([*self.sufficient, *self.context_ok]))


@dataclass
class Decision:
    is_ai: bool
    score: float
    borderline: bool
    decided_by: str  # "code" | "rules" | "model" | "none"
    reasons: dict[str, Any] = field(default_factory=dict)


def needs_model(policy: Policy, evidence: Evidence) -> bool:
    """Whether the model's probability can matter for this record under ``policy``.

    Patents decided by code never need it. Under a policy where rules decide, a rules-positive record
    needs only the cheap lexical probability (to flag doubt), never the embedding.
    """
    return not (policy.code_decides and evidence.kind == "patent" and evidence.codes)


def needs_embedding(policy: Policy, evidence: Evidence) -> bool:
    """Whether the (slow) embedding model may change this record's decision."""
    if not needs_model(policy, evidence):
        return False
    return not (policy.rules_decide and evidence.rules_positive)


def decide(policy: Policy, evidence: Evidence, p_model: float | None, model_threshold: float | None = None) -> Decision:
    """Apply ``policy`` to one record's evidence and model probability (None when not computed)."""
    threshold = policy.resolved_threshold(model_threshold)
    low, high = policy.band
    reasons: dict[str, Any] = {"policy": policy.id, "p_model": None if p_model is None else round(float(p_model), 4),
                               "threshold": threshold}
    if evidence.codes:
        reasons["codes"] = list(evidence.codes)
    for name in ("sufficient", "context_ok", "context_missing", "excluded", "exclusions"):
        values = list(getattr(evidence, name))
        if values:
            reasons[name] = values
    why: list[str] = []

    if policy.code_decides and evidence.kind == "patent" and evidence.codes:
        reasons["branch"] = "patent has an AI classification code"
        return Decision(True, max(policy.rules_score, p_model or 0.0), False, "code", reasons)

    positive = evidence.rules_positive
    if policy.rules_decide and positive:
        reasons["branch"] = "keyword rule(s) count as AI under this policy"
        score = max(policy.rules_score, p_model or 0.0)
        if p_model is not None and p_model < policy.doubt_below:
            why.append(f"rules say AI but the model gives {p_model:.2f} < {policy.doubt_below}")
        if why:
            reasons["borderline_why"] = why
        return Decision(True, score, bool(why), "rules", reasons)

    if p_model is None:
        reasons["branch"] = "no rule decided and no model probability"
        return Decision(False, 0.0, False, "none", reasons)

    is_ai = p_model >= threshold
    reasons["branch"] = "model probability against the threshold"
    if low <= p_model <= high:
        why.append(f"score {p_model:.2f} inside the uncertainty band [{low}, {high}]")
    if positive and not is_ai:
        why.append(f"rule(s) {', '.join(positive)} say AI but the model says not ({p_model:.2f})")
    if not positive and is_ai and (evidence.excluded or evidence.exclusions):
        why.append("the model says AI but the only keyword hits are in a non-AI sense")
    if evidence.context_missing and not is_ai and p_model >= low / 2:
        why.append(f"ambiguous term(s) {', '.join(evidence.context_missing)} without AI context")
    if why:
        reasons["borderline_why"] = why
    return Decision(bool(is_ai), float(p_model), bool(why), "model", reasons)


def evidence_from(row: Mapping[str, Any], codes: Sequence[str] = ()) -> Evidence:
    """Evidence from a rule-engine output row (columns sufficient, context_ok, ...) and code hits."""

    def ids(name: str) -> list[str]:
        value = row.get(name)
        return [] if value is None else [str(v) for v in value]

    return Evidence(
        kind=str(row.get("kind") or "paper"),
        codes=list(codes),
        sufficient=ids("sufficient"),
        context_ok=ids("context_ok"),
        context_missing=ids("context_missing"),
        excluded=ids("excluded"),
        exclusions=ids("exclusions"),
    )
