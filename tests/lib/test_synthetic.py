"""The synthetic source: deterministic, inside the tenant's local day, realistic to test on."""

import re
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from callintel_dagster.lib.dayspan import day_window_utc
from callintel_dagster.lib.phones import normalise_phone
from callintel_dagster.lib.synthetic import CONNECTED, SCENARIO_WEIGHTS, SCENARIOS, generate_day
from callintel_dagster.lib.synthetic.phones import INVALID_PHONES
from callintel_dagster.lib.transcripts.turns import turns_from_text

IST, LA = "Asia/Kolkata", "America/Los_Angeles"
DAY = date(2026, 3, 10)
REGION = {IST: "IN", LA: "US"}
LEAD_KEYS = {
    "lead_id",
    "full_name",
    "phone_raw",
    "email",
    "lead_source",
    "lead_status",
    "created_at_utc",
    "modified_at_utc",
    "extra",
}
CALL_KEYS = {
    "call_id",
    "direction",
    "agent_name",
    "phone_raw",
    "started_at_utc",
    "ended_at_utc",
    "duration_seconds",
    "call_status",
    "recording_url",
    "language",
    "transcript_text",
    "turns",
    "scenario",
    "lead_id_hint",
}
NOT_CONNECTED_STATUS = {"no_answer", "busy", "failed"}


def gen(tenant="acme", day=DAY, tz=IST, calls=300, leads=40, seed=0, now=None):
    return generate_day(
        tenant, day, tz, calls_per_day=calls, leads_per_day=leads, seed=seed, now_utc=now
    )


@pytest.fixture(scope="module")
def big_ist():
    return gen(calls=1000, leads=80)


@pytest.fixture(scope="module")
def big_la():
    return gen(tz=LA, calls=1000, leads=80)


# --- determinism and ids ------------------------------------------------------------------------


def test_same_arguments_give_equal_output():
    assert gen() == gen()
    assert gen(calls=50).calls[0]["call_id"] == "acme-C-20260310-00000"


def test_output_does_not_depend_on_the_process_hash_seed():
    # str hashes are salted per process; the seed must come from hashlib, so two interpreters
    # with different PYTHONHASHSEED values must print the same transcripts.
    code = (
        "from datetime import date; from callintel_dagster.lib.synthetic import generate_day;"
        "d = generate_day('acme', date(2026, 3, 10), 'Asia/Kolkata', calls_per_day=20,"
        " leads_per_day=5); print([(c['phone_raw'], c['transcript_text']) for c in d.calls],"
        " [x['full_name'] for x in d.leads])"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": s},
        ).stdout
        for s in ("1", "2")
    }
    assert len(outs) == 1


@pytest.mark.parametrize("change", [{"seed": 1}, {"tenant": "globex"}, {"day": DAY + timedelta(1)}])
def test_different_seed_tenant_or_day_changes_the_data(change):
    base, other = gen(), gen(**change)

    def fingerprint(d):
        return [(c["phone_raw"], c["scenario"], c["transcript_text"]) for c in d.calls]

    assert fingerprint(base) != fingerprint(other)
    assert [x["phone_raw"] for x in base.leads] != [x["phone_raw"] for x in other.leads]


def test_ids_are_unique_across_tenants_and_days_and_keys_are_complete():
    days = [
        gen(tenant=t, day=d, calls=200, leads=30)
        for t in ("acme", "globex")
        for d in (DAY, DAY + timedelta(1))
    ]
    call_ids = [c["call_id"] for d in days for c in d.calls]
    lead_ids = [x["lead_id"] for d in days for x in d.leads]
    assert len(call_ids) == len(set(call_ids)) == 800
    assert len(lead_ids) == len(set(lead_ids)) == 120
    assert all(set(c) == CALL_KEYS for d in days for c in d.calls)
    assert all(set(x) == LEAD_KEYS for d in days for x in d.leads)
    assert all(re.fullmatch(r"(acme|globex)-C-2026031[01]-\d{5}", i) for i in call_ids)
    assert all(re.fullmatch(r"(acme|globex)-L-2026031[01]-\d{4}", i) for i in lead_ids)


def test_zero_counts_and_negative_counts():
    empty = gen(calls=0, leads=0)
    assert empty.calls == [] and empty.leads == []
    assert all(c["lead_id_hint"] is None for c in gen(calls=100, leads=0).calls)
    with pytest.raises(ValueError):
        gen(calls=-1)


