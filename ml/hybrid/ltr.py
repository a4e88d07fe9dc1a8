"""Learning-to-rank by coordinate ascent on NDCG@k (Metzler & Croft 2007).

The re-ranker starts from logistic-regression weights (a pointwise fit) and then moves one
weight at a time to whatever value on a grid gives the best mean NDCG@k over the
validation users, so the weights are tuned for the ranking metric itself.
"""

from __future__ import annotations

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


def ndcg_at_k(scores, labels, valid, n_rel, k: int = 10) -> float:
    """Mean NDCG@k of ranking each user's candidates by ``scores`` (U, M)."""
    s = np.where(valid, scores, -np.inf)
    kk = min(k, s.shape[1])
    top = np.argpartition(-s, kk - 1, axis=1)[:, :kk]
    order = np.argsort(-np.take_along_axis(s, top, axis=1), axis=1, kind="stable")
    top = np.take_along_axis(top, order, axis=1)
    hits = np.take_along_axis(labels & valid, top, axis=1)
    discounts = 1.0 / np.log2(np.arange(2, kk + 2))
    dcg = (hits * discounts).sum(axis=1)
    ideal = np.cumsum(discounts)[np.clip(np.minimum(n_rel, kk).astype(int) - 1, 0, None)]
    return float(np.mean(np.where(n_rel > 0, dcg / ideal, 0.0)))


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
