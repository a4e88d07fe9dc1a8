"""Title keys and the join of the catalogue with the offline OMDb table."""

from __future__ import annotations

import pytest

from ml.content.metadata import join_omdb, title_keys
from tests.toy_catalogue import MOVIES


def test_title_keys_put_the_article_first_and_keep_alternates():
    assert title_keys("Matrix, The")[0] == "the matrix"
    assert "wo hu cang long" in title_keys("Crouching Tiger, Hidden Dragon (Wo hu cang long)")
    assert title_keys("Amelie (Fabuleux destin d'Amélie Poulain, Le)")[0] == "amelie"


def test_omdb_join_on_the_real_table():
    joined = join_omdb(MOVIES)
    meta = {r["item_id"]: r for r in joined.metadata.iter_rows(named=True)}
    assert meta[1]["director"] == ["Lana Wachowski", "Lilly Wachowski"]
    assert meta[2]["director"] == ["Ridley Scott"] and meta[5]["director"] == ["Ridley Scott"]
    # OMDb dates Crouching Tiger 2000; MovieLens here says 2001: the ±1 year rule matches it.
    assert meta[4]["director"] == ["Ang Lee"] and meta[4]["match"] == "year±1"
    assert joined.unmatched["item_id"].to_list() == [6]
    assert joined.unmatched["reason"].item() == "title not in the OMDb table"
    assert joined.match_rate == pytest.approx(5 / 6)
