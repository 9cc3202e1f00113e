"""Deliver: each analysed call's contact tag and one-line summary written on its lead in the
tenant's CRM (Zoho note, LeadSquared activity), once per call and agent version.

The ledger (delivery.crm_writebacks) is read before writing and updated around every write: a
"sending" row goes in before the CRM is asked, the outcome replaces it after. A run that dies in
between leaves "sending", so the next run first looks on the lead for the note's reference line
instead of posting it again. Failed writes are retried by later runs, up to MAX_ATTEMPTS.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import dagster as dg
import pandas as pd

from callintel_dagster.assets.common import PARTITIONED, utcnow
from callintel_dagster.assets.metadata import preview
from callintel_dagster.assets.tenant_loop import TenantRun
from callintel_dagster.lib.crm_notes import CallNote
from callintel_dagster.lib.tables import CRM_WRITEBACKS
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.http import ProviderError
from callintel_dagster.resources.crm_writeback import CrmWriter, CrmWriters, writeback_enabled
from callintel_dagster.resources.registry import TenantRegistry
from callintel_dagster.resources.warehouse import RowUpsert, Warehouse

MAX_ATTEMPTS = 3
LEDGER_KEY = ("tenant_id", "call_id", "agent_version")
COUNTS = ("written", "already_written", "no_lead", "no_crm_api", "failed", "gave_up")


@dataclass
class Outcome:
    rows: list[dict] = field(default_factory=list)  # ledger rows written this run
    counts: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


@dg.asset(
    group_name="deliver", deps=["call_analyses", "fct_calls"], kinds={"python"}, **PARTITIONED
)
def crm_writeback(
    context: dg.AssetExecutionContext,
    registry: TenantRegistry,
    crm_writers: CrmWriters,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    """One row per analysed call and agent version of tenants with `crm.writeback: true`
    (delivery.crm_writebacks): the note or activity written on its lead (written), no lead
    matched (no_lead), a CRM without a write API (no_crm_api), or the failure and attempts."""
    run, total, off, requests = TenantRun(context, registry), Outcome(), [], 0
    for tenant, days in run.tenants():
        if not writeback_enabled(tenant):
            off.append(tenant.id)
            continue
        try:
            writer = crm_writers.for_tenant(tenant)
            try:
                done = write_back(tenant, days, writer, warehouse)
            finally:
                requests += writer.requests
                writer.close()
        except Exception as exc:  # a bad key or a missing mart fails this tenant, not the others
            run.fail(tenant, "crm write-back", exc)
            continue
        total.rows.extend(done.rows)
        total.counts.update(done.counts)
        if done.errors:  # recorded in the ledger and retried later, but never a green run
            n = len(done.errors)
            run.fail(
                tenant, "crm write-back", RuntimeError(f"{n} write(s) failed: {done.errors[0]}")
            )
    if off:
        context.log.info(f"crm write-back is off for {', '.join(off)} (crm.writeback: false)")
    frame = pd.DataFrame(total.rows, columns=CRM_WRITEBACKS.column_names)
    run.raise_failures()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(frame),
            **{name: total.counts.get(name, 0) for name in COUNTS},
            "requests": requests,
            "writeback_off": off,
            "preview": preview(frame, ["tenant_id", "call_id", "status", "lead_id", "remote_id"]),
        }
    )


def write_back(
    tenant: Tenant, days: list[date], writer: CrmWriter, warehouse: Warehouse
) -> Outcome:
    slices = [(tenant.id, day) for day in days]
    ledger = warehouse.read_slices(CRM_WRITEBACKS.qualified, slices)
    previous = {(r.call_id, r.agent_version): r for r in ledger.itertuples(index=False)}
    out = Outcome()
    for call in analysed_calls(warehouse, slices).itertuples(index=False):
        prev = previous.get((call.call_id, call.agent_version))
        status = getattr(prev, "status", None)
        tries = int(prev.attempts) if status in ("failed", "sending") else 0
        lead_id = _text(call.lead_id)
        row = {
            "tenant_id": tenant.id,
            "partition_date": call.partition_date,
            "call_id": call.call_id,
            "agent_version": call.agent_version,
            "provider": writer.provider,
            "lead_id": lead_id,
            "remote_id": None,
            "reason": None,
            "attempts": tries,
        }
        if status == "written":
            out.counts["already_written"] += 1
        elif tries >= MAX_ATTEMPTS:
            out.counts["gave_up"] += 1
        elif not writer.can_write:
            if status != "no_crm_api":
                _record(warehouse, out, {**row, "status": "no_crm_api", "reason": writer.reason})
            out.counts["no_crm_api"] += 1
        elif lead_id is None:
            if status != "no_lead":  # re-checked every run: the lead may be synced later
                reason = "no CRM lead with this phone number (marts.fct_calls.lead_id)"
                _record(warehouse, out, {**row, "status": "no_lead", "reason": reason})
            out.counts["no_lead"] += 1
        else:
            _write_one(tenant, call, {**row, "attempts": tries + 1}, writer, warehouse, out)
    return out


def _write_one(tenant, call, row: dict, writer: CrmWriter, warehouse: Warehouse, out: Outcome):
    note = CallNote(
        call_id=call.call_id,
        agent_version=call.agent_version,
        contact_tag=_text(call.contact_tag),
        lead_status=_text(call.lead_status),
        summary=_text(call.summary),
        started_at_utc=pd.Timestamp(call.started_at_utc).to_pydatetime(),
        timezone=tenant.timezone,
    )
    _record(warehouse, None, {**row, "status": "sending"})  # before: a crash now is detectable
    try:
        # a second attempt may follow one that reached the CRM: look before posting again
        remote_id = writer.write_call_note(row["lead_id"], note, check_existing=row["attempts"] > 1)
    except ProviderError as exc:
        out.errors.append(f"call {call.call_id}: {exc}")
        _record(warehouse, out, {**row, "status": "failed", "reason": str(exc)[:1000]})
        out.counts["failed"] += 1
        return
    _record(warehouse, out, {**row, "status": "written", "remote_id": remote_id})
    out.counts["written"] += 1


def analysed_calls(warehouse: Warehouse, slices: list[tuple[str, date]]) -> pd.DataFrame:
    """The slices' calls analysed ok (latest analysis per call), with their lead and start."""
    columns = ["partition_date", "call_id", "agent_version", "contact_tag", "lead_status"]
    columns += ["summary", "analysis_status"]
    analyses = warehouse.read_slices(
        "core.call_analyses", slices, ", ".join(columns), order_by="analysed_at_utc"
    )
    # the latest analysis of each call, as marts.fct_calls picks it
    latest = analyses.reindex(columns=columns).drop_duplicates("call_id", keep="last")
    latest = latest[latest["analysis_status"] == "ok"]
    links = ["call_id", "lead_id", "started_at_utc"]
    calls = warehouse.read_slices("marts.fct_calls", slices, ", ".join(links))
    return latest.merge(calls.reindex(columns=links), on="call_id", how="left")


def _record(warehouse: Warehouse, out: Outcome | None, row: dict) -> None:
    row = {**row, "written_at_utc": utcnow()}
    frame = pd.DataFrame([row], columns=CRM_WRITEBACKS.column_names)
    warehouse.write([RowUpsert(CRM_WRITEBACKS, LEDGER_KEY, frame)])
    if out is not None:
        out.rows.append(row)


def _text(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value).strip() or None
