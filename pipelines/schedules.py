"""Schedules: the nightly full refresh and the weekly heavy evaluations.

Both are created stopped, as Dagster's convention is: a data engineer turns them on in the
UI (Automation) or with ``dagster schedule start``.
"""

from __future__ import annotations

import dagster as dg

from pipelines.jobs import cine_job, evaluation_job, sentiment_cv_job, tuning_job

NIGHTLY_CRON = "0 2 * * *"
WEEKLY_CRON = "0 4 * * 0"


#: (name, job, which cron, description) of every schedule.
SCHEDULES = (
    ("nightly_refresh", cine_job, "nightly",
     "The whole gated pipeline: ingest, train, check, publish, report."),
    ("weekly_ranking_ablation", evaluation_job, "weekly",
     "The hybrid ablation (single models, blend, hybrid, hybrid + MMR; both protocols)."),
    ("weekly_model_tuning", tuning_job, "weekly",
     "The model search, the ALS baseline and the hybrid re-ranker on the last ratings: "
     "what the nightly run uses above nightly_max_ratings (below it, every nightly run "
     "computes them)."),
    ("weekly_sentiment_cv", sentiment_cv_job, "weekly",
     "5-fold CV of every sentiment model: the model card (about 70 min)."),
)  # fmt: skip


def build_schedules(
    nightly_cron: str = NIGHTLY_CRON, weekly_cron: str = WEEKLY_CRON, timezone: str = "UTC"
) -> list[dg.ScheduleDefinition]:
    """The schedules, with their cron expressions (validated by Dagster when built)."""
    crons = {"nightly": nightly_cron, "weekly": weekly_cron}
    return [
        dg.ScheduleDefinition(
            name=name,
            job=job,
            cron_schedule=crons[when],
            execution_timezone=timezone,
            default_status=dg.DefaultScheduleStatus.STOPPED,
            description=description,
        )
        for name, job, when, description in SCHEDULES
    ]
