"""Experiment configuration: one YAML file per experiment, validated like tenant files.

::

    name: ranker_vs_blend
    salt: ranker-vs-blend-2024-06     # a new salt re-draws every user independently
    variants:                         # the first is the control
      - {name: control, traffic: 0.5, weights: {hybrid: 1.0}, diversity_lambda: 0.7}
      - {name: blend, traffic: 0.5, weights: {hybrid: 0.5, model: 0.5}, diversity_lambda: 0.5}
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ml.tenants.config import MAX_LIST, MAX_NAME, ConfigError, _Reader, read_yaml
from ml.tenants.lists import SOURCES

#: The folder of experiment files shipped with the repository; the default run uses it.
SHIPPED_FOLDER = Path(__file__).resolve().parents[2] / "experiments"


@dataclass(frozen=True)
class Variant:
    name: str
    traffic: float
    weights: dict[str, float]
    diversity_lambda: float = 0.7
    list_length: int = 10


@dataclass(frozen=True)
class ExperimentConfig:
    name: str
    salt: str
    variants: tuple[Variant, ...]
    path: str = ""

    @property
    def control(self) -> Variant:
        return self.variants[0]


def _variant(path: Path, data: Any, where: str) -> Variant:
    r = _Reader(
        path, data, where, ("name", "traffic", "weights", "diversity_lambda", "list_length")
    )
    name = r.text("name")
    if name is None:
        r.fail("name", "required")
    weights = r.weights("weights", choices=SOURCES) or {"hybrid": 1.0}
    if all(w == 0 for w in weights.values()):
        r.fail("weights", "at least one source needs a non-zero weight")
    traffic = r.number("traffic", None, lo=0.0, hi=1.0)
    if traffic is None:
        r.fail("traffic", "required: the share of users in this variant (0..1)")
    return Variant(
        name=name,
        traffic=float(traffic),
        weights=weights,
        diversity_lambda=float(r.number("diversity_lambda", 0.7, lo=0.0, hi=1.0)),
        list_length=r.number("list_length", 10, lo=1, hi=MAX_LIST, integer=True),
    )


def parse_experiment(path: Path, data: Any) -> ExperimentConfig:
    r = _Reader(path, data, "", ("name", "salt", "variants"))
    name = r.text("name", path.stem)
    if len(name) > MAX_NAME:
        r.fail("name", f"longer than {MAX_NAME} characters")
    salt = r.text("salt")
    if salt is None:
        r.fail("salt", "required: a string that makes this experiment's assignment its own")
    raw = r.get("variants")
    if not isinstance(raw, list) or len(raw) < 2:
        r.fail("variants", "expected a list of at least two variants (the first is the control)")
    variants = tuple(_variant(path, v, f"variants[{n}]") for n, v in enumerate(raw))
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        r.fail("variants", f"variant names repeat: {names}")
    total = sum(v.traffic for v in variants)
    if abs(total - 1.0) > 1e-9:
        r.fail("variants", f"traffic shares add up to {total:g}, not 1")
    return ExperimentConfig(name=name, salt=salt, variants=variants, path=str(path))


def load_experiments(folder: Path | str | None = None) -> list[ExperimentConfig]:
    """Every ``*.yaml`` / ``*.yml`` experiment of ``folder`` (default ``SHIPPED_FOLDER``)."""
    folder = Path(folder) if folder else SHIPPED_FOLDER
    if not folder.is_dir():
        raise ConfigError(folder, "", "experiment folder does not exist")
    found: dict[str, ExperimentConfig] = {}
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        exp = parse_experiment(path, read_yaml(path))
        if exp.name in found:
            raise ConfigError(path, "name", f"{exp.name!r} is also in {found[exp.name].path}")
        found[exp.name] = exp
    return [found[n] for n in sorted(found)]
