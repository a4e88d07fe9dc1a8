"""Features: the user-item matrix every collaborative model trains on."""

import dagster as dg
import polars as pl

from assets.resources import CineHome
from assets.reuse import previous_output, source_version
from ml.recsys.interactions import Interactions, build_interactions

#: Code version of these assets: their source and the ml modules they import.
CODE = source_version(__name__)


@dg.asset(group_name="features", code_version=CODE)
def user_item_matrix(
    context: dg.AssetExecutionContext, ratings: pl.DataFrame, movies: pl.DataFrame, home: CineHome
) -> dg.Output[Interactions]:
    """Ratings as a CSR user × item matrix with MovieLens id maps, rating sessions and genres."""
    if (reused := previous_output(context, home)) is not None:
        return reused
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
