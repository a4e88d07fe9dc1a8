"""The vibe index: search movies by how they look (layer 3).

- ``colour_words``: a query's colour and light words as CIELAB targets.
- ``tables``: per-frame and per-movie tables; ``index``: LanceDB tables and vector indexes.
- ``search``: ``VibeSearcher`` over the index (colour, metadata, label bridge, image head, CLIP).
- ``visual``: movies' visual DNA, "looks like this" neighbours, named frame styles (k-means).
"""

__all__ = ["colour_words", "index", "search", "tables", "visual"]
