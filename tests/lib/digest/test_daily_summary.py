from datetime import date

import pytest
from pydantic import ValidationError

from callintel_dagster.lib.digest.daily_summary import (
    OFFLINE_SUMMARY_MODEL,
    DailySummary,
    connect_rate,
    format_day,
    offline_daily_summary,
)

DAY = date(2025, 3, 3)  # a Monday
KPIS = {
    "calls": 40,
    "connected_calls": 14,
    "connect_rate": 0.35,
    "talk_minutes": 62.4,
    "avg_duration_seconds": 93.6,
    "analysed_calls": 12,
    "positive_calls": 4,
    "neutral_calls": 4,
    "negative_calls": 4,
    "avg_quality_score": 68.25,
    "new_leads": 9,
    "qualified_leads": 2,
    "booked": 2,
}
ZERO = {k: 0 for k in KPIS}


def notable(cid, agent, phone, tag, status, sentiment, quality, objections=(), summary="x"):
    return {
        "call_id": cid,
        "agent_name": agent,
        "phone_e164": phone,
        "contact_tag": tag,
        "lead_status": status,
        "sentiment_label": sentiment,
        "quality_score": quality,
        "summary": summary,
        "objections": list(objections),
    }


CALLS = [
    notable(
        "c1",
        "Ravi",
        "+919800000001",
        "interested",
        "booked",
        "positive",
        92.0,
        ["price"],
        "Booking confirmed for Saturday.",
    ),
    notable("c2", "Asha", "+919800000002", "interested", "booked", "positive", 80.0),
    notable(
        "c3", "Ravi", "+919800000003", "follow_up", "callback", "neutral", 70.0, ["price", "timing"]
    ),
    notable(
        "c4",
        "Asha",
        "+919800000004",
        "follow_up",
        "callback",
        "negative",
        45.0,
        ["price", "timing"],
    ),
    notable(
        "c5", "Vikram", None, "not_interested", "not_interested", "negative", 30.0, ["competitor"]
    ),
]


def test_busy_day():
    s = offline_daily_summary("Acme Realty", DAY, KPIS, CALLS)
    assert s.headline == "2 booked from 40 calls; 4 negative-sentiment calls (33% of analysed)."
    assert s.wins == [
        "2 bookings made (Asha, Ravi)",
        "2 qualified leads identified",
        "Best call: Ravi scored 92/100 (Booking confirmed for Saturday.)",
    ]
    assert s.risks == [
        "4 negative-sentiment calls (33% of analysed)",
        "Low connect rate: 35% (14 of 40 calls connected)",
        "Frequent objections: price ×3, timing ×2",  # competitor only once: not frequent
        "2 calls below 50/100 quality: Vikram (30), Asha (45)",
    ]
    assert s.actions == [
        "Call back 2 follow-ups: +919800000003 (Ravi), +919800000004 (Asha)",
        "Confirm 2 bookings a day ahead to cut no-shows",
        "Refresh the price-objection pitch (EMI, payment plans, value proof)",
        "Review and coach on 2 calls: c5 (Vikram), +919800000004 (Asha)",
        "Check lead phone numbers and try different dialling hours",
    ]
    assert offline_daily_summary("Acme Realty", DAY, KPIS, CALLS) == s  # deterministic


def test_zero_call_day():
    s = offline_daily_summary("Acme Realty", DAY, ZERO, [])
    assert s.headline == "No calls on Mon 3 Mar 2025."
    assert s.wins == [] and s.risks == ["No calls were logged for Acme Realty that day."]
    assert len(s.actions) == 1


def test_quiet_good_day_without_notable_calls():
    kpis = {
        **ZERO,
        "calls": 10,
        "connected_calls": 8,
        "connect_rate": 0.8,
        "analysed_calls": 8,
        "positive_calls": 5,
        "avg_quality_score": None,
    }
    s = offline_daily_summary("Acme", DAY, kpis, [])
    assert s.headline == "10 calls, no bookings; 80% connected."
    assert s.wins == ["5 of 8 analysed calls positive"]
    assert s.risks == [] and s.actions == []


def test_follow_ups_listing_is_capped():
    calls = [
        notable(f"c{i}", "Ravi", f"+9198000000{i:02d}", "follow_up", "callback", "neutral", 60.0)
        for i in range(5)
    ]
    s = offline_daily_summary("Acme", DAY, {**KPIS, "booked": 0}, calls)
    assert s.actions[0] == (
        "Call back 5 follow-ups: +919800000000 (Ravi), +919800000001 (Ravi), "
        "+919800000002 (Ravi) +2 more"
    )
    assert s.headline.startswith("40 calls, no bookings; ")


@pytest.mark.parametrize(
    ("kpis", "expected"),
    [
        ({"calls": 40, "connected_calls": 14, "connect_rate": 0.35}, 0.35),
        ({"calls": 40, "connected_calls": 14, "connect_rate": 35.0}, 0.35),  # a percentage
        ({"calls": 40, "connected_calls": 10, "connect_rate": None}, 0.25),
        ({"calls": 0, "connected_calls": 0, "connect_rate": 0.0}, None),
        ({}, None),
    ],
)
def test_connect_rate(kpis, expected):
    assert connect_rate(kpis) == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("day", "text"), [(DAY, "Mon 3 Mar 2025"), (date(2024, 12, 25), "Wed 25 Dec 2024")]
)
def test_format_day(day, text):
    assert format_day(day) == text


@pytest.mark.parametrize(
    "data",
    [
        {"headline": "h", "wins": [], "risks": []},  # a missing list
        {"headline": "h", "wins": [], "risks": [], "actions": [], "extra": 1},
        {"headline": "  ", "wins": [], "risks": [], "actions": []},
        {"headline": "h", "wins": [" "], "risks": [], "actions": []},
        {"headline": "h", "wins": "a win", "risks": [], "actions": []},
    ],
)
def test_model_is_strict(data):
    with pytest.raises(ValidationError):
        DailySummary.model_validate(data)


def test_model_normalises_whitespace_and_names_the_rules():
    s = DailySummary(headline=" two\nlines ", wins=["a  b"], risks=[], actions=[])
    assert (s.headline, s.wins) == ("two lines", ["a b"])
    assert OFFLINE_SUMMARY_MODEL == "callintel-summary-rules-v1"
