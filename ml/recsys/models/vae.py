"""Mult-VAE (Liang et al. 2018): a variational autoencoder over users' item sets, in torch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ml import device
from ml.recsys.models.base import Recommender, binary


@dataclass(frozen=True)
class VaeParams:
    hidden: int = 600
    latent: int = 200
    dropout: float = 0.5
    beta_max: float = 0.2
    anneal_steps: int = 2000
    epochs: int = 30
    batch_size: int = 256
    learning_rate: float = 1e-3


class MultVaeModel(Recommender):
    """Mult-VAE (Liang et al. 2018): a variational autoencoder over each user's item set."""

    name = "multvae"
    Params = VaeParams

    def _fit(self, x: sp.csr_matrix) -> None:
        import torch

        p = self.params
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        dev = device.torch_device() if self.use_gpu is not False else "cpu"
        self.device = dev
        n_items = x.shape[1]
        net = _vae_net(n_items, p.hidden, p.latent, p.dropout).to(dev)
        opt = torch.optim.Adam(net.parameters(), lr=p.learning_rate)
        xb = binary(x)
        step = 0
        for _ in range(p.epochs):
            net.train()
            for start in range(0, xb.shape[0], p.batch_size):
                if self.out_of_time():
                    break
                idx = rng.permutation(xb.shape[0])[start : start + p.batch_size]
                batch = torch.from_numpy(xb[idx].toarray()).to(dev)
                logits, mu, logvar = net(batch)
                nll = -(torch.log_softmax(logits, 1) * batch).sum(1).mean()
                kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).mean()
                beta = min(p.beta_max, step / max(1, p.anneal_steps))
                loss = nll + beta * kl
                opt.zero_grad()
                loss.backward()
                opt.step()
                step += 1
            if self.stopped_at_deadline:
                break
        net.eval()
        self._set_state({k: v.detach().cpu().numpy() for k, v in net.state_dict().items()})

    def _net(self):
        import torch

        if getattr(self, "_module", None) is None:
            net = _vae_net(self.n_items, self.params.hidden, self.params.latent, 0.0)
            net.load_state_dict({k: torch.from_numpy(v) for k, v in self.state.items()})
            net.eval()
            self._module = net
        return self._module

    def score(self, x: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
        import torch

        with torch.no_grad():
            batch = torch.from_numpy(binary(x[rows]).toarray())
            logits, _, _ = self._net()(batch)
        return logits.numpy()

    def affinity_vectors(self) -> np.ndarray:
        """The items' output embeddings (decoder weights)."""
        return self.state["decoder.2.weight"]

    def _state(self):
        return self.state

    def _set_state(self, state):
        self.state = {k: np.asarray(v) for k, v in state.items()}
        self._module = None


def _vae_net(n_items: int, hidden: int, latent: int, dropout: float):
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.drop = nn.Dropout(dropout)
            self.encoder = nn.Sequential(
                nn.Linear(n_items, hidden), nn.Tanh(), nn.Linear(hidden, 2 * latent)
            )
            self.decoder = nn.Sequential(
                nn.Linear(latent, hidden), nn.Tanh(), nn.Linear(hidden, n_items)
            )

        def forward(self, x):
            x = nn.functional.normalize(x, dim=1)
            h = self.encoder(self.drop(x))
            mu, logvar = h.chunk(2, dim=1)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
            return self.decoder(z), mu, logvar

    return Net()
