"""Trend lines of checks and the drift section, rendered into the self-contained report."""

from __future__ import annotations

import polars as pl

from quality import drift
from reports.render import render_run_report, write_run_report
from reports.sections.drift import drift_section
from reports.sparkline import sparkline
from tests.browser import chromium


def test_sparkline_scales_numbers_and_marks_failures() -> None:
    history = [
        {"value": 0.0, "passed": True, "recorded_at": "2026-11-29T02:00"},
        {"value": 0.5, "passed": True, "recorded_at": "2026-11-30T02:00"},
        {"value": 1.0, "passed": False, "recorded_at": "2026-12-01T02:00"},
    ]
    line = sparkline(history)
    assert line["runs"] == 3 and (line["low"], line["high"]) == (0.0, 1.0)
    ys = [d["y"] for d in line["dots"]]
    assert ys[0] > ys[1] > ys[2]  # higher values are drawn higher (smaller y)
    assert [d["passed"] for d in line["dots"]] == [True, True, False]
    assert sparkline(history[:1]) is None
    assert sparkline([{"value": "text"}, {"value": None}]) is None


def _drift_table() -> pl.DataFrame:
    ratings = pl.DataFrame(
        {"user_id": [1, 1, 2, 2, 3] * 40, "item_id": [1, 2, 1, 3, 2] * 40, "rating": [4.0] * 200}
    )
    moved = ratings.with_columns(pl.lit(1.0).alias("rating"))
    ref, cur = drift.input_profile(ratings), drift.input_profile(moved)
    return drift.compare(ref, cur, drift.INPUT_FEATURES).table


def _blocked_by_drift_summary() -> dict:
    table = _drift_table()
    assert table.filter(pl.col("feature") == "rating")["blocked"].item()
    return {
        "run_id": "r2",
        "status": "blocked",
        "checks": [
            {
                "asset": "input_drift",
                "name": "input_drift_within_gate",
                "passed": False,
                "blocking": True,
                "severity": "ERROR",
                "value": 1,
                "threshold": "0 features past the drift gate",
            }
        ],
        "check_history": {
            "input_drift.input_drift_within_gate": [
                {"value": 0, "passed": True, "recorded_at": "2026-11-30T02:00"},
                {"value": 1, "passed": False, "recorded_at": "2026-12-01T02:00"},
            ]
        },
        "sections": [drift_section({"input_drift": table, "output_drift": table.head(0)}, None)],
    }


def test_report_shows_trends_and_drift_without_external_requests() -> None:
    html = render_run_report(_blocked_by_drift_summary())
    assert 'class="sparkline"' in html and "over the last 2 runs" in html
    assert "Drift against the published run" in html
    assert "rating" in html and "blocked" in html
    assert "it is the baseline" in html  # the empty output table
    assert "http://" not in html and "https://" not in html


def test_browser_draws_the_trend_line_and_the_drift_gauges(tmp_path) -> None:
    page = write_run_report(_blocked_by_drift_summary(), tmp_path / "site")
    dom = chromium(tmp_path, "--dump-dom", page.as_uri()).stdout
    assert '<svg class="sparkline"' in dom and "<polyline" in dom
    assert dom.count('<svg class="gauge"') == _drift_table().height
    assert "Drift against the published run" in dom
    assert "<script" not in dom.lower()
