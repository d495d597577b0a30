"""The classify stage on a real workspace: cascade, reuse of model scores, change report after a keyword
edit, explain, and the classify-text command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from mining.classify.explain import explain_work
from mining.classify.stage import CLASSIFICATION, MODEL_SCORES, RULE_HITS, classify_workspace
from mining.cli import app
from mining.config import PROJECT_ROOT, Config
from mining.ingest.runner import ingest_paths
from mining.pipeline import dedup_stage
from mining.store import Workspace

FIXTURES = Path(__file__).resolve().parent / "fixtures"
INPUTS = [FIXTURES / "wos" / "scientopy_wos_2026_04_02_4071.txt", FIXTURES / "ieee" / "litstudy_ieee_test.csv"]


class FakeScorer:
    """Deterministic stand-in for the trained classifier; counts what it is asked to compute."""

    model_version = "fake@1"
    threshold = 0.5

    def __init__(self) -> None:
        self.lexical_calls = 0
        self.refined = 0

    def lexical(self, texts):
        self.lexical_calls += len(texts)
        return np.array([0.55 if "network" in t else (0.9 if "learning" in t else 0.05) for t in texts])

    def uncertain(self, p_lex):
        return (np.asarray(p_lex) >= 0.3) & (np.asarray(p_lex) <= 0.7)

    def final_without_embedding(self, p_lex):
        return np.asarray(p_lex)

    def refine(self, texts, p_lex):
        self.refined += len(texts)
        return np.full(len(texts), 0.8), np.full(len(texts), 0.75)


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Workspace, Config]:
    rules = tmp_path / "rules"
    shutil.copytree(PROJECT_ROOT / "rules", rules)
    config = Config(workspace=tmp_path / "ws", rules_dir=rules)
    ws = Workspace(config.workspace)
    ingest_paths(INPUTS, ws)
    dedup_stage(ws, config)
    return ws, config


def test_cascade_embeds_only_where_it_can_change_the_answer(workspace) -> None:
    ws, config = workspace
    scorer = FakeScorer()
    result = classify_workspace(ws, config, "report", scorer)
    table = ws.read_table(CLASSIFICATION)
    assert result.works == len(table) == len(ws.read_table("works"))
    # rules-positive works are decided by rules: no embedding for them under the report policy
    assert not table.loc[table["decided_by"] == "rules", "used_embedding"].any()
    # every embedded work was inside the lexical band and not rules-positive
    embedded = table[table["used_embedding"]]
    assert scorer.refined == len(embedded) == result.embedded
    assert embedded["p_lex"].between(0.3, 0.7).all()
    assert (embedded["rules_positive"].map(len) == 0).all()
    assert set(table["decided_by"]) <= {"rules", "model", "code", "none"}
    hits = ws.read_table(RULE_HITS)
    assert set(hits["work_id"]) <= set(table["work_id"])


def test_keyword_edit_reports_flips_by_rule(workspace) -> None:
    ws, config = workspace
    classify_workspace(ws, config, "report", None)  # rules only, so every flip comes from the edit
    before = ws.read_table(CLASSIFICATION).set_index("work_id")
    only_dl = before[before["rules_positive"].map(lambda r: list(r) == ["tech.deep_learning"])]
    assert len(only_dl) >= 1, "the fixture has papers found by 'deep learning' alone"
    # an analyst narrows the deep-learning rule to one rare phrase: those works must lose that rule
    keywords = config.rules_dir / "keywords.yaml"
    text = keywords.read_text()
    assert "    terms_en: [deep learning]\n" in text
    keywords.write_text(text.replace("    terms_en: [deep learning]\n", "    terms_en: [deep learning hyperdimensional lattice]\n"))
    result = classify_workspace(ws, config, "report", None)
    assert result.rules_version != before["rules_version"].iloc[0]
    after = ws.read_table(CLASSIFICATION).set_index("work_id")
    assert not after.loc[only_dl.index, "is_ai"].any()
    changes = json.loads((ws.reports_dir / "classify-changes.json").read_text())
    assert changes["flipped_to_not_ai"] == len(only_dl) and changes["flipped_to_ai"] == 0
    assert changes["to_not_ai_by_rule_lost"]["tech.deep_learning"] == len(only_dl)
    assert {e["work_id"] for e in changes["examples_to_not_ai"]} <= set(only_dl.index)
    assert "tech.deep_learning" in (ws.reports_dir / "classify-changes.md").read_text()


def test_second_run_reuses_model_scores(workspace) -> None:
    ws, config = workspace
    first = FakeScorer()
    classify_workspace(ws, config, "report", first)
    assert first.lexical_calls > 0
    second = FakeScorer()
    result = classify_workspace(ws, config, "report", second)
    assert second.lexical_calls == 0 and second.refined == 0
    assert result.model_scores_reused == result.model_needed > 0
    assert len(ws.read_table(MODEL_SCORES)) == result.model_needed


def test_explain_finds_a_work_by_its_source_id(workspace) -> None:
    ws, config = workspace
    classify_workspace(ws, config, "report", FakeScorer())
    table = ws.read_table(CLASSIFICATION)
    rules_ai = table[table["decided_by"] == "rules"].iloc[0]
    works = ws.read_table("works").set_index("work_id")
    source_id = works.at[rules_ai["work_id"], "source_id"]
    report = explain_work(ws, source_id)
    assert report["work_id"] == rules_ai["work_id"] and report["is_ai"]
    assert report["rule_hits"] and all("[[" in h["context"] for h in report["rule_hits"])
    assert report["reasons"]["branch"].startswith("keyword rule")


def test_classify_text_reads_and_writes_json_lines() -> None:
    lines = [
        {"id": "a", "title": "Deep learning for crop yield prediction", "abstract": "We train a convolutional neural network."},
        {"id": "b", "title": "Oil-immersed power transformer winding fault diagnosis"},
        {"text": "market segmentation of retail customers"},
        {"id": "p", "kind": "patent", "title": "Image recognition device", "ipc": ["G06V 10/82"], "pub_date": "2023-05-02"},
    ]
    result = CliRunner().invoke(app, ["classify-text", "--no-model"], input="\n".join(json.dumps(x) for x in lines) + "\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [o["id"] for o in out] == ["a", "b", "3", "p"]
    assert out[0]["is_ai"] and out[0]["decided_by"] == "rules"
    assert not out[1]["is_ai"] and not out[2]["is_ai"]
    assert out[3]["is_ai"] and out[3]["decided_by"] == "code"
    assert set(out[0]) == {"id", "is_ai", "score", "borderline", "decided_by", "reasons", "topics"}


def test_classify_text_rejects_bad_lines() -> None:
    result = CliRunner().invoke(app, ["classify-text", "--no-model"], input='{"id": 1, "title": "x"}\nnot json\n')
    assert result.exit_code == 1 and "line 2" in result.output
