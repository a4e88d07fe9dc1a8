"""all-MiniLM-L6-v2 fine-tuned as a sentence classifier (mean pooling + linear head).

Runs on the GPU when torch sees one (``ml.device``), else on the CPU. Every weight of the
encoder is trained with AdamW (linear warm-up and decay), dropout 0.1
before the head, batches padded only to their longest text (``max_length`` 64 tokens: a
Rotten Tomatoes sentence averages 27), and the epoch with the best accuracy on a held-out
validation slice is kept (early stopping). Texts longer than one sentence are split into
sentences; each is scored and the text gets the mean and the mean of its last sentences
(review verdicts come at the end), so a long review is read to its end, not cut at 64 tokens.
Training does the same: a long text contributes its last sentences, each with its label.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ml.text.sentences import split_sentences

SHORT_WORDS = 40


@dataclass(frozen=True)
class FinetuneParams:
    """Training setup; the defaults are the ones measured in docs/sentiment_model_card.md."""

    epochs: int = 3
    lr: float = 5e-5
    batch_size: int = 32
    max_length: int = 64
    warmup: float = 0.06
    last_sentences: int = 5


@dataclass
class Finetuned:
    """Fine-tuned encoder weights (``state``, the encoder's ``state_dict`` as arrays) + head."""

    state: dict[str, np.ndarray]
    head_weight: np.ndarray
    head_bias: np.ndarray
    params: FinetuneParams = field(default_factory=FinetuneParams)
    history: list = field(default_factory=list)
    _memo: dict = field(default_factory=dict, repr=False, compare=False)

    def sentence_scores(self, sentences: Sequence[str]) -> np.ndarray:
        """Logit of positive minus negative for each sentence, shape ``(n,)``."""
        return _predict(self.network, _tokenize(sentences, self.params.max_length))

    @functools.cached_property
    def network(self):
        """The torch module (built once from the arrays; inference only, GPU when present)."""
        from ml.device import torch_device

        net = _classifier().build(self.state, self.head_weight, self.head_bias)
        return net.to(torch_device())

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        """Per text: mean sentence score and mean over its last sentences, shape ``(n, 2)``."""
        return self.features(texts)[:, :2]

    def features(self, texts: Sequence[str]) -> np.ndarray:
        """Per text, over its sentence scores: the mean, the mean of the last
        ``params.last_sentences``, the share scored positive and the mean of the first
        ``params.last_sentences``; shape ``(n, 4)``. Texts seen before are not re-scored
        (cross-validation folds share one transfer model)."""
        todo = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if todo:
            sentences = [_pieces(t) for t in todo]
            z = self.sentence_scores([s for group in sentences for s in group])
            ends = np.cumsum([len(group) for group in sentences])
            k = self.params.last_sentences
            for text, zi in zip(todo, np.split(z, ends[:-1])):
                self._memo[text] = (zi.mean(), zi[-k:].mean(), (zi > 0).mean(), zi[:k].mean())
        return np.array([self._memo[t] for t in texts]).reshape(len(texts), 4)


def _pieces(text: str) -> list[str]:
    # Lines are kept whole when short: tokenised corpora put one sentence per line, and
    # Rotten Tomatoes' "j . r . r . tolkien" must not be cut at its dots. Long lines
    # (paragraphs) are split after . ! ?
    pieces = []
    for line in text.splitlines():
        if len(line.split()) > SHORT_WORDS:
            pieces += split_sentences(line)
        elif line.strip():
            pieces.append(line.strip())
    return pieces or [text]


def finetune(
    texts: Sequence[str],
    labels: Sequence[int],
    val_texts: Sequence[str],
    val_labels: Sequence[int],
    *,
    seed: int,
    params: FinetuneParams = FinetuneParams(),
) -> Finetuned:
    """Fine-tune on ``texts``; keep the epoch with the best accuracy on the validation texts.

    A text longer than one sentence contributes its last ``params.last_sentences`` sentences,
    each labelled with the text's label (to both the training and the validation set).
    """
    import torch

    from ml.device import torch_device
    from ml.text.minilm import load_encoder

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    dev = torch_device()
    _, encoder = load_encoder()
    # A copy: the cached encoder stays frozen for embeddings.
    net = _classifier()(copy.deepcopy(encoder)).to(dev)
    texts, y = _last_pieces(texts, labels, params.last_sentences)
    val_texts, val_y = _last_pieces(val_texts, val_labels, params.last_sentences)
    ids, val_ids = _tokenize(texts, params.max_length), _tokenize(val_texts, params.max_length)
    optim = torch.optim.AdamW(net.parameters(), lr=params.lr, weight_decay=0.01)
    steps = params.epochs * -(-len(ids) // params.batch_size)
    warm = max(1.0, params.warmup * steps)
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / steps)
    )
    best, history = None, []
    for epoch in range(params.epochs):
        net.train()
        for rows in _shuffled_batches(ids, params.batch_size, rng):
            x, mask = (t.to(dev) for t in _pad([ids[i] for i in rows]))
            target = torch.from_numpy(y[rows]).to(dev)
            loss = torch.nn.functional.cross_entropy(net(x, mask), target)
            optim.zero_grad()
            loss.backward()
            optim.step()
            sched.step()
        accuracy = float(((_predict(net, val_ids) > 0) == val_y).mean())
        history.append({"epoch": epoch + 1, "val_accuracy": accuracy})
        if best is None or accuracy > best[0]:
            best = (accuracy, {k: v.detach().cpu().clone() for k, v in net.state_dict().items()})
    net.load_state_dict(best[1])
    state = {k: v.detach().cpu().numpy().copy() for k, v in net.encoder.state_dict().items()}
    head = net.head
    return Finetuned(
        state,
        head.weight.detach().cpu().numpy().copy(),
        head.bias.detach().cpu().numpy().copy(),
        params,
        history,
    )


