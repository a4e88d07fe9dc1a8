"""Offline comparison of variants on a held-out split, with bootstrap intervals.

The variants' lists are rebuilt from scores of a model (and a re-ranker) fitted on the
training part only, then scored on the held-out part: NDCG@10 (``ml.recsys.metrics``),
catalogue coverage, genre and content diversity and novelty (``ml.recsys.evaluation``).
Per-user metrics get a percentile bootstrap over users; coverage (a property of the whole
set of lists) a bootstrap over users whose spread is centred on the estimate.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ml.experiments.config import ExperimentConfig, Variant
from ml.experiments.stats import bootstrap_mean
from ml.hybrid.ranking import HybridParams, ItemSide, context, fit_hybrid
from ml.recsys.evaluation import Split, beyond_accuracy, make_split
from ml.recsys.metrics import catalogue_coverage, ranking_metrics
from ml.recsys.models import build
from ml.tenants.lists import ListSpec, Scorer, build_lists

METRICS = ("ndcg@10", "coverage", "diversity_genre", "diversity_content", "novelty")


def variant_spec(variant: Variant, n_items: int, n_users: int) -> ListSpec:
    """A variant as a list recipe: no filters, no boosts, every user."""
    return ListSpec(
        weights=dict(variant.weights),
        k=variant.list_length,
        mmr_lambda=variant.diversity_lambda,
        eligible=np.ones(n_items, dtype=bool),
        boost=np.zeros(n_items),
        users=np.ones(n_users, dtype=bool),
    )


def _matrix(lists: pl.DataFrame, user_ids: np.ndarray, item_ids: np.ndarray, k: int):
    out = np.full((len(user_ids), k), -1, dtype=np.int64)
    u_index = {int(u): n for n, u in enumerate(user_ids)}
    i_index = {int(i): n for n, i in enumerate(item_ids)}
    for user, rank, item in lists.select("user_id", "rank", "item_id").iter_rows():
        if rank <= k:
            out[u_index[user], rank - 1] = i_index[item]
    return out


def per_user_metrics(items: np.ndarray, split: Split, side: ItemSide) -> dict[str, np.ndarray]:
    """NDCG@10 (users with held-out items), diversity and novelty per user."""
    test, train = split.test.matrix, split.train.matrix
    has_test = np.diff(test.indptr) > 0
    ndcg = np.array(
        [ranking_metrics(items[[u]], test[[u]], k=10)["ndcg@10"] for u in np.flatnonzero(has_test)]
    )
    extra = [
        beyond_accuracy(items[[u]], train, genres=side.genres, item_vectors=side.vectors)
        for u in range(items.shape[0])
        if (items[u] >= 0).sum() >= 2
    ]
    return {
        "ndcg@10": ndcg,
        "diversity_genre": np.array([e["ild_genre"] for e in extra]),
        "diversity_content": np.array([e["ild_embedding"] for e in extra]),
        "novelty": np.array([e["novelty"] for e in extra]),
    }


def compare_variants(
    ratings: pl.DataFrame,
    movies: pl.DataFrame,
    emb,
    experiment: ExperimentConfig,
    *,
    base_model: str,
    base_params: dict,
    params: HybridParams = HybridParams(),
    n_boot: int = 500,
    seed: int = 42,
) -> pl.DataFrame:
    """One row per variant: each metric's mean and its 95% bootstrap interval (_lo, _hi)."""
    split = make_split(ratings, "stratified", seed=seed, movies=movies)
    model = build(base_model, base_params, seed=seed).fit_interactions(split.train)
    ranker = fit_hybrid(
        split.train_frame, base_model, base_params, emb, movies, params=params, seed=seed
    )
    side = ItemSide.build(split.train, emb, movies)
    ctx = context(model, split.train, split.train_frame, side, ranker)
    user_ids, item_ids = split.train.user_ids, split.train.item_ids
    specs = {v.name: variant_spec(v, len(item_ids), len(user_ids)) for v in experiment.variants}
    lists, _ = build_lists(Scorer(ranker, ctx), specs, user_ids=user_ids, item_ids=item_ids)
    rng = np.random.default_rng(seed)
    rows = []
    for v in experiment.variants:
        items = _matrix(lists.filter(pl.col("list") == v.name), user_ids, item_ids, v.list_length)
        per_user = per_user_metrics(items, split, side)
        row: dict = {"experiment": experiment.name, "variant": v.name}
        for metric, values in per_user.items():
            mean, lo, hi = bootstrap_mean(values, n_boot=n_boot, seed=seed)
            row.update({metric: mean, f"{metric}_lo": lo, f"{metric}_hi": hi})
        top10 = items[:, :10]
        draws = rng.integers(0, len(user_ids), size=(n_boot, len(user_ids)))
        cov = np.array([catalogue_coverage(top10[d], len(item_ids)) for d in draws])
        row["coverage"] = catalogue_coverage(top10, len(item_ids))
        # A resample repeats users, so its coverage is biased low: the bootstrap spread is
        # kept and its centre moved to the estimate (additive bias correction).
        q_lo, q_hi = np.quantile(cov, [0.025, 0.975])
        shift = row["coverage"] - float(cov.mean())
        row["coverage_lo"], row["coverage_hi"] = float(q_lo + shift), float(q_hi + shift)
        row["users"] = int(len(user_ids))
        rows.append(row)
    cols = ["experiment", "variant", *(f"{m}{s}" for m in METRICS for s in ("", "_lo", "_hi"))]
    return pl.DataFrame(rows).select(*cols, "users")
