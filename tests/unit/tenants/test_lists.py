"""Filters, boosts and lists on a toy catalogue with a known answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from ml.tenants.config import Boosts, Era, Filters, parse_tenant
from ml.tenants.facts import boost_scores, exclusion_reasons, movie_facts
from ml.tenants.lists import ListSpec, build_lists, tenant_spec
from quality.tenants import lists_complete_or_explained, no_excluded_movies, violation

META = pl.DataFrame(
    {
        "item_id": [1, 2, 3, 4, 5, 6],
        "title": ["G film", "PG film", "R film", "Unrated", "Old PG", "Horror PG"],
        "year": [2001, 1999, 2005, 2010, 1955, 1990],
        "genres": [["Children"], ["Comedy"], ["Drama"], ["Drama"], ["Drama"], ["Horror"]],
        "imdb_id": ["tt1", "tt2", "tt3", "tt4", "tt5", "tt6"],
        "director": [["A"], ["B"], ["C"], ["D"], ["Billy Wilder"], ["E"]],
        "language": ["English", "French, English", "English", "English", "English", "English"],
        "country": ["USA", "France", "USA", "USA", "USA, UK", "USA"],
    },
    schema_overrides={"year": pl.Int32},
)
EXTRAS = pl.DataFrame(
    {
        "imdb_id": ["tt1", "tt2", "tt3", "tt5", "tt6"],
        "age_rating": ["G", "PG", "R", "PG", "PG"],
        "metacritic": [50, 80, None, 95, 40],
        "awards": [None, "Nominated for 1 Oscar.", None, "Won 2 Oscars. Another 3 wins.", None],
    },
    schema_overrides={"metacritic": pl.Int32},
)
RATINGS = pl.DataFrame({"user_id": [10, 10, 11], "item_id": [2, 3, 3], "rating": [4.0, 3.0, 5.0]})


def facts() -> pl.DataFrame:
    return movie_facts(META, RATINGS, EXTRAS)


def test_unknown_age_rating_fails_unless_allowed() -> None:
    f = facts()
    strict = exclusion_reasons(f, Filters(max_age_rating="PG")).to_list()
    assert strict == [None, None, "rated R (above PG)", "age rating unknown", None, None]
    lenient = exclusion_reasons(f, Filters(max_age_rating="PG", allow_unrated=True)).to_list()
    assert lenient[3] is None and lenient[2] is not None


def test_other_filters_and_their_reasons() -> None:
    f = facts()
    got = exclusion_reasons(
        f,
        Filters(
            exclude_genres=("Horror",),
            exclude_languages=("French",),
            exclude_countries=("UK",),
            year_max=2005,
            min_ratings=1,
        ),
    ).to_list()
    assert got == [
        "0 ratings (fewer than 1)",
        "language French",
        None,
        "released 2010 (after 2005)",
        "country UK",
        "genre Horror",
    ]
    # the check's independent reading agrees row by row
    rows = f.to_dicts()
    fl = Filters(
        exclude_genres=("Horror",),
        exclude_languages=("French",),
        exclude_countries=("UK",),
        year_max=2005,
        min_ratings=1,
    )
    assert [violation(r, fl) is None for r in rows] == [g is None for g in got]
    assert violation(None, Filters(max_age_rating="R")) == "age rating unknown"


def test_boosts_add_up() -> None:
    b = Boosts(
        genres={"Drama": 0.5},
        eras=(Era(1950, 1969, 1.0),),
        directors={"Billy Wilder": 2},
        awards=1.0,
        critics=1.0,
    )
    got = boost_scores(facts(), b)
    np.testing.assert_allclose(got[4], 0.5 + 1.0 + 2.0 + 1.0 + 0.95)
    np.testing.assert_allclose(got[1], 0.5 + 0.8)  # nominee, metacritic 80
    np.testing.assert_allclose(got[5], 0.4)


class FixedScorer:
    """Scores where item 1 is best for everybody, then 2, 3…; user 0 has seen item 2."""

    class ctx:  # noqa: N801 - the shape Scorer.ctx has
        class items:  # noqa: N801
            vectors = np.eye(6)

    n_users = 2

    def batches(self, batch_size=256):
        s = np.tile(np.arange(6, 0, -1, dtype=float), (2, 1))
        seen = np.zeros((2, 6), dtype=bool)
        seen[0, 1] = True
        yield np.arange(2), {"hybrid": s, "model": -s}, seen


def test_lists_filter_before_the_cut_and_say_why_they_are_short(tmp_path: Path) -> None:
    tenant = parse_tenant(
        tmp_path / "fam.yaml",
        {
            "name": "fam",
            "list_length": 3,
            "diversity_lambda": 1.0,
            "filters": {"max_age_rating": "PG", "exclude_genres": ["Horror"]},
        },
    )
    users, items = np.array([10, 11]), np.array([1, 2, 3, 4, 5, 6])
    spec = tenant_spec(tenant, facts(), items, users)
    lists, status = build_lists(
        FixedScorer(), {"fam": spec}, user_ids=users, item_ids=items, served={"fam": None}
    )
    by_user = {u: g["item_id"].to_list() for (u,), g in lists.group_by("user_id")}
    assert by_user == {10: [1, 5], 11: [1, 2, 5]}
    short = status.filter(pl.col("user_id") == 10).row(0, named=True)
    assert not short["complete"] and short["short_reason"].startswith("only 2 of 5 unseen titles")
    assert "age rating unknown: 1" in short["short_reason"]
    renamed = lists.rename({"list": "tenant"})
    assert no_excluded_movies(renamed, facts(), [tenant]).passed
    assert lists_complete_or_explained(
        renamed, status.rename({"list": "tenant"}), [tenant], [10, 11]
    ).passed
    # a planted R film and a silently short list fail the checks
    planted = renamed.with_columns(
        pl.when(pl.col("item_id") == 5).then(3).otherwise(pl.col("item_id")).alias("item_id")
    )
    bad = no_excluded_movies(planted, facts(), [tenant])
    assert not bad.passed and bad.value == 2 and bad.details["examples"][0]["why"] == "rated R"
    silent = status.rename({"list": "tenant"}).with_columns(
        pl.lit(None, pl.String).alias("short_reason")
    )
    assert not lists_complete_or_explained(renamed, silent, [tenant], [10, 11]).passed


def test_boost_and_source_change_the_order(tmp_path: Path) -> None:
    users, items = np.array([10, 11]), np.array([1, 2, 3, 4, 5, 6])
    spec = ListSpec({"model": 1.0}, 2, 1.0, np.ones(6, bool), np.zeros(6), np.ones(2, bool))
    lists, _ = build_lists(FixedScorer(), {"m": spec}, user_ids=users, item_ids=items)
    assert lists.filter(pl.col("user_id") == 11)["item_id"].to_list() == [6, 5]
    boosted = ListSpec(
        {"hybrid": 1.0}, 1, 1.0, np.ones(6, bool), np.array([0, 0, 0, 0, 9.0, 0]), np.ones(2, bool)
    )
    lists, _ = build_lists(FixedScorer(), {"b": boosted}, user_ids=users, item_ids=items)
    assert lists["item_id"].to_list() == [5, 5]
