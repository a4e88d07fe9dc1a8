"""Shared by the sentiment tests: real Rotten Tomatoes sentences, split once per module."""

from __future__ import annotations

import pytest

from tests.pang_lee import sample


@pytest.fixture(scope="module")
def split():
    return sample("sentences", 400, seed=1), sample("sentences", 200, seed=1, offset=400)
