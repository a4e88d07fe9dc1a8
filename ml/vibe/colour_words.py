"""From words to colour science: a query's colour and light words as CIELAB and light targets.

Colour names come from the XKCD colour survey (949 names, which matplotlib ships as
``matplotlib.colors.XKCD_COLORS``): "orange", "pastel pink", "dusty rose". Light words
("dark", "warm", "black and white", "pastel", "neon", ...) become targets on the analytics
fields of :class:`ml.vision.colour.ColourStats`; scene words ("sunset", "snowy", "cyberpunk", ...)
expand to the colours and light that photographers associate with them. Words that carry no
colour ("streets", "vibe") are left to the text and CLIP channels of the search.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import numpy as np

from ml.vision.colour import ColourStats, hex_to_lab, palette_coverage

# How far from its target a field may be before it scores 0 (closeness is linear in between).
FIELD_SCALES = {
    "brightness": 0.5,
    "saturation": 0.5,
    "contrast": 0.25,
    "colourfulness": 60.0,
    "warmth": 1.0,
    "chroma_p95": 25.0,
}

# word or phrase -> [(field, op, target)]: "min" is satisfied at or above the target ("warm"
# is any warmth >= 0.5), "max" at or below it, "near" only close to it.
LIGHT_WORDS: dict[str, list[tuple[str, str, float]]] = {
    "black and white": [("chroma_p95", "max", 0.0)],
    "monochrome": [("chroma_p95", "max", 0.0)],
    "grayscale": [("chroma_p95", "max", 0.0)],
    "greyscale": [("chroma_p95", "max", 0.0)],
    "noir": [("chroma_p95", "max", 0.0), ("contrast", "min", 0.3)],
    "dark": [("brightness", "max", 0.15)],
    "dim": [("brightness", "max", 0.2)],
    "night": [("brightness", "max", 0.12)],
    "nighttime": [("brightness", "max", 0.12)],
    "bright": [("brightness", "min", 0.75)],
    "sunny": [("brightness", "min", 0.7), ("warmth", "min", 0.3)],
    "warm": [("warmth", "min", 0.5)],
    "cozy": [("warmth", "min", 0.5), ("brightness", "max", 0.35)],
    "intimate": [("brightness", "max", 0.3)],
    "cold": [("warmth", "max", -0.4)],
    "cool": [("warmth", "max", -0.3)],
    "icy": [("warmth", "max", -0.4), ("brightness", "min", 0.7)],
    "harsh": [("contrast", "min", 0.35)],
    "contrast": [("contrast", "min", 0.3)],
    "high contrast": [("contrast", "min", 0.35)],
    "stark": [("contrast", "min", 0.35)],
    "soft": [("contrast", "max", 0.1)],
    "hazy": [("contrast", "max", 0.08)],
    "foggy": [("contrast", "max", 0.06), ("saturation", "max", 0.1)],
    "misty": [("contrast", "max", 0.08), ("saturation", "max", 0.12)],
    "pastel": [("saturation", "max", 0.25), ("brightness", "min", 0.75)],
    "neon": [("colourfulness", "min", 80.0), ("brightness", "max", 0.25)],
    "vivid": [("colourfulness", "min", 70.0)],
    "vibrant": [("colourfulness", "min", 70.0)],
    "colourful": [("colourfulness", "min", 70.0)],
    "colorful": [("colourfulness", "min", 70.0)],
    "muted": [("saturation", "max", 0.15)],
    "desaturated": [("saturation", "max", 0.1)],
    "melancholic": [("saturation", "max", 0.15), ("brightness", "max", 0.35)],
    "gloomy": [("saturation", "max", 0.15), ("brightness", "max", 0.25)],
    "bleak": [("saturation", "max", 0.1)],
    "isolated": [("saturation", "max", 0.15)],
    "isolation": [("saturation", "max", 0.15)],
    "lonely": [("saturation", "max", 0.15)],
}

# scene word -> (XKCD colour names, light targets)
SCENE_WORDS: dict[str, tuple[list[str], list[tuple[str, str, float]]]] = {
    "sunset": (["orange", "salmon", "golden"], [("warmth", "min", 0.6)]),
    "golden hour": (["golden", "amber"], [("warmth", "min", 0.6)]),
    "autumn": (["burnt orange", "rust", "mustard"], [("warmth", "min", 0.5)]),
    "fall": (["burnt orange", "rust"], [("warmth", "min", 0.5)]),
    "snow": (["white", "pale blue"], [("brightness", "min", 0.8), ("warmth", "max", -0.2)]),
    "snowy": (["white", "pale blue"], [("brightness", "min", 0.8), ("warmth", "max", -0.2)]),
    "winter": (["white", "pale blue"], [("warmth", "max", -0.3)]),
    "rain": (["slate grey", "grey blue"], [("saturation", "max", 0.15)]),
    "rainy": (["slate grey", "grey blue"], [("saturation", "max", 0.15)]),
    "wet": (["slate grey"], []),
    "desert": (["sand", "tan", "orange"], [("warmth", "min", 0.5), ("brightness", "min", 0.6)]),
    "dust": (["sand", "khaki"], []),
    "beach": (["sand", "ocean blue"], [("brightness", "min", 0.7)]),
    "ocean": (["ocean blue"], []),
    "sea": (["sea blue"], []),
    "forest": (["forest green"], []),
    "jungle": (["jungle green"], []),
    "fire": (["orange", "fire engine red"], [("warmth", "min", 0.7)]),
    "candlelight": (["amber"], [("warmth", "min", 0.7), ("brightness", "max", 0.25)]),
    "city lights": (["amber", "golden yellow"], [("brightness", "max", 0.15)]),
    "cyberpunk": (["neon pink", "cyan", "electric purple"], [("brightness", "max", 0.2)]),
    "sky": (["sky blue"], []),
    "skies": (["sky blue"], []),
    "blood": (["blood red"], []),
}

# XKCD names that are everyday words here, or already light words above.
_NOT_COLOURS = {"dark", "pale", "light", "bland", "drab", "royal", "earth", "dust", "desert"}
_SYNONYMS = {"gray": "grey", "colour": "color"}
_MAX_PHRASE = 3


@dataclass(frozen=True)
class ColourTerm:
    word: str  # the query's word or phrase
    name: str  # the XKCD name it resolved to
    lab: np.ndarray


@dataclass(frozen=True)
class LightTerm:
    word: str
    field: str
    op: str  # "min", "max" or "near"
    target: float

    def closeness(self, value: float) -> float:
        """1 when ``value`` satisfies the term, falling linearly to 0 one field scale away."""
        gap = value - self.target
        if self.op == "min":
            gap = min(gap, 0.0)
        elif self.op == "max":
            gap = max(gap, 0.0)
        return max(0.0, 1.0 - abs(gap) / FIELD_SCALES[self.field])


@dataclass
class ColourQuery:
    """The colour and light content of a query; empty when it names none."""

    colours: list[ColourTerm] = field(default_factory=list)
    light: list[LightTerm] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.colours and not self.light

    def words(self) -> list[str]:
        return list(dict.fromkeys([c.word for c in self.colours] + [t.word for t in self.light]))


@functools.lru_cache(maxsize=1)
def xkcd_colours() -> dict[str, str]:
    """XKCD colour name -> hex (``"burnt orange" -> "#c04e01"``), from matplotlib."""
    from matplotlib.colors import XKCD_COLORS

    return {
        _normalise(name.removeprefix("xkcd:")): hex_colour
        for name, hex_colour in XKCD_COLORS.items()
        if name.removeprefix("xkcd:") not in _NOT_COLOURS
    }


def parse(query: str) -> ColourQuery:
    """Colour and light terms of ``query``, longest phrase first ("dark blue" before "dark")."""
    tokens = re.findall(r"[a-z&/]+", _normalise(query.lower()))
    colours = xkcd_colours()
    out = ColourQuery()
    i = 0
    while i < len(tokens):
        for n in range(min(_MAX_PHRASE, len(tokens) - i), 0, -1):
            phrase = " ".join(tokens[i : i + n])
            if _add(out, phrase, colours):
                i += n
                break
        else:
            i += 1
    return out


def score(query: ColourQuery, stats: ColourStats) -> tuple[float, list[str]]:
    """How well an image's colour and light match ``query``: a score in [0, 1] and reasons.

    The mean over terms of: for a colour, the share of the palette within reach of it
    (:func:`ml.vision.colour.palette_coverage`, square-rooted so a 25% share already counts half);
    for a light term, :meth:`LightTerm.closeness`.
    """
    parts, reasons = [], []
    for term in query.colours:
        share = palette_coverage(stats.palette, stats.weights, term.lab)
        parts.append(np.sqrt(share))
        if share >= 0.05:
            reasons.append(f"{share:.0%} of the palette is {term.name}")
    for term in query.light:
        value = float(getattr(stats, term.field))
        closeness = term.closeness(value)
        parts.append(closeness)
        if closeness >= 0.6:
            reasons.append(f"{term.word}: {term.field.replace('_', ' ')} {value:.2f}")
    return (float(np.mean(parts)) if parts else 0.0), reasons


def _add(out: ColourQuery, phrase: str, colours: dict[str, str]) -> bool:
    if phrase in LIGHT_WORDS:
        out.light.extend(LightTerm(phrase, f, op, t) for f, op, t in LIGHT_WORDS[phrase])
        return True
    if phrase in SCENE_WORDS:
        names, light = SCENE_WORDS[phrase]
        out.colours.extend(ColourTerm(phrase, n, hex_to_lab(colours[n])) for n in names)
        out.light.extend(LightTerm(phrase, f, op, t) for f, op, t in light)
        return True
    if phrase in colours and phrase not in _NOT_COLOURS:
        out.colours.append(ColourTerm(phrase, phrase, hex_to_lab(colours[phrase])))
        return True
    return False


def _normalise(text: str) -> str:
    for old, new in _SYNONYMS.items():
        text = re.sub(rf"\b{old}\b", new, text)
    return text
