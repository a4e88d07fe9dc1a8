"""End to end: the whole graph on a small real sample, a real embedded PostgreSQL, real files.

Runs through the ``cine`` command line, as a data engineer would, then corrupts the input
and checks that the gate stops the run while the published version stays readable.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import polars as pl
import psycopg2
import pytest

from cli.main import main
from ml.tenants.config import SHIPPED_FOLDER
from pipelines.definitions import build_definitions
from pipelines.jobs import MAIN_JOB
from tests.browser import chromium
from tests.hostile import PAYLOADS, PWNED

K = 20


def scalar(url: str, statement: str):
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(statement)
        return cur.fetchone()[0]


def status(home: Path, capsys) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["status", "--home", str(home), "--json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def sample_release(sample_release: Path, tmp_path_factory) -> Path:
    """The shared sample with hostile text (tests/hostile.py) in front of the titles of its
    most-rated movies, which every list and every report shows."""
    folder = Path(tmp_path_factory.mktemp("ml-hostile"))
    shutil.copy(sample_release / "ratings.csv", folder / "ratings.csv")
    movies = pl.read_csv(sample_release / "movies.csv")
    hostile = hostile_titles(sample_release)
    movies.with_columns(
        pl.col("movieId").replace_strict(hostile, default=pl.col("title")).alias("title")
    ).write_csv(folder / "movies.csv")
    return folder


def hostile_titles(release: Path) -> dict[int, str]:
    """movie id -> ``<payload> <original title (year)>`` for the most-rated movies."""
    ratings = pl.read_csv(release / "ratings.csv")
    movies = dict(pl.read_csv(release / "movies.csv").select("movieId", "title").iter_rows())
    top = ratings.group_by("movieId").len().sort(["len", "movieId"], descending=[True, False])
    ids = top["movieId"].head(3 * len(PAYLOADS)).to_list()
    return {m: f"{PAYLOADS[i % len(PAYLOADS)]} {movies[m]}" for i, m in enumerate(ids)}


def hostile_titles_ids(release: Path) -> set[int]:
    return set(hostile_titles(release))


def hostile_inputs(folder: Path, release: Path) -> dict:
    """Run config pieces: a review file and a tenant folder full of hostile text, with one
    review that is not UTF-8 (it must be quarantined)."""
    ids = list(hostile_titles(release))
    reviews = folder / "reviews.csv"
    pl.DataFrame(
        {
            "movie_id": [str(ids[i % len(ids)]) for i in range(len(PAYLOADS))],
            "text": [f"A wonderful film, loved it. {p} Truly great." for p in PAYLOADS],
        }
    ).write_csv(reviews)
    with reviews.open("ab") as fh:
        fh.write(f"{ids[0]},".encode() + b'"broken \xff\xfe bytes, a great film"\n')
    tenants = folder / "tenants"
    tenants.mkdir()
    for shipped in SHIPPED_FOLDER.glob("*.yaml"):
        (tenants / shipped.name).write_text(shipped.read_text())
    (tenants / "evil.yaml").write_text(
        'name: "x\'); DROP TABLE cine.movies; --<b>"\nlist_length: 5\n'
        f"branding: {{name: {json.dumps(PAYLOADS[0])}, tagline: {json.dumps(PAYLOADS[1])}}}\n"
    )
    return {
        "movie_review_source": {"config": {"path": str(reviews)}},
        "tenant_profiles": {"config": {"folder": str(tenants)}},
    }


@pytest.fixture(scope="module")
def corrupted_release(sample_release: Path, tmp_path_factory) -> Path:
    """The sample plus one bad row of every kind, and enough bad ratings to exceed 1%."""
    folder = Path(tmp_path_factory.mktemp("ml-corrupt"))
    for name in ("ratings.csv", "movies.csv"):
        shutil.copy(sample_release / name, folder / name)
    ratings = pl.read_csv(sample_release / "ratings.csv")
    first = ratings.row(0)
    bad = [
        "not,a,number,row",
        f"{first[0]},{first[1]},{first[2]},{first[3]}",  # duplicate (user, movie, timestamp)
        f"{first[0]},999999999,4.0,{first[3]}",  # unknown movie
        f"{first[0]},{first[1]},,{first[3] + 1}",  # missing rating
        f"{first[0]},{first[1]},4.0,0",  # a 1970 timestamp: implausible
        f"0,{first[1]},4.0,{first[3]}",  # user 0: ids start at 1
    ]
    bad += [f"{first[0]},{first[1]},9.5,{first[3] + 2 + i}" for i in range(ratings.height // 50)]
    with open(folder / "ratings.csv", "a") as fh:
        fh.write("\n".join(bad) + "\n")
    return folder


@pytest.fixture(scope="module")
def top_rated_release(sample_release: Path, tmp_path_factory) -> Path:
    """The sample as a broken export would write it: every rating 5 stars."""
    folder = Path(tmp_path_factory.mktemp("ml-top-rated"))
    shutil.copy(sample_release / "movies.csv", folder / "movies.csv")
    ratings = pl.read_csv(sample_release / "ratings.csv")
    ratings.with_columns(pl.lit(5.0).alias("rating")).write_csv(folder / "ratings.csv")
    return folder


def fast_config(folder: Path, extra: dict | None = None) -> Path:
    """Run config with the cheap sentiment model: these tests are about the graph and its
    gate, and the default model fine-tunes MiniLM (tests/unit/sentiment/test_models.py
    covers it). ``extra``: more op configs."""
    path = folder / "fast.yaml"
    ops = {"sentiment_model": {"config": {"model": "tfidf_lr"}}, **(extra or {})}
    path.write_text(json.dumps({"ops": ops}))  # JSON is YAML
    return path


#: Steps that train a model or decode trailer frames: the run is killed inside one of them.
LONG_STEPS = {"frames", "sentiment_model", "model_tuning", "als_model", "hybrid_ranker"}


def kill_inside_a_long_step(home: Path, args: list[str]) -> tuple[str, str, set[str]]:
    """Start ``cine <args>`` as its own process group and SIGKILL the whole group once one
    of LONG_STEPS has run for two seconds: what the OOM killer or a reboot does. Returns
    the killed run's id, the step it was in and the assets it had materialized."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", *args],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 900
        instance = None
        while time.monotonic() < deadline:
            assert process.poll() is None, "the run ended before it reached a long step"
            time.sleep(1)
            if instance is None:
                # Opened only once the ingest gate's run wrote its tables: by then the run
                # process has created the instance's SQLite schema, which opening it here
                # at the same time would race to create too.
                if not (home / "tables" / "ratings.parquet").exists():
                    continue
                instance = dg.DagsterInstance.from_config(str(home / "dagster"))
            records = instance.get_run_records(dg.RunsFilter(job_name=MAIN_JOB), limit=1)
            if not records:
                continue
            run_id = records[0].dagster_run.run_id
            started = {e.step_key for e in instance.all_logs(run_id, of_type=_STEP_START)}
            done = {e.step_key for e in instance.all_logs(run_id, of_type=_STEP_DONE)}
            inside = sorted((started - done) & LONG_STEPS)
            if not inside:
                continue
            time.sleep(2)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            materialized = {
                e.asset_materialization.asset_key.to_user_string()
                for e in instance.all_logs(run_id, of_type=_MATERIALIZATION)
            }
            done = {e.step_key for e in instance.all_logs(run_id, of_type=_STEP_DONE)}
            if inside[0] not in done:
                return run_id, inside[0], materialized
        raise AssertionError("no long step started within 15 minutes")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


