"""Source records → warehouse rows: phones normalised, timestamps UTC, nothing dropped.

A record whose phone cannot be normalised keeps its raw number and a flag with the reason.
"""

import hashlib
import json
from datetime import date, datetime

import pandas as pd

from callintel_dagster.lib.ingest.redaction import REDACTIONS_KEY, counts_json
from callintel_dagster.lib.phones import normalise_phone
from callintel_dagster.lib.tables import CALL_RECORDS, CRM_DEALS, CRM_LEADS


def lead_rows(
    tenant_id: str, day: date, region: str, provider: str, leads: list[dict], ingested_at: datetime
) -> pd.DataFrame:
    rows = []
    for lead in leads:
        phone = normalise_phone(lead.get("phone_raw"), region)
        rows.append(
            {
                "tenant_id": tenant_id,
                "partition_date": day,
                "lead_id": str(lead["lead_id"]),
                "provider": provider,
                "full_name": lead.get("full_name"),
                "phone_raw": phone.raw,
                "phone_e164": phone.e164,
                "phone_valid": phone.valid,
                "phone_issue": phone.issue,
                "email": lead.get("email"),
                "lead_source": lead.get("lead_source"),
                "lead_status": lead.get("lead_status"),
                "created_at_utc": lead.get("created_at_utc"),
                "modified_at_utc": lead.get("modified_at_utc"),
                "extra_json": json.dumps(lead.get("extra") or {}, default=str, ensure_ascii=False),
                "record_hash": record_hash(lead),
                "repairs": repairs_text(lead),
                "ingested_at_utc": ingested_at,
            }
        )
    return _frame(rows, CRM_LEADS.column_names)


def call_rows(
    tenant_id: str, day: date, region: str, provider: str, calls: list[dict], ingested_at: datetime
) -> pd.DataFrame:
    rows = []
    for call in calls:
        phone = normalise_phone(call.get("phone_raw"), region)
        turns = call.get("turns")
        rows.append(
            {
                "tenant_id": tenant_id,
                "partition_date": day,
                "call_id": str(call["call_id"]),
                "provider": provider,
                "direction": call.get("direction"),
                "agent_name": call.get("agent_name"),
                "phone_raw": phone.raw,
                "phone_e164": phone.e164,
                "phone_valid": phone.valid,
                "phone_issue": phone.issue,
                "started_at_utc": call["started_at_utc"],
                "ended_at_utc": call.get("ended_at_utc"),
                "duration_seconds": call.get("duration_seconds"),
                "call_status": call["call_status"],
                "recording_url": call.get("recording_url"),
                "language": call.get("language"),
                "transcript_text": call.get("transcript_text"),
                "transcript_turns_json": json.dumps(turns, ensure_ascii=False) if turns else None,
                # provider fields we do not model yet are kept, not dropped
                "extra_json": json.dumps(
                    {k: v for k, v in call.items() if k not in _MODELLED_CALL_FIELDS},
                    default=str,
                    ensure_ascii=False,
                ),
                "is_final": bool(call.get("is_final", True)),
                "record_hash": record_hash(call),
                "repairs": repairs_text(call),
                "ingested_at_utc": ingested_at,
                "redactions_json": counts_json(call.get(REDACTIONS_KEY)),
            }
        )
    return _frame(rows, CALL_RECORDS.column_names)


# what call_rows maps to its own columns ("turns" becomes transcript_turns_json)
_MODELLED_CALL_FIELDS = set(CALL_RECORDS.column_names) | {"turns", REDACTIONS_KEY}


def deal_rows(
    tenant_id: str, day: date, provider: str, deals: list[dict], ingested_at: datetime
) -> pd.DataFrame:
    known = set(CRM_DEALS.column_names)
    rows = [
        {
            "tenant_id": tenant_id,
            "partition_date": day,
            "provider": provider,
            **{k: v for k, v in deal.items() if k in known and k != "extra_json"},
            "deal_id": str(deal["deal_id"]),
            "extra_json": json.dumps(
                {k: v for k, v in deal.items() if k not in known}, default=str, ensure_ascii=False
            ),
            "record_hash": record_hash(deal),
            "repairs": repairs_text(deal),
            "ingested_at_utc": ingested_at,
        }
        for deal in deals
    ]
    return _frame(rows, CRM_DEALS.column_names)


def repairs_text(record: dict) -> str | None:
    """The sanitiser's notes (`column:reason`, comma-separated), None when nothing was repaired."""
    return ", ".join(record.get("repairs") or ()) or None


def record_hash(record: dict) -> str:
    """A stable hash of what the source said, so a re-fetch can tell updated from unchanged."""
    payload = json.dumps(record, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]


def dedupe_by_id(frame: pd.DataFrame, id_column: str) -> tuple[pd.DataFrame, int]:
    """Keep the last record per (tenant, id): a source that repeats a record must not duplicate it."""
    if frame.empty:
        return frame, 0
    deduped = frame.drop_duplicates(subset=["tenant_id", id_column], keep="last")
    return deduped, len(frame) - len(deduped)


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)
