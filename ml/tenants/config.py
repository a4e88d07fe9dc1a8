"""Tenant configuration: one YAML file per tenant, validated with errors that name the file,
the field and the allowed values; an unknown key is an error, never ignored.

A file looks like ``tenants/family.yaml`` in the repository::

    name: family
    source: hybrid            # hybrid (the re-ranker) or model (the selected CF model alone)
    list_length: 10
    diversity_lambda: 0.7     # MMR trade-off; 1 = relevance order
    users: all                # or a list of user ids, or users_file: ids.txt (one per line)
    filters: {max_age_rating: PG, allow_unrated: false, exclude_genres: [Horror]}
    boosts: {genres: {Animation: 0.5}, eras: [{from: 1930, to: 1969, weight: 0.4}]}
    branding: {name: Family Night, primary_colour: "#1f6feb", accent_colour: "#f2cc60"}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The folder of tenant files shipped with the repository; the default run uses it.
SHIPPED_FOLDER = Path(__file__).resolve().parents[2] / "tenants"

#: US age ratings in increasing order; OMDb's older labels map onto them.
AGE_RATINGS = ("G", "PG", "PG-13", "R", "NC-17")
RATING_ALIASES = {"GP": "PG", "M": "PG", "M/PG": "PG", "X": "NC-17"}
SOURCES = ("hybrid", "model")
#: MovieLens genre names (the ``movies`` table's vocabulary).
GENRES = (
    "Action",
    "Adventure",
    "Animation",
    "Children",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "IMAX",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
    "(no genres listed)",
)
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_NAME = 48
MAX_LIST = 200


class ConfigError(ValueError):
    """A tenant or experiment file is invalid: ``str()`` is ``file: field: what is wrong``."""

    def __init__(self, path: Path | str, field_name: str, message: str):
        self.path, self.field, self.message = str(path), field_name, message
        super().__init__(f"{path}: {field_name}: {message}" if field_name else f"{path}: {message}")


def normalise_rating(label: str | None) -> str | None:
    """An OMDb ``Rating`` as one of ``AGE_RATINGS``; None when unknown (null, "Not Rated")."""
    if label is None:
        return None
    label = label.strip().upper()
    label = RATING_ALIASES.get(label, label)
    return label if label in AGE_RATINGS else None


@dataclass(frozen=True)
class Era:
    start: int
    end: int
    weight: float


@dataclass(frozen=True)
class Filters:
    max_age_rating: str | None = None
    allow_unrated: bool = False
    exclude_genres: tuple[str, ...] = ()
    exclude_languages: tuple[str, ...] = ()
    exclude_countries: tuple[str, ...] = ()
    year_min: int | None = None
    year_max: int | None = None
    min_ratings: int = 0


@dataclass(frozen=True)
class Boosts:
    genres: dict[str, float] = field(default_factory=dict)
    eras: tuple[Era, ...] = ()
    directors: dict[str, float] = field(default_factory=dict)
    awards: float = 0.0
    critics: float = 0.0


@dataclass(frozen=True)
class Branding:
    name: str
    primary_colour: str = "#1f3a5f"
    accent_colour: str = "#c8553d"
    tagline: str = ""


@dataclass(frozen=True)
class TenantConfig:
    """One tenant. ``users`` None means every user with ratings."""

    name: str
    path: str
    source: str = "hybrid"
    list_length: int = 10
    diversity_lambda: float = 0.7
    users: tuple[int, ...] | None = None
    filters: Filters = field(default_factory=Filters)
    boosts: Boosts = field(default_factory=Boosts)
    branding: Branding | None = None

    def display_name(self) -> str:
        return self.branding.name if self.branding else self.name


class _Reader:
    """Typed access to one mapping of a file, tracking the dotted field path for errors."""

    def __init__(self, path: Path, data: Any, where: str, allowed: tuple[str, ...]):
        self.path, self.where = path, where
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(
                path, where or "(top level)", f"expected a mapping, got {_kind(data)}"
            )
        unknown = sorted(str(k) for k in data if k not in allowed)
        if unknown:
            raise ConfigError(
                path, self.field(unknown[0]), f"unknown key; allowed: {', '.join(sorted(allowed))}"
            )
        self.data = data

    def field(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, message: str):
        raise ConfigError(self.path, self.field(key), message)

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def number(self, key, default, *, lo=None, hi=None, integer=False):
        value = self.data.get(key, default)
        if value is None:
            return None
        ok = isinstance(value, int) if integer else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok:
            self.fail(key, f"expected {'an integer' if integer else 'a number'}, got {value!r}")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            self.fail(key, f"{value!r} is outside {lo}..{hi}")
        return value

    def boolean(self, key, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false, got {value!r}")
        return value

    def text(self, key, default=None, *, choices: tuple[str, ...] | None = None) -> str | None:
        value = self.data.get(key, default)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"expected a non-empty string, got {value!r}")
        if choices is not None and value not in choices:
            self.fail(key, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def strings(self, key, *, choices: tuple[str, ...] | None = None) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, f"expected a list of strings, got {value!r}")
        for v in value:
            if choices is not None and v not in choices:
                self.fail(key, f"{v!r} is not one of {', '.join(choices)}")
        return tuple(value)

    def weights(self, key, *, choices: tuple[str, ...] | None = None) -> dict[str, float]:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            self.fail(key, f"expected a mapping of name: weight, got {value!r}")
        out = {}
        for name, w in value.items():
            if choices is not None and name not in choices:
                self.fail(f"{key}.{name}", f"{name!r} is not one of {', '.join(choices)}")
            if isinstance(w, bool) or not isinstance(w, (int, float)) or not -5 <= w <= 5:
                self.fail(f"{key}.{name}", f"expected a weight between -5 and 5, got {w!r}")
            out[str(name)] = float(w)
        return out


def _kind(value: Any) -> str:
    return type(value).__name__


def _filters(path: Path, data: Any) -> Filters:
    r = _Reader(path, data, "filters", tuple(Filters.__dataclass_fields__))
    year_min = r.number("year_min", None, lo=1870, hi=2100, integer=True)
    year_max = r.number("year_max", None, lo=1870, hi=2100, integer=True)
    if year_min is not None and year_max is not None and year_min > year_max:
        r.fail("year_min", f"{year_min} is after year_max {year_max}")
    return Filters(
        max_age_rating=r.text("max_age_rating", choices=AGE_RATINGS),
        allow_unrated=r.boolean("allow_unrated", False),
        exclude_genres=r.strings("exclude_genres", choices=GENRES),
        exclude_languages=r.strings("exclude_languages"),
        exclude_countries=r.strings("exclude_countries"),
        year_min=year_min,
        year_max=year_max,
        min_ratings=r.number("min_ratings", 0, lo=0, integer=True),
    )


def _boosts(path: Path, data: Any) -> Boosts:
    r = _Reader(path, data, "boosts", ("genres", "eras", "directors", "awards", "critics"))
    eras_raw = r.get("eras", [])
    if not isinstance(eras_raw, list):
        r.fail("eras", f"expected a list of {{from, to, weight}}, got {eras_raw!r}")
    eras = []
    for n, era in enumerate(eras_raw):
        e = _Reader(path, era, f"boosts.eras[{n}]", ("from", "to", "weight"))
        start = e.number("from", 1870, lo=1870, hi=2100, integer=True)
        end = e.number("to", 2100, lo=1870, hi=2100, integer=True)
        if start > end:
            e.fail("from", f"{start} is after to {end}")
        eras.append(Era(start, end, float(e.number("weight", None, lo=-5, hi=5) or 0.0)))
    return Boosts(
        genres=r.weights("genres", choices=GENRES),
        eras=tuple(eras),
        directors=r.weights("directors"),
        awards=float(r.number("awards", 0.0, lo=-5, hi=5)),
        critics=float(r.number("critics", 0.0, lo=-5, hi=5)),
    )


def _branding(path: Path, data: Any, default_name: str) -> Branding | None:
    if data is None:
        return None
    r = _Reader(path, data, "branding", tuple(Branding.__dataclass_fields__))
    colours = {}
    for key in ("primary_colour", "accent_colour"):
        value = r.get(key, getattr(Branding, key))
        if not isinstance(value, str) or not _HEX.match(value):
            r.fail(key, f"{value!r} is not a hex colour like #1f6feb")
        colours[key] = value.lower()
    name = r.text("name", default_name)
    tagline = r.text("tagline", "") if r.get("tagline") else ""
    return Branding(name=name, tagline=tagline or "", **colours)


def _users(path: Path, r: _Reader) -> tuple[int, ...] | None:
    users, users_file = r.get("users", "all"), r.get("users_file")
    if users_file is not None:
        if r.get("users", "all") != "all":
            r.fail("users_file", "give either users or users_file, not both")
        if not isinstance(users_file, str):
            r.fail("users_file", f"expected a file name, got {users_file!r}")
        file = (path.parent / users_file).resolve()
        if not file.is_file():
            r.fail("users_file", f"{file} does not exist")
        lines = [ln.strip() for ln in file.read_text().splitlines()]
        ids = []
        for n, line in enumerate(lines, start=1):
            if line and not line.startswith("#"):
                if not re.fullmatch(r"\d+", line):
                    r.fail("users_file", f"{file.name} line {n}: {line!r} is not a user id")
                ids.append(int(line))
        return tuple(sorted(set(ids)))
    if users == "all":
        return None
    if not isinstance(users, list) or not all(
        isinstance(u, int) and not isinstance(u, bool) for u in users
    ):
        r.fail("users", f"expected 'all' or a list of user ids, got {users!r}")
    return tuple(sorted(set(users)))


TOP_KEYS = (
    "name",
    "source",
    "list_length",
    "diversity_lambda",
    "users",
    "users_file",
    "filters",
    "boosts",
    "branding",
)


def parse_tenant(path: Path, data: Any) -> TenantConfig:
    """One tenant from the parsed YAML ``data`` of ``path``."""
    r = _Reader(path, data, "", TOP_KEYS)
    name = r.text("name", path.stem)
    if len(name) > MAX_NAME:
        r.fail("name", f"longer than {MAX_NAME} characters")
    return TenantConfig(
        name=name,
        path=str(path),
        source=r.text("source", "hybrid", choices=SOURCES),
        list_length=r.number("list_length", 10, lo=1, hi=MAX_LIST, integer=True),
        diversity_lambda=float(r.number("diversity_lambda", 0.7, lo=0.0, hi=1.0)),
        users=_users(path, r),
        filters=_filters(path, r.get("filters")),
        boosts=_boosts(path, r.get("boosts")),
        branding=_branding(path, r.get("branding"), name),
    )


def read_yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ConfigError(path, "", f"not valid YAML: {err}") from None
    except UnicodeDecodeError:
        raise ConfigError(path, "", "not UTF-8 text") from None


def load_tenants(folder: Path | str | None = None) -> list[TenantConfig]:
    """Every ``*.yaml`` / ``*.yml`` tenant of ``folder`` (default ``SHIPPED_FOLDER``), by name.

    Raises
    ------
    ConfigError
        On the first invalid file (naming the file, the field and the allowed values), on
        two files with the same tenant name, and on a missing folder.
    """
    folder = Path(folder) if folder else SHIPPED_FOLDER
    if not folder.is_dir():
        raise ConfigError(folder, "", "tenant folder does not exist")
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    tenants: dict[str, TenantConfig] = {}
    for path in files:
        tenant = parse_tenant(path, read_yaml(path))
        if tenant.name in tenants:
            raise ConfigError(
                path, "name", f"{tenant.name!r} is also in {tenants[tenant.name].path}"
            )
        tenants[tenant.name] = tenant
    return [tenants[n] for n in sorted(tenants)]
