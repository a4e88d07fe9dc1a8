"""Features: the user-item matrix every collaborative model trains on."""

import dagster as dg
import polars as pl

from ml.recsys.interactions import Interactions, build_interactions


@dg.asset(group_name="features")
def user_item_matrix(ratings: pl.DataFrame, movies: pl.DataFrame) -> dg.Output[Interactions]:
    """Ratings as a CSR user × item matrix with MovieLens id maps, rating sessions and genres."""
    x = build_interactions(ratings, movies=movies)
    n_users, n_items = x.shape
    return dg.Output(
        x,
        metadata={
            "users": n_users,
            "items": n_items,
            "nnz": x.nnz,
            "density": x.density(),
            "sessions": 0 if x.sessions is None else x.sessions.shape[0],
            "genres": 0 if x.item_features is None else x.item_features.shape[1],
        },
    )
