"""Checks on the per-tenant lists: nothing a tenant's filters exclude, and every served
user's list complete or saying why it is short.

The filters are re-read here row by row from the tenant config and the movie facts, apart
from ``ml.tenants.facts.exclusion_reasons`` that built the lists, so a bug there shows up.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from ml.tenants.config import AGE_RATINGS, Filters, TenantConfig
from quality.result import CheckResult

EXAMPLES = 5


def violation(fact: dict | None, f: Filters) -> str | None:
    """Why ``f`` forbids the movie with facts ``fact`` (None: it passes); no facts at all fail
    every filter that needs one."""
    fact = fact or {}
    rating = fact.get("age_rating")
    if f.max_age_rating is not None:
        if rating is None and not f.allow_unrated:
            return "age rating unknown"
        if rating is not None and AGE_RATINGS.index(rating) > AGE_RATINGS.index(f.max_age_rating):
            return f"rated {rating}"
    genres = set(fact.get("genres") or [])
    if genres & set(f.exclude_genres):
        return f"genre {sorted(genres & set(f.exclude_genres))[0]}"
    if fact.get("language") in set(f.exclude_languages):
        return f"language {fact['language']}"
    countries = set(fact.get("countries") or [])
    if countries & set(f.exclude_countries):
        return f"country {sorted(countries & set(f.exclude_countries))[0]}"
    year = fact.get("year")
    if (f.year_min is not None or f.year_max is not None) and year is None:
        return "release year unknown"
    if f.year_min is not None and year < f.year_min:
        return f"released {year}"
    if f.year_max is not None and year > f.year_max:
        return f"released {year}"
    if f.min_ratings and (fact.get("n_ratings") or 0) < f.min_ratings:
        return f"{fact.get('n_ratings') or 0} ratings"
    return None


def no_excluded_movies(
    lists: pl.DataFrame, facts: pl.DataFrame, tenants: Sequence[TenantConfig]
) -> CheckResult:
    """``lists``: tenant, user_id, item_id; ``facts``: ``ml.tenants.facts.FACTS_SCHEMA``."""
    by_item = {r["item_id"]: r for r in facts.iter_rows(named=True)}
    configs = {t.name: t for t in tenants}
    bad, unknown = [], sorted(set(lists["tenant"].unique()) - set(configs))
    for tenant, user, item in lists.select("tenant", "user_id", "item_id").iter_rows():
        if tenant in configs:
            why = violation(by_item.get(item), configs[tenant].filters)
            if why is not None:
                bad.append({"tenant": tenant, "user_id": user, "item_id": item, "why": why})
    return CheckResult(
        passed=not bad and not unknown,
        value=len(bad),
        threshold=0,
        details={
            "rows_checked": lists.height,
            "violations": len(bad),
            "examples": bad[:EXAMPLES],
            "lists_of_unconfigured_tenants": unknown,
        },
    )


def lists_complete_or_explained(
    lists: pl.DataFrame,
    status: pl.DataFrame,
    tenants: Sequence[TenantConfig],
    user_ids: Sequence[int],
) -> CheckResult:
    """Every user a tenant serves has a status row; its list has ``list_length`` distinct
    titles ranked 1..n, or fewer and a non-empty ``short_reason``; counts agree."""
    problems: list[dict] = []
    counts = {
        (t, u): (n, n_items, ranks)
        for t, u, n, n_items, ranks in lists.group_by("tenant", "user_id")
        .agg(pl.len(), pl.col("item_id").n_unique(), pl.col("rank").sort())
        .iter_rows()
    }
    rows = {(r["tenant"], r["user_id"]): r for r in status.iter_rows(named=True)}
    short = 0
    for tenant in tenants:
        served = tenant.users if tenant.users is not None else user_ids
        for user in served:
            row = rows.get((tenant.name, int(user)))
            n, distinct, ranks = counts.get((tenant.name, int(user)), (0, 0, []))
            if row is None:
                problems.append({"tenant": tenant.name, "user_id": int(user), "why": "no status"})
                continue
            reason = row["short_reason"] or ""
            why = None
            if n != row["n_items"]:
                why = f"status says {row['n_items']} items, the list has {n}"
            elif distinct != n or list(ranks) != list(range(1, n + 1)):
                why = "duplicate titles or ranks not 1..n"
            elif n > tenant.list_length:
                why = f"{n} items, longer than {tenant.list_length}"
            elif n < tenant.list_length and not reason.strip():
                why = f"{n} of {tenant.list_length} items and no reason given"
            short += n < tenant.list_length
            if why:
                problems.append({"tenant": tenant.name, "user_id": int(user), "why": why})
    return CheckResult(
        passed=not problems,
        value=len(problems),
        threshold=0,
        details={
            "lists_checked": status.height,
            "short_lists_with_reason": int(short),
            "examples": problems[:EXAMPLES],
        },
    )


def assignment_balanced(
    assignments: pl.DataFrame, traffic: dict[str, dict[str, float]], user_ids: Sequence[int]
) -> CheckResult:
    """Every user in exactly one variant of each experiment, and each variant's share within
    4 standard errors of its configured traffic (a binomial proportion)."""
    worst, problems = 0.0, []
    n_users = len(set(int(u) for u in user_ids))
    for experiment, shares in traffic.items():
        rows = assignments.filter(pl.col("experiment") == experiment)
        if rows["user_id"].n_unique() != rows.height or rows.height != n_users:
            problems.append(f"{experiment}: {rows.height} rows for {n_users} users")
        counts = dict(rows.group_by("variant").len().iter_rows())
        for variant, share in shares.items():
            se = max((share * (1 - share) / max(n_users, 1)) ** 0.5, 1e-12)
            z = abs(counts.get(variant, 0) / max(n_users, 1) - share) / se
            worst = max(worst, z)
            if z > 4:
                problems.append(f"{experiment}/{variant}: share {z:.1f} standard errors off")
    return CheckResult(
        passed=not problems,
        value=round(worst, 3),
        threshold=4.0,
        details={"users": n_users, "problems": problems[:EXAMPLES]},
    )
