"""The quality history in a real PostgreSQL: every run's checks, newest kept per check."""

from __future__ import annotations

from publish.history import check_history, record_checks
from publish.postgres import Publisher


def _check(name: str, value, passed: bool = True) -> dict:
    return {
        "asset": "ratings",
        "name": name,
        "passed": passed,
        "blocking": True,
        "severity": "ERROR",
        "value": value,
        "threshold": 0.01,
    }


def test_checks_of_every_run_come_back_oldest_first(pg_url: str) -> None:
    publisher = Publisher(pg_url)
    for run, share in enumerate([0.001, 0.002, 0.5]):
        written = record_checks(
            publisher,
            f"run-{run}",
            [_check("ratings_quarantine_share", share, share <= 0.01), _check("schema", 0)],
            published=share <= 0.01,
        )
        assert written == 2
    history = check_history(publisher)
    shares = history["ratings.ratings_quarantine_share"]
    assert [h["run_id"] for h in shares] == ["run-0", "run-1", "run-2"]
    assert [h["value"] for h in shares] == [0.001, 0.002, 0.5]
    assert [h["passed"] for h in shares] == [True, True, False]
    assert len(history["ratings.schema"]) == 3

    assert [h["run_id"] for h in check_history(publisher, per_check=2)["ratings.schema"]] == [
        "run-1",
        "run-2",
    ]


def test_recording_a_run_again_replaces_its_rows(pg_url: str) -> None:
    publisher = Publisher(pg_url)
    record_checks(publisher, "r", [_check("schema", 3, False)], published=False)
    record_checks(publisher, "r", [_check("schema", 0, True)], published=True)
    (only,) = check_history(publisher)["ratings.schema"]
    assert only["value"] == 0 and only["passed"]
