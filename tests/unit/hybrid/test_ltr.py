"""Learning to rank: coordinate ascent on NDCG finds the feature that carries the labels."""

from __future__ import annotations

import numpy as np
import pytest

from ml.hybrid.ltr import coordinate_ascent, ndcg_at_k, pad_groups


def test_coordinate_ascent_finds_the_informative_feature():
    rng = np.random.default_rng(0)
    groups = []
    for _ in range(30):
        labels = np.zeros(20, dtype=bool)
        labels[rng.choice(20, 2, replace=False)] = True
        x = np.stack([labels + 0.3 * rng.random(20), rng.random(20)], axis=1)
        groups.append((x, labels, 2))
    padded = pad_groups(groups)
    start = np.array([0.0, 1.0])  # the noise feature only
    assert ndcg_at_k(padded[0] @ start, *padded[1:]) < 0.6
    w, value = coordinate_ascent(*padded, start)
    assert value == pytest.approx(1.0) and w[0] > w[1]
