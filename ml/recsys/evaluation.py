"""Offline evaluation: full-catalogue ranking metrics, beyond-accuracy metrics, tuning."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp

from ml.recsys.interactions import Interactions, build_interactions
from ml.recsys.metrics import catalogue_coverage, ranking_metrics
from ml.recsys.models import build
from ml.recsys.models.mf import BiasedMf, rmse_mae
from ml.recsys.search_spaces import (  # noqa: F401 - re-exported: callers import them here
    CANDIDATES,
    MAX_DENSE_ITEMS,
    PROTOCOLS,
    SEARCH_SPACES,
    SELECTED_DEFAULT,
    SQUARE_MEMORY,
    selected_default,
    too_large,
)
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
    users: np.ndarray | None = None,
    deadline: float | None = None,
) -> dict:
    """Fit ``name`` on the split's train matrix; full-ranking metrics on its test matrix.

    ``users`` (row indices) restricts the scoring and the metrics to those users; the model
    is still fitted on every user's training rows. ``deadline`` (``time.monotonic()``) goes to
    ``fit``: models trained in epochs stop there (the row's ``stopped_at_deadline``).
    """
    model = build(name, params, seed=seed)
    started = time.perf_counter()
    model.fit_interactions(split.train, deadline=deadline)
    x, test = split.train.matrix, split.test.matrix
    items, _ = model.recommend(x, k, rows=users)
    row = {"model": name, "params": json.dumps(params, sort_keys=True)}
    metrics = ranking_metrics(items, test if users is None else test[users], k=k)
    row.update({m: v for m, v in metrics.items() if m != "users"})
    row["users"] = metrics["users"]
    row.update(beyond_accuracy(items, x, genres=genres, item_vectors=item_vectors))
    row["train_s"] = model.train_seconds
    row["total_s"] = time.perf_counter() - started
    if hasattr(model, "best_epoch"):  # models that stop early on a validation carve
        row["best_epoch"] = model.best_epoch
    if model.stopped_at_deadline:
        row["stopped_at_deadline"] = True
    return row


def sample_users(split: Split, n: int | None, *, seed: int = 42) -> np.ndarray | None:
    """Row indices of ``n`` users with test items, drawn by ``seed`` (sorted); None (every
    user) when ``n`` is None or there are no more than ``n`` such users."""
    candidates = np.flatnonzero(np.diff(split.test.matrix.indptr) > 0)
    if n is None or len(candidates) <= n:
        return None
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(candidates, size=n, replace=False))


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


def tune(
    ratings: pl.DataFrame,
    *,
    models: list[str] | None = None,
    protocol: str = "stratified",
    budget_seconds: float = 120.0,
    k: int = 10,
    seed: int = 42,
    validation_fraction: float = 0.25,
    validation_users: int | None = None,
    max_items: int = MAX_DENSE_ITEMS,
    movies: pl.DataFrame | None = None,
    repeats: int = 1,
    log: Callable[[str], None] | None = None,
) -> pl.DataFrame:
    """Search each model's space on a validation split of ``ratings`` within a hard budget.

    The validation split is ``protocol``'s (``make_split``): ``stratified`` holds out a
    random ``validation_fraction`` of each user's ratings, ``temporal`` each user's last.
    ``validation_users`` scores only that many users with validation items (drawn by
    ``seed``, the same for every configuration); every model still trains on all the rows.

    The budget is hard. Models are searched in order, each with a share of what is left
    (time left / models still to come) and its configurations in order. A configuration
    starts only when the budget is not spent, when it is the model's first or the model's
    share is not spent, and when the model's previous configuration took no longer than what
    is left of the share (so that no model eats the next one's time); otherwise it is a row
    whose ``skipped`` says why. A started configuration gets the end of its model's share as
    its deadline: the torch models stop their epochs there, implicit's ALS and BPR their
    iterations (after the one under way). What can still overrun is what
    cannot be interrupted: a model's first configuration when it is closed-form (EASE,
    ItemKNN), a torch model's start-up and the scoring of a stopped model. Models whose
    memory grows with ``n_items²`` (EASE, ItemKNN, RP3beta) are skipped above ``max_items``.

    With ``repeats`` > 1 under ``stratified`` every configuration is measured on that many
    validation splits (seeds ``seed``, ``seed + 1``, ...) and its metrics are their means:
    differences between neighbouring configurations are often smaller than one split's
    noise. ``temporal`` has one split (repeats would measure it again). ``log`` receives one
    line per configuration (tried or skipped) with the progress and the time spent.

    Returns
    -------
    pl.DataFrame
        One row per configuration: model, params (JSON), protocol, validation metrics and
        seconds when tried, ``skipped`` with the reason when not.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; use {' or '.join(PROTOCOLS)}")
    models = models or CANDIDATES[protocol]
    unknown = [m for m in models if m not in SEARCH_SPACES]
    if unknown:
        raise ValueError(f"no search space for {unknown}; available: {', '.join(SEARCH_SPACES)}")
    say = log or (lambda _line: None)
    started = time.monotonic()
    deadline = started + budget_seconds
    n_splits = max(1, repeats) if protocol == "stratified" else 1
    splits = [
        make_split(
            ratings, protocol, seed=seed + r, test_fraction=validation_fraction, movies=movies
        )
        for r in range(n_splits)
    ]
    samples = [sample_users(v, validation_users, seed=seed) for v in splits]
    n_items = splits[0].train.shape[1]
    total = sum(len(SEARCH_SPACES[name]) for name in models)
    say(
        f"tuning {total} configurations of {len(models)} models on the {protocol} split "
        f"({'all' if samples[0] is None else len(samples[0])} validation users), "
        f"budget {budget_seconds:.0f}s"
    )

    def clock() -> str:
        return f"{time.monotonic() - started:.0f}s of {budget_seconds:.0f}s"

    rows: list[dict] = []
    for m, name in enumerate(models):
        now = time.monotonic()
        share_end = now + max(0.0, deadline - now) / (len(models) - m)
        last_s = None
        for c, params in enumerate(SEARCH_SPACES[name]):
            now = time.monotonic()
            reason = _skip_reason(name, c, now, deadline, share_end, last_s, n_items, max_items)
            done = f"[{len(rows) + 1}/{total}]"
            if reason:
                rows.append(
                    {
                        "model": name,
                        "params": json.dumps(params, sort_keys=True),
                        "protocol": protocol,
                        "skipped": reason,
                    }
                )
                say(f"{done} {name} {rows[-1]['params']}: skipped, {reason} ({clock()})")
                continue
            row = _mean_rows(
                [
                    evaluate_model(name, params, v, k=k, seed=seed, users=u, deadline=share_end)
                    for v, u in zip(splits, samples)
                ]
            )
            row["protocol"] = protocol
            last_s = row["total_s"]
            rows.append(row)
            stopped = ", stopped at its deadline" if row.get("stopped_at_deadline") else ""
            say(
                f"{done} {name} {row['params']}: NDCG@{k} {row[f'ndcg@{k}']:.4f} "
                f"in {last_s:.1f}s{stopped} ({clock()})"
            )
    tried = sum(1 for r in rows if not r.get("skipped"))
    say(f"tried {tried} of {total} configurations in {time.monotonic() - started:.0f}s")
    return pl.DataFrame(rows, infer_schema_length=None)


def _skip_reason(
    name: str,
    index: int,
    now: float,
    deadline: float,
    share_end: float,
    last_s: float | None,
    n_items: int,
    max_items: int,
) -> str | None:
    """Why configuration ``index`` of model ``name`` is not started now (None: start it)."""
    if reason := too_large(name, n_items, max_items):
        return reason
    if now >= deadline:
        return "time budget spent"
    if index and now >= share_end:
        return f"{name}'s share of the budget spent"
    if last_s is not None and now + last_s > share_end:
        return f"would not finish: its previous configuration took {last_s:.1f}s, " + (
            f"{share_end - now:.1f}s of {name}'s share left"
        )
    return None
