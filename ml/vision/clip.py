"""CLIP image and text embeddings with open_clip, and zero-shot scene tags.

Weights are whatever ``pretrained`` names: a local checkpoint file, an open_clip tag (which
open_clip downloads, so only where there is network), or None for randomly initialised
weights. Random weights run the real code path (model build, preprocessing, batched encoding,
normalisation) but mean nothing, so :attr:`ClipEncoder.has_weights` is False and
:func:`zero_shot_tags` refuses to invent tags from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

DEFAULT_MODEL = "ViT-B-32"
SCENE_TAGS = (
    "rain",
    "snow",
    "fog",
    "neon lights",
    "night",
    "golden hour",
    "desert",
    "beach",
    "city lights",
    "forest",
    "ocean",
    "fire",
    "candlelight",
    "autumn leaves",
    "interior",
    "crowd",
)


class ClipEncoder:
    """An open_clip model and its preprocessing, on ``device`` (GPU when present).

    Parameters
    ----------
    model_name
        An open_clip architecture, e.g. ``"ViT-B-32"``.
    pretrained
        A checkpoint path, an open_clip tag, or None (random weights, seeded by ``seed``).
    """

    def __init__(
        self,
        model_name: str = DEFAULT_MODEL,
        pretrained: str | None = None,
        *,
        device: str | None = None,
        batch_size: int = 32,
        seed: int = 0,
    ):
        import open_clip
        import torch

        from ml.device import torch_device

        self.model_name, self.pretrained = model_name, pretrained or None
        self.device = device or torch_device()
        self.batch_size = batch_size
        torch.manual_seed(seed)
        model, _, self.preprocess = open_clip.create_model_and_transforms(
            model_name, pretrained=self.pretrained, device=self.device
        )
        self.model = model.eval()
        self.tokenizer = open_clip.get_tokenizer(model_name)
        self.dim = int(self.model.text_projection.shape[1])

    @property
    def has_weights(self) -> bool:
        """True when real weights were loaded, so similarities carry meaning."""
        return self.pretrained is not None

    def describe(self) -> str:
        weights = self.pretrained or "random weights (no pretrained checkpoint configured)"
        return f"{self.model_name} / {weights}"

    def encode_images(self, images: Sequence[np.ndarray | str | Path]) -> np.ndarray:
        """L2-normalised image embeddings ``(n, dim)`` float32 of RGB arrays or image paths."""
        import torch
        from PIL import Image

        out = []
        for start in range(0, len(images), self.batch_size):
            batch = []
            for item in images[start : start + self.batch_size]:
                if isinstance(item, np.ndarray):
                    image = Image.fromarray(item)
                else:
                    with Image.open(item) as opened:
                        image = opened.convert("RGB")
                batch.append(self.preprocess(image))
            with torch.inference_mode():
                features = self.model.encode_image(torch.stack(batch).to(self.device))
            out.append(_normalise(features.float().cpu().numpy()))
        return np.concatenate(out) if out else np.zeros((0, self.dim), dtype=np.float32)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised text embeddings ``(n, dim)`` float32."""
        import torch

        with torch.inference_mode():
            tokens = self.tokenizer(list(texts)).to(self.device)
            features = self.model.encode_text(tokens)
        return _normalise(features.float().cpu().numpy())


def zero_shot_tags(
    encoder: ClipEncoder,
    image_vectors: np.ndarray,
    tags: Sequence[str] = SCENE_TAGS,
    *,
    min_probability: float = 0.15,
    top: int = 3,
) -> list[list[tuple[str, float]]]:
    """Up to ``top`` tags per image whose softmax probability over ``tags`` reaches
    ``min_probability``, best first. Prompts are "a film still of {tag}".

    Raises ValueError for an encoder without real weights: random weights would produce
    confident-looking nonsense.
    """
    if not encoder.has_weights:
        raise ValueError("zero-shot tags need real CLIP weights; none are configured")
    text = encoder.encode_texts([f"a film still of {tag}" for tag in tags])
    logits = 100.0 * image_vectors @ text.T
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    out = []
    for row in probs:
        order = np.argsort(-row)[:top]
        out.append([(tags[i], float(row[i])) for i in order if row[i] >= min_probability])
    return out


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.where(norms > 0, norms, 1)).astype(np.float32)
