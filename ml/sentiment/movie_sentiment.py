"""Per-movie sentiment from movie-linked reviews: scores, intervals, aspects and quotes.

Each review gets P(positive) from a trained model; each sentence of each review is scored
too, which gives aspect sentiment (sentences that mention plot, acting, cinematography,
music or pacing) and extractive "what people loved / disliked" quotes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import polars as pl

from ml.sentiment.models import Embed, SentimentModel
from ml.text.sentences import split_sentences

ASPECTS: dict[str, tuple[str, ...]] = {
    "plot": (
        "plot",
        "story",
        "storyline",
        "script",
        "screenplay",
        "writing",
        "ending",
        "twist",
        "narrative",
        "premise",
    ),
    "acting": (
        "acting",
        "performance",
        "performances",
        "actor",
        "actors",
        "actress",
        "cast",
        "portrayal",
        "role",
        "roles",
        "played",
    ),
    "cinematography": (
        "cinematography",
        "camera",
        "visual",
        "visuals",
        "visually",
        "photography",
        "shot",
        "shots",
        "lighting",
        "cinematographer",
        "images",
    ),
    "music": ("music", "score", "soundtrack", "song", "songs", "composer", "musical"),
    "pacing": (
        "pacing",
        "pace",
        "paced",
        "slow",
        "drags",
        "dragged",
        "rushed",
        "overlong",
        "editing",
        "runtime",
        "length",
    ),
}
DISTRIBUTION_EDGES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
_WORD = re.compile(r"[a-z']+")
QUOTE_WORDS = (6, 40)


def aspects_of(sentence: str) -> list[str]:
    """The aspects a sentence mentions, by whole-word keyword match."""
    words = set(_WORD.findall(sentence.lower()))
    return [name for name, keys in ASPECTS.items() if words.intersection(keys)]


def wilson_interval(positives: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion; ``(0, 1)`` when ``n`` is 0."""
    if n == 0:
        return 0.0, 1.0
    p = positives / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def score_sentences(
    reviews: pl.DataFrame, model: SentimentModel, embed: Embed | None = None
) -> pl.DataFrame:
    """Every sentence of every review with its probability and aspects.

    ``reviews`` needs ``movie_id, review_id, text``. Returns ``movie_id, review_id,
    sentence, probability, aspects`` (list of aspect names).
    """
    rows = [
        (m, r, s)
        for m, r, t in reviews.select("movie_id", "review_id", "text").iter_rows()
        for s in split_sentences(t)
    ]
    sentences = [s for _, _, s in rows]
    proba = model.predict_proba(sentences, embed=embed) if sentences else np.zeros(0)
    return pl.DataFrame(
        {
            "movie_id": [m for m, _, _ in rows],
            "review_id": [r for _, r, _ in rows],
            "sentence": sentences,
            "probability": proba.astype(float),
            "aspects": [aspects_of(s) for s in sentences],
        },
        schema={
            "movie_id": reviews.schema["movie_id"],
            "review_id": pl.String(),
            "sentence": pl.String(),
            "probability": pl.Float64(),
            "aspects": pl.List(pl.String()),
        },
    )


def movie_sentiment(
    reviews: pl.DataFrame,
    review_proba: Sequence[float],
    sentences: pl.DataFrame,
    *,
    quotes: int = 3,
    min_aspect_sentences: int = 1,
) -> pl.DataFrame:
    """One row per movie: counts, mean, distribution, Wilson interval, aspects, quotes.

    ``reviews`` has ``movie_id`` (one row per review, aligned with ``review_proba``);
    ``sentences`` comes from ``score_sentences``. Aspect columns are null for a movie with
    fewer than ``min_aspect_sentences`` sentences on that aspect. ``sentiment_feature`` is
    the lower Wilson bound of the share positive, centred at 0 (range −0.5..0.5), so that
    few reviews weigh less than many for the re-ranker.
    """
    per_review = reviews.select("movie_id").with_columns(
        probability=pl.Series(np.asarray(review_proba, dtype=float))
    )
    out = []
    for (movie,), group in per_review.group_by("movie_id", maintain_order=True):
        p = group["probability"].to_numpy()
        positives = int((p >= 0.5).sum())
        low, high = wilson_interval(positives, len(p))
        row = {
            "movie_id": movie,
            "n_reviews": len(p),
            "n_positive": positives,
            "n_negative": len(p) - positives,
            "mean_probability": float(p.mean()),
            "share_positive": positives / len(p),
            "ci_low": low,
            "ci_high": high,
            "distribution": np.histogram(p, bins=DISTRIBUTION_EDGES)[0].tolist(),
            "sentiment_feature": low - 0.5,
        }
        movie_sentences = sentences.filter(pl.col("movie_id") == movie)
        row.update(_aspects(movie_sentences, min_aspect_sentences))
        row["loved_quotes"], row["disliked_quotes"] = _quotes(movie_sentences, quotes)
        out.append(row)
    schema = {
        "movie_id": reviews.schema["movie_id"],
        "n_reviews": pl.Int64(),
        "n_positive": pl.Int64(),
        "n_negative": pl.Int64(),
        "mean_probability": pl.Float64(),
        "share_positive": pl.Float64(),
        "ci_low": pl.Float64(),
        "ci_high": pl.Float64(),
        "distribution": pl.List(pl.Int64()),
        "sentiment_feature": pl.Float64(),
        **{f"{a}_score": pl.Float64() for a in ASPECTS},
        **{f"{a}_sentences": pl.Int64() for a in ASPECTS},
        "loved_quotes": pl.List(pl.String()),
        "disliked_quotes": pl.List(pl.String()),
    }
    return pl.DataFrame(out, schema=schema)


def _aspects(sentences: pl.DataFrame, minimum: int) -> dict:
    row = {}
    for aspect in ASPECTS:
        hits = sentences.filter(pl.col("aspects").list.contains(aspect))["probability"]
        row[f"{aspect}_sentences"] = hits.len()
        row[f"{aspect}_score"] = float(hits.mean()) if hits.len() >= max(1, minimum) else None
    return row


def _quotes(sentences: pl.DataFrame, k: int) -> tuple[list[str], list[str]]:
    """The most confidently positive and negative sentences of quotable length, one per
    review at most, so a single reviewer cannot fill the list."""
    lo, hi = QUOTE_WORDS
    quotable = sentences.filter(pl.col("sentence").str.count_matches(r"\S+").is_between(lo, hi))
    loved = _top(quotable.filter(pl.col("probability") >= 0.5), k, descending=True)
    disliked = _top(quotable.filter(pl.col("probability") < 0.5), k, descending=False)
    return loved, disliked


def _top(frame: pl.DataFrame, k: int, *, descending: bool) -> list[str]:
    ranked = frame.sort("probability", descending=descending).unique(
        "review_id", keep="first", maintain_order=True
    )
    return ranked.head(k)["sentence"].to_list()
