"""Drift on real MovieLens ratings: a broken export is blocked, a re-run passes."""

from __future__ import annotations

import polars as pl
import pytest

from quality import drift


@pytest.fixture(scope="module")
def ratings(movielens_frame) -> pl.DataFrame:
    return movielens_frame.select(
        pl.col("userId").alias("user_id"), pl.col("movieId").alias("item_id"), "rating"
    )


def _compare(reference: pl.DataFrame, current: pl.DataFrame) -> drift.DriftResult:
    return drift.compare(
        drift.input_profile(reference), drift.input_profile(current), drift.INPUT_FEATURES
    )


def test_an_unchanged_rerun_passes(ratings) -> None:
    result = _compare(ratings, ratings)
    outcome = drift.gate_result(result.table)
    assert outcome.passed and outcome.value == 0
    assert result.drifted() == [] and drift.warn_result(result.table).passed
    assert set(result.table["feature"]) == {
        "rating",
        "user_activity",
        "item_popularity",
        "removed_users",
        "new_users",
        "removed_movies",
        "new_movies",
    }
    assert set(result.snapshots) == set(drift.INPUT_FEATURES)


def test_every_rating_at_the_top_of_the_scale_is_blocked(ratings) -> None:
    result = _compare(ratings, ratings.with_columns(pl.lit(5.0).alias("rating")))
    outcome = drift.gate_result(result.table)
    assert not outcome.passed
    assert outcome.details["blocked_features"] == ["rating"]
    # 100k ratings: evidently picks a distance, not a p-value, and it is far past the gate.
    assert "Wasserstein" in outcome.details["methods"]["rating"]
    assert outcome.details["statistics"]["rating"] > 0.3


def test_half_the_users_replaced_is_blocked(ratings) -> None:
    users = ratings["user_id"].unique().sort()
    gone = users.head(users.len() // 2)
    offset = int(users.max()) + 1
    current = ratings.with_columns(
        pl.when(pl.col("user_id").is_in(gone.implode()))
        .then(pl.col("user_id") + offset)
        .otherwise(pl.col("user_id"))
        .alias("user_id")
    )
    outcome = drift.gate_result(_compare(ratings, current).table)
    assert not outcome.passed
    assert set(outcome.details["blocked_features"]) == {"removed_users"}
    assert outcome.details["statistics"]["removed_users"] == pytest.approx(0.5, abs=0.01)


def test_a_small_shift_warns_without_blocking(ratings) -> None:
    # Every 20th rating a star lower: evidently notices nothing past the gate.
    shifted = (
        ratings.with_row_index()
        .with_columns(
            pl.when(pl.col("index") % 20 == 0)
            .then((pl.col("rating") - 1.0).clip(0.5, 5.0))
            .otherwise(pl.col("rating"))
            .alias("rating")
        )
        .drop("index")
    )
    table = _compare(ratings, shifted).table
    assert drift.gate_result(table).passed
    row = table.filter(pl.col("feature") == "rating").row(0, named=True)
    assert 0 < row["statistic"] < row["gate_threshold"]


def test_forced_publish_passes_and_says_so(ratings) -> None:
    table = _compare(ratings, ratings.with_columns(pl.lit(5.0).alias("rating"))).table
    outcome = drift.gate_result(table, forced=True)
    assert outcome.passed and outcome.details["forced"] and outcome.value == 1


def test_nothing_published_is_the_baseline(ratings) -> None:
    result = drift.compare(None, drift.input_profile(ratings), drift.INPUT_FEATURES)
    outcome = drift.gate_result(result.table)
    assert result.baseline and outcome.passed and outcome.details == {"baseline": True}


def test_output_profile_counts_coverage_and_popularity(ratings) -> None:
    inputs = drift.input_profile(ratings)
    recs = pl.DataFrame(
        {"user_id": [1, 1, 2], "item_id": [1, 2, 1], "score": [0.9, 0.5, 0.7]},
    )
    profile = drift.output_profile(recs, inputs)
    coverage = profile.filter(pl.col("feature") == "rec_coverage")["value"].item()
    assert coverage == pytest.approx(2 / ratings["item_id"].n_unique())
    pop = profile.filter(pl.col("feature") == "rec_item_popularity")["value"].to_list()
    counts = dict(ratings.group_by("item_id").len().iter_rows())
    assert pop == [counts[1], counts[2], counts[1]]
