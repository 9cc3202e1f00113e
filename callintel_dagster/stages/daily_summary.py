"""One tenant's daily summaries in a run: each day's KPIs and notable calls summarised (strict
JSON) by the tenant's summarizer, its LLM or the rules fallback."""

from datetime import date, datetime

from callintel_dagster.lib.digest.kpis import kpis_for, notable_calls
from callintel_dagster.lib.tables import FCT_CALLS, KPI_TENANT_DAILY
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.resources.summaries import Summarizer
from callintel_dagster.resources.warehouse import Warehouse


def summarise_days(
    tenant: Tenant, days: list[date], summarizer: Summarizer, warehouse: Warehouse, now: datetime
) -> tuple[list[dict], list[str]]:
    """The tenant's delivery.daily_summaries rows for `days`, and why the LLM's summary of a day
    was unusable, for each day the rules summary replaced it."""
    rows, fallbacks = [], []
    for day in days:
        kpis = kpis_for(warehouse.read_slices(KPI_TENANT_DAILY, [(tenant.id, day)]))
        calls = warehouse.read_slices(FCT_CALLS, [(tenant.id, day)])
        result = summarizer.summarise(day, kpis, notable_calls(calls))
        if result.fallback_reason:
            fallbacks.append(f"{tenant.id} {day}: {result.fallback_reason}")
        u = result.usage
        rows.append(
            {
                "tenant_id": tenant.id,
                "partition_date": day,
                "provider": result.provider,
                "model": result.model,
                "headline": result.summary.headline,
                "summary_json": result.summary.model_dump_json(),
                "fallback_reason": result.fallback_reason,
                "created_at_utc": now,
                "prompt_tokens": u.prompt_tokens if u else 0,
                "completion_tokens": u.completion_tokens if u else 0,
                "cost_usd": result.cost_usd,
            }
        )
    return rows, fallbacks
