"""The TMDb resource: a client when an API key is configured, else None (offline source)."""

import os

import dagster as dg
from pydantic import Field

from ml.tmdb import BASE_URL, REVIEW_PAGES, TmdbClient
from pipelines.resources import CineHome

TMDB_KEY_ENV = "TMDB_API_KEY"


class TmdbResource(dg.ConfigurableResource):
    """TMDb v3 access, rate limited (40 requests / 10 s) and cached under <home>/cache/tmdb."""

    home: CineHome
    api_key: str | None = Field(
        default=None,
        description=f"API key; when unset, ${TMDB_KEY_ENV} is read at run time; when that is "
        "unset too, no request is made and metadata comes from the offline OMDb table.",
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

    def resolved_key(self) -> str | None:
        return self.api_key or os.environ.get(TMDB_KEY_ENV) or None

    def client(self) -> TmdbClient | None:
        """A client, or None when no key is configured."""
        key = self.resolved_key()
        if not key:
            return None
        from ml.tmdb import RateLimiter

        return TmdbClient(
            key,
            cache_dir=self.home.folder("cache/tmdb"),
            base_url=self.base_url,
            limiter=RateLimiter(self.max_requests, self.per_seconds),
            max_retries=self.max_retries,
        )