# --- time ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tz, day, hours",
    [
        (IST, date(2026, 3, 8), 24),
        (LA, date(2026, 3, 10), 24),
        (LA, date(2026, 3, 8), 23),  # spring forward
        (LA, date(2026, 11, 1), 25),  # fall back
    ],
)
def test_timestamps_fall_inside_the_local_day(tz, day, hours):
    d = gen(day=day, tz=tz, calls=600, leads=60)
    start, end = day_window_utc(day, tz)
    assert end - start == timedelta(hours=hours)
    zone = ZoneInfo(tz)

    def local(ts):
        return ts.replace(tzinfo=UTC).astimezone(zone)

    stamps = [c[k] for c in d.calls for k in ("started_at_utc", "ended_at_utc")]
    stamps += [x[k] for x in d.leads for k in ("created_at_utc", "modified_at_utc")]
    assert all(ts.tzinfo is None and start <= ts < end for ts in stamps)
    assert {local(ts).date() for ts in stamps} == {day}
    business = sum(9 <= local(c["started_at_utc"]).hour < 20 for c in d.calls)
    assert 0.75 <= business / len(d.calls) < 0.97  # clustered, but some calls outside hours
    for c in d.calls:
        assert c["ended_at_utc"] - c["started_at_utc"] == timedelta(seconds=c["duration_seconds"])
    for x in d.leads:
        assert x["created_at_utc"] <= x["modified_at_utc"]
    # Ids follow start time.
    assert [c["started_at_utc"] for c in d.calls] == sorted(c["started_at_utc"] for c in d.calls)


def test_now_cuts_a_prefix_with_identical_records():
    full = gen(calls=400, leads=60)
    start, end = day_window_utc(DAY, IST)
    seen = 0
    for hour in (0, 6, 11, 15, 20, 24):
        now = start + timedelta(hours=hour)
        cut = gen(calls=400, leads=60, now=now)
        assert cut.calls == full.calls[: len(cut.calls)]
        assert cut.calls == [c for c in full.calls if c["started_at_utc"] <= now]
        assert cut.leads == [x for x in full.leads if x["modified_at_utc"] <= now]
        assert len(cut.calls) >= seen
        seen = len(cut.calls)
    assert seen == len(full.calls)
    assert 0 < len(gen(calls=400, now=start + timedelta(hours=12)).calls) < len(full.calls)
    assert gen(now=start - timedelta(seconds=1)) == gen(calls=0, leads=0)
    assert gen(day=DAY + timedelta(days=3), now=end) == gen(calls=0, leads=0)  # future day
    noon = start + timedelta(hours=12)
    assert gen(now=noon) == gen(now=noon.replace(tzinfo=UTC).astimezone(ZoneInfo(IST)))


# --- scenarios and conversations ------------------------------------------------------------------


def test_scenario_mix_at_500_calls():
    counts = Counter(c["scenario"] for c in gen(calls=500).calls)
    assert set(counts) == set(SCENARIOS)
    total = sum(SCENARIO_WEIGHTS.values())
    for scenario, weight in SCENARIO_WEIGHTS.items():
        assert abs(counts[scenario] / 500 - weight / total) < 0.06, (scenario, counts)


@pytest.mark.parametrize("fixture", ["big_ist", "big_la"])
def test_turns_are_well_formed_and_timed_like_speech(fixture, request):
    calls = request.getfixturevalue(fixture).calls
    words = talk = 0.0
    small = big = 0
    gaps = []
    for c in calls:
        turns = c["turns"]
        assert c["transcript_text"] == "\n".join(
            f"{t['role'].capitalize()}: {t['text']}" for t in turns
        )
        assert [t["text"] for t in turns_from_text(c["transcript_text"])] == [
            t["text"] for t in turns
        ]
        starts = [t["start_s"] for t in turns]
        assert starts == sorted(starts) and len(set(starts)) == len(starts)
        latest_end = None  # an interruption can end before the turn it interrupted
        for prev, t in zip([None, *turns], turns, strict=False):
            assert t["role"] in ("agent", "customer") and t["text"].strip()
            assert "\n" not in t["text"] and 0 <= t["start_s"] < t["end_s"] <= c["duration_seconds"]
            words += len(t["text"].split())
            talk += t["end_s"] - t["start_s"]
            if prev is not None and t["start_s"] < latest_end:
                assert (prev["role"], t["role"]) == ("agent", "customer")
                overlap = prev["end_s"] - t["start_s"]
                small += overlap < 0.5
                big += overlap > 1.0
            elif prev is not None:
                gaps.append(t["start_s"] - latest_end)
            latest_end = max(latest_end or 0.0, t["end_s"])
    assert 2.0 < words / talk < 3.0  # ~2.5 words per second
    assert min(gaps) >= 0.29 and max(gaps) <= 2.01
    assert small > big > 0  # coughs and "haan" over the agent, and a few real interruptions


