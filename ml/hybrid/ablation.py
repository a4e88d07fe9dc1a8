"""Ablation of the hybrid ranker: ALS, the best single model, hybrid, hybrid + MMR.

One stratified train/test split. The single model is chosen and the re-ranker's weights
learned on a validation split carved out of the training part only, so the test items
are seen by nothing until the metrics are computed.
"""

from __future__ import annotations

import time

import numpy as np
import polars as pl

from ml.content.embeddings import ContentEmbeddings
from ml.hybrid.ranking import HybridParams, ItemSide, context, fit_hybrid, rank
from ml.recsys.evaluation import beyond_accuracy, make_split, tune
from ml.recsys.metrics import ranking_metrics
from ml.recsys.models import build

ALS_DEFAULT = {"factors": 32, "regularization": 0.05, "alpha": 1.0}


def _row(name: str, items: np.ndarray, split, side: ItemSide, seconds: float) -> dict:
    acc = ranking_metrics(items, split.test.matrix, k=10)
    extra = beyond_accuracy(
        items[:, :10], split.train.matrix, genres=side.genres, item_vectors=side.vectors
    )
    return {
        "variant": name,
        "ndcg@10": acc["ndcg@10"],
        "recall@10": acc["recall@10"],
        "coverage": extra["coverage"],
        "diversity_genre": extra["ild_genre"],
        "diversity_content": extra["ild_embedding"],
        "novelty": extra["novelty"],
        "seconds": seconds,
    }


def run_ablation(
    ratings: pl.DataFrame,
    emb: ContentEmbeddings,
    movies: pl.DataFrame,
    *,
    single_models: list[str] | None = None,
    tuning_budget: float = 60.0,
    params: HybridParams = HybridParams(),
    mmr_lambda: float = 0.7,
    seed: int = 42,
) -> tuple[pl.DataFrame, dict]:
    """The ablation table (one row per variant) and what was chosen along the way."""
    split = make_split(ratings, "stratified", seed=seed, movies=movies)
    side = ItemSide.build(split.train, emb, movies)
    rows = []

    started = time.perf_counter()
    als = build("als", ALS_DEFAULT, seed=seed).fit(split.train.matrix)
    rows.append(_row("ALS", als.recommend(split.train.matrix, 10)[0], split, side, 0.0))
    rows[-1]["seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    models = single_models or ["popularity", "itemknn", "rp3beta", "als", "ease", "ease_sessions"]
    tried = tune(
        split.train_frame, models=models, budget_seconds=tuning_budget, seed=seed, movies=movies
    )
    best = (
        tried.filter(pl.col("ndcg@10").is_not_null())
        .sort("ndcg@10", descending=True)
        .row(0, named=True)
    )
    import json

    best_params = json.loads(best["params"])
    single = build(best["model"], best_params, seed=seed).fit_interactions(split.train)
    single_items = single.recommend(split.train.matrix, 10)[0]
    rows.append(
        _row(
            f"best single ({best['model']})",
            single_items,
            split,
            side,
            time.perf_counter() - started,
        )
    )

    started = time.perf_counter()
    ranker = fit_hybrid(
        split.train_frame, best["model"], best_params, emb, movies, params=params, seed=seed
    )
    ctx = context(single, split.train, split.train_frame, side, ranker)
    hybrid_items, _ = rank(ranker, ctx, k=10)
    fit_s = time.perf_counter() - started
    rows.append(_row("hybrid", hybrid_items, split, side, fit_s))
    started = time.perf_counter()
    mmr_items, _ = rank(ranker, ctx, k=10, mmr_lambda=mmr_lambda)
    rows.append(
        _row(
            f"hybrid + MMR (λ={mmr_lambda})", mmr_items, split, side, time.perf_counter() - started
        )
    )
    info = {
        "best_single": best["model"],
        "best_single_params": best_params,
        "weights": ranker.weights(),
        "validation": ranker.validation,
        "content_backend": emb.backend,
        "users": int(split.train.shape[0]),
        "items": int(split.train.shape[1]),
        "ratings": int(ratings.height),
    }
    return pl.DataFrame(rows), info
