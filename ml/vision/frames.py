"""Frames from a trailer: N uniform frames plus scene-change keyframes, near-duplicates removed.

Decoding uses PyAV (FFmpeg's libraries, shipped in the ``av`` wheel). The file is decoded once,
in order; each frame is reduced to a 32x18 colour histogram for scene detection, and only the
chosen frames are kept at thumbnail size.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

THUMB_WIDTH = 320
# A cut is a jump in the L1 distance between consecutive 4x4x4 colour histograms (range 0..2)
# of at least SCENE_THRESHOLD and SCENE_RELATIVE times the video's median jump: dark, single-
# palette films change their histogram little at a cut, so a fixed threshold alone misses them.
SCENE_THRESHOLD = 0.1
SCENE_RELATIVE = 5.0
# Two frames are near-duplicates when their difference hashes (64 bits) differ in at most
# DUPLICATE_BITS bits and their mean colours by at most DUPLICATE_COLOUR (8-bit RGB units):
# the hash sees structure only, so two flat frames of different colours would otherwise match.
DUPLICATE_BITS = 6
DUPLICATE_COLOUR = 12.0


@dataclass(frozen=True)
class Frame:
    """One chosen frame: ``rgb`` is ``(h, w, 3)`` uint8 at thumbnail width."""

    index: int
    timestamp: float
    kind: str  # "uniform" or "scene"
    rgb: np.ndarray
    dhash: int

    @property
    def mean_colour(self) -> np.ndarray:
        return self.rgb.reshape(-1, 3).mean(axis=0)


@dataclass(frozen=True)
class Extraction:
    """What one trailer gave: its frames, duration (s) and decoded frame count."""

    frames: list[Frame]
    duration: float
    decoded: int
    width: int
    height: int


class NotAVideo(ValueError):
    """A file no video frame can be decoded from; the message says why."""


@dataclass(frozen=True)
class VideoInfo:
    duration: float | None
    width: int
    height: int
    codec: str


def probe_video(source: str | Path) -> VideoInfo:
    """Open ``source`` and decode its first video frame: what makes a file a usable trailer.

    Raises :class:`NotAVideo` with the reason (FFmpeg's error, no video stream, no frame).
    """
    import av

    try:
        with av.open(str(source)) as container:
            if not container.streams.video:
                raise NotAVideo("it has no video stream")
            stream = container.streams.video[0]
            frame = next(iter(container.decode(stream)), None)
            if frame is None:
                raise NotAVideo("no frame could be decoded")
            try:
                duration = _duration(container, stream)
            except ValueError:
                duration = None
            return VideoInfo(duration, frame.width, frame.height, stream.codec_context.name)
    except av.FFmpegError as error:
        raise NotAVideo(f"FFmpeg cannot read it ({error})") from error


def extract_frames(
    source: str | Path,
    *,
    n_uniform: int = 12,
    max_scenes: int = 12,
    scene_threshold: float = SCENE_THRESHOLD,
    duplicate_bits: int = DUPLICATE_BITS,
    thumb_width: int = THUMB_WIDTH,
) -> Extraction:
    """Decode ``source`` (a file path or a URL FFmpeg can open) and choose its frames.

    Uniform frames are the first frames at or after ``(i + 0.5) * duration / n_uniform``;
    scene keyframes are the first frames after the ``max_scenes`` largest histogram jumps
    of at least ``scene_threshold`` and ``SCENE_RELATIVE`` x the median jump. Frames whose
    difference hash lies within ``duplicate_bits`` of an earlier kept frame are dropped.
    Raises ``av.FFmpegError`` (or ``ValueError`` for a file without video) for a corrupt or
    unsupported file; the caller records it.
    """
    import av

    with av.open(str(source)) as container:
        if not container.streams.video:
            raise ValueError(f"{source}: no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        duration = _duration(container, stream)
        targets = [(i + 0.5) * duration / n_uniform for i in range(n_uniform)]
        candidates: dict[int, tuple[float, str, np.ndarray]] = {}
        jumps: list[tuple[float, int]] = []
        all_jumps: list[float] = []
        previous, decoded, next_target = None, 0, 0
        width = height = 0
        for frame in container.decode(stream):
            t = float(frame.time) if frame.time is not None else decoded / _rate(stream)
            width, height = frame.width, frame.height
            thumb_h = max(2, round(height * thumb_width / width / 2) * 2)
            small = frame.to_ndarray(width=32, height=18, format="rgb24")
            hist = _histogram(small)
            if previous is not None:
                jump = float(np.abs(hist - previous).sum())
                all_jumps.append(jump)
                if jump > scene_threshold:
                    jumps.append((jump, decoded))
                    rgb = frame.to_ndarray(width=thumb_width, height=thumb_h, format="rgb24")
                    candidates.setdefault(decoded, (t, "scene", rgb))
            if next_target < len(targets) and t >= targets[next_target]:
                rgb = frame.to_ndarray(width=thumb_width, height=thumb_h, format="rgb24")
                candidates[decoded] = (t, "uniform", rgb)
                while next_target < len(targets) and t >= targets[next_target]:
                    next_target += 1
            previous = hist
            decoded += 1
    if decoded == 0:
        raise ValueError(f"{source}: no frame could be decoded")
    floor = SCENE_RELATIVE * float(np.median(all_jumps)) if all_jumps else 0.0
    cuts = [(jump, i) for jump, i in jumps if jump >= floor]
    keep_scenes = {i for _, i in sorted(cuts, reverse=True)[:max_scenes]}
    chosen = [
        (i, t, kind, rgb)
        for i, (t, kind, rgb) in sorted(candidates.items())
        if kind == "uniform" or i in keep_scenes
    ]
    return Extraction(
        frames=deduplicate(
            [Frame(i, t, kind, rgb, dhash(rgb)) for i, t, kind, rgb in chosen], duplicate_bits
        ),
        duration=duration,
        decoded=decoded,
        width=width,
        height=height,
    )


def dhash(rgb: np.ndarray) -> int:
    """64-bit difference hash: signs of horizontal gradients of a 9x8 grey thumbnail."""
    from PIL import Image

    grey = np.asarray(Image.fromarray(rgb).convert("L").resize((9, 8), Image.BILINEAR), float)
    bits = (grey[:, 1:] > grey[:, :-1]).reshape(-1)
    return int(sum(1 << i for i, b in enumerate(bits) if b))


def deduplicate(frames: list[Frame], max_bits: int = DUPLICATE_BITS) -> list[Frame]:
    """Frames in order, without the near-duplicates of an earlier kept frame."""
    kept: list[Frame] = []
    for frame in frames:
        if not any(_near(frame, other, max_bits) for other in kept):
            kept.append(frame)
    return kept


def _near(a: Frame, b: Frame, max_bits: int) -> bool:
    same_structure = bin(a.dhash ^ b.dhash).count("1") <= max_bits
    return same_structure and bool(np.abs(a.mean_colour - b.mean_colour).max() <= DUPLICATE_COLOUR)


def save_thumbnail(rgb: np.ndarray, path: Path) -> Path:
    """Write ``rgb`` as a JPEG (quality 90) next to ``path``, named by its content.

    The file is ``<stem>-<sha256[:12]>.jpg``: a new frame never overwrites an old one, so
    every published version's thumbnail paths stay valid while that version is kept.
    """
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=90)
    data = buffer.getvalue()
    target = path.with_name(f"{path.stem}-{hashlib.sha256(data).hexdigest()[:12]}{path.suffix}")
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    return target


FRAME_SCHEMA = {
    "frame_id": pl.String,
    "movie_id": pl.Int64,
    "frame_index": pl.Int64,
    "timestamp": pl.Float64,
    "kind": pl.String,
    "thumbnail": pl.String,
}
EXTRACTION_SCHEMA = {
    "movie_id": pl.Int64,
    "source": pl.String,
    "frames": pl.Int64,
    "duration": pl.Float64,
    "error": pl.String,
    "fingerprint": pl.String,
    "settings": pl.String,
}


def reusable_frames(
    previous_frames: pl.DataFrame | None,
    previous_log: pl.DataFrame | None,
    movie_id: int,
    fingerprint: str | None,
    settings: str,
) -> tuple[pl.DataFrame, dict] | None:
    """The frames and log row of an earlier extraction of the same file content for the
    same movie with the same ``settings``, when every thumbnail is still on disk; else None.
    """
    if fingerprint is None or previous_frames is None or previous_log is None:
        return None
    if "fingerprint" not in previous_log.columns or "settings" not in previous_log.columns:
        return None  # a log written before fingerprints: extract again
    rows = previous_log.filter(
        (pl.col("movie_id") == movie_id)
        & (pl.col("fingerprint") == fingerprint)
        & (pl.col("settings") == settings)
        & pl.col("error").is_null()
    )
    if rows.height != 1:
        return None
    kept = previous_frames.filter(pl.col("movie_id") == movie_id)
    if kept.height != rows["frames"][0] or not all(Path(t).exists() for t in kept["thumbnail"]):
        return None
    return kept, rows.row(0, named=True)


def load_image(path: str | Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def _histogram(rgb: np.ndarray) -> np.ndarray:
    bins = (rgb // 64).reshape(-1, 3).astype(np.int64)
    codes = bins[:, 0] * 16 + bins[:, 1] * 4 + bins[:, 2]
    return np.bincount(codes, minlength=64) / len(codes)


def _rate(stream) -> float:
    return float(stream.average_rate or stream.guessed_rate or 25)


def _duration(container, stream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    if stream.frames:
        return stream.frames / _rate(stream)
    raise ValueError("the stream reports no duration")
