"""``tune``: the protocol's validation split, a hard time budget and a deterministic user
sample, on a real sample of ml-latest-small: 40 users, their ratings of the 300 movies they
rated most."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from ml.data.readers import load_movielens
from ml.recsys.evaluation import (
    SEARCH_SPACES,
    evaluate_model,
    make_split,
    sample_users,
    tune,
)
from ml.recsys.interactions import build_interactions
from ml.recsys.models import build

#: SASRec that never ends on its own: it can only stop at a deadline.
ENDLESS = {"epochs": 100_000, "patience": 100_000, "dim": 16, "blocks": 1, "max_len": 20}


@pytest.fixture(scope="module")
def ratings(sample_release: Path) -> pl.DataFrame:
    """The sample's ratings of its 300 most-rated movies: EASE inverts a 300 x 300 matrix."""
    frame = load_movielens(sample_release).ratings
    top = frame.group_by("item_id").len().sort(["len", "item_id"], descending=True).head(300)
    return frame.join(top.select("item_id"), on="item_id", how="semi")


def test_temporal_tuning_validates_on_each_users_last_rating(ratings) -> None:
    lines: list[str] = []
    table = tune(ratings, models=["popularity", "ease"], protocol="temporal", log=lines.append)
    assert table["protocol"].unique().to_list() == ["temporal"]
    assert "skipped" not in table.columns or table["skipped"].null_count() == table.height
    # Leave-last-out: one held-out rating per user, the latest, so HR@10 equals recall@10.
    split = make_split(ratings, "temporal")
    latest = ratings.group_by("user_id").agg(pl.col("timestamp").max())
    assert split.test_frame.height == ratings["user_id"].n_unique()
    assert split.test_frame.join(latest, on=["user_id", "timestamp"], how="anti").height == 0
    first = table.filter(pl.col("model") == "ease").row(0, named=True)
    assert json.loads(first["params"]) == SEARCH_SPACES["ease"][0]
    expected = evaluate_model("ease", SEARCH_SPACES["ease"][0], split)
    assert first["ndcg@10"] == pytest.approx(expected["ndcg@10"])
    assert first["users"] == ratings["user_id"].n_unique()
    assert first["hit_rate@10"] == pytest.approx(first["recall@10"])
    assert any(line.startswith("[5/5] ease") for line in lines), lines
    assert lines[-1].startswith("tried 5 of 5 configurations")


def test_an_unknown_protocol_is_refused(ratings) -> None:
    with pytest.raises(ValueError, match="unknown protocol 'random'"):
        tune(ratings, models=["popularity"], protocol="random")


def test_a_spent_budget_records_every_configuration_as_skipped(ratings) -> None:
    table = tune(ratings, models=["popularity", "ease"], budget_seconds=0.0)
    assert table.height == 1 + len(SEARCH_SPACES["ease"])
    assert table["skipped"].to_list() == ["time budget spent"] * table.height
    assert "ndcg@10" not in table.columns


def test_a_torch_model_stops_at_its_share_of_the_budget(ratings, monkeypatch) -> None:
    monkeypatch.setitem(SEARCH_SPACES, "sasrec", [ENDLESS, {**ENDLESS, "dim": 32}])
    table = tune(ratings, models=["popularity", "sasrec"], protocol="temporal", budget_seconds=3)
    tried = table.filter(pl.col("skipped").is_null())
    assert tried["model"].to_list() == ["popularity", "sasrec"]
    sasrec = tried.row(1, named=True)
    assert sasrec["stopped_at_deadline"] is True and sasrec["ndcg@10"] is not None
    skipped = table.filter(pl.col("skipped").is_not_null())
    assert skipped["model"].to_list() == ["sasrec"]
    assert json.loads(skipped["params"][0]) == {**ENDLESS, "dim": 32}


@pytest.mark.parametrize("name", ["sasrec", "lightgcn", "neumf", "multvae"])
def test_a_past_deadline_stops_training_before_the_first_batch(ratings, name) -> None:
    data = build_interactions(ratings)
    model = build(name, {"epochs": 1000}).fit_interactions(data, deadline=time.monotonic() - 1)
    assert model.stopped_at_deadline
    items, _ = model.recommend(data.matrix, 10)
    assert items.shape == (data.shape[0], 10)


def test_the_user_sample_is_drawn_by_seed_among_users_with_validation_items(ratings) -> None:
    split = make_split(ratings, "stratified", seed=1)
    with_items = set(np.flatnonzero(np.diff(split.test.matrix.indptr) > 0).tolist())
    once, again = sample_users(split, 10, seed=5), sample_users(split, 10, seed=5)
    np.testing.assert_array_equal(once, again)
    assert len(set(once.tolist())) == 10 and set(once.tolist()) <= with_items
    assert not np.array_equal(once, sample_users(split, 10, seed=6))
    assert sample_users(split, len(with_items), seed=5) is None
    assert sample_users(split, None) is None


def test_tuning_on_a_user_sample_scores_only_those_users(ratings) -> None:
    first, second = (tune(ratings, models=["ease"], validation_users=12) for _ in range(2))
    assert first["users"].to_list() == [12] * first.height
    assert first["ndcg@10"].to_list() == second["ndcg@10"].to_list()
    split = make_split(ratings, "stratified")
    rows = sample_users(split, 12, seed=42)
    expected = evaluate_model("ease", SEARCH_SPACES["ease"][0], split, users=rows)
    assert first["ndcg@10"][0] == pytest.approx(expected["ndcg@10"])
