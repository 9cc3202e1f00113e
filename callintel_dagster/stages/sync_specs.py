"""What callintel syncs: CRM leads (with deals where the CRM has them) and call records."""

import json
from collections import Counter

import pandas as pd

from callintel_dagster.lib.ingest.checks import call_problem, deal_problem, lead_problem
from callintel_dagster.lib.ingest.redaction import redact_call_record
from callintel_dagster.lib.ingest.rows import call_rows, deal_rows, lead_rows
from callintel_dagster.lib.tables import CALL_RECORDS, CRM_DEALS, CRM_LEADS, HELD_CALLS
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.resources.warehouse import RowDelete, RowUpsert
from callintel_dagster.stages.sync import InTransaction, SyncSpec

# calls the provider may still change, re-read by id on every sync until final
PENDING_CALLS_SQL = (
    f"SELECT call_id FROM {CALL_RECORDS.qualified} WHERE tenant_id = ? AND NOT is_final"
)
HELD_CALLS_SQL = (
    f"SELECT call_id, phone_e164, row_json FROM {HELD_CALLS.qualified} WHERE tenant_id = ?"
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
    problem=deal_problem,
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
    problem=lead_problem,
    preview_columns=["tenant_id", "lead_id", "full_name", "phone_e164", "lead_status"],
    companion=DEALS,
)


def crm_phone_filter(
    db: InTransaction, tenant: Tenant, rows: pd.DataFrame, counts: Counter, log, now
) -> tuple[pd.DataFrame, list]:
    """Keep calls whose number is a CRM lead, when the tenant asks for it (seed 001). The others
    are held back (raw.held_calls) and re-checked on every sync: a call to a lead created in the
    same window lands once the lead does. An empty lead list would silently drop every call
    (seed 001's BID 6004): then the filter is off, with a warning, and the metadata says so."""
    if not getattr(tenant.calls, "only_crm_phones", False):
        return rows, []
    leads = db.query(CRM_PHONES_SQL, [tenant.id])
    if leads.empty:
        if len(rows) and log is not None:
            log.warning(
                f"tenant {tenant.id}: only_crm_phones is on but the CRM has no "
                "leads yet; the filter is disabled for this sync"
            )
        counts["crm_filter_disabled_no_leads"] += int(len(rows) > 0)
        return rows, []
    phones = set(leads["phone_e164"])
    held = db.query(HELD_CALLS_SQL, [tenant.id])
    released = held[held["phone_e164"].isin(phones) & ~held["call_id"].isin(set(rows["call_id"]))]
    candidates = pd.concat([rows, _rows_of(released)], ignore_index=True) if len(released) else rows
    matches = candidates["phone_e164"].isin(phones)
    kept, holding = candidates[matches], candidates[~matches]
    counts["crm_filter_held"] += len(holding)
    counts["crm_filter_released"] += len(released)
    ops = [
        RowDelete(HELD_CALLS, ("tenant_id", "call_id"), kept[["tenant_id", "call_id"]]),
        RowUpsert(HELD_CALLS, ("tenant_id", "call_id"), _held(holding, now)),
    ]
    return kept.reset_index(drop=True), ops


def _held(rows: pd.DataFrame, now) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tenant_id": rows["tenant_id"],
            "partition_date": rows["partition_date"],
            "call_id": rows["call_id"],
            "phone_e164": rows["phone_e164"],
            "row_json": [
                json.dumps(r, default=str, ensure_ascii=False) for r in rows.to_dict("records")
            ],
            "held_at_utc": now,
        },
        columns=HELD_CALLS.column_names,
    )


def _rows_of(held: pd.DataFrame) -> pd.DataFrame:
    """Held rows back as raw.call_records rows, with their types."""
    frame = pd.DataFrame(
        [json.loads(r) for r in held["row_json"]], columns=CALL_RECORDS.column_names
    )
    for column in ("started_at_utc", "ended_at_utc", "ingested_at_utc"):
        frame[column] = pd.to_datetime(frame[column])
    frame["partition_date"] = pd.to_datetime(frame["partition_date"]).dt.date
    return frame


CALLS = SyncSpec(
    name="call_records",
    table=CALL_RECORDS,
    id_column="call_id",
    fetch=lambda source, window: source.fetch_calls(window),
    to_rows=call_rows,
    timestamp_of=lambda call: call["started_at_utc"],
    problem=call_problem,
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
    redact=lambda tenant, record: redact_call_record(tenant.privacy, record),
)
