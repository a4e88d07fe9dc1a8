"""Structured explanations and a sentence built only from facts in the data.

For each recommendation: the user's liked titles that contribute most (content cosine plus,
when a CF model is given, its normalised item affinity), with the user's own rating and the
similarity; the directors, cast and genres the recommendation shares with films the user
liked; and a sentence made from those facts alone ("Because you rated Alien 5★ and liked
Ridley Scott's films"). A plural claim ("X's films") needs at least two liked films by X.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl

from ml.content.embeddings import ContentEmbeddings
from ml.data.titles import display_title
from ml.recsys.models.base import Recommender
from ml.recsys.recommend import liked_items
from ml.sentiment.movie_reviews import by_item

EXPLANATION_SCHEMA = {
    "because_item_ids": pl.List(pl.Int64),
    "because_titles": pl.List(pl.String),
    "because_ratings": pl.List(pl.Float64),
    "because_similarities": pl.List(pl.Float64),
    "shared_directors": pl.List(pl.String),
    "shared_cast": pl.List(pl.String),
    "shared_genres": pl.List(pl.String),
    "reason": pl.String,
}


def stars(rating: float) -> str:
    return f"{rating:g}★"


def liked_of(rated: dict[int, float], threshold: float, fallback: int = 3) -> list[int]:
    """:func:`ml.recsys.recommend.liked_items` on a ``{item_id: rating}`` dict, in item-id order
    (so ties break the same way whatever order the ratings came in)."""
    if not rated:
        return []
    items = np.fromiter(rated, dtype=np.int64, count=len(rated))
    order = np.argsort(items, kind="stable")
    ratings = np.fromiter((rated[i] for i in items[order]), dtype=np.float64, count=len(rated))
    return liked_items(items[order], ratings, threshold=threshold, fallback=fallback).tolist()


def _facts(meta: dict, item: int, liked: list[int], key: str) -> dict[str, list[int]]:
    """For each value of ``key`` (director, cast) of ``item``: the liked films sharing it."""
    mine = meta.get(item, {}).get(key) or []
    out: dict[str, list[int]] = {}
    for value in mine:
        films = [j for j in liked if value in (meta.get(j, {}).get(key) or [])]
        if films:
            out[value] = films
    return out


def sentence(cited, directors, cast, genres, titles) -> str:
    """The reason text from facts only. ``cited``: [(item, rating)], the rest from ``_facts``.

    A director shared with one liked film is named with that film; a cast member only when
    shared with at least two (OMDb lists minor roles too, and one shared extra says little).
    """
    if not cited:
        return "Popular with viewers overall"
    first = f"Because you rated {titles[cited[0][0]]} {stars(cited[0][1])}"
    cited_ids = dict(cited)
    if directors:
        name, films = max(directors.items(), key=lambda kv: (len(kv[1]), kv[0]))
        if len(films) >= 2:
            return f"{first} and liked {name}'s films"
        if films[0] in cited_ids:
            return (
                f"{first} and {titles[films[0]]} {stars(cited_ids[films[0]])}, "
                f"also directed by {name}"
                if films[0] != cited[0][0]
                else f"{first}, also directed by {name}"
            )
        return f"{first} and liked {titles[films[0]]}, also directed by {name}"
    actors = {a: f for a, f in cast.items() if len(f) >= 2}
    if actors:
        name, _ = max(actors.items(), key=lambda kv: (len(kv[1]), kv[0]))
        return f"{first} and liked films with {name}"
    text = first + "".join(f" and {titles[i]} {stars(r)}" for i, r in cited[1:])
    if genres:
        return f"{text}; it is also {' / '.join(genres[:2])}"
    return text


def explain(
    recs: pl.DataFrame,
    ratings: pl.DataFrame,
    metadata: pl.DataFrame,
    emb: ContentEmbeddings,
    *,
    model: Recommender | None = None,
    item_ids: np.ndarray | None = None,
    liked_threshold: float = 4.0,
    top: int = 2,
) -> pl.DataFrame:
    """``recs`` (user_id, item_id, …) with ``EXPLANATION_SCHEMA`` columns added.

    ``model`` and ``item_ids`` (its column order) add CF affinity to the content similarity
    when choosing which liked titles to cite; the similarity reported is the content cosine.
    """
    meta = {r["item_id"]: r for r in metadata.iter_rows(named=True)}
    titles = {i: display_title(r["title"]) for i, r in meta.items()}
    by_user: dict[int, dict[int, float]] = {}
    for u, i, r in ratings.select("user_id", "item_id", "rating").iter_rows():
        by_user.setdefault(u, {})[i] = r
    use_cf = model is not None and item_ids is not None and model.explainable
    rows = []
    for (user,), group in recs.group_by("user_id", maintain_order=True):
        rated = by_user.get(user, {})
        liked = liked_of(rated, liked_threshold) if rated else []
        targets = group["item_id"].to_list()
        sims = (
            emb.aligned(np.asarray(targets)) @ emb.aligned(np.asarray(liked)).T if liked else None
        )
        aff = None
        if use_cf and liked:
            aff = model.item_affinity(
                np.searchsorted(item_ids, targets), np.searchsorted(item_ids, liked)
            )
            aff = aff / np.maximum(np.abs(aff).max(axis=1, keepdims=True), 1e-12)
        for t, item in enumerate(targets):
            if not liked:
                rows.append(_row([], titles, [], {}, {}, []))
                continue
            contribution = sims[t] + (aff[t] if aff is not None else 0.0)
            best = np.argsort(-contribution, kind="stable")[:top]
            cited = [(liked[b], rated[liked[b]], float(sims[t, b])) for b in best]
            directors = _facts(meta, item, liked, "director")
            cast = _facts(meta, item, liked, "cast")
            item_genres = set(meta.get(item, {}).get("genres") or [])
            genres = sorted(item_genres & set(meta.get(cited[0][0], {}).get("genres") or []))
            rows.append(_row(cited, titles, genres, directors, cast, genres))
    return pl.concat([recs, pl.DataFrame(rows, schema=EXPLANATION_SCHEMA)], how="horizontal")


def _row(cited, titles, genres, directors, cast, shared_genres) -> dict:
    return {
        "because_item_ids": [i for i, _, _ in cited],
        "because_titles": [titles.get(i, str(i)) for i, _, _ in cited],
        "because_ratings": [r for _, r, _ in cited],
        "because_similarities": [s for _, _, s in cited],
        "shared_directors": sorted(directors),
        "shared_cast": sorted(cast),
        "shared_genres": shared_genres,
        "reason": sentence([(i, r) for i, r, _ in cited], directors, cast, genres, titles),
    }


def liked_counts(ratings: pl.DataFrame, metadata: pl.DataFrame, key: str, threshold: float):
    """Per user, how many liked films each value of ``key`` appears in (for checks)."""
    meta = dict(metadata.select("item_id", key).iter_rows())
    out: dict[int, Counter] = {}
    by_user: dict[int, dict[int, float]] = {}
    for u, i, r in ratings.select("user_id", "item_id", "rating").iter_rows():
        by_user.setdefault(u, {})[i] = r
    for u, rated in by_user.items():
        out[u] = Counter(v for j in liked_of(rated, threshold) for v in (meta.get(j) or []))
    return out


def with_review_clause(
    recs: pl.DataFrame,
    movie_sentiment: pl.DataFrame,
    *,
    sentiment_weight: float,
    min_reviews: int = 3,
) -> pl.DataFrame:
    """Add what reviewers said to ``reason`` where review sentiment lifted the title.

    Only when the re-ranker gives sentiment a positive weight and the movie's sentiment
    feature is positive (the lower bound of its Wilson interval is above one half) with at
    least ``min_reviews`` reviews: then the sentence is true and the feature contributed.
    """
    if sentiment_weight <= 0 or movie_sentiment.is_empty():
        return recs
    facts = (
        by_item(movie_sentiment)
        .filter((pl.col("sentiment_feature") > 0) & (pl.col("n_reviews") >= min_reviews))
        .select(
            "item_id",
            pl.format(
                " Reviewers liked it: {}% positive in {} reviews.",
                # floor(x + 0.5): the same rounding the truth check recomputes.
                (pl.col("share_positive") * 100 + 0.5).floor().cast(pl.Int64),
                pl.col("n_reviews"),
            ).alias("_review"),
        )
    )
    out = recs.join(facts, on="item_id", how="left")
    return out.with_columns(
        pl.concat_str("reason", pl.col("_review").fill_null("")).alias("reason")
    ).drop("_review")
