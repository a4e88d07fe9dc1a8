"""What one run did, read back from the Dagster instance: for the report and ``cine status``."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl

from ml.recsys.recommend import display_titles
from publish.history import check_history, record_checks
from publish.postgres import Publisher, mask_password

#: The metadata key of an output reused from an earlier run (written by assets/reuse.py,
#: which this layer may not import; a test keeps the two equal).
REUSED_FROM = "reused_from_run"

SAMPLE_USERS = 6
FRAME_ASSETS = ("ratings", "movies", "quarantine", "user_recommendations")


def _value(v: Any) -> Any:
    return getattr(v, "value", v)


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat() if ts else None


#: Tag of a run that did not materialize the ingest assets itself because an earlier run
#: had just read and checked the same release (``cine run``'s fail-fast gate): its value is
#: that run's id, and a summary of the run reads that run's events first.
INGEST_RUN_TAG = "cine/ingest_run"


def run_ids(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """The runs whose events make up ``run_id``'s outcome: its ingest run (when it has one,
    :data:`INGEST_RUN_TAG`), then itself."""
    run = instance.get_run_by_id(run_id)
    gate = (run.tags or {}).get(INGEST_RUN_TAG) if run is not None else None
    return [gate, run_id] if gate and gate != run_id else [run_id]


def _logs(instance: dg.DagsterInstance, run_id: str):
    for rid in run_ids(instance, run_id):
        yield from instance.all_logs(rid)


def run_events(instance: dg.DagsterInstance, run_id: str) -> tuple[dict, list[dict], list[dict]]:
    """Materialization metadata per asset, check evaluations and step errors of ``run_id``
    (with those of its ingest run, see :func:`run_ids`)."""
    materialized: dict[str, dict[str, Any]] = {}
    checks: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    run_failure = None
    for entry in _logs(instance, run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == dg.DagsterEventType.RUN_FAILURE:
            run_failure = event.message
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE:
            error = event.event_specific_data.error
            message = error.message.strip() if error else "unknown error"
            if error and error.cause:
                message = error.cause.message.strip()
            errors.append({"step": event.step_key, "message": message})
        elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            mat = entry.asset_materialization
            materialized[mat.asset_key.to_user_string()] = {
                k: _value(v) for k, v in mat.metadata.items()
            }
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            ev = event.event_specific_data
            meta = {k: _value(v) for k, v in ev.metadata.items()}
            checks.append(
                {
                    "asset": ev.asset_key.to_user_string(),
                    "name": ev.check_name,
                    "passed": bool(ev.passed),
                    "blocking": bool(ev.blocking),
                    "severity": ev.severity.value,
                    "value": meta.get("value"),
                    "threshold": meta.get("threshold"),
                    "description": ev.description or "",
                    "metadata": meta,
                }
            )
    if run_failure and not errors:
        # A run that failed outside every step: its process was killed (pipelines/runs.py),
        # or it could not start.
        errors.append({"step": "run", "message": run_failure})
    return materialized, checks, errors


def step_seconds(instance: dg.DagsterInstance, run_id: str) -> list[dict[str, Any]]:
    """Wall seconds of every step of ``run_id`` (and of its ingest run) that finished,
    longest first."""
    starts: dict[str, float] = {}
    steps = []
    for entry in _logs(instance, run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_START:
            starts[event.step_key] = entry.timestamp
        elif event.event_type in (
            dg.DagsterEventType.STEP_SUCCESS,
            dg.DagsterEventType.STEP_FAILURE,
        ):
            if event.step_key in starts:
                seconds = entry.timestamp - starts[event.step_key]
                steps.append({"step": event.step_key, "seconds": round(seconds, 2)})
    return sorted(steps, key=lambda s: -s["seconds"])


def latest_run_id(instance: dg.DagsterInstance, *job_names: str) -> str | None:
    """The newest run of any of ``job_names``."""
    newest = [
        record
        for job in job_names
        for record in instance.get_run_records(filters=dg.RunsFilter(job_name=job), limit=1)
    ]
    if not newest:
        return None
    return max(newest, key=lambda r: r.create_timestamp).dagster_run.run_id


def build_run_summary(
    instance: dg.DagsterInstance,
    run_id: str,
    home: Path,
    publisher: Publisher | None = None,
    *,
    record: bool = False,
) -> dict[str, Any]:
    """The report/status summary of one run (see ``reports.render`` for its shape).

    With ``record``, the run's check outcomes are first stored in the quality history of
    ``publisher``'s database, so the trend lines include this run.
    """
    run_record = instance.get_run_record_by_id(run_id)
    if run_record is None:
        raise KeyError(f"no run {run_id} in the Dagster instance at {instance.root_directory}")
    materialized, checks, errors = run_events(instance, run_id)
    ids = run_ids(instance, run_id)
    gate = ids[0] if len(ids) > 1 else None
    first = (instance.get_run_record_by_id(gate) if gate else None) or run_record
    published = materialized.get("published_version")
    failed_blocking = [c for c in checks if c["blocking"] and not c["passed"]]
    status = "published" if published else ("blocked" if failed_blocking else "failed")
    tables_dir = home / "tables"
    frames = {
        name: pl.read_parquet(tables_dir / f"{name}.parquet")
        for name in FRAME_ASSETS
        if name in materialized and (tables_dir / f"{name}.parquet").exists()
    }
    ingest = materialized.get("ratings", {})
    summary: dict[str, Any] = {
        "run_id": run_id,
        "job": run_record.dagster_run.job_name,
        "run_status": run_record.dagster_run.status.value,
        "started_at": _iso(first.start_time or run_record.start_time),
        "ingest_run": gate,
        "finished_at": _iso(run_record.end_time) or datetime.now(timezone.utc).isoformat(),
        "status": status,
        "published": bool(published),
        "home": str(home),
        "source": ingest.get("source", ""),
        "published_version": _version(published, publisher),
        "check_history": _history(publisher, run_id, checks, bool(published) if record else None),
        "reused": [
            {"name": name, "from_run": str(meta[REUSED_FROM])}
            for name, meta in materialized.items()
            if REUSED_FROM in meta
        ],
        "steps": step_seconds(instance, run_id),
        "tables": [
            {
                "name": name,
                "rows": int(meta.get("dagster/row_count", 0)),
                "path": str(meta.get("path", "")),
            }
            for name, meta in materialized.items()
            if "dagster/row_count" in meta
        ],
        "rows_read": {
            name: int(materialized[name]["rows_read"])
            for name in ("ratings", "movies")
            if name in materialized
        },
        "quarantine": _quarantine(frames.get("quarantine")),
        "checks": checks,
        "errors": [e for e in errors if "asset check failed" not in e["message"]],
        "model": _model(materialized.get("recommender_model")),
        "rating_histogram": _histogram(frames.get("ratings")),
        "sample": _sample(frames),
        "n_users": ingest.get("users"),
        "report_path": str(home / "reports" / "index.html"),
        "sections": _sections(home, materialized, run_id),
    }
    return summary


def _sections(home: Path, materialized: dict, run_id: str) -> list[dict[str, Any]]:
    from reports.sections.drift import drift_section_from_tables
    from reports.sections.hybrid import hybrid_section_from_tables
    from reports.sections.vibe import vibe_section_from_tables

    sections = []
    if "input_drift" in materialized or "output_drift" in materialized:
        drift = drift_section_from_tables(home / "tables", home / "drift" / run_id)
        if drift:
            sections.append(drift)
    tuning_path = home / "tables" / "model_tuning.parquet"
    selected = materialized.get("model_selection", {})
    if "model_tuning" in materialized and tuning_path.exists():
        table = pl.read_parquet(tuning_path)
        if "ndcg@10" in table.columns:
            table = table.filter(pl.col("ndcg@10").is_not_null()).sort("ndcg@10", descending=True)
            rows = [
                {
                    "model": r["model"],
                    "params": r["params"],
                    "ndcg": r["ndcg@10"],
                    "map": r.get("map@10"),
                    "recall": r.get("recall@10"),
                    "coverage": r.get("coverage"),
                    "novelty": r.get("novelty"),
                    "train_s": r.get("train_s"),
                    "selected": i == 0 and r["model"] == selected.get("model"),
                }
                for i, r in enumerate(table.iter_rows(named=True))
            ]
            sections.append(
                {
                    "title": "Model selection",
                    "html_template": "model_selection_section.html.j2",
                    "data": {"selected": selected.get("model", "?"), "rows": rows},
                }
            )
    if "hybrid_recommendations" in materialized:
        hybrid = hybrid_section_from_tables(home / "tables", home / "models")
        if hybrid:
            sections.append(hybrid)
    if "sentiment_model" in materialized:
        sections.append(_sentiment_section(home))
    if "tenant_recommendations" in materialized:
        from reports.sections.tenants import tenants_section_from_tables

        tenants = tenants_section_from_tables(home / "tables")
        if tenants is not None:
            sections.append(tenants)
    if "vibe_presets" in materialized:
        vibe = vibe_section_from_tables(home / "tables")
        if vibe is not None:
            sections.append(vibe)
    return sections


def _sentiment_section(home: Path) -> dict[str, Any]:
    import json

    from ml import artifacts
    from ml.sentiment.models import SentimentModel
    from reports.sections.sentiment import sentiment_section

    model_dir, tables = home / "models" / "sentiment_model", home / "tables"
    model = SentimentModel.load(model_dir) if artifacts.exists(model_dir) else None
    card = tables / "sentiment_model_card.json"
    movies = tables / "movie_sentiment.parquet"
    return sentiment_section(
        model.metrics if model else None,
        model.kind if model else None,
        json.loads(card.read_text()) if card.exists() else None,
        pl.read_parquet(movies) if movies.exists() else None,
    )


def _history(
    publisher: Publisher | None, run_id: str, checks: list[dict], published: bool | None
) -> dict[str, list[dict]]:
    """Record this run's checks (unless ``published`` is None), then the recent history."""
    if publisher is None:
        return {}
    try:
        if published is not None and checks:
            record_checks(publisher, run_id, checks, published=published)
        return check_history(publisher)
    except Exception:  # noqa: BLE001 - a report of a failed run must not fail on Postgres
        logging.getLogger(__name__).warning("quality history unavailable", exc_info=True)
        return {}


