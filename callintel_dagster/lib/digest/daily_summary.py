"""Daily summary per tenant: the strict JSON shape an LLM will fill, and an offline rules version.

The offline narrative is deterministic (same KPIs and calls in, same text out), so re-running a
day's partition never changes a digest that was already sent unless the data changed.
Thresholds below are deliberately simple; they decide what a manager reads first.
"""

from collections import Counter
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .picks import LOW_QUALITY, agent_of, best_call, low_quality_calls, quality

OFFLINE_SUMMARY_MODEL = "callintel-summary-rules-v1"
MAX_ITEMS = 5  # per list: a digest is read on a phone
GOOD_AVG_QUALITY, POOR_AVG_QUALITY = 75.0, 60.0
LOW_CONNECT_RATE = 0.4
NEGATIVE_SHARE_RISK = 0.25

_OBJECTION_ACTIONS = {
    "price": "Refresh the price-objection pitch (EMI, payment plans, value proof)",
    "competitor": "Prepare a short comparison against the competitors customers mention",
    "timing": "Offer a specific callback slot when customers say they are busy",
    "no_need": "Review lead targeting: many customers said they have no need",
    "authority": "Ask to include the decision maker in the next call",
    "trust": "Share reviews, references or credentials early in the call",
    "think_about_it": "Fix a concrete follow-up date when customers want to think it over",
    "other": "Review the 'other' objections for a pattern",
}


class DailySummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    headline: str = Field(min_length=1, max_length=300)
    wins: list[str]
    risks: list[str]
    actions: list[str]

    @field_validator("headline")
    @classmethod
    def _headline_one_line(cls, v: str) -> str:
        v = " ".join(v.split())
        if not v:
            raise ValueError("headline is blank")
        return v

    @field_validator("wins", "risks", "actions")
    @classmethod
    def _no_blank_items(cls, v: list[str]) -> list[str]:
        items = [" ".join(s.split()) for s in v]
        if not all(items):
            raise ValueError("list items must not be blank")
        return items


def format_day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"  # "Mon 3 Mar 2025"; %-d is not portable


def connect_rate(kpis: dict[str, Any]) -> float | None:
    """Connect rate as 0..1, whether the mart gives a fraction or a percentage."""
    rate, calls = kpis.get("connect_rate"), kpis.get("calls") or 0
    if not calls:
        return None  # 0 of 0 is not a 0% connect rate
    if rate is None:
        return (kpis.get("connected_calls") or 0) / calls
    return float(rate) / 100.0 if float(rate) > 1.0 else float(rate)


