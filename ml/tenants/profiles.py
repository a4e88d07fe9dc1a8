"""Tenant configs as a table (``tenant_profiles``): branding, recipe, and the config as JSON,
so the configs travel between assets as data and read back exactly."""

from __future__ import annotations

import dataclasses
import json

import polars as pl

from ml.tenants.config import Boosts, Branding, Era, Filters, TenantConfig


def to_record(tenant: TenantConfig) -> dict:
    """A JSON-able dict of ``tenant``; ``from_record`` reads it back."""
    return dataclasses.asdict(tenant)


def from_record(data: dict) -> TenantConfig:
    d = dict(data)
    f = dict(d["filters"])
    for key in ("exclude_genres", "exclude_languages", "exclude_countries"):
        f[key] = tuple(f[key])
    b = dict(d["boosts"])
    b["eras"] = tuple(Era(**e) for e in b["eras"])
    d["filters"], d["boosts"] = Filters(**f), Boosts(**b)
    d["branding"] = Branding(**d["branding"]) if d.get("branding") else None
    d["users"] = tuple(d["users"]) if d.get("users") is not None else None
    return TenantConfig(**d)


def profiles_frame(tenants: list[TenantConfig]) -> pl.DataFrame:
    """One row per tenant: branding, recipe, and the whole config as JSON (``config``)."""
    rows = []
    for t in tenants:
        record = to_record(t)
        brand = t.branding or Branding(name=t.name)
        rows.append(
            {
                "tenant": t.name,
                "display_name": brand.name,
                "tagline": brand.tagline,
                "primary_colour": brand.primary_colour,
                "accent_colour": brand.accent_colour,
                "source": t.source,
                "list_length": t.list_length,
                "diversity_lambda": t.diversity_lambda,
                "users_served": "all" if t.users is None else f"{len(t.users)} listed",
                "filters": json.dumps(record["filters"], sort_keys=True),
                "boosts": json.dumps(record["boosts"], sort_keys=True),
                "config": json.dumps(record, sort_keys=True),
            }
        )
    schema = {
        "tenant": pl.String,
        "display_name": pl.String,
        "tagline": pl.String,
        "primary_colour": pl.String,
        "accent_colour": pl.String,
        "source": pl.String,
        "list_length": pl.Int32,
        "diversity_lambda": pl.Float64,
        "users_served": pl.String,
        "filters": pl.String,
        "boosts": pl.String,
        "config": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def tenants_of(profiles: pl.DataFrame) -> list[TenantConfig]:
    """The configs back from ``profiles_frame``."""
    return [from_record(json.loads(c)) for c in profiles["config"]]
