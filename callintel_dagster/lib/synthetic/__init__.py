"""A deterministic synthetic source of CRM leads and call records (pure Python, no Dagster).

    day = generate_day("acme", date(2026, 3, 8), "Asia/Kolkata", calls_per_day=1000,
                       leads_per_day=50, seed=0, now_utc=None)
    day.leads, day.calls  # lists of plain dicts

Lead keys: lead_id, full_name, phone_raw, email, lead_source, lead_status, created_at_utc,
modified_at_utc, extra. Call keys: call_id, direction, agent_name, phone_raw, started_at_utc,
ended_at_utc, duration_seconds, call_status, recording_url, language, transcript_text, turns,
scenario, lead_id_hint. Timestamps are naive UTC inside the tenant's local calendar day.

Everything is drawn from `random.Random` streams seeded by a hashlib digest of
(tenant, day, seed), so every process and run produce the same records. The whole day is built
first and only then cut at `now_utc`, so a later sync is a superset of an earlier one with the
same ids and content.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from callintel_dagster.lib.dayspan import day_window_utc
from callintel_dagster.lib.synthetic.base import market_for, tenant_profile
from callintel_dagster.lib.synthetic.calls import SCENARIO_WEIGHTS, SCENARIOS, make_calls
from callintel_dagster.lib.synthetic.dialogue import CONNECTED
from callintel_dagster.lib.synthetic.leads import make_leads
from callintel_dagster.lib.synthetic.pii import with_spoken_pii

__all__ = ["CONNECTED", "SCENARIOS", "SCENARIO_WEIGHTS", "SyntheticDay", "generate_day"]


@dataclass
class SyntheticDay:
    leads: list[dict]
    calls: list[dict]


def generate_day(
    tenant_id: str,
    day: date,
    tz: str,
    *,
    calls_per_day: int,
    leads_per_day: int,
    seed: int = 0,
    now_utc: datetime | None = None,
    spoken_pii: bool = True,
) -> SyntheticDay:
    """Leads and calls of `tenant_id`'s local `day` in IANA zone `tz`.

    With `now_utc` (naive UTC, or aware), only records that exist by then: calls that started at
    or before it, leads last modified at or before it (a lead's status and modified_at must not
    come from the future). Callers that match a lead assume `leads_per_day` was the same on
    earlier days. `spoken_pii=False`: no call speaks personal data (lib/synthetic/pii.py), as
    the calls were before it existed (a corpus labelled on those keeps its labels).
    """
    if calls_per_day < 0 or leads_per_day < 0:
        raise ValueError("calls_per_day and leads_per_day must be >= 0")
    start, end = day_window_utc(day, tz)
    day_len = (end - start).total_seconds()  # 23 or 25 h on DST changes
    ten = tenant_profile(tenant_id, market_for(tz))
    h8, h9, h20, h22 = (_since_midnight(day, tz, start, h) for h in (8, 9, 20, 22))
    leads = make_leads(tenant_id, day, seed, ten, start, day_len, leads_per_day, h8, h22)
    calls = make_calls(
        tenant_id, day, seed, ten, start, day_len, calls_per_day, leads_per_day, h9, h20
    )
    if spoken_pii:  # from a random stream of its own: every other value is as without it
        calls = [with_spoken_pii(c, seed, ten.market) for c in calls]
    if now_utc is not None:
        cut = now_utc.astimezone(UTC).replace(tzinfo=None) if now_utc.tzinfo else now_utc
        leads = [x for x in leads if x["modified_at_utc"] <= cut]
        calls = [c for c in calls if c["started_at_utc"] <= cut]
    return SyntheticDay(leads=leads, calls=calls)


def _since_midnight(day: date, tz: str, start: datetime, hour: int) -> float:
    """Elapsed seconds from local midnight to local `hour`:00 (so DST days shift correctly)."""
    local = datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(tz))
    return (local.astimezone(UTC).replace(tzinfo=None) - start).total_seconds()