def clip_text(text: str, limit: int) -> str:
    """One line of at most `limit` characters, cut at a word boundary with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def _n(kpis: dict[str, Any], key: str) -> float:
    return float(kpis.get(key) or 0)


def _plural(n: float, word: str) -> str:
    return f"{n:.0f} {word}{'' if n == 1 else 's'}"


def _who(call: dict[str, Any]) -> str:
    contact = call.get("phone_e164") or call.get("call_id") or "unknown contact"
    return f"{contact} ({call.get('agent_name') or 'unassigned'})"


def _listing(calls: list[dict[str, Any]], limit: int = 3) -> str:
    shown = ", ".join(_who(c) for c in calls[:limit])
    return shown + (f" +{len(calls) - limit} more" if len(calls) > limit else "")


def _agents(calls: list[dict[str, Any]]) -> str:
    counts = Counter(c.get("agent_name") or "unassigned" for c in calls)
    return ", ".join(f"{a} ×{n}" if n > 1 else a for a, n in sorted(counts.items()))


def _headline(
    calls: float,
    booked: float,
    bought: int,
    rate: float | None,
    risks: list[str],
    avg_q: float | None,
) -> str:
    """Outcome first, then the top risk (or the quality): what a manager should see first."""
    outcomes = ([f"{booked:.0f} booked"] if booked else []) + (
        [f"{bought} purchased"] if bought else []
    )
    lead = (
        f"{' and '.join(outcomes)} from {_plural(calls, 'call')}"
        if outcomes
        else f"{_plural(calls, 'call')}, no bookings"
    )
    tail = (
        risks[0][0].lower() + risks[0][1:]
        if risks
        else f"avg quality {avg_q:.0f}"
        if avg_q is not None
        else f"{rate:.0%} connected"
        if rate is not None
        else ""
    )
    return f"{lead}; {tail}." if tail else f"{lead}."


def offline_daily_summary(
    tenant_name: str, day: date, kpis: dict[str, Any], notable_calls: list[dict[str, Any]]
) -> "DailySummary":
    """Rules-based summary of one tenant-day from the KPI mart row and its notable calls."""
    day_s = format_day(day)
    calls = _n(kpis, "calls")
    if calls == 0:
        return DailySummary(
            headline=f"No calls on {day_s}.",
            wins=[],
            risks=[f"No calls were logged for {tenant_name} that day."],
            actions=[f"If the team was dialling on {day_s}, check the call-source sync."],
        )

    booked, analysed = _n(kpis, "booked"), _n(kpis, "analysed_calls")
    rate = connect_rate(kpis)
    avg_q = kpis.get("avg_quality_score") if analysed else None  # 0 from an empty mart row
    avg_q = None if avg_q is None else float(avg_q)  # Decimal from PostgreSQL

    def with_status(*statuses: str) -> list[dict[str, Any]]:
        return [c for c in notable_calls if c.get("lead_status") in statuses]

    booked_calls = with_status("booked")
    bought = [
        c
        for c in notable_calls
        if c.get("lead_status") == "purchased" or c.get("contact_tag") == "purchased"
    ]
    best, low_q = best_call(notable_calls), low_quality_calls(notable_calls)
    negative = [c for c in notable_calls if c.get("sentiment_label") == "negative"]
    objections = Counter(o for c in notable_calls for o in (c.get("objections") or []))
    frequent = [(o, n) for o, n in sorted(objections.items(), key=lambda x: (-x[1], x[0])) if n > 1]

    wins: list[str] = []
    if booked:
        wins.append(
            f"{_plural(booked, 'booking')} made"
            + (f" ({_agents(booked_calls)})" if booked_calls else "")
        )
    if bought:
        wins.append(f"{_plural(len(bought), 'purchase')} closed ({_agents(bought)})")
    if _n(kpis, "qualified_leads"):
        wins.append(f"{_plural(_n(kpis, 'qualified_leads'), 'qualified lead')} identified")
    if best:
        wins.append(
            f"Best call: {agent_of(best)} scored "
            f"{quality(best):.0f}/100"
            + (f" ({clip_text(best['summary'], 120)})" if best.get("summary") else "")
        )
    if avg_q is not None and avg_q >= GOOD_AVG_QUALITY:
        wins.append(f"Team average quality {avg_q:.0f}/100")
    if analysed and _n(kpis, "positive_calls") / analysed >= 0.5:
        wins.append(f"{_n(kpis, 'positive_calls'):.0f} of {analysed:.0f} analysed calls positive")

    risks: list[str] = []
    neg = _n(kpis, "negative_calls")
    if analysed and neg and neg / analysed >= NEGATIVE_SHARE_RISK:
        risks.append(
            f"{_plural(neg, 'negative-sentiment call')} ({neg / analysed:.0%} of analysed)"
        )
    if rate is not None and rate < LOW_CONNECT_RATE:
        risks.append(
            f"Low connect rate: {rate:.0%} ({_n(kpis, 'connected_calls'):.0f} of "
            f"{calls:.0f} calls connected)"
        )
    if frequent:
        risks.append("Frequent objections: " + ", ".join(f"{o} ×{n}" for o, n in frequent[:3]))
    if low_q:
        risks.append(
            f"{_plural(len(low_q), 'call')} below {LOW_QUALITY:.0f}/100 quality: "
            + ", ".join(f"{agent_of(c)} ({quality(c):.0f})" for c in low_q[:3])
        )
    if avg_q is not None and avg_q < POOR_AVG_QUALITY:
        risks.append(f"Team average quality only {avg_q:.0f}/100")

    actions: list[str] = []
    follow = [
        c
        for c in notable_calls
        if c.get("lead_status") == "callback"
        or (c.get("contact_tag") == "follow_up" and c.get("lead_status") != "support")
    ]
    if follow:
        actions.append(f"Call back {_plural(len(follow), 'follow-up')}: {_listing(follow)}")
    if qualified := with_status("qualified"):
        actions.append(
            f"Push {_plural(len(qualified), 'qualified lead')} to a booking: {_listing(qualified)}"
        )
    if booked:
        actions.append(f"Confirm {_plural(booked, 'booking')} a day ahead to cut no-shows")
    if frequent:
        actions.append(_OBJECTION_ACTIONS.get(frequent[0][0], _OBJECTION_ACTIONS["other"]))
    if low_q or negative:
        review = list({str(c.get("call_id")): c for c in low_q + negative}.values())
        actions.append(f"Review and coach on {_plural(len(review), 'call')}: {_listing(review)}")
    if rate is not None and rate < LOW_CONNECT_RATE:
        actions.append("Check lead phone numbers and try different dialling hours")

    return DailySummary(
        headline=_headline(calls, booked, len(bought), rate, risks, avg_q),
        wins=wins[:MAX_ITEMS],
        risks=risks[:MAX_ITEMS],
        actions=actions[:MAX_ITEMS],
    )
