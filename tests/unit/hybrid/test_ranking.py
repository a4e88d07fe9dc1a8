"""Maximal marginal relevance: relevance traded for diversity by lambda."""

from __future__ import annotations

import numpy as np
import pytest

from ml import artifacts
from ml.hybrid.ranking import HybridRanker, mmr


def test_mmr_trades_relevance_for_diversity():
    rel = np.array([1.0, 0.99, 0.5])
    vectors = np.array([[1.0, 0], [1.0, 0.01], [0, 1.0]])
    assert mmr(rel, vectors, 1.0, 3).tolist() == [0, 1, 2]
    assert mmr(rel, vectors, 0.5, 3).tolist()[:2] == [0, 2]
    with pytest.raises(ValueError):
        mmr(rel, vectors, 1.5, 3)


def test_a_ranker_saved_before_extra_models_keeps_each_weight_on_its_feature(tmp_path):
    old = ("cf", "cf_rank", "cf2", "content", "popularity", "recency", "era_gap", "sentiment")
    coef = np.arange(1.0, 9.0)
    artifacts.save(
        tmp_path,
        {"coef": coef, "mean": np.zeros(8), "std": np.ones(8)},
        {
            "features": list(old),
            "weights": dict(zip(old, coef)),
            "intercept": 0.0,
            "params": {"n_cf": 100, "second_model": True, "ascent_rounds": 3},
            "base_model": "ease",
            "base_params": {"l2": 500.0},
            "validation": {},
        },
    )
    ranker = HybridRanker.load(tmp_path)
    assert ranker.params.extra_models == ("als",) and ranker.serves_hybrid
    renamed = {("cf_als" if name == "cf2" else name): float(w) for name, w in zip(old, coef)}
    assert ranker.weights() == renamed
    feats = np.zeros((1, 1, len(ranker.features)))
    feats[..., ranker.features.index("cf_als")] = 1.0
    assert ranker.score(feats)[0, 0] == 3.0
