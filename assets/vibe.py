"""Vibe: trailer frames, their colour and image embeddings, the text -> image head, the LanceDB
vibe index, and what apps read from the frames (visual neighbours, frame styles)."""

import shutil
import time
from pathlib import Path

import dagster as dg
import polars as pl
from pydantic import Field

from assets import storage
from assets.resources import CineHome
from assets.reuse import frame_version, previous_output, source_version
from ml.content.embeddings import MINILM, ContentEmbeddings
from ml.vibe.search import PRESET_QUERIES, PRESET_SCHEMA, VibeSearcher, results_table
from ml.vibe.tables import build_index, frame_analytics_table
from ml.vibe.visual import frame_styles as style_frames
from ml.vibe.visual import visual_similarity as neighbours_of
from ml.vision import trailers as tr
from ml.vision.clip import DEFAULT_MODEL, ClipEncoder
from ml.vision.encoders import (
    AUTO,
    ImageEncoder,
    embeddings_table,
    is_clip,
    make_encoder,
    vector_space,
)
from ml.vision.frames import (
    EXTRACTION_SCHEMA,
    FRAME_SCHEMA,
    extract_frames,
    reusable_frames,
    save_thumbnail,
)
from ml.vision.projection import HeadParams, TextImageHead, fit_head

GROUP = "vibe"
#: Code version of these assets: their source and the ml modules they import.
CODE = source_version(__name__)


class TrailersConfig(dg.Config):
    manifest: str = Field(
        default="",
        description="CSV manifest (movie_id,source: a file path or URL); empty means "
        "<home>/trailers/manifest.csv. Files named <movie_id>[_name].<ext> in <home>/trailers "
        "are trailers too.",
    )


class FramesConfig(dg.Config):
    frames_per_trailer: int = Field(default=12, description="Uniformly spaced frames per trailer.")
    max_scene_frames: int = Field(default=12, description="Scene-change keyframes per trailer.")


class HeadConfig(dg.Config):
    epochs: int = Field(default=HeadParams.epochs, description="Epochs of the validation phase.")
    learning_rate: float = Field(default=HeadParams.learning_rate, description="AdamW rate.")
    validation_share: float = Field(
        default=HeadParams.validation_share, description="Share of ImageNet classes held out."
    )
    seed: int = Field(default=HeadParams.seed, description="Seed of the split and the init.")


class VisualConfig(dg.Config):
    neighbours: int = Field(default=10, description="Visually similar movies kept per movie.")
    styles: int = Field(default=8, description="Frame style clusters (k of k-means).")
    seed: int = Field(default=0, description="Seed of k-means.")


class ClipConfig(dg.Config):
    image_encoder: str = Field(
        default=AUTO,
        description="auto: CLIP when `pretrained` is set, else the offline ImageNet CNN "
        "(efficientnet_lite0, weights checked by sha256); or 'clip' / 'efficientnet_lite0'.",
    )
    model_name: str = Field(default=DEFAULT_MODEL, description="open_clip architecture.")
    pretrained: str = Field(
        default="",
        description="CLIP checkpoint file or open_clip tag; empty means no CLIP (the CNN "
        "embeds the frames, and CLIP text search is off).",
    )
    batch_size: int = Field(default=32, description="Images per forward pass.")

    def encoder(self) -> ImageEncoder:
        return make_encoder(
            self.image_encoder,
            clip_model=self.model_name,
            clip_pretrained=self.pretrained or None,
            batch_size=self.batch_size,
        )


@dg.asset(group_name=GROUP)
def trailers(
    context: dg.AssetExecutionContext, home: CineHome, config: TrailersConfig, movies: pl.DataFrame
) -> dg.Output[pl.DataFrame]:
    """Trailer sources per movie, from the manifest and the trailer folder convention."""
    manifest = Path(config.manifest) if config.manifest else None
    found = tr.match_catalogue(tr.find_trailers(home.folder("trailers"), manifest), movies)
    found = tr.with_fingerprints(found)
    found = found.with_columns(
        known_movie=pl.col("movie_id").is_in(movies["item_id"].implode()).fill_null(False)
    )
    if found.is_empty():
        context.log.warning(
            "no trailer source configured: no manifest and no video in "
            f"{home.folder('trailers')} (run `python -m ml.vision.trailers` where apt is available)"
        )
    unmatched = [
        f"{t} ({y})"
        for t, y in found.filter(pl.col("movie_id").is_null()).select("title", "year").rows()
    ]
    if unmatched:
        context.log.warning(f"clips of films the catalogue lacks (not used): {unmatched}")
    return dg.Output(
        found,
        # From the files' content: a changed clip is a new version, a touched one is not.
        data_version=frame_version(found),
        metadata={
            "dagster/row_count": found.height,
            "movies_with_trailers": found["movie_id"].drop_nulls().n_unique(),
            "unknown_movie_ids": int((~found["known_movie"]).sum()) - len(unmatched),
            "unmatched_clips": dg.MetadataValue.json(unmatched),
        },
    )


