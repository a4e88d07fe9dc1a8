"""Implicit-feedback matrix factorisation with implicit's ALS (Hu, Koren & Volinsky 2008)."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from ml import device
from ml.interactions import confidence
from ml.models.base import batched_top_k


@dataclass(frozen=True)
class AlsParams:
    """ALS hyper-parameters; ``alpha`` scales ratings into confidence weights."""

    factors: int = 32
    regularization: float = 0.05
    alpha: float = 1.0
    iterations: int = 20
    confidence: str = "linear"


@dataclass
class AlsModel:
    """Trained factors.

    Attributes
    ----------
    user_factors : np.ndarray, shape (n_users, factors), float32
    item_factors : np.ndarray, shape (n_items, factors), float32
    params : AlsParams
    seed : int
    train_seconds : float
    device : str
    metrics : dict
        Validation metrics measured on a held-out split before the final fit.
    """

    user_factors: np.ndarray
    item_factors: np.ndarray
    params: AlsParams
    seed: int
    train_seconds: float
    device: str
    metrics: dict[str, float] = field(default_factory=dict)

    name = "als"

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """Dense scores, shape (len(rows), n_items), for user row indices ``rows``."""
        return self.user_factors[rows] @ self.item_factors.T

    def recommend(self, seen: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` unseen item indices and scores for every user row of ``seen``."""
        if seen.shape != (len(self.user_factors), len(self.item_factors)):
            raise ValueError(
                f"seen matrix {seen.shape} does not match the model "
                f"({len(self.user_factors)} users, {len(self.item_factors)} items)"
            )
        return batched_top_k(self.scores, seen, k)

    def item_similarity(self, items: np.ndarray, others: np.ndarray) -> np.ndarray:
        """Cosine similarity in item-factor space, shape (len(items), len(others))."""
        a = _normalise(self.item_factors[items])
        b = _normalise(self.item_factors[others])
        return a @ b.T

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        np.save(path / "user_factors.npy", self.user_factors)
        np.save(path / "item_factors.npy", self.item_factors)
        meta = {
            "params": asdict(self.params),
            "seed": self.seed,
            "train_seconds": self.train_seconds,
            "device": self.device,
            "metrics": self.metrics,
        }
        (path / "model.json").write_text(json.dumps(meta, indent=2))

    @classmethod
    def load(cls, path: Path) -> AlsModel:
        meta = json.loads((path / "model.json").read_text())
        return cls(
            user_factors=np.load(path / "user_factors.npy"),
            item_factors=np.load(path / "item_factors.npy"),
            params=AlsParams(**meta["params"]),
            seed=meta["seed"],
            train_seconds=meta["train_seconds"],
            device=meta["device"],
            metrics=meta.get("metrics", {}),
        )


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def train_als(
    matrix: sp.csr_matrix,
    params: AlsParams = AlsParams(),
    *,
    seed: int = 42,
    use_gpu: bool | None = None,
    num_threads: int = 0,
) -> AlsModel:
    """Fit ALS on a user-item rating matrix.

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix, shape (n_users, n_items)
        Explicit ratings; turned into confidence with ``params.alpha``.
    params : AlsParams
    seed : int
        Fixes the factor initialisation, so the same inputs give the same model.
    use_gpu : bool, optional
        Defaults to :func:`ml.device.gpu_available`.
    num_threads : int
        implicit's own threads (0 = all cores). BLAS is held to one thread meanwhile,
        as implicit recommends, since its solver is already parallel.
    """
    from implicit.als import AlternatingLeastSquares

    use_gpu = device.gpu_available() if use_gpu is None else use_gpu
    weights = confidence(matrix, alpha=params.alpha, scheme=params.confidence)
    started = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):
        model = AlternatingLeastSquares(
            factors=params.factors,
            regularization=params.regularization,
            iterations=params.iterations,
            alpha=1.0,
            use_gpu=use_gpu,
            num_threads=num_threads,
            random_state=seed,
        )
        model.fit(weights, show_progress=False)
    elapsed = time.perf_counter() - started
    if use_gpu:
        model = model.to_cpu()
    return AlsModel(
        user_factors=np.ascontiguousarray(model.user_factors, dtype=np.float32),
        item_factors=np.ascontiguousarray(model.item_factors, dtype=np.float32),
        params=params,
        seed=seed,
        train_seconds=elapsed,
        device="cuda" if use_gpu else "cpu",
    )
