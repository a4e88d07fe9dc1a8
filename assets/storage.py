"""Where asset values live under the home folder: polars frames as Parquet, dicts as JSON,
models as folders. The IO manager stores through it, and an asset that reuses its last
output (assets/reuse.py) reads through it, so both agree on one layout.

Writes go to a temporary name first and are renamed into place, so a crash never leaves a
half-written table where the last good one was.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import polars as pl

from assets.resources import CineHome

# Only classes from our own library are rebuilt from disk; never an arbitrary import path.
_ARTIFACT_MODULES = ("ml.",)
# Where the saved classes lived before ml/ became domain packages: artifacts saved then
# still load (their array files are read by ml.artifacts' legacy reader).
_MOVED_MODULES = {
    "ml.interactions": "ml.recsys.interactions",
    "ml.models.base": "ml.recsys.models.base",
    "ml.models.als": "ml.recsys.models.als",
    "ml.models.neighbours": "ml.recsys.models.neighbours",
    "ml.models.vae": "ml.recsys.models.vae",
    "ml.models.mf": "ml.recsys.models.mf",
    "ml.content": "ml.content.embeddings",
    "ml.sentiment_models": "ml.sentiment.models",
    "ml.ranking": "ml.hybrid.ranking",
}


def stored_path(home: CineHome, name: str) -> Path | None:
    """The file or folder holding asset ``name``'s last stored value, or None."""
    tables, models = home.root / "tables", home.root / "models"
    for path in (tables / f"{name}.parquet", tables / f"{name}.json"):
        if path.exists():
            return path
    if (models / name / "artifact.json").exists():
        return models / name
    return None


def store(home: CineHome, name: str, obj: Any) -> Path | None:
    """Store ``obj`` as asset ``name``; returns where it went (None for a None value)."""
    if isinstance(obj, pl.DataFrame):
        path = home.folder("tables") / f"{name}.parquet"
        tmp = path.with_suffix(".parquet.tmp")
        obj.write_parquet(tmp)
        os.replace(tmp, path)
        return path
    if isinstance(obj, dict):
        path = home.folder("tables") / f"{name}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(obj, indent=2, default=str))
        os.replace(tmp, path)
        return path
    if hasattr(obj, "save") and hasattr(type(obj), "load"):
        path = home.folder("models") / name
        tmp = path.with_name(f"{name}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        obj.save(tmp)
        cls = type(obj)
        (tmp / "artifact.json").write_text(
            json.dumps({"class": f"{cls.__module__}:{cls.__qualname__}"})
        )
        old = path.with_name(f"{name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
        shutil.rmtree(old, ignore_errors=True)
        return path
    if obj is None:
        return None
    raise TypeError(
        f"asset {name}: cannot store a {type(obj).__name__}; return a polars "
        "DataFrame, a dict, or an object with save(path)/load(path)"
    )


def discard_partial_writes(home: CineHome) -> list[Path]:
    """Mend what a process killed in the middle of :func:`store` left: temporary files are
    deleted, and a model folder caught between its two renames gets its last whole value
    back. Call it only while no run writes to the home (``cine run`` holds the run lock);
    the paths it removed or restored."""
    mended = []
    for folder in (home.root / "tables", home.root / "models"):
        if not folder.is_dir():
            continue
        for leftover in sorted(folder.glob("*.tmp")):
            shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
            mended.append(leftover)
        for old in sorted(folder.glob("*.old")):
            current = old.with_suffix("")
            if current.exists():
                shutil.rmtree(old)
            else:
                os.replace(old, current)
            mended.append(old)
    return mended


def load(home: CineHome, name: str) -> Any:
    """The last stored value of asset ``name``; FileNotFoundError naming it when none."""
    path = stored_path(home, name)
    if path is None:
        raise FileNotFoundError(
            f"asset {name} has not been materialized under {home.root}; "
            "materialize it (or the whole job) first"
        )
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    if path.suffix == ".json":
        return json.loads(path.read_text())
    spec = json.loads((path / "artifact.json").read_text())["class"]
    module, _, qualname = spec.partition(":")
    module = _MOVED_MODULES.get(module, module)
    if not module.startswith(_ARTIFACT_MODULES):
        raise ValueError(f"refusing to load {spec} from {path}")
    return getattr(importlib.import_module(module), qualname).load(path)
