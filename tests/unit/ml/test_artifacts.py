"""The one artifact format (``arrays.npz`` + ``meta.json``), and the folders written before it
(one file set per class), which every class's ``load`` still reads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import scipy.sparse as sp

from ml import artifacts
from ml.content.embeddings import ContentEmbeddings, embed_items
from ml.hybrid.ranking import FEATURES, HybridParams, HybridRanker
from ml.recsys.interactions import Interactions, build_interactions
from ml.recsys.models import Recommender, build
from ml.recsys.models.mf import BiasedMf, BiasedMfParams
from ml.sentiment.models import SentimentModel, train_model

RATINGS = pl.DataFrame(
    {
        "user_id": [1, 1, 1, 2, 2, 3, 3, 3, 4, 4],
        "item_id": [10, 20, 30, 10, 40, 20, 30, 50, 40, 50],
        "rating": [5.0, 4.0, 1.0, 4.5, 5.0, 2.0, 3.0, 4.0, 3.5, 5.0],
        "timestamp": [1, 1, 7, 4, 5, 6, 6, 9, 2, 3],
    }
)
MOVIES = pl.DataFrame(
    {
        "item_id": [10, 20, 30, 40, 50],
        "genres": [["Drama"], ["Comedy"], ["Drama", "Comedy"], ["Horror"], ["Drama"]],
    }
)
TEXTS = [
    "a wonderful, moving film",
    "a dull and tedious mess",
    "superb acting and a lovely score",
    "boring, far too long",
    "a delight from start to finish",
    "an awful, lifeless script",
]
LABELS = [1, 0, 1, 0, 1, 0]


def assert_same_arrays(got: dict, expected: dict) -> None:
    assert set(got) == set(expected)
    for name, value in expected.items():
        if sp.issparse(value):
            assert sp.issparse(got[name]) and got[name].format == "csr", name
            assert got[name].shape == value.shape and got[name].dtype == value.dtype, name
            assert (got[name] != value).nnz == 0, name
        else:
            np.testing.assert_array_equal(got[name], value, err_msg=name)
            assert got[name].dtype == value.dtype, name


def test_dense_sparse_and_meta_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    arrays = {
        "vectors": rng.standard_normal((4, 3)).astype(np.float32),
        "ids": np.array([7, 3, 11, 2], dtype=np.int64),
        "flags": np.array([True, False]),
        "matrix": sp.random(5, 8, density=0.3, format="csr", dtype=np.float32, random_state=1),
        "empty": sp.csr_matrix((2, 6), dtype=np.float64),
        "tfidf.idf": np.linspace(0, 1, 5),
    }
    meta = {"name": "x", "params": {"l2": 10.0, "k": [1, 2]}, "metrics": {}, "n": np.int64(5)}
    out = artifacts.save(tmp_path / "a", {**arrays, "skipped": None}, meta)
    assert sorted(p.name for p in out.iterdir()) == [artifacts.ARRAYS, artifacts.META]
    got, got_meta = artifacts.load(tmp_path / "a")
    assert_same_arrays(got, arrays)
    assert got_meta == {**meta, "n": 5} and isinstance(got_meta["n"], int)
    assert artifacts.exists(tmp_path / "a") and artifacts.read_meta(tmp_path / "a") == got_meta
    # Never a pickle: the arrays load with pickles refused.
    with np.load(tmp_path / "a" / artifacts.ARRAYS, allow_pickle=False) as data:
        assert "matrix__csr__indptr" in data.files


def test_missing_artifact_is_named(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "artifact.json").write_text("{}")
    assert not artifacts.exists(tmp_path / "empty") and not artifacts.exists(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "empty")):
        artifacts.load(tmp_path / "empty")
    with pytest.raises(TypeError, match="cannot store"):
        artifacts.save(tmp_path / "bad", {}, {"object": object()})


def _old_layout(new: Path, old: Path, npz: str, json_name: str) -> dict:
    """Rewrite an artifact saved by ``ml.artifacts`` as the class wrote it before: one
    ``np.savez`` file and one JSON document. Returns the meta."""
    arrays, meta = artifacts.load(new)
    assert not any(sp.issparse(v) for v in arrays.values())
    old.mkdir()
    np.savez(old / npz, **arrays)
    (old / json_name).write_text(json.dumps(meta))
    return meta


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


@pytest.mark.parametrize(
    ("name", "params"),
    [("itemknn", {"neighbours": 3}), ("als", {"factors": 2, "iterations": 3})],
)
def test_a_recommender_in_the_old_layout_loads(tmp_path: Path, name: str, params: dict) -> None:
    data = build_interactions(RATINGS)
    model = build(name, params, seed=0).fit(data.matrix)
    model.metrics = {"ndcg@10": 0.25}
    model.save(tmp_path / "new")
    _old_layout(tmp_path / "new", tmp_path / "old", "state.npz", "model.json")
    assert _files(tmp_path / "old") == {"state.npz", "model.json"}
    loaded = Recommender.load(tmp_path / "old")
    assert type(loaded) is type(model) and loaded.params == model.params
    assert loaded.metrics == {"ndcg@10": 0.25} and loaded.n_items == model.n_items
    for got, expected in zip(loaded.recommend(data.matrix, k=3), model.recommend(data.matrix, k=3)):
        np.testing.assert_array_equal(got, expected)


def test_biased_mf_in_the_old_layout_loads(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    users, items = np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2])
    model = BiasedMf(BiasedMfParams(factors=2), seed=3)
    # Learned values set by hand: the format is under test, not torch's training loop.
    model.mu = 3.5
    model.pu, model.qi = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    model.bu, model.bi = rng.standard_normal(3), rng.standard_normal(3)
    model.save(tmp_path / "new")
    _old_layout(tmp_path / "new", tmp_path / "old", "state.npz", "model.json")
    loaded = BiasedMf.load(tmp_path / "old")
    assert loaded.params == model.params and loaded.seed == 3 and loaded.mu == 3.5
    np.testing.assert_array_equal(loaded.predict(users, items), model.predict(users, items))


def test_content_embeddings_in_the_old_layout_load(tmp_path: Path) -> None:
    emb = embed_items(np.array([10, 11, 12, 13]), TEXTS[:4], backend="tfidf-lsa", dim=2)
    emb.save(tmp_path / "new")
    _old_layout(tmp_path / "new", tmp_path / "old", "embeddings.npz", "embeddings.json")
    loaded = ContentEmbeddings.load(tmp_path / "old")
    assert loaded.backend == emb.backend and loaded.vocabulary == emb.vocabulary
    np.testing.assert_array_equal(loaded.item_ids, emb.item_ids)
    np.testing.assert_array_equal(loaded.vectors, emb.vectors)
    np.testing.assert_allclose(loaded.encode(["a moving score"]), emb.encode(["a moving score"]))


def test_hybrid_ranker_in_the_old_layout_loads(tmp_path: Path) -> None:
    n = len(FEATURES)
    ranker = HybridRanker(
        coef=np.linspace(-1, 1, n),
        intercept=0.25,
        mean=np.arange(n, dtype=np.float64),
        std=np.full(n, 2.0),
        params=HybridParams(n_cf=20, half_life_days=None),
        base_model="ease",
        base_params={"l2": 10.0},
        validation={"ndcg@10": 0.31},
    )
    ranker.save(tmp_path / "new")
    meta = _old_layout(tmp_path / "new", tmp_path / "old", "ranker.npz", "ranker.json")
    assert meta["weights"] == ranker.weights()
    loaded = HybridRanker.load(tmp_path / "old")
    assert (loaded.params, loaded.base_model, loaded.base_params, loaded.validation) == (
        ranker.params,
        "ease",
        {"l2": 10.0},
        {"ndcg@10": 0.31},
    )
    feats = np.random.default_rng(0).standard_normal((3, n))
    np.testing.assert_array_equal(loaded.score(feats), ranker.score(feats))


def test_sentiment_model_in_the_old_layout_loads(tmp_path: Path) -> None:
    model = train_model("tfidf_lr", TEXTS, LABELS, seed=0, inner_folds=2)
    model.save(tmp_path / "new")
    arrays, spec = artifacts.load(tmp_path / "new")
    vocabularies = spec.pop("vocabularies")
    assert vocabularies, "a TF-IDF model keeps its vocabulary"
    old = tmp_path / "old"
    old.mkdir()
    # Before ml.artifacts the model wrote arrays.npz too, beside model.json and one
    # <part>.vocabulary.json per TF-IDF part.
    np.savez(old / "arrays.npz", **arrays)
    (old / "model.json").write_text(json.dumps(spec))
    for part, vocabulary in vocabularies.items():
        (old / f"{part}.vocabulary.json").write_text(json.dumps(vocabulary))
    loaded = SentimentModel.load(old)
    assert loaded.kind == model.kind and set(loaded.parts) == set(model.parts)
    assert loaded.metrics == model.metrics
    np.testing.assert_array_equal(loaded.predict_proba(TEXTS), model.predict_proba(TEXTS))


def test_interactions_in_the_old_layout_load(tmp_path: Path) -> None:
    data = build_interactions(RATINGS, movies=MOVIES)
    assert data.sessions is not None and data.item_features is not None
    old = tmp_path / "old"
    old.mkdir()
    sp.save_npz(old / "matrix.npz", data.matrix)
    np.save(old / "user_ids.npy", data.user_ids)
    np.save(old / "item_ids.npy", data.item_ids)
    sp.save_npz(old / "sessions.npz", data.sessions)
    np.save(old / "session_users.npy", data.session_users)
    sp.save_npz(old / "item_features.npz", data.item_features)
    (old / "shape.json").write_text(json.dumps({"shape": list(data.shape), "nnz": data.nnz}))
    loaded = Interactions.load(old)
    data.save(tmp_path / "new")
    again = Interactions.load(tmp_path / "new")
    for back in (loaded, again):
        assert back.shape == data.shape and back.nnz == data.nnz
        assert_same_arrays(
            {n: getattr(back, n) for n in ("matrix", "sessions", "item_features")},
            {n: getattr(data, n) for n in ("matrix", "sessions", "item_features")},
        )
        for name in ("user_ids", "item_ids", "session_users"):
            np.testing.assert_array_equal(getattr(back, name), getattr(data, name))


def test_old_interactions_without_side_information_load(tmp_path: Path) -> None:
    data = build_interactions(RATINGS.drop("timestamp"))
    assert data.sessions is None and data.item_features is None
    sp.save_npz(tmp_path / "matrix.npz", data.matrix)
    np.save(tmp_path / "user_ids.npy", data.user_ids)
    np.save(tmp_path / "item_ids.npy", data.item_ids)
    (tmp_path / "shape.json").write_text(json.dumps({"shape": list(data.shape), "nnz": data.nnz}))
    loaded = Interactions.load(tmp_path)
    assert loaded.sessions is None and loaded.session_users is None
    assert loaded.item_features is None and (loaded.matrix != data.matrix).nnz == 0


def test_a_stray_json_is_not_an_artifact_and_clashing_old_arrays_are_refused(tmp_path) -> None:
    import json

    import numpy as np
    import pytest

    from ml import artifacts

    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "notes.json").write_text("{}")
    assert not artifacts.exists(stray)
    with pytest.raises(FileNotFoundError, match="no saved artifact"):
        artifacts.load(stray)

    clash = tmp_path / "clash"
    clash.mkdir()
    (clash / "model.json").write_text(json.dumps({"name": "x"}))
    np.savez(clash / "state.npz", item_ids=np.arange(3))
    np.save(clash / "item_ids.npy", np.arange(4))
    assert artifacts.exists(clash)
    with pytest.raises(ValueError, match="'item_ids' is stored twice"):
        artifacts.load(clash)
