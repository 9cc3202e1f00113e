"""CRM leads of one tenant-day."""

import random
from datetime import date, datetime, timedelta

from callintel_dagster.lib.synthetic import people as P
from callintel_dagster.lib.synthetic.base import (
    Person,
    TenantProfile,
    lead_id,
    offset_in_day,
    random_person,
    round_money,
    stable_seed,
)

_SOURCES = {"website": 30, "ads": 30, "referral": 15, "voice_agent": 15, "walk_in": 10}
_STATUSES = {
    "new": 35,
    "contacted": 25,
    "qualified": 15,
    "unqualified": 10,
    "lost": 10,
    "converted": 5,
}


def lead_person(tenant_id: str, day: date, seed: int, n: int, ten: TenantProfile) -> Person:
    # A stream per lead, so a caller can be matched to lead n of any earlier day cheaply.
    return random_person(random.Random(stable_seed(tenant_id, day, seed, "lead", n)), ten)


def make_leads(
    tenant_id: str,
    day: date,
    seed: int,
    ten: TenantProfile,
    start: datetime,
    day_len: float,
    count: int,
    lo: float,
    hi: float,
) -> list[dict]:
    """`count` leads created mostly between local [lo, hi) seconds, numbered by creation time."""
    rng = random.Random(stable_seed(tenant_id, day, seed, "leads"))
    offsets = sorted(int(offset_in_day(rng, lo, hi, day_len, 0.8)) for _ in range(count))
    india = ten.market == "IN"
    out = []
    for n, off in enumerate(offsets):
        p = lead_person(tenant_id, day, seed, n, ten)
        r = random.Random(stable_seed(tenant_id, day, seed, "lead-attrs", n))
        status = r.choices(list(_STATUSES), list(_STATUSES.values()))[0]
        source = r.choices(list(_SOURCES), list(_SOURCES.values()))[0]
        # A new lead is untouched; others were worked on later the same day.
        modified = off if status == "new" else min(off + r.randint(120, 6 * 3600), int(day_len) - 1)
        price = r.choice(ten.vertical.prices_inr if india else ten.vertical.prices_usd)
        extra: dict = {
            "city": r.choice(P.IN_CITIES if india else P.US_CITIES),
            "budget": round_money(price * r.uniform(0.5, 1.3)),
            "currency": "INR" if india else "USD",
            "product_interest": ten.vertical.product,
        }
        if source == "ads":
            extra["utm_campaign"] = r.choice(("fb_leadgen", "google_search", "insta_reels"))
        out.append(
            {
                "lead_id": lead_id(tenant_id, day, n),
                "full_name": p.name,
                "phone_raw": p.raw,
                "email": _email(r, p.name, india),
                "lead_source": source,
                "lead_status": status,
                "created_at_utc": start + timedelta(seconds=off),
                "modified_at_utc": start + timedelta(seconds=modified),
                "extra": extra,
            }
        )
    return out


def _email(rng: random.Random, name: str, india: bool) -> str | None:
    if rng.random() < 0.1:  # forms that do not ask for one, or a skipped optional field
        return None
    first, last = name.lower().split(" ", 1)
    local = rng.choice(
        (
            f"{first}.{last}",
            f"{first}{last}{rng.randint(1, 99)}",
            f"{first[0]}{last}",
            f"{first}_{rng.randint(1980, 2005)}",
        )
    )
    return f"{local}@{rng.choice(P.EMAIL_DOMAINS_IN if india else P.EMAIL_DOMAINS_US)}"