@dg.multi_asset(
    outs={
        "frames": dg.AssetOut(description="Chosen frames: id, movie, time, kind, thumbnail."),
        "trailer_extractions": dg.AssetOut(description="Per trailer: frames taken or error."),
    },
    group_name=GROUP,
    code_version=CODE,
)
def frames(
    context: dg.AssetExecutionContext, home: CineHome, config: FramesConfig, trailers: pl.DataFrame
):
    """Uniform and scene-change frames of every trailer; a bad file is logged, not fatal.

    A trailer whose file content (sha256) and settings are those of the last extraction is
    not decoded again: its frames and thumbnails are taken over (``reused`` in metadata).
    """
    thumbs, rows, log, reused = home.folder("frames"), [], [], 0
    settings = f"uniform={config.frames_per_trailer},scenes={config.max_scene_frames}"
    before = {n: storage.load(home, n) if storage.stored_path(home, n) else None for n in OUTS}
    matched = trailers.filter(pl.col("movie_id").is_not_null())
    todo = matched.select("movie_id", "source", "fingerprint").rows()
    for done, (movie_id, source, print_) in enumerate(todo, start=1):
        kept = reusable_frames(*before.values(), movie_id, print_, settings)
        if kept is not None:
            rows.extend(kept[0].rows())
            log.append({**kept[1], "source": source})
            reused += 1
            continue
        started = time.perf_counter()
        try:
            got = extract_frames(
                source, n_uniform=config.frames_per_trailer, max_scenes=config.max_scene_frames
            )
        except Exception as error:  # noqa: BLE001 - any decoder failure is recorded per file
            log.append(_log_row(movie_id, source, 0, None, f"{type(error).__name__}: {error}"))
            context.log.warning(f"trailer {done}/{len(todo)} {Path(source).name}: {error}")
            continue
        seconds = time.perf_counter() - started
        context.log.info(
            f"trailer {done}/{len(todo)} {Path(source).name}: {got.decoded} frames decoded in "
            f"{seconds:.1f}s ({got.decoded / max(seconds, 1e-9):.0f} frames/s), "
            f"{len(got.frames)} kept; {reused} reused so far"
        )
        for f in got.frames:
            frame_id = f"{movie_id}_{f.index:06d}"
            path = save_thumbnail(f.rgb, thumbs / str(movie_id) / f"{frame_id}.jpg")
            rows.append((frame_id, movie_id, f.index, f.timestamp, f.kind, str(path)))
        log.append(_log_row(movie_id, source, len(got.frames), got.duration, None))
        log[-1].update(fingerprint=print_, settings=settings)
    # Explicit schemas: with no trailer at all the tables are empty but still typed.
    table = pl.DataFrame(rows, schema=FRAME_SCHEMA, orient="row")
    status = pl.DataFrame(log, schema=EXTRACTION_SCHEMA)
    errors = int(status["error"].is_not_null().sum())
    yield dg.Output(
        table,
        output_name="frames",
        metadata={
            "dagster/row_count": table.height,
            "movies_with_frames": table["movie_id"].n_unique(),
            "trailers_reused": reused,
        },
    )
    yield dg.Output(
        status,
        output_name="trailer_extractions",
        metadata={"dagster/row_count": status.height, "failed": errors, "reused": reused},
    )


OUTS = ("frames", "trailer_extractions")


def _log_row(movie_id, source, n, duration, error) -> dict:
    return {
        "movie_id": movie_id,
        "source": source,
        "frames": n,
        "duration": duration,
        "error": error,
        "fingerprint": None,
        "settings": None,
    }


