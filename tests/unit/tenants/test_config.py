"""Tenant and experiment files: the shipped ones load; every error names file, field, values."""

from __future__ import annotations

from pathlib import Path

import pytest

from ml.experiments.config import load_experiments
from ml.tenants.config import ConfigError, load_tenants, normalise_rating
from ml.tenants.profiles import profiles_frame, tenants_of


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_shipped_tenants_load_and_round_trip_through_their_table() -> None:
    tenants = load_tenants()
    names = [t.name for t in tenants]
    assert {"family", "cinephile", "mood"} <= set(names)
    family = next(t for t in tenants if t.name == "family")
    assert family.filters.max_age_rating == "PG" and family.filters.allow_unrated is False
    cinephile = next(t for t in tenants if t.name == "cinephile")
    assert cinephile.boosts.directors and cinephile.boosts.eras
    mood = next(t for t in tenants if t.name == "mood")
    assert mood.list_length <= 5 and mood.diversity_lambda < 0.5
    assert tenants_of(profiles_frame(tenants)) == tenants
    assert load_experiments()[0].control.name == "control"


@pytest.mark.parametrize(
    ("text", "field", "says"),
    [
        ("filters: {max_age_rating: PG-14}", "filters.max_age_rating", "G, PG, PG-13, R, NC-17"),
        ("filters: {exclude_genre: [Horror]}", "filters.exclude_genre", "allowed: allow_unrated"),
        ("filters: {exclude_genres: [Horor]}", "filters.exclude_genres", "'Horor' is not one of"),
        ("colour: red", "colour", "unknown key; allowed: boosts, branding"),
        ("source: als", "source", "'als' is not one of hybrid, model"),
        ("list_length: 0", "list_length", "outside 1..200"),
        ("list_length: ten", "list_length", "expected an integer"),
        ("diversity_lambda: 1.5", "diversity_lambda", "outside 0.0..1.0"),
        ("filters: {allow_unrated: yes please}", "filters.allow_unrated", "true or false"),
        ("filters: {year_min: 2000, year_max: 1990}", "filters.year_min", "after year_max"),
        ("boosts: {genres: {Drama: 9}}", "boosts.genres.Drama", "between -5 and 5"),
        ("boosts: {eras: [{from: 1950, to: 1940}]}", "boosts.eras[0].from", "after to"),
        ("boosts: {eras: [{start: 1950}]}", "boosts.eras[0].start", "allowed: from, to, weight"),
        ("branding: {name: X, primary_colour: red}", "branding.primary_colour", "hex colour"),
        ("branding: {name: X, accent_colour: '#12345'}", "branding.accent_colour", "hex colour"),
        ("users: [1, two]", "users", "'all' or a list of user ids"),
        ("users_file: missing.txt", "users_file", "does not exist"),
        ("- just a list", "(top level)", "expected a mapping"),
    ],
)
def test_errors_name_the_file_the_field_and_the_allowed_values(
    tmp_path: Path, text: str, field: str, says: str
) -> None:
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(ConfigError) as err:
        load_tenants(tmp_path)
    assert err.value.path == str(path) and err.value.field == field
    assert str(err.value).startswith(f"{path}: {field}: ") and says in str(err.value)


def test_invalid_yaml_duplicate_names_and_missing_folder(tmp_path: Path) -> None:
    write(tmp_path / "a", "x.yaml", "name: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_tenants(tmp_path / "a")
    write(tmp_path / "b", "one.yaml", "name: same")
    write(tmp_path / "b", "two.yml", "name: same")
    with pytest.raises(ConfigError, match="'same' is also in"):
        load_tenants(tmp_path / "b")
    with pytest.raises(ConfigError, match="does not exist"):
        load_tenants(tmp_path / "nowhere")


def test_users_from_a_file_and_name_defaults_to_the_file(tmp_path: Path) -> None:
    write(tmp_path, "ids.txt", "# served users\n3\n1\n\n3\n")
    write(tmp_path, "club.yaml", "users_file: ids.txt")
    (tenant,) = load_tenants(tmp_path)
    assert tenant.name == "club" and tenant.users == (1, 3)
    write(tmp_path, "ids.txt", "1\nx\n")
    with pytest.raises(ConfigError, match="ids.txt line 2: 'x' is not a user id"):
        load_tenants(tmp_path)


def test_experiment_errors(tmp_path: Path) -> None:
    base = "name: e\nsalt: s\nvariants:\n"
    cases = {
        "traffic shares add up to 0.9": base
        + "  - {name: a, traffic: 0.5}\n  - {name: b, traffic: 0.4}",
        "variant names repeat": base + "  - {name: a, traffic: 0.5}\n  - {name: a, traffic: 0.5}",
        "at least two variants": base + "  - {name: a, traffic: 1.0}",
        "'cf' is not one of hybrid, model": base
        + "  - {name: a, traffic: 0.5, weights: {cf: 1}}\n  - {name: b, traffic: 0.5}",
        "salt: required": "name: e\nvariants: []",
    }
    for n, (says, text) in enumerate(cases.items()):
        folder = tmp_path / str(n)
        write(folder, "e.yaml", text)
        with pytest.raises(ConfigError, match=says):
            load_experiments(folder)


def test_age_ratings_normalise_old_labels_and_unknowns() -> None:
    assert [normalise_rating(x) for x in ("G", "GP", "M/PG", "pg-13", "X")] == [
        "G",
        "PG",
        "PG",
        "PG-13",
        "NC-17",
    ]
    assert normalise_rating(None) is None and normalise_rating("Not Rated") is None
