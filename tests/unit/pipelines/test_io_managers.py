"""The IO manager: tables as Parquet, dicts as JSON, models as folders; and model folders
whose ``artifact.json`` names a class where it lived before ml/ became domain packages."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl
import pytest

from assets.resources import CineHome
from ml import artifacts
from ml.content.embeddings import ContentEmbeddings
from ml.hybrid.ranking import FEATURES, HybridRanker
from ml.recsys.interactions import Interactions, build_interactions
from ml.recsys.models import build
from ml.recsys.models.neighbours import EaseModel
from ml.sentiment.models import SentimentModel, train_model
from pipelines.io_managers import _MOVED_MODULES, CineIOManager

RATINGS = pl.DataFrame(
    {
        "user_id": [1, 1, 1, 2, 2, 3, 3],
        "item_id": [10, 20, 30, 10, 40, 20, 30],
        "rating": [5.0, 4.0, 1.0, 4.5, 5.0, 2.0, 3.0],
        "timestamp": [1, 2, 3, 4, 5, 6, 7],
    }
)


def _manager(tmp_path: Path) -> CineIOManager:
    return CineIOManager(home=CineHome(path=str(tmp_path)))


def _load(manager: CineIOManager, asset: str):
    return manager.load_input(dg.build_input_context(asset_key=dg.AssetKey(asset)))


def _store(manager: CineIOManager, asset: str, value) -> None:
    manager.handle_output(dg.build_output_context(asset_key=dg.AssetKey(asset)), value)


def _old_recommender_folder(folder: Path, spec: str):
    """An EASE model saved as before ml.artifacts (state.npz + model.json) under ``spec``."""
    data = build_interactions(RATINGS)
    model = build("ease", {"l2": 10.0}).fit(data.matrix)
    model.save(folder / "new")
    state, meta = artifacts.load(folder / "new")
    old = folder / "models" / "recommender_model"
    old.mkdir(parents=True)
    np.savez(old / "state.npz", **state)
    (old / "model.json").write_text(json.dumps(meta))
    (old / "artifact.json").write_text(json.dumps({"class": spec}))
    return model, data


@pytest.mark.parametrize("spec", ["ml.models.base:Recommender", "ml.models.neighbours:EaseModel"])
def test_a_model_saved_before_the_move_loads(tmp_path: Path, spec: str) -> None:
    model, data = _old_recommender_folder(tmp_path, spec)
    loaded = _load(_manager(tmp_path), "recommender_model")
    assert type(loaded) is EaseModel and loaded.params == model.params
    np.testing.assert_array_equal(
        loaded.recommend(data.matrix, k=2)[0], model.recommend(data.matrix, k=2)[0]
    )


def _embeddings():
    vectors = np.eye(3, dtype=np.float32)
    return ContentEmbeddings(np.array([1, 2, 3]), vectors, "test")


def _ranker():
    n = len(FEATURES)
    return HybridRanker(coef=np.ones(n), intercept=0.0, mean=np.zeros(n), std=np.ones(n))


def _sentiment():
    texts = ["a wonderful film", "a dull mess", "superb acting", "boring and long"]
    return train_model("tfidf_lr", texts, [1, 0, 1, 0], seed=0, inner_folds=2)


@pytest.mark.parametrize(
    ("spec", "make", "cls"),
    [
        ("ml.interactions:Interactions", lambda: build_interactions(RATINGS), Interactions),
        ("ml.content:ContentEmbeddings", _embeddings, ContentEmbeddings),
        ("ml.ranking:HybridRanker", _ranker, HybridRanker),
        ("ml.sentiment_models:SentimentModel", _sentiment, SentimentModel),
    ],
)
def test_every_moved_class_is_found_under_its_old_module(tmp_path: Path, spec, make, cls) -> None:
    assert spec.partition(":")[0] in _MOVED_MODULES
    folder = tmp_path / "models" / "thing"
    make().save(folder)
    (folder / "artifact.json").write_text(json.dumps({"class": spec}))
    assert type(_load(_manager(tmp_path), "thing")) is cls


def test_every_moved_module_maps_to_one_that_imports() -> None:
    import importlib

    for old, new in _MOVED_MODULES.items():
        assert importlib.import_module(new).__name__ == new, old


def test_only_classes_of_the_library_are_rebuilt(tmp_path: Path) -> None:
    folder = tmp_path / "models" / "evil"
    folder.mkdir(parents=True)
    (folder / "artifact.json").write_text(json.dumps({"class": "os:system"}))
    with pytest.raises(ValueError, match="refusing to load os:system"):
        _load(_manager(tmp_path), "evil")


def test_tables_dicts_and_models_round_trip(tmp_path: Path) -> None:
    manager = _manager(tmp_path)
    _store(manager, "ratings", RATINGS)
    assert (tmp_path / "tables" / "ratings.parquet").exists()
    assert _load(manager, "ratings").equals(RATINGS)
    _store(manager, "model_selection", {"model": "ease", "params": {"l2": 10.0}})
    assert _load(manager, "model_selection") == {"model": "ease", "params": {"l2": 10.0}}
    model = build("ease", {"l2": 10.0}).fit(build_interactions(RATINGS).matrix)
    _store(manager, "recommender_model", model)
    _store(manager, "recommender_model", model)  # a second write replaces the first
    folder = tmp_path / "models" / "recommender_model"
    spec = json.loads((folder / "artifact.json").read_text())["class"]
    assert spec == "ml.recsys.models.neighbours:EaseModel"
    assert sorted(p.name for p in folder.parent.iterdir()) == ["recommender_model"]
    np.testing.assert_array_equal(_load(manager, "recommender_model").weights, model.weights)
    _store(manager, "nothing", None)
    with pytest.raises(FileNotFoundError, match="nothing has not been materialized"):
        _load(manager, "nothing")
    with pytest.raises(TypeError, match="cannot store a set"):
        _store(manager, "odd", {1, 2})
