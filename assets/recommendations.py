"""Recommendations: per-user top-N lists with the reason each title is there."""

import dagster as dg
import polars as pl
from pydantic import Field

from assets.resources import CineHome
from assets.reuse import previous_output, source_version
from ml.recsys.interactions import Interactions
from ml.recsys.metrics import catalogue_coverage
from ml.recsys.models.base import Recommender
from ml.recsys.recommend import recommend_with_reasons, with_reason_text

#: Code version of these assets: their source and the ml modules they import.
CODE = source_version(__name__)


class RecommendationsConfig(dg.Config):
    k: int = Field(default=20, description="Recommendations per user.")
    liked_threshold: float = Field(
        default=4.0, description="A rating at or above this counts as 'liked' in explanations."
    )


@dg.asset(group_name="recommendations", code_version=CODE)
def user_recommendations(
    context: dg.AssetExecutionContext,
    user_item_matrix: Interactions,
    recommender_model: Recommender,
    movies: pl.DataFrame,
    config: RecommendationsConfig,
    home: CineHome,
) -> dg.Output[pl.DataFrame]:
    """Top-N unseen movies per user from the selected model, each with the liked movie behind it."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    recs = recommend_with_reasons(
        recommender_model, user_item_matrix, k=config.k, liked_threshold=config.liked_threshold
    )
    recs = with_reason_text(recs, movies)
    n_items = user_item_matrix.shape[1]
    return dg.Output(
        recs,
        metadata={
            "dagster/row_count": recs.height,
            "users": recs["user_id"].n_unique(),
            "k": config.k,
            "model": recommender_model.name,
            "catalogue_coverage": catalogue_coverage(
                user_item_matrix.item_index(recs["item_id"].to_numpy()), n_items
            ),
            "preview": dg.MetadataValue.md(
                recs.head(10)
                .select("user_id", "rank", "title", "score", "reason")
                .to_pandas()
                .to_markdown(index=False)
            ),
        },
    )
