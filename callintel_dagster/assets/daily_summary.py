"""Deliver: the tenant's day summarised (strict JSON) by its LLM, or by rules as the fallback."""

import dagster as dg
import pandas as pd

from callintel_dagster.assets.common import PARTITIONED, utcnow
from callintel_dagster.assets.metadata import preview
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.digest.kpis import kpis_for, notable_calls
from callintel_dagster.lib.tables import DAILY_SUMMARIES
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.summaries import Summarizers
from callintel_dagster.resources.warehouse import Warehouse


@dg.asset(
    group_name="deliver", deps=["kpi_tenant_daily", "fct_calls"], kinds={"python"}, **PARTITIONED
)
def daily_ai_summary(
    context: dg.AssetExecutionContext,
    registry: TenantRegistry,
    summarizers: Summarizers,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per tenant-day: headline, wins, risks and actions from the day's KPIs and notable
    calls (delivery.daily_summaries)."""
    run, now, rows, fallbacks = TenantRun(context, registry), utcnow(), [], []
    for tenant, days in run.tenants():
        summarizer = summarizers.for_tenant(tenant)
        for day in days:
            kpis = kpis_for(warehouse.read_slices("marts.kpi_tenant_daily", [(tenant.id, day)]))
            calls = warehouse.read_slices("marts.fct_calls", [(tenant.id, day)])
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
    frame = pd.DataFrame(rows, columns=DAILY_SUMMARIES.column_names)
    warehouse.replace_slices(DAILY_SUMMARIES, run.done_slices(), frame)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(frame),
            "fallbacks": fallbacks,  # days where the LLM's summary was unusable
            "preview": preview(frame, ["tenant_id", "partition_date", "provider", "headline"]),
        }
    )
