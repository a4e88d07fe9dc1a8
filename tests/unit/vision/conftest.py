"""One EfficientNet-Lite0 encoder (real ImageNet weights, CPU) shared by the vision tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def cnn():
    from ml.vision.encoders import CnnImageEncoder

    return CnnImageEncoder(device="cpu", batch_size=4, seed=0)
