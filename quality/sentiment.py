"""Sentiment checks: the trained model is good enough, bad texts stay few."""

import polars as pl

from ml.sentiment.models import SentimentModel
from quality.result import CheckResult


def model_accuracy(model: SentimentModel, floor: float) -> CheckResult:
    """The held-out accuracy recorded with the model against ``floor``."""
    value = model.metrics.get("holdout_accuracy")
    if value is None:
        return CheckResult(False, None, floor, {"error": "model has no holdout metric"})
    details = {"model": model.kind, "holdout_n": model.metrics.get("holdout_n")}
    return CheckResult(value >= floor, float(value), floor, details)


def quarantine_share(kept: int, quarantine: pl.DataFrame, ceiling: float) -> CheckResult:
    """Share of labelled texts quarantined (``quarantine`` has a ``reason`` column)."""
    read = kept + quarantine.height
    share = quarantine.height / read if read else 0.0
    details = {
        "rows_read": read,
        "rows_quarantined": quarantine.height,
        "by_reason": dict(quarantine.group_by("reason").len().sort("reason").iter_rows()),
    }
    return CheckResult(read > 0 and share <= ceiling, share, ceiling, details)
