"""Expectations on the served lists: complete, nothing seen, every reason true."""

from __future__ import annotations

import polars as pl

from quality import recommendations as rx

RATINGS = pl.DataFrame(
    {
        "user_id": [1, 1, 2],
        "item_id": [10, 20, 10],
        "rating": [4.0, 3.5, 5.0],
        "timestamp": [1, 2, 3],
    },
)
RECS = pl.DataFrame(
    {
        "user_id": [1, 2],
        "item_id": [30, 20],
        "rank": [1, 1],
        "because_item_id": [10, 10],
        "reason": ["r", "r"],
    }
)


def test_complete_lists() -> None:
    assert rx.complete_lists(RECS, RATINGS, k=1).passed
    r = rx.complete_lists(RECS.head(1), RATINGS, k=1)
    assert not r.passed and r.value == 1 and r.threshold == "== users × k = 2 × 1 = 2"
    assert r.details == {"users_without_list": 1, "users_with_bad_ranks": 0}


def test_excludes_seen_and_duplicates() -> None:
    assert rx.excludes_seen(RECS, RATINGS).passed
    r = rx.excludes_seen(RECS.with_columns(pl.lit(10).alias("item_id")), RATINGS)
    assert not r.passed and r.value == 2 and sorted(r.details["examples"]) == [(1, 10), (2, 10)]
    assert rx.no_duplicate_items(RECS).passed
    assert not rx.no_duplicate_items(pl.concat([RECS, RECS.head(1)])).passed


def test_explained() -> None:
    r = rx.explained(RECS, RATINGS, 4.0)
    assert r.passed and r.details["share_citing_a_liked_movie"] == 1.0
    r = rx.explained(RECS.with_columns(pl.lit(20).alias("because_item_id")), RATINGS, 4.0)
    assert not r.passed and r.value == 1  # user 2 never rated movie 20
