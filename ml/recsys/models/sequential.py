"""SASRec (Kang & McAuley 2018): next-item recommendation by causal self-attention, in torch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ml.recsys.models.base import Recommender
from ml.recsys.models.neural import (
    EarlyStopping,
    cpu_threads,
    from_numpy,
    seeded,
    to_numpy,
    torch_device,
)


@dataclass(frozen=True)
class SasRecParams:
    #: Most recent items a user's history is cut to.
    max_len: int = 50
    dim: int = 64
    blocks: int = 2
    heads: int = 1
    dropout: float = 0.2
    learning_rate: float = 3e-3
    batch_size: int = 128
    #: At most this many epochs; training stops earlier when validation NDCG@10 has not
    #: improved for ``patience`` epochs, and the best epoch's weights are kept.
    epochs: int = 30
    patience: int = 5


def user_sequences(x: sp.csr_matrix, side=None, *, seed: int = 0) -> list[np.ndarray]:
    """Each user's items in time order.

    The order comes from ``side.sessions`` (rating sessions, ordered by user then time; items
    within one session, stored in the same second, in a seeded random order). Without
    sessions the order is unknown, and every user's items are shuffled (seeded) rather than
    given the spurious order of their indices.

    Returns
    -------
    list of np.ndarray, length n_users, each of item indices (int64)
    """
    rng = np.random.default_rng(seed)
    sessions = None if side is None else side.sessions
    if sessions is None or sessions.shape[0] == 0:
        return [
            rng.permutation(x.indices[x.indptr[u] : x.indptr[u + 1]]) for u in range(x.shape[0])
        ]
    order: list[list[np.ndarray]] = [[] for _ in range(x.shape[0])]
    for s, u in enumerate(side.session_users):
        order[u].append(
            rng.permutation(sessions.indices[sessions.indptr[s] : sessions.indptr[s + 1]])
        )
    return [
        np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)
        for parts in order
    ]


def _left_pad(seqs: list[np.ndarray], length: int) -> np.ndarray:
    """Shape (len(seqs), length): the last ``length`` items + 1 of each, 0 = padding."""
    out = np.zeros((len(seqs), length), dtype=np.int64)
    for i, s in enumerate(seqs):
        tail = s[-length:]
        if len(tail):
            out[i, length - len(tail) :] = tail + 1
    return out


class SasRecModel(Recommender):
    """SASRec (Kang & McAuley 2018): causal self-attention over each user's time-ordered history.

    Item embeddings (shared between input and output) plus learned positional embeddings
    go through ``blocks`` pre-norm transformer blocks with a causal mask; the state at the
    last position scores every item (a full softmax, trained with cross-entropy on the next
    item at every position). The last item of each user's training history is held out for
    early stopping on full-catalogue NDCG@10; the best epoch's weights are kept. At scoring
    time the whole training history (held-out item included) is the input. Rows of ``x``
    at ``recommend`` must be the users it was fitted on (their histories are stored).

    Attributes
    ----------
    sequences : np.ndarray, shape (n_users, max_len), int64
        Each user's latest ``max_len`` items (index + 1), oldest first, left-padded with 0.
    state : dict of np.ndarray
        The network's weights; ``items.weight`` is (n_items + 1, dim), row 0 the padding.
    """

    name = "sasrec"
    Params = SasRecParams
    uses_side = True
    explainable = False

    def _fit(self, x: sp.csr_matrix, side) -> None:
        self.device = torch_device(self.use_gpu)
        with cpu_threads(self.device):
            self._train(x, side)

    def _train(self, x: sp.csr_matrix, side) -> None:
        import torch

        p = self.params
        rng = seeded(self.seed)
        dev = self.device
        seqs = user_sequences(x, side, seed=self.seed)
        self.ordered = bool(side is not None and side.sessions is not None)
        net = _sasrec_net(x.shape[1], p).to(dev)
        opt = torch.optim.Adam(net.parameters(), lr=p.learning_rate)
        val_users = np.array([u for u, s in enumerate(seqs) if len(s) >= 3], dtype=np.int64)
        held = np.zeros(len(seqs), dtype=bool)
        held[val_users] = True
        train_seqs = [s[:-1] if held[u] else s for u, s in enumerate(seqs)]
        chunks = _chunks(train_seqs, p.max_len + 1)
        val_inputs = _left_pad([seqs[u][:-1] for u in val_users], p.max_len)
        val_targets = np.array([seqs[u][-1] for u in val_users], dtype=np.int64)
        stop = EarlyStopping(p.patience)
        for epoch in range(p.epochs):
            net.train()
            order = rng.permutation(len(chunks))
            for start in range(0, len(chunks), p.batch_size):
                if self.out_of_time():
                    break
                batch = torch.from_numpy(chunks[order[start : start + p.batch_size]]).to(dev)
                inputs, targets = batch[:, :-1], batch[:, 1:]
                # A window's first item has no history to be predicted from: not a target.
                targets = targets.masked_fill(inputs == 0, 0)
                hidden = net(inputs)
                logits = hidden @ net.items.weight[1:].T
                loss = torch.nn.functional.cross_entropy(
                    logits.reshape(-1, logits.shape[-1]), targets.reshape(-1) - 1, ignore_index=-1
                )
                opt.zero_grad()
                loss.backward()
                opt.step()
            if self.stopped_at_deadline:
                break
            if not len(val_users):
                stop.state = to_numpy(net)
                continue
            score = _validation_ndcg(net, val_inputs, val_targets, dev)
            if stop.step(epoch, score, net):
                break
        self.state = stop.state or to_numpy(net)
        self.best_epoch, self.validation = stop.best_epoch, stop.history
        self.sequences = _left_pad(seqs, p.max_len)
        self._module = None

    def _net(self):
        if getattr(self, "_module", None) is None:
            self._module = from_numpy(_sasrec_net(self.n_items, self.params), self.state)
        return self._module

    def score(self, x: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
        if x.shape[0] != len(self.sequences):
            raise ValueError(
                f"matrix has {x.shape[0]} users; the {self.name} model stored the histories of "
                f"{len(self.sequences)}: the shape does not match"
            )
        with cpu_threads("cpu"):
            return _logits(self._net(), self.sequences[rows], "cpu")

    def affinity_vectors(self) -> np.ndarray:
        """The items' embeddings (row 0 is padding)."""
        return self.state["items.weight"][1:]

    def describe(self) -> dict:
        return {**super().describe(), "time_ordered": getattr(self, "ordered", False)}

    def _state(self):
        extra = {"sequences": self.sequences, "ordered": np.array([self.ordered])}
        return {**{f"net.{k}": v for k, v in self.state.items()}, **extra}

    def _set_state(self, state):
        self.sequences = np.asarray(state["sequences"])
        self.ordered = bool(state["ordered"][0])
        self.state = {k[4:]: np.asarray(v) for k, v in state.items() if k.startswith("net.")}
        self._module = None


