"""A TMDb v3 client: rate limited, retried with backoff, cached on disk; its records and reviews.

TMDb allows about 40 requests per 10 seconds; the limiter keeps a sliding window of
request times and waits before the 41st. A 429 (honouring ``Retry-After``), a 5xx or a
transport error is retried with exponential backoff. Every successful response is cached
as JSON under ``cache_dir`` keyed by path and parameters (never the key), so a re-run
makes no request. Tests pass an ``httpx`` transport or a local server's ``base_url``.
Reviews are read page by page up to a cap and kept as a frame of their own, so the movies'
records and the reviews the sentiment model scores come from one pass over the API.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import polars as pl

from ml.data.titles import display_title

BASE_URL = "https://api.themoviedb.org/3"
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
#: TMDb serves 20 reviews a page; five pages cover all but the most reviewed films.
REVIEW_PAGES = 5
REVIEW_SOURCE = "tmdb"


class TmdbError(RuntimeError):
    """A request that failed for good (4xx other than 429, or retries exhausted)."""


class RateLimiter:
    """At most ``max_requests`` calls in any ``per_seconds`` window (sliding)."""

    def __init__(
        self,
        max_requests: int = 40,
        per_seconds: float = 10.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.max_requests, self.per_seconds = max_requests, per_seconds
        self.clock, self.sleep = clock, sleep
        self.sent: deque[float] = deque()

    def acquire(self) -> float:
        """Wait until a request may go; returns the seconds waited."""
        now = self.clock()
        while self.sent and now - self.sent[0] >= self.per_seconds:
            self.sent.popleft()
        waited = 0.0
        if len(self.sent) >= self.max_requests:
            waited = self.per_seconds - (now - self.sent[0])
            self.sleep(waited)
            now = self.clock()
            self.sent.popleft()
        self.sent.append(now)
        return waited


class TmdbClient:
    """Movie details, credits, keywords, videos and reviews from TMDb's v3 API."""

    def __init__(
        self,
        api_key: str,
        *,
        cache_dir: Path | None = None,
        base_url: str = BASE_URL,
        transport: httpx.BaseTransport | None = None,
        limiter: RateLimiter | None = None,
        max_retries: int = 4,
        backoff_seconds: float = 1.0,
        timeout_seconds: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not api_key:
            raise ValueError("a TMDb API key is required")
        self.api_key = api_key
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.limiter = limiter or RateLimiter(sleep=sleep)
        self.max_retries, self.backoff_seconds, self.sleep = max_retries, backoff_seconds, sleep
        self.http = httpx.Client(base_url=base_url, transport=transport, timeout=timeout_seconds)
        self.requests_sent = 0
        self.cache_hits = 0

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, **params: Any) -> dict:
        """GET ``path`` (e.g. ``/movie/603``) as JSON, from the cache when it is there."""
        cached = self._cache_file(path, params)
        if cached is not None and cached.exists():
            self.cache_hits += 1
            return json.loads(cached.read_text())
        data = self._fetch(path, params)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(".tmp")
            tmp.write_text(json.dumps(data))
            os.replace(tmp, cached)
        return data

    def _fetch(self, path: str, params: dict) -> dict:
        last = "no attempt"
        for attempt in range(self.max_retries + 1):
            self.limiter.acquire()
            self.requests_sent += 1
            try:
                response = self.http.get(path, params={**params, "api_key": self.api_key})
            except httpx.TransportError as error:
                last, wait = f"{type(error).__name__}: {error}", None
            else:
                if response.status_code == 200:
                    return response.json()
                if response.status_code not in RETRY_STATUS:
                    message = (
                        response.json().get("status_message", "") if _is_json(response) else ""
                    )
                    raise TmdbError(f"TMDb {path}: HTTP {response.status_code} {message}".strip())
                last = f"HTTP {response.status_code}"
                wait = _retry_after(response)
            if attempt < self.max_retries:
                self.sleep(wait if wait is not None else self.backoff_seconds * 2**attempt)
        raise TmdbError(f"TMDb {path}: gave up after {self.max_retries + 1} attempts ({last})")

    def _cache_file(self, path: str, params: dict) -> Path | None:
        if self.cache_dir is None:
            return None
        key = json.dumps([path, sorted(params.items())], default=str)
        return self.cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()}.json"

    def details(self, tmdb_id: int) -> dict:
        return self.get(f"/movie/{tmdb_id}")

    def credits(self, tmdb_id: int) -> dict:
        return self.get(f"/movie/{tmdb_id}/credits")

    def keywords(self, tmdb_id: int) -> dict:
        return self.get(f"/movie/{tmdb_id}/keywords")

    def videos(self, tmdb_id: int) -> dict:
        return self.get(f"/movie/{tmdb_id}/videos")

    def reviews(self, tmdb_id: int, page: int = 1) -> dict:
        return self.get(f"/movie/{tmdb_id}/reviews", page=page)

    def all_reviews(self, tmdb_id: int, max_pages: int = REVIEW_PAGES) -> dict:
        """Page 1 of the reviews with the results of pages 2.. appended, at most ``max_pages``.

        Later pages are requested only when the payload's ``total_pages`` says there are
        more; ``total_results`` stays TMDb's count, so a capped movie shows as fewer
        results than ``total_results``.
        """
        first = self.reviews(tmdb_id)
        results = list(first.get("results", []))
        last = max(1, min(int(first.get("total_pages") or 1), max_pages))
        for page in range(2, last + 1):
            results += self.reviews(tmdb_id, page).get("results", [])
        return {**first, "results": results}

    def find_imdb(self, imdb_id: str) -> int | None:
        """TMDb id of an IMDb id (``tt0133093``), or None."""
        found = self.get(f"/find/{imdb_id}", external_source="imdb_id")["movie_results"]
        return int(found[0]["id"]) if found else None

    def search(self, title: str, year: int | None = None) -> int | None:
        """TMDb id of the best search hit for a title (and year), or None."""
        params = {"query": title, **({"year": year} if year else {})}
        results = self.get("/search/movie", **params)["results"]
        return int(results[0]["id"]) if results else None

    def movie(self, tmdb_id: int, review_pages: int = REVIEW_PAGES) -> dict:
        """One flat record: ``movie_record`` of the five endpoints (reviews: every page read)."""
        return movie_record(
            self.details(tmdb_id),
            self.credits(tmdb_id),
            self.keywords(tmdb_id),
            self.videos(tmdb_id),
            self.all_reviews(tmdb_id, review_pages),
        )


