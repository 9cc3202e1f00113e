"""Ingest: CRM leads and call records per tenant-local day, phones normalised to E.164.

A run tagged `callintel/sync=incremental` (the 5-minute schedule) reads only what changed since
each tenant's cursor; any other run refetches its days in full (stages/sync.py). One tenant's
failure never blocks the others.
"""

from collections.abc import Callable

import dagster as dg
import pandas as pd

from callintel_dagster.assets.common import PARTITIONED, utcnow
from callintel_dagster.assets.metadata import counts, preview
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.sources import CallSources, LeadSources
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.sync import COUNTERS, SYNC_MODE_TAG, SyncSpec, sync_tenant
from callintel_dagster.stages.sync_specs import CALLS, LEADS


@dg.asset(group_name="ingest", kinds={"python"}, **PARTITIONED)
def crm_leads(
    context: dg.AssetExecutionContext,
    registry: TenantRegistry,
    lead_sources: LeadSources,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per CRM lead, on the tenant-local day it was last modified (raw.crm_leads);
    upserted by lead id. CRMs with a deal pipeline (Zoho) also fill raw.crm_deals."""
    return _sync(context, registry, warehouse, lead_sources.for_tenant, LEADS)


@dg.asset(group_name="ingest", kinds={"python"}, **PARTITIONED)
def call_records(
    context: dg.AssetExecutionContext,
    registry: TenantRegistry,
    call_sources: CallSources,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per call, on the tenant-local day it started (raw.call_records); upserted by
    call id."""
    return _sync(context, registry, warehouse, call_sources.for_tenant, CALLS)


def _sync(
    context: dg.AssetExecutionContext,
    registry: TenantRegistry,
    warehouse: Warehouse,
    source_for: Callable,
    spec: SyncSpec,
) -> dg.MaterializeResult:
    run, now = TenantRun(context, registry), utcnow()
    incremental = context.run.tags.get(SYNC_MODE_TAG) == "incremental"
    frames, stats = [], dict.fromkeys(COUNTERS, 0)

    def sync(tenant, days):
        source = source_for(tenant)
        return sync_tenant(warehouse, tenant, days, source, spec, now, incremental, context.log)

    for _, done in run.each(f"{spec.name} sync", sync):
        frames.append(done.rows)
        for key, value in done.counts.items():
            stats[key] = stats.get(key, 0) + value
    run.raise_failures()
    empty = pd.DataFrame(columns=spec.table.column_names)
    rows = pd.concat(frames, ignore_index=True) if frames else empty
    return dg.MaterializeResult(metadata=_metadata(rows, stats, spec, incremental))


def _metadata(rows: pd.DataFrame, stats: dict, spec: SyncSpec, incremental: bool) -> dict:
    reasons = {
        k.split(": ", 1)[1]: int(v) for k, v in stats.items() if k.startswith("quarantined: ")
    }
    metadata = {
        "dagster/row_count": len(rows),
        **{k: int(v) for k, v in sorted(stats.items()) if not k.startswith("quarantined: ")},
        "quarantine_reasons": dg.MetadataValue.json(reasons),
        "repaired_rows": int(rows["repairs"].notna().sum()) if len(rows) else 0,
        "mode": "incremental" if incremental else "full",
        "invalid_phones": int((~rows["phone_valid"].astype(bool)).sum()) if len(rows) else 0,
        "phone_issues": counts(rows, "phone_issue"),
        "preview": preview(rows, spec.preview_columns),
    }
    if spec.status_column:
        metadata["by_status"] = counts(rows, spec.status_column)
    return metadata
