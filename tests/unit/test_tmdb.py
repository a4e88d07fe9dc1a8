"""TMDb client against a local stub server on 127.0.0.1 serving hand-written v3 responses."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import polars as pl
import pytest

from ml.tmdb import RateLimiter, TmdbClient, TmdbError, fetch_records
from pipelines.resources import CineHome
from pipelines.tmdb_resource import TMDB_KEY_ENV, TmdbResource

FIXTURES = Path(__file__).parents[1] / "fixtures" / "tmdb"
ROUTES = {
    "/3/movie/603": "movie_603.json",
    "/3/movie/603/credits": "credits_603.json",
    "/3/movie/603/keywords": "keywords_603.json",
    "/3/movie/603/videos": "videos_603.json",
    "/3/movie/603/reviews": "reviews_603.json",
    "/3/find/tt0133093": "find_tt0133093.json",
    "/3/search/movie": "search_empty.json",
}


class Stub(BaseHTTPRequestHandler):
    log: list[tuple[str, dict]] = []
    failures: dict[str, list[int]] = {}

    def do_GET(self):  # noqa: N802 - http.server's naming
        url = urlsplit(self.path)
        Stub.log.append((url.path, parse_qs(url.query)))
        queued = Stub.failures.get(url.path)
        if queued:
            self._send(queued.pop(0), {"status_message": "Too many requests"}, {"Retry-After": "3"})
        elif url.path in ROUTES:
            self._send(200, json.loads((FIXTURES / ROUTES[url.path]).read_text()))
        else:
            self._send(404, {"status_message": "The resource you requested could not be found."})

    def _send(self, code: int, body: dict, headers: dict | None = None):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Stub.log, Stub.failures = [], {}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/3"
    httpd.shutdown()


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
        {"item_id": [2571, 5], "title": ["Matrix, The", "Nonexistent"], "year": [1999, 2001],
         "imdb_id": ["tt0133093", None]}
    )  # fmt: skip
    records, failures = fetch_records(client(server, tmp_path), meta)
    assert records["item_id"].to_list() == [2571]
    assert records["directors"].to_list() == [["Lana Wachowski", "Lilly Wachowski"]]
    assert failures == [{"item_id": 5, "error": "no TMDb match"}]
    assert (
        "/3/search/movie",
        {"query": ["Nonexistent"], "year": ["2001"], "api_key": ["k3y"]},
    ) in Stub.log


def test_resource_without_key_is_offline(tmp_path, monkeypatch):
    monkeypatch.delenv(TMDB_KEY_ENV, raising=False)
    home = CineHome(path=str(tmp_path))
    assert TmdbResource(home=home).client() is None
    monkeypatch.setenv(TMDB_KEY_ENV, "from-env")
    assert TmdbResource(home=home).client().api_key == "from-env"


def test_tmdb_facts_overlay_the_offline_metadata_with_trailer_keys(server, tmp_path):
    from ml.metadata import join_omdb, with_tmdb

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
    records, _ = fetch_records(client(server, tmp_path), offline)
    merged = with_tmdb(offline, records)
    assert merged["trailer_keys"].to_list() == [["vKQi3bBA1y8"]]
    assert merged["director"].to_list() == [["Lana Wachowski", "Lilly Wachowski"]]
    assert merged["source"].item().endswith("+tmdb")
