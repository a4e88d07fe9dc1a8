"""Resources: the home folder every output lives under, and the Postgres publisher."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from pydantic import Field

from pipelines.postgres import Publisher, embedded_url, mask_password

DEFAULT_HOME = ".cineaesthete"
HOME_ENV = "CINE_HOME"
POSTGRES_URL_ENV = "CINE_POSTGRES_URL"


def home_from(arg: str | None) -> str:
    """The home folder a command uses: ``--home``, else ``$CINE_HOME``, else the default.

    Read when a command runs, never at import.
    """
    return arg or os.environ.get(HOME_ENV) or DEFAULT_HOME


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


class PostgresResource(dg.ConfigurableResource):
    """Where published tables go: an external server by URL, else the embedded one."""

    home: CineHome
    url: str | None = Field(
        default=None,
        description=f"libpq URL of an external server; when unset, ${POSTGRES_URL_ENV} "
        "is read at run time, and when that is unset too, an embedded PostgreSQL is "
        "started with its data under <home>/postgres.",
    )
    keep_versions: int = Field(default=2, description="Published versions kept for rollback.")

    def resolved_url(self) -> str:
        url = self.url or os.environ.get(POSTGRES_URL_ENV)
        if url:
            return url
        return embedded_url(self.home.folder("postgres") / "data")

    def is_embedded(self) -> bool:
        return not (self.url or os.environ.get(POSTGRES_URL_ENV))

    def publisher(self) -> Publisher:
        return Publisher(self.resolved_url(), keep_versions=self.keep_versions)

    def display_url(self) -> str:
        return mask_password(self.resolved_url())


def build_resources(home: str | None = None, postgres_url: str | None = None) -> dict:
    """Resources for a run; evaluated when called, so nothing is read at import time.

    ``local`` (``dagster dev``, ``cine run``) and ``test`` differ only in the home
    folder and the Postgres URL; ``prod`` sets ``CINE_POSTGRES_URL`` to a managed server.
    """
    from pipelines.io_managers import CineIOManager
    from pipelines.tmdb_resource import TmdbResource
    from quality.checks import QualityGate
    from quality.sentiment_checks import SentimentGate

    cine_home = CineHome(path=home or DEFAULT_HOME)
    return {
        "home": cine_home,
        "gate": QualityGate(),
        "postgres": PostgresResource(home=cine_home, url=postgres_url),
        "io_manager": CineIOManager(home=cine_home),
        "tmdb": TmdbResource(home=cine_home),
        "sentiment_gate": SentimentGate(),
    }
