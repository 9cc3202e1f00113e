"""Daily AI summaries of a tenant's day, written by the tenant's `llm:` provider.

An LLM gets the day's KPIs and notable calls (as data) and returns the strict `DailySummary`
JSON (headline, wins, risks, actions). If the provider is unavailable or the reply stays
invalid after one repair, the offline rules summary is used instead and the row says why
(`fallback_reason`), so a digest always goes out.
"""

import json
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import dagster as dg

from callintel_dagster.lib.agents import data_block, template
from callintel_dagster.lib.analysis.cost import token_cost
from callintel_dagster.lib.digest.daily_summary import (
    OFFLINE_SUMMARY_MODEL,
    DailySummary,
    offline_daily_summary,
)
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.llm import build_chat_client
from callintel_dagster.providers.llm.json_asker import Answer, JsonAsker, LlmConfigError, Usage
from callintel_dagster.providers.registry import is_local

SUMMARY_SCHEMA = DailySummary.model_json_schema()


@dataclass
class SummaryResult:
    summary: DailySummary
    provider: str
    model: str
    fallback_reason: str | None = None
    usage: Usage | None = None
    cost_usd: float = 0.0


class Summarizer(Protocol):
    def summarise(self, day: date, kpis: dict, notable_calls: list[dict]) -> SummaryResult: ...


class OfflineSummarizer:
    def __init__(self, tenant: Tenant):
        self._tenant = tenant

    def summarise(self, day: date, kpis: dict, notable_calls: list[dict]) -> SummaryResult:
        summary = offline_daily_summary(self._tenant.name, day, kpis, notable_calls)
        return SummaryResult(summary, "offline", OFFLINE_SUMMARY_MODEL)


class LlmSummarizer:
    def __init__(self, tenant: Tenant):
        self._tenant = tenant
        self._client = build_chat_client(tenant.id, tenant.llm)
        self._asker = JsonAsker(tenant.id, self._client, tenant.llm)
        self._system = template("daily_summary").render(
            tenant_name=tenant.name, json_schema=json.dumps(SUMMARY_SCHEMA)
        )

    def summarise(self, day: date, kpis: dict, notable_calls: list[dict]) -> SummaryResult:
        facts = {"date": day.isoformat(), "kpis": kpis, "notable_calls": notable_calls}
        user = "Write the digest for this day.\n" + data_block("day", facts)
        try:
            answer = self._asker.ask(
                self._system, user, DailySummary, SUMMARY_SCHEMA, "daily_summary"
            )
        except LlmConfigError as exc:  # the digest still goes out, saying why
            answer = Answer(None, f"provider refused the request: {exc}", Usage())
        u, model = answer.usage, self._client.model
        cost = token_cost(self._tenant.llm.prices, model, u.prompt_tokens, u.completion_tokens)
        provider = self._client.provider
        if answer.output is None:
            fallback = OfflineSummarizer(self._tenant).summarise(day, kpis, notable_calls)
            reason = f"{provider} summary unusable, rules summary sent instead: {answer.reason}"
            return SummaryResult(fallback.summary, provider, model, reason[:500], u, cost)
        return SummaryResult(
            DailySummary.model_validate(answer.output), provider, model, None, u, cost
        )


class Summarizers(dg.ConfigurableResource):
    """Builds the summariser for the tenant's `llm:` provider."""

    def for_tenant(self, tenant: Tenant) -> Summarizer:
        if is_local("llm", tenant.id, tenant.llm.provider):  # `offline`: the rules summary
            return OfflineSummarizer(tenant)
        return LlmSummarizer(tenant)