def _is_json(response: httpx.Response) -> bool:
    return response.headers.get("content-type", "").startswith("application/json")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def movie_record(details: dict, credits: dict, keywords: dict, videos: dict, reviews: dict):
    """Flatten TMDb v3 responses into the facts the content model and explanations use."""
    crew = credits.get("crew", [])

    def jobs(*names: str) -> list[str]:
        return list(dict.fromkeys(c["name"] for c in crew if c.get("job") in names))

    cast = sorted(credits.get("cast", []), key=lambda c: c.get("order", 0))
    return {
        "tmdb_id": int(details["id"]),
        "imdb_id": details.get("imdb_id"),
        "tmdb_title": details.get("title"),
        "release_date": details.get("release_date"),
        "overview": details.get("overview") or None,
        "runtime": details.get("runtime"),
        "directors": jobs("Director"),
        "writers": list(dict.fromkeys(c["name"] for c in crew if c.get("department") == "Writing")),
        "cinematographers": jobs("Director of Photography", "Cinematography"),
        "cast": [c["name"] for c in cast[:10]],
        "keywords": [k["name"] for k in keywords.get("keywords", [])],
        "trailer_keys": [
            v["key"]
            for v in videos.get("results", [])
            if v.get("site") == "YouTube" and v.get("type") == "Trailer"
        ],
        "reviews": [
            {
                "id": r.get("id"),
                "author": r.get("author"),
                "content": r.get("content"),
                "created_at": r.get("created_at"),
                "url": r.get("url"),
                "rating": (r.get("author_details") or {}).get("rating"),
            }
            for r in reviews.get("results", [])
        ],
        "reviews_total": reviews.get("total_results", len(reviews.get("results", []))),
    }


RECORD_SCHEMA = {
    "item_id": pl.Int64,
    "tmdb_id": pl.Int64,
    "overview": pl.String,
    "directors": pl.List(pl.String),
    "writers": pl.List(pl.String),
    "cinematographers": pl.List(pl.String),
    "cast": pl.List(pl.String),
    "keywords": pl.List(pl.String),
    "trailer_keys": pl.List(pl.String),
    "n_reviews": pl.Int64,
    "reviews_total": pl.Int64,
}
#: One row per TMDb review; ``text`` is TMDb's raw content (Markdown, sometimes HTML).
REVIEW_SCHEMA = {
    "item_id": pl.Int64,
    "tmdb_id": pl.Int64,
    "review_id": pl.String,
    "author": pl.String,
    "rating": pl.Float64,
    "created_at": pl.String,
    "url": pl.String,
    "text": pl.String,
    "source": pl.String,
}


def fetch_records(
    client: TmdbClient, metadata: pl.DataFrame, *, review_pages: int = REVIEW_PAGES
) -> tuple[pl.DataFrame, pl.DataFrame, list[dict]]:
    """TMDb records and reviews for ``metadata`` rows (item_id, title, year, imdb_id).

    Looks each movie up by IMDb id when the OMDb join found one, else by title and year, and
    reads up to ``review_pages`` pages of its reviews. Returns the records frame
    (``RECORD_SCHEMA``), the reviews frame (``REVIEW_SCHEMA``, texts as TMDb wrote them) and
    one ``{item_id, error}`` per movie that could not be fetched, so a failure is reported,
    never silently dropped.
    """
    rows, reviews, failures = [], [], []
    for item_id, title, year, imdb_id in metadata.select(
        "item_id", "title", "year", "imdb_id"
    ).iter_rows():
        try:
            tmdb_id = client.find_imdb(imdb_id) if imdb_id else None
            tmdb_id = tmdb_id or client.search(display_title(title), year)
            if tmdb_id is None:
                failures.append({"item_id": item_id, "error": "no TMDb match"})
                continue
            record = client.movie(tmdb_id, review_pages)
        except TmdbError as error:
            failures.append({"item_id": item_id, "error": str(error)})
            continue
        rows.append(
            {
                "item_id": item_id,
                **{k: record[k] for k in RECORD_SCHEMA if k in record},
                "n_reviews": len(record["reviews"]),
            }
        )
        reviews += [
            {
                "item_id": item_id,
                "tmdb_id": record["tmdb_id"],
                "review_id": None if r["id"] is None else str(r["id"]),
                "author": r["author"],
                "rating": None if r["rating"] is None else float(r["rating"]),
                "created_at": r["created_at"],
                "url": r["url"],
                "text": r["content"],
                "source": REVIEW_SOURCE,
            }
            for r in record["reviews"]
        ]
    return (
        pl.DataFrame(rows, schema=RECORD_SCHEMA),
        pl.DataFrame(reviews, schema=REVIEW_SCHEMA),
        failures,
    )
