"""Checks on content and hybrid outputs: true explanations, complete lists, coverage."""

from __future__ import annotations

import polars as pl

from ml.hybrid.explain import with_review_clause
from quality import content as cq
from tests.toy_catalogue import toy_explained


def test_true_explanations_pass_and_lies_fail():
    out, ratings, meta = toy_explained()
    result = cq.explanations_true(out, ratings, meta)
    assert result.passed and result.value == 0 and result.threshold == 0, result.details
    assert result.details["rows"] == 2
    lie = out.with_columns(
        pl.lit("Because you rated Alien 5★ and liked Ang Lee's films").alias("reason")
    )
    lied = cq.explanations_true(lie, ratings, meta)
    assert not lied.passed and any("Ang Lee" in e for e in lied.details["examples"])
    wrong = out.with_columns(pl.lit([4.0]).alias("because_ratings"))
    assert cq.explanations_true(wrong, ratings, meta).value >= 1


def test_truth_check_verifies_the_review_clause() -> None:
    ratings = pl.DataFrame({"user_id": [1], "item_id": [99], "rating": [4.0]})
    meta = pl.DataFrame({"item_id": [10, 99], "director": [[], []], "cast": [[], []]})
    recs = pl.DataFrame(
        {
            "user_id": [1],
            "item_id": [10],
            "reason": ["Because you rated B 4★."],
            "because_item_ids": [[99]],
            "because_ratings": [[4.0]],
            "shared_directors": [[]],
            "shared_cast": [[]],
        }
    )
    sentiment = pl.DataFrame(
        {
            "movie_id": ["10"],
            "n_reviews": [8],
            "share_positive": [0.625],
            "sentiment_feature": [0.1],
        }
    )
    claimed = with_review_clause(recs, sentiment, sentiment_weight=1.0)
    assert claimed["reason"].item().endswith("63% positive in 8 reviews.")
    assert cq.explanations_true(claimed, ratings, meta, sentiment).passed
    other = sentiment.with_columns(pl.lit(0.5).alias("share_positive"))
    result = cq.explanations_true(claimed, ratings, meta, other)
    assert not result.passed and result.value == 1


def test_match_rate_against_its_floor():
    meta = pl.DataFrame({"item_id": [1, 2, 3, 4], "match": ["exact", "year±1", None, "exact"]})
    result = cq.match_rate_ok(meta)
    assert result.passed and result.value == 0.75 and result.threshold == cq.MIN_MATCH_RATE
    assert result.details == {"matched": 3}
    assert not cq.match_rate_ok(meta, min_rate=0.8).passed
    assert cq.match_rate_ok(meta.head(0)).value == 0.0


def test_lists_complete_counts_short_lists_and_duplicates():
    recs = pl.DataFrame({"user_id": [1, 1, 2, 2], "item_id": [10, 20, 10, 10]})
    assert cq.lists_complete(recs.head(2), users=1, k=2).passed
    result = cq.lists_complete(recs, users=3, k=2)
    # User 3 has no list; user 2 has item 10 twice.
    assert not result.passed and result.value == 2 and result.threshold == 0
    assert result.details == {"users_short": 1, "duplicate_items": 1}


def test_similarity_valid_rejects_self_neighbours_and_impossible_cosines():
    good = pl.DataFrame({"item_id": [1, 2], "neighbour_id": [2, 1], "similarity": [0.9, -1.0]})
    assert cq.similarity_valid(good).passed
    bad = pl.DataFrame({"item_id": [1, 2], "neighbour_id": [1, 3], "similarity": [0.5, 1.2]})
    result = cq.similarity_valid(bad)
    assert not result.passed and result.value == 2 and result.details == {"rows": 2}


def test_one_persona_each():
    ratings = pl.DataFrame({"user_id": [1, 1, 2, 3], "item_id": [1, 2, 1, 1]})
    personas = pl.DataFrame({"user_id": [1, 2, 3], "persona": ["a", "b", "a"]})
    assert cq.one_persona_each(personas, ratings).passed
    twice = pl.concat([personas.head(2), personas.head(1)])  # user 3 missing, user 1 twice
    result = cq.one_persona_each(twice, ratings)
    assert not result.passed and result.value == 2 and result.details == {"users": 3}