def _version(published: dict | None, publisher: Publisher | None) -> dict | None:
    if published:
        return {
            "version": int(published["version"]),
            "schema": published["schema"],
            "url": published["url"],
            "published_at": published.get("published_at"),
            "this_run": True,
        }
    if publisher is None:
        return None
    try:
        current = publisher.current()
    except Exception:  # noqa: BLE001 - a report of a failed run must not fail on Postgres
        return None
    if current is None:
        return None
    return {
        "version": current.version,
        "schema": current.schema_name,
        "url": mask_password(publisher.url),
        "published_at": current.published_at,
        "this_run": False,
    }


def _quarantine(q: pl.DataFrame | None) -> list[dict[str, Any]]:
    if q is None or q.height == 0:
        return []
    counts = q.group_by("table", "reason").len().sort("table", "len", descending=[False, True])
    return [{"table": t, "reason": r, "rows": n} for t, r, n in counts.iter_rows()]


def _model(meta: dict | None) -> dict | None:
    if not meta:
        return None
    prefix = "validation_"
    return {
        "name": meta.get("model", "unknown"),
        "params": meta.get("params", {}),
        "train_seconds": float(meta.get("train_seconds", 0.0)),
        "device": meta.get("device", "cpu"),
        "metrics": {
            k[len(prefix) :]: v
            for k, v in meta.items()
            if k.startswith(prefix) and k != "validation_users"
        },
    }


