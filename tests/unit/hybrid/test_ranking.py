"""Maximal marginal relevance: relevance traded for diversity by lambda."""

from __future__ import annotations

import numpy as np
import pytest

from ml.hybrid.ranking import mmr


def test_mmr_trades_relevance_for_diversity():
    rel = np.array([1.0, 0.99, 0.5])
    vectors = np.array([[1.0, 0], [1.0, 0.01], [0, 1.0]])
    assert mmr(rel, vectors, 1.0, 3).tolist() == [0, 1, 2]
    assert mmr(rel, vectors, 0.5, 3).tolist()[:2] == [0, 2]
    with pytest.raises(ValueError):
        mmr(rel, vectors, 1.5, 3)
