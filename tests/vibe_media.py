"""Media for the vision and vibe tests: scikit-image's real photographs, and video (the
real Megamind clip when present, else one generated here)."""

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


@functools.cache
def photo_stats() -> dict:
    """Colour statistics (``ml.vision.colour.analyse``) of scikit-image's bundled real
    photographs, greys as RGB, by name."""
    import skimage.data

    from ml.vision import colour

    out = {}
    for name in PHOTOS:
        image = getattr(skimage.data, name)()
        if image.ndim == 2:
            image = np.stack([image] * 3, axis=-1)
        out[name] = colour.analyse(image[..., :3])
    return out


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