def _histogram(ratings: pl.DataFrame | None) -> list[dict[str, Any]]:
    if ratings is None:
        return []
    counts = ratings.group_by("rating").len().sort("rating")
    return [{"rating": float(r), "count": int(n)} for r, n in counts.iter_rows()]


def _sample(frames: dict[str, pl.DataFrame]) -> list[dict[str, Any]]:
    recs, ratings, movies = (frames.get(n) for n in ("user_recommendations", "ratings", "movies"))
    if recs is None or ratings is None or movies is None:
        return []
    users = (
        recs["user_id"]
        .unique()
        .sort()
        .sample(min(SAMPLE_USERS, recs["user_id"].n_unique()), seed=7)
        .sort()
    )
    titles = movies.select("item_id", display_titles(pl.col("title")).alias("title"), "year")
    out = []
    for user in users.to_list():
        mine = ratings.filter(pl.col("user_id") == user)
        liked = (
            mine.filter(pl.col("rating") >= 4.0)
            .sort("rating", "timestamp", descending=True)
            .join(titles, on="item_id", how="left")
            .head(6)
        )
        lst = recs.filter(pl.col("user_id") == user).sort("rank")
        out.append(
            {
                "user_id": user,
                "n_ratings": mine.height,
                "liked": [_label(t, y) for t, y in liked.select("title", "year").iter_rows()],
                "recommendations": [
                    {"rank": r, "title": t, "year": y, "score": float(s), "reason": why}
                    for r, t, y, s, why in lst.select(
                        "rank", "title", "year", "score", "reason"
                    ).iter_rows()
                ],
            }
        )
    return out


def _label(title: str, year: int | None) -> str:
    return f"{title} ({year})" if year else title
