"""Per-movie sentiment from real sentences: shares, intervals, aspects and quotes."""

from __future__ import annotations

import math

import polars as pl

from ml.sentiment.models import SentimentModel, train_model
from ml.sentiment.movie_sentiment import (
    aspects_of,
    movie_sentiment,
    score_sentences,
    wilson_interval,
)
from tests.pang_lee import sample


def test_wilson_interval_known_value() -> None:
    low, high = wilson_interval(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_aspects_match_whole_words() -> None:
    assert aspects_of("The acting was great but the score was loud.") == ["acting", "music"]
    assert aspects_of("A scoreless, plotless mess.") == []


def test_per_movie_sentiment_from_real_sentences(split) -> None:
    train, _ = split
    model = train_model("tfidf_lr", train["text"], train["label"], seed=0)
    pool = sample("sentences", 120, seed=2, offset=1000)
    pos = pool.filter(pl.col("label") == 1)["text"].to_list()
    neg = pool.filter(pl.col("label") == 0)["text"].to_list()
    rows = [("liked", t) for t in pos[:30]] + [("panned", t) for t in neg[:30]]
    rows += [("mixed", t) for t in pos[30:40] + neg[30:40]]
    rows += [("mixed", "The acting is wonderful and the performances are moving and sincere.")]
    reviews = pl.DataFrame(
        {
            "movie_id": [m for m, _ in rows],
            "review_id": [str(i) for i in range(len(rows))],
            "text": [t for _, t in rows],
        }
    )
    proba = model.predict_proba(reviews["text"].to_list())
    sentences = score_sentences(reviews, model)
    table = movie_sentiment(reviews, proba, sentences, quotes=3)
    by_movie = {r["movie_id"]: r for r in table.iter_rows(named=True)}
    liked, panned, mixed = by_movie["liked"], by_movie["panned"], by_movie["mixed"]
    assert (liked["n_reviews"], panned["n_reviews"], mixed["n_reviews"]) == (30, 30, 21)
    assert liked["share_positive"] > mixed["share_positive"] > panned["share_positive"]
    assert liked["ci_low"] <= liked["share_positive"] <= liked["ci_high"]
    assert sum(liked["distribution"]) == 30
    assert mixed["acting_sentences"] >= 1 and mixed["acting_score"] is not None
    assert math.isclose(liked["sentiment_feature"], liked["ci_low"] - 0.5)
    own = set(sentences.filter(pl.col("movie_id") == "liked")["sentence"])
    assert liked["loved_quotes"] and set(liked["loved_quotes"]) <= own
    assert len(set(panned["disliked_quotes"])) == len(panned["disliked_quotes"]) <= 3


def test_no_reviews_gives_an_empty_table() -> None:
    model = SentimentModel("tfidf_lr")
    empty = pl.DataFrame(
        {"movie_id": [], "review_id": [], "text": []},
        schema={"movie_id": pl.String(), "review_id": pl.String(), "text": pl.String()},
    )
    table = movie_sentiment(empty, [], score_sentences(empty, model))
    assert table.height == 0 and "loved_quotes" in table.columns
