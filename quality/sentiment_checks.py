"""Sentiment asset checks: the trained model is good enough, bad texts stay few."""

import dagster as dg
import polars as pl
from pydantic import Field

from ml.sentiment_models import SentimentModel


class SentimentGate(dg.ConfigurableResource):
    """Thresholds of the sentiment checks."""

    min_holdout_accuracy: float = Field(
        default=0.70, description="Lowest held-out accuracy of the trained sentiment model."
    )
    max_review_quarantine_share: float = Field(
        default=0.05, description="Largest share of labelled texts that may be quarantined."
    )


def model_accuracy(model: SentimentModel, floor: float) -> tuple[bool, dict]:
    """The held-out accuracy recorded with the model against ``floor``."""
    value = model.metrics.get("holdout_accuracy")
    if value is None:
        return False, {"value": None, "threshold": floor, "error": "model has no holdout metric"}
    return value >= floor, {
        "value": float(value),
        "threshold": floor,
        "model": model.kind,
        "holdout_n": model.metrics.get("holdout_n"),
    }


def quarantine_share(kept: int, quarantined: int, ceiling: float) -> tuple[bool, dict]:
    read = kept + quarantined
    share = quarantined / read if read else 0.0
    return read > 0 and share <= ceiling, {
        "value": share,
        "threshold": ceiling,
        "rows_read": read,
        "rows_quarantined": quarantined,
    }


@dg.asset_check(
    asset="sentiment_model",
    name="sentiment_holdout_accuracy",
    description="The sentiment model's held-out accuracy is at least the configured floor.",
    blocking=True,
)
def sentiment_holdout_accuracy(
    sentiment_model: SentimentModel, sentiment_gate: SentimentGate
) -> dg.AssetCheckResult:
    passed, meta = model_accuracy(sentiment_model, sentiment_gate.min_holdout_accuracy)
    return dg.AssetCheckResult(passed=passed, metadata=meta)


@dg.asset_check(
    asset="review_corpus",
    name="review_quarantine_share",
    description="Share of labelled texts quarantined stays under the configured maximum.",
    blocking=True,
    additional_ins={"review_quarantine": dg.AssetIn("review_quarantine")},
)
def review_quarantine_share(
    review_corpus: pl.DataFrame, review_quarantine: pl.DataFrame, sentiment_gate: SentimentGate
) -> dg.AssetCheckResult:
    passed, meta = quarantine_share(
        review_corpus.height, review_quarantine.height, sentiment_gate.max_review_quarantine_share
    )
    meta["by_reason"] = dict(review_quarantine.group_by("reason").len().iter_rows())
    return dg.AssetCheckResult(passed=passed, metadata=meta)


SENTIMENT_CHECKS = [sentiment_holdout_accuracy, review_quarantine_share]
