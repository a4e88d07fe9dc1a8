"""Movie-linked reviews from several sources: each (movie, text) pair kept once."""

from __future__ import annotations

import polars as pl

from ml.sentiment.movie_reviews import union_movie_reviews


def _movie_reviews(source: str, movie_ids: list[str], texts: list[str]) -> pl.DataFrame:
    n = len(texts)
    return pl.DataFrame(
        {
            "source": [source] * n,
            "row": list(range(n)),
            "review_id": [f"{source}{i}" for i in range(n)],
            "movie_id": movie_ids,
            "author": [None] * n,
            "date": [None] * n,
            "text": texts,
            "valid_utf8": [True] * n,
        },
        schema_overrides={"author": pl.String, "date": pl.String},
    )


def test_union_keeps_each_movie_text_pair_once_and_records_the_rest() -> None:
    liked = "A moving film with a wonderful score and fine acting."
    file = _movie_reviews("f", ["1", "1", "2", "3"], [liked, liked, liked, ""])
    tmdb = _movie_reviews("t", ["1", "2", "2"], [f"**{liked}**", "Dull and far too long.", ""])
    clean, bad, counts = union_movie_reviews({"file": file, "tmdb": tmdb})
    # The same text under another movie is another review; markup does not hide a repeat.
    assert clean.select("movie_id", "review_id").rows() == [("1", "f0"), ("2", "f2"), ("2", "t1")]
    assert sorted(bad.select("id", "reason").rows()) == [
        ("f1", "duplicate"),
        ("f3", "empty"),
        ("t0", "duplicate"),
        ("t2", "empty"),
    ]
    assert counts == {
        "file": {"read": 4, "kept": 2, "quarantined": 2, "duplicates": 1},
        "tmdb": {"read": 3, "kept": 1, "quarantined": 2, "duplicates": 1},
    }
    assert clean.height + bad.height == file.height + tmdb.height
