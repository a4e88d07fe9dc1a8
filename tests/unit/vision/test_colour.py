"""Frames, colour science, colour words over real photos, CLIP with random weights."""

from __future__ import annotations

import numpy as np
import pytest

from ml.vibe import colour_words
from ml.vision import colour, frames, trailers
from tests.vibe_media import SCENES, generated_clip, real_clip

PHOTOS = ("coffee", "astronaut", "chelsea", "rocket", "camera", "hubble_deep_field", "coins")


@pytest.fixture(scope="module")
def photo_stats():
    """Colour statistics of scikit-image's bundled real photographs (greys as RGB)."""
    import skimage.data

    out = {}
    for name in PHOTOS:
        image = getattr(skimage.data, name)()
        if image.ndim == 2:
            image = np.stack([image] * 3, axis=-1)
        out[name] = colour.analyse(image[..., :3])
    return out


def test_lab_matches_scikit_image_and_round_trips():
    import skimage.color
    import skimage.data

    image = skimage.data.astronaut()
    lab = colour.srgb_to_lab(image)
    assert np.abs(lab - skimage.color.rgb2lab(image)).max() < 0.01
    assert np.abs(colour.lab_to_srgb(lab).astype(int) - image).max() <= 1
    assert colour.lab_to_hex(colour.hex_to_lab("#ff8800")) == "#ff8800"


def test_colourfulness_and_black_and_white(photo_stats):
    grey = np.full((20, 20, 3), 128, np.uint8)
    assert colour.colourfulness(grey) == 0.0
    # Hasler–Süsstrunk by hand for a half red, half blue image.
    half = np.zeros((2, 2, 3))
    half[0] = (255, 0, 0)
    half[1] = (0, 0, 255)
    rg, yb = np.array([255, 255, 0, 0.0]), np.array([127.5, 127.5, -255, -255])
    expected = np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())
    assert colour.colourfulness(half) == pytest.approx(expected)
    assert photo_stats["camera"].black_and_white and photo_stats["coins"].black_and_white
    assert not photo_stats["coffee"].black_and_white
    assert photo_stats["coffee"].warmth > 0.5 > photo_stats["rocket"].warmth
    assert photo_stats["hubble_deep_field"].brightness < 0.15
    for stats in photo_stats.values():
        assert stats.weights.sum() == pytest.approx(1.0)
        assert np.all(np.diff(stats.weights) <= 0)


def _rank(query: str, photo_stats) -> list[str]:
    parsed = colour_words.parse(query)
    return sorted(photo_stats, key=lambda n: -colour_words.score(parsed, photo_stats[n])[0])


def test_palette_queries_rank_the_right_real_photos_first(photo_stats):
    warm = _rank("warm orange", photo_stats)
    assert set(warm[:3]) <= {"coffee", "astronaut", "chelsea"}
    assert set(warm[-4:]) == {"rocket", "camera", "hubble_deep_field", "coins"}
    assert _rank("cold blue", photo_stats)[0] == "rocket"
    assert set(_rank("black and white", photo_stats)[:2]) == {"camera", "coins"}


def test_colour_words_parse_phrases_before_words():
    parsed = colour_words.parse("harsh black and white contrast")
    assert not parsed.colours
    assert {t.field for t in parsed.light} == {"contrast", "chroma_p95"}
    assert [c.name for c in colour_words.parse("a dark blue night").colours] == ["dark blue"]
    assert colour_words.parse("streets and vibes").empty


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


def test_manifest_and_folder_convention(tmp_path):
    (tmp_path / "81564_megamind.avi").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not a trailer")
    (tmp_path / "manifest.csv").write_text(
        "movie_id,source\n1,clips/toy.mp4\n2,https://example.org/t.mp4\n"
    )
    found = trailers.find_trailers(tmp_path)
    assert found.sort("movie_id").rows() == [
        (1, str((tmp_path / "clips" / "toy.mp4").resolve()), "file", "manifest"),
        (2, "https://example.org/t.mp4", "url", "manifest"),
        (81564, str((tmp_path / "81564_megamind.avi").resolve()), "file", "folder"),
    ]


def test_fetch_without_apt_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(trailers.shutil, "which", lambda name: None)
    assert trailers.fetch_opencv_sample(tmp_path) is None
    assert "no trailer source configured" in capsys.readouterr().out


def test_clip_random_weights_real_code_path():
    from ml.vision.clip import ClipEncoder, zero_shot_tags

    encoder = ClipEncoder("ViT-S-32", None, device="cpu", batch_size=2, seed=0)
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (120, 160, 3), dtype=np.uint8) for _ in range(5)]
    vectors = encoder.encode_images(images)
    assert vectors.shape == (5, encoder.dim) == (5, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert np.abs(vectors[0] - vectors[1]).max() > 1e-4
    encoder.batch_size = 8
    assert np.allclose(encoder.encode_images(images), vectors, atol=1e-4)
    text = encoder.encode_texts(["rain at night", "desert"])
    assert text.shape == (2, 384) and np.allclose(np.linalg.norm(text, axis=1), 1, atol=1e-5)
    assert not encoder.has_weights
    with pytest.raises(ValueError, match="real CLIP weights"):
        zero_shot_tags(encoder, vectors)
