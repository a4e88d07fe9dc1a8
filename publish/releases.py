"""Published Parquet: each version's tables in ``<home>/published/v<N>/``, like Postgres.

The working tables under ``<home>/tables`` are rewritten by every run, gated or not; apps that
read files read ``<home>/published/current`` (a small pointer file, replaced atomically),
which only the gated publish step moves.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import polars as pl


def write_release(root: Path, version: int, tables: dict[str, pl.DataFrame], *, keep: int = 2):
    """Write ``tables`` as ``root/v<version>/<name>.parquet`` and point ``current`` at it."""
    folder = root / f"v{version}"
    tmp = root / f".v{version}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, frame in tables.items():
        frame.write_parquet(tmp / f"{name}.parquet")
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    pointer = root / ".current.tmp"
    pointer.write_text(f"v{version}\n")
    os.replace(pointer, root / "current")
    versions = sorted(
        (p for p in root.glob("v*") if p.is_dir() and p.name[1:].isdigit()),
        key=lambda p: int(p.name[1:]),
    )
    for old in versions[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return folder


def current_release(root: Path) -> Path | None:
    """The folder ``current`` points at, or None before the first publish."""
    pointer = root / "current"
    if not pointer.exists():
        return None
    return root / pointer.read_text().strip()
