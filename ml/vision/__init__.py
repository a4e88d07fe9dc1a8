"""Trailer footage: sources, frames, colour and light, image encoders (layer 2).

- ``trailers``: where trailers come from (manifest, folder, the offline Megamind clip).
- ``frames``: uniform + scene-change frames, near-duplicates removed.
- ``colour``: CIELAB palette and light statistics of a frame.
- ``clip``: open_clip image/text embeddings and zero-shot tags.
"""

__all__ = ["clip", "colour", "frames", "trailers"]
