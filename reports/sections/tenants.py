"""The tenants and experiments section of the run report: one branded panel per tenant, the
offline comparison of experiment variants and their click-through results.

``tenants_section(...)`` returns ``{"title", "html_template", "data"}`` for
``summary["sections"]``; ``templates/tenants_section.html.j2`` lays it out. Every value is
escaped by the template; colours are used in inline styles only when they are hex colours.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

SAMPLE_ROWS = 5
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_PRIMARY, DEFAULT_ACCENT = "#1f3a5f", "#c8553d"


def _colour(value: Any, default: str) -> str:
    return value if isinstance(value, str) and _HEX.match(value) else default


def tenants_section(
    *,
    profiles: Sequence[Mapping[str, Any]],
    status: Sequence[Mapping[str, Any]],
    samples: Mapping[str, Sequence[Mapping[str, Any]]],
    comparison: Sequence[Mapping[str, Any]] = (),
    results: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """``profiles``: rows of ``tenant_profiles``; ``status``: per tenant ``users``,
    ``complete``, ``short_reason`` (one example); ``samples``: per tenant one user's list
    (rank, title, reason); ``comparison`` / ``results``: the experiment tables' rows."""
    by_tenant = {s["tenant"]: s for s in status}
    tenants = []
    for p in profiles:
        s = by_tenant.get(p["tenant"], {})
        tenants.append(
            {
                "tenant": p["tenant"],
                "display_name": p.get("display_name") or p["tenant"],
                "tagline": p.get("tagline") or "",
                "primary": _colour(p.get("primary_colour"), DEFAULT_PRIMARY),
                "accent": _colour(p.get("accent_colour"), DEFAULT_ACCENT),
                "recipe": f"{p['source']} scores, {p['list_length']} titles, "
                f"MMR λ {p['diversity_lambda']:g}",
                "filters": p.get("filters", ""),
                "boosts": p.get("boosts", ""),
                "users": s.get("users", 0),
                "complete": s.get("complete", 0),
                "short_example": s.get("short_reason"),
                "sample": [dict(r) for r in samples.get(p["tenant"], [])[:SAMPLE_ROWS]],
            }
        )
    return {
        "title": "Tenants and experiments",
        "html_template": "tenants_section.html.j2",
        "data": {
            "tenants": tenants,
            "comparison": [dict(r) for r in comparison],
            "results": [dict(r) for r in results],
            "events": sum(int(r.get("exposures") or 0) for r in results),
        },
    }


def tenants_section_from_tables(tables: Path) -> dict | None:
    """The section from the tables a run wrote; None before any tenant run."""
    import polars as pl

    def read(name: str) -> pl.DataFrame | None:
        path = tables / f"{name}.parquet"
        return pl.read_parquet(path) if path.exists() else None

    profiles, lists, recs = (
        read("tenant_profiles"),
        read("tenant_lists"),
        read("tenant_recommendations"),
    )
    if profiles is None or lists is None or recs is None:
        return None
    status = (
        lists.group_by("tenant")
        .agg(
            pl.len().alias("users"),
            pl.col("complete").sum().alias("complete"),
            pl.col("short_reason").drop_nulls().first().alias("short_reason"),
        )
        .to_dicts()
    )
    samples = {}
    for (tenant,), group in recs.sort("tenant", "user_id", "rank").group_by("tenant"):
        first = group["user_id"][0]
        samples[tenant] = (
            group.filter(pl.col("user_id") == first)
            .select("user_id", "rank", "title", "reason")
            .to_dicts()
        )
    comparison, results = read("experiment_comparison"), read("experiment_results")
    return tenants_section(
        profiles=profiles.to_dicts(),
        status=status,
        samples=samples,
        comparison=comparison.to_dicts() if comparison is not None else [],
        results=results.to_dicts() if results is not None else [],
    )
