"""One tenant's CRM write-back in a run: each analysed call's contact tag and one-line summary
written on its lead (Zoho note, LeadSquared activity), once per call and agent version.

The exactly-once ledger (stages/ledger.py, delivery.crm_writebacks) is read before writing and
updated around every write. A run that died between the two leaves "sending": the next attempt
first looks on the lead for the note's reference line instead of posting it again. Failed
writes are retried by later runs, up to MAX_ATTEMPTS; a CRM without a write API and a call
without a lead are recorded, not written.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from callintel_dagster.lib.crm_notes import CallNote
from callintel_dagster.lib.tables import CALL_ANALYSES, CRM_WRITEBACKS, FCT_CALLS
from callintel_dagster.lib.tenants.registry import Tenant
from callintel_dagster.providers.base import CrmWriter, ProviderError
from callintel_dagster.resources.warehouse import PartitionSlice, Warehouse
from callintel_dagster.stages.ledger import SENDING, Ledger, Step

MAX_ATTEMPTS = 3
LEDGER_KEY = ("tenant_id", "call_id", "agent_version")
COUNTS = ("written", "already_written", "no_lead", "no_crm_api", "failed", "gave_up")
NO_LEAD = "no CRM lead with this phone number (marts.fct_calls.lead_id)"


@dataclass
class WritebackOutcome:
    rows: list[dict] = field(default_factory=list)  # ledger rows written this run
    counts: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


def writeback_ledger(warehouse: Warehouse) -> Ledger:
    """Done once written; a failed or interrupted write is given up after MAX_ATTEMPTS."""
    return Ledger(
        warehouse,
        CRM_WRITEBACKS,
        LEDGER_KEY,
        stamp="written_at_utc",
        done=lambda row: row["status"] == "written",
        held=lambda row: row["status"] in ("failed", SENDING) and row["attempts"] >= MAX_ATTEMPTS,
    )


def write_back(
    tenant: Tenant, days: list[date], writer: CrmWriter, warehouse: Warehouse
) -> WritebackOutcome:
    slices = [(tenant.id, day) for day in days]
    ledger = writeback_ledger(warehouse)
    previous = {(r["call_id"], r["agent_version"]): r for r in ledger.rows_in(slices)}
    out = WritebackOutcome()
    for call in analysed_calls(warehouse, slices).itertuples(index=False):
        prev = previous.get((call.call_id, call.agent_version))
        status = prev["status"] if prev else None
        step = ledger.step(prev)
        tries = prev["attempts"] if status in ("failed", SENDING) else 0
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
        if step is Step.DONE:
            out.counts["already_written"] += 1
        elif step is Step.HELD:
            out.counts["gave_up"] += 1
        elif not writer.can_write:
            if status != "no_crm_api":
                _record(ledger, out, {**row, "status": "no_crm_api", "reason": writer.reason})
            out.counts["no_crm_api"] += 1
        elif lead_id is None:
            if status != "no_lead":  # re-checked every run: the lead may be synced later
                _record(ledger, out, {**row, "status": "no_lead", "reason": NO_LEAD})
            out.counts["no_lead"] += 1
        else:
            _write_one(tenant, call, {**row, "attempts": tries + 1}, writer, ledger, out)
    return out


def _write_one(tenant, call, row: dict, writer: CrmWriter, ledger: Ledger, out: WritebackOutcome):
    note = CallNote(
        call_id=call.call_id,
        agent_version=call.agent_version,
        contact_tag=_text(call.contact_tag),
        lead_status=_text(call.lead_status),
        summary=_text(call.summary),
        started_at_utc=pd.Timestamp(call.started_at_utc).to_pydatetime(),
        timezone=tenant.timezone,
    )
    claimed = ledger.claim(row)
    try:
        # a second attempt (after a failure, or in doubt after a crash) may follow one that
        # reached the CRM: look on the lead before posting again
        remote_id = writer.write_call_note(row["lead_id"], note, check_existing=row["attempts"] > 1)
    except ProviderError as exc:
        out.errors.append(f"call {call.call_id}: {exc}")
        out.rows.append(ledger.settle(claimed, status="failed", reason=str(exc)[:1000]))
        out.counts["failed"] += 1
        return
    out.rows.append(ledger.settle(claimed, status="written", remote_id=remote_id))
    out.counts["written"] += 1


def analysed_calls(warehouse: Warehouse, slices: list[PartitionSlice]) -> pd.DataFrame:
    """The slices' calls analysed ok (latest analysis per call), with their lead and start."""
    columns = ["partition_date", "call_id", "agent_version", "contact_tag", "lead_status"]
    columns += ["summary", "analysis_status"]
    analyses = warehouse.read_slices(
        CALL_ANALYSES.qualified, slices, ", ".join(columns), order_by="analysed_at_utc"
    )
    # the latest analysis of each call, as marts.fct_calls picks it
    latest = analyses.reindex(columns=columns).drop_duplicates("call_id", keep="last")
    latest = latest[latest["analysis_status"] == "ok"]
    links = ["call_id", "lead_id", "started_at_utc"]
    calls = warehouse.read_slices(FCT_CALLS, slices, ", ".join(links))
    return latest.merge(calls.reindex(columns=links), on="call_id", how="left")


def _record(ledger: Ledger, out: WritebackOutcome, row: dict) -> None:
    out.rows.append(ledger.save(row))


def _text(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value).strip() or None
