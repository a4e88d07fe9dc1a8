"""Hold-out evaluation of a recommender trained on a split of the ratings."""

from __future__ import annotations

from typing import Callable

import polars as pl

from ml.interactions import build_interactions
from ml.metrics import catalogue_coverage, ranking_metrics
from ml.split import stratified_split


def holdout_metrics(
    ratings: pl.DataFrame,
    fit: Callable,
    *,
    k: int = 10,
    test_fraction: float = 0.25,
    seed: int = 42,
) -> dict[str, float]:
    """Train ``fit(train_matrix) -> model`` on a stratified split and score the rest.

    The model must offer ``recommend(seen, k) -> (items, scores)``. Ranking is over the
    full catalogue with the user's training items excluded, never sampled negatives.
    """
    train, test = stratified_split(ratings, test_fraction=test_fraction, seed=seed)
    full = build_interactions(ratings)
    x_train = build_interactions(train, user_ids=full.user_ids, item_ids=full.item_ids)
    x_test = build_interactions(test, user_ids=full.user_ids, item_ids=full.item_ids)
    model = fit(x_train.matrix)
    items, _ = model.recommend(x_train.matrix, k)
    metrics = ranking_metrics(items, x_test.matrix, k=k)
    metrics[f"coverage@{k}"] = catalogue_coverage(items, x_train.shape[1])
    return metrics
