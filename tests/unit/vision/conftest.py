"""One EfficientNet-Lite0 encoder (real ImageNet weights, CPU) shared by the vision tests."""

from __future__ import annotations

import pytest

from tests.vibe_media import cnn_encoder


@pytest.fixture(scope="session")
def cnn():
    return cnn_encoder()
