"""Colour and light of an image: CIELAB palette, brightness, saturation, contrast, colourfulness.

All functions take 8-bit sRGB arrays ``(h, w, 3)``; no model weights are involved. CIELAB is
computed for the D65 white point (the sRGB standard), so distances between colours (ΔE*ab)
follow perceived differences far better than RGB distances do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

PALETTE_SIZE = 5
# Chroma (C*ab) under which a pixel reads as grey; the 95th percentile of a frame's chroma
# below BW_CHROMA makes the frame black-and-white (sepia and tinted film stay colour).
GREY_CHROMA = 10.0
BW_CHROMA = 8.0
_WARM_HUE = np.deg2rad(50.0)  # between red (~40°) and orange (~60°) in CIELAB hue
_WHITE_D65 = np.array([0.95047, 1.0, 1.08883])
_SRGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)


@dataclass(frozen=True)
class ColourStats:
    """Colour and light of one image (or the mean over a movie's frames).

    ``palette`` is ``(k, 3)`` CIELAB colours, most common first, with ``weights`` (sum 1).
    ``brightness`` is mean L*/100; ``saturation`` mean HSV saturation; ``contrast`` the standard
    deviation of L*/100 (RMS contrast); ``colourfulness`` the Hasler–Süsstrunk metric M
    (0 grey, ~30 moderately, >60 very colourful); ``warmth`` in [-1, 1] (chroma-weighted
    alignment of hues with the red–orange axis, negative for blue–cyan); ``chroma_p95`` the
    95th percentile of C*ab; ``black_and_white`` whether ``chroma_p95 < BW_CHROMA``.
    """

    palette: np.ndarray
    weights: np.ndarray
    brightness: float
    saturation: float
    contrast: float
    colourfulness: float
    warmth: float
    chroma_p95: float
    black_and_white: bool

    def fields(self) -> dict[str, float | bool]:
        """The scalar fields, for a table row."""
        out = asdict(self)
        del out["palette"], out["weights"]
        return {
            k: (bool(v) if isinstance(v, (bool, np.bool_)) else float(v)) for k, v in out.items()
        }


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """8-bit sRGB ``(..., 3)`` to CIELAB (D65) ``(..., 3)`` float64: L* in [0, 100]."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _SRGB_TO_XYZ.T / _WHITE_D65
    eps, kappa = 216 / 24389, 24389 / 27
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


def lab_to_srgb(lab: np.ndarray) -> np.ndarray:
    """CIELAB ``(..., 3)`` back to 8-bit sRGB ``(..., 3)`` (out-of-gamut colours clipped)."""
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16) / 116
    f = np.stack([fy + lab[..., 1] / 500, fy, fy - lab[..., 2] / 200], axis=-1)
    eps, kappa = 216 / 24389, 24389 / 27
    xyz = np.where(f**3 > eps, f**3, (116 * f - 16) / kappa) * _WHITE_D65
    linear = np.clip(xyz @ np.linalg.inv(_SRGB_TO_XYZ).T, 0, 1)
    c = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.round(np.clip(c, 0, 1) * 255).astype(np.uint8)


