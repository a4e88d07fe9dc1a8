"""Sentiment checks: the recorded held-out accuracy against its floor, the quarantine share."""

from __future__ import annotations

import polars as pl
import pytest

from ml.sentiment.models import SentimentModel
from quality import sentiment as sq


def test_model_accuracy_against_its_floor() -> None:
    model = SentimentModel("tfidf_lr", metrics={"holdout_accuracy": 0.74, "holdout_n": 80})
    r = sq.model_accuracy(model, floor=0.7)
    assert r.passed and r.value == 0.74 and r.threshold == 0.7
    assert r.details == {"model": "tfidf_lr", "holdout_n": 80}
    assert not sq.model_accuracy(model, floor=0.75).passed
    unmeasured = sq.model_accuracy(SentimentModel("vader"), floor=0.7)
    assert not unmeasured.passed and unmeasured.value is None
    assert unmeasured.details == {"error": "model has no holdout metric"}


def test_quarantine_share_of_labelled_texts() -> None:
    quarantine = pl.DataFrame({"reason": ["empty", "not_english", "empty"]})
    r = sq.quarantine_share(97, quarantine, ceiling=0.05)
    assert r.passed and r.value == pytest.approx(0.03) and r.threshold == 0.05
    assert r.details == {
        "rows_read": 100,
        "rows_quarantined": 3,
        "by_reason": {"empty": 2, "not_english": 1},
    }
    assert not sq.quarantine_share(27, quarantine, ceiling=0.05).passed
    # Nothing read at all is a failure, not a share of zero.
    assert not sq.quarantine_share(0, quarantine.head(0), ceiling=0.05).passed