@pytest.mark.parametrize("fixture", ["big_ist", "big_la"])
def test_transcripts_are_empty_only_when_nobody_answered(fixture, request):
    for c in request.getfixturevalue(fixture).calls:
        s, status, n = c["scenario"], c["call_status"], len(c["turns"])
        assert c["recording_url"] is None and c["language"] in ("en", "hi-en")
        assert c["direction"] in ("inbound", "outbound")
        if s == "no_answer":
            assert status in NOT_CONNECTED_STATUS and n == 0 and c["transcript_text"] == ""
            assert 0 <= c["duration_seconds"] <= 10
        elif s == "voicemail":
            assert status == "voicemail" and 1 <= n <= 2
            assert {t["role"] for t in c["turns"]} == {"agent"}
        else:
            assert s in CONNECTED and status == "completed" and 4 <= n <= 16
            assert {t["role"] for t in c["turns"]} == {"agent", "customer"}
            assert c["direction"] == "outbound" or s != "wrong_number"
    voicemails = [c for c in request.getfixturevalue(fixture).calls if c["scenario"] == "voicemail"]
    assert any(len(c["transcript_text"]) < 15 + len("Agent: ") for c in voicemails)
    assert any(len(c["transcript_text"]) > 60 for c in voicemails)


# Words that must show up in every call of a scenario, in English or Hinglish.
SCENARIO_WORDS = {
    "booked_meeting": ("book",),
    "purchased": ("link",),
    "support_issue": ("ticket",),
    "wrong_number": ("wrong number", "galat number"),
    "pricing_objection": ("expensive", "budget", "less", "worth", "mehenga", "sasta"),
    "callback_later": ("call",),
    "not_interested": ("interest", "time", "trust", "already"),
}


@pytest.mark.parametrize("tenant", ["acme", "globex", "initech", "stark"])  # all four verticals
def test_conversations_carry_the_signals_the_analysis_looks_for(tenant):
    calls = gen(tenant=tenant, calls=1000, leads=80).calls
    for c in calls:
        words = SCENARIO_WORDS.get(c["scenario"])
        if words:
            text = c["transcript_text"].lower()
            assert any(w in text for w in words), (c["scenario"], text)
    text = "\n".join(c["transcript_text"] for c in calls).lower()
    customer = [t["text"] for c in calls for t in c["turns"] if t["role"] == "customer"]
    assert any(t.endswith("?") for t in customer)  # customers ask questions too
    assert "hazaar" in text or "lakh" in text  # amounts as they are said in Hinglish
    for needle in (
        "rs ",
        "i'm the owner",
        "ask my manager",
        "next week",
        "send the payment link",
        "works, book it",
        "abhi busy hoon, kal call karna",
        "too expensive",
        "already using",
        "don't have time",
        "think about it",
        "not the decision maker",
        "don't trust",
    ):
        assert needle in text, needle
    languages = Counter(c["language"] for c in calls)
    assert languages["hi-en"] > 200 and languages["en"] > 200
    # Conversations vary: many distinct transcripts among the same scenario.
    booked = [c["transcript_text"] for c in calls if c["scenario"] == "booked_meeting"]
    assert len(set(booked)) == len(booked)


def test_agents_are_a_few_stable_names_per_tenant():
    a = {
        c["agent_name"]
        for s in (0, 1)
        for d in (DAY, DAY + timedelta(1))
        for c in gen(calls=200, seed=s, day=d).calls
    }
    assert 3 <= len(a) <= 5
    assert {c["agent_name"] for c in gen(calls=200).calls} == a


# --- phones and lead matching ---------------------------------------------------------------------


