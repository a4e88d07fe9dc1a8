"""A CLIP-style head trained here: MiniLM text embeddings -> the CNN's pooled-feature space.

Training pairs are (class wording, class prototype) for the 1000 ImageNet classes: the text is
the MiniLM vector of a class's lemmas or of its lemmas with the WordNet gloss
(:func:`ml.vision.vocabulary.class_text_vectors`, two texts per class); the prototype is the
class's row of the CNN classifier's weight matrix, which lives in the pooled-feature space
(a frame's logit for the class is that row times its features). Rows are centred (the mean
row adds the same amount to every logit of a frame, so it carries no class information) and
L2-normalised.

The head is one linear map ``384 -> 1280``, trained with the InfoNCE loss of CLIP in the
text -> image direction: each text must pick its own class's prototype among the batch's
classes, logits = ``exp(logit_scale) * cos(head(text), prototype)`` with a learnt scale.
A share of the classes (seeded) is held out: the loss on them is the validation curve, and
its lowest point sets the number of epochs for the final fit on every class. Both curves are
kept in :attr:`TextImageHead.history`.

A query then becomes a unit vector in the pooled-feature space, compared by dot product with
the frames' own (unit) feature vectors: the same vectors the vibe index stores. Runs on the
GPU when there is one (``ml.device``), seeded; the result is a plain matrix, so using the
head needs numpy only.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ml import artifacts


@dataclass(frozen=True)
class HeadParams:
    """How the head is trained; ``validation_share`` of the classes are held out."""

    epochs: int = 40
    learning_rate: float = 5e-3
    weight_decay: float = 0.01
    validation_share: float = 0.2
    temperature: float = 0.07
    seed: int = 0


def class_prototypes(classifier: np.ndarray) -> np.ndarray:
    """Centred, L2-normalised rows ``(1000, dim)`` float32 of a classifier weight matrix."""
    centred = np.asarray(classifier, np.float64) - np.asarray(classifier, np.float64).mean(axis=0)
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    return (centred / np.where(norms > 0, norms, 1)).astype(np.float32)


class TextImageHead:
    """The trained map: ``project(text_vectors (n, 384)) -> (n, dim)`` unit rows.

    ``encoder`` names the image space it maps into (the CNN's :data:`~ml.vision.encoders`
    name); its vectors must only be compared with that encoder's. ``class_vectors`` are the
    MiniLM vectors it was trained on (the label bridge's vocabulary), kept so a searcher
    needs no second MiniLM pass over the class names.
    """

    def __init__(
        self,
        weight: np.ndarray,
        bias: np.ndarray,
        *,
        encoder: str,
        logit_scale: float,
        class_vectors: np.ndarray,
        history: dict[str, Any],
    ):
        self.weight = np.asarray(weight, np.float32)  # (dim, 384)
        self.bias = np.asarray(bias, np.float32)  # (dim,)
        self.encoder, self.logit_scale = encoder, float(logit_scale)
        self.class_vectors = np.asarray(class_vectors, np.float32)
        self.history = history

    @property
    def dim(self) -> int:
        return int(self.weight.shape[0])

    def project(self, text_vectors: np.ndarray) -> np.ndarray:
        """Unit vectors ``(n, dim)`` float32 in the image-feature space."""
        out = np.asarray(text_vectors, np.float32) @ self.weight.T + self.bias
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.where(norms > 0, norms, 1)).astype(np.float32)

    def save(self, path: Path) -> Path:
        arrays = {"weight": self.weight, "bias": self.bias, "class_vectors": self.class_vectors}
        meta = {"encoder": self.encoder, "logit_scale": self.logit_scale, "history": self.history}
        return artifacts.save(path, arrays, meta)

    @classmethod
    def load(cls, path: Path) -> TextImageHead:
        arrays, meta = artifacts.load(path)
        return cls(
            arrays["weight"],
            arrays["bias"],
            encoder=meta["encoder"],
            logit_scale=meta["logit_scale"],
            class_vectors=arrays["class_vectors"],
            history=meta["history"],
        )


def split_classes(n_classes: int, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(train, validation)`` class indices, sorted; ``share`` of them (at least 2) held out."""
    order = np.random.default_rng(seed).permutation(n_classes)
    n_val = max(2, int(round(share * n_classes)))
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def train_head(
    class_vectors: np.ndarray,
    prototypes: np.ndarray,
    params: HeadParams = HeadParams(),
    *,
    encoder: str,
    device: str | None = None,
) -> TextImageHead:
    """Train the head on ``class_vectors`` ``(views, n_classes, 384)`` and ``prototypes``
    ``(n_classes, dim)`` (:func:`class_prototypes`).

    The validation phase trains on the non-held-out classes for ``params.epochs`` and
    records both losses before the first step and after every epoch; the final head is
    refitted on all classes for the epochs that gave the lowest validation loss.
    """
    import torch

    from ml.device import torch_device

    device = device or torch_device()
    views, n_classes, _ = class_vectors.shape
    train, val = split_classes(n_classes, params.validation_share, params.seed)
    texts = torch.as_tensor(class_vectors.reshape(views * n_classes, -1), device=device)
    owner = torch.arange(n_classes, device=device).repeat(views)
    protos = torch.as_tensor(prototypes, dtype=torch.float32, device=device)
    started = time.perf_counter()
    _, curves = _fit(texts, owner, protos, train, val, params, params.epochs, device)
    best = int(np.argmin(curves["val_loss"]))
    model, final = _fit(
        texts, owner, protos, np.arange(n_classes), None, params, max(best, 1), device
    )
    linear = model[0]
    history = {
        **curves,
        "best_epoch": best,
        "refit_epochs": max(best, 1),
        "refit_loss": final["train_loss"],
        "validation_classes": val.tolist(),
        "params": asdict(params),
        "device": device,
        "seconds": round(time.perf_counter() - started, 2),
    }
    return TextImageHead(
        linear.weight.detach().cpu().numpy(),
        linear.bias.detach().cpu().numpy(),
        encoder=encoder,
        logit_scale=float(model[1].exp().item()),
        class_vectors=class_vectors,
        history=history,
    )


def _fit(texts, owner, protos, train, val, params: HeadParams, epochs: int, device: str):
    """``((linear, log_scale), {"train_loss", "val_loss"})``: losses before training and
    after each epoch (full batch: 1000 classes fit in one)."""
    import torch

    torch.manual_seed(params.seed)
    linear = torch.nn.Linear(texts.shape[1], protos.shape[1]).to(device)
    log_scale = torch.nn.Parameter(
        torch.tensor(float(np.log(1 / params.temperature)), device=device)
    )
    optimiser = torch.optim.AdamW(
        [*linear.parameters(), log_scale],
        lr=params.learning_rate,
        weight_decay=params.weight_decay,
    )

    def loss(classes: np.ndarray):
        classes_t = torch.as_tensor(classes, device=device)
        rows = torch.isin(owner, classes_t)
        position = torch.full((protos.shape[0],), -1, dtype=torch.long, device=device)
        position[classes_t] = torch.arange(len(classes), device=device)
        projected = torch.nn.functional.normalize(linear(texts[rows]), dim=1)
        logits = log_scale.clamp(max=np.log(100.0)).exp() * projected @ protos[classes_t].T
        return torch.nn.functional.cross_entropy(logits, position[owner[rows]])

    curves: dict[str, list[float]] = {"train_loss": [], "val_loss": []}
    for epoch in range(epochs + 1):
        if val is not None:
            with torch.no_grad():
                curves["val_loss"].append(round(float(loss(val)), 5))
        # The training loss of a step is the one before it: one forward pass per epoch.
        value = loss(train)
        curves["train_loss"].append(round(float(value.detach()), 5))
        if epoch == epochs:
            break
        optimiser.zero_grad()
        value.backward()
        optimiser.step()
    if val is None:
        del curves["val_loss"]
    return (linear, log_scale), curves


def fit_head(
    params: HeadParams = HeadParams(),
    *,
    cache_dir: Path | None = None,
    weights: Path | None = None,
    device: str | None = None,
) -> TextImageHead:
    """The head for the offline EfficientNet-Lite0: its classifier rows as prototypes and
    MiniLM vectors of the ImageNet class wordings (cached under ``cache_dir``)."""
    from ml.vision import efficientnet, vocabulary

    prototypes = class_prototypes(efficientnet.classifier_weights(weights))
    texts = vocabulary.class_text_vectors(cache_dir)
    return train_head(texts, prototypes, params, encoder=efficientnet.NAME, device=device)
