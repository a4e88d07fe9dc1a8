"""The "surprise me" list: well-scored films outside the genres a user usually watches."""

from __future__ import annotations

import numpy as np

from ml.hybrid.ranking import HybridRanker, RankingContext


def usual_genres(x_row_items: np.ndarray, genres: list[list[str]], share: float = 0.6):
    """The user's most-rated genres that together cover ``share`` of their genre tags."""
    counts: dict[str, int] = {}
    for i in x_row_items:
        for g in genres[i]:
            counts[g] = counts.get(g, 0) + 1
    total, out, covered = sum(counts.values()), [], 0
    for g, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if covered >= share * total:
            break
        out.append(g)
        covered += c
    return out


def surprise(
    ranker: HybridRanker,
    ctx: RankingContext,
    *,
    k: int = 10,
    min_popularity: float = 0.2,
    batch_size: int = 256,
) -> tuple[np.ndarray, list[list[str]]]:
    """Best-scored unseen items sharing no genre with the user's usual genres.

    Items with popularity below ``min_popularity`` (log-scaled share of the most rated
    item) are left out, so a surprise is a known film outside the habit, not noise.
    Returns item indices (n_users, k; -1 pads) and each user's usual genres.
    """
    n_users = ctx.x.shape[0]
    items = np.full((n_users, k), -1, dtype=np.int64)
    usual_all: list[list[str]] = []
    genre_sets = [set(g) for g in ctx.items.genres]
    for start in range(0, n_users, batch_size):
        rows = np.arange(start, min(start + batch_size, n_users))
        feats, seen = ctx.features(rows)
        scores = ranker.score(feats)
        for b, u in enumerate(rows):
            rated = ctx.x.indices[ctx.x.indptr[u] : ctx.x.indptr[u + 1]]
            usual = set(usual_genres(rated, ctx.items.genres))
            usual_all.append(sorted(usual))
            ok = ~seen[b] & (ctx.popularity >= min_popularity)
            ok &= np.array([not (g & usual) and bool(g) for g in genre_sets])
            s = np.where(ok, scores[b], -np.inf)
            top = np.argsort(-s, kind="stable")[:k]
            top = top[np.isfinite(s[top])]
            items[u, : len(top)] = top
    return items, usual_all
