"""The daily WhatsApp digest: plain text with *bold* and • bullets, sized for one message.

When the text is too long, bullets are dropped from the bottom up, wins before risks before
actions, so each section keeps its first (most important) bullet longest; a section that lost
bullets says "…and N more". Lines are never cut in half. Length is counted in Python characters.

With explorer links (links.py) a bullet that names a call carries that call's page URL on a line
of its own below it, counted in the length; without links the text is exactly as before.

A customer's number is shown only as the tenant allows (`privacy.digest_numbers`, docs/privacy.md):
masked by default, `+91 ••••• •3210`, so a manager can tell calls apart, whole with `full`.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from callintel_dagster.privacy import mask_phone_for_digest
from callintel_dagster.privacy.masking import MASK

from .daily_summary import DailySummary, clip_text, connect_rate, format_day
from .links import CallLink, with_links

MAX_BULLET_CHARS = 280  # one runaway LLM bullet must not crowd out everything else
# Section order on screen; drop priority is the reverse (wins go first).
SECTIONS = (("wins", "Wins"), ("risks", "Risks"), ("actions", "Next actions"))


@dataclass(frozen=True)
class Digest:
    """A tenant-day's digest, rendered once and handed to every sender."""

    text: str  # what delivery.digests stores and the outbox writes
    facts: dict[str, str]  # what template variables can carry (template_values)
    links: tuple[CallLink, ...] = ()  # the calls the text links to (their ids and pages)
    media_url: str | None = None  # the week's KPI chart, as a signed explorer URL (chart.py)


def compose_digest(
    tenant_name: str,
    day: date,
    kpis: dict[str, Any],
    summary: DailySummary,
    links: Sequence[CallLink] = (),
    late: str | None = None,
    digest_numbers: str = "masked",
) -> Digest:
    """The digest text of one tenant-day and the facts its template variables can carry;
    `links`: the calls its bullets may link to (none: no links); `late`: when it was due, for a
    digest sent after its send time (e.g. "08:30 IST"); `digest_numbers`: the tenant's
    `privacy.digest_numbers`, how customers' numbers are shown (masked | full)."""
    summary = numbers_as_allowed(summary, digest_numbers)
    text = render_digest(tenant_name, day, kpis, summary, links=links, late=late)
    shown = tuple(lk for lk in links if lk.line in text.split("\n"))
    return Digest(text, template_values(tenant_name, day, kpis, summary, text), shown)


# an international number as a summary writes it: +919876543210, +91 98765 43210, +1 415-555-0123
_NUMBER = re.compile(r"\+\d(?:[ -]?\d){6,14}(?!\d)")


def numbers_as_allowed(summary: DailySummary, mode: str) -> DailySummary:
    """The summary with every phone number in it shown as `mode` (masked | full) allows."""
    if mode not in ("masked", "full"):
        raise ValueError(f"digest_numbers must be 'masked' or 'full', not {mode!r}")

    def shown(text: str) -> str:
        return _NUMBER.sub(lambda m: _shown_number(m.group(), mode), text)

    return summary.model_copy(
        update={
            "headline": shown(summary.headline),
            **{key: [shown(item) for item in getattr(summary, key)] for key, _ in SECTIONS},
        }
    )


def _shown_number(written: str, mode: str) -> str:
    e164 = "+" + "".join(c for c in written if c.isdigit())
    try:
        return mask_phone_for_digest(e164, mode)
    except ValueError:  # not a valid number: shown as written only when numbers may be
        return written if mode == "full" else "+" + MASK * max(len(e164) - 5, 1) + e164[-4:]


def _num(value: Any, fmt: str = ".0f") -> str:
    return "–" if value is None else format(float(value), fmt)


def kpi_line(kpis: dict[str, Any]) -> str:
    rate = connect_rate(kpis)
    quality = kpis.get("avg_quality_score") if kpis.get("analysed_calls") else None
    return " · ".join(
        [
            f"Calls {_num(kpis.get('calls') or 0)}",
            f"Connected {'–' if rate is None else f'{rate:.0%}'}",
            f"Talk {_num(kpis.get('talk_minutes') or 0)} min",
            f"Booked {_num(kpis.get('booked') or 0)}",
            f"Avg quality {_num(quality)}",
        ]
    )


def _render(header: list[str], bullets: dict[str, list[str]], kept: dict[str, int]) -> str:
    lines = list(header)
    for key, title in SECTIONS:
        items = bullets[key]
        if not items:
            continue
        lines += ["", f"*{title}*"] + [f"• {b}" for b in items[: kept[key]]]
        if kept[key] < len(items):
            lines.append(f"…and {len(items) - kept[key]} more")
    return "\n".join(lines)


def render_digest(
    tenant_name: str,
    day: date,
    kpis: dict[str, Any],
    summary: DailySummary,
    max_chars: int = 1600,
    links: Sequence[CallLink] = (),
    late: str | None = None,
) -> str:
    """WhatsApp digest text for one tenant-day, at most `max_chars` characters."""
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    header = [
        f"📊 *{clip_text(tenant_name, 80)} · {format_day(day)}*",
        *([f"⏰ _Sent late: this digest was due at {late}._"] if late else []),
        summary.headline,
        "",
        kpi_line(kpis),
    ]
    used: set[str] = set()  # a call is linked once, where it is first named
    bullets = {
        key: [
            with_links(clip_text(b, MAX_BULLET_CHARS), links, used) for b in getattr(summary, key)
        ]
        for key, _ in SECTIONS
    }
    kept = {key: len(items) for key, items in bullets.items()}
    # Drop order: deepest bullet index first; at equal depth wins, then risks, then actions.
    drop_order = sorted(
        (
            (i, rank, key)
            for rank, (key, _) in enumerate(SECTIONS)
            for i in range(len(bullets[key]))
        ),
        key=lambda x: (-x[0], x[1]),
    )
    text = _render(header, bullets, kept)
    for _, _, key in drop_order:
        if len(text) <= max_chars:
            return text
        kept[key] -= 1
        text = _render(header, bullets, kept)
    if len(text) <= max_chars:
        return text
    # Tiny limits only: whole lines off the end, then the first line clipped as a last resort.
    lines = text.split("\n")
    while len(lines) > 1 and (len("\n".join(lines)) > max_chars or not lines[-1]):
        lines.pop()
    return clip_text(lines[0], max_chars) if len(lines[0]) > max_chars else "\n".join(lines)


def template_values(
    tenant_name: str, day: date, kpis: dict[str, Any], summary: DailySummary, body: str
) -> dict[str, str]:
    """The digest facts a Twilio template variable can carry (TemplateValue in
    lib/tenants/digest_config.py), as display strings; lib/digest/parts.py makes them safe."""
    rate = connect_rate(kpis)
    quality = kpis.get("avg_quality_score") if kpis.get("analysed_calls") else None
    connected = _num(kpis.get("connected_calls") or 0)
    return {
        "tenant_name": tenant_name,
        "date": format_day(day),
        "headline": summary.headline,
        "calls": _num(kpis.get("calls") or 0),
        "connected": connected if rate is None else f"{connected} ({rate:.0%})",
        "avg_quality": _num(quality),
        "wins": "; ".join(summary.wins) or "none",
        "risks": "; ".join(summary.risks) or "none",
        "actions": "; ".join(summary.actions) or "none",
        "body": body,
    }
