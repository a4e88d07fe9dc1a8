"""Trailer footage: sources, frames, colour and light, image encoders (layer 2).

- ``trailers``: where trailers come from (manifest by id or title, folder, the offline
  Megamind and Big Buck Bunny clips).
- ``frames``: uniform + scene-change frames, near-duplicates removed.
- ``colour``: CIELAB palette and light statistics of a frame.
- ``encoders``: the one image-encoder interface (CLIP or the ImageNet CNN, by configuration).
- ``efficientnet``: EfficientNet-Lite0 with checksum-verified offline ImageNet weights.
- ``imagenet``: ImageNet-1k class names, top labels and the scene/style tag mapping.
- ``vocabulary``: text -> image without CLIP, through the ImageNet class names (MiniLM) and
  the frames' class probabilities.
- ``projection``: a CLIP-style head trained here from MiniLM text into the CNN's feature space.
- ``clip``: open_clip image/text embeddings and zero-shot tags.
"""

__all__ = [
    "clip",
    "colour",
    "efficientnet",
    "encoders",
    "frames",
    "imagenet",
    "projection",
    "trailers",
    "vocabulary",
]
