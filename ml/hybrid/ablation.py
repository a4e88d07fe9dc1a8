"""Ablation of the hybrid ranker: single models, a blend, the hybrid, hybrid + MMR, the gate.

One train/test split by ``protocol`` (stratified: per-user random 25%; temporal: each user's
last rating). The single model is chosen, the re-ranker's weights learned and the gate
decided on validation splits of the training part only, by the same protocol, so the test
items are seen by nothing until the metrics are computed.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace

import numpy as np
import polars as pl

from ml.content.embeddings import ContentEmbeddings
from ml.hybrid.ranking import (
    HybridParams,
    ItemSide,
    RankingContext,
    context,
    fit_hybrid,
    rank,
)
from ml.recsys.evaluation import SEARCH_SPACES, beyond_accuracy, evaluate_model, make_split
from ml.recsys.metrics import ranking_metrics
from ml.recsys.models import build
from ml.recsys.models.base import top_k

#: The models the pipeline's selection searches by default (assets/models.py), each at the
#: first configuration of its search space.
SINGLE_MODELS = ("popularity", "itemknn", "rp3beta", "als", "ease", "ease_sessions")


def _row(name: str, items, split, side: ItemSide, seconds: float, params=None) -> dict:
    acc = ranking_metrics(items, split.test.matrix, k=10)
    extra = beyond_accuracy(
        items[:, :10], split.train.matrix, genres=side.genres, item_vectors=side.vectors
    )
    return {
        "variant": name,
        "ndcg@10": acc["ndcg@10"],
        "recall@10": acc["recall@10"],
        "hit_rate@10": acc["hit_rate@10"],
        "coverage": extra["coverage"],
        "diversity_genre": extra["ild_genre"],
        "diversity_content": extra["ild_embedding"],
        "novelty": extra["novelty"],
        "seconds": seconds,
        "params": json.dumps(params, sort_keys=True) if params is not None else "",
    }


def select_single(
    train: pl.DataFrame, protocol: str, models, *, seed: int, movies: pl.DataFrame
) -> tuple[str, dict, pl.DataFrame]:
    """The best of ``models`` (first configurations) by NDCG@10 on a ``protocol`` split of
    ``train``: (name, params, one row per model)."""
    split = make_split(train, protocol, seed=seed, movies=movies)
    rows = [evaluate_model(m, SEARCH_SPACES[m][0], split, seed=seed) for m in models]
    table = pl.DataFrame(rows, infer_schema_length=None).sort("ndcg@10", descending=True)
    best = table.row(0, named=True)
    return best["model"], json.loads(best["params"]), table


def blend(ctx: RankingContext, columns: list[str], k: int = 10, batch_size: int = 256):
    """Top ``k`` unseen items by the mean of the per-user z-scored ``columns``, (n_users, k)."""
    idx = [ctx.features_names.index(c) for c in columns]
    out = np.full((ctx.x.shape[0], k), -1, dtype=np.int64)
    for start in range(0, ctx.x.shape[0], batch_size):
        rows = np.arange(start, min(start + batch_size, ctx.x.shape[0]))
        feats, _ = ctx.features(rows)
        out[rows] = top_k(feats[..., idx].mean(axis=-1), ctx.x[rows], k)[0]
    return out


def run_ablation(
    ratings: pl.DataFrame,
    emb: ContentEmbeddings,
    movies: pl.DataFrame,
    *,
    protocol: str = "stratified",
    single_models: tuple[str, ...] = SINGLE_MODELS,
    params: HybridParams = HybridParams(),
    mmr_lambda: float = 0.7,
    seed: int = 42,
) -> tuple[pl.DataFrame, dict]:
    """The ablation table (one row per variant) and what was chosen along the way."""
    split = make_split(ratings, protocol, seed=seed, movies=movies)
    side = ItemSide.build(split.train, emb, movies)
    started = time.perf_counter()
    best, best_params, selection = select_single(
        split.train_frame, protocol, single_models, seed=seed, movies=movies
    )
    select_s = time.perf_counter() - started

    started = time.perf_counter()
    ranker = fit_hybrid(
        split.train_frame,
        best,
        best_params,
        emb,
        movies,
        params=params,
        seed=seed,
        protocol=protocol,
    )
    fit_s = time.perf_counter() - started
    single = build(best, best_params, seed=seed).fit_interactions(split.train)
    ctx = context(single, split.train, split.train_frame, side, ranker)

    rows = []
    for name in dict.fromkeys((*single_models, *params.extra_models)):
        if name == best:
            model, label = single, f"single: {name} (selected)"
        elif name in ctx.extras:
            model, label = ctx.extras[name], f"single: {name}"
        else:
            model = build(name, SEARCH_SPACES[name][0], seed=seed).fit_interactions(split.train)
            label = f"single: {name}"
        started = time.perf_counter()
        items = model.recommend(split.train.matrix, 10)[0]
        seconds = model.train_seconds + time.perf_counter() - started
        rows.append(_row(label, items, split, side, seconds, model.describe()["params"]))

    extras = ranker.params.extra_models
    started = time.perf_counter()
    items = blend(ctx, ["cf", *(f"cf_{m}" for m in extras)])
    label = f"blend: mean z-score of {' + '.join([best, *extras])}"
    rows.append(_row(label, items, split, side, time.perf_counter() - started))

    hybrid = replace(ranker, published="hybrid")
    started = time.perf_counter()
    hybrid_items, _ = rank(hybrid, ctx, k=10)
    rows.append(_row("hybrid (learned re-ranker)", hybrid_items, split, side, fit_s))
    started = time.perf_counter()
    mmr_items, _ = rank(hybrid, ctx, k=10, mmr_lambda=mmr_lambda)
    seconds = time.perf_counter() - started
    rows.append(_row(f"hybrid + MMR (λ={mmr_lambda})", mmr_items, split, side, seconds))
    published_items, _ = rank(ranker, ctx, k=10)
    rows.append(_row(f"published by the gate: {ranker.source}", published_items, split, side, 0.0))
    table = pl.DataFrame(rows).select(pl.lit(protocol).alias("protocol"), pl.all())
    ndcg = dict(zip(table["variant"], table["ndcg@10"]))
    info = {
        "protocol": protocol,
        "best_single": best,
        "best_single_params": best_params,
        "selection": selection.select("model", "params", "ndcg@10", "train_s"),
        "selection_seconds": select_s,
        "weights": ranker.weights(),
        "validation": ranker.validation,
        "published": ranker.source,
        "test_margin": ndcg["hybrid (learned re-ranker)"] - ndcg[f"single: {best} (selected)"],
        "extra_models": list(extras),
        "content_backend": emb.backend,
        "users": int(split.train.shape[0]),
        "items": int(split.train.shape[1]),
        "ratings": int(ratings.height),
    }
    return table, info
