"""Content understanding: metadata, TMDb, item embeddings, cold start (layer 2).

- ``metadata``: the offline OMDb table joined to MovieLens (``join_omdb``).
- ``tmdb``: the rate-limited, cached TMDb client.
- ``embeddings``: ``ContentEmbeddings``, ``embed_items``, ``similarity_table``, profiles.
- ``coldstart``: ``ColdStart`` from liked titles, free text, or genres and mood.
"""

__all__ = ["coldstart", "embeddings", "metadata", "tmdb"]
