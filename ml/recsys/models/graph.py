"""LightGCN (He et al. 2020): embeddings smoothed over the user-item graph, in torch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ml.recsys.models.als import FactorModel
from ml.recsys.models.base import binary
from ml.recsys.models.neural import (
    EarlyStopping,
    cpu_threads,
    holdout_one,
    seeded,
    target_ndcg,
    torch_device,
)


@dataclass(frozen=True)
class LightGcnParams:
    dim: int = 64
    layers: int = 3
    learning_rate: float = 1e-2
    #: L2 on the batch's layer-0 embeddings, per example (as the paper).
    regularization: float = 1e-4
    batch_size: int = 8192
    #: At most this many epochs; validation every ``eval_every``, stopping after
    #: ``patience`` checks without improvement (the best check's embeddings are kept).
    epochs: int = 150
    eval_every: int = 10
    patience: int = 3
    #: Add one node per genre, linked to its items: users reach items through genres too.
    genre_nodes: bool = False
    #: Add one node per director and cast member shared by two or more items (from the movie
    #: metadata, ``Interactions.item_attributes``): a knowledge-graph hop between films.
    attribute_nodes: bool = False


def normalized_adjacency(x: sp.csr_matrix, features: sp.csr_matrix | None = None) -> sp.coo_matrix:
    """``D^-1/2 A D^-1/2`` of the graph of users, items (and attribute nodes: genres, people,
    when ``features`` is given).

    Parameters
    ----------
    x : scipy.sparse.csr_matrix, shape (n_users, n_items)
    features : scipy.sparse.csr_matrix, shape (n_items, n_attributes), optional

    Returns
    -------
    scipy.sparse.coo_matrix, shape (n, n) with n = n_users + n_items (+ n_attributes)
        Node order: users, then items, then attributes.
    """
    r = binary(x)
    blocks = [[None, r], [r.T, None]]
    if features is not None:
        g = binary(features)
        blocks = [[None, r, None], [r.T, None, g], [None, g.T, None]]
    a = sp.bmat(blocks, format="csr", dtype=np.float32)
    deg = np.asarray(a.sum(axis=1)).ravel()
    inv = np.where(deg > 0, deg, 1.0) ** -0.5
    return (sp.diags(inv) @ a @ sp.diags(inv)).tocoo().astype(np.float32)


class LightGcnModel(FactorModel):
    """LightGCN (He et al. 2020): user and item embeddings averaged over graph convolutions.

    Layer-0 embeddings are propagated ``layers`` times over the normalised user-item graph
    (optionally with genre nodes) and averaged; a user's score for an item is the dot product
    of the results. Trained with BPR (one uniformly sampled negative per observed pair); one
    random item per user is held out for early stopping on full-catalogue NDCG@10. The final
    embeddings are propagated over the full graph, held-out pairs included.

    Attributes
    ----------
    user_factors : np.ndarray, shape (n_users, dim), float32
    item_factors : np.ndarray, shape (n_items, dim), float32
        The propagated embeddings; scores are ``user_factors @ item_factors.T``.
    """

    name = "lightgcn"
    Params = LightGcnParams
    uses_side = True
    genres_used = False
    attributes_used = 0

    def _attribute_nodes(self, side) -> sp.csr_matrix | None:
        """The item x attribute links the params ask for and ``side`` has (None: none)."""
        p, blocks = self.params, []
        genres = None if side is None else side.item_features
        self.genres_used = bool(p.genre_nodes and genres is not None and genres.shape[1])
        if self.genres_used:
            blocks.append(genres)
        people = None if side is None else getattr(side, "item_attributes", None)
        if p.attribute_nodes and people is not None and people.shape[1]:
            blocks.append(people)
            self.attributes_used = int(people.shape[1])
        return sp.hstack(blocks, format="csr", dtype=np.float32) if blocks else None

    def _fit(self, x: sp.csr_matrix, side) -> None:
        self.device = torch_device(self.use_gpu)
        with cpu_threads(self.device):
            self._train(x, side)

    def _train(self, x: sp.csr_matrix, side) -> None:
        import torch

        p = self.params
        rng = seeded(self.seed)
        dev = self.device
        features = self._attribute_nodes(side)
        n_users, n_items = x.shape
        train, targets = holdout_one(x, self.seed)
        val_users = np.flatnonzero(targets >= 0)
        n_nodes = n_users + n_items + (features.shape[1] if features is not None else 0)
        net = _embeddings(n_nodes, p.dim).to(dev)
        opt = torch.optim.Adam(net.parameters(), lr=p.learning_rate)
        adj = _torch_sparse(normalized_adjacency(train, features), dev)
        users, items = train.nonzero()
        seen = set(zip(users.tolist(), items.tolist()))
        stop = EarlyStopping(p.patience)
        for epoch in range(p.epochs):
            order = rng.permutation(len(users))
            negatives = rng.integers(n_items, size=len(users))
            # One resample for negatives that were seen: most become true negatives.
            clash = np.fromiter(
                ((u, j) in seen for u, j in zip(users.tolist(), negatives.tolist())), bool
            )
            negatives[clash] = rng.integers(n_items, size=int(clash.sum()))
            for start in range(0, len(order), p.batch_size):
                if self.out_of_time():
                    break
                b = order[start : start + p.batch_size]
                u = torch.from_numpy(users[b]).to(dev)
                i = torch.from_numpy(n_users + items[b]).to(dev)
                j = torch.from_numpy(n_users + negatives[b]).to(dev)
                final = _propagate(net.weight, adj, p.layers)
                pos = (final[u] * final[i]).sum(1)
                neg = (final[u] * final[j]).sum(1)
                ego = net.weight
                reg = (ego[u].pow(2) + ego[i].pow(2) + ego[j].pow(2)).sum() / (2 * len(b))
                loss = -torch.nn.functional.logsigmoid(pos - neg).mean() + p.regularization * reg
                opt.zero_grad()
                loss.backward()
                opt.step()
            if self.stopped_at_deadline:
                break
            last = epoch == p.epochs - 1
            if ((epoch + 1) % p.eval_every and not last) or not len(val_users):
                continue
            with torch.no_grad():
                final = _propagate(net.weight, adj, p.layers).cpu().numpy()
            scores = final[val_users] @ final[n_users : n_users + n_items].T
            if stop.step(epoch, target_ndcg(scores, train[val_users], targets[val_users]), net):
                break
        if stop.state:
            net.load_state_dict({k: torch.from_numpy(v) for k, v in stop.state.items()})
        self.best_epoch, self.validation = stop.best_epoch, stop.history
        full = _torch_sparse(normalized_adjacency(x, features), dev)
        with torch.no_grad():
            final = _propagate(net.weight, full, p.layers).cpu().numpy()
        self.user_factors = np.ascontiguousarray(final[:n_users], dtype=np.float32)
        self.item_factors = np.ascontiguousarray(final[n_users : n_users + n_items], np.float32)

    def describe(self) -> dict:
        used = {"genres_used": self.genres_used, "attributes_used": self.attributes_used}
        return {**super().describe(), **used}

    def _state(self):
        used = np.array([int(self.genres_used), self.attributes_used])
        return {**super()._state(), "side_used": used}

    def _set_state(self, state):
        used = state.pop("side_used", None)
        if used is None:  # saved before attribute nodes: one flag
            used = [int(state.pop("genres_used", [False])[0]), 0]
        self.genres_used, self.attributes_used = bool(used[0]), int(used[1])
        super()._set_state(state)


def _embeddings(n: int, dim: int):
    import torch
    from torch import nn

    module = nn.Embedding(n, dim)
    nn.init.normal_(module.weight, std=0.1)
    return module.to(torch.float32)


def _torch_sparse(a: sp.coo_matrix, dev: str):
    import torch

    index = torch.from_numpy(np.vstack([a.row, a.col]).astype(np.int64))
    values = torch.from_numpy(a.data)
    tensor = torch.sparse_coo_tensor(index, values, a.shape, check_invariants=True)
    return tensor.coalesce().to(dev)


def _propagate(ego, adj, layers: int):
    """Mean of the embeddings after 0..layers convolutions: (n_nodes, dim)."""
    import torch

    out, h = ego, ego
    for _ in range(layers):
        h = torch.sparse.mm(adj, h)
        out = out + h
    return out / (layers + 1)
