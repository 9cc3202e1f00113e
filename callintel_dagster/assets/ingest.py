"""Ingest: CRM leads and call records per tenant-local day, phones normalised to E.164.

A run tagged `callintel/sync=incremental` (the 5-minute schedule) reads only what changed since
each tenant's cursor; any other run refetches its days in full (stages/sync.py). One tenant's
failure never blocks the others.
"""

from collections.abc import Callable

import dagster as dg
import pandas as pd

from callintel_dagster.assets.common import PROVIDER_FACING, SYNC_FRESHNESS, utcnow
from callintel_dagster.assets.metadata import by_partition, counts, preview, run_totals
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.tables import QUARANTINED_RECORDS
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.sources import CallSources, LeadSources
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.sync import COUNTERS, SYNC_MODE_TAG, SyncSpec, sync_tenant
from callintel_dagster.stages.sync_specs import CALLS, LEADS


@dg.asset(group_name="ingest", kinds={"python"}, freshness_policy=SYNC_FRESHNESS, **PROVIDER_FACING)
def crm_leads(
    context: dg.AssetExecutionContext,
    registry: TenantRegistry,
    lead_sources: LeadSources,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per CRM lead, on the tenant-local day it was last modified (raw.crm_leads);
    upserted by lead id. CRMs with a deal pipeline (Zoho) also fill raw.crm_deals."""
    return _sync(context, registry, warehouse, lead_sources.for_tenant, LEADS)


@dg.asset(group_name="ingest", kinds={"python"}, freshness_policy=SYNC_FRESHNESS, **PROVIDER_FACING)
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
    frames, held, stats = [], [], dict.fromkeys(COUNTERS, 0)

    def sync(tenant, days):
        source = source_for(tenant)
        return sync_tenant(warehouse, tenant, days, source, spec, now, incremental, context.log)

    for _, done in run.each(f"{spec.name} sync", sync):
        frames.append(done.rows)
        held += done.quarantined
        for key, value in done.counts.items():
            stats[key] = stats.get(key, 0) + value
    run.raise_failures()
    empty = pd.DataFrame(columns=spec.table.column_names)
    frames = [f for f in frames if len(f)]  # concat of empty frames would guess dtypes
    rows = pd.concat(frames, ignore_index=True) if frames else empty
    quarantined = pd.DataFrame(held, columns=QUARANTINED_RECORDS.column_names)
    by_partition(context, rows, lambda own: _metadata(own, spec))
    by_partition(context, quarantined, _quarantine_metadata)
    totals = {k: int(v) for k, v in sorted(stats.items()) if not k.startswith("quarantined: ")}
    return dg.MaterializeResult(
        metadata={"mode": "incremental" if incremental else "full", **run_totals(context, totals)}
    )


def _metadata(rows: pd.DataFrame, spec: SyncSpec) -> dict:
    metadata = {
        "dagster/row_count": len(rows),
        "invalid_phones": int((~rows["phone_valid"].astype(bool)).sum()) if len(rows) else 0,
        "phone_issues": counts(rows, "phone_issue"),
        "repaired_rows": int(rows["repairs"].notna().sum()) if len(rows) else 0,
        "preview": preview(rows, spec.preview_columns),
    }
    if spec.status_column:
        metadata["by_status"] = counts(rows, spec.status_column)
    return metadata


def _quarantine_metadata(quarantined: pd.DataFrame) -> dict:
    return {
        "quarantined": len(quarantined),
        "quarantine_reasons": counts(quarantined, "reason"),
    }
