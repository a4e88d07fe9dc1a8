"""The sentiment section of the run report: data in, a ``summary["sections"]`` entry out."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from ml.sentiment.movie_sentiment import ASPECTS

TEMPLATE = "sentiment_section.html.j2"
MOVIES_SHOWN = 10


def sentiment_section(
    model_metrics: Mapping | None = None,
    model_kind: str | None = None,
    card: Mapping | None = None,
    movies: pl.DataFrame | None = None,
    titles: Mapping | None = None,
) -> dict:
    """``{"title", "html_template", "data"}`` for ``reports.render``.

    ``model_metrics`` are a model's ``holdout_*`` metrics; ``card`` is the model card dict
    (``ml.sentiment.card.build_model_card``); ``movies`` is the ``movie_sentiment`` table and
    ``titles`` maps movie ids to titles. The movies with the most reviews are shown.
    """
    model = None
    if model_metrics:
        model = {
            "kind": model_kind or "?",
            **{k: model_metrics.get(f"holdout_{k}") for k in ("accuracy", "f1", "ece", "n")},
        }
    rows = []
    if card:
        for corpus, c in card["corpora"].items():
            for name, s in c["models"].items():
                rows.append(
                    {
                        "corpus": corpus,
                        "model": name,
                        "accuracy": s["accuracy_mean"],
                        "accuracy_std": s["accuracy_std"],
                        "f1": s["f1"],
                        "ece": s["ece"],
                        "goal": card.get("goals", {}).get(corpus)
                        if name == card["selected"]
                        else None,
                    }
                )
    shown = []
    if movies is not None and movies.height:
        for m in movies.sort("n_reviews", descending=True).head(MOVIES_SHOWN).iter_rows(named=True):
            shown.append(
                {
                    "title": (titles or {}).get(m["movie_id"], str(m["movie_id"])),
                    "n_reviews": m["n_reviews"],
                    "share_positive": m["share_positive"],
                    "ci_low": m["ci_low"],
                    "ci_high": m["ci_high"],
                    "aspects": [
                        {"name": a, "score": m[f"{a}_score"]}
                        for a in ASPECTS
                        if m[f"{a}_score"] is not None
                    ],
                    "loved": m["loved_quotes"],
                    "disliked": m["disliked_quotes"],
                }
            )
    note = (
        "No movie-linked reviews were configured for this run, so no movie was scored."
        if movies is None or not movies.height
        else ""
    )
    return {
        "title": "Sentiment",
        "html_template": TEMPLATE,
        "data": {
            "model": model,
            "card": {**card, "rows": rows} if card else None,
            "movies": shown,
            "movies_note": note,
        },
    }
