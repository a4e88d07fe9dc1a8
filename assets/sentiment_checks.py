"""Checks on the sentiment model and its labelled corpus."""

import polars as pl

from assets.checking import gate_check, to_dagster
from assets.resources import GateResource
from ml.sentiment.models import SentimentModel
from quality import sentiment as sq


@gate_check(
    "sentiment_model",
    "sentiment_holdout_accuracy",
    "The sentiment model's held-out accuracy is at least the configured floor.",
)
def sentiment_holdout_accuracy(sentiment_model: SentimentModel, gate: GateResource):
    return to_dagster(sq.model_accuracy(sentiment_model, gate.min_holdout_accuracy))


@gate_check(
    "review_corpus",
    "review_quarantine_share",
    "Share of labelled texts quarantined stays under the configured maximum.",
    ins=["review_quarantine"],
)
def review_quarantine_share(
    review_corpus: pl.DataFrame, review_quarantine: pl.DataFrame, gate: GateResource
):
    return to_dagster(
        sq.quarantine_share(
            review_corpus.height, review_quarantine, gate.max_review_quarantine_share
        )
    )
