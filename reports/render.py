"""The stakeholder HTML report of one pipeline run: run summary in, HTML out.

The page is self-contained (inline CSS, inline SVG charts, no scripts, no external URLs) so it
can be mailed, archived and printed without a network. Layout lives in
``templates/base.html.j2``; the run page is ``templates/run.html.j2``. Later features add a page
section by appending ``{"title", "html_template", "data"}`` to ``summary["sections"]``; the named
template is rendered with ``data`` in scope.
"""

from __future__ import annotations

import functools
import math
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import jinja2

from reports.sparkline import sparkline

TEMPLATES_DIR = Path(__file__).parent / "templates"
SAMPLE_RECOMMENDATIONS = 10
LIKED_SHOWN = 6

# A float check value whose name carries one of these reads as a share (0.032 -> "3.2%").
_SHARE_HINTS = ("share", "fraction", "ratio", "rate", "pct", "percent", "coverage")
# Run ids become file names in the archive; anything else could escape out_dir.
_SAFE_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_STATUS = {
    "published": ("Published", "ok"),
    "blocked": ("Blocked by checks", "warn"),
    "failed": ("Failed", "bad"),
}
_DASH = "\u2014"


def thousands(value: float | int | None, digits: int = 0) -> str:
    """``1234567`` -> ``"1,234,567"``; floats get ``digits`` decimals; None -> a dash."""
    if value is None:
        return _DASH
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if not math.isfinite(value):
        return str(value)
    return f"{value:,.{digits}f}"


def percent(share: float | None, digits: int = 1) -> str:
    """A share as a percentage: ``0.032`` -> ``"3.2%"``, ``0.0004`` -> ``"0.04%"``."""
    if share is None:
        return _DASH
    pct = share * 100
    if pct == 0 or not math.isfinite(pct):
        return f"{pct:g}%"
    # Below 1% fixed decimals would round small but real shares down to "0.0%".
    if abs(pct) < 1:
        return f"{pct:.2g}%"
    return f"{pct:,.{digits}f}%"


def decimal(value: float | None, digits: int = 3) -> str:
    """A metric with a fixed number of decimals: ``0.41234`` -> ``"0.412"``."""
    return _DASH if value is None else f"{value:,.{digits}f}"


def duration(seconds: float | None) -> str:
    """``4.2`` -> ``"4.2 s"``, ``125`` -> ``"2 min 05 s"``, ``7300`` -> ``"2 h 01 min"``."""
    if seconds is None:
        return _DASH
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def timestamp(iso: str | None) -> str:
    """``2024-05-01T12:03:04.5+00:00`` -> ``2024-05-01 12:03:04 UTC``; unparsable text as is."""
    if not iso:
        return _DASH
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    offset = moment.utcoffset()
    if offset is None:
        return text
    return f"{text} UTC" if not offset else f"{text} {moment.strftime('%z')}"


def render_run_report(summary: Mapping[str, Any]) -> str:
    """Render the run summary as one self-contained HTML page.

    Parameters
    ----------
    summary
        The run summary (see ``run.html.j2`` for what is shown). Stages that did not run may be
        None or empty and are explained on the page. Optional keys: ``sections`` (extra page
        sections) and ``n_users`` (else the row count of a table named ``users``).
    """
    return _environment().get_template("run.html.j2").render(_view(summary))


def write_run_report(summary: Mapping[str, Any], out_dir: Path) -> Path:
    """Write ``out_dir/index.html`` (the latest run) and ``out_dir/runs/<run_id>.html``.

    Returns the path of ``index.html``. Raises ValueError for a run id that is not a plain file
    name, so a crafted id cannot write outside ``out_dir``.
    """
    run_id = str(summary["run_id"])
    if not _SAFE_RUN_ID.match(run_id):
        raise ValueError(f"run_id {run_id!r} is not usable as a file name")
    html = render_run_report(summary)
    out_dir = Path(out_dir)
    _write_atomic(out_dir / "runs" / f"{run_id}.html", html)
    index = out_dir / "index.html"
    _write_atomic(index, html)
    return index


