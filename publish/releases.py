"""Published files: each version's tables in ``<home>/published/v<N>/``, like Postgres.

The working tables under ``<home>/tables`` are rewritten by every run, gated or not; apps that
read files read ``<home>/published/current`` (a small pointer file, replaced atomically),
which only the gated publish step (and a rollback) moves. A release holds Parquet tables,
small JSON documents and whole folders moved in (the run's LanceDB vibe index), so
everything one version serves is switched together.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import polars as pl


def write_release(
    root: Path,
    version: int,
    tables: Mapping[str, pl.DataFrame],
    *,
    folders: Mapping[str, Path] | None = None,
    documents: Mapping[str, dict] | None = None,
    keep: int = 2,
) -> Path:
    """Write ``root/v<version>/``: ``<name>.parquet`` per table, ``<name>.json`` per
    document, and each of ``folders`` moved in as ``<name>/`` (a rename: same disk, no copy);
    then point ``current`` at it and drop all but the newest ``keep`` versions."""
    folder = root / f"v{version}"
    tmp = root / f".v{version}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, frame in tables.items():
        frame.write_parquet(tmp / f"{name}.parquet")
    for name, doc in (documents or {}).items():
        (tmp / f"{name}.json").write_text(json.dumps(doc, indent=2, default=str))
    for name, source in (folders or {}).items():
        os.replace(source, tmp / name)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    set_current(root, version)
    for old in kept_versions(root)[:-keep]:
        shutil.rmtree(root / f"v{old}", ignore_errors=True)
    return folder


def kept_versions(root: Path) -> list[int]:
    """Versions whose folder still exists, oldest first."""
    return sorted(int(p.name[1:]) for p in root.glob("v*") if p.is_dir() and p.name[1:].isdigit())


def set_current(root: Path, version: int) -> Path:
    """Point ``current`` at ``v<version>`` atomically; the folder must exist."""
    folder = root / f"v{version}"
    if not folder.is_dir():
        raise FileNotFoundError(f"no published release {folder}; kept: {kept_versions(root)}")
    pointer = root / ".current.tmp"
    pointer.write_text(f"v{version}\n")
    os.replace(pointer, root / "current")
    return folder


def current_release(root: Path) -> Path | None:
    """The folder ``current`` points at, or None before the first publish."""
    pointer = root / "current"
    if not pointer.exists():
        return None
    return root / pointer.read_text().strip()
