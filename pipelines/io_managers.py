"""Store asset values under the home folder: polars frames as Parquet, models as folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg

from assets import storage
from assets.resources import CineHome
from assets.reuse import REUSED_FROM
from assets.storage import _MOVED_MODULES  # noqa: F401  (artifacts saved before the move)


class CineIOManager(dg.ConfigurableIOManager):
    """``pl.DataFrame`` → ``<home>/tables/<asset>.parquet``; a dict → ``.../<asset>.json``;
    an object with ``save(path)`` and ``load(path)`` → ``<home>/models/<asset>/``
    (the layout is assets/storage.py's, written atomically).
    """

    home: CineHome

    def _base(self, context: dg.OutputContext | dg.InputContext) -> str:
        return "__".join(context.asset_key.path)

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        name = self._base(context)
        kept = storage.stored_path(self.home, name)
        if REUSED_FROM in context.output_metadata and kept is not None:
            # The asset handed on its stored value (assets/reuse.py): it is already there.
            context.add_output_metadata({"path": dg.MetadataValue.path(str(kept))})
            return
        path = storage.store(self.home, name, obj)
        if path is not None:
            context.add_output_metadata({"path": dg.MetadataValue.path(str(path))})

    def load_input(self, context: dg.InputContext) -> Any:
        return storage.load(self.home, self._base(context))


def table_path(home: CineHome, asset: str) -> Path:
    return home.root / "tables" / f"{asset}.parquet"