def _write_atomic(path: Path, text: str) -> None:
    # Whoever serves or opens index.html never sees a half-written page.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        thousands=thousands,
        percent=percent,
        decimal=decimal,
        duration=duration,
        timestamp=timestamp,
    )
    return env


def _step_rows(steps: list[dict], reused: list[dict]) -> list[dict[str, Any]]:
    """The ten longest steps, each marked when its output was reused from an earlier run."""
    from_run = {r["name"]: r["from_run"] for r in reused}
    return [
        {**s, "reused_from": from_run.get(s["step"])}
        for s in sorted(steps, key=lambda s: -s["seconds"])[:10]
    ]


def _view(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the template shows, derived once here so the template only lays it out."""
    status = summary.get("status") or "failed"
    status_label, status_kind = _STATUS.get(status, (str(status).title(), "bad"))
    history = summary.get("check_history") or {}
    checks = [
        {**_check_row(c), "trend": sparkline(history.get(f"{c['asset']}.{c['name']}", []))}
        for c in summary.get("checks") or []
    ]
    # Failing checks first: they are what a reader of a blocked run looks for.
    checks.sort(key=lambda c: c["passed"])
    tables = list(summary.get("tables") or [])
    table_rows = {t["name"]: t["rows"] for t in tables}
    quarantine = sorted(summary.get("quarantine") or [], key=lambda q: -q["rows"])
    data_rows = _data_rows(summary.get("rows_read") or {}, table_rows, quarantine)
    rows_read = sum(r["read"] for r in data_rows)
    quarantined = sum(q["rows"] for q in quarantine)
    ratings = next((r for r in data_rows if r["table"] == "ratings"), None)
    movies = next((r for r in data_rows if r["table"] == "movies"), None)
    model = summary.get("model")
    histogram = sorted(summary.get("rating_histogram") or [], key=lambda h: h["rating"])
    published = summary.get("published_version")
    shown_as_given = ("run_id", "job", "started_at", "finished_at", "home", "source", "ingest_run")
    return {
        **{key: summary.get(key) for key in shown_as_given},
        "elapsed": _elapsed(summary.get("started_at"), summary.get("finished_at")),
        "status": status,
        "status_label": status_label,
        "status_kind": status_kind,
        "published": published,
        "postgres_url": _redact_url(published["url"]) if published else None,
        "tables": tables,
        "steps": _step_rows(summary.get("steps") or [], summary.get("reused") or []),
        "reused": summary.get("reused") or [],
        "data_rows": data_rows,
        "n_users": summary.get("n_users", table_rows.get("users")),
        "n_movies": table_rows.get("movies", movies["accepted"] if movies else None),
        "ratings": ratings,
        "rows_read": rows_read,
        "quarantined": quarantined,
        "quarantine_share": quarantined / rows_read if rows_read else None,
        "quarantine": quarantine,
        "quarantine_chart": _bar_chart(
            [(q["reason"], q["rows"], thousands(q["rows"])) for q in quarantine]
        ),
        "histogram_chart": _bar_chart(
            [(f"{h['rating']:g} \u2605", h["count"], thousands(h["count"])) for h in histogram],
            label_width=56,
        ),
        "checks": checks,
        "checks_passed": sum(c["passed"] for c in checks),
        "blocking_failures": [c for c in checks if not c["passed"] and c["blocking"]],
        "warnings": [c for c in checks if not c["passed"] and not c["blocking"]],
        "model": model,
        "metrics": _metric_rows(model["metrics"]) if model else [],
        "params": [
            (k, _value_text("", v)) for k, v in sorted((model or {}).get("params", {}).items())
        ],
        "sample": [_sample_user(u) for u in summary.get("sample") or []],
        "sample_limit": SAMPLE_RECOMMENDATIONS,
        "sections": list(summary.get("sections") or []),
    }


def _data_rows(
    rows_read: Mapping[str, int], table_rows: Mapping[str, int], quarantine: Sequence[Mapping]
) -> list[dict[str, Any]]:
    rows = []
    for table, read in rows_read.items():
        held = sum(q["rows"] for q in quarantine if q["table"] == table)
        accepted = table_rows.get(table, read - held)
        share = held / read if read else None
        rows.append(dict(table=table, read=read, accepted=accepted, quarantined=held, share=share))
    return rows


def _check_row(check: Mapping[str, Any]) -> dict[str, Any]:
    name, value, threshold = check["name"], check.get("value"), check.get("threshold")
    passed = bool(check["passed"])
    if passed:
        outcome, kind = "Passed", "ok"
    elif not check.get("blocking") and check.get("severity") == "WARN":
        outcome, kind = "Warning", "warn"
    else:
        outcome, kind = "Failed", "bad"
    return {
        "asset": check.get("asset"),
        "name": name,
        "description": check.get("description") or "",
        "passed": passed,
        "blocking": bool(check.get("blocking")),
        "outcome": outcome,
        "kind": kind,
        "value_text": _value_text(name, value),
        "threshold_text": _value_text(name, threshold),
        "comparison": _comparison(value, threshold),
    }


def _value_text(name: str, value: Any) -> str:
    if value is None:
        return _DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return thousands(value)
    if isinstance(value, float):
        if 0 <= value <= 1 and any(hint in name.lower() for hint in _SHARE_HINTS):
            return percent(value)
        return _plain_number(value)
    return str(value)


def _plain_number(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 1 or value == 0:
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def _comparison(value: Any, threshold: Any) -> str:
    """The relation between value and threshold as a fact, since checks differ in direction."""
    numbers = (int, float)
    if not all(isinstance(v, numbers) and not isinstance(v, bool) for v in (value, threshold)):
        return "vs"
    return ">" if value > threshold else "<" if value < threshold else "="


def _metric_rows(metrics: Mapping[str, float]) -> list[dict[str, Any]]:
    rows = []
    for name, value in metrics.items():
        is_share = name == "coverage"
        text = percent(value) if is_share else decimal(value)
        bar = max(0.0, min(1.0, float(value))) if value is not None else 0.0
        rows.append({"name": name, "text": text, "bar": bar})
    return rows


def _sample_user(user: Mapping[str, Any]) -> dict[str, Any]:
    liked = list(user.get("liked") or [])
    recs = sorted(user.get("recommendations") or [], key=lambda r: r["rank"])
    return {
        "user_id": user["user_id"],
        "n_ratings": user.get("n_ratings"),
        "liked": liked[:LIKED_SHOWN],
        "liked_more": max(0, len(liked) - LIKED_SHOWN),
        "recommendations": recs[:SAMPLE_RECOMMENDATIONS],
    }


def _bar_chart(
    items: Sequence[tuple[str, float, str]], *, label_width: int = 190, width: int = 520
) -> dict[str, Any] | None:
    """Geometry of a horizontal bar chart: one ``(label, value, value_text)`` per bar."""
    if not items:
        return None
    bar_height, gap, top = 22, 8, 4
    value_room = 70
    peak = max(value for _, value, _ in items) or 1
    span = width - label_width - value_room
    bars = []
    for i, (label, value, text) in enumerate(items):
        short = label if len(label) <= 30 else label[:29] + "\u2026"
        bars.append(
            {
                "label": label,
                "short": short,
                "text": text,
                "y": top + i * (bar_height + gap),
                "w": max(1.0, span * value / peak) if value else 0.0,
            }
        )
    return {
        "width": width,
        "height": top * 2 + len(items) * (bar_height + gap) - gap,
        "label_width": label_width,
        "span": span,
        "bar_height": bar_height,
        "bars": bars,
    }


def _elapsed(started: str | None, finished: str | None) -> float | None:
    try:
        return (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
    except (TypeError, ValueError):
        return None


def _redact_url(url: str | None) -> str | None:
    """Hide a password in a database URL: the report is shared beyond the data team."""
    if not url:
        return url
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hostport}"))