def _chunks(seqs: list[np.ndarray], length: int) -> np.ndarray:
    """Every history cut into windows of ``length`` from its end, left-padded: (n, length)."""
    out = []
    for s in seqs:
        for end in range(len(s), 1, -(length - 1)):
            out.append(s[max(0, end - length) : end])
    return _left_pad(out, length) if out else np.zeros((0, length), dtype=np.int64)


def _logits(net, inputs: np.ndarray, dev: str, batch: int = 512) -> np.ndarray:
    """Scores (len(inputs), n_items) of the next item after each padded history."""
    import torch

    out = []
    with torch.no_grad():
        for start in range(0, len(inputs), batch):
            hidden = net(torch.from_numpy(inputs[start : start + batch]).to(dev))[:, -1]
            out.append((hidden @ net.items.weight[1:].T).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, net.items.weight.shape[0] - 1))


def _validation_ndcg(net, inputs: np.ndarray, targets: np.ndarray, dev: str) -> float:
    from ml.recsys.models.neural import target_ndcg

    net.eval()
    scores = _logits(net, inputs, dev)
    rows, cols = np.nonzero(inputs)
    seen = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, inputs[rows, cols] - 1)), shape=scores.shape
    )
    return target_ndcg(scores, seen, targets)


def _sasrec_net(n_items: int, p: SasRecParams):
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm1, self.norm2 = nn.LayerNorm(p.dim), nn.LayerNorm(p.dim)
            self.attention = nn.MultiheadAttention(
                p.dim, p.heads, dropout=p.dropout, batch_first=True
            )
            self.ffn = nn.Sequential(
                nn.Linear(p.dim, p.dim), nn.GELU(), nn.Dropout(p.dropout), nn.Linear(p.dim, p.dim)
            )
            self.drop = nn.Dropout(p.dropout)

        def forward(self, h, mask):
            q = self.norm1(h)
            h = h + self.drop(self.attention(q, q, q, attn_mask=mask, need_weights=False)[0])
            return h + self.drop(self.ffn(self.norm2(h)))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.items = nn.Embedding(n_items + 1, p.dim, padding_idx=0)
            self.positions = nn.Embedding(p.max_len + 1, p.dim)
            self.blocks = nn.ModuleList(Block() for _ in range(p.blocks))
            self.norm = nn.LayerNorm(p.dim)
            self.drop = nn.Dropout(p.dropout)
            nn.init.normal_(self.items.weight, std=p.dim**-0.5)

        def forward(self, seq):
            """(batch, length) item index + 1, left-padded with 0 -> (batch, length, dim)."""
            length = seq.shape[1]
            pad = seq == 0
            h = self.items(seq) * p.dim**0.5 + self.positions.weight[-length:]
            h = self.drop(h) * (~pad).unsqueeze(-1)
            causal = torch.ones(length, length, dtype=torch.bool, device=seq.device).triu(1)
            # Real positions never attend to padding; a padding position attends to itself and
            # earlier padding, so that no row of the mask is empty (an empty row gives NaN).
            mask = causal | (pad.unsqueeze(1) & ~pad.unsqueeze(2))
            mask = mask.repeat_interleave(p.heads, dim=0)
            for block in self.blocks:
                h = block(h, mask) * (~pad).unsqueeze(-1)
            return self.norm(h)

    return Net()
