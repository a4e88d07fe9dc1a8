"""MovieLens data: the contract, the release formats and the readers (layer 1).

- ``schema``: the one contract of ratings, movies and quarantine, and the quarantine reasons.
- ``formats``: the on-disk layouts of the official releases (``Release``, ``stage_release``).
- ``readers``: ``load_movielens`` (accepted rows + quarantine) and ``read_interactions``.
- ``datasets``: named evaluation datasets that exist offline.
- ``titles``: how a MovieLens title reads (``display_title``) and its key (``normalise``).
"""

__all__ = ["datasets", "formats", "readers", "schema", "titles"]
