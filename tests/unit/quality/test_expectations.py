"""Each expectation passes on good data and fails, with value and threshold, on bad data."""

from __future__ import annotations

import polars as pl

from quality import expectations as ex
from quality import recommendations as rx

RATINGS = pl.DataFrame(
    {
        "user_id": [1, 1, 2],
        "item_id": [10, 20, 10],
        "rating": [4.0, 3.5, 5.0],
        "timestamp": [1, 2, 3],
    },
)
MOVIES = pl.DataFrame(
    {"item_id": [10, 20], "title": ["A", "B"], "year": [1999, None], "genres": [["Drama"], []]},
    schema={"item_id": pl.Int64, "title": pl.Utf8, "year": pl.Int32, "genres": pl.List(pl.Utf8)},
)


def test_schema() -> None:
    assert ex.schema_matches(RATINGS, ex.RATINGS_COLUMNS)[0]
    assert ex.schema_matches(MOVIES, ex.MOVIES_COLUMNS)[0]
    passed, meta = ex.schema_matches(
        RATINGS.with_columns(pl.col("rating").cast(pl.Utf8)), ex.RATINGS_COLUMNS
    )
    assert not passed and meta["value"] == 1 and "rating" in meta["mismatched"][0]
    passed, meta = ex.schema_matches(RATINGS.drop("timestamp"), ex.RATINGS_COLUMNS)
    assert not passed and meta["value"] == 1


def test_range_nulls_uniqueness_and_references() -> None:
    assert ex.values_between(RATINGS, "rating", 0.5, 5.0)[0]
    passed, meta = ex.values_between(
        RATINGS.with_columns(pl.lit(7.0).alias("rating")), "rating", 0.5, 5.0
    )
    assert not passed and meta["value"] == 3 and "threshold" in meta
    passed, meta = ex.no_nulls(RATINGS.with_columns(pl.lit(None).alias("rating")), ["rating"])
    assert not passed and meta["nulls"] == {"rating": 3}
    passed, meta = ex.unique(
        pl.concat([RATINGS, RATINGS.head(1)]), ["user_id", "item_id", "timestamp"]
    )
    assert not passed and meta["value"] == 2
    assert ex.references(RATINGS, "item_id", MOVIES["item_id"])[0]
    passed, meta = ex.references(RATINGS, "item_id", MOVIES["item_id"].head(1))
    assert not passed and meta["value"] == 1
    assert not ex.not_empty(RATINGS.head(0))[0]


def test_quarantine_share_against_its_threshold() -> None:
    q = pl.DataFrame(
        {
            "table": ["ratings", "movies"],
            "source_file": ["f", "g"],
            "line": [2, 3],
            "reason": ["duplicate", "unparseable"],
            "raw": ["x", "y"],
        }
    )
    passed, meta = ex.quarantine_share(q, accepted_rows=99, table="ratings", max_share=0.01)
    assert passed and meta["value"] == 0.01 and meta["threshold"] == 0.01
    passed, meta = ex.quarantine_share(q, accepted_rows=9, table="ratings", max_share=0.01)
    assert not passed and meta["value"] == 0.1 and meta["by_reason"] == {"duplicate": 1}


def test_recommendation_expectations() -> None:
    recs = pl.DataFrame(
        {
            "user_id": [1, 2],
            "item_id": [30, 20],
            "rank": [1, 1],
            "because_item_id": [10, 10],
            "reason": ["r", "r"],
        }
    )
    assert rx.complete_lists(recs, RATINGS, k=1)[0]
    assert not rx.complete_lists(recs.head(1), RATINGS, k=1)[0]
    assert rx.excludes_seen(recs, RATINGS)[0]
    passed, meta = rx.excludes_seen(recs.with_columns(pl.lit(10).alias("item_id")), RATINGS)
    assert not passed and meta["value"] == 2
    assert rx.explained(recs, RATINGS, 4.0)[0]
    passed, meta = rx.explained(
        recs.with_columns(pl.lit(20).alias("because_item_id")), RATINGS, 4.0
    )
    assert not passed and meta["value"] == 1  # user 2 never rated movie 20


def test_model_regression_gate() -> None:
    passed, meta = ex.not_worse_than(0.30, 0.40, max_drop=0.02)
    assert not passed and meta["value"] == 0.30 and meta["threshold"] == 0.38
    assert ex.not_worse_than(0.39, 0.40, max_drop=0.02)[0]
    assert ex.not_worse_than(0.30, 0.40, max_drop=0.02, forced=True)[0]
    assert ex.not_worse_than(0.30, None, max_drop=0.02)[0]
    assert not ex.not_worse_than(None, 0.4, max_drop=0.02)[0]
