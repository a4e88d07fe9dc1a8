"""Sensors: a new MovieLens release in the drop folder, new trailer files.

Each keeps a cursor (the newest modification time it has acted on, in nanoseconds), and each
request carries a run key made of the file's name, size and time, so the same file never
starts two runs. A file is taken only once it has not changed for ``SETTLE_SECONDS``, so a
release still being copied in is not read half-written.
"""

from __future__ import annotations

import time
from pathlib import Path

import dagster as dg

from assets.resources import CineHome, PostgresResource
from ml.vision.trailers import VIDEO_SUFFIXES
from pipelines.jobs import cine_job, vibe_job
from reports.render import write_run_report
from reports.summary import build_run_summary

SETTLE_SECONDS = 30.0
DROP_FOLDER = "drop"
RELEASE_SUFFIXES = {".zip"}


def _new_entries(folder: Path, cursor: str | None, accept, settle: float) -> list[Path]:
    """Entries of ``folder`` accepted by ``accept``, newer than ``cursor``, settled."""
    if not folder.is_dir():
        return []
    since = int(cursor or 0)
    settled_before = time.time_ns() - int(settle * 1e9)
    entries = [
        p for p in folder.iterdir() if accept(p) and since < p.stat().st_mtime_ns <= settled_before
    ]
    return sorted(entries, key=lambda p: p.stat().st_mtime_ns)


def _key(path: Path) -> str:
    stat = path.stat()
    return f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}"


def _is_release(path: Path) -> bool:
    return (
        path.is_dir() and not path.name.startswith(".")
    ) or path.suffix.lower() in RELEASE_SUFFIXES


def _is_trailer(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES


def build_sensors(settle_seconds: float = SETTLE_SECONDS) -> list[dg.SensorDefinition]:
    """The sensors, created stopped (turn them on in the UI's Automation page)."""

    @dg.sensor(
        name="movielens_drop",
        job=cine_job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description=f"A MovieLens release (folder or zip) dropped into <home>/{DROP_FOLDER} "
        "starts the whole pipeline on it.",
    )
    def movielens_drop(context: dg.SensorEvaluationContext, home: CineHome):
        entries = _new_entries(
            home.folder(DROP_FOLDER), context.cursor, _is_release, settle_seconds
        )
        if not entries:
            return dg.SkipReason(f"no new release in {home.root / DROP_FOLDER}")
        requests = [
            dg.RunRequest(
                run_key=_key(p),
                run_config={"ops": {"movielens": {"config": {"source": str(p.resolve())}}}},
                tags={"cine/source": p.name},
            )
            for p in entries
        ]
        return dg.SensorResult(run_requests=requests, cursor=str(entries[-1].stat().st_mtime_ns))

    @dg.sensor(
        name="new_trailers",
        job=vibe_job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="New trailer files in <home>/trailers refresh the vibe branch only.",
    )
    def new_trailers(context: dg.SensorEvaluationContext, home: CineHome):
        entries = _new_entries(home.folder("trailers"), context.cursor, _is_trailer, settle_seconds)
        if not entries:
            return dg.SkipReason(f"no new trailer in {home.root / 'trailers'}")
        # One run covers every new file: the vibe branch reads the whole folder.
        request = dg.RunRequest(run_key="+".join(_key(p) for p in entries))
        return dg.SensorResult(run_requests=[request], cursor=str(entries[-1].stat().st_mtime_ns))

    @dg.run_failure_sensor(
        name="failed_run_report",
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="A run that was blocked or failed never reaches run_report: write its "
        "report (naming the failing checks) and record its checks in the quality history.",
    )
    def failed_run_report(
        context: dg.RunFailureSensorContext, home: CineHome, postgres: PostgresResource
    ):
        run_id = context.dagster_run.run_id
        summary = build_run_summary(
            context.instance, run_id, home.root, postgres.publisher(), record=True
        )
        path = write_run_report(summary, home.folder("reports"))
        context.log.info(f"run {run_id} {summary['status']}: report {path}")

    return [movielens_drop, new_trailers, failed_run_report]