_STEP_START = dg.DagsterEventType.STEP_START
_STEP_DONE = {dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
_MATERIALIZATION = dg.DagsterEventType.ASSET_MATERIALIZATION


def test_run_publishes_then_corrupted_and_drifted_runs_are_blocked(
    tmp_path: Path,
    sample_release: Path,
    corrupted_release: Path,
    top_rated_release: Path,
    pg_url: str,
    monkeypatch,
    capsys,
) -> None:
    monkeypatch.setenv("CINE_POSTGRES_URL", pg_url)
    # Users are scored in two bucket steps, which the multiprocess executor runs apart.
    monkeypatch.setenv("CINE_SCORING_BUCKETS", "2")
    home = tmp_path / "home"
    hostile = hostile_inputs(tmp_path, sample_release)
    run = ["run", "--home", str(home), "--config", str(fast_config(tmp_path, hostile))]

    # A run killed inside a training step (its whole process group, SIGKILL).
    killed, step, finished = kill_inside_a_long_step(
        home, [*run, "--movielens", str(sample_release), "--executor", "multiprocess"]
    )
    # The first whole run goes through Dagster's multiprocess executor (the default on 4+
    # cores); the others run in-process, the default and the quicker way on 2 cores.
    assert main([*run, "--movielens", str(sample_release), "--executor", "multiprocess"]) == 0
    run = [*run, "--executor", "in_process"]
    # It marked the killed run failed, saying why, redid the step that was cut short and
    # reused what the killed run had finished; nothing half-written was left to read.
    instance = dg.DagsterInstance.from_config(str(home / "dagster"))
    assert instance.get_run_by_id(killed).status == dg.DagsterRunStatus.FAILURE
    failure = instance.all_logs(killed, of_type=dg.DagsterEventType.RUN_FAILURE)
    assert "killed or crashed" in failure[-1].dagster_event.message
    latest = instance.get_run_records(dg.RunsFilter(job_name=MAIN_JOB), limit=1)[0]
    redone = {
        e.asset_materialization.asset_key.to_user_string(): e.asset_materialization.metadata
        for e in instance.all_logs(latest.dagster_run.run_id, of_type=_MATERIALIZATION)
    }
    assert step in redone and "reused_from_run" not in redone[step], step
    buckets = {
        e.step_key: e.dagster_event.pid
        for e in instance.all_logs(latest.dagster_run.run_id, of_type=_STEP_START)
        if e.step_key.startswith("user_recommendations_bucket_")
    }
    assert len(buckets) == 2 and len(set(buckets.values())) == 2, buckets
    reused_from_killed = {
        a for a, m in redone.items() if getattr(m.get("reused_from_run"), "value", None) == killed
    }
    assert reused_from_killed <= finished
    assert finished & {"user_item_matrix", "movie_facts"} <= reused_from_killed, finished
    assert not [*home.glob("tables/*.tmp"), *home.glob("models/*.tmp"), *home.glob("models/*.old")]

    ratings = pl.read_csv(sample_release / "ratings.csv")
    users = ratings["userId"].n_unique()
    recs = pl.read_parquet(home / "tables" / "user_recommendations.parquet")
    assert recs.height == users * K
    assert recs.group_by("user_id").len()["len"].to_list() == [K] * users
    seen = recs.join(
        ratings.rename({"userId": "user_id", "movieId": "item_id"}),
        on=["user_id", "item_id"],
        how="semi",
    )
    assert seen.height == 0
    assert recs["reason"].str.starts_with("Because you liked ").all()
    assert scalar(pg_url, "SELECT count(*) FROM cine.user_recommendations") == users * K
    assert scalar(pg_url, "SELECT count(DISTINCT user_id) FROM cine.user_recommendations") == users
    assert scalar(pg_url, "SELECT min(rank) FROM cine.user_recommendations") == 1
    metrics = scalar(pg_url, "SELECT metrics FROM cine.published_versions WHERE is_current")
    assert 0 < metrics["ndcg@10"] <= 1
    # The release family it was validated on, which the next run's regression gate names.
    assert metrics["dataset"] == "ml-latest"

    code, first = status(home, capsys)
    assert code == 0 and first["published"] and first["status"] == "published"
    assert first["published_version"]["version"] == 1
    expected_checks = len(build_definitions(home=str(home)).resolve_asset_graph().asset_check_keys)
    assert len(first["checks"]) == expected_checks
    assert all(c["passed"] for c in first["checks"]), [
        c for c in first["checks"] if not c["passed"]
    ]
    assert all(c["value"] is not None and c["threshold"] is not None for c in first["checks"])
    # The release was read and checked once, by the gate's run; the main run went on from
    # its stored outputs, and the summary holds both runs' checks and steps.
    assert not {"ratings", "movies", "quarantine"} & set(redone), sorted(redone)
    assert instance.get_run_by_id(first["ingest_run"]).job_name == "ingest_and_check"
    assert "movielens" in {s["step"] for s in first["steps"]}
    assert "ratings_quarantine_share" in {c["name"] for c in first["checks"]}
    assert {t["name"] for t in first["tables"]} >= {"ratings", "movies", "user_recommendations"}
    report = (home / "reports" / "index.html").read_text()
    assert "Published" in report and first["run_id"] in report

    assert main([*run, "--movielens", str(corrupted_release)]) == 1

    code, second = status(home, capsys)
    assert code == 1 and not second["published"] and second["status"] == "blocked"
    # Fail fast: the release's own checks ran alone and stopped the run; nothing trained.
    assert second["job"] == "ingest_and_check"
    assert {s["step"] for s in second["steps"]} <= {
        "movielens",
        *(f"{c['asset']}_{c['name']}" for c in second["checks"]),
    }, second["steps"]
    failed = {c["name"]: c for c in second["checks"] if not c["passed"]}
    assert "ratings_quarantine_share" in failed
    share = failed["ratings_quarantine_share"]
    assert share["value"] > share["threshold"] == 0.01
    reasons = {q["reason"] for q in second["quarantine"] if q["table"] == "ratings"}
    assert reasons == {
        "unparseable",
        "duplicate",
        "unknown_movie",
        "missing_value",
        "rating_out_of_range",
        "timestamp_implausible",
        "id_not_positive",
    }
    # The gate held: the version published by the first run is still what readers see.
    assert second["published_version"]["version"] == 1
    assert not second["published_version"]["this_run"]
    assert scalar(pg_url, "SELECT count(*) FROM cine.user_recommendations") == users * K
    assert scalar(pg_url, "SELECT count(*) FROM cine.published_versions") == 1
    blocked_report = (home / "reports" / "index.html").read_text()
    assert second["run_id"] in blocked_report and "ratings_quarantine_share" in blocked_report

    # A broken export that rates everything 5 stars is clean row by row: the drift gate
    # stops it, naming the drifted feature, and readers keep version 1.
    assert main([*run, "--movielens", str(top_rated_release)]) == 1
    code, third = status(home, capsys)
    assert code == 1 and third["status"] == "blocked"
    failed = {c["name"]: c for c in third["checks"] if not c["passed"]}
    assert set(failed) >= {"input_drift_within_gate", "input_drift_detected"}
    gate = failed["input_drift_within_gate"]["metadata"]
    assert gate["blocked_features"] == ["rating"]
    assert gate["statistics"]["rating"] > gate["gate_thresholds"]["rating"]
    assert "ratings_quarantine_share" not in failed
    assert scalar(pg_url, "SELECT count(*) FROM cine.published_versions") == 1
    drift_report = (home / "reports" / "index.html").read_text()
    assert "Drift against the published run" in drift_report and 'class="sparkline"' in drift_report
    assert list((home / "drift" / third["run_id"] / "input_profile").glob("*.html"))

    # The unchanged data again: no drift, published as version 2, with its vibe index.
    assert main([*run, "--movielens", str(sample_release)]) == 0
    code, fourth = status(home, capsys)
    assert code == 0 and fourth["published_version"]["version"] == 2
    assert all(c["passed"] for c in fourth["checks"] if c["asset"].endswith("_drift"))
    # Incremental refresh: the sentiment branch saw the same corpus, code and config as in
    # the first run and is reused from it; the recommenders last saw the 5-star export and
    # are recomputed; every check ran again on what was reused.
    reused = {r["name"]: r["from_run"] for r in fourth["reused"]}
    assert reused.get("sentiment_model") == first["run_id"], fourth["reused"]
    assert "recommender_model" not in reused and "user_recommendations" not in reused
    assert len(fourth["checks"]) == expected_checks
    assert (home / "published" / "v2" / "lancedb").is_dir()
    assert (home / "published" / "current").read_text().strip() == "v2"
    history = scalar(pg_url, "SELECT count(DISTINCT run_id) FROM cine.quality_history")
    assert history == 4

    # Hostile text went through the whole run: byte-exact in PostgreSQL, inert in the report
    # in a real browser, escaped on the terminal; the review that is not UTF-8 quarantined.
    expected = {
        m: re.sub(r" \(\d{4}\)$", "", t)
        for m, t in pl.read_csv(sample_release / "movies.csv").select("movieId", "title").rows()
        if m in hostile_titles_ids(sample_release)
    }
    with psycopg2.connect(pg_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT item_id, title FROM cine.movies WHERE item_id = ANY(%s)", [[*expected]])
        assert dict(cur.fetchall()) == expected
    dom = chromium(tmp_path, "--dump-dom", (home / "reports" / "index.html").as_uri()).stdout
    assert PWNED not in re.search(r"<title>(.*?)</title>", dom, re.S).group(1)
    assert "<script" not in dom.lower() and not re.search(r"<[^>]+\son(error|load)=", dom)
    assert "&lt;script&gt;document.title=" in dom  # shown, as text
    assert "x'); DROP TABLE cine.movies; --&lt;b&gt;" in dom  # the hostile tenant, as text
    quarantined = pl.read_parquet(home / "tables" / "movie_review_quarantine.parquet")
    assert quarantined["reason"].to_list() == ["not_utf8"], quarantined
    capsys.readouterr()
    assert main(["vibe", "escape red back return", "--home", str(home), "--k", "20"]) == 0
    shown = capsys.readouterr().out
    assert shown.strip() and all(line.isprintable() for line in shown.splitlines()), shown


def test_missing_or_unknown_movielens_source_stops_with_its_name(
    tmp_path: Path, pg_url: str, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("CINE_POSTGRES_URL", pg_url)
    missing = tmp_path / "nowhere"
    assert main(["run", "--home", str(tmp_path / "h"), "--movielens", str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err

    bad = tmp_path / "bad.yaml"
    bad.write_text("ops: [sentiment_model]\n")
    assert main(["run", "--home", str(tmp_path / "h"), "--config", str(bad)]) == 2
    assert str(bad) in capsys.readouterr().err

    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "readme.txt").write_text("not movielens")
    run = ["run", "--home", str(tmp_path / "h"), "--config", str(fast_config(tmp_path))]
    assert main([*run, "--movielens", str(odd)]) == 1
    code, summary = status(tmp_path / "h", capsys)
    assert code == 1 and summary["status"] == "failed" and not summary["published"]

    # An unreadable file: the run fails at once, saying which file and why, no traceback.
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "ratings.csv").write_text("")
    (empty / "movies.csv").write_text("movieId,title,genres\n1,Toy Story (1995),Comedy\n")
    capsys.readouterr()
    assert main([*run, "--movielens", str(empty)]) == 1
    out = capsys.readouterr()
    assert f"{empty / 'ratings.csv'}: empty file" in out.out + out.err
    assert "Traceback" not in out.err and 'File "' not in out.err