@dg.asset(group_name=GROUP, code_version=CODE)
def frame_analytics(
    context: dg.AssetExecutionContext,
    home: CineHome,
    frames: pl.DataFrame,
) -> dg.Output[pl.DataFrame]:
    """Palette (k-means in CIELAB), brightness, saturation, contrast, colourfulness, warmth."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    table = frame_analytics_table(frames)
    return dg.Output(
        table,
        metadata={
            "dagster/row_count": table.height,
            "black_and_white_frames": int(table["black_and_white"].sum()) if table.height else 0,
            "mean_brightness": float(table["brightness"].mean() or 0.0),
        },
    )


@dg.asset(group_name=GROUP, code_version=CODE)
def clip_embeddings(
    context: dg.AssetExecutionContext,
    home: CineHome,
    frames: pl.DataFrame,
    config: ClipConfig,
) -> dg.Output[pl.DataFrame]:
    """Image embedding of every frame (CNN or CLIP, named per row), labels and scene tags."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    encoder = config.encoder()
    table = embeddings_table(frames, encoder.encode(frames["thumbnail"].to_list()))
    if not encoder.has_weights:
        context.log.warning(
            f"{encoder.describe()}: semantic tags unavailable; configure "
            "clip_embeddings.config.pretrained with a checkpoint to get them"
        )
    tag_counts = table["tags"].explode().drop_nulls().value_counts(sort=True)
    return dg.Output(
        table,
        metadata={
            "dagster/row_count": table.height,
            "encoder": encoder.name,
            "model": encoder.describe(),
            "dim": encoder.dim,
            "semantic_tags": encoder.has_weights,
            "tagged_frames": int((table["tags"].list.len() > 0).sum()),
            "tag_counts": dg.MetadataValue.json(dict(tag_counts.rows())),
        },
    )


