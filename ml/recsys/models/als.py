"""Implicit-feedback matrix factorisation: implicit's ALS (Hu, Koren & Volinsky 2008) and BPR."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from ml import device
from ml.recsys.interactions import confidence
from ml.recsys.models.base import Recommender, binary


@dataclass(frozen=True)
class AlsParams:
    """ALS hyper-parameters; ``alpha`` scales ratings into confidence weights."""

    factors: int = 32
    regularization: float = 0.05
    alpha: float = 1.0
    iterations: int = 20
    confidence: str = "linear"


class _OutOfTime(Exception):
    """Raised from implicit's per-iteration callback to end ``fit`` at the deadline."""


class FactorModel(Recommender):
    """A model whose scores are dot products of user and item factors."""

    user_factors: np.ndarray
    item_factors: np.ndarray

    def score(self, x: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
        if x.shape[0] != len(self.user_factors):
            raise ValueError(
                f"matrix has {x.shape[0]} users; the {self.name} model knows "
                f"{len(self.user_factors)}: the shape does not match"
            )
        return self.user_factors[rows] @ self.item_factors.T

    def affinity_vectors(self) -> np.ndarray:
        """The item factors: affinity is cosine similarity in item-factor space."""
        return self.item_factors

    def item_similarity(self, items: np.ndarray, others: np.ndarray) -> np.ndarray:
        return self.item_affinity(items, others)

    def _state(self) -> dict[str, np.ndarray]:
        return {"user_factors": self.user_factors, "item_factors": self.item_factors}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self.user_factors = state["user_factors"]
        self.item_factors = state["item_factors"]

    def _fit_implicit(self, model, weights: sp.csr_matrix) -> None:
        self.device = "cuda" if self._gpu() else "cpu"

        def stop_at_deadline(*progress) -> None:  # ALS: (iteration, s, loss); BPR: 4 values
            # After each full iteration (users, then items): a model that stops here is a
            # valid model of fewer iterations, as the torch models stop at an epoch.
            if self.out_of_time():
                raise _OutOfTime

        with threadpool_limits(limits=1, user_api="blas"):
            try:
                model.fit(weights, show_progress=False, callback=stop_at_deadline)
            except _OutOfTime:
                pass
        if self._gpu():
            model = model.to_cpu()
        self.user_factors = np.ascontiguousarray(model.user_factors, dtype=np.float32)
        self.item_factors = np.ascontiguousarray(model.item_factors, dtype=np.float32)

    def _gpu(self) -> bool:
        return device.gpu_available() if self.use_gpu is None else self.use_gpu


class AlsModel(FactorModel):
    """implicit's conjugate-gradient ALS on rating-weighted confidence."""

    name = "als"
    Params = AlsParams

    def _fit(self, x: sp.csr_matrix) -> None:
        from implicit.als import AlternatingLeastSquares

        p = self.params
        with threadpool_limits(limits=1, user_api="blas"):
            model = AlternatingLeastSquares(
                factors=p.factors,
                regularization=p.regularization,
                iterations=p.iterations,
                alpha=1.0,
                use_gpu=self._gpu(),
                random_state=self.seed,
            )
        self._fit_implicit(model, confidence(x, alpha=p.alpha, scheme=p.confidence))


@dataclass(frozen=True)
class BprParams:
    factors: int = 64
    learning_rate: float = 0.01
    regularization: float = 0.01
    iterations: int = 100


class BprModel(FactorModel):
    """implicit's Bayesian Personalised Ranking (Rendle et al. 2009) on binary feedback."""

    name = "bpr"
    Params = BprParams

    def _fit(self, x: sp.csr_matrix) -> None:
        from implicit.bpr import BayesianPersonalizedRanking

        p = self.params
        with threadpool_limits(limits=1, user_api="blas"):
            model = BayesianPersonalizedRanking(
                factors=p.factors,
                learning_rate=p.learning_rate,
                regularization=p.regularization,
                iterations=p.iterations,
                use_gpu=self._gpu(),
                random_state=self.seed,
                # One thread: implicit's Hogwild updates make multi-threaded BPR
                # non-deterministic, and the same seed must give the same model.
                num_threads=1,
            )
        # implicit's BPR appends an item-bias column to the item factors (and a 1 to users').
        self._fit_implicit(model, binary(x))


def train_als(
    matrix: sp.csr_matrix,
    params: AlsParams = AlsParams(),
    *,
    seed: int = 42,
    use_gpu: bool | None = None,
) -> AlsModel:
    """Fit ALS on a user-item rating matrix, shape (n_users, n_items); the same seed gives
    the same model. GPU when one is there (``ml.device``), CPU otherwise."""
    return AlsModel(params, seed=seed, use_gpu=use_gpu).fit(matrix)
