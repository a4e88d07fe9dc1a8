"""NeuMF (He et al. 2017): generalised matrix factorisation and an MLP side by side, in torch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ml.recsys.models.base import Recommender, binary
from ml.recsys.models.neural import (
    EarlyStopping,
    cpu_threads,
    from_numpy,
    holdout_one,
    seeded,
    target_ndcg,
    to_numpy,
    torch_device,
)


@dataclass(frozen=True)
class NeuMfParams:
    #: Size of the GMF embeddings; the MLP's embeddings are ``mlp[0] // 2`` each.
    factors: int = 32
    mlp: tuple[int, ...] = (64, 32, 16)
    negatives: int = 4
    learning_rate: float = 3e-3
    batch_size: int = 4096
    #: At most this many epochs; validation every epoch, stopping after ``patience`` epochs
    #: without improvement (the best epoch's weights are kept).
    epochs: int = 30
    patience: int = 3

    def __post_init__(self):
        # JSON (saved parameters, --params) gives a list; the dataclass is frozen and hashed.
        object.__setattr__(self, "mlp", tuple(self.mlp))


class NeuMfModel(Recommender):
    """NeuMF (He et al. 2017): GMF and an MLP over user and item embeddings, fused linearly.

    Trained as binary classification of observed pairs against ``negatives`` uniformly
    sampled items per pair (as the paper); one random item per user is held out for early
    stopping on full-catalogue NDCG@10, and scoring ranks the full catalogue. Published
    reproductions (Rendle et al. 2020) find a well-tuned dot-product MF ahead of it.

    Attributes
    ----------
    state : dict of np.ndarray
        The network's weights: ``gmf_users.weight`` (n_users, factors), ``gmf_items.weight``
        (n_items, factors), ``mlp_users.weight`` / ``mlp_items.weight`` (n, mlp[0] // 2), the
        MLP's layers and ``out`` (1, factors + mlp[-1]).
    """

    name = "neumf"
    Params = NeuMfParams
    explainable = False

    def _fit(self, x: sp.csr_matrix) -> None:
        self.device = torch_device(self.use_gpu)
        with cpu_threads(self.device):
            self._train(x)

    def _train(self, x: sp.csr_matrix) -> None:
        import torch

        p = self.params
        rng = seeded(self.seed)
        dev = self.device
        n_users, n_items = x.shape
        train, targets = holdout_one(x, self.seed)
        val_users = np.flatnonzero(targets >= 0)
        net = _neumf_net(n_users, n_items, p).to(dev)
        opt = torch.optim.Adam(net.parameters(), lr=p.learning_rate)
        users, items = binary(train).nonzero()
        stop = EarlyStopping(p.patience)
        for epoch in range(p.epochs):
            net.train()
            n_neg = len(users) * p.negatives
            u_all = np.concatenate([users, np.repeat(users, p.negatives)])
            i_all = np.concatenate([items, rng.integers(n_items, size=n_neg)])
            y_all = np.concatenate([np.ones(len(users)), np.zeros(n_neg)]).astype(np.float32)
            order = rng.permutation(len(u_all))
            for start in range(0, len(order), p.batch_size):
                if self.out_of_time():
                    break
                b = order[start : start + p.batch_size]
                logits = net(torch.from_numpy(u_all[b]).to(dev), torch.from_numpy(i_all[b]).to(dev))
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    logits, torch.from_numpy(y_all[b]).to(dev)
                )
                opt.zero_grad()
                loss.backward()
                opt.step()
            if self.stopped_at_deadline:
                break
            if not len(val_users):
                continue
            net.eval()
            scores = _all_items(net, val_users, n_items, dev)
            if stop.step(epoch, target_ndcg(scores, train[val_users], targets[val_users]), net):
                break
        self.state = stop.state or to_numpy(net)
        self.best_epoch, self.validation = stop.best_epoch, stop.history
        self._module = None

    def _net(self):
        if getattr(self, "_module", None) is None:
            n_users = self.state["gmf_users.weight"].shape[0]
            net = _neumf_net(n_users, self.n_items, self.params)
            self._module = from_numpy(net, self.state)
        return self._module

    def score(self, x: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
        known = self.state["gmf_users.weight"].shape[0]
        if x.shape[0] != known:
            raise ValueError(
                f"matrix has {x.shape[0]} users; the {self.name} model knows {known}: "
                "the shape does not match"
            )
        with cpu_threads("cpu"):
            return _all_items(self._net(), np.asarray(rows), self.n_items, "cpu")

    def affinity_vectors(self) -> np.ndarray:
        """The items' GMF and MLP embeddings, side by side."""
        return np.hstack([self.state["gmf_items.weight"], self.state["mlp_items.weight"]])

    def _state(self):
        return self.state

    def _set_state(self, state):
        self.state = {k: np.asarray(v) for k, v in state.items()}
        self._module = None


def _all_items(net, users: np.ndarray, n_items: int, dev: str, block: int = 64) -> np.ndarray:
    """Scores (len(users), n_items), ``block`` users at a time (the MLP sees every pair)."""
    import torch

    out = np.empty((len(users), n_items), dtype=np.float32)
    items = torch.arange(n_items, device=dev)
    with torch.no_grad():
        for start in range(0, len(users), block):
            u = torch.from_numpy(users[start : start + block]).to(dev)
            uu = u.repeat_interleave(n_items)
            logits = net(uu, items.repeat(len(u)))
            out[start : start + len(u)] = logits.reshape(len(u), n_items).cpu().numpy()
    return out


def _neumf_net(n_users: int, n_items: int, p: NeuMfParams):
    import torch
    from torch import nn

    half = p.mlp[0] // 2

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.gmf_users, self.gmf_items = (
                nn.Embedding(n_users, p.factors),
                nn.Embedding(n_items, p.factors),
            )
            self.mlp_users, self.mlp_items = (
                nn.Embedding(n_users, half),
                nn.Embedding(n_items, half),
            )
            layers = []
            for a, b in zip(p.mlp[:-1], p.mlp[1:]):
                layers += [nn.Linear(a, b), nn.ReLU()]
            self.mlp = nn.Sequential(*layers)
            self.out = nn.Linear(p.factors + p.mlp[-1], 1)
            for emb in (self.gmf_users, self.gmf_items, self.mlp_users, self.mlp_items):
                nn.init.normal_(emb.weight, std=0.01)

        def forward(self, u, i):
            """(batch,) user and item indices -> (batch,) logits."""
            gmf = self.gmf_users(u) * self.gmf_items(i)
            mlp = self.mlp(torch.cat([self.mlp_users(u), self.mlp_items(i)], dim=1))
            return self.out(torch.cat([gmf, mlp], dim=1)).squeeze(1)

    return Net()
