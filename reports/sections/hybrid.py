"""The hybrid-ranking section of the run report: the gate, ablation table, weights, personas.

``hybrid_section(...)`` returns ``{"title", "html_template", "data"}`` for
``summary["sections"]``; ``templates/hybrid_section.html.j2`` lays it out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ml import artifacts


def _is_single(variant: str) -> bool:
    # "best single (x)" is how ablations written before the gate named the selected model.
    return variant.endswith("(selected)") or variant.startswith("best single")


def _is_hybrid(variant: str) -> bool:
    return variant in ("hybrid", "hybrid (learned re-ranker)")


def gate_summary(ranker_meta: Mapping[str, Any]) -> dict[str, Any] | None:
    """Which list ``hybrid_recommendations`` holds and why, from the ranker's saved meta."""
    validation = ranker_meta.get("validation", {})
    if "decision" not in validation:
        return None
    won = ranker_meta.get("published", "hybrid") == "hybrid"
    return {
        "published": "the hybrid" if won else ranker_meta.get("base_model", "?"),
        "hybrid_won": won,
        "sentence": validation["decision"],
        "margin": validation.get("margin_ndcg@10"),
        "protocol": validation.get("protocol", ""),
    }


def hybrid_section(
    *,
    ablation: Sequence[Mapping[str, Any]],
    personas: Sequence[Mapping[str, Any]] = (),
    weights: Mapping[str, float] | None = None,
    backend: str = "",
    gate: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``ablation``: rows of ``ml.hybrid.ablation.run_ablation`` (protocol, variant, ndcg@10,
    coverage, diversity_genre, diversity_content, novelty); ``personas``: persona, users,
    description; ``gate``: ``gate_summary`` of the served ranker."""
    protocols = list(dict.fromkeys(r.get("protocol", "stratified") for r in ablation))
    best = {
        p: max(r["ndcg@10"] for r in ablation if r.get("protocol", "stratified") == p)
        for p in protocols
    }
    rows = [
        {
            "protocol": r.get("protocol", "stratified"),
            "variant": r["variant"],
            "ndcg": r["ndcg@10"],
            "coverage": r["coverage"],
            "diversity_genre": r["diversity_genre"],
            "diversity_content": r["diversity_content"],
            "novelty": r["novelty"],
            "best": r["ndcg@10"] == best[r.get("protocol", "stratified")],
        }
        for r in ablation
    ]
    verdicts = []
    for p in protocols:
        mine = [r for r in rows if r["protocol"] == p]
        single = next((r for r in mine if _is_single(r["variant"])), None)
        hybrid = next((r for r in mine if _is_hybrid(r["variant"])), None)
        if single and hybrid:
            gap = hybrid["ndcg"] - single["ndcg"]
            verdicts.append(
                f"{p.capitalize()}: the hybrid {'beats' if gap > 0 else 'does not beat'} the "
                f"selected single model on test NDCG@10 ({gap:+.4f}); coverage "
                f"{hybrid['coverage'] - single['coverage']:+.1%}, genre diversity "
                f"{hybrid['diversity_genre'] - single['diversity_genre']:+.3f}."
            )
    return {
        "title": "Hybrid ranking",
        "html_template": "hybrid_section.html.j2",
        "data": {
            "ablation": rows,
            "verdict": " ".join(verdicts),
            "gate": dict(gate) if gate else None,
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
    weights, backend, gate = {}, "", None
    if models is not None:
        ranker, emb = models / "hybrid_ranker", models / "content_embeddings"
        if artifacts.exists(ranker):
            meta = artifacts.read_meta(ranker)
            weights, gate = meta.get("weights", {}), gate_summary(meta)
        if artifacts.exists(emb):
            backend = artifacts.read_meta(emb)["backend"]
    return hybrid_section(
        ablation=pl.read_parquet(path).to_dicts() if path.exists() else [],
        personas=personas,
        weights=weights,
        backend=backend,
        gate=gate,
    )
