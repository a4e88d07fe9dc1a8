"""Frame extraction: scene cuts in a generated clip, near duplicates, a corrupt file."""

from __future__ import annotations

import numpy as np
import pytest

from ml.vision import frames
from tests.vibe_media import SCENES, generated_clip, real_clip


def test_frames_from_a_generated_clip_find_the_cuts(tmp_path):
    got = frames.extract_frames(generated_clip(tmp_path / "clip.avi"), n_uniform=6)
    assert got.decoded == 60 and got.duration == pytest.approx(6.0)
    scenes = {f.index for f in got.frames if f.kind == "scene"}
    assert {20, 40} <= scenes
    nearest = [
        int(np.argmin([np.abs(f.mean_colour - c).sum() for c in SCENES])) for f in got.frames
    ]
    assert set(nearest) == {0, 1, 2}
    assert [f.timestamp for f in got.frames] == sorted(f.timestamp for f in got.frames)
    assert all(f.rgb.shape[1] == frames.THUMB_WIDTH for f in got.frames)


def test_near_duplicates_are_removed():
    rng = np.random.default_rng(1)
    base = rng.integers(0, 255, (60, 80, 3)).astype(np.uint8)
    other = rng.integers(0, 255, (60, 80, 3)).astype(np.uint8)
    made = [
        frames.Frame(i, float(i), "uniform", rgb, frames.dhash(rgb))
        for i, rgb in enumerate(
            [base, base.copy(), other, np.clip(base.astype(int) + 60, 0, 255).astype(np.uint8)]
        )
    ]
    kept = frames.deduplicate(made)
    assert [f.index for f in kept] == [0, 2, 3]


def test_corrupt_file_raises(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    with pytest.raises(Exception):
        frames.extract_frames(bad)


@pytest.mark.skipif(
    real_clip() is None, reason="Megamind.avi not fetched (python -m ml.vision.trailers)"
)
def test_real_megamind_clip():
    got = frames.extract_frames(real_clip())
    assert got.decoded == 270 and (got.width, got.height) == (720, 528)
    assert 8 <= len(got.frames) <= 24
    assert any(f.kind == "scene" for f in got.frames)
