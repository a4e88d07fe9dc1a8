"""One image encoder interface: chosen by configuration, every vector named by its encoder."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ml.vision import encoders
from ml.vision.efficientnet import EMBED_DIM
from ml.vision.encoders import (
    CLIP,
    CNN,
    EMBEDDINGS_SCHEMA,
    ClipImageEncoder,
    CnnImageEncoder,
    embeddings_table,
    make_encoder,
    resolve_kind,
    vector_space,
)


def test_auto_is_the_cnn_unless_a_clip_checkpoint_is_configured():
    assert resolve_kind("auto", None) == resolve_kind("auto", "") == CNN
    assert resolve_kind("auto", "/models/clip.pt") == CLIP
    assert resolve_kind("efficientnet_lite0", "/models/clip.pt") == CNN
    with pytest.raises(ValueError, match="unknown image encoder 'resnet'"):
        resolve_kind("resnet", None)
    encoder = make_encoder(device="cpu")
    assert isinstance(encoder, CnnImageEncoder) and encoder.dim == EMBED_DIM


def test_clip_behind_the_same_interface_random_weights_no_tags():
    encoder = make_encoder(CLIP, clip_model="ViT-S-32", device="cpu", batch_size=2)
    assert isinstance(encoder, ClipImageEncoder)
    assert encoder.name == "clip/ViT-S-32/random" and encoders.is_clip(encoder.name)
    rng = np.random.default_rng(0)
    out = encoder.encode([rng.integers(0, 255, (90, 160, 3), dtype=np.uint8) for _ in range(3)])
    assert out.vectors.shape == (3, encoder.dim) == (3, 384)
    assert out.tags == [[], [], []] and out.labels == [[], [], []]


def test_embeddings_table_contract_and_vector_space(cnn):
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (90, 160, 3), dtype=np.uint8) for _ in range(2)]
    frames = pl.DataFrame({"frame_id": ["7_000001", "7_000002"], "movie_id": [7, 7]})
    table = embeddings_table(frames, cnn.encode(images))
    assert table.schema == pl.Schema(EMBEDDINGS_SCHEMA)
    assert table["encoder"].to_list() == [cnn.name] * 2
    assert table["labels"].list.len().to_list() == [5, 5]
    assert vector_space(table) == (cnn.name, EMBED_DIM)
    assert vector_space(table.clear()) == (None, None)
    legacy = table.drop("encoder")
    assert vector_space(legacy) == (encoders.CLIP_PREFIX, EMBED_DIM)
    mixed = table.with_columns(encoder=pl.Series(["a", "b"]))
    with pytest.raises(ValueError, match="several encoders"):
        vector_space(mixed)
    with pytest.raises(ValueError, match="2 frames but 1 vectors"):
        embeddings_table(frames, cnn.encode(images[:1]))
