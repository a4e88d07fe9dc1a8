"""Schedules and sensors: right targets, stopped by default, a file never triggers twice."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest

from assets.resources import CineHome
from pipelines.definitions import build_definitions
from pipelines.sensors import build_sensors


@pytest.fixture
def defs(tmp_path: Path) -> dg.Definitions:
    return build_definitions(home=str(tmp_path / "home"))


def test_schedules_target_their_jobs_and_start_stopped(defs) -> None:
    schedules = {s.name: s for s in defs.schedules}
    assert {n: (s.job_name, s.cron_schedule) for n, s in schedules.items()} == {
        "nightly_refresh": ("cine", "0 2 * * *"),
        "weekly_ranking_ablation": ("evaluation", "0 4 * * 0"),
        "weekly_sentiment_cv": ("sentiment_cv", "0 4 * * 0"),
        "weekly_model_tuning": ("tuning", "0 4 * * 0"),
    }
    assert {s.default_status for s in schedules.values()} == {dg.DefaultScheduleStatus.STOPPED}


def test_cron_comes_from_the_environment_when_set(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CINE_NIGHTLY_CRON", "30 1 * * 1-5")
    defs = build_definitions(home=str(tmp_path))
    assert {s.name: s.cron_schedule for s in defs.schedules}["nightly_refresh"] == "30 1 * * 1-5"


def _evaluate(sensor, home: Path, cursor: str | None = None):
    resources = {"home": CineHome(path=str(home))}
    with dg.build_sensor_context(cursor=cursor, resources=resources) as ctx:
        return sensor(ctx)


def _age(path: Path, seconds: float) -> None:
    """Set ``path``'s modification time ``seconds`` in the past (the sensor waits for files
    to settle)."""
    t = path.stat().st_mtime - seconds
    os.utime(path, (t, t))


def test_a_dropped_release_starts_one_run_and_never_a_second(tmp_path: Path) -> None:
    drop_sensor = {s.name: s for s in build_sensors(settle_seconds=5)}["movielens_drop"]
    home = tmp_path / "home"
    assert isinstance(_evaluate(drop_sensor, home), dg.SkipReason)

    release = home / "drop" / "ml-latest-small-2026-12"
    release.mkdir(parents=True)
    (release / "ratings.csv").write_text("userId,movieId,rating,timestamp\n")
    # Still being copied (changed just now): not taken yet.
    assert isinstance(_evaluate(drop_sensor, home), dg.SkipReason)

    _age(release, 60)
    result = _evaluate(drop_sensor, home)
    assert isinstance(result, dg.SensorResult) and len(result.run_requests) == 1
    request = result.run_requests[0]
    source = request.run_config["ops"]["movielens"]["config"]["source"]
    assert source == str(release.resolve())
    assert request.run_key.startswith("ml-latest-small-2026-12:")

    # The cursor remembers it: the same release does not trigger again.
    assert isinstance(_evaluate(drop_sensor, home, result.cursor), dg.SkipReason)

    newer = home / "drop" / "ml-25m.zip"
    newer.write_bytes(b"PK")
    _age(newer, 30)
    again = _evaluate(drop_sensor, home, result.cursor)
    assert [r.tags["cine/source"] for r in again.run_requests] == ["ml-25m.zip"]
    assert int(again.cursor) > int(result.cursor)


def test_new_trailers_refresh_the_vibe_branch_only(tmp_path: Path, defs) -> None:
    sensors = {s.name: s for s in build_sensors(settle_seconds=5)}
    trailer_sensor = sensors["new_trailers"]
    assert trailer_sensor.job_name == "vibe_refresh"
    vibe = defs.resolve_job_def("vibe_refresh")
    groups = {
        defs.resolve_asset_graph().get(k).group_name for k in vibe.asset_layer.executable_asset_keys
    }
    assert groups == {"vibe"}

    home = tmp_path / "home"
    clips = home / "trailers"
    clips.mkdir(parents=True)
    (clips / "notes.txt").write_text("not a video")
    for name in ("81564_megamind.avi", "862_toy_story.mp4"):
        (clips / name).write_bytes(b"\0")
        _age(clips / name, 60)
    _age(clips / "notes.txt", 60)
    result = _evaluate(trailer_sensor, home)
    assert len(result.run_requests) == 1
    assert "81564_megamind.avi" in result.run_requests[0].run_key
    assert "notes.txt" not in result.run_requests[0].run_key
    assert isinstance(_evaluate(trailer_sensor, home, result.cursor), dg.SkipReason)


def test_a_blocked_run_gets_its_report_and_history_from_the_failure_sensor(
    tmp_path: Path, sample_release: Path, pg_url: str
) -> None:
    import shutil

    import polars as pl
    import psycopg2

    from assets.resources import PostgresResource

    bad = tmp_path / "bad-release"
    bad.mkdir()
    shutil.copy(sample_release / "movies.csv", bad / "movies.csv")
    ratings = pl.read_csv(sample_release / "ratings.csv")
    user, item = ratings.row(0)[:2]
    extra = "".join(f"{user},{item},9.5,{i}\n" for i in range(ratings.height // 20))
    (bad / "ratings.csv").write_text(ratings.write_csv() + extra)

    home = tmp_path / "home"
    defs = build_definitions(home=str(home), postgres_url=pg_url)
    config = {"ops": {"movielens": {"config": {"source": str(bad)}}}}
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("ingest_and_check").execute_in_process(
            instance=instance, run_config=config, raise_on_error=False
        )
        assert not result.success
        (record,) = instance.get_records_for_run(
            result.run_id, of_type=dg.DagsterEventType.PIPELINE_FAILURE
        ).records
        sensor = {s.name: s for s in defs.sensors}["failed_run_report"]
        home_resource = CineHome(path=str(home))
        resources = {
            "home": home_resource,
            "postgres": PostgresResource(home=home_resource, url=pg_url),
        }
        failure = dg.build_run_status_sensor_context(
            sensor_name="failed_run_report",
            dagster_event=record.event_log_entry.dagster_event,
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(result.run_id),
            resources=resources,
        ).for_run_failure()
        with failure as context:
            sensor(context)

    report = (home / "reports" / "index.html").read_text()
    assert result.run_id in report and "ratings_quarantine_share" in report
    with psycopg2.connect(pg_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT passed, published FROM cine.quality_history "
            "WHERE run_id = %s AND check_name = 'ratings_quarantine_share'",
            (result.run_id,),
        )
        assert cur.fetchall() == [(False, False)]
