"""Personas: k-means on user taste embeddings, each cluster named from its genres and era.

A user's embedding is their time-decayed, rating-weighted content profile
(``ml.content.embeddings.user_profiles``). A cluster is named after the genre it
over-represents most against all users (its lift), e.g. "The Suspense Seeker"; when two
clusters would share a name, the cluster's dominant decade tells them apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

ARCHETYPES = {
    "Action": "The Action Junkie",
    "Adventure": "The Adventurer",
    "Animation": "The Animation Aficionado",
    "Children": "The Family Viewer",
    "Comedy": "The Comedy Lover",
    "Crime": "The Crime Buff",
    "Documentary": "The Documentary Buff",
    "Drama": "The Drama Devotee",
    "Fantasy": "The Dreamer",
    "Film-Noir": "The Noir Detective",
    "Horror": "The Fright Fan",
    "IMAX": "The Big-Screen Fan",
    "Musical": "The Musical Enthusiast",
    "Mystery": "The Puzzle Solver",
    "Romance": "The Romantic",
    "Sci-Fi": "The Sci-Fi Explorer",
    "Thriller": "The Suspense Seeker",
    "War": "The History Buff",
    "Western": "The Frontier Rider",
}
MIN_GENRE_SHARE = 0.03
#: Tags that describe a format, not a taste: never a persona's name.
NOT_A_TASTE = ("IMAX", "(no genres listed)")


@dataclass(frozen=True)
class Personas:
    """``users``: user_id, persona_id, persona, description; ``clusters``: one row each."""

    users: pl.DataFrame
    clusters: pl.DataFrame
    silhouette: float


def genre_shares(ratings: pl.DataFrame, movies: pl.DataFrame) -> pl.DataFrame:
    """Per user and genre: share of the user's genre tags (user_id, genre, share)."""
    tags = ratings.select("user_id", "item_id").join(
        movies.select("item_id", "genres"), on="item_id"
    )
    tags = tags.explode("genres").drop_nulls("genres").rename({"genres": "genre"})
    counts = tags.group_by("user_id", "genre").len()
    return counts.with_columns((pl.col("len") / pl.col("len").sum().over("user_id")).alias("share"))


def _decade(year: float) -> str:
    return f"{int(year // 10 * 10)}s"


def build_personas(
    user_ids: np.ndarray,
    embeddings: np.ndarray,
    ratings: pl.DataFrame,
    movies: pl.DataFrame,
    *,
    k: int = 6,
    seed: int = 42,
) -> Personas:
    """Cluster ``embeddings`` (n_users, d; rows in ``user_ids`` order) into ``k`` personas."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    k = max(1, min(k, len(user_ids)))
    labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(embeddings)
    silhouette = (
        float(silhouette_score(embeddings, labels, random_state=seed))
        if 1 < k < len(user_ids)
        else 0.0
    )
    assign = pl.DataFrame({"user_id": user_ids, "persona_id": labels.astype(np.int32)})
    shares = genre_shares(ratings, movies).join(assign, on="user_id")
    overall = shares.group_by("genre").agg((pl.col("share").sum() / len(user_ids)).alias("base"))
    sizes = assign.group_by("persona_id").len().rename({"len": "users"})
    per = (
        shares.group_by("persona_id", "genre")
        .agg(pl.col("share").sum())
        .join(sizes, on="persona_id")
        .with_columns((pl.col("share") / pl.col("users")).alias("share"))
        .join(overall, on="genre")
        .with_columns((pl.col("share") / pl.col("base")).alias("lift"))
        .filter(pl.col("share") >= MIN_GENRE_SHARE, ~pl.col("genre").is_in(NOT_A_TASTE))
        .sort(["persona_id", "lift", "genre"], descending=[False, True, False])
    )
    years = (
        ratings.join(movies.select("item_id", "year"), on="item_id")
        .join(assign, on="user_id")
        .group_by("persona_id")
        .agg(pl.col("year").median().alias("median_year"))
    )
    rows, used = [], set()
    for pid in range(k):
        top = per.filter(pl.col("persona_id") == pid).head(3)
        genres = top["genre"].to_list()
        lifts = top["lift"].to_list()
        year_row = years.filter(pl.col("persona_id") == pid)
        median = year_row["median_year"].item() if year_row.height else None
        decade = _decade(median) if median is not None else "unknown era"
        base = ARCHETYPES.get(genres[0], f"The {genres[0]} Fan") if genres else "The Omnivore"
        name = base if base not in used else base.replace("The ", f"The {decade} ", 1)
        name = name if name not in used else f"{name} #{pid + 1}"
        used.add(name)
        liked = ", ".join(f"{g} ({lift:.1f}× the average share)" for g, lift in zip(genres, lifts))
        size = int(sizes.filter(pl.col("persona_id") == pid)["users"].sum())
        description = (
            f"Watches more {liked} than the average user; median release year "
            f"{int(median) if median is not None else 'unknown'} ({decade}); {size} users."
        )
        rows.append(
            {
                "persona_id": pid,
                "persona": name,
                "description": description,
                "top_genres": genres,
                "genre_lifts": [float(x) for x in lifts],
                "decade": decade,
                "users": size,
            }
        )
    clusters = pl.DataFrame(rows).with_columns(pl.col("persona_id").cast(pl.Int32))
    users = assign.join(
        clusters.select("persona_id", "persona", "description"), on="persona_id"
    ).sort("user_id")
    return Personas(users, clusters, silhouette)
