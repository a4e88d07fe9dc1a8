"""Store asset values under the home folder: polars frames as Parquet, models as folders."""

from __future__ import annotations

import importlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import dagster as dg
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


class CineIOManager(dg.ConfigurableIOManager):
    """``pl.DataFrame`` → ``<home>/tables/<asset>.parquet``; an object with ``save(path)`` and
    ``load(path)`` → ``<home>/models/<asset>/``; a dict → ``<home>/tables/<asset>.json``.

    Writes go to a temporary name first and are renamed into place, so a crash never
    leaves a half-written table where the last good one was.
    """

    home: CineHome

    def _base(self, context: dg.OutputContext | dg.InputContext) -> str:
        return "__".join(context.asset_key.path)

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        name = self._base(context)
        if isinstance(obj, pl.DataFrame):
            path = self.home.folder("tables") / f"{name}.parquet"
            tmp = path.with_suffix(".parquet.tmp")
            obj.write_parquet(tmp)
            os.replace(tmp, path)
            context.add_output_metadata({"path": dg.MetadataValue.path(str(path))})
        elif isinstance(obj, dict):
            path = self.home.folder("tables") / f"{name}.json"
            tmp = path.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(obj, indent=2, default=str))
            os.replace(tmp, path)
        elif hasattr(obj, "save") and hasattr(type(obj), "load"):
            path = self.home.folder("models") / name
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
            context.add_output_metadata({"path": dg.MetadataValue.path(str(path))})
        elif obj is None:
            return
        else:
            raise TypeError(
                f"asset {name}: cannot store a {type(obj).__name__}; return a polars "
                "DataFrame, a dict, or an object with save(path)/load(path)"
            )

    def load_input(self, context: dg.InputContext) -> Any:
        name = self._base(context)
        tables, models = self.home.root / "tables", self.home.root / "models"
        if (tables / f"{name}.parquet").exists():
            return pl.read_parquet(tables / f"{name}.parquet")
        if (tables / f"{name}.json").exists():
            return json.loads((tables / f"{name}.json").read_text())
        if (models / name / "artifact.json").exists():
            spec = json.loads((models / name / "artifact.json").read_text())["class"]
            module, _, qualname = spec.partition(":")
            module = _MOVED_MODULES.get(module, module)
            if not module.startswith(_ARTIFACT_MODULES):
                raise ValueError(f"refusing to load {spec} from {models / name}")
            return getattr(importlib.import_module(module), qualname).load(models / name)
        raise FileNotFoundError(
            f"asset {name} has not been materialized under {self.home.root}; "
            "materialize it (or the whole job) first"
        )


def table_path(home: CineHome, asset: str) -> Path:
    return home.root / "tables" / f"{asset}.parquet"
