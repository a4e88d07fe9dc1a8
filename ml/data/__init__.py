"""MovieLens data: the contract, the release formats and the readers (layer 1).

- ``schema``: the one contract of ratings, movies and quarantine, and the quarantine reasons.
- ``files``: a release's files read as text, lines or CSV records (``Release``).
- ``formats``: the layouts of the official releases and their scales (``stage_release``).
- ``readers``: ``load_movielens`` (accepted rows + quarantine) and ``read_interactions``.
- ``datasets``: named evaluation datasets that exist offline.
- ``titles``: how a MovieLens title reads (``display_title``) and its key (``normalise``).
"""

__all__ = ["datasets", "files", "formats", "readers", "schema", "titles"]
