"""The AI classifier: CSET text normalisation, labelled-file loading, the fixed split, the estimator
(with a fake embedder), save/load, the embedding cache, and the real packaged MiniLM."""

from __future__ import annotations

import hashlib
import json
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mining.classify.embed import CachedEmbedder, Embedder, EmbeddingCache, embed_cached
from mining.classify.labels import LabelFileError, cset_split, load_labelled, parse_label
from mining.classify.model import AIClassifier, best_f1_threshold, select_embedding_subset
from mining.classify.text import normalise_string, normalise_text, text_hash

LABELS = Path(__file__).resolve().parent / "fixtures" / "labels"
DEV = LABELS / "cset_arxiv_ai_binary_10pct_dev.jsonl"
MICRO = LABELS / "cset_micro_sample_train_head.jsonl"
UNION = LABELS / "arxiv_union_sample.jsonl"
AUDIT = LABELS / "audit_sample.csv"


class FakeEmbedder:
    """A tiny deterministic embedder (hashed bag of words, 32-d, unit length) that counts its work."""

    model_id = "fake-bow-32"

    def __init__(self) -> None:
        self.calls = 0
        self.texts_embedded = 0

    def embed(self, texts):
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), 32), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.split():
                out[i, zlib.crc32(word.encode()) % 32] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def _cases(kind: str) -> list[dict]:
    rows = [json.loads(line) for line in (LABELS / "normalise_cases.jsonl").read_text("utf-8").splitlines()]
    return [r for r in rows if r["kind"] == kind]


# ---------------------------------------------------------------- text


def test_normalise_text_reproduces_a_cset_record_exactly():
    (case,) = _cases("record")
    assert normalise_text(case["title"], case["abstract"]) == case["cset"]


@pytest.mark.parametrize("case", _cases("sentence") + _cases("title"), ids=lambda c: c["raw"][:30])
def test_normalise_matches_cset_on_real_sentences(case):
    assert normalise_string(case["raw"]) == case["cset"]


def test_normalise_is_idempotent_on_cset_texts():
    for path in (DEV, MICRO):
        for line in path.read_text("utf-8").splitlines():
            text = json.loads(line)["text"]
            assert normalise_string(text) == text


def test_normalise_rules_seen_in_cset_texts():
    # Patterns read off CSET's texts (e.g. "k ahler", "x10^", "word2vec", "mcnpx2.7.0", "i.e.").
    assert normalise_string('K\\"ahler manifolds') == "k ahler manifolds"
    assert normalise_string("a rate of $3\\times 10^{-5}$ per 24.4s, i.e. fast") == "a rate of times ^ per .4s i.e. fast"
    assert normalise_string("3D word2vec MCNPX2.7.0 in 2019") == "3d word2vec mcnpx2.7.0 in"
    assert normalise_string("Schrödinger’s cat") == "schrodinger s cat"
    assert normalise_text("Deep Learning?", "We train a CNN.") == "deep learning . we train a cnn."
    assert normalise_text("Only a title", None) == "only a title"
    assert normalise_text(None, "") == ""


def test_text_hash_is_sha1_of_utf8():
    assert text_hash("deep learning") == hashlib.sha1(b"deep learning").hexdigest()
    assert text_hash("a") != text_hash("b")


# -------------------------------------------------------------- labels


def test_load_labelled_reads_the_three_shapes():
    frame = load_labelled([DEV, MICRO, UNION, AUDIT])
    assert list(frame.columns) == ["id", "text", "label", "year", "source_file"]
    counts = frame.groupby("source_file")["label"].agg(["size", "sum"])
    assert counts.loc[DEV.name].tolist() == [40, 4]
    assert counts.loc[MICRO.name].tolist() == [40, 4]
    assert counts.loc[UNION.name].tolist() == [360, 140]
    assert counts.loc[AUDIT.name].tolist() == [10, 4]
    assert frame["label"].dtype == bool
    assert str(frame["year"].dtype) == "Int64"
    assert frame.loc[frame["source_file"] != AUDIT.name, "year"].notna().all()  # the audit file has no year
    union = frame[frame["source_file"] == UNION.name]
    # Raw arXiv text is brought to CSET's form: no capitals, no LaTeX dollars, no commas.
    assert not union["text"].str.contains(r"[A-Z$,()]").any()
    assert frame.loc[frame["source_file"] == AUDIT.name, "id"].str.startswith("arxiv:").all()
    dev_first = json.loads(DEV.read_text("utf-8").splitlines()[0])
    assert frame.iloc[0]["id"] == dev_first["meta"]["id"] and frame.iloc[0]["text"] == dev_first["text"]


