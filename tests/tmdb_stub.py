"""A local stub of TMDb's v3 API on 127.0.0.1, serving the hand-written fixtures/tmdb files."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "fixtures" / "tmdb"
ROUTES = {
    "/3/movie/603": "movie_603.json",
    "/3/movie/603/credits": "credits_603.json",
    "/3/movie/603/keywords": "keywords_603.json",
    "/3/movie/603/videos": "videos_603.json",
    "/3/movie/603/reviews": "reviews_603.json",
    "/3/find/tt0133093": "find_tt0133093.json",
    "/3/search/movie": "search_empty.json",
    "/3/movie/78": "movie_78.json",
    "/3/movie/78/reviews": "reviews_78_page1.json",
    "/3/movie/78/reviews?page=2": "reviews_78_page2.json",
    "/3/find/tt0083658": "find_tt0083658.json",
    "/3/movie/62": "movie_62.json",
    "/3/movie/62/reviews": "reviews_62.json",
    "/3/find/tt0062622": "find_tt0062622.json",
}
for _id in (78, 62):
    for _part in ("credits", "keywords", "videos"):
        ROUTES[f"/3/movie/{_id}/{_part}"] = f"{_part}_none.json"


class Stub(BaseHTTPRequestHandler):
    """Answers from ``ROUTES``; ``failures[path]`` queues error statuses to send first."""

    log: list[tuple[str, dict]] = []
    failures: dict[str, list[int]] = {}

    def do_GET(self):  # noqa: N802 - http.server's naming
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        Stub.log.append((url.path, query))
        page = query.get("page", ["1"])[0]
        route = url.path if page == "1" else f"{url.path}?page={page}"
        queued = Stub.failures.get(url.path)
        if queued:
            self._send(queued.pop(0), {"status_message": "Too many requests"}, {"Retry-After": "3"})
        elif route in ROUTES:
            self._send(200, json.loads((FIXTURES / ROUTES[route]).read_text()))
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


@contextmanager
def stub_server() -> Iterator[str]:
    """Serve the stub on a free port; yields its base URL (``http://127.0.0.1:PORT/3``)."""
    Stub.log, Stub.failures = [], {}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/3"
    finally:
        httpd.shutdown()
        httpd.server_close()


def requests_to(path: str, page: str = "1") -> int:
    """How many requests the stub got for ``path`` (and ``page``) since it started."""
    return sum(p == path and q.get("page", ["1"])[0] == page for p, q in Stub.log)
