"""Top-k ranking metrics over full-catalogue recommendations (no sampled negatives)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def ranking_metrics(recs: np.ndarray, relevant: sp.csr_matrix, k: int = 10) -> dict[str, float]:
    """Precision, recall, NDCG, MAP and hit rate at ``k``, averaged over users with test items.

    Parameters
    ----------
    recs : np.ndarray, shape (n_users, >= k), int
        Item indices in rank order per user (row ``u`` belongs to user ``u`` of
        ``relevant``); negative values mean "no item" and never hit.
    relevant : scipy.sparse.csr_matrix, shape (n_users, n_items)
        Held-out items per user (any stored value counts as relevant).
    k : int
        Cut-off.

    Returns
    -------
    dict
        ``precision@k``, ``recall@k``, ``ndcg@k``, ``map@k``, ``hit_rate@k`` and
        ``users`` (how many users were evaluated). Binary relevance; NDCG's ideal DCG
        uses ``min(|relevant|, k)`` hits; MAP@k divides by ``min(|relevant|, k)``
        (as Microsoft Recommenders' ``map_at_k``).
    """
    recs = np.asarray(recs)[:, :k]
    if recs.shape[0] != relevant.shape[0]:
        raise ValueError(f"recs has {recs.shape[0]} users, relevant has {relevant.shape[0]}")
    n_rel = np.diff(relevant.indptr)
    users = np.flatnonzero(n_rel > 0)
    if len(users) == 0:
        raise ValueError("no user has a relevant item: nothing to evaluate")
    hits = _hits(recs[users], relevant[users])
    n_rel = n_rel[users].astype(np.float64)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hits * discounts).sum(axis=1)
    ideal = np.cumsum(discounts)[np.minimum(n_rel, k).astype(int) - 1]
    cum_hits = np.cumsum(hits, axis=1)
    precision_at_i = cum_hits / np.arange(1, k + 1)
    ap = (precision_at_i * hits).sum(axis=1) / np.minimum(n_rel, k)
    n_hits = hits.sum(axis=1)
    return {
        f"precision@{k}": float(np.mean(n_hits / k)),
        f"recall@{k}": float(np.mean(n_hits / n_rel)),
        f"ndcg@{k}": float(np.mean(dcg / ideal)),
        f"map@{k}": float(np.mean(ap)),
        f"hit_rate@{k}": float(np.mean(n_hits > 0)),
        "users": int(len(users)),
    }


def _hits(recs: np.ndarray, relevant: sp.csr_matrix) -> np.ndarray:
    """Boolean matrix (n_users, k): is the item at rank i relevant for the user?"""
    out = np.zeros(recs.shape, dtype=np.float64)
    for row in range(recs.shape[0]):
        start, end = relevant.indptr[row], relevant.indptr[row + 1]
        out[row] = np.isin(recs[row], relevant.indices[start:end])
    return out


def catalogue_coverage(recs: np.ndarray, n_items: int) -> float:
    """Share of the catalogue that appears in at least one list."""
    items = np.asarray(recs).ravel()
    return float(len(np.unique(items[items >= 0])) / max(1, n_items))
