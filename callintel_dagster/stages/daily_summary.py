"""One tenant's daily summaries in a run: each day's KPIs and notable calls summarised (strict
JSON) by the tenant's summarizer, its LLM or the rules fallback."""

from datetime import date, datetime

import pandas as pd

from callintel_dagster.lib.analysis.usage import usage_row
from callintel_dagster.lib.digest.kpis import kpis_for, notable_calls
from callintel_dagster.lib.tables import AI_USAGE, FCT_CALLS, KPI_TENANT_DAILY
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.privacy.masking import mask_phone_for_digest
from callintel_dagster.resources.summaries import OfflineSummarizer, Summarizer
from callintel_dagster.resources.warehouse import RowUpsert, Warehouse
from callintel_dagster.stages.day_reads import DayReader, read_by_day


def summarise_days(
    tenant: Tenant, days: list[date], summarizer: Summarizer, warehouse: Warehouse, now: datetime
) -> tuple[list[dict], list[str]]:
    """The tenant's delivery.daily_summaries rows for `days`, and why the LLM's summary of a day
    was unusable, for each day the rules summary replaced it. What each LLM summary cost goes to
    core.ai_usage as it is made (re-made summaries keep their earlier cost there)."""
    rows, fallbacks, usage = [], [], []
    for day, (kpi_rows, calls) in read_by_day(warehouse, tenant.id, days, _kpis_and_calls):
        kpis = kpis_for(kpi_rows)
        result = summarizer.summarise(day, kpis, _as_sent(tenant, summarizer, notable_calls(calls)))
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
        if u and u.requests:
            usage.append(
                usage_row(
                    tenant.id,
                    day,
                    kind="llm",
                    purpose="daily_summary",
                    provider=result.provider,
                    model=result.model,
                    now=now,
                    requests=u.requests,
                    retries=u.retries,
                    prompt_tokens=u.prompt_tokens,
                    completion_tokens=u.completion_tokens,
                    cost_usd=result.cost_usd,
                    priced=result.model in getattr(tenant.llm, "prices", {}),
                )
            )
    if usage:
        frame = pd.DataFrame(usage, columns=AI_USAGE.column_names)
        warehouse.write([RowUpsert(AI_USAGE, ("tenant_id", "usage_id"), frame)])
    return rows, fallbacks


def _kpis_and_calls(day: DayReader) -> tuple[pd.DataFrame, pd.DataFrame]:
    return day.slice(KPI_TENANT_DAILY), day.slice(FCT_CALLS)


def _as_sent(tenant: Tenant, summarizer: Summarizer, calls: list[dict]) -> list[dict]:
    """The notable calls as the summariser may see them: an LLM provider never gets a caller's
    number (masked, `+91 ••••• •3210`); the offline rules, which run here, keep it for the
    digest to show as `privacy.digest_numbers` allows."""
    if isinstance(summarizer, OfflineSummarizer) or not tenant.privacy.enabled:
        return calls
    return [{**c, "phone_e164": _masked(c.get("phone_e164"))} for c in calls]


def _masked(e164: str | None) -> str | None:
    try:
        return mask_phone_for_digest(e164, "masked") if e164 else e164
    except ValueError:  # not a valid number: nothing of it goes out
        return "•••"
