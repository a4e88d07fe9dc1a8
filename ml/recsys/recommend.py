"""Per-user top-N lists with a first explanation: the liked movie nearest the recommendation."""

from __future__ import annotations

import numpy as np
import polars as pl

from ml.data.titles import display_title
from ml.recsys.interactions import Interactions
from ml.recsys.models.base import Recommender

RECOMMENDATION_SCHEMA = {
    "user_id": pl.Int64,
    "item_id": pl.Int64,
    "rank": pl.Int32,
    "score": pl.Float32,
    "because_item_id": pl.Int64,
    "because_similarity": pl.Float32,
}


def liked_items(row: np.ndarray, ratings: np.ndarray, *, threshold: float, fallback: int = 3):
    """Indices of the items a user liked: rated at least ``threshold``.

    A user who rated nothing that high still liked something most: their ``fallback``
    best-rated items stand in, so every user gets a reason. The project's one "liked" rule;
    ``ml.hybrid.explain.liked_of`` applies it to a ``{item_id: rating}`` dict.
    """
    liked = row[ratings >= threshold]
    if len(liked) == 0:
        liked = row[np.argsort(-ratings, kind="stable")[:fallback]]
    return liked


def recommend_with_reasons(
    model: Recommender,
    interactions: Interactions,
    *,
    k: int = 20,
    liked_threshold: float = 4.0,
    rows: np.ndarray | None = None,
) -> pl.DataFrame:
    """Top-``k`` unseen movies for every user, each with the liked movie that explains it.

    Parameters
    ----------
    model : Recommender
        Trained on ``interactions`` (same index space).
    interactions : Interactions
        Ratings; every stored item counts as seen and is never recommended.
    k : int
        List length.
    liked_threshold : float
        Ratings at or above this count as "liked" for explanations.
    rows : np.ndarray, optional
        Only the users at these rows of ``interactions`` (a bucket of a fanned-out scoring);
        default every user. Their lists are exactly those of a call for every user.

    Returns
    -------
    pl.DataFrame
        ``RECOMMENDATION_SCHEMA`` columns; ``len(users) * k`` rows at most (fewer only
        for a user who has seen almost the whole catalogue). ``because_item_id`` is the
        liked movie that speaks most for the recommendation in the model's own terms
        (``Recommender.item_affinity``: cosine in item-factor space for factor models,
        the item-item weight for EASE/ItemKNN/RP3beta), ``because_similarity`` that value.
        Null for models that cannot be traced to the user's ratings (popularity).
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    x = interactions.matrix
    items, scores = model.recommend(x, k, rows=rows)
    rows = np.arange(x.shape[0]) if rows is None else np.asarray(rows, dtype=np.int64)
    n_users = len(rows)
    because, because_sim = explain(model, x, rows, items, liked_threshold=liked_threshold)
    valid = items >= 0
    user_rows = np.repeat(np.arange(n_users), k).reshape(n_users, k)
    ranks = np.tile(np.arange(1, k + 1, dtype=np.int32), (n_users, 1))
    return pl.DataFrame(
        {
            "user_id": interactions.user_ids[rows[user_rows[valid]]],
            "item_id": interactions.item_ids[items[valid]],
            "rank": ranks[valid],
            "score": scores[valid],
            "because_item_id": interactions.item_ids[np.maximum(because[valid], 0)],
            "because_similarity": because_sim[valid],
        },
        schema=RECOMMENDATION_SCHEMA,
    ).with_columns(
        # A user with no rating at all has nothing to explain with: null, never a made-up title.
        pl.when(pl.Series(because[valid] >= 0))
        .then(pl.col("because_item_id"))
        .otherwise(None)
        .alias("because_item_id")
    )


#: Cells (users x list length x liked movies) of one batch of explanations: about 16 MB of
#: float32 affinities per batch, whatever the catalogue or the users' history.
EXPLAIN_CELLS = 1 << 22


def explain(
    model: Recommender,
    x,
    rows: np.ndarray,
    items: np.ndarray,
    *,
    liked_threshold: float,
    cells: int = EXPLAIN_CELLS,
) -> tuple[np.ndarray, np.ndarray]:
    """For each list ``items[u]`` (item indices, -1 pads) of the user at row ``rows[u]`` of
    ``x``: the liked item (:func:`liked_items`) with the highest ``model.item_affinity`` to
    each recommended item, and that affinity; -1 and NaN where there is none.

    Users are explained in batches of similar history length (``cells`` affinities at most
    per batch, one call of ``model.affinity_batches()``), never one by one: the cost grows
    with the sum over users of list length x liked movies. Ties go to the first liked
    item in the user's row order, as ``argmax`` over one user's affinities does.
    """
    because = np.full(items.shape, -1, dtype=np.int64)
    because_sim = np.full(items.shape, np.nan, dtype=np.float32)
    n, k = items.shape
    if n == 0 or not model.explainable:
        return because, because_sim
    user_of, liked = _liked_pairs(x[rows], liked_threshold)
    counts = np.bincount(user_of, minlength=n)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    scorer = model.affinity_batches()
    order = np.argsort(counts, kind="stable")
    order = order[counts[order] > 0]
    at = 0
    while at < len(order):
        # Longest history in the batch is its last (sorted): grow while the cells fit.
        end = at + 1
        while end < len(order) and (end + 1 - at) * k * counts[order[end]] <= cells:
            end += 1
        block = order[at:end]
        width = int(counts[block[-1]])
        offset = np.arange(width)
        present = offset[None, :] < counts[block][:, None]
        sources = np.full((len(block), width), -1, dtype=np.int64)
        sources[present] = liked[(starts[block][:, None] + offset[None, :])[present]]
        targets = items[block]
        sims = scorer(targets, sources)
        best = sims.argmax(axis=2)
        found = targets >= 0
        picked = np.take_along_axis(sources, best, axis=1)
        value = np.take_along_axis(sims, best[:, :, None], axis=2)[:, :, 0]
        because[block] = np.where(found, picked, -1)
        because_sim[block] = np.where(found, value, np.nan)
        at = end
    return because, because_sim


def _liked_pairs(sub, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(user position, item index) of every liked item of the rows of ``sub`` (CSR), grouped
    by user in row order: :func:`liked_items` for every user at once."""
    lengths = np.diff(sub.indptr)
    user_of = np.repeat(np.arange(sub.shape[0]), lengths)
    keep = sub.data >= threshold
    users, liked = [user_of[keep]], [sub.indices[keep].astype(np.int64)]
    # Users who rated something but nothing that high: their best-rated items stand in.
    has_liked = np.bincount(user_of[keep], minlength=sub.shape[0]) > 0
    for u in np.flatnonzero(~has_liked & (lengths > 0)):
        start, end = sub.indptr[u], sub.indptr[u + 1]
        fallback = liked_items(sub.indices[start:end], sub.data[start:end], threshold=threshold)
        users.append(np.full(len(fallback), u))
        liked.append(fallback.astype(np.int64))
    user_of, liked = np.concatenate(users), np.concatenate(liked)
    order = np.argsort(user_of, kind="stable")
    return user_of[order], liked[order]


