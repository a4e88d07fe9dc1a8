"""The hybrid-ranking section of the run report: ablation table, weights and personas.

``hybrid_section(...)`` returns ``{"title", "html_template", "data"}`` for
``summary["sections"]``; ``templates/hybrid_section.html.j2`` lays it out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ml import artifacts


def hybrid_section(
    *,
    ablation: Sequence[Mapping[str, Any]],
    personas: Sequence[Mapping[str, Any]] = (),
    weights: Mapping[str, float] | None = None,
    backend: str = "",
) -> dict[str, Any]:
    """``ablation``: rows of ``ml.hybrid.ablation.run_ablation`` (variant, ndcg@10, coverage,
    diversity_genre, diversity_content, novelty); ``personas``: persona, users, description."""
    best = max((r["ndcg@10"] for r in ablation), default=None)
    rows = [
        {
            "variant": r["variant"],
            "ndcg": r["ndcg@10"],
            "coverage": r["coverage"],
            "diversity_genre": r["diversity_genre"],
            "diversity_content": r["diversity_content"],
            "novelty": r["novelty"],
            "best": r["ndcg@10"] == best,
        }
        for r in ablation
    ]
    single = next((r for r in rows if r["variant"].startswith("best single")), None)
    hybrid = next((r for r in rows if r["variant"] == "hybrid"), None)
    verdict = ""
    if single and hybrid:
        gap = hybrid["ndcg"] - single["ndcg"]
        verdict = (
            f"The hybrid {'beats' if gap > 0 else 'does not beat'} the best single model on "
            f"NDCG@10 ({gap:+.4f}); coverage {hybrid['coverage'] - single['coverage']:+.1%}, "
            f"genre diversity {hybrid['diversity_genre'] - single['diversity_genre']:+.3f}."
        )
    return {
        "title": "Hybrid ranking",
        "html_template": "hybrid_section.html.j2",
        "data": {
            "ablation": rows,
            "verdict": verdict,
            "weights": dict(weights or {}),
            "personas": [dict(p) for p in personas],
            "backend": backend,
        },
    }


def hybrid_section_from_tables(tables: Path, models: Path | None = None) -> dict | None:
    """The section from the tables a run wrote; None before any hybrid run.

    The ablation comes from the ``evaluation`` job's last ``ranking_ablation`` in this home
    (the default run reuses it rather than recomputing it); without one the section says so.
    """

    import polars as pl

    path = tables / "ranking_ablation.parquet"
    if not (tables / "hybrid_recommendations.parquet").exists():
        return None
    personas_path = tables / "user_personas.parquet"
    personas = []
    if personas_path.exists():
        personas = (
            pl.read_parquet(personas_path)
            .group_by("persona", "description")
            .len()
            .rename({"len": "users"})
            .sort("users", descending=True)
            .to_dicts()
        )
    weights, backend = {}, ""
    if models is not None:
        ranker, emb = models / "hybrid_ranker", models / "content_embeddings"
        if artifacts.exists(ranker):
            weights = artifacts.read_meta(ranker).get("weights", {})
        if artifacts.exists(emb):
            backend = artifacts.read_meta(emb)["backend"]
    return hybrid_section(
        ablation=pl.read_parquet(path).to_dicts() if path.exists() else [],
        personas=personas,
        weights=weights,
        backend=backend,
    )
