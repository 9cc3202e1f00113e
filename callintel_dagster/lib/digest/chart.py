"""The week's KPI chart the digest carries as an image: calls, connected rate, average quality
and bookings for the 7 local days ending on the digest's day, drawn for a phone screen.

1080 × 1350 px (WhatsApp shows a 4:5 image full width), large type, one panel per KPI with each
day's value written on it, so nothing needs zooming. matplotlib's object API with the Agg canvas:
no pyplot global state, safe in a threaded run."""

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .daily_summary import clip_text, connect_rate, format_day
from .kpis import kpis_for

CHART_NAME = "kpi_week.png"  # beside the digest in the outbox: <outbox>/<tenant>/<day>/
WIDTH_PX, HEIGHT_PX, DPI = 1080, 1350, 100
WEEK = 7
BLUE, GREEN, ORANGE, GREY = "#1f6feb", "#1a7f37", "#bc4c00", "#57606a"


def week_days(day: date) -> list[date]:
    """The 7 local days ending on `day`, oldest first."""
    return [day - timedelta(days=WEEK - 1 - i) for i in range(WEEK)]


def week_series(frame: pd.DataFrame, days: list[date]) -> dict[str, list[float | None]]:
    """Each day's calls, connected rate (%), average quality and bookings from KPI mart rows;
    a day without a row has no calls, and a day without analysed calls no quality."""
    on = pd.to_datetime(frame["partition_date"]).dt.date if len(frame) else pd.Series([])
    series: dict[str, list[float | None]] = {"calls": [], "connected": [], "quality": []}
    series["booked"] = []
    for day in days:
        kpis = kpis_for(frame[(on == day).to_numpy()] if len(frame) else frame)
        rate = connect_rate(kpis)
        quality = kpis.get("avg_quality_score") if kpis.get("analysed_calls") else None
        series["calls"].append(float(kpis.get("calls") or 0))
        series["connected"].append(None if rate is None else 100.0 * rate)
        series["quality"].append(None if quality is None else float(quality))
        series["booked"].append(float(kpis.get("booked") or 0))
    return series


def _panel(ax, labels: list[str], values: list[float | None], title: str, color: str, kind: str):
    x = list(range(len(labels)))  # positions, not categories: an all-gap line still draws
    ax.set_xticks(x, labels)
    ax.set_title(title, loc="left", fontsize=30, fontweight="bold", color="#24292f", pad=12)
    ax.tick_params(axis="x", labelsize=22, length=0)
    ax.tick_params(axis="y", left=False, labelleft=False)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    shown = [0.0 if v is None else v for v in values]
    top = max([*shown, 1.0])
    if kind == "bar":
        bars = ax.bar(x, shown, color=color, width=0.65, alpha=0.45)
        bars[-1].set_alpha(1.0)  # the digest's own day stands out
        ax.set_ylim(0, top * 1.35)
    else:  # a percentage line; a day without data is a gap, not a zero
        ax.plot(x, [float("nan") if v is None else v for v in values], color=color, lw=5)
        ax.scatter(x, [float("nan") if v is None else v for v in values], color=color, s=140)
        ax.set_ylim(0, 125)
    ax.set_xlim(-0.5, len(x) - 0.5)
    for i, v in enumerate(values):
        label = "–" if v is None else (f"{v:.0f}%" if kind == "line%" else f"{v:.0f}")
        ax.annotate(
            label,
            (i, 0.0 if v is None else v),
            xytext=(0, 10),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=22,
            fontweight="bold",
            color=GREY if v is None else "#24292f",
        )


def render_week_chart(tenant_name: str, day: date, frame: pd.DataFrame, path: Path) -> Path:
    """Draw the week ending on `day` from its KPI mart rows into the PNG at `path` (replaced
    atomically, so a sender never reads half a file)."""
    days = week_days(day)
    series = week_series(frame, days)
    labels = [f"{d:%a} {d.day}" for d in days]
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    # the name on a line of its own: a long one must not push the date off the image
    ink = "#24292f"
    fig.text(
        0.04, 0.975, clip_text(tenant_name, 36), va="top", fontsize=32, weight="bold", color=ink
    )
    fig.text(0.04, 0.935, f"Week to {format_day(day)}", va="top", fontsize=24, color=GREY)
    axes = fig.subplots(4, 1)
    _panel(axes[0], labels, series["calls"], "Calls", BLUE, "bar")
    _panel(axes[1], labels, series["connected"], "Connected rate", GREEN, "line%")
    _panel(axes[2], labels, series["quality"], "Avg quality (of 100)", ORANGE, "line")
    _panel(axes[3], labels, series["booked"], "Bookings", BLUE, "bar")
    fig.subplots_adjust(left=0.04, right=0.97, top=0.86, bottom=0.04, hspace=0.62)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fig.savefig(tmp, format="png", dpi=DPI)
    tmp.replace(path)
    return path
