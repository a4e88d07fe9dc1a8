"""Biased matrix factorisation for the explicit-rating view (RMSE/MAE), in torch."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ml import artifacts


@dataclass(frozen=True)
class BiasedMfParams:
    factors: int = 32
    l2: float = 0.05
    learning_rate: float = 0.01
    epochs: int = 60
    batch_size: int = 4096


class BiasedMf:
    """r̂(u, i) = μ + b_u + b_i + p_u·q_i (Koren, Bell & Volinsky 2009), trained with Adam."""

    name = "biased_mf"

    def __init__(self, params: BiasedMfParams = BiasedMfParams(), *, seed: int = 42):
        self.params = params
        self.seed = seed
        self.train_seconds = 0.0

    def fit(
        self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, n_items: int
    ) -> BiasedMf:
        """Fit on index arrays (all shape (n,)) into an (n_users, n_items) space."""
        import torch

        p = self.params
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        started = time.perf_counter()
        self.mu = float(ratings.mean())
        pu = torch.nn.Parameter(0.01 * torch.randn(n_users, p.factors))
        qi = torch.nn.Parameter(0.01 * torch.randn(n_items, p.factors))
        bu = torch.nn.Parameter(torch.zeros(n_users))
        bi = torch.nn.Parameter(torch.zeros(n_items))
        opt = torch.optim.Adam([pu, qi, bu, bi], lr=p.learning_rate)
        u_t, i_t = (
            torch.from_numpy(users.astype(np.int64)),
            torch.from_numpy(items.astype(np.int64)),
        )
        r_t = torch.from_numpy(ratings.astype(np.float32))
        for _ in range(p.epochs):
            order = torch.from_numpy(rng.permutation(len(users)))
            for start in range(0, len(users), p.batch_size):
                b = order[start : start + p.batch_size]
                u, i = u_t[b], i_t[b]
                pred = self.mu + bu[u] + bi[i] + (pu[u] * qi[i]).sum(1)
                reg = p.l2 * ((pu[u] ** 2).sum(1) + (qi[i] ** 2).sum(1) + bu[u] ** 2 + bi[i] ** 2)
                loss = ((pred - r_t[b]) ** 2 + reg).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
        self.pu, self.qi = pu.detach().numpy(), qi.detach().numpy()
        self.bu, self.bi = bu.detach().numpy(), bi.detach().numpy()
        self.train_seconds = time.perf_counter() - started
        return self

    def predict(self, users: np.ndarray, items: np.ndarray, *, clip=(0.5, 5.0)) -> np.ndarray:
        pred = self.mu + self.bu[users] + self.bi[items] + (self.pu[users] * self.qi[items]).sum(1)
        return np.clip(pred, *clip)

    def save(self, path: Path) -> None:
        meta = {"params": asdict(self.params), "seed": self.seed, "mu": self.mu}
        artifacts.save(path, {"pu": self.pu, "qi": self.qi, "bu": self.bu, "bi": self.bi}, meta)

    @classmethod
    def load(cls, path: Path) -> BiasedMf:
        s, meta = artifacts.load(path)
        model = cls(BiasedMfParams(**meta["params"]), seed=meta["seed"])
        model.mu = meta["mu"]
        model.pu, model.qi, model.bu, model.bi = s["pu"], s["qi"], s["bu"], s["bi"]
        return model


def rmse_mae(truth: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    err = np.asarray(pred, dtype=np.float64) - np.asarray(truth, dtype=np.float64)
    return {"rmse": float(np.sqrt(np.mean(err**2))), "mae": float(np.mean(np.abs(err)))}
