"""ImageNet-1k class names and the scene/style tags derived from a classifier's output.

The class names come from the WordNet lemmas that timm ships (``timm.data.ImageNetInfo``,
read from files inside the installed package, never downloaded). A tag is a group of ImageNet
classes (:data:`TAG_CLASSES`); its probability in a frame is the sum of its classes' softmax
probabilities, and it is reported only when that sum reaches a threshold, so a tag says what
the classifier saw and is never invented where it saw nothing of the kind.

ImageNet has no class for "night", "rain", "forest" or "desert", so there are no such tags
here; the light-and-colour side of a frame (dark, neon-coloured, warm) is measured by
:mod:`ml.vision.colour` instead.
"""

from __future__ import annotations

import functools

import numpy as np

N_CLASSES = 1000
TOP_K = 5
TAG_THRESHOLD = 0.2
MAX_TAGS = 3

#: Tag -> the ImageNet classes (first WordNet lemma of each) whose probabilities it sums.
#: Scenes first, then the things that set a film's look (lights, vehicles, dress, drawing).
TAG_CLASSES: dict[str, tuple[str, ...]] = {
    "beach": ("seashore", "sandbar"),
    "water": (
        "lakeside",
        "breakwater",
        "dock",
        "boathouse",
        "pier",
        "canoe",
        "speedboat",
        "gondola",
        "lifeboat",
        "fireboat",
        "schooner",
        "yawl",
        "catamaran",
        "trimaran",
        "liner",
    ),
    "underwater": ("coral reef", "brain coral", "scuba diver", "snorkel"),
    "mountains": ("alp", "valley", "volcano", "cliff", "promontory", "mountain tent"),
    "snow": ("ski", "snowmobile", "snowplow", "dogsled", "bobsled"),
    "countryside": ("barn", "hay", "rapeseed", "corn", "thatch", "worm fence", "daisy"),
    "city street": (
        "streetcar",
        "trolleybus",
        "traffic light",
        "street sign",
        "parking meter",
        "cab",
        "police van",
    ),
    "bridges": ("suspension bridge", "steel arch bridge", "viaduct"),
    "grand architecture": (
        "castle",
        "palace",
        "church",
        "mosque",
        "monastery",
        "dome",
        "triumphal arch",
        "bell cote",
    ),
    "home interior": (
        "studio couch",
        "four-poster",
        "dining table",
        "bookcase",
        "wardrobe",
        "china cabinet",
        "home theater",
        "desk",
        "window shade",
        "quilt",
    ),
    "shops": (
        "bakery",
        "butcher shop",
        "grocery store",
        "bookshop",
        "shoe shop",
        "tobacco shop",
        "toyshop",
        "barbershop",
        "confectionery",
    ),
    "food and drink": (
        "espresso",
        "cup",
        "coffee mug",
        "espresso maker",
        "red wine",
        "wine bottle",
        "beer glass",
        "beer bottle",
        "plate",
        "pizza",
        "restaurant",
    ),
    "stage lights": ("spotlight", "stage", "theater curtain"),
    "candlelight": ("candle", "jack-o'-lantern", "torch"),
    "neon signs": ("cinema", "scoreboard", "slot", "digital clock"),
    "rockets and space": ("space shuttle", "missile", "projectile", "planetarium"),
    "cars": (
        "sports car",
        "convertible",
        "racer",
        "limousine",
        "jeep",
        "minivan",
        "beach wagon",
        "pickup",
        "car wheel",
        "grille",
    ),
    "aircraft": ("airliner", "warplane", "airship", "wing"),
    "weapons": ("assault rifle", "rifle", "revolver", "cannon", "tank"),
    "formal wear": ("suit", "bow tie", "Windsor tie", "gown", "groom", "academic gown"),
    "cat": ("tabby", "tiger cat", "Persian cat", "Siamese cat", "Egyptian cat"),
    "comic style": ("comic book",),
}
#: Tags that are whole index ranges of ImageNet-1k: its 118 dog breeds are classes 151..268
#: (Chihuahua .. Mexican hairless); listing them by name would say nothing more.
TAG_RANGES: dict[str, range] = {"dog": range(151, 269)}


@functools.cache
def class_descriptions() -> tuple[str, ...]:
    """The 1000 ImageNet-1k class descriptions in model output order, e.g. ``"espresso"``,
    ``"tabby, tabby cat"`` (WordNet lemmas, from the files inside timm)."""
    from timm.data import ImageNetInfo

    info = ImageNetInfo("imagenet-1k")
    return tuple(info.index_to_description(i) for i in range(info.num_classes()))


def class_index(name: str) -> int:
    """The output index of the class whose first lemma is ``name``.

    Raises KeyError for a name that is not an ImageNet-1k class or names two ("crane").
    """
    found = [i for i, d in enumerate(class_descriptions()) if d.split(",")[0].strip() == name]
    if len(found) != 1:
        raise KeyError(f"{name!r} names {len(found)} ImageNet-1k classes, not exactly one")
    return found[0]


@functools.cache
def tag_indices() -> dict[str, tuple[int, ...]]:
    """Every tag of :data:`TAG_CLASSES` and :data:`TAG_RANGES` with its class indices."""
    out = {tag: tuple(class_index(name) for name in names) for tag, names in TAG_CLASSES.items()}
    out.update({tag: tuple(r) for tag, r in TAG_RANGES.items()})
    return out


def top_labels(probs: np.ndarray, k: int = TOP_K) -> list[list[tuple[str, float]]]:
    """The ``k`` most probable classes of each row of ``probs`` ``(n, 1000)``, best first."""
    names = class_descriptions()
    order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    return [[(names[j], float(row[j])) for j in idx] for row, idx in zip(probs, order)]


def tag_probabilities(probs: np.ndarray) -> tuple[tuple[str, ...], np.ndarray]:
    """Tag names and their probabilities ``(n, n_tags)``: the sum over each tag's classes."""
    indices = tag_indices()
    tags = tuple(indices)
    sums = np.stack([probs[:, list(indices[t])].sum(axis=1) for t in tags], axis=1)
    return tags, sums


def scene_tags(
    probs: np.ndarray, *, threshold: float = TAG_THRESHOLD, top: int = MAX_TAGS
) -> list[list[tuple[str, float]]]:
    """Up to ``top`` tags per row of ``probs`` ``(n, 1000)`` whose probability reaches
    ``threshold``, best first; an empty list where no tag does."""
    if probs.shape[0] == 0:
        return []
    tags, sums = tag_probabilities(probs)
    out = []
    for row in sums:
        order = np.argsort(-row, kind="stable")[:top]
        out.append([(tags[i], float(row[i])) for i in order if row[i] >= threshold])
    return out
