"""TMDb client against a local stub server on 127.0.0.1 serving hand-written v3 responses."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ml.content.tmdb import RateLimiter, TmdbClient, TmdbError, fetch_records
from tests.tmdb_stub import ROUTES, Stub, requests_to, stub_server


@pytest.fixture
def server():
    with stub_server() as url:
        yield url


def client(base_url: str, tmp_path: Path, sleeps: list | None = None) -> TmdbClient:
    record = sleeps.append if sleeps is not None else (lambda s: None)
    return TmdbClient("k3y", cache_dir=tmp_path / "cache", base_url=base_url, sleep=record)


def test_movie_record_from_the_five_endpoints(server, tmp_path):
    record = client(server, tmp_path).movie(603)
    assert record["imdb_id"] == "tt0133093"
    assert record["directors"] == ["Lana Wachowski", "Lilly Wachowski"]
    assert record["writers"] == ["Lana Wachowski", "Lilly Wachowski"]
    assert record["cinematographers"] == ["Bill Pope"]
    assert record["cast"][:3] == ["Keanu Reeves", "Laurence Fishburne", "Carrie-Anne Moss"]
    assert "dystopia" in record["keywords"]
    assert record["trailer_keys"] == ["vKQi3bBA1y8"]
    assert len(record["reviews"]) == 1
    assert all(q["api_key"] == ["k3y"] for _, q in Stub.log)


def test_cache_means_a_rerun_makes_no_request(server, tmp_path):
    first = client(server, tmp_path)
    first.movie(603)
    sent = len(Stub.log)
    second = client(server, tmp_path)
    assert second.movie(603) == first.movie(603)
    assert len(Stub.log) == sent == 5
    assert second.requests_sent == 0 and second.cache_hits == 5
    assert not any("k3y" in p.read_text() for p in (tmp_path / "cache").iterdir())


def test_429_is_retried_after_retry_after_and_404_is_not(server, tmp_path):
    Stub.failures["/3/movie/603"] = [429, 503]
    sleeps: list[float] = []
    c = client(server, tmp_path, sleeps)
    assert c.details(603)["title"] == "The Matrix"
    assert sleeps == [3.0, 3.0] and c.requests_sent == 3
    with pytest.raises(TmdbError, match="HTTP 404"):
        c.details(999)
    assert c.requests_sent == 4
    Stub.failures["/3/movie/603/videos"] = [500] * 10
    with pytest.raises(TmdbError, match="gave up after 5 attempts"):
        c.videos(603)


def test_rate_limiter_waits_for_the_window():
    now = [0.0]
    waits: list[float] = []

    def sleep(s):
        waits.append(s)
        now[0] += s

    limiter = RateLimiter(40, 10.0, clock=lambda: now[0], sleep=sleep)
    for i in range(40):
        now[0] = i * 0.1
        assert limiter.acquire() == 0.0
    now[0] = 4.0
    # The 41st request must wait until the first one (t=0) leaves the 10 s window.
    assert limiter.acquire() == pytest.approx(6.0)
    assert now[0] == pytest.approx(10.0)
    assert limiter.acquire() == pytest.approx(0.1)  # the second went at t=0.1
    assert waits == [pytest.approx(6.0), pytest.approx(0.1)]


def test_fetch_records_reports_misses(server, tmp_path):
    meta = pl.DataFrame(
        {
            "item_id": [2571, 5],
            "title": ["Matrix, The", "Nonexistent"],
            "year": [1999, 2001],
            "imdb_id": ["tt0133093", None],
        }
    )
    records, _, failures = fetch_records(client(server, tmp_path), meta)
    assert records["item_id"].to_list() == [2571]
    assert records["directors"].to_list() == [["Lana Wachowski", "Lilly Wachowski"]]
    assert failures == [{"item_id": 5, "error": "no TMDb match"}]
    assert (
        "/3/search/movie",
        {"query": ["Nonexistent"], "year": ["2001"], "api_key": ["k3y"]},
    ) in Stub.log


def test_tmdb_facts_overlay_the_offline_metadata_with_trailer_keys(server, tmp_path):
    from ml.content.metadata import join_omdb, with_tmdb

    movies = pl.DataFrame(
        {"item_id": [2571], "title": ["Matrix, The"], "year": [1999], "genres": [["Sci-Fi"]]},
        schema={
            "item_id": pl.Int64,
            "title": pl.String,
            "year": pl.Int32,
            "genres": pl.List(pl.String),
        },
    )
    offline = join_omdb(movies).metadata
    assert offline["trailer_keys"].to_list() == [None]
    records, _, _ = fetch_records(client(server, tmp_path), offline)
    merged = with_tmdb(offline, records)
    assert merged["trailer_keys"].to_list() == [["vKQi3bBA1y8"]]
    assert merged["director"].to_list() == [["Lana Wachowski", "Lilly Wachowski"]]
    assert merged["source"].item().endswith("+tmdb")


REVIEWED = pl.DataFrame(
    {
        "item_id": [2571, 541, 924],
        "title": ["Matrix, The", "Blade Runner", "2001: A Space Odyssey"],
        "year": [1999, 1982, 1968],
        "imdb_id": ["tt0133093", "tt0083658", "tt0062622"],
    }
)


def test_fetch_records_returns_every_page_of_reviews(server, tmp_path):
    records, reviews, failures = fetch_records(client(server, tmp_path), REVIEWED)
    assert failures == []
    assert records["n_reviews"].to_list() == [1, 4, 0]
    assert records["reviews_total"].to_list() == [1, 4, 0]
    assert reviews["review_id"].to_list() == [
        "5e0c0000000000000000abcd",
        "r78a",
        "r78b",
        "r78c",
        "r78d",
    ]
    assert reviews["item_id"].to_list() == [2571, 541, 541, 541, 541]
    assert reviews["tmdb_id"].to_list() == [603, 78, 78, 78, 78]
    assert set(reviews["source"]) == {"tmdb"}
    html = reviews.row(1, named=True)
    assert html["author"] == "markup-reviewer" and html["rating"] == 9.0
    assert html["created_at"] == "2021-05-02T10:00:00.000Z"
    assert html["url"] == "https://www.themoviedb.org/review/r78a"
    assert html["text"].startswith("<p>**Spoilers ahead.**")  # kept as TMDb wrote it
    assert reviews["rating"][2] is None
    # Page 2 only where total_pages says there is one, and each page once.
    assert requests_to("/3/movie/78/reviews", "2") == 1
    assert requests_to("/3/movie/603/reviews", "2") == requests_to("/3/movie/62/reviews", "2") == 0


def test_review_pages_are_capped(server, tmp_path):
    records, reviews, _ = fetch_records(client(server, tmp_path), REVIEWED, review_pages=1)
    assert reviews.filter(pl.col("item_id") == 541)["review_id"].to_list() == ["r78a", "r78b"]
    capped = records.filter(pl.col("reviews_total") > pl.col("n_reviews"))
    assert capped["item_id"].to_list() == [541]
    assert requests_to("/3/movie/78/reviews", "2") == 0


def test_a_failing_review_page_reports_the_movie(server, tmp_path, monkeypatch):
    monkeypatch.delitem(ROUTES, "/3/movie/78/reviews?page=2")
    records, reviews, failures = fetch_records(client(server, tmp_path), REVIEWED)
    assert records["item_id"].to_list() == [2571, 924]
    assert reviews["item_id"].to_list() == [2571]
    assert failures == [
        {
            "item_id": 541,
            "error": "TMDb /movie/78/reviews: HTTP 404 "
            "The resource you requested could not be found.",
        }
    ]
