"""Daily AI summaries of a tenant's day. A tenant's `llm:` provider writes it.

`offline` fills the strict JSON schema (headline, wins, risks, actions) from the day's KPIs and
notable calls with rules; LLM providers return the same `DailySummary`.
"""

from datetime import date
from typing import Protocol

import dagster as dg

from callintel_dagster.lib.daily_summary import (
    OFFLINE_SUMMARY_MODEL,
    DailySummary,
    offline_daily_summary,
)
from callintel_dagster.lib.registry import Tenant


class Summarizer(Protocol):
    provider: str
    model: str

    def summarise(self, day: date, kpis: dict, notable_calls: list[dict]) -> DailySummary: ...


class OfflineSummarizer:
    provider = "offline"
    model = OFFLINE_SUMMARY_MODEL

    def __init__(self, tenant: Tenant):
        self._tenant = tenant

    def summarise(self, day: date, kpis: dict, notable_calls: list[dict]) -> DailySummary:
        return offline_daily_summary(self._tenant.name, day, kpis, notable_calls)


class Summarizers(dg.ConfigurableResource):
    """Builds the summariser for the tenant's `llm:` provider."""

    def for_tenant(self, tenant: Tenant) -> Summarizer:
        match tenant.llm.provider:
            case "offline":
                return OfflineSummarizer(tenant)
        raise ValueError(f"tenant {tenant.id}: unknown llm provider {tenant.llm.provider!r}")
