"""Neighbourhood and linear item-item models: popularity, ItemKNN, RP3beta, EASE and EASE
over rating sessions."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from ml.recsys.models.als import AlsModel, AlsParams
from ml.recsys.models.base import Recommender, binary, mask_padding


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


class ModelTooLarge(MemoryError):
    """A dense item-item model whose matrices would not fit in this machine's memory."""


def available_memory() -> int:
    """Bytes of memory available now (Linux ``MemAvailable``; else all physical memory)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


class ItemItemModel(Recommender):
    """Scores ``x_binary @ W`` with a learned item-item matrix ``W`` (n_items, n_items).

    Training builds dense ``n_items²`` matrices, ``bytes_per_pair`` bytes per item pair at
    its peak: ``fit`` refuses (``ModelTooLarge``) a catalogue whose peak would pass the
    memory available, rather than swap or be killed half-way through a run.
    """

    weights: sp.csr_matrix | np.ndarray
    bytes_per_pair: ClassVar[int] = 22  # ItemKNN: measured 20.1 at 6,000 items

    def fit(self, x: sp.csr_matrix, **kwargs) -> Recommender:
        n_items = x.shape[1]
        need, have = self.bytes_per_pair * n_items**2, available_memory()
        if need > have:
            raise ModelTooLarge(
                f"{self.name} needs about {need / 2**30:.1f} GiB for {n_items:,} items (dense "
                f"item x item matrices), more than the {have / 2**30:.1f} GiB available: use "
                "als or bpr, whose memory grows with users + items, or fewer items"
            )
        return super().fit(x, **kwargs)

    def score(self, x: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
        out = binary(x[rows]) @ self.weights
        return out.toarray() if sp.issparse(out) else np.asarray(out)

    def item_affinity(self, targets: np.ndarray, sources: np.ndarray) -> np.ndarray:
        """``W[source, target]``: exactly what the source adds to the target's score."""
        block = self.weights[sources][:, targets]
        block = block.toarray() if sp.issparse(block) else block
        return np.asarray(block, dtype=np.float32).T

    def affinity_batches(self):
        """Dense ``W``: one gather ``W[source, target]`` for every user of a batch."""
        if sp.issparse(self.weights):
            return super().affinity_batches()
        weights = self.weights

        def gather(targets: np.ndarray, sources: np.ndarray) -> np.ndarray:
            sims = weights[np.maximum(sources, 0)[:, None, :], np.maximum(targets, 0)[:, :, None]]
            return mask_padding(sims, targets, sources)

        return gather

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
    bytes_per_pair = 17  # measured 16.2 at 6,000 items

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

    Memory is ``n_items²`` floats (``bytes_per_pair``): 59k items (ML-25M) need about 110 GiB
    at the peak, so ``fit`` refuses them on a smaller machine.
    """

    name = "ease"
    Params = EaseParams
    bytes_per_pair = 34  # measured 32.9 at 6,000 items: float32 Gram, float64 copy, inverse, B

    def _fit(self, x: sp.csr_matrix) -> None:
        xb = binary(x)
        self.weights = ease_weights((xb.T @ xb).toarray(), self.params.l2)


@dataclass(frozen=True)
class EaseSessionsParams:
    l2: float = 550.0
    #: Input value of a rating r is ``1 + rating_weight * (r - rating_mid)``.
    rating_weight: float = 0.1
    rating_mid: float = 3.0
    #: Weight of the rating-session rows next to the user rows.
    session_weight: float = 1.0
    #: Weight of rows joining each session with the same user's next session.
    adjacent_weight: float = 0.6
    #: Weight of the genre columns (the row's genre mix) next to the item columns.
    genre_weight: float = 0.2
    #: Each item's column of the weights is divided by (its number of raters) ** this.
    popularity_penalty: float = 0.15
    #: Share of implicit ALS in the scores: ``(1 - w) z(EASE) + w z(ALS)``, both z-scored
    #: per user; 0 leaves ALS out.
    als_weight: float = 0.2
    als_factors: int = 32


class EaseSessionsModel(ItemItemModel):
    """EASE over users and rating sessions, with rating-weighted inputs and genre columns.

    MovieLens stores each page of its rating screen with one timestamp, so the ratings one
    user stored in the same second were shown together. Those sessions are added as extra
    rows next to the user rows (weighted by ``session_weight``), and so are pairs of a user's
    consecutive sessions (``adjacent_weight``): items shown together weigh more in the
    item-item weights than items merely rated by the same person. Every row also carries its
    genre mix as extra columns (``genre_weight``), so a user's taste in genres speaks for
    items that co-occur too rarely to be learned one by one. Inputs are rating-weighted: a 5
    counts a bit more than a 1, but every rating still counts as seen, because the test sets
    ask which movies a user rates, not how highly.

    The genre columns fold into the item-item matrix after fitting
    (``W = B_items + genre_weight * F @ B_genres``), and so does the popularity penalty
    (column ``j`` of ``W`` divided by ``raters_j ** popularity_penalty``, which evens out the
    linear model's pull towards the most-rated items, as RP3beta's beta does), so scoring,
    explanations and the saved state are those of any item-item model. With ``als_weight``
    the item-item scores are blended with implicit ALS's (a latent-factor view that the
    linear model lacks); explanations still come from the item-item part, which carries
    most of the score. Parameters: the configuration ``tune`` selects over 3 validation
    splits of ML-100K's training part (docs/model_benchmark.md). Without timestamps or
    genres the model drops those rows or columns, and ``describe()`` says what it used.
    """

    name = "ease_sessions"
    Params = EaseSessionsParams
    uses_side = True
    bytes_per_pair = 34  # as EASE, over items + genre columns
    sessions_used = False
    genres_used = False

    def _weighted(self, x: sp.csr_matrix) -> sp.csr_matrix:
        out = sp.csr_matrix(x, dtype=np.float32, copy=True)
        p = self.params
        out.data = np.maximum(1.0 + p.rating_weight * (out.data - p.rating_mid), 0.0)
        return out.astype(np.float32)

    def _rows(self, x: sp.csr_matrix, side) -> sp.csr_matrix:
        """User rows, session rows and consecutive-session rows, stacked."""
        p = self.params
        blocks = [self._weighted(x)]
        sessions = None if side is None else side.sessions
        self.sessions_used = sessions is not None and sessions.shape[0] > 0
        if self.sessions_used:
            weighted = self._weighted(sessions)
            blocks.append(weighted * p.session_weight)
            same_user = np.flatnonzero(side.session_users[1:] == side.session_users[:-1])
            if p.adjacent_weight and len(same_user):
                blocks.append((weighted[same_user] + weighted[same_user + 1]) * p.adjacent_weight)
        return sp.vstack(blocks).tocsr()

    def _fit(self, x: sp.csr_matrix, side) -> None:
        rows = self._rows(x, side)
        features = None if side is None else side.item_features
        self.genres_used = bool(
            features is not None and features.shape[1] > 0 and self.params.genre_weight
        )
        if not self.genres_used:
            weights = ease_weights((rows.T @ rows).toarray(), self.params.l2)
        else:
            features = sp.csr_matrix(features, dtype=np.float32)
            wide = sp.hstack([rows, (rows @ features) * self.params.genre_weight]).tocsr()
            b = ease_weights((wide.T @ wide).toarray(), self.params.l2)
            n = x.shape[1]
            weights = b[:n, :n] + self.params.genre_weight * (features @ b[n:, :n])
        raters = np.maximum(np.asarray((x > 0).sum(axis=0), dtype=np.float64).ravel(), 1.0)
        penalty = raters**-self.params.popularity_penalty
        self.weights = np.asarray(weights * penalty[None, :], dtype=np.float32)
        self.user_factors = self.item_factors = np.zeros((0, 0), dtype=np.float32)
        if self.params.als_weight:
            als = AlsModel(
                AlsParams(factors=self.params.als_factors), seed=self.seed, use_gpu=self.use_gpu
            ).fit(x)
            self.user_factors, self.item_factors = als.user_factors, als.item_factors
            self.device = als.device

    def score(self, x: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
        linear = np.asarray(self._weighted(x[rows]) @ self.weights)
        w = self.params.als_weight
        if not w or self.item_factors.size == 0:  # no ALS part (or saved before it existed)
            return linear
        if x.shape[0] != len(self.user_factors):
            raise ValueError(
                f"matrix has {x.shape[0]} users; the ALS part of {self.name} knows "
                f"{len(self.user_factors)}: the shape does not match"
            )
        factors = self.user_factors[rows] @ self.item_factors.T
        return (1 - w) * _zscore(linear) + w * _zscore(factors)

    def describe(self) -> dict:
        used = {"sessions_used": self.sessions_used, "genres_used": self.genres_used}
        return {**super().describe(), **used}

    def _state(self):
        used = np.array([self.sessions_used, self.genres_used])
        factors = {"user_factors": self.user_factors, "item_factors": self.item_factors}
        return {**super()._state(), "side_used": used, **factors}

    def _set_state(self, state):
        self.sessions_used, self.genres_used = (bool(v) for v in state.pop("side_used"))
        empty = np.zeros((0, 0), dtype=np.float32)
        self.user_factors = state.pop("user_factors", empty)
        self.item_factors = state.pop("item_factors", empty)
        super()._set_state(state)


def _zscore(scores: np.ndarray) -> np.ndarray:
    """Each row centred and scaled to unit spread (scores of different models made comparable)."""
    scores = np.asarray(scores, dtype=np.float32)
    spread = scores.std(axis=1, keepdims=True) + 1e-9
    return (scores - scores.mean(axis=1, keepdims=True)) / spread
