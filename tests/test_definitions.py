"""The Definitions load, every job resolves, every check gates publishing, the resources read
secrets as ``dg.EnvVar``, and the asset graph matches its committed snapshot.

The snapshot (``tests/snapshots/asset_graph.json``) makes every change to the graph (an asset,
a dependency, a check, a job's selection, a schedule) show up in review as a diff. After an
intended change, rewrite it with ``UPDATE_SNAPSHOTS=1 pytest tests/test_definitions.py``.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import dagster as dg
import pytest

import assets.ingest_checks
import assets.models_checks
import assets.recommendations_checks
from assets.resources import (
    POSTGRES_URL_ENV,
    TMDB_KEY_ENV,
    CineHome,
    PostgresResource,
    TmdbResource,
)
from pipelines.definitions import build_definitions, build_resources, defs

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"

EXPECTED_ASSETS = {
    "ratings",
    "movies",
    "quarantine",
    "user_item_matrix",
    "als_model",
    "model_tuning",
    "model_selection",
    "recommender_model",
    "user_recommendations",
    "published_version",
    "run_report",
    "trailers",
    "frames",
    "trailer_extractions",
    "frame_analytics",
    "clip_embeddings",
    "vibe_index",
    "vibe_presets",
    "sentiment_model",
    "movie_sentiment",
}
#: The checks that gate the recommendation spine: ingest, the served lists, the model.
CORE_CHECK_MODULES = [assets.ingest_checks, assets.recommendations_checks, assets.models_checks]


@pytest.fixture
def clean_env(monkeypatch) -> None:
    """No CINE_* variable and no TMDb key: the graph and resources as a fresh checkout sees them."""
    for name in list(os.environ):
        if name.startswith("CINE_") or name == TMDB_KEY_ENV:
            monkeypatch.delenv(name)


@pytest.fixture
def built(tmp_path, clean_env) -> dg.Definitions:
    return build_definitions(home=str(tmp_path))


def test_the_lazy_defs_loads_and_every_job_resolves(clean_env) -> None:
    # workspace.yaml names ``defs``: a @dg.definitions function Dagster calls when it loads.
    loaded = defs()
    dg.Definitions.validate_loadable(loaded)
    assert loaded.jobs
    for job in loaded.jobs:
        assert loaded.resolve_job_def(job.name).name == job.name


def test_asset_graph_has_the_spine_and_groups(built) -> None:
    graph = built.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert keys >= EXPECTED_ASSETS
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups["ratings"] == "ingest" and groups["published_version"] == "publish"
    assert groups["als_model"] == "models" and groups["run_report"] == "reports"
    upstream = {k.to_user_string() for k in graph.get(dg.AssetKey("published_version")).parent_keys}
    assert upstream >= {"user_recommendations", "movies", "recommender_model", "vibe_presets"}


def _ancestors(graph, key: dg.AssetKey) -> set[dg.AssetKey]:
    seen, todo = set(), [key]
    while todo:
        for parent in graph.get(todo.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def test_every_check_is_blocking_and_targets_an_upstream_of_publish(built) -> None:
    graph = built.resolve_asset_graph()
    core = {
        key for c in dg.load_asset_checks_from_modules(CORE_CHECK_MODULES) for key in c.check_keys
    }
    assert len(core) == 13 and core <= set(graph.asset_check_keys)
    upstream_of_publish = _ancestors(graph, dg.AssetKey("published_version"))
    for key in graph.asset_check_keys:
        spec = graph.get_check_spec(key)
        assert spec.description
        if key in core:
            assert spec.blocking, f"{key} must block publishing"
        if not spec.blocking:
            continue
        # Blocking stops downstream assets: the checked asset must lie upstream of publish.
        assert key.asset_key in upstream_of_publish


def test_every_asset_has_a_description(built) -> None:
    graph = built.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        assert graph.get(key).description, f"{key.to_user_string()} needs a one-line docstring"


def test_home_is_configurable_without_reading_the_environment_at_import(tmp_path) -> None:
    other = build_definitions(home=str(tmp_path))
    assert other.resources["home"].path == str(tmp_path)


def test_unset_secrets_mean_not_configured(tmp_path, clean_env, monkeypatch) -> None:
    resources = build_resources(home=str(tmp_path))
    assert resources["postgres"].url is None and resources["tmdb"].api_key is None
    # An empty variable is as good as unset: embedded Postgres, offline metadata.
    monkeypatch.setenv(TMDB_KEY_ENV, "")
    assert build_resources(home=str(tmp_path))["tmdb"].api_key is None


def test_set_secrets_are_passed_as_env_vars_not_values(tmp_path, clean_env, monkeypatch) -> None:
    monkeypatch.setenv(POSTGRES_URL_ENV, "postgresql://u:secret@db.example/cine")
    monkeypatch.setenv(TMDB_KEY_ENV, "k3y")
    resources = build_resources(home=str(tmp_path))
    assert resources["postgres"].url == dg.EnvVar(POSTGRES_URL_ENV)
    assert resources["tmdb"].api_key == dg.EnvVar(TMDB_KEY_ENV)
    # An explicit URL wins over the environment.
    explicit = build_resources(home=str(tmp_path), postgres_url="postgresql://localhost/other")
    assert explicit["postgres"].url == "postgresql://localhost/other"


def test_env_var_resources_resolve_inside_a_run(tmp_path, clean_env, monkeypatch) -> None:
    monkeypatch.setenv(POSTGRES_URL_ENV, "postgresql://u:built@db.example/cine")
    monkeypatch.setenv(TMDB_KEY_ENV, "at-build")
    resources = build_resources(home=str(tmp_path))

    @dg.asset
    def seen(postgres: PostgresResource, tmdb: TmdbResource) -> dict:
        return {
            "url": postgres.resolved_url(),
            "embedded": postgres.is_embedded(),
            "key": tmdb.client().api_key,
        }

    # Dagster reads the variables when the run starts, not when the resources are built.
    monkeypatch.setenv(POSTGRES_URL_ENV, "postgresql://u:run@db.example/cine")
    monkeypatch.setenv(TMDB_KEY_ENV, "at-run")
    result = dg.materialize(
        [seen],
        resources={k: resources[k] for k in ("home", "postgres", "tmdb")},
        raise_on_error=False,
    )
    assert result.success
    assert result.output_for_node("seen") == {
        "url": "postgresql://u:run@db.example/cine",
        "embedded": False,
        "key": "at-run",
    }


def test_tmdb_resource_without_a_key_makes_no_client(tmp_path) -> None:
    home = CineHome(path=str(tmp_path))
    assert TmdbResource(home=home).client() is None
    assert TmdbResource(home=home, api_key="k3y").client().api_key == "k3y"


def graph_snapshot(defs: dg.Definitions) -> dict:
    """Every asset with its group and deps, every check with its asset, deps and blocking
    flag, every job with what it selects, and the schedules and sensors, sorted."""
    graph = defs.resolve_asset_graph()

    def names(keys) -> list[str]:
        return sorted(k.to_user_string() for k in keys)

    asset_nodes = {k.to_user_string(): graph.get(k) for k in graph.get_all_asset_keys()}
    checks = {}
    for key in graph.asset_check_keys:
        spec = graph.get_check_spec(key)
        checks[key.to_user_string()] = {
            "asset": spec.asset_key.to_user_string(),
            "blocking": spec.blocking,
            "deps": names(d.asset_key for d in spec.additional_deps),
        }
    return {
        "assets": {
            name: {"group": node.group_name, "deps": names(node.parent_keys)}
            for name, node in asset_nodes.items()
        },
        "checks": checks,
        "jobs": {
            job.name: {
                "assets": names(job.selection.resolve(graph)),
                "checks": names(job.selection.resolve_checks(graph)),
            }
            for job in defs.jobs
        },
        "schedules": sorted(
            (
                {
                    "name": s.name,
                    "job": s.job_name,
                    "cron": s.cron_schedule,
                    "timezone": s.execution_timezone,
                    "default_status": s.default_status.value,
                }
                for s in defs.schedules or []
            ),
            key=lambda s: s["name"],
        ),
        "sensors": sorted(
            (
                {
                    "name": s.name,
                    "jobs": sorted(t.job_name for t in s.targets),
                    "minimum_interval_seconds": s.minimum_interval_seconds,
                    "default_status": s.default_status.value,
                }
                for s in defs.sensors or []
            ),
            key=lambda s: s["name"],
        ),
    }


def test_asset_graph_matches_the_snapshot(built) -> None:
    current = json.dumps(graph_snapshot(built), indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(current)
        return
    committed = SNAPSHOT.read_text() if SNAPSHOT.exists() else ""
    if current != committed:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                current.splitlines(keepends=True),
                fromfile=f"{SNAPSHOT.name} (committed)",
                tofile=f"{SNAPSHOT.name} (current definitions)",
            )
        )
        pytest.fail(
            "The asset graph differs from its snapshot. If the change is intended, rewrite it "
            f"with UPDATE_SNAPSHOTS=1 pytest tests/{Path(__file__).name} and commit it.\n{diff}",
            pytrace=False,
        )
