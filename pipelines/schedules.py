"""Schedules: the nightly full refresh and the weekly heavy evaluations.

Both are created stopped, as Dagster's convention is: a data engineer turns them on in the
UI (Automation) or with ``dagster schedule start``.
"""

from __future__ import annotations

import dagster as dg

from pipelines.jobs import cine_job, evaluation_job, sentiment_cv_job

NIGHTLY_CRON = "0 2 * * *"
WEEKLY_CRON = "0 4 * * 0"


def build_schedules(
    nightly_cron: str = NIGHTLY_CRON, weekly_cron: str = WEEKLY_CRON, timezone: str = "UTC"
) -> list[dg.ScheduleDefinition]:
    """The schedules, with their cron expressions (validated by Dagster when built)."""
    stopped = dg.DefaultScheduleStatus.STOPPED
    return [
        dg.ScheduleDefinition(
            name="nightly_refresh",
            job=cine_job,
            cron_schedule=nightly_cron,
            execution_timezone=timezone,
            default_status=stopped,
            description="The whole gated pipeline: ingest, train, check, publish, report.",
        ),
        dg.ScheduleDefinition(
            name="weekly_ranking_ablation",
            job=evaluation_job,
            cron_schedule=weekly_cron,
            execution_timezone=timezone,
            default_status=stopped,
            description="The hybrid ablation (ALS, best single model, hybrid, hybrid + MMR).",
        ),
        dg.ScheduleDefinition(
            name="weekly_sentiment_cv",
            job=sentiment_cv_job,
            cron_schedule=weekly_cron,
            execution_timezone=timezone,
            default_status=stopped,
            description="5-fold CV of every sentiment model: the model card (about 70 min).",
        ),
    ]
