"""Shared pieces: stable seeds, the tenant profile, people and money as agents say it."""

import hashlib
import random
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from callintel_dagster.lib.synthetic import people as P
from callintel_dagster.lib.synthetic import phones

INVALID_P = 0.03


@dataclass(frozen=True)
class TenantProfile:
    market: str  # "IN" or "US": which numbers, names, currency and language dominate
    agents: tuple[str, ...]
    vertical: P.Vertical
    company: str


@dataclass(frozen=True)
class Person:
    name: str
    country: str | None  # None for a deliberately invalid number
    number: str  # national significant number, or the invalid raw text
    style: str | None

    @property
    def raw(self) -> str:
        if self.country is None or self.style is None:
            return self.number
        return phones.format_number(self.country, self.number, self.style)


def stable_seed(*parts: object) -> int:
    """A seed from a digest, not hash(): str hashes are salted per process."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def lead_id(tenant_id: str, day: date, n: int) -> str:
    return f"{tenant_id}-L-{day:%Y%m%d}-{n:04d}"


def call_id(tenant_id: str, day: date, n: int) -> str:
    return f"{tenant_id}-C-{day:%Y%m%d}-{n:05d}"


def market_for(tz: str) -> str:
    return "US" if tz.startswith(("America/", "US/")) else "IN"


@lru_cache(maxsize=256)
def tenant_profile(tenant_id: str, market: str) -> TenantProfile:
    # Agents and line of business depend on the tenant alone: the same team works every day.
    rng = random.Random(stable_seed(tenant_id, "tenant"))
    vertical = P.vertical_for(rng.randrange(1 << 30))
    agents = tuple(rng.sample(P.AGENTS, rng.randint(3, 5)))
    return TenantProfile(market, agents, vertical, rng.choice(vertical.companies))


def random_person(rng: random.Random, ten: TenantProfile) -> Person:
    foreign = rng.random() < (0.05 if ten.market == "IN" else 0.12)  # NRIs / the diaspora
    country = ("US" if ten.market == "IN" else "IN") if foreign else ten.market
    first, last = (P.IN_FIRST, P.IN_LAST) if country == "IN" else (P.US_FIRST, P.US_LAST)
    name = f"{rng.choice(first)} {rng.choice(last)}"
    if rng.random() < INVALID_P:
        return Person(name, None, rng.choice(phones.INVALID_PHONES), None)
    number = phones.random_number(rng, country)
    return Person(name, country, number, phones.pick_style(rng, country, ten.market))


def offset_in_day(rng: random.Random, lo: float, hi: float, day_len: float, inside: float) -> float:
    """Seconds into the day: `inside` share within [lo, hi), the rest spread over the whole day."""
    if rng.random() < inside:
        return rng.uniform(lo, hi)
    return rng.uniform(0, day_len)


def round_money(x: float) -> int:
    step = 5000 if x >= 20_000 else 1000 if x >= 2000 else 50 if x >= 200 else 10
    return max(step, int(round(x / step)) * step)


def inr(x: int) -> str:
    """Indian digit grouping: Rs 1,20,000."""
    s = str(x)
    head, groups = s[:-3], [s[-3:]]
    while head:
        head, groups = head[:-2], [head[-2:], *groups]
    return "Rs " + ",".join(groups)


def inr_spoken(x: int) -> str:
    if x >= 100_000:
        return f"{x / 100_000:.1f}".rstrip("0").rstrip(".") + " lakh"
    return f"{round(x / 1000)} hazaar"
