"""Neighbourhood and linear item-item models: popularity, ItemKNN, RP3beta and EASE."""

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


class EaseModel(ItemItemModel):
    """EASE^R (Steck 2019): closed-form linear autoencoder with a zero diagonal.

    Memory is ``n_items²`` floats; fine to ~30k items, beyond that restrict the catalogue.
    """

    name = "ease"
    Params = EaseParams

    def _fit(self, x: sp.csr_matrix) -> None:
        import torch

        xb = binary(x)
        gram = torch.from_numpy((xb.T @ xb).toarray().astype(np.float64))
        gram += self.params.l2 * torch.eye(gram.shape[0], dtype=torch.float64)
        inv = torch.linalg.inv(gram)
        b = -inv / torch.diagonal(inv)
        b.fill_diagonal_(0.0)
        self.weights = b.to(torch.float32).numpy()
