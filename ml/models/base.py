"""What every recommender shares: top-k over the full catalogue with seen items excluded."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def top_k(scores: np.ndarray, seen: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Best ``k`` unseen items per row of a dense score matrix.

    Parameters
    ----------
    scores : np.ndarray, shape (n_users, n_items)
        Higher is better. Modified in place (seen items set to -inf).
    seen : scipy.sparse.csr_matrix, shape (n_users, n_items)
        Items each user already rated; never returned.
    k : int
        List length; rows with fewer than ``k`` unseen items are padded with item
        ``-1`` and score ``-inf``.

    Returns
    -------
    items : np.ndarray, shape (n_users, k), int64
    item_scores : np.ndarray, shape (n_users, k), float32
    """
    n_users, n_items = scores.shape
    rows = np.repeat(np.arange(n_users), np.diff(seen.indptr))
    scores[rows, seen.indices] = -np.inf
    kk = min(k, n_items)
    part = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
    part_scores = np.take_along_axis(scores, part, axis=1)
    # Ties broken by item index so that the same scores always give the same list.
    order = np.lexsort((part, -part_scores), axis=1)
    items = np.take_along_axis(part, order, axis=1).astype(np.int64)
    item_scores = np.take_along_axis(part_scores, order, axis=1).astype(np.float32)
    items[~np.isfinite(item_scores)] = -1
    if kk < k:
        pad = k - kk
        items = np.pad(items, ((0, 0), (0, pad)), constant_values=-1)
        item_scores = np.pad(item_scores, ((0, 0), (0, pad)), constant_values=-np.inf)
    return items, item_scores


def batched_top_k(score_fn, seen: sp.csr_matrix, k: int, *, batch_size: int = 2048):
    """Apply ``score_fn(row_indices) -> (len(rows), n_items)`` in batches and keep top ``k``.

    Keeps memory at ``batch_size * n_items`` floats whatever the number of users.
    """
    n_users = seen.shape[0]
    items = np.empty((n_users, k), dtype=np.int64)
    scores = np.empty((n_users, k), dtype=np.float32)
    for start in range(0, n_users, batch_size):
        rows = np.arange(start, min(start + batch_size, n_users))
        block = np.asarray(score_fn(rows), dtype=np.float32)
        items[rows], scores[rows] = top_k(block, seen[rows], k)
    return items, scores