def hex_to_lab(hex_colour: str) -> np.ndarray:
    """``"#ff8800"`` to its CIELAB ``(3,)``."""
    h = hex_colour.lstrip("#")
    return srgb_to_lab(np.array([int(h[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.uint8))


def lab_to_hex(lab: np.ndarray) -> str:
    r, g, b = lab_to_srgb(lab)
    return f"#{r:02x}{g:02x}{b:02x}"


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Süsstrunk (2003) colourfulness M of an 8-bit sRGB image."""
    c = np.asarray(rgb, dtype=np.float64).reshape(-1, 3)
    rg = c[:, 0] - c[:, 1]
    yb = 0.5 * (c[:, 0] + c[:, 1]) - c[:, 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def kmeans_palette(
    lab: np.ndarray,
    k: int = PALETTE_SIZE,
    *,
    sample_weight: np.ndarray | None = None,
    seed: int = 0,
    iterations: int = 25,
) -> tuple[np.ndarray, np.ndarray]:
    """Dominant colours of CIELAB points ``(n, 3)``: ``(k, 3)`` centres and weights (sum 1).

    Weighted k-means (k-means++ seeding from ``seed``, Lloyd iterations) in CIELAB, so each
    cluster is a perceptually coherent colour; sorted by weight. Fewer distinct points than
    ``k`` give fewer colours.
    """
    points = np.asarray(lab, dtype=np.float64).reshape(-1, 3)
    weights = np.ones(len(points)) if sample_weight is None else np.asarray(sample_weight, float)
    distinct = np.unique(np.round(points, 1), axis=0)
    k = int(min(k, len(distinct)))
    if k < 1:
        raise ValueError("no pixels to build a palette from")
    rng = np.random.default_rng(seed)
    centres = [points[rng.choice(len(points), p=weights / weights.sum())]]
    for _ in range(1, k):
        d2 = np.min(((points[:, None, :] - np.array(centres)[None]) ** 2).sum(-1), axis=1)
        p = weights * d2
        centres.append(points[rng.choice(len(points), p=p / p.sum())] if p.sum() > 0 else points[0])
    centres = np.array(centres)
    for _ in range(iterations):
        labels = np.argmin(((points[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
        mass = np.bincount(labels, weights=weights, minlength=k)
        moved = np.stack(
            [np.bincount(labels, weights=weights * points[:, j], minlength=k) for j in range(3)],
            axis=1,
        )
        new = np.where(mass[:, None] > 0, moved / np.maximum(mass, 1e-12)[:, None], centres)
        if np.allclose(new, centres, atol=1e-3):
            centres = new
            break
        centres = new
    labels = np.argmin(((points[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    mass = np.bincount(labels, weights=weights, minlength=k)
    keep = mass > 0
    order = np.argsort(-mass[keep], kind="stable")
    return centres[keep][order], mass[keep][order] / mass[keep].sum()


def analyse(
    rgb: np.ndarray, *, k: int = PALETTE_SIZE, max_pixels: int = 20_000, seed: int = 0
) -> ColourStats:
    """Colour and light statistics of one 8-bit sRGB image ``(h, w, 3)``.

    Statistics use at most ``max_pixels`` pixels on a regular grid (deterministic).
    """
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an (h, w, 3) sRGB image, got shape {rgb.shape}")
    step = max(1, int(np.sqrt(rgb.shape[0] * rgb.shape[1] / max_pixels)))
    pixels = rgb[::step, ::step].reshape(-1, 3)
    lab = srgb_to_lab(pixels)
    # The palette needs far fewer pixels than the statistics: every 4th grid pixel.
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    hue = np.arctan2(lab[:, 2], lab[:, 1])
    palette, weights = kmeans_palette(lab[::4], k, seed=seed)
    c = pixels.astype(np.float64) / 255
    top, bottom = c.max(axis=1), c.min(axis=1)
    saturation = np.where(top > 0, (top - bottom) / np.where(top > 0, top, 1), 0.0)
    chroma_p95 = float(np.percentile(chroma, 95))
    return ColourStats(
        palette=palette,
        weights=weights,
        brightness=float(lab[:, 0].mean() / 100),
        saturation=float(saturation.mean()),
        contrast=float(lab[:, 0].std() / 100),
        colourfulness=colourfulness(pixels),
        warmth=float(np.mean(np.minimum(chroma, 40) / 40 * np.cos(hue - _WARM_HUE))),
        chroma_p95=chroma_p95,
        black_and_white=chroma_p95 < BW_CHROMA,
    )


def aggregate(stats: Sequence[ColourStats], *, k: int = PALETTE_SIZE, seed: int = 0) -> ColourStats:
    """One movie's colour from its frames: palette re-clustered from the frames' palettes
    (weighted by their shares), scalar fields averaged, black-and-white when most frames are.
    """
    if not stats:
        raise ValueError("no frames to aggregate")
    palette, weights = kmeans_palette(
        np.concatenate([s.palette for s in stats]),
        k,
        sample_weight=np.concatenate([s.weights for s in stats]),
        seed=seed,
    )

    def mean(name: str) -> float:
        return float(np.mean([getattr(s, name) for s in stats]))

    return ColourStats(
        palette=palette,
        weights=weights,
        brightness=mean("brightness"),
        saturation=mean("saturation"),
        contrast=mean("contrast"),
        colourfulness=mean("colourfulness"),
        warmth=mean("warmth"),
        chroma_p95=mean("chroma_p95"),
        black_and_white=mean("black_and_white") > 0.5,
    )


def palette_coverage(
    palette: np.ndarray, weights: np.ndarray, target: np.ndarray, *, sigma: float = 15.0
) -> float:
    """Share of an image near a CIELAB ``target``: Σ weightᵢ · exp(−ΔE(paletteᵢ, target)² / 2σ²).

    1.0 when the whole palette is the target colour, ~0 when nothing is within ~2σ ΔE.
    """
    delta = np.linalg.norm(np.asarray(palette) - np.asarray(target), axis=-1)
    return float(np.sum(np.asarray(weights) * np.exp(-(delta**2) / (2 * sigma**2))))
