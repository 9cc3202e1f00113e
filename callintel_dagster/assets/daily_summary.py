"""Deliver: the tenant's day summarised (strict JSON) by its LLM, or by rules as the fallback;
the work: stages/daily_summary.py."""

import dagster as dg
import pandas as pd

from callintel_dagster.assets.common import PROVIDER_FACING, utcnow
from callintel_dagster.assets.metadata import by_partition, preview, run_totals
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.tables import DAILY_SUMMARIES
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.summaries import Summarizers
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.daily_summary import summarise_days


@dg.asset(
    group_name="deliver",
    deps=["kpi_tenant_daily", "fct_calls"],
    kinds={"python"},
    **PROVIDER_FACING,
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
        tenant_rows, tenant_fallbacks = summarise_days(tenant, days, summarizer, warehouse, now)
        rows += tenant_rows
        fallbacks += tenant_fallbacks
    frame = pd.DataFrame(rows, columns=DAILY_SUMMARIES.column_names)
    warehouse.replace_slices(DAILY_SUMMARIES, run.done_slices(), frame)
    by_partition(
        context,
        frame,
        lambda own: {
            "dagster/row_count": len(own),
            "fallback": own["fallback_reason"].dropna().tolist()[:1] if len(own) else [],
            "preview": preview(own, ["tenant_id", "partition_date", "provider", "headline"]),
        },
    )
    # days where the LLM's summary was unusable
    return dg.MaterializeResult(metadata=run_totals(context, {"fallbacks": fallbacks}))
