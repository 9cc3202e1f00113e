"""The pages' Jinja2 environment and its display filters (numbers, durations, moments, «marks»).

Autoescape is on for every .html template; `marked` escapes the snippet first and only then turns
search's «match» markers into <mark> tags, so text from a transcript can never become markup.
"""

from datetime import date, datetime
from pathlib import Path

from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from callintel_dagster.lib.transcripts.moments import mm_ss

DASH = "—"


def fmt(value, digits: int = 0) -> str:
    """A number with `digits` decimals and thousands separators; a dash for none."""
    if value is None or value != value:  # None or NaN
        return DASH
    try:
        return f"{float(value):,.{digits}f}"
    except (TypeError, ValueError):
        return str(value)


def duration(seconds) -> str:
    """4:05 for 245 s, 1:02:03 past the hour."""
    if seconds is None or seconds != seconds:
        return DASH
    total = int(round(float(seconds)))
    hours, rest = divmod(total, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def minutes(value) -> str:
    if value is None:
        return DASH
    value = float(value)
    return f"{value:,.0f} min" if value < 120 else f"{value / 60:,.1f} h"


def when(value) -> str:
    """A timestamp to the minute ("2026-11-24 09:41")."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:16].replace("T", " ") if value else DASH


def value(v, missing: str = DASH) -> str:
    """Any stored value as a person reads it: yes/no, whole numbers without decimals."""
    if v is None or v != v:
        return missing
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return fmt(v, 0 if v.is_integer() else 2)
    if isinstance(v, datetime | date):
        return when(v)
    return str(v)


def marked(snippet: str | None) -> Markup:
    text = str(escape(snippet or ""))
    return Markup(text.replace("«", "<mark>").replace("»", "</mark>"))


def kpi_totals(days: list[dict]) -> dict[str, str]:
    """The range's headline figures for the KPI cards."""
    calls = sum(d["calls"] or 0 for d in days)
    connected = sum(d["connected"] or 0 for d in days)
    quality = [(d["avg_quality"], d["calls"]) for d in days if d["avg_quality"] is not None]
    weight = sum(n for _, n in quality)
    return {
        "calls": fmt(calls),
        "connected_rate": f"{connected / calls:.0%}" if calls else "—",
        "talk_minutes": fmt(sum(d["talk_minutes"] or 0 for d in days)),
        "avg_quality": fmt(sum(q * n for q, n in quality) / weight, 1) if weight else "—",
        "booked": fmt(sum(d["booked"] or 0 for d in days)),
        "ai_cost_usd": "$" + fmt(sum(d["ai_cost_usd"] or 0 for d in days), 2),
    }


templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters.update(
    fmt=fmt, value=value, duration=duration, minutes=minutes, when=when, marked=marked, moment=mm_ss
)


def describe(detail) -> str:
    """An error detail (a sentence, or [{param, reason}]) as one sentence."""
    if isinstance(detail, list):
        return "; ".join(f"{p.get('param')}: {p.get('reason')}" for p in detail if p)
    return str(detail)


def as_date(value) -> date | None:
    """A date from a warehouse value (date, timestamp or ISO text); None for nothing."""
    if isinstance(value, datetime):
        return value.date()
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10]) if str(value) else None
