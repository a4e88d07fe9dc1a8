"""What the torch models share: device choice, state as numpy arrays, the validation carve
and early stopping on full-catalogue NDCG@10."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ml import device


def torch_device(use_gpu: bool | None) -> str:
    """``"cuda"`` when a GPU is there and ``use_gpu`` is not False, else ``"cpu"``."""
    return device.torch_device() if use_gpu is not False else "cpu"


def seeded(seed: int):
    """Seed torch's global generator (dropout, initialisation) and return a numpy one."""
    import torch

    torch.manual_seed(seed)
    return np.random.default_rng(seed)


@contextlib.contextmanager
def cpu_threads(dev: str, threads: int = 1):
    """Train on ``threads`` torch threads when on the CPU, restoring the setting afterwards.

    These models' tensors are small (about 10^5-10^6 floats per operation), so extra threads
    gain little on an idle machine and cost a lot on a busy one: with two cores shared by
    other processes, one thread trained SASRec 5x faster than two spinning for a core.
    """
    import torch

    before = torch.get_num_threads()
    if dev == "cpu":
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def to_numpy(module) -> dict[str, np.ndarray]:
    """A module's ``state_dict`` as CPU numpy arrays (what ``artifacts.save`` writes)."""
    return {k: v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}


def from_numpy(module, state: dict[str, np.ndarray]):
    """Load numpy arrays saved by ``to_numpy`` into ``module``; returns it in eval mode."""
    import torch

    module.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in state.items()})
    return module.eval()


def holdout_one(
    x: sp.csr_matrix, seed: int, *, min_items: int = 3
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Carve a validation set from training data: one random item per user.

    Parameters
    ----------
    x : scipy.sparse.csr_matrix, shape (n_users, n_items)
    seed : int
    min_items : int
        Users with fewer items keep them all (their target is -1).

    Returns
    -------
    train : scipy.sparse.csr_matrix, shape (n_users, n_items)
        ``x`` without the held-out items.
    targets : np.ndarray, shape (n_users,), int64
        The held-out item of each user, -1 for none.
    """
    rng = np.random.default_rng(seed)
    x = sp.csr_matrix(x, copy=True)
    counts = np.diff(x.indptr)
    targets = np.full(x.shape[0], -1, dtype=np.int64)
    drop = np.zeros(x.nnz, dtype=bool)
    for u in np.flatnonzero(counts >= min_items):
        pos = x.indptr[u] + rng.integers(counts[u])
        targets[u], drop[pos] = x.indices[pos], True
    x.data[drop] = 0
    x.eliminate_zeros()
    return x, targets


def target_ndcg(scores: np.ndarray, seen: sp.csr_matrix, targets: np.ndarray, k: int = 10) -> float:
    """NDCG@k of one held-out item per row, ranked against the full catalogue.

    Parameters
    ----------
    scores : np.ndarray, shape (n_rows, n_items)
        Modified in place: seen items set to -inf.
    seen : scipy.sparse.csr_matrix, shape (n_rows, n_items)
    targets : np.ndarray, shape (n_rows,)
        One item per row (every row must have one).
    """
    rows = np.repeat(np.arange(len(scores)), np.diff(seen.indptr))
    scores[rows, seen.indices] = -np.inf
    target = scores[np.arange(len(scores)), targets]
    rank = (scores > target[:, None]).sum(axis=1)
    return float(np.mean(np.where(rank < k, 1.0 / np.log2(rank + 2.0), 0.0)))


@dataclass
class EarlyStopping:
    """Keeps the best state by a validation score; stops after ``patience`` checks in a row
    without improvement."""

    patience: int
    best: float = -np.inf
    best_epoch: int = -1
    state: dict = field(default_factory=dict)
    history: list[float] = field(default_factory=list)
    worse: int = 0

    def step(self, epoch: int, score: float, module) -> bool:
        """Record ``score`` of ``epoch``; returns True when training should stop."""
        self.history.append(float(score))
        if score > self.best:
            self.best, self.best_epoch, self.state = float(score), epoch, to_numpy(module)
            self.worse = 0
        else:
            self.worse += 1
        return self.worse >= self.patience
