"""Offline evaluation: full-catalogue ranking metrics, beyond-accuracy metrics, tuning."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp

from ml.recsys.interactions import Interactions, build_interactions
from ml.recsys.metrics import catalogue_coverage, ranking_metrics
from ml.recsys.models import build
from ml.recsys.models.mf import BiasedMf, rmse_mae
from ml.recsys.split import leave_last_out, stratified_split


@dataclass(frozen=True)
class Split:
    """Train and test matrices in one shared index space (all users, all items)."""

    train: Interactions
    test: Interactions
    train_frame: pl.DataFrame
    test_frame: pl.DataFrame


def make_split(
    ratings: pl.DataFrame,
    protocol: str,
    *,
    seed: int = 42,
    test_fraction: float = 0.25,
    movies: pl.DataFrame | None = None,
) -> Split:
    """``stratified``: per-user random 75/25 (Microsoft Recommenders' protocol);
    ``temporal``: each user's last rating is the test set. ``movies`` (item_id, genres)
    gives the train matrix its item features."""
    if protocol == "stratified":
        train, test = stratified_split(ratings, test_fraction=test_fraction, seed=seed)
    elif protocol == "temporal":
        train, test = leave_last_out(ratings)
    else:
        raise ValueError(f"unknown protocol {protocol!r}; use 'stratified' or 'temporal'")
    return split_of(ratings, train, test, movies)


def split_of(
    ratings: pl.DataFrame, train: pl.DataFrame, test: pl.DataFrame, movies: pl.DataFrame | None
) -> Split:
    """Train and test frames as matrices in the index space of all ``ratings``."""
    full = build_interactions(ratings)
    ids = {"user_ids": full.user_ids, "item_ids": full.item_ids}
    return Split(
        build_interactions(train, **ids, movies=movies),
        build_interactions(test, **ids),
        train,
        test,
    )


def beyond_accuracy(
    items: np.ndarray,
    train: sp.csr_matrix,
    *,
    genres: list[list[str]] | None = None,
    item_vectors: np.ndarray | None = None,
) -> dict[str, float]:
    """Coverage, novelty, popularity bias and intra-list diversity of top-k lists.

    Parameters
    ----------
    items : np.ndarray, shape (n_users, k)
        Recommended item indices (-1 = padding).
    train : csr_matrix, shape (n_users, n_items)
        Training interactions: item popularity comes from here.
    genres : list of genre lists per item index, optional
        Genre ILD = mean pairwise Jaccard distance of genres within a list.
    item_vectors : np.ndarray, shape (n_items, d), optional
        Embedding ILD = mean pairwise cosine distance within a list.
    """
    n_users, n_items = train.shape
    pop = np.asarray((train > 0).sum(axis=0)).ravel().astype(np.float64)
    valid = items >= 0
    rec = items[valid]
    # Self-information of an item: -log2 of the share of users who rated it.
    info = -np.log2(np.maximum(pop, 1) / n_users)
    percentile = pop.argsort().argsort() / max(1, n_items - 1)
    exposure = np.bincount(rec, minlength=n_items).astype(np.float64)
    out = {
        "coverage": catalogue_coverage(items, n_items),
        "novelty": float(info[rec].mean()),
        "popularity_percentile": float(percentile[rec].mean()),
        "gini": _gini(exposure),
    }
    if item_vectors is not None:
        out["ild_embedding"] = _ild_embedding(items, item_vectors)
    if genres is not None:
        out["ild_genre"] = _ild_genre(items, genres)
    return out


def _gini(x: np.ndarray) -> float:
    """Gini of item exposure: 0 = every item recommended equally, 1 = one item gets all."""
    x = np.sort(x)
    n = len(x)
    if x.sum() == 0:
        return 0.0
    return float((2 * np.arange(1, n + 1) - n - 1).dot(x) / (n * x.sum()))


def _ild_embedding(items: np.ndarray, vectors: np.ndarray) -> float:
    v = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    scores = []
    for row in items:
        row = row[row >= 0]
        if len(row) < 2:
            continue
        sim = v[row] @ v[row].T
        n = len(row)
        scores.append(1 - (sim.sum() - n) / (n * (n - 1)))
    return float(np.mean(scores)) if scores else 0.0


def _ild_genre(items: np.ndarray, genres: list[list[str]]) -> float:
    sets = [set(g) for g in genres]
    scores = []
    for row in items:
        row = [i for i in row if i >= 0]
        pairs = list(itertools.combinations(row, 2))
        if not pairs:
            continue
        dist = [1 - len(sets[a] & sets[b]) / max(1, len(sets[a] | sets[b])) for a, b in pairs]
        scores.append(np.mean(dist))
    return float(np.mean(scores)) if scores else 0.0


def svd_item_vectors(train: sp.csr_matrix, dim: int = 64, seed: int = 0) -> np.ndarray:
    """A model-independent item embedding for embedding ILD: truncated SVD of the matrix."""
    from sklearn.decomposition import TruncatedSVD

    dim = min(dim, min(train.shape) - 1)
    svd = TruncatedSVD(n_components=dim, random_state=seed)
    svd.fit((train > 0).astype(np.float32))
    return svd.components_.T


def evaluate_model(
    name: str,
    params: dict,
    split: Split,
    *,
    k: int = 10,
    seed: int = 42,
    genres: list[list[str]] | None = None,
    item_vectors: np.ndarray | None = None,
) -> dict:
    """Fit ``name`` on the split's train matrix; full-ranking metrics on its test matrix."""
    model = build(name, params, seed=seed)
    started = time.perf_counter()
    model.fit_interactions(split.train)
    items, _ = model.recommend(split.train.matrix, k)
    row = {"model": name, "params": json.dumps(params, sort_keys=True)}
    metrics = ranking_metrics(items, split.test.matrix, k=k)
    row.update({m: v for m, v in metrics.items() if m != "users"})
    row["users"] = metrics["users"]
    row.update(beyond_accuracy(items, split.train.matrix, genres=genres, item_vectors=item_vectors))
    row["train_s"] = model.train_seconds
    row["total_s"] = time.perf_counter() - started
    if hasattr(model, "best_epoch"):  # models that stop early on a validation carve
        row["best_epoch"] = model.best_epoch
    return row


def evaluate_rating_predictor(split: Split, *, seed: int = 42) -> dict:
    """RMSE and MAE of biased MF on the explicit ratings of the test split."""
    u_tr = split.train.user_index(split.train_frame["user_id"].to_numpy())
    i_tr = split.train.item_index(split.train_frame["item_id"].to_numpy())
    model = BiasedMf(seed=seed).fit(
        u_tr, i_tr, split.train_frame["rating"].to_numpy(), *split.train.shape
    )
    u_te = split.test.user_index(split.test_frame["user_id"].to_numpy())
    i_te = split.test.item_index(split.test_frame["item_id"].to_numpy())
    pred = model.predict(u_te, i_te)
    baseline = np.full(len(u_te), split.train_frame["rating"].mean())
    out = {"model": model.name, **rmse_mae(split.test_frame["rating"].to_numpy(), pred)}
    out["rmse_global_mean"] = rmse_mae(split.test_frame["rating"].to_numpy(), baseline)["rmse"]
    out["train_s"] = model.train_seconds
    return out


#: Search spaces, ordered so that the first configurations are the known-good defaults.
SEARCH_SPACES: dict[str, list[dict]] = {
    "popularity": [{}],
    "ease": [{"l2": v} for v in (500.0, 250.0, 1000.0, 100.0)],
    # The first entry is the one `tune` selects on ML-100K (docs/model_benchmark.md).
    "ease_sessions": [
        {
            "l2": l2,
            "session_weight": sw,
            "adjacent_weight": aw,
            "genre_weight": gw,
            "popularity_penalty": pp,
            "als_weight": als,
        }
        for l2, sw, aw, gw, pp, als in (
            (550.0, 1.0, 0.6, 0.2, 0.15, 0.2),
            (550.0, 1.0, 0.6, 0.2, 0.0, 0.2),
            (550.0, 1.0, 0.6, 0.2, 0.0, 0.0),
            (550.0, 1.0, 0.6, 0.2, 0.0, 0.1),
            (550.0, 1.0, 0.6, 0.2, 0.0, 0.3),
            (550.0, 1.0, 0.6, 0.2, 0.15, 0.0),
            (800.0, 1.0, 0.6, 0.2, 0.15, 0.0),
            (400.0, 1.25, 0.0, 0.0, 0.0, 0.0),
            (550.0, 0.75, 0.6, 0.3, 0.15, 0.0),
        )
    ],
    "rp3beta": [{"alpha": a, "beta": b} for a, b in ((0.8, 0.6), (1.0, 0.5), (0.6, 0.4))],
    "itemknn": [{"neighbours": n} for n in (100, 50, 200)],
    "als": [
        {"factors": f, "regularization": r, "alpha": a}
        for f, r, a in ((32, 0.05, 1.0), (64, 0.05, 1.0), (16, 0.05, 1.0), (32, 0.1, 2.0))
    ],
    "bpr": [{"learning_rate": 0.01, "regularization": 0.01, "iterations": 100}],
    "multvae": [{}],
    # Torch models, measured in docs/model_benchmark.md; not in the pipeline's default tuning
    # list (assets/models.py), whose nightly budget they would not fit on CPU.
    "sasrec": [{}, {"dropout": 0.3}, {"dim": 96}],
    "lightgcn": [{}, {"genre_nodes": True}],
    "neumf": [{}],
}


#: The model the pipeline's selection picks on MovieLens (``model_tuning`` searches
#: ``SEARCH_SPACES`` on validation splits of the training part, ``model_selection`` keeps the
#: best validation score); ``benchmarks/evaluate_models.py`` re-runs that selection and
#: reports whether it still agrees. ``cine recommend`` uses it when no ``--model`` is given.
SELECTED_DEFAULT = "ease_sessions"


def selected_default() -> tuple[str, dict]:
    """``(name, params)`` of ``SELECTED_DEFAULT``: the first configuration of its search space,
    the one the selection picks (docs/model_benchmark.md)."""
    return SELECTED_DEFAULT, dict(SEARCH_SPACES[SELECTED_DEFAULT][0])


def _mean_rows(rows: list[dict]) -> dict:
    """One row: numbers averaged over ``rows`` (times summed), the rest from the first."""
    if len(rows) == 1:
        return rows[0]
    out = dict(rows[0], repeats=len(rows))
    for key, value in rows[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            values = [r[key] for r in rows]
            out[key] = float(sum(values) if key.endswith("_s") else np.mean(values))
    return out


#: Models whose memory grows with ``n_items²``.
SQUARE_MEMORY = ("ease", "ease_sessions", "itemknn", "rp3beta")


def tune(
    ratings: pl.DataFrame,
    *,
    models: list[str] | None = None,
    budget_seconds: float = 120.0,
    k: int = 10,
    seed: int = 42,
    validation_fraction: float = 0.25,
    max_items: int = 20000,
    movies: pl.DataFrame | None = None,
    repeats: int = 1,
) -> pl.DataFrame:
    """Search each model's space on a validation split within a time budget.

    Each model gets an equal share of ``budget_seconds``; its configurations are tried in
    order until its share is spent (the first is always tried). Models whose memory
    grows with ``n_items²`` (EASE, ItemKNN, RP3beta) are skipped above ``max_items``.
    With ``repeats`` > 1 every configuration is measured on that many validation splits
    (seeds ``seed``, ``seed + 1``, ...) and its metrics are their means: differences between
    neighbouring configurations are often smaller than one split's noise.

    Returns
    -------
    pl.DataFrame
        One row per configuration tried: model, params (JSON), validation metrics,
        seconds, and ``skipped`` with the reason when a model was not run.
    """
    models = models or list(SEARCH_SPACES)
    splits = [
        make_split(
            ratings, "stratified", seed=seed + r, test_fraction=validation_fraction, movies=movies
        )
        for r in range(max(1, repeats))
    ]
    split = splits[0]
    share = budget_seconds / max(1, len(models))
    rows = []
    for name in models:
        spent = 0.0
        for params in SEARCH_SPACES[name]:
            if name in SQUARE_MEMORY and split.train.shape[1] > max_items:
                rows.append(
                    {
                        "model": name,
                        "params": json.dumps(params),
                        "skipped": f"{split.train.shape[1]} items > max_items",
                    }
                )
                break
            if spent and spent >= share:
                break
            row = _mean_rows([evaluate_model(name, params, v, k=k, seed=seed) for v in splits])
            spent += row["total_s"]
            rows.append(row)
    return pl.DataFrame(rows, infer_schema_length=None)
