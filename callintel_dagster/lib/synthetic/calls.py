"""Call records of one tenant-day: who called, when, what was said and how it ended."""

import random
from datetime import date, datetime, timedelta

from callintel_dagster.lib.synthetic import phones
from callintel_dagster.lib.synthetic.base import (
    Person,
    TenantProfile,
    call_id,
    inr,
    inr_spoken,
    lead_id,
    offset_in_day,
    random_person,
    round_money,
    stable_seed,
)
from callintel_dagster.lib.synthetic.dialogue import conversation, timed_turns
from callintel_dagster.lib.synthetic.leads import lead_person

SCENARIO_WEIGHTS = {
    "booked_meeting": 15,
    "pricing_objection": 15,
    "callback_later": 15,
    "not_interested": 12,
    "purchased": 8,
    "support_issue": 12,
    "wrong_number": 5,
    "voicemail": 8,
    "no_answer": 10,
}
SCENARIOS = tuple(SCENARIO_WEIGHTS)
_WEIGHTS = list(SCENARIO_WEIGHTS.values())
# Customers ring support; sales calls are mostly the voice agent dialling out.
_INBOUND_P = {
    "support_issue": 0.75,
    "booked_meeting": 0.15,
    "pricing_objection": 0.15,
    "purchased": 0.2,
}
_MATCH_P = 0.40  # callers whose number belongs to a lead
_LOOKBACK_DAYS = 30  # ...of this day (70%) or of up to this many days earlier
_SLOT_DAYS = ("tomorrow", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_SLOT_TIMES = ("10:30 am", "11 am", "12 pm", "3 pm", "3:30 pm", "4 pm", "5 pm", "6 pm")


def make_calls(
    tenant_id: str,
    day: date,
    seed: int,
    ten: TenantProfile,
    start: datetime,
    day_len: float,
    count: int,
    leads_per_day: int,
    lo: float,
    hi: float,
) -> list[dict]:
    """`count` calls, 85% within local business hours [lo, hi) seconds, numbered by start."""
    rng = random.Random(stable_seed(tenant_id, day, seed, "calls"))
    drafts = []
    for i, scenario in enumerate(rng.choices(SCENARIOS, _WEIGHTS, k=count)):
        person, hint = _caller(rng, tenant_id, day, seed, ten, leads_per_day)
        off = int(offset_in_day(rng, lo, hi, day_len, 0.85))
        draft = _call(rng, scenario, ten, person, off / 3600)
        # The call must also end inside the local day, so late calls start a little earlier.
        off = max(0, min(off, int(day_len - 1 - draft["duration_seconds"])))
        drafts.append((off, i, draft, hint))
    drafts.sort(key=lambda d: (d[0], d[1]))  # ids follow start time, so a cut at `now` is a prefix
    calls = []
    for n, (off, _, draft, hint) in enumerate(drafts):
        started = start + timedelta(seconds=off)
        calls.append(
            {
                "call_id": call_id(tenant_id, day, n),
                **draft,
                "started_at_utc": started,
                "ended_at_utc": started + timedelta(seconds=draft["duration_seconds"]),
                "lead_id_hint": hint,
            }
        )
    return calls


def _caller(
    rng: random.Random, tenant_id: str, day: date, seed: int, ten: TenantProfile, leads_per_day: int
) -> tuple[Person, str | None]:
    """Who is on the line: often a known lead, written in another style than the CRM has it."""
    if leads_per_day and rng.random() < _MATCH_P:
        back = 0 if rng.random() < 0.7 else rng.randint(1, _LOOKBACK_DAYS)
        lead_day, n = day - timedelta(days=back), rng.randrange(leads_per_day)
        lead = lead_person(tenant_id, lead_day, seed, n, ten)
        if lead.country is not None:  # a lead with a junk number cannot be matched by a dialer
            style = phones.pick_style(rng, lead.country, ten.market, avoid=lead.style)
            matched = Person(lead.name, lead.country, lead.number, style)
            return matched, lead_id(tenant_id, lead_day, n)
    return random_person(rng, ten), None


def _call(
    rng: random.Random, scenario: str, ten: TenantProfile, person: Person, local_hour: float
) -> dict:
    inbound = rng.random() < _INBOUND_P.get(scenario, 0.0)
    hinglish = person.country == "IN" and rng.random() < (0.5 if ten.market == "IN" else 0.2)
    fill = _fillers(rng, ten, person, local_hour)
    turns: list[dict] = []
    if scenario == "no_answer":
        status = rng.choices(("no_answer", "busy", "failed"), (65, 20, 15))[0]
        rang = status != "failed" and rng.random() < 0.5
        duration = round(rng.uniform(1.0, 8.0), 2) if rang else 0.0
    else:
        lines = conversation(rng, scenario, fill, hinglish, inbound)
        # A voicemail greeting and beep play before the agent speaks.
        first = rng.uniform(8.0, 20.0) if scenario == "voicemail" else rng.uniform(0.4, 2.5)
        turns = timed_turns(rng, lines, first)
        # The last turn to start is not always the last to end (an interruption), hence max().
        duration = round(max(t["end_s"] for t in turns) + rng.uniform(0.5, 3.0), 2)
        status = "voicemail" if scenario == "voicemail" else "completed"
    return {
        "direction": "inbound" if inbound else "outbound",
        "agent_name": fill["agent"],
        "phone_raw": person.raw,
        "duration_seconds": duration,
        "call_status": status,
        "recording_url": None,
        "language": "hi-en" if hinglish else "en",
        "transcript_text": "\n".join(f"{t['role'].capitalize()}: {t['text']}" for t in turns),
        "turns": turns,
        "scenario": scenario,
    }


def _fillers(rng: random.Random, ten: TenantProfile, person: Person, local_hour: float) -> dict:
    v, india = ten.vertical, ten.market == "IN"
    plan = rng.randrange(len(v.plans))
    price = (v.prices_inr if india else v.prices_usd)[plan]
    budget = round_money(price * rng.uniform(0.4, 1.2))
    k, j = rng.randrange(len(v.needs_en)), rng.randrange(len(v.issues_en))
    return {
        "first": person.name.split(" ", 1)[0],
        "agent": rng.choice(ten.agents),
        "company": ten.company,
        "product": v.product,
        "plan": v.plans[plan],
        "price": inr(price) if india else f"${price:,}",
        "price_hi": inr_spoken(price) if india else f"${price:,}",
        "budget": inr(budget) if india else f"${budget:,}",
        "budget_hi": inr_spoken(budget) if india else f"${budget:,}",
        "need": v.needs_en[k],
        "need_hi": v.needs_hi[k],
        "issue": v.issues_en[j],
        "issue_hi": v.issues_hi[j],
        "competitor": rng.choice(v.competitors),
        "discount": str(rng.choice((10, 15, 20))),
        "slot_day": rng.choice(_SLOT_DAYS),
        "slot_time": rng.choice(_SLOT_TIMES),
        "ticket": f"TK{rng.randrange(10_000, 100_000)}",
        "hours": str(rng.choice((4, 24, 48))),
        # Indian customers pay in EMIs and live on WhatsApp; US customers do neither.
        "emi": "EMI" if india else "monthly installments",
        "chat": "WhatsApp" if india else "text",
        "part": "morning" if local_hour < 12 else "afternoon" if local_hour < 17 else "evening",
    }
