"""Trailer footage: sources, frames, colour and light, image encoders (layer 2).

- ``trailers``: where trailers come from (manifest, folder, the offline Megamind clip).
- ``frames``: uniform + scene-change frames, near-duplicates removed.
- ``colour``: CIELAB palette and light statistics of a frame.
- ``encoders``: the one image-encoder interface (CLIP or the ImageNet CNN, by configuration).
- ``efficientnet``: EfficientNet-Lite0 with checksum-verified offline ImageNet weights.
- ``imagenet``: ImageNet-1k class names, top labels and the scene/style tag mapping.
- ``clip``: open_clip image/text embeddings and zero-shot tags.
"""

__all__ = ["clip", "colour", "efficientnet", "encoders", "frames", "imagenet", "trailers"]
