"""What callintel syncs: CRM leads (with deals where the CRM has them) and call records."""

from collections import Counter

import pandas as pd

from callintel_dagster.lib.ingest.rows import call_rows, deal_rows, lead_rows
from callintel_dagster.lib.tables import CALL_RECORDS, CRM_DEALS, CRM_LEADS
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.resources.warehouse import Warehouse
from callintel_dagster.stages.sync import SyncSpec

# calls the provider may still change, re-read by id on every sync until final
PENDING_CALLS_SQL = (
    f"SELECT call_id FROM {CALL_RECORDS.qualified} WHERE tenant_id = ? AND NOT is_final"
)
CRM_PHONES_SQL = (
    f"SELECT DISTINCT phone_e164 FROM {CRM_LEADS.qualified} WHERE tenant_id = ? "
    "AND phone_e164 IS NOT NULL"
)

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
    offered_by=lambda capabilities: capabilities.has_deals,
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
    warehouse: Warehouse, tenant: Tenant, rows: pd.DataFrame, counts: Counter, log=None
) -> pd.DataFrame:
    """Keep calls whose number is a CRM lead, when the tenant asks for it (seed 001). An empty
    lead list would silently drop every call (seed 001's BID 6004): then the filter is off, with
    a warning, and the metadata says so."""
    if not getattr(tenant.calls, "only_crm_phones", False) or rows.empty:
        return rows
    leads = warehouse.query(CRM_PHONES_SQL, [tenant.id])
    if leads.empty:
        if log is not None:
            log.warning(
                f"tenant {tenant.id}: only_crm_phones is on but the CRM has no "
                "leads yet; the filter is disabled for this sync"
            )
        counts["crm_filter_disabled_no_leads"] += 1
        return rows
    kept = rows[rows["phone_e164"].isin(set(leads["phone_e164"]))]
    counts["crm_filter_dropped"] += len(rows) - len(kept)
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
    pending_sql=PENDING_CALLS_SQL,
)