@pytest.mark.parametrize("tz", [IST, LA])
def test_phone_numbers_are_valid_except_the_deliberately_broken_ones(tz):
    d = gen(tz=tz, calls=1000, leads=200)
    raws = [c["phone_raw"] for c in d.calls] + [x["phone_raw"] for x in d.leads]
    phones = [normalise_phone(r, REGION[tz]) for r in raws]
    invalid = [p.raw for p in phones if not p.valid]
    assert not any(normalise_phone(r, reg).valid for r in INVALID_PHONES for reg in ("IN", "US"))
    assert set(invalid) <= set(INVALID_PHONES)
    assert 0.01 < len(invalid) / len(raws) < 0.06
    e164 = [p.e164 for p in phones if p.valid]
    home = "+91" if tz == IST else "+1"
    assert sum(e.startswith(home) for e in e164) / len(e164) > 0.8
    indian = [e for e in e164 if e.startswith("+91")]
    assert indian and all(len(e) == 13 and e[3] in "6789" for e in indian)
    if tz == IST:  # the forms Indians actually type
        for pattern in (r"\+91 \d{5} \d{5}", r"0\d{10}", r"[6-9]\d{9}", r"\+91-\d{5}-\d{5}"):
            assert any(re.fullmatch(pattern, r) for r in raws), pattern
    else:
        assert any(re.fullmatch(r"\(\d{3}\) \d{3}-\d{4}", r) for r in raws)
        assert any(re.fullmatch(r"\+1 \(\d{3}\) \d{3}-\d{4}", r) for r in raws)


@pytest.mark.parametrize("tz", [IST, LA])
def test_callers_match_leads_only_after_normalisation(tz):
    d = gen(tz=tz, calls=1000, leads=80)
    region = REGION[tz]
    hinted = [c for c in d.calls if c["lead_id_hint"]]
    assert 0.3 < len(hinted) / len(d.calls) < 0.5
    leads = {x["lead_id"]: x for x in d.leads}
    earlier: dict[date, dict] = {}
    today = earlier_days = 0
    for c in hinted:
        lead_day = datetime.strptime(c["lead_id_hint"].split("-")[2], "%Y%m%d").date()
        if lead_day == DAY:
            today += 1
        else:
            earlier_days += 1
            assert DAY - timedelta(days=30) <= lead_day < DAY
            if lead_day not in earlier:
                earlier[lead_day] = {
                    x["lead_id"]: x for x in gen(tz=tz, day=lead_day, calls=0, leads=80).leads
                }
            leads.update(earlier[lead_day])
        lead = leads[c["lead_id_hint"]]
        assert c["phone_raw"] != lead["phone_raw"]  # written differently...
        assert (
            normalise_phone(c["phone_raw"], region).e164
            == normalise_phone(lead["phone_raw"], region).e164
            is not None
        )  # ...but the same number
    assert today > earlier_days > 0
    # Callers without a hint do not accidentally share a number with one of the day's leads.
    lead_numbers = {normalise_phone(x["phone_raw"], region).e164 for x in d.leads} - {None}
    strangers = [
        normalise_phone(c["phone_raw"], region).e164 for c in d.calls if not c["lead_id_hint"]
    ]
    assert not lead_numbers & set(strangers)


def test_leads_look_like_crm_rows():
    leads = gen(calls=0, leads=300).leads
    assert {x["lead_source"] for x in leads} == {
        "website",
        "referral",
        "ads",
        "walk_in",
        "voice_agent",
    }
    assert {"new", "contacted", "qualified"} <= {x["lead_status"] for x in leads}
    assert all(re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", x["full_name"]) for x in leads)
    emails = [x["email"] for x in leads if x["email"]]
    assert 0.8 < len(emails) / len(leads) < 1 and all(
        re.fullmatch(r"[^@\s]+@[\w.]+", e) for e in emails
    )
    assert all({"city", "budget"} <= set(x["extra"]) and x["extra"]["budget"] > 0 for x in leads)
    created = [x["created_at_utc"] for x in leads]
    assert created == sorted(created)  # lead numbers follow creation time


def test_thousand_calls_generate_well_under_a_second():
    t0 = time.perf_counter()
    d = gen(tenant="bench", calls=1000, leads=100)
    elapsed = time.perf_counter() - t0
    assert len(d.calls) == 1000 and elapsed < 0.5, elapsed