def test_load_labelled_generic_jsonl_with_text(tmp_path):
    path = tmp_path / "audit.jsonl"
    rows = [{"record_id": "r1", "label": "1", "text": "Deep Learning, for All"},
            {"record_id": "r2", "label": False, "title": "Lattice QCD", "abstract": "We compute."}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", "utf-8")
    frame = load_labelled([path])
    assert frame["label"].tolist() == [True, False]
    assert frame["text"].tolist() == ["deep learning for all", "lattice qcd. we compute."]
    assert frame["year"].isna().all()


def test_load_labelled_errors_are_clear(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"foo": 1}\n', "utf-8")
    with pytest.raises(LabelFileError, match="unknown labelled-file shape"):
        load_labelled([bad])
    with pytest.raises(LabelFileError, match="no such labelled file"):
        load_labelled([tmp_path / "missing.jsonl"])
    assert parse_label("not_ai") is False and parse_label("AI") is True
    with pytest.raises(ValueError):
        parse_label("maybe")


def test_cset_split_is_deterministic_and_disjoint():
    frame = load_labelled([DEV, MICRO, UNION])
    split = cset_split(frame)
    assert set(split) == {"train", "tune", "test"}
    dev = frame["source_file"] == DEV.name
    expected = frame.loc[dev, "id"].map(lambda i: "test" if int(hashlib.sha1(i.encode()).hexdigest(), 16) % 2 else "tune")
    assert (split[dev] == expected).all()
    assert (split[~dev] == "train").all()
    tune, test = set(frame.loc[split == "tune", "id"]), set(frame.loc[split == "test", "id"])
    assert tune and test and not tune & test
    # Order does not matter: the split is a function of the id (and the file).
    shuffled = frame.sample(frac=1.0, random_state=3)
    assert cset_split(shuffled).sort_index().equals(split.sort_index())
    # A training record that shares an id with the dev file is never trained on.
    leaked = pd.concat([frame, frame[dev].head(1).assign(source_file="other.jsonl")], ignore_index=True)
    assert cset_split(leaked).iloc[-1] == "excluded"


# ----------------------------------------------------------- estimator


@pytest.fixture(scope="module")
def fitted():
    frame = load_labelled([DEV, MICRO, UNION])
    rng = np.random.RandomState(0)
    holdout = np.zeros(len(frame), dtype=bool)
    for label in (True, False):
        idx = np.flatnonzero(frame["label"].to_numpy() == label)
        holdout[rng.choice(idx, size=len(idx) // 4, replace=False)] = True
    train, test = frame[~holdout], frame[holdout]
    embedder = FakeEmbedder()
    model = AIClassifier(embedder=embedder, min_df=1, max_features=20_000, lexical_Cs=(1.0, 4.0),
                         embedding_Cs=(1.0,), embedding_mlp_alphas=(1e-2,), cv_folds=3, random_state=0)
    model.fit(train["text"].tolist(), train["label"].to_numpy())
    return model, embedder, test


def test_estimator_learns_and_beats_a_trivial_baseline(fitted):
    model, _, test = fitted
    y = test["label"].to_numpy()
    predicted = model.predict(test["text"].tolist())
    tp = int((predicted & y).sum())
    f1 = 2 * tp / (predicted.sum() + y.sum())
    baseline = 2 * y.mean() / (1 + y.mean())  # F1 of "everything is AI"
    assert f1 > baseline + 0.15, (f1, baseline)
    proba = model.predict_proba(test["text"].tolist())
    assert proba.shape == (len(test), 2) and np.allclose(proba.sum(axis=1), 1)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert 0 < model.threshold_ < 1 and model.band_low_ <= model.threshold_ <= model.band_high_
    assert model.lexical_C_ in (1.0, 4.0)


def test_cascade_embeds_only_records_in_the_band(fitted):
    model, _, test = fitted
    texts = test["text"].tolist()
    counter = FakeEmbedder()
    p_final, used, p_lex, p_emb = model.predict_proba_cascade(texts, counter)
    assert used.tolist() == model.needs_embedding(p_lex).tolist()
    assert counter.texts_embedded == int(used.sum())
    assert np.isnan(p_emb[~used]).all() and not np.isnan(p_emb[used]).any()
    assert np.array_equal(p_final[~used], p_lex[~used])
    embed_all = model.predict_proba_embed_all(texts, embeddings_provider=FakeEmbedder())
    assert np.allclose(p_final[used], embed_all[used])
    assert model.predict_proba_cascade([], counter)[0].shape == (0,)


def test_fit_validates_its_input():
    with pytest.raises(ValueError, match="both classes"):
        AIClassifier(embedder=FakeEmbedder()).fit(["a b", "c d"], [True, True])
    with pytest.raises(ValueError, match="needs an embedder"):
        AIClassifier().fit(["a b", "c d"], [True, False])
    with pytest.raises(TypeError):
        AIClassifier(embedder=FakeEmbedder()).fit("one string", [True])


def test_save_load_round_trips_predictions(fitted, tmp_path):
    model, _, test = fitted
    texts = test["text"].tolist()
    before = model.predict_proba_cascade(texts, FakeEmbedder())
    model.save(tmp_path)
    meta = json.loads((tmp_path / "classifier.json").read_text("utf-8"))
    assert meta["embedding_model_id"] == "fake-bow-32" and meta["threshold"] == model.threshold_
    assert meta["band"] == [model.band_low_, model.band_high_]
    assert model.embedder is not None  # saving does not strip the live object
    loaded = AIClassifier.load(tmp_path, embedder=FakeEmbedder())
    after = loaded.predict_proba_cascade(texts)
    for a, b in zip(before, after):
        assert np.array_equal(a, b, equal_nan=True)
    assert np.array_equal(loaded.predict(texts), model.predict(texts))

    class Other(FakeEmbedder):
        model_id = "another-model"

    with pytest.raises(ValueError, match="trained on embeddings"):
        AIClassifier.load(tmp_path, embedder=Other())


def test_helpers():
    y = np.array([1, 1, 0, 0, 1, 0], dtype=bool)
    threshold, f1 = best_f1_threshold(y, np.array([0.9, 0.8, 0.7, 0.2, 0.6, 0.1]))
    assert f1 == pytest.approx(6 / 7) and 0.2 < threshold < 0.6
    subset = select_embedding_subset(np.array([1, 0, 0, 0, 1, 0, 0, 0], dtype=bool), 1.0, None, 0)
    assert len(subset) == 4 and set(subset[:2]) == {0, 4}
    bigger = select_embedding_subset(np.array([1, 0, 0, 0, 1, 0, 0, 0], dtype=bool), 2.0, None, 0)
    assert set(subset) <= set(bigger)


# --------------------------------------------------------------- cache


def test_cache_returns_stored_vectors_and_embeds_only_misses(tmp_path):
    cache = EmbeddingCache(tmp_path / "emb")
    fake = FakeEmbedder()
    first = embed_cached(fake, ["alpha beta", "gamma", "alpha beta"], cache, chunk_size=1)
    assert fake.texts_embedded == 2  # the duplicate is embedded once
    assert first.shape == (3, 32) and np.array_equal(first[0], first[2])
    again = embed_cached(fake, ["gamma", "alpha beta"], cache)
    assert fake.texts_embedded == 2 and np.array_equal(again, first[[1, 0]])
    mixed = embed_cached(fake, ["gamma", "delta"], cache)
    assert fake.texts_embedded == 3 and np.array_equal(mixed[0], first[1])
    # A fresh cache object reads the part files; nothing half-written is left behind.
    reopened = EmbeddingCache(tmp_path / "emb")
    stored = reopened.get_many(fake.model_id, [text_hash("alpha beta"), text_hash("zeta")])
    assert list(stored) == [text_hash("alpha beta")] and np.array_equal(stored[text_hash("alpha beta")], first[0])
    assert reopened.get_many("other-model", [text_hash("gamma")]) == {}
    assert not list((tmp_path / "emb").glob(".*tmp")) and len(list((tmp_path / "emb").glob("part-*.parquet"))) == 3
    wrapped = CachedEmbedder(fake, reopened)
    assert wrapped.model_id == fake.model_id
    assert np.array_equal(wrapped.embed(["delta"]), mixed[[1]]) and fake.texts_embedded == 3
    assert wrapped.stats == {"cache_hits": 1, "embedded": 0}


# ------------------------------------------------------------- training


def test_train_classifier_writes_artefact_and_model_card(tmp_path):
    from mining.classify.train import train_classifier

    # Real records rearranged: 180 union records written in CSET's shape under the dev file's name
    # (so they split into TUNE/TEST), the other 180 stay TRAIN with the micro-sample head.
    rows = [json.loads(line) for line in UNION.read_text("utf-8").splitlines()]
    dev = tmp_path / "cset_arxiv_ai_binary_10pct_dev.jsonl"
    dev.write_text("".join(json.dumps({"text": normalise_text(r["title"], r["abstract"]), "label": str(r["is_ai"]),
                                       "meta": {"id": r["arxiv_id"], "year": int(r["year"])}}) + "\n"
                           for r in rows[::2]), "utf-8")
    train = tmp_path / "union.jsonl"
    train.write_text("".join(json.dumps(r) + "\n" for r in rows[1::2]), "utf-8")
    fake = FakeEmbedder()
    card = train_classifier([train, MICRO, dev], tmp_path / "model", tmp_path / "cache", embedder=fake,
                            lexical_Cs=(1.0,), embedding_Cs=(1.0,), embedding_mlp_alphas=(), min_df=1,
                            max_features=20_000, cv_folds=3)
    out = tmp_path / "model"
    assert {p.name for p in out.iterdir()} == {"classifier.joblib", "classifier.json", "model_card.json", "MODEL_CARD.md"}
    saved = json.loads((out / "model_card.json").read_text("utf-8"))
    assert saved["split"]["tune"]["records"] + saved["split"]["test"]["records"] == 180
    assert saved["split"]["train"]["records"] == 220
    assert saved["thresholds"]["band"][0] <= saved["thresholds"]["threshold"] <= saved["thresholds"]["band"][1]
    assert card["training"]["texts_embedded_this_run"] == fake.texts_embedded > 0
    assert "TUNE metrics" in (out / "MODEL_CARD.md").read_text("utf-8")
    # TEST records were never embedded (nor read for fitting): only TRAIN subset + TUNE.
    n_tune = saved["split"]["tune"]["records"]
    assert fake.texts_embedded <= saved["training"]["n_embedding_train"] + n_tune
    model = AIClassifier.load(out, embedder=FakeEmbedder())
    assert model.predict(["deep neural networks for image classification"]).shape == (1,)


# ------------------------------------------------------------ real model


def test_packaged_minilm_embeds_offline():
    embedder = Embedder()
    assert embedder._model is None  # nothing loaded until first use
    assert embedder.model_id.startswith("all-MiniLM-L6-v2@gt-")
    vectors = embedder.embed(["deep neural networks for image classification",
                              "convolutional networks classify images",
                              "the thermal conductivity of copper alloys"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
