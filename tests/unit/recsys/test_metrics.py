"""Ranking metrics against hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from ml.recsys.metrics import catalogue_coverage, ranking_metrics


def test_hand_computed_two_users() -> None:
    # User 0: relevant {1, 3}; list [1, 2, 3] -> hits at ranks 1 and 3.
    # User 1: relevant {0};    list [2, 3, 0] -> hit at rank 3.
    relevant = sp.csr_matrix(np.array([[0, 1, 0, 1], [1, 0, 0, 0]]))
    recs = np.array([[1, 2, 3], [2, 3, 0]])
    m = ranking_metrics(recs, relevant, k=3)
    d = [1 / math.log2(i + 2) for i in range(3)]
    ndcg0 = (d[0] + d[2]) / (d[0] + d[1])
    ndcg1 = d[2] / d[0]
    assert m["ndcg@3"] == pytest.approx((ndcg0 + ndcg1) / 2)
    assert m["precision@3"] == pytest.approx((2 / 3 + 1 / 3) / 2)
    assert m["recall@3"] == pytest.approx((1.0 + 1.0) / 2)
    ap0 = (1 / 1 + 2 / 3) / 2
    ap1 = (1 / 3) / 1
    assert m["map@3"] == pytest.approx((ap0 + ap1) / 2)
    assert m["hit_rate@3"] == 1.0
    assert m["users"] == 2


def test_users_without_test_items_are_skipped_and_padding_never_hits() -> None:
    relevant = sp.csr_matrix(np.array([[0, 0, 1], [0, 0, 0]]))
    recs = np.array([[-1, -1, 2], [0, 1, 2]])
    m = ranking_metrics(recs, relevant, k=3)
    assert m["users"] == 1
    assert m["ndcg@3"] == pytest.approx((1 / math.log2(4)) / 1.0)


def test_perfect_and_empty_lists() -> None:
    relevant = sp.csr_matrix(np.eye(4))
    assert ranking_metrics(np.arange(4).reshape(4, 1), relevant, k=1)["ndcg@1"] == 1.0
    assert ranking_metrics(np.full((4, 1), -1), relevant, k=1)["ndcg@1"] == 0.0
    with pytest.raises(ValueError, match="no user"):
        ranking_metrics(np.zeros((2, 1), int), sp.csr_matrix((2, 3)), k=1)


def test_coverage() -> None:
    assert catalogue_coverage(np.array([[0, 1], [1, -1]]), n_items=4) == 0.5
