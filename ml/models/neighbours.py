"""Neighbourhood and linear item-item models: popularity, ItemKNN, RP3beta, EASE and EASE
over rating sessions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ml.models.base import Recommender, binary


@dataclass(frozen=True)
class PopularityParams:
    pass


class PopularityModel(Recommender):
    """Most-rated items first: the baseline every personalised model must beat."""

    name = "popularity"
    Params = PopularityParams
    explainable = False

    def _fit(self, x: sp.csr_matrix) -> None:
        self.counts = np.asarray(binary(x).sum(axis=0), dtype=np.float32).ravel()

    def score(self, x: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
        return np.tile(self.counts, (len(rows), 1))

    def item_affinity(self, targets: np.ndarray, sources: np.ndarray) -> np.ndarray:
        return np.zeros((len(targets), len(sources)), dtype=np.float32)

    def _state(self):
        return {"counts": self.counts}

    def _set_state(self, state):
        self.counts = state["counts"]


class ItemItemModel(Recommender):
    """Scores ``x_binary @ W`` with a learned item-item matrix ``W`` (n_items, n_items)."""

    weights: sp.csr_matrix | np.ndarray

    def score(self, x: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
        out = binary(x[rows]) @ self.weights
        return out.toarray() if sp.issparse(out) else np.asarray(out)

    def item_affinity(self, targets: np.ndarray, sources: np.ndarray) -> np.ndarray:
        """``W[source, target]``: exactly what the source adds to the target's score."""
        block = self.weights[sources][:, targets]
        block = block.toarray() if sp.issparse(block) else block
        return np.asarray(block, dtype=np.float32).T

    def _state(self):
        if sp.issparse(self.weights):
            w = self.weights.tocsr()
            return {
                "data": w.data,
                "indices": w.indices,
                "indptr": w.indptr,
                "shape": np.array(w.shape),
            }
        return {"dense": self.weights}

    def _set_state(self, state):
        if "dense" in state:
            self.weights = state["dense"]
        else:
            self.weights = sp.csr_matrix(
                (state["data"], state["indices"], state["indptr"]), shape=tuple(state["shape"])
            )


def _keep_top(w: np.ndarray, neighbours: int) -> sp.csr_matrix:
    """Keep each column's ``neighbours`` largest entries (the items that vote for it)."""
    n = w.shape[0]
    k = min(neighbours, n - 1)
    idx = np.argpartition(-w, k, axis=0)[:k]
    cols = np.tile(np.arange(n), k)
    vals = w[idx.ravel(), cols]
    keep = vals > 0
    return sp.csr_matrix((vals[keep], (idx.ravel()[keep], cols[keep])), shape=w.shape)


@dataclass(frozen=True)
class ItemKnnParams:
    neighbours: int = 100
    shrink: float = 10.0


class ItemKnnModel(ItemItemModel):
    """Item-based CF with shrunk cosine similarity (Sarwar et al. 2001)."""

    name = "itemknn"
    Params = ItemKnnParams

    def _fit(self, x: sp.csr_matrix) -> None:
        xb = binary(x)
        co = (xb.T @ xb).toarray()
        norms = np.sqrt(np.diag(co))
        sim = co / (np.outer(norms, norms) + self.params.shrink + 1e-12)
        np.fill_diagonal(sim, 0.0)
        self.weights = _keep_top(sim.astype(np.float32), self.params.neighbours)


@dataclass(frozen=True)
class Rp3Params:
    alpha: float = 0.8
    beta: float = 0.6
    neighbours: int = 200


class Rp3BetaModel(ItemItemModel):
    """RP3beta: 3-step random walk item-item graph, popularity-penalised (Paudel et al. 2017)."""

    name = "rp3beta"
    Params = Rp3Params

    def _fit(self, x: sp.csr_matrix) -> None:
        xb = binary(x)
        user_deg = np.maximum(np.asarray(xb.sum(axis=1)).ravel(), 1)
        item_deg = np.maximum(np.asarray(xb.sum(axis=0)).ravel(), 1)
        p_ui = (sp.diags(1 / user_deg) @ xb).power(self.params.alpha)
        p_iu = (sp.diags(1 / item_deg) @ xb.T).power(self.params.alpha)
        w = (p_iu @ p_ui).toarray() / np.power(item_deg, self.params.beta)[None, :]
        np.fill_diagonal(w, 0.0)
        self.weights = _keep_top(w.astype(np.float32), self.params.neighbours)


