"""Ingest: CRM leads and call records per tenant-local day, phones normalised to E.164."""

import dagster as dg
import pandas as pd

from callintel_dagster.assets.common import PARTITIONED
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.ingest.rows import call_rows, deal_rows, lead_rows
from callintel_dagster.lib.tables import CALL_RECORDS, CRM_DEALS, CRM_LEADS
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.sources import CallSources, LeadSources
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.sync import SyncSpec, run_sync

DEALS = SyncSpec(
    name="deals",
    table=CRM_DEALS,
    id_column="deal_id",
    fetch=lambda source, window: source.fetch_deals(window),
    to_rows=lambda tenant_id, day, region, provider, deals, now: deal_rows(
        tenant_id, day, provider, deals, now
    ),
    timestamp_of=lambda deal: deal.get("modified_at_utc") or deal["created_at_utc"],
    preview_columns=["deal_id", "deal_name", "stage", "amount"],
    needs="fetch_deals",
)
LEADS = SyncSpec(
    name="crm_leads",
    table=CRM_LEADS,
    id_column="lead_id",
    fetch=lambda source, window: source.fetch_leads(window),
    to_rows=lead_rows,
    timestamp_of=lambda lead: lead.get("modified_at_utc") or lead["created_at_utc"],
    preview_columns=["tenant_id", "lead_id", "full_name", "phone_e164", "lead_status"],
    companion=DEALS,
)


def crm_phone_filter(
    context, warehouse: Warehouse, tenant, rows: pd.DataFrame, stats: dict
) -> pd.DataFrame:
    """Keep calls whose number is a CRM lead, when the tenant asks for it (seed 001). An empty
    lead list would silently drop every call (seed 001's BID 6004): then the filter is off, with
    a warning, and the metadata says so."""
    if not getattr(tenant.calls, "only_crm_phones", False) or rows.empty:
        return rows
    leads = warehouse.query(
        "SELECT DISTINCT phone_e164 FROM raw.crm_leads WHERE tenant_id = ? "
        "AND phone_e164 IS NOT NULL",
        [tenant.id],
    )
    if leads.empty:
        context.log.warning(
            f"tenant {tenant.id}: only_crm_phones is on but the CRM has no "
            "leads yet; the filter is disabled for this sync"
        )
        stats["crm_filter_disabled_no_leads"] += 1
        return rows
    kept = rows[rows["phone_e164"].isin(set(leads["phone_e164"]))]
    stats["crm_filter_dropped"] += len(rows) - len(kept)
    return kept


CALLS = SyncSpec(
    name="call_records",
    table=CALL_RECORDS,
    id_column="call_id",
    fetch=lambda source, window: source.fetch_calls(window),
    to_rows=call_rows,
    timestamp_of=lambda call: call["started_at_utc"],
    preview_columns=[
        "tenant_id",
        "call_id",
        "agent_name",
        "phone_raw",
        "phone_e164",
        "call_status",
        "duration_seconds",
    ],
    status_column="call_status",
    keep=crm_phone_filter,
    pending_sql="SELECT call_id FROM raw.call_records WHERE tenant_id = ? AND NOT is_final",
)


@dg.asset(group_name="ingest", kinds={"python"}, **PARTITIONED)
def crm_leads(
    context: dg.AssetExecutionContext,
    registry: TenantRegistry,
    lead_sources: LeadSources,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per CRM lead, on the tenant-local day it was last modified (raw.crm_leads);
    upserted by lead id. CRMs with a deal pipeline (Zoho) also fill raw.crm_deals."""
    return run_sync(
        context, TenantRun(context, registry), warehouse, lead_sources.for_tenant, LEADS
    )


@dg.asset(group_name="ingest", kinds={"python"}, **PARTITIONED)
def call_records(
    context: dg.AssetExecutionContext,
    registry: TenantRegistry,
    call_sources: CallSources,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per call, on the tenant-local day it started (raw.call_records); upserted by
    call id."""
    return run_sync(
        context, TenantRun(context, registry), warehouse, call_sources.for_tenant, CALLS
    )