def _last_pieces(texts, labels, k: int) -> tuple[list[str], np.ndarray]:
    pieces = [_pieces(t)[-k:] for t in texts]
    flat = [p for group in pieces for p in group]
    return flat, np.repeat(np.asarray(labels, dtype=np.int64), [len(g) for g in pieces])


def _tokenize(texts: Sequence[str], max_length: int) -> list[list[int]]:
    from ml.text.minilm import load_encoder

    tokenizer, _ = load_encoder()
    return tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]


def _shuffled_batches(ids: list[list[int]], size: int, rng: np.random.Generator):
    # Shuffle, then sort by length inside windows of 50 batches: little padding, random order.
    order = rng.permutation(len(ids))
    span = size * 50
    order = np.concatenate(
        [sorted(order[i : i + span], key=lambda j: len(ids[j])) for i in range(0, len(order), span)]
    )
    batches = [order[i : i + size] for i in range(0, len(order), size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _pad(seqs: list[list[int]]):
    import torch

    x = torch.zeros((len(seqs), max(len(s) for s in seqs)), dtype=torch.long)
    mask = torch.zeros_like(x)
    for row, seq in enumerate(seqs):
        x[row, : len(seq)], mask[row, : len(seq)] = torch.tensor(seq), 1
    return x, mask


def _predict(net, ids: list[list[int]], batch_size: int = 128) -> np.ndarray:
    import torch

    net.eval()
    dev = next(net.parameters()).device
    out = np.zeros(len(ids))
    order = np.argsort([len(s) for s in ids], kind="stable")
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            logits = net(*(t.to(dev) for t in _pad([ids[i] for i in rows])))
            out[rows] = (logits[:, 1] - logits[:, 0]).float().cpu().numpy()
    return out


@functools.lru_cache(maxsize=1)
def _classifier():
    import torch

    class Classifier(torch.nn.Module):
        def __init__(self, encoder):
            super().__init__()
            self.encoder = encoder
            self.head = torch.nn.Linear(encoder.config.hidden_size, 2)
            self.dropout = torch.nn.Dropout(0.1)

        def forward(self, x, mask):
            hidden = self.encoder(input_ids=x, attention_mask=mask).last_hidden_state
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return self.head(self.dropout(pooled))

        @classmethod
        def build(cls, state, head_weight, head_bias):
            from ml.text.minilm import load_encoder

            net = cls(copy.deepcopy(load_encoder()[1]))
            net.encoder.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
            net.head.weight.data = torch.from_numpy(head_weight)
            net.head.bias.data = torch.from_numpy(head_bias)
            return net

    return Classifier
