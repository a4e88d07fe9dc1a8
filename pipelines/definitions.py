"""The one Definitions object: every asset, check, job and resource of CineAesthete."""

from __future__ import annotations

import os

import dagster as dg

import assets
from assets.recommendations import SCORING_BUCKETS_ENV, scoring_assets
from assets.resources import (
    DEFAULT_HOME,
    POSTGRES_URL_ENV,
    TMDB_KEY_ENV,
    CineHome,
    GateResource,
    PostgresResource,
    TmdbResource,
)
from pipelines import executors
from pipelines.io_managers import CineIOManager
from pipelines.jobs import JOBS
from pipelines.loggers import cine_console
from pipelines.schedules import NIGHTLY_CRON, WEEKLY_CRON, build_schedules
from pipelines.sensors import build_sensors

NIGHTLY_CRON_ENV = "CINE_NIGHTLY_CRON"
WEEKLY_CRON_ENV = "CINE_WEEKLY_CRON"


def _secret(value: str | None, env: str) -> str | dg.EnvVar | None:
    """An explicit value, else ``dg.EnvVar(env)`` when that variable is set, else None.

    Dagster resolves an ``EnvVar`` when a run starts and shows the variable's name, never
    its value, in the UI; an unset variable means "not configured" (embedded Postgres,
    offline metadata) rather than an error.
    """
    if value is not None:
        return value
    return dg.EnvVar(env) if os.environ.get(env) else None


def build_resources(home: str | None = None, postgres_url: str | None = None) -> dict:
    """Resources for a run; evaluated when called, so nothing is read at import time.

    ``local`` (``dagster dev``, ``cine run``) and ``test`` differ only in the home folder
    and the Postgres URL; ``prod`` sets ``CINE_POSTGRES_URL`` to a managed server and
    ``TMDB_API_KEY`` for online metadata.
    """
    cine_home = CineHome(path=home or DEFAULT_HOME)
    return {
        "home": cine_home,
        "gate": GateResource(),
        "postgres": PostgresResource(home=cine_home, url=_secret(postgres_url, POSTGRES_URL_ENV)),
        "io_manager": CineIOManager(home=cine_home),
        "tmdb": TmdbResource(home=cine_home, api_key=_secret(None, TMDB_KEY_ENV)),
    }


def scoring_buckets(value: str | None = None) -> int:
    """``CINE_SCORING_BUCKETS`` (or ``value``): how many steps score the users; default 1."""
    raw = os.environ.get(SCORING_BUCKETS_ENV, "1") if value is None else value
    try:
        buckets = int(raw)
    except ValueError:
        buckets = 0
    if buckets < 1:
        raise ValueError(f"{SCORING_BUCKETS_ENV} must be a whole number of at least 1, got {raw!r}")
    return buckets


def _assets(buckets: int) -> list:
    """Every asset of the package, with the scoring split into ``buckets`` steps."""
    scoring = dg.AssetKey("user_recommendations")
    found = [a for a in dg.load_assets_from_package_module(assets) if scoring not in a.keys]
    return [*found, *scoring_assets(buckets)]


def build_definitions(
    home: str | None = None, postgres_url: str | None = None, *, buckets: int | None = None
) -> dg.Definitions:
    """All definitions, with resources for ``home`` (default ``.cineaesthete``) and the users
    scored in ``buckets`` steps (default ``CINE_SCORING_BUCKETS``, else 1)."""
    return dg.Definitions(
        assets=_assets(scoring_buckets() if buckets is None else buckets),
        asset_checks=dg.load_asset_checks_from_package_module(assets),
        jobs=JOBS,
        schedules=build_schedules(
            nightly_cron=os.environ.get(NIGHTLY_CRON_ENV, NIGHTLY_CRON),
            weekly_cron=os.environ.get(WEEKLY_CRON_ENV, WEEKLY_CRON),
        ),
        sensors=build_sensors(),
        resources=build_resources(home=home, postgres_url=postgres_url),
        loggers={"console": cine_console},
        executor=executors.from_env(),
    )


def job_for(home: str, job_name: str) -> dg.JobDefinition:
    """Job ``job_name`` of the definitions for ``home``: what every step process of a
    multiprocess run rebuilds (``dg.build_reconstructable_job`` names this function)."""
    return build_definitions(home=home).resolve_job_def(job_name)


@dg.definitions
def defs() -> dg.Definitions:
    """What ``dagster dev`` loads (workspace.yaml): built when Dagster asks, not at import."""
    return build_definitions()
