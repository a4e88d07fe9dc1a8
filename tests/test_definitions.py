"""The Definitions load, every job resolves, and every check gates publishing."""

from __future__ import annotations

import dagster as dg

from pipelines.definitions import build_definitions, defs
from quality.checks import ALL_CHECKS

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


def test_definitions_load_and_every_job_resolves() -> None:
    dg.Definitions.validate_loadable(defs)
    for job in defs.jobs:
        resolved = defs.resolve_job_def(job.name)
        assert resolved.name == job.name


def test_asset_graph_has_the_spine_and_groups() -> None:
    graph = defs.resolve_asset_graph()
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


def test_every_check_is_blocking_and_targets_an_upstream_of_publish() -> None:
    graph = defs.resolve_asset_graph()
    core = {key for check in ALL_CHECKS for key in check.check_keys}
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


def test_every_asset_has_a_description() -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        assert graph.get(key).description, f"{key.to_user_string()} needs a one-line docstring"


def test_home_is_configurable_without_reading_the_environment_at_import(tmp_path) -> None:
    other = build_definitions(home=str(tmp_path))
    assert other.resources["home"].path == str(tmp_path)
