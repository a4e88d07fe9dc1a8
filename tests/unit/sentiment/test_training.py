"""Binary metrics by hand and cross-validation that uses every text once."""

from __future__ import annotations

import numpy as np
import pytest

from ml.sentiment.training import binary_metrics, cross_validate, expected_calibration_error


def test_metrics_by_hand() -> None:
    m = binary_metrics([1, 1, 0, 0], [0.9, 0.4, 0.2, 0.6])
    assert m["accuracy"] == 0.5 and m["confusion"] == [[1, 1], [1, 1]] and m["f1"] == 0.5
    # Confidence 0.9, 0.6, 0.8, 0.6 against correctness 1, 0, 1, 0.
    assert m["ece"] == pytest.approx((0.1 + 0.6 + 0.2 + 0.6) / 4)
    assert expected_calibration_error(np.array([1, 0]), np.array([1.0, 0.0])) == 0.0


def test_cross_validation_uses_every_text_once(split) -> None:
    train, _ = split
    results = cross_validate(train["text"], train["label"], ["vader", "tfidf_lr"], folds=3)
    for result in results.values():
        assert len(result.folds) == 3 and result.pooled["n"] == train.height
        assert sum(f["n"] for f in result.folds) == train.height
    assert results["vader"].summary()["accuracy_mean"] > 0.55
