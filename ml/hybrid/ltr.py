"""Learning-to-rank by coordinate ascent on NDCG@k (Metzler & Croft 2007).

The re-ranker starts from logistic-regression weights (a pointwise fit) and then moves one
weight at a time to whatever value on a grid gives the best mean NDCG@k over the
validation users, so the weights are tuned for the ranking metric itself (``learn``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def pad_groups(groups: list[tuple[np.ndarray, np.ndarray, int]]):
    """Per-user (features (n_u, f), labels (n_u,), held-out count) → padded arrays.

    Returns features (U, M, f), labels (U, M) bool, valid (U, M) bool, n_relevant (U,).
    """
    m = max(len(y) for _, y, _ in groups)
    f = groups[0][0].shape[1]
    feats = np.zeros((len(groups), m, f), dtype=np.float64)
    labels = np.zeros((len(groups), m), dtype=bool)
    valid = np.zeros((len(groups), m), dtype=bool)
    n_rel = np.zeros(len(groups))
    for u, (x, y, n) in enumerate(groups):
        feats[u, : len(y)], labels[u, : len(y)], valid[u, : len(y)] = x, y, True
        n_rel[u] = n
    return feats, labels, valid, n_rel


def per_user_ndcg(scores, labels, valid, n_rel, k: int = 10) -> np.ndarray:
    """NDCG@k of ranking each user's candidates by ``scores`` (U, M): shape (U,).

    ``n_rel`` counts every held-out item of the user, also those outside the candidates,
    so the value equals the full-catalogue NDCG@k of the list.
    """
    s = np.where(valid, scores, -np.inf)
    kk = min(k, s.shape[1])
    top = np.argpartition(-s, kk - 1, axis=1)[:, :kk]
    order = np.argsort(-np.take_along_axis(s, top, axis=1), axis=1, kind="stable")
    top = np.take_along_axis(top, order, axis=1)
    hits = np.take_along_axis(labels & valid, top, axis=1)
    discounts = 1.0 / np.log2(np.arange(2, kk + 2))
    dcg = (hits * discounts[: hits.shape[1]]).sum(axis=1)
    full = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(full)[np.clip(np.minimum(n_rel, k).astype(int) - 1, 0, None)]
    return np.where(n_rel > 0, dcg / ideal, 0.0)


def ndcg_at_k(scores, labels, valid, n_rel, k: int = 10) -> float:
    """Mean NDCG@k of ranking each user's candidates by ``scores`` (U, M)."""
    return float(np.mean(per_user_ndcg(scores, labels, valid, n_rel, k)))


def coordinate_ascent(
    feats, labels, valid, n_rel, start: np.ndarray, *, k: int = 10, rounds: int = 3
) -> tuple[np.ndarray, float]:
    """Weights (f,) maximising mean NDCG@k, from ``start``; and that NDCG."""
    w = np.asarray(start, dtype=np.float64).copy()
    scale = max(float(np.abs(w).max()), 1e-3)
    steps = scale * np.array([-1.0, -0.5, -0.25, -0.1, 0.1, 0.25, 0.5, 1.0])
    best = ndcg_at_k(feats @ w, labels, valid, n_rel, k)
    for _ in range(rounds):
        improved = False
        for f in range(len(w)):
            for step in steps:
                trial = w.copy()
                trial[f] += step
                value = ndcg_at_k(feats @ trial, labels, valid, n_rel, k)
                if value > best + 1e-9:
                    best, w, improved = value, trial, True
        if not improved:
            break
    return w, best


@dataclass(frozen=True)
class LinearScorer:
    """``((x - mean) / std) @ coef + intercept`` and the logistic start it was tuned from."""

    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    std: np.ndarray
    logistic: np.ndarray

    def score(self, feats: np.ndarray) -> np.ndarray:
        return ((feats - self.mean) / self.std) @ self.coef + self.intercept


def learn(
    feats,
    labels,
    valid,
    n_rel,
    *,
    regularization: float = 1.0,
    rounds: int = 3,
    k: int = 10,
    seed: int = 42,
) -> LinearScorer:
    """Logistic regression on every candidate (positive: a held-out item), then coordinate
    ascent on NDCG@k from its weights. ``rounds=0`` keeps the logistic weights."""
    from sklearn.linear_model import LogisticRegression

    x, y = feats[valid], labels[valid]
    if y.sum() == 0:
        raise ValueError("no held-out item is among the candidates: cannot learn weights")
    mean, std = x.mean(axis=0), np.maximum(x.std(axis=0), 1e-9)
    lr = LogisticRegression(C=regularization, max_iter=1000, random_state=seed)
    lr.fit((x - mean) / std, y)
    start = lr.coef_[0]
    coef = start
    if rounds > 0:
        coef, _ = coordinate_ascent(
            (feats - mean) / std, labels, valid, n_rel, start, k=k, rounds=rounds
        )
    return LinearScorer(coef, float(lr.intercept_[0]), mean, std, start)