@dg.asset(group_name=GROUP, code_version=CODE)
def text_image_head(
    context: dg.AssetExecutionContext,
    home: CineHome,
    config: HeadConfig,
) -> dg.Output[TextImageHead]:
    """MiniLM text -> CNN feature space: a CLIP-style head trained on ImageNet class prototypes."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    params = HeadParams(
        epochs=config.epochs,
        learning_rate=config.learning_rate,
        validation_share=config.validation_share,
        seed=config.seed,
    )
    head = fit_head(params, cache_dir=home.folder("cache/vision"))
    history = head.history
    return dg.Output(
        head,
        metadata={
            "encoder": head.encoder,
            "device": history["device"],
            "seconds": history["seconds"],
            "validation_loss_start": history["val_loss"][0],
            "validation_loss_best": min(history["val_loss"]),
            "best_epoch": history["best_epoch"],
            "train_loss_end": history["refit_loss"][-1],
        },
    )


#: Where each run builds its index; the gated publish step moves it into the release.
BUILDS = "lancedb/builds"


# The index is built again by every run (the gated publish moves each build into its
# release), but its content is a function of its code and inputs: with a code version its
# data version says so, and what is computed from it (the presets) can be reused.
@dg.asset(group_name=GROUP, code_version=CODE)
def vibe_index(
    context: dg.AssetExecutionContext,
    home: CineHome,
    frames: pl.DataFrame,
    frame_analytics: pl.DataFrame,
    clip_embeddings: pl.DataFrame,
    movies: pl.DataFrame,
    content_embeddings: ContentEmbeddings,
    text_image_head: TextImageHead,
    config: ClipConfig,
) -> dg.Output[dict]:
    """LanceDB tables frames and movies, built for this run (IVF-PQ when large, else flat)."""
    builds = home.folder(BUILDS)
    # Earlier builds were either published (moved away) or blocked: neither is served.
    for old in builds.iterdir():
        if old.name != context.run_id:
            shutil.rmtree(old, ignore_errors=True)
    # The content embeddings are MiniLM vectors of richer item text in the query encoder's
    # space: reuse them rather than encode the catalogue a second time.
    reuse = content_embeddings.backend == MINILM
    # The vectors' own dimension and encoder; the configured encoder only when there is none.
    encoder_name, dim = vector_space(clip_embeddings)
    if dim is None:
        encoder = config.encoder()
        encoder_name, dim = encoder.name, encoder.dim
    info = build_index(
        builds / context.run_id,
        frames,
        frame_analytics,
        clip_embeddings,
        movies,
        clip_dim=dim,
        text_vectors_for=content_embeddings.aligned if reuse else None,
        # The head maps into one encoder's space; it travels with the index only for that one.
        head=text_image_head if text_image_head.encoder == encoder_name else None,
    )
    if info["frames_not_in_catalogue"]:
        context.log.warning(
            f"vibe_index: {info['frames_not_in_catalogue']} frames of movie(s) "
            f"{info['movies_not_in_catalogue']} left out: not in the catalogue"
        )
    info["image_encoder"] = encoder_name
    # CLIP text queries are compared with the frame vectors only when CLIP made them.
    clip_made_them = is_clip(encoder_name)
    info["clip_model"] = config.model_name if clip_made_them else None
    info["clip_pretrained"] = (config.pretrained or None) if clip_made_them else None
    return dg.Output(
        info,
        metadata={
            "path": dg.MetadataValue.path(info["path"]),
            "frames": info["frames"],
            "movies": info["movies"],
            "movies_with_frames": info["movies_with_frames"],
            "frames_not_in_catalogue": info["frames_not_in_catalogue"],
            "image_encoder": encoder_name,
            "vector_dim": info["clip_dim"],
            "label_bridge": info["label_probs"],
            "text_image_head": info["text_image_head"],
            "index_kinds": dg.MetadataValue.json(
                {t: [p["kind"] for p in plans] for t, plans in info["indexes"].items()}
            ),
        },
    )


@dg.asset(group_name=GROUP, code_version=CODE)
def vibe_presets(
    context: dg.AssetExecutionContext, home: CineHome, vibe_index: dict, config: ClipConfig
) -> dg.Output[pl.DataFrame]:
    """Top 10 movies for each preset vibe query, with best frames and reasons, for apps."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    clip = None
    if vibe_index.get("clip_pretrained"):
        clip = ClipEncoder(
            vibe_index["clip_model"], vibe_index["clip_pretrained"], batch_size=config.batch_size
        )
    searcher = VibeSearcher(vibe_index["path"], clip=clip)
    rows = []
    for query in PRESET_QUERIES:
        rows.extend(results_table(query, searcher.search(query, k=10)))
    table = pl.DataFrame(rows, schema=PRESET_SCHEMA)
    context.log.info(f"{len(PRESET_QUERIES)} preset queries, {table.height} results")
    return dg.Output(
        table,
        metadata={
            "dagster/row_count": table.height,
            "queries": len(PRESET_QUERIES),
            "clip_channel": clip is not None,
            "label_channel": searcher.bridge is not None,
            "image_head_channel": searcher.head is not None,
        },
    )


@dg.asset(group_name=GROUP, code_version=CODE)
def visual_similarity(
    context: dg.AssetExecutionContext,
    home: CineHome,
    clip_embeddings: pl.DataFrame,
    config: VisualConfig,
) -> dg.Output[pl.DataFrame]:
    """Per movie with frames, the movies that look most alike (cosine of their visual DNA)."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    table = neighbours_of(clip_embeddings, config.neighbours)
    return dg.Output(
        table,
        metadata={
            "dagster/row_count": table.height,
            "movies": table["item_id"].n_unique(),
            "mean_top_similarity": float(
                table.filter(pl.col("rank") == 1)["similarity"].mean() or 0.0
            ),
        },
    )


@dg.asset(group_name=GROUP, code_version=CODE)
def frame_styles(
    context: dg.AssetExecutionContext,
    home: CineHome,
    clip_embeddings: pl.DataFrame,
    frame_analytics: pl.DataFrame,
    config: VisualConfig,
) -> dg.Output[pl.DataFrame]:
    """Every frame's style: k-means on frame vectors, named from tags, light and colour."""
    if (reused := previous_output(context, home)) is not None:
        return reused
    table = style_frames(clip_embeddings, frame_analytics, n_styles=config.styles, seed=config.seed)
    sizes = table.group_by("style").len().sort("len", descending=True)
    return dg.Output(
        table,
        metadata={
            "dagster/row_count": table.height,
            "styles": dg.MetadataValue.json(dict(sizes.rows())),
        },
    )
