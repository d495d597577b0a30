"""Decision policies: loading and validation, and every branch of the two shipped policies."""

from __future__ import annotations

from pathlib import Path

import pytest

from mining.classify.policy import Evidence, PolicyError, decide, load_policy, needs_embedding, needs_model
from mining.config import PROJECT_ROOT

POLICIES = PROJECT_ROOT / "rules" / "policies"


@pytest.fixture
def report():
    return load_policy("report", POLICIES)


@pytest.fixture
def cset():
    return load_policy("cset", POLICIES)


def test_shipped_policies_load(report, cset) -> None:
    assert report.name == "report" and report.rules_decide and report.threshold == 0.5
    assert cset.name == "cset" and not cset.rules_decide and cset.threshold == "model"


def test_patent_with_ai_code_is_ai_by_code_and_needs_no_model(report) -> None:
    evidence = Evidence(kind="patent", codes=["ipc.g06n"])
    assert not needs_model(report, evidence) and not needs_embedding(report, evidence)
    decision = decide(report, evidence, None)
    assert (decision.is_ai, decision.decided_by, decision.borderline) == (True, "code", False)
    assert decision.reasons["codes"] == ["ipc.g06n"]


def test_report_rules_decide_and_model_doubt_makes_borderline(report) -> None:
    evidence = Evidence(sufficient=["tech.deep_learning"])
    assert needs_model(report, evidence) and not needs_embedding(report, evidence)
    sure = decide(report, evidence, 0.62)
    assert (sure.is_ai, sure.decided_by, sure.borderline, sure.score) == (True, "rules", False, 0.9)
    doubt = decide(report, evidence, 0.04)
    assert doubt.is_ai and doubt.borderline and "0.04" in doubt.reasons["borderline_why"][0]


def test_cset_rules_never_decide(cset) -> None:
    evidence = Evidence(sufficient=["nn.neural_network"])
    assert needs_embedding(cset, evidence)
    decision = decide(cset, evidence, 0.2, model_threshold=0.41)
    assert (decision.is_ai, decision.decided_by) == (False, "model")
    assert decision.borderline and any("say AI" in why for why in decision.reasons["borderline_why"])
    assert decide(cset, Evidence(), 0.45, model_threshold=0.41).is_ai


def test_cset_needs_a_model_threshold(cset) -> None:
    with pytest.raises(PolicyError, match="mining train"):
        decide(cset, Evidence(), 0.5)


def test_model_branch_band_and_exclusions(report) -> None:
    inside = decide(report, Evidence(), 0.55)
    assert inside.is_ai and inside.borderline and "band" in inside.reasons["borderline_why"][0]
    clear_no = decide(report, Evidence(), 0.02)
    assert not clear_no.is_ai and not clear_no.borderline
    excluded = decide(report, Evidence(excluded=["nn.transformer"], exclusions=["excl.power_transformer"]), 0.8)
    assert excluded.is_ai and excluded.borderline and "non-AI sense" in excluded.reasons["borderline_why"][0]
    ambiguous = decide(report, Evidence(context_missing=["tools.gpu"]), 0.2)
    assert not ambiguous.is_ai and ambiguous.borderline


def test_no_evidence_and_no_model_is_not_ai(report) -> None:
    decision = decide(report, Evidence(), None)
    assert (decision.is_ai, decision.decided_by) == (False, "none")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\nversion: 1\npatents: {code_decides: true}\nrules: {sufficient_decides: true, score: 0.9, doubt_below: 0.1}\nmodel: {threshold: 1.5, band: [0.3, 0.7]}\n", "model.threshold"),
        ("name: x\nversion: 1\npatents: {code_decides: true}\nrules: {sufficient_decides: true, score: 0.9, doubt_below: 0.1}\nmodel: {threshold: 0.5, band: [0.7, 0.3]}\n", "model.band"),
        ("name: x\nversion: 1\npatents: {code_decides: true}\nrules: {sufficient_decides: true, score: 0.9}\nmodel: {threshold: 0.5, band: [0.3, 0.7]}\n", "rules.doubt_below"),
        ("name: x\nthresold: 0.5\n", "thresold"),
    ],
)
def test_bad_policy_files_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError, match=message):
        load_policy(path, POLICIES)


def test_unknown_policy_lists_known_ones() -> None:
    with pytest.raises(PolicyError, match="cset, report"):
        load_policy("nonsense", POLICIES)
