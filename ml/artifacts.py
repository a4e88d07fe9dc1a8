"""The one on-disk format of a trained artifact: named arrays plus a JSON document, in a folder.

``save(path, arrays, meta)`` writes ``arrays.npz`` (numpy arrays, and scipy CSR matrices as
their three component arrays; never a pickle) and ``meta.json``. ``load(path)`` reads them
back as ``(arrays, meta)``. Every model, embedding table and matrix in ``ml`` goes through
these two functions, so the format is written once.

Folders written before this format (one ``.npz``/``.npy``/``.json`` set per class) still
load: ``load`` reads them through ``_legacy``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ARRAYS = "arrays.npz"
META = "meta.json"
_SPARSE = ("data", "indices", "indptr", "shape")
_SPARSE_TAG = "__csr__"
#: The main JSON document of each layout written before this format.
LEGACY_META = ("model.json", "embeddings.json", "ranker.json", "shape.json")


def save(path: Path, arrays: Mapping[str, np.ndarray | sp.spmatrix | None], meta: dict) -> Path:
    """Write ``arrays`` (None values skipped) and ``meta`` (JSON-serialisable) under ``path``."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    flat: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        if value is None:
            continue
        if sp.issparse(value):
            csr = sp.csr_matrix(value)
            for part in _SPARSE:
                flat[f"{name}{_SPARSE_TAG}{part}"] = np.asarray(getattr(csr, part))
        else:
            flat[name] = np.asarray(value)
    np.savez(path / ARRAYS, **flat)
    (path / META).write_text(json.dumps(meta, indent=2, default=_json_default))
    return path


def load(path: Path) -> tuple[dict[str, np.ndarray | sp.csr_matrix], dict]:
    """``(arrays, meta)`` as saved by :func:`save`; sparse matrices come back as CSR.

    Raises
    ------
    FileNotFoundError
        Naming the folder, when it holds no artifact of either format.
    """
    path = Path(path)
    if not (path / META).exists():
        return _legacy(path)
    with np.load(path / ARRAYS, allow_pickle=False) as data:
        flat = {k: data[k] for k in data.files}
    meta = json.loads((path / META).read_text())
    return _unflatten(flat), meta


def exists(path: Path) -> bool:
    """True when ``path`` holds a saved artifact (of either format)."""
    path = Path(path)
    if not path.is_dir():
        return False
    return any((path / name).is_file() for name in (META, *LEGACY_META))


def read_meta(path: Path) -> dict:
    """The JSON document of the artifact at ``path``, without reading its arrays."""
    path = Path(path)
    if (path / META).exists():
        return json.loads((path / META).read_text())
    return _legacy(path)[1]


def _unflatten(flat: dict[str, np.ndarray]) -> dict:
    out: dict = {}
    sparse: dict[str, dict[str, np.ndarray]] = {}
    for key, value in flat.items():
        name, tag, part = key.partition(_SPARSE_TAG)
        if tag:
            sparse.setdefault(name, {})[part] = value
        else:
            out[key] = value
    for name, p in sparse.items():
        out[name] = sp.csr_matrix((p["data"], p["indices"], p["indptr"]), shape=tuple(p["shape"]))
    return out


def _legacy(path: Path) -> tuple[dict, dict]:
    """Read a folder written before this format: every ``.npz`` (plain or scipy sparse) and
    ``.npy`` becomes arrays, the layout's one main JSON (``LEGACY_META``) the meta, and
    ``<name>.vocabulary.json`` files go to ``meta["vocabularies"][name]``."""
    mains = [path / name for name in LEGACY_META if (path / name).is_file()]
    if len(mains) != 1:
        found = [m.name for m in mains] or "none"
        raise FileNotFoundError(
            f"no saved artifact in {path}: expected {ARRAYS} + {META}, or one of "
            f"{', '.join(LEGACY_META)} (found {found})"
        )
    arrays: dict = {}

    def put(name: str, value) -> None:
        if name in arrays:
            raise ValueError(f"{path}: array {name!r} is stored twice")
        arrays[name] = value

    for f in sorted(path.glob("*.npz")):
        with np.load(f, allow_pickle=False) as data:
            if {"data", "indices", "indptr", "format", "shape"} <= set(data.files):
                put(f.stem, sp.load_npz(f).tocsr())
            else:
                for k in data.files:
                    put(k, data[k])
    for f in sorted(path.glob("*.npy")):
        put(f.stem, np.load(f, allow_pickle=False))
    meta = json.loads(mains[0].read_text())
    for f in sorted(path.glob("*.vocabulary.json")):
        name = f.name.removesuffix(".vocabulary.json")
        meta.setdefault("vocabularies", {})[name] = json.loads(f.read_text())
    return arrays, meta


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} in {META}")
