"""The synthetic MovieLens-shaped releases: deterministic, read by the real ml-latest reader
without a quarantined row, MovieLens's scale and shapes, taste a collaborative model finds,
and labelled synthetic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from ml.data import formats, synthetic
from ml.data.files import Release
from ml.data.readers import load_movielens
from ml.recsys.interactions import build_interactions
from ml.recsys.metrics import ranking_metrics
from ml.recsys.models.neighbours import ItemKnnModel, PopularityModel
from ml.recsys.split import stratified_split

RATINGS = 40_000
#: The ml-latest genre names (formats.genre_list keeps them as they are).
LATEST_GENRES = set(synthetic.GENRES)


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return synthetic.write_release(tmp_path_factory.mktemp("syn") / "r", RATINGS, seed=3).path


@pytest.fixture(scope="module")
def data(release):
    return load_movielens(release)


def test_same_seed_same_bytes_other_seed_other_data(tmp_path, monkeypatch) -> None:
    # Small chunks, so that several of them (each with its own generator) are exercised.
    monkeypatch.setattr(synthetic, "CHUNK_RATINGS", 4_000)
    first = synthetic.write_release(tmp_path / "a", 20_000, seed=5)
    second = synthetic.write_release(tmp_path / "b", 20_000, seed=5)
    other = synthetic.write_release(tmp_path / "c", 20_000, seed=6)
    for name in ("ratings.csv", "movies.csv", "README.txt"):
        assert (first.path / name).read_bytes() == (second.path / name).read_bytes()
    assert (first.path / "ratings.csv").read_bytes() != (other.path / "ratings.csv").read_bytes()
    assert first.users == other.users and first.movies == other.movies


def test_the_real_reader_takes_every_row_on_its_fast_path(release, data) -> None:
    assert formats._fast_latest_ratings(Release(release), "ratings.csv") is not None
    users, movies = synthetic.default_sizes(RATINGS)
    assert data.dataset == "ml-latest" and data.rating_scale == formats.HALF_STARS
    assert data.quarantine.is_empty()
    assert data.ratings.height == data.rows_read["ratings"] == RATINGS
    assert data.movies.height == movies
    assert data.ratings["user_id"].n_unique() == users
    assert data.ratings["user_id"].min() == 1 and data.ratings["user_id"].max() == users
    assert data.ratings.select(pl.struct("user_id", "item_id").is_unique().all()).item()
    assert data.ratings["item_id"].is_in(data.movies["item_id"].implode()).all()


def test_half_star_scale_and_its_history(data) -> None:
    counts = dict(data.ratings["rating"].value_counts().iter_rows())
    assert set(counts) == {x / 2 for x in range(1, 11)}
    assert counts[4.0] == max(counts.values())
    half = data.ratings.filter(pl.col("rating") % 1 == 0.5)
    assert 0.15 < half.height / data.ratings.height < 0.4
    # Half stars came to MovieLens on 2003-02-12; no one used them before.
    assert half["timestamp"].min() >= synthetic.HALF_STARS_FROM
    mean = data.ratings["rating"].mean()
    assert 3.3 < mean < 3.8


def test_activity_and_popularity_are_heavy_tailed(data) -> None:
    per_user = data.ratings.group_by("user_id").len()["len"].sort(descending=True)
    assert per_user.min() >= synthetic.MIN_PER_USER
    assert per_user.max() > 10 * per_user.median()
    top_tenth = per_user.head(len(per_user) // 10).sum() / data.ratings.height
    assert top_tenth > 0.35
    per_movie = data.ratings.group_by("item_id").len()["len"].sort(descending=True)
    assert per_movie.head(len(per_movie) // 100).sum() / data.ratings.height > 0.05
    assert per_movie.max() > 10 * per_movie.median()


def test_ratings_come_in_rating_screen_sessions(data) -> None:
    stamps = data.ratings["timestamp"]
    assert stamps.min() >= synthetic.FIRST_DAY and stamps.max() <= synthetic.LAST_DAY
    same_second = data.ratings.group_by("user_id", "timestamp").len()["len"]
    assert same_second.filter(same_second > 1).sum() / data.ratings.height > 0.5
    days = data.ratings.group_by("user_id").agg(
        ((pl.col("timestamp").max() - pl.col("timestamp").min()) / 86_400).alias("days")
    )["days"]
    # Most users rate on one day or a few; some come back over years.
    assert days.median() < 60 and days.max() > 365


def test_a_collaborative_model_beats_popularity(data) -> None:
    train, test = stratified_split(data.ratings, seed=0)
    space = {c: np.unique(data.ratings[f"{c[:4]}_id"].to_numpy()) for c in ("user_ids", "item_ids")}
    x = build_interactions(train, **space)
    held = build_interactions(test, **space).matrix
    ndcg = {}
    for model in (PopularityModel(), ItemKnnModel()):
        items, _ = model.fit(x.matrix).recommend(x.matrix, 10)
        ndcg[model.name] = ranking_metrics(items, held, 10)["ndcg@10"]
    assert ndcg["itemknn"] > 1.2 * ndcg["popularity"] > 0


def test_titles_genres_and_the_synthetic_label(release, data) -> None:
    readme = (release / "README.txt").read_text()
    assert readme.startswith("SYNTHETIC") and "NOT MOVIELENS" in readme
    assert "benchmarks" in readme.lower()
    assert synthetic.is_synthetic(release) and not synthetic.is_synthetic(release.parent)
    assert data.movies["year"].null_count() < 0.01 * data.movies.height
    assert data.movies["year"].min() >= 1900 and data.movies["year"].max() <= 2019
    genres = set(data.movies["genres"].explode().drop_nulls())
    assert genres <= LATEST_GENRES and len(genres) > 10
    assert (data.movies["genres"].list.len() == 0).sum() > 0  # "(no genres listed)"


def test_sizes_can_be_chosen_and_must_fit(tmp_path) -> None:
    made = synthetic.write_release(tmp_path / "s", 5_000, users=50, movies=400, seed=1)
    frame = pl.read_csv(made.path / "ratings.csv")
    assert frame.height == 5_000 and frame["userId"].n_unique() == 50
    assert pl.read_csv(made.path / "movies.csv").height == 400
    assert np.all(frame.group_by("userId").len()["len"].to_numpy() <= 100)
    with pytest.raises(ValueError, match="do not fit"):
        synthetic.write_release(tmp_path / "t", 5_000, users=10, movies=400)
    with pytest.raises(ValueError, match="users <= ratings"):
        synthetic.write_release(tmp_path / "u", 10, users=20)