def display_titles(title: pl.Expr) -> pl.Expr:
    """:func:`ml.content.metadata.display_title` over a column: one rule for every title people read
    ("Matrix, The" -> "The Matrix"; alternate titles in parentheses dropped)."""
    return title.map_elements(display_title, return_dtype=pl.String)


def with_reason_text(recs: pl.DataFrame, movies: pl.DataFrame) -> pl.DataFrame:
    """Add ``title``, ``year``, ``because_title`` and a ``reason`` sentence from ``movies``.

    Titles are in display form (see :func:`display_titles`).
    """
    names = movies.select("item_id", display_titles(pl.col("title")).alias("title"), "year")
    because = names.rename({"item_id": "because_item_id", "title": "because_title", "year": "_by"})
    out = recs.join(names, on="item_id", how="left").join(because, on="because_item_id", how="left")
    label = pl.when(pl.col("_by").is_not_null()).then(
        pl.format("{} ({})", pl.col("because_title"), pl.col("_by"))
    )
    out = out.with_columns(
        pl.when(pl.col("because_item_id").is_null())
        .then(pl.lit("Popular with viewers overall"))
        .otherwise(pl.format("Because you liked {}", label.otherwise(pl.col("because_title"))))
        .alias("reason")
    )
    return out.drop("_by").sort("user_id", "rank")
