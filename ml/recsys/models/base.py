"""What every recommender shares: top-k over the full catalogue with seen items excluded."""

from __future__ import annotations

import functools
import time
from dataclasses import asdict
from pathlib import Path
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from ml import artifacts


def top_k(scores: np.ndarray, seen: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Best ``k`` unseen items per row of a dense score matrix.

    Parameters
    ----------
    scores : np.ndarray, shape (n_users, n_items)
        Higher is better. Modified in place (seen items set to -inf).
    seen : scipy.sparse.csr_matrix, shape (n_users, n_items)
        Items each user already rated; never returned.
    k : int
        List length; rows with fewer than ``k`` unseen items are padded with item
        ``-1`` and score ``-inf``.

    Returns
    -------
    items : np.ndarray, shape (n_users, k), int64
    item_scores : np.ndarray, shape (n_users, k), float32
    """
    scores = np.ascontiguousarray(scores, dtype=np.float32)
    n_users, n_items = scores.shape
    rows = np.repeat(np.arange(n_users), np.diff(seen.indptr))
    scores[rows, seen.indices] = -np.inf
    kk = min(k, n_items)
    if kk == 0:
        part = np.empty((n_users, 0), dtype=np.int64)
        part_scores = np.empty((n_users, 0), dtype=np.float32)
    else:
        # torch's top-k selects in one pass, about 2x numpy's argpartition on a 2048 x 59k
        # block (2 cores); it shares the array's memory, so no copy of the block is made.
        import torch

        values, indices = torch.topk(torch.from_numpy(scores), kk, dim=1)
        part, part_scores = indices.numpy(), values.numpy()
    # Ties broken by item index so that the same scores always give the same list.
    order = np.lexsort((part, -part_scores), axis=1)
    items = np.take_along_axis(part, order, axis=1).astype(np.int64)
    item_scores = np.take_along_axis(part_scores, order, axis=1).astype(np.float32)
    items[~np.isfinite(item_scores)] = -1
    if kk < k:
        pad = k - kk
        items = np.pad(items, ((0, 0), (0, pad)), constant_values=-1)
        item_scores = np.pad(item_scores, ((0, 0), (0, pad)), constant_values=-np.inf)
    return items, item_scores


def batched_top_k(score_fn, seen: sp.csr_matrix, k: int, *, batch_size: int = 2048):
    """Apply ``score_fn(row_indices) -> (len(rows), n_items)`` in batches and keep top ``k``.

    Keeps memory at ``batch_size * n_items`` floats whatever the number of users.
    """
    n_users = seen.shape[0]
    items = np.empty((n_users, k), dtype=np.int64)
    scores = np.empty((n_users, k), dtype=np.float32)
    for start in range(0, n_users, batch_size):
        rows = np.arange(start, min(start + batch_size, n_users))
        block = np.asarray(score_fn(rows), dtype=np.float32)
        items[rows], scores[rows] = top_k(block, seen[rows], k)
    return items, scores


#: Every model class by its ``name``, filled as subclasses are defined; ``load`` reads it.
REGISTRY: dict[str, type[Recommender]] = {}


class Recommender:
    """One interface for every model: fit on a user-item matrix, score, recommend, explain.

    Subclasses set ``name`` and ``Params`` (a frozen dataclass), implement ``_fit``,
    ``score`` and ``item_affinity``, and list their learned arrays in ``_state`` /
    ``_set_state`` so that ``save``/``load`` write numpy + JSON (never pickles).
    """

    name: ClassVar[str] = "base"
    Params: ClassVar[type] = type(None)
    #: False for models whose lists cannot be traced to the user's own ratings.
    explainable: ClassVar[bool] = True
    #: True for models that also learn from the side information of ``Interactions``
    #: (rating sessions, item features).
    uses_side: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            REGISTRY[cls.name] = cls

    def __init__(self, params=None, *, seed: int = 42, use_gpu: bool | None = None):
        self.params = params if params is not None else self.Params()
        self.seed = seed
        self.use_gpu = use_gpu
        self.train_seconds = 0.0
        self.device = "cpu"
        self.metrics: dict[str, float] = {}
        self.n_items = 0

    def fit(self, x: sp.csr_matrix, *, side=None, deadline: float | None = None) -> Recommender:
        """Train on ``x`` (n_users, n_items): explicit ratings; any stored value is seen.

        ``side`` is the ``ml.recsys.interactions.Interactions`` that ``x`` came from; only models
        with ``uses_side`` read its sessions and item features. ``deadline`` (a
        ``time.monotonic()`` value) stops the models trained in epochs at the first batch past
        it, with their best state so far, and implicit's ALS and BPR after the iteration under
        way, and sets ``stopped_at_deadline``; closed-form models cannot be interrupted and
        ignore it.
        """
        x = sp.csr_matrix(x, dtype=np.float32)
        self.n_items = x.shape[1]
        self.deadline, self.stopped_at_deadline = deadline, False
        started = time.perf_counter()
        if self.uses_side:
            if side is not None and side.shape != x.shape:
                raise ValueError(f"side information is for {side.shape}, the ratings {x.shape}")
            self._fit(x, side)
        else:
            self._fit(x)
        self.train_seconds = time.perf_counter() - started
        return self

    def fit_interactions(self, data, *, deadline: float | None = None) -> Recommender:
        """``fit`` on an ``Interactions`` (``ml.recsys.interactions``): matrix and side data."""
        return self.fit(data.matrix, side=data, deadline=deadline)

    def out_of_time(self) -> bool:
        """True once ``fit``'s ``deadline`` has passed; sets ``stopped_at_deadline``."""
        deadline = getattr(self, "deadline", None)
        if deadline is not None and time.monotonic() >= deadline:
            self.stopped_at_deadline = True
        return getattr(self, "stopped_at_deadline", False)

    def _fit(self, x: sp.csr_matrix, *args) -> None:
        raise NotImplementedError

    def score(self, x: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
        """Scores, shape (len(rows), n_items), for the users at ``rows`` of ``x``."""
        raise NotImplementedError

    def recommend(
        self, x: sp.csr_matrix, k: int, *, batch_size: int = 1024, rows: np.ndarray | None = None
    ):
        """Top ``k`` unseen items and scores for every user row of ``x``, or only for the
        rows at ``rows`` (in that order: the results have ``len(rows)`` rows)."""
        if x.shape[1] != self.n_items:
            raise ValueError(
                f"matrix has {x.shape[1]} items; the {self.name} model was trained on "
                f"{self.n_items}: the shape does not match"
            )
        x = sp.csr_matrix(x, dtype=np.float32)
        if rows is None:
            return batched_top_k(lambda r: self.score(x, r), x, k, batch_size=batch_size)
        rows = np.asarray(rows, dtype=np.int64)
        return batched_top_k(lambda r: self.score(x, rows[r]), x[rows], k, batch_size=batch_size)

    def item_affinity(self, targets: np.ndarray, sources: np.ndarray) -> np.ndarray:
        """How much each source item speaks for each target, shape (len(targets), len(sources)):
        by default the cosine of their ``affinity_vectors``."""
        vectors = self.affinity_vectors()
        if vectors is None:
            raise NotImplementedError(f"{self.name} has no item affinity")
        return cosine_rows(vectors[targets], vectors[sources])

    def affinity_vectors(self) -> np.ndarray | None:
        """Item vectors, shape (n_items, d), whose cosine is ``item_affinity``; None when the
        affinity is not a cosine. Lets :meth:`affinity_batches` explain many users at once."""
        return None

    def affinity_batches(self):
        """A function ``(targets (B, k), sources (B, L)) -> (B, k, L)``: ``item_affinity`` of
        B users at once, each row its user's targets and sources (item indices, -1 pads).
        Padded entries are -inf. Factor models do it in one batched matrix product of unit
        vectors, item-item models in one gather; others row by row."""
        vectors = self.affinity_vectors()
        if vectors is None:
            return functools.partial(_rowwise_affinity, self.item_affinity)
        import torch

        unit = torch.from_numpy(unit_rows(np.asarray(vectors, dtype=np.float32)))

        def cosine(targets: np.ndarray, sources: np.ndarray) -> np.ndarray:
            # torch's batched GEMM: 3x numpy's stacked matmul on these shapes.
            t, s = (_rows_of(unit, np.maximum(i, 0)) for i in (targets, sources))
            sims = torch.bmm(t, s.transpose(1, 2))
            pad = torch.from_numpy((targets < 0)[:, :, None] | (sources < 0)[:, None, :])
            return sims.masked_fill_(pad, -np.inf).numpy()

        return cosine

    def _state(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    @classmethod
    def summary(cls) -> str:
        """One line on what the model is: the first paragraph of the class's own docstring."""
        doc = cls.__dict__.get("__doc__") or ""
        return " ".join(doc.strip().split("\n\n")[0].split())

    def describe(self) -> dict:
        return {"model": self.name, "params": asdict(self.params), "seed": self.seed}

    def save(self, path: Path) -> None:
        meta = {
            "name": self.name,
            "params": asdict(self.params),
            "seed": self.seed,
            "train_seconds": self.train_seconds,
            "device": self.device,
            "metrics": self.metrics,
            "n_items": self.n_items,
        }
        artifacts.save(path, self._state(), meta)

    @classmethod
    def load(cls, path: Path) -> Recommender:
        state, meta = artifacts.load(path)
        model_cls = REGISTRY[meta["name"]] if cls is Recommender else cls
        model = model_cls(model_cls.Params(**meta["params"]), seed=meta["seed"])
        model.train_seconds = meta["train_seconds"]
        model.device = meta["device"]
        model.metrics = meta.get("metrics", {})
        model.n_items = meta["n_items"]
        model._set_state(state)
        return model


def binary(x: sp.csr_matrix) -> sp.csr_matrix:
    """The same sparsity pattern with every stored value set to 1."""
    out = sp.csr_matrix(x, dtype=np.float32, copy=True)
    out.data[:] = 1.0
    return out


def unit_rows(a: np.ndarray) -> np.ndarray:
    """The rows of ``a`` scaled to length 1 (a zero row stays zero)."""
    return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity between the rows of ``a`` and of ``b``: shape (len(a), len(b))."""
    return unit_rows(a) @ unit_rows(b).T


def _rows_of(table, index: np.ndarray):
    """``table[index]`` for a torch ``table`` and an integer array of any shape."""
    import torch

    flat = torch.from_numpy(np.ascontiguousarray(index, dtype=np.int64).ravel())
    return table.index_select(0, flat).view(*index.shape, table.shape[1])


def mask_padding(sims: np.ndarray, targets: np.ndarray, sources: np.ndarray) -> np.ndarray:
    sims = np.asarray(sims, dtype=np.float32)
    sims[(targets < 0)[:, :, None] | (sources < 0)[:, None, :]] = -np.inf
    return sims


def _rowwise_affinity(affinity, targets: np.ndarray, sources: np.ndarray) -> np.ndarray:
    out = np.full((*targets.shape, sources.shape[1]), -np.inf, dtype=np.float32)
    for b, (t, s) in enumerate(zip(targets, sources)):
        tk, sk = t >= 0, s >= 0
        if tk.any() and sk.any():
            out[b, np.flatnonzero(tk)[:, None], np.flatnonzero(sk)] = affinity(t[tk], s[sk])
    return out
