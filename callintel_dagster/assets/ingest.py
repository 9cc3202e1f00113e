"""Ingest: CRM leads and call records per tenant-local day, phones normalised to E.164."""

import dagster as dg
import pandas as pd

from callintel_dagster.assets.common import PARTITIONED, utcnow
from callintel_dagster.assets.metadata import counts, preview
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.ingest import call_rows, dedupe_by_id, lead_rows
from callintel_dagster.lib.tables import CALL_RECORDS, CRM_LEADS, SYNC_LOG
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.sources import CallSources, LeadSources
from callintel_dagster.resources.warehouse import SliceWrite, Warehouse


@dg.asset(group_name="ingest", kinds={"python"}, **PARTITIONED)
def crm_leads(
    context: dg.AssetExecutionContext,
    registry: TenantRegistry,
    lead_sources: LeadSources,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per CRM lead created or modified on the tenant's local day (raw.crm_leads)."""
    return _ingest(
        context,
        registry,
        warehouse,
        CRM_LEADS,
        "lead_id",
        lambda tenant: lead_sources.for_tenant(tenant),
        lambda src, day, now: src.leads_for_day(day, now),
        lead_rows,
        ["tenant_id", "lead_id", "full_name", "phone_e164", "lead_status"],
    )


@dg.asset(group_name="ingest", kinds={"python"}, **PARTITIONED)
def call_records(
    context: dg.AssetExecutionContext,
    registry: TenantRegistry,
    call_sources: CallSources,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per call started on the tenant's local day (raw.call_records)."""
    return _ingest(
        context,
        registry,
        warehouse,
        CALL_RECORDS,
        "call_id",
        lambda tenant: call_sources.for_tenant(tenant),
        lambda src, day, now: src.calls_for_day(day, now),
        call_rows,
        [
            "tenant_id",
            "call_id",
            "agent_name",
            "phone_raw",
            "phone_e164",
            "call_status",
            "duration_seconds",
        ],
        status_column="call_status",
    )


def _ingest(
    context,
    registry,
    warehouse,
    table,
    id_column,
    source_for,
    fetch,
    to_rows,
    preview_columns,
    status_column=None,
) -> dg.MaterializeResult:
    run, now = TenantRun(context, registry), utcnow()
    frames, logs = [], []
    for tenant, days in run.tenants():
        try:
            source = source_for(tenant)
            for day in days:
                records = fetch(source, day, now)
                frames.append(
                    to_rows(tenant.id, day, tenant.default_region, source.provider, records, now)
                )
                logs.append(
                    {
                        "tenant_id": tenant.id,
                        "partition_date": day,
                        "source": table.name,
                        "provider": source.provider,
                        "fetched": len(records),
                        "synced_at_utc": now,
                    }
                )
        except Exception as exc:  # noqa: BLE001 - isolate the tenant, report below
            run.fail(tenant, f"{table.name} fetch", exc)
            frames = [f for f in frames if f.empty or f["tenant_id"].iloc[0] != tenant.id]
            logs = [row for row in logs if row["tenant_id"] != tenant.id]
    rows = (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=table.column_names)
    )
    rows, duplicates = dedupe_by_id(rows, id_column)
    slices = run.done_slices()
    warehouse.write(
        [
            SliceWrite(table, slices, rows),
            SliceWrite(SYNC_LOG, slices, pd.DataFrame(logs), {"source": table.name}),
        ]
    )
    run.raise_failures()
    metadata = {
        "dagster/row_count": len(rows),
        "partitions": len(slices),
        "fetched": sum(row["fetched"] for row in logs),
        "duplicates_dropped": duplicates,
        "invalid_phones": int((~rows["phone_valid"].astype(bool)).sum()) if len(rows) else 0,
        "phone_issues": counts(rows, "phone_issue"),
        "preview": preview(rows, preview_columns),
    }
    if status_column:
        metadata["by_status"] = counts(rows, status_column)
    return dg.MaterializeResult(metadata=metadata)
