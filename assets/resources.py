"""Resources: the home folder, the gate's thresholds, Postgres and TMDb.

A leaf of the Dagster side: it imports only the libraries (``ml``, ``publish``), so assets,
checks and ``pipelines`` can all take these as typed parameters. Which URL and key a run
uses is decided in ``pipelines.definitions.build_resources`` (``dg.EnvVar``), never read
inside a method.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from ml.content.tmdb import BASE_URL, REVIEW_PAGES, RateLimiter, TmdbClient
from publish.postgres import Publisher, embedded_url, mask_password

DEFAULT_HOME = ".cineaesthete"
HOME_ENV = "CINE_HOME"
POSTGRES_URL_ENV = "CINE_POSTGRES_URL"
TMDB_KEY_ENV = "TMDB_API_KEY"


class CineHome(dg.ConfigurableResource):
    """The one folder a run writes to: tables, models, reports, Postgres data, LanceDB."""

    path: str = Field(default=DEFAULT_HOME, description="Home folder; relative to the cwd.")

    @property
    def root(self) -> Path:
        return Path(self.path).expanduser().resolve()

    def folder(self, name: str) -> Path:
        """``<home>/<name>``, created on first use."""
        out = self.root / name
        out.mkdir(parents=True, exist_ok=True)
        return out


class GateResource(dg.ConfigurableResource):
    """Every threshold that gates a run: the checks read theirs from here."""

    max_quarantine_share: float = Field(
        default=0.01, description="Largest share of a table's rows that may go to quarantine."
    )
    min_rating: float = Field(default=0.5, description="Lowest valid rating.")
    max_rating: float = Field(default=5.0, description="Highest valid rating.")
    min_year: int = Field(default=1874, description="Earliest plausible release year.")
    max_year: int = Field(default=2100, description="Latest plausible release year.")
    max_ndcg_drop: float = Field(
        default=0.02,
        description="Largest drop in validation NDCG@10 against the published model that "
        "may still be published.",
    )
    force_publish: bool = Field(
        default=False, description="Publish even when the model is worse than the published one."
    )
    min_holdout_accuracy: float = Field(
        default=0.70, description="Lowest held-out accuracy of the trained sentiment model."
    )
    max_review_quarantine_share: float = Field(
        default=0.05, description="Largest share of labelled texts that may be quarantined."
    )
    drift_p_value: float = Field(
        default=1e-3,
        description="Drift gate for p-value tests (K-S, chi-square on small samples): a "
        "feature whose p-value falls below it blocks the run; evidently's own 0.05 warns.",
    )
    drift_distance: float = Field(
        default=0.3,
        description="Drift gate for distances (normed Wasserstein, Jensen-Shannon on large "
        "samples; relative change of coverage): above it blocks; evidently's 0.1 warns.",
    )
    drift_removed_share: float = Field(
        default=0.2,
        description="Largest share of the published run's users (movies) that may be missing "
        "now; half of it warns.",
    )
    drift_new_share: float = Field(
        default=0.5,
        description="Largest share of today's users (movies) that may be new; half of it warns.",
    )


class PostgresResource(dg.ConfigurableResource):
    """Where published tables go: an external server by URL, else the embedded one."""

    home: CineHome
    url: str | None = Field(
        default=None,
        description=f"libpq URL of an external server (build_resources passes "
        f"dg.EnvVar('{POSTGRES_URL_ENV}') when it is set); when unset, an embedded PostgreSQL "
        "is started with its data under <home>/postgres.",
    )
    keep_versions: int = Field(default=2, description="Published versions kept for rollback.")

    def resolved_url(self) -> str:
        return self.url or embedded_url(self.home.folder("postgres") / "data")

    def is_embedded(self) -> bool:
        return not self.url

    def publisher(self) -> Publisher:
        return Publisher(self.resolved_url(), keep_versions=self.keep_versions)

    def display_url(self) -> str:
        return mask_password(self.resolved_url())


class TmdbResource(dg.ConfigurableResource):
    """TMDb v3 access, rate limited (40 requests / 10 s) and cached under <home>/cache/tmdb."""

    home: CineHome
    api_key: str | None = Field(
        default=None,
        description=f"API key (build_resources passes dg.EnvVar('{TMDB_KEY_ENV}') when it is "
        "set); without one no request is made and metadata comes from the offline OMDb table.",
    )
    base_url: str = Field(default=BASE_URL, description="API root (tests point it at a stub).")
    max_requests: int = Field(default=40, description="Requests allowed per window.")
    per_seconds: float = Field(default=10.0, description="Window length in seconds.")
    max_retries: int = Field(default=4, description="Retries on 429, 5xx and network errors.")
    review_pages: int = Field(
        default=REVIEW_PAGES,
        ge=1,
        description="Most pages of reviews read per movie (20 reviews a page); a page past the "
        "first is requested only when TMDb says there is one.",
    )

    def client(self) -> TmdbClient | None:
        """A client, or None when no key is configured."""
        if not self.api_key:
            return None
        return TmdbClient(
            self.api_key,
            cache_dir=self.home.folder("cache/tmdb"),
            base_url=self.base_url,
            limiter=RateLimiter(self.max_requests, self.per_seconds),
            max_retries=self.max_retries,
        )