@dataclass(frozen=True)
class EaseParams:
    l2: float = 500.0


def ease_weights(gram: np.ndarray, l2: float) -> np.ndarray:
    """EASE's closed form for a Gram matrix: ``B = I - P / diag(P)``, ``P = (G + l2 I)^-1``."""
    import torch

    g = torch.from_numpy(np.asarray(gram, dtype=np.float64))
    g += l2 * torch.eye(g.shape[0], dtype=torch.float64)
    inv = torch.linalg.inv(g)
    b = -inv / torch.diagonal(inv)
    b.fill_diagonal_(0.0)
    return b.to(torch.float32).numpy()


class EaseModel(ItemItemModel):
    """EASE^R (Steck 2019): closed-form linear autoencoder with a zero diagonal.

    Memory is ``n_items²`` floats; fine to ~30k items, beyond that restrict the catalogue.
    """

    name = "ease"
    Params = EaseParams

    def _fit(self, x: sp.csr_matrix) -> None:
        xb = binary(x)
        self.weights = ease_weights((xb.T @ xb).toarray(), self.params.l2)


@dataclass(frozen=True)
class EaseSessionsParams:
    l2: float = 400.0
    #: Input value of a rating r is ``1 + rating_weight * (r - rating_mid)``.
    rating_weight: float = 0.1
    rating_mid: float = 3.0
    #: Weight of the rating-session rows next to the user rows.
    session_weight: float = 1.25


class EaseSessionsModel(ItemItemModel):
    """EASE over users and rating sessions, with rating-weighted inputs.

    MovieLens stores each page of its rating screen with one timestamp, so the ratings one
    user stored in the same second were shown together. Those sessions are added as extra
    rows next to the user rows (weighted by ``session_weight``), so items shown together
    weigh more in the item-item weights than items merely rated by the same person. Inputs
    are rating-weighted: a 5 counts a bit more than a 1, but every rating still counts as
    seen, because the test sets ask which movies a user rates, not how highly.

    Measured on ML-100K with Microsoft Recommenders' stratified split, parameters chosen on a
    validation split carved from the training data: NDCG@10 0.493 against 0.480 for plain
    EASE (docs/model_benchmark.md). Without sessions (no timestamps) it is rating-weighted
    EASE, and ``describe()`` says so.
    """

    name = "ease_sessions"
    Params = EaseSessionsParams
    uses_sessions = True

    def _weighted(self, x: sp.csr_matrix) -> sp.csr_matrix:
        out = sp.csr_matrix(x, dtype=np.float32, copy=True)
        p = self.params
        out.data = np.maximum(1.0 + p.rating_weight * (out.data - p.rating_mid), 0.0)
        return out.astype(np.float32)

    sessions_used = False

    def _fit(self, x: sp.csr_matrix, sessions: sp.csr_matrix | None) -> None:
        rows = self._weighted(x)
        self.sessions_used = bool(sessions is not None and sessions.shape[0] > 0)
        if self.sessions_used:
            stacked = sp.vstack([rows, self._weighted(sessions) * self.params.session_weight])
            rows = stacked.tocsr()
        self.weights = ease_weights((rows.T @ rows).toarray(), self.params.l2)

    def score(self, x: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self._weighted(x[rows]) @ self.weights)

    def describe(self) -> dict:
        return {**super().describe(), "sessions_used": self.sessions_used}

    def _state(self):
        return {**super()._state(), "sessions_used": np.array(self.sessions_used)}

    def _set_state(self, state):
        self.sessions_used = bool(state.pop("sessions_used"))
        super()._set_state(state)
