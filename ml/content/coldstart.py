"""Cold start: recommendations for a new user from liked titles, free text, or genres + mood.

Everything runs on the content embeddings, so a user with no ratings gets a list at once.
Titles are matched by the same normalised keys as the metadata join; an unknown title
raises ``UnknownTitles`` with the closest catalogue titles.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from ml.content.embeddings import ContentEmbeddings
from ml.content.metadata import title_keys
from ml.data.titles import display_title, normalise

#: Onboarding presets precomputed by the pipeline: (name, kind, query).
PRESETS: tuple[tuple[str, str, object], ...] = (
    ("Mind-bending sci-fi", "liked", ("The Matrix", "Inception")),
    ("Animated favourites", "liked", ("Toy Story", "Finding Nemo")),
    ("Crime classics", "liked", ("The Godfather", "Pulp Fiction")),
    ("Slow, melancholic sci-fi", "text", "slow, melancholic sci-fi"),
    ("Feel-good comedy", "text", "feel-good comedy for a rainy evening"),
    ("Tense thrillers", "text", "tense psychological thriller with a twist"),
    ("Dark horror", "genres", (("Horror",), "dark and unsettling")),
    ("Light romance", "genres", (("Romance", "Comedy"), "light-hearted and warm")),
)
PRESET_COLUMNS = {
    "preset": pl.String,
    "kind": pl.String,
    "query": pl.String,
    "rank": pl.Int32,
    "item_id": pl.Int64,
    "title": pl.String,
    "year": pl.Int32,
    "score": pl.Float64,
    "reason": pl.String,
}


class UnknownTitles(ValueError):
    """Titles not in the catalogue; ``suggestions`` maps each to its closest titles."""

    def __init__(self, suggestions: dict[str, list[str]]):
        self.suggestions = suggestions
        lines = [
            f"  {title!r}: not in the catalogue; closest: {', '.join(close) or 'none'}"
            for title, close in suggestions.items()
        ]
        super().__init__("unknown title(s):\n" + "\n".join(lines))


@dataclass
class ColdStart:
    """Content-only recommender over ``movies`` (item_id, title, year, genres)."""

    emb: ContentEmbeddings
    movies: pl.DataFrame
    popularity: dict[int, float] = field(default_factory=dict)
    popularity_weight: float = 0.1

    def __post_init__(self):
        self.movies = self.movies.filter(pl.col("item_id").is_in(self.emb.item_ids.tolist()))
        self.vectors = self.emb.aligned(self.movies["item_id"].to_numpy())
        self.ids = self.movies["item_id"].to_numpy()
        self.labels = [
            f"{display_title(t)} ({y})" if y else display_title(t)
            for t, y in self.movies.select("title", "year").iter_rows()
        ]
        self.years = self.movies["year"].to_list()
        self.genres = [set(g or []) for g in self.movies["genres"].to_list()]
        self.pop = np.array([self.popularity.get(int(i), 0.0) for i in self.ids])
        self.index: dict[str, list[int]] = {}
        for row, title in enumerate(self.movies["title"].to_list()):
            for key in title_keys(title or ""):
                self.index.setdefault(key, []).append(row)

    def resolve(self, titles: list[str]) -> list[int]:
        """Row of each title (``"The Matrix"``, ``"Matrix, The (1999)"``); raises UnknownTitles."""
        rows, unknown = [], {}
        for raw in titles:
            match = re.fullmatch(r"\s*(.*?)\s*\((\d{4})\)\s*", raw)
            name, year = (match[1], int(match[2])) if match else (raw, None)
            found = self.index.get(normalise(name), [])
            if year is not None:
                found = [r for r in found if self.years[r] == year] or found
            if found:
                rows.append(max(found, key=lambda r: (self.pop[r], -r)))
                continue
            unknown[raw] = difflib.get_close_matches(
                normalise(name), [normalise(lb) for lb in self.labels], n=3, cutoff=0.5
            )
            keyed = {normalise(lb): lb for lb in self.labels}
            unknown[raw] = [keyed[c] for c in unknown[raw]]
        if unknown:
            raise UnknownTitles(unknown)
        return rows

    def _top(self, sims: np.ndarray, k: int, exclude=(), allowed=None) -> list[int]:
        score = sims + self.popularity_weight * self.pop
        score = score.copy()
        score[list(exclude)] = -np.inf
        if allowed is not None:
            score[~allowed] = -np.inf
        order = np.argsort(-score, kind="stable")[:k]
        return [int(r) for r in order if np.isfinite(score[r])]

    def _frame(self, rows, scores, reasons) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "rank": list(range(1, len(rows) + 1)),
                "item_id": [int(self.ids[r]) for r in rows],
                "title": [self.labels[r] for r in rows],
                "year": [self.years[r] for r in rows],
                "score": [float(s) for s in scores],
                "reason": reasons,
            },
            schema={c: PRESET_COLUMNS[c] for c in ("rank", "item_id", "title", "year")}
            | {"score": pl.Float64, "reason": pl.String},
        )

    def from_liked(self, titles: list[str], k: int = 10) -> pl.DataFrame:
        liked = self.resolve(titles)
        per_liked = self.vectors @ self.vectors[liked].T
        sims = per_liked.mean(axis=1)
        rows = self._top(sims, k, exclude=liked)
        reasons = [
            f"Similar to {self.labels[liked[int(per_liked[r].argmax())]]} "
            f"(content similarity {per_liked[r].max():.2f})"
            for r in rows
        ]
        return self._frame(rows, [sims[r] for r in rows], reasons)

    def from_text(self, text: str, k: int = 10, genres: list[str] | None = None) -> pl.DataFrame:
        query = self.emb.encode([text])[0]
        sims = self.vectors @ query
        allowed = None
        if genres:
            wanted = set(genres)
            allowed = np.array([bool(g & wanted) for g in self.genres])
        rows = self._top(sims, k, allowed=allowed)
        reasons = []
        for r in rows:
            tag = f" ({', '.join(sorted(self.genres[r] & set(genres)))})" if genres else ""
            reasons.append(f"Matches “{text}”{tag}: similarity {sims[r]:.2f}")
        return self._frame(rows, [sims[r] for r in rows], reasons)

    def from_genres(self, genres: list[str], mood: str = "", k: int = 10) -> pl.DataFrame:
        text = f"{mood} {' '.join(genres)} film".strip()
        return self.from_text(text, k, genres=genres)

    def presets(self, presets=PRESETS, k: int = 10) -> tuple[pl.DataFrame, list[str]]:
        """All presets' lists (``PRESET_COLUMNS``) and a note per preset that was skipped."""
        frames, skipped = [], []
        for name, kind, query in presets:
            try:
                if kind == "liked":
                    out, label = self.from_liked(list(query), k), " + ".join(query)
                elif kind == "text":
                    out, label = self.from_text(query, k), query
                else:
                    genres, mood = query
                    out, label = self.from_genres(list(genres), mood, k), f"{mood}: {genres}"
            except UnknownTitles as error:
                skipped.append(f"{name}: {error}")
                continue
            frames.append(
                out.with_columns(
                    pl.lit(name).alias("preset"), pl.lit(kind).alias("kind"),
                    pl.lit(str(label)).alias("query"),
                )
            )  # fmt: skip
        if not frames:
            return pl.DataFrame(schema=PRESET_COLUMNS), skipped
        return pl.concat(frames).select(list(PRESET_COLUMNS)), skipped


def popularity_of(ratings: pl.DataFrame) -> dict[int, float]:
    """log(1 + ratings) / log(1 + max ratings) per item id."""
    counts = ratings.group_by("item_id").len()
    top = np.log1p(counts["len"].max() or 1)
    return {int(i): float(np.log1p(n) / top) for i, n in counts.iter_rows()}
