"""The one Definitions object: every asset, check, job and resource of CineAesthete."""

from __future__ import annotations

import dagster as dg

from assets import (
    content,
    features,
    hybrid,
    ingest,
    models,
    publish,
    recommendations,
    reports,
    sentiment,
    vibe,
)
from pipelines.jobs import cine_job, evaluation_job, ingest_job, sentiment_cv_job
from pipelines.resources import build_resources
from quality.checks import ALL_CHECKS
from quality.content_checks import CONTENT_CHECKS
from quality.sentiment_checks import SENTIMENT_CHECKS
from quality.vibe_checks import VIBE_CHECKS


def build_definitions(home: str | None = None, postgres_url: str | None = None) -> dg.Definitions:
    """All definitions, with resources for ``home`` (default ``.cineaesthete``)."""
    return dg.Definitions(
        assets=dg.load_assets_from_modules(
            [
                ingest,
                features,
                models,
                recommendations,
                content,
                hybrid,
                vibe,
                sentiment,
                publish,
                reports,
            ]
        ),
        asset_checks=ALL_CHECKS + CONTENT_CHECKS + VIBE_CHECKS + SENTIMENT_CHECKS,
        jobs=[cine_job, ingest_job, evaluation_job, sentiment_cv_job],
        resources=build_resources(home=home, postgres_url=postgres_url),
    )


defs = build_definitions()
