"""`cine status` prints the run's wall time, from the ingest gate's start to the run's end."""

from __future__ import annotations

from cli.main import _print_outcome, _wall_seconds


def test_status_prints_the_runs_wall_time(capsys) -> None:
    summary = {
        "run_id": "r1",
        "status": "blocked",
        "started_at": "2026-12-02T15:13:01+00:00",
        "finished_at": "2026-12-02T15:44:42.500000+00:00",
        "errors": [],
        "checks": [],
        "tables": [],
        "published_version": None,
        "report_path": "/h/reports/index.html",
    }
    assert _wall_seconds(summary) == 1901.5
    _print_outcome(summary, _wall_seconds(summary))
    assert "run r1 BLOCKED in 1901.5s" in capsys.readouterr().out
    assert _wall_seconds({**summary, "started_at": None}) == 0.0
