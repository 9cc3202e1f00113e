"""The rows around the explorer tests' calls (explorer_rows.py): the CRM lead and deals, the
sync log, AI usage, a held call and a quarantined record, per tenant."""

import json
from datetime import date, datetime

from callintel_dagster.lib import tables as T

TENANTS = ("acme", "globex")
DAY1, DAY2, DAY3 = date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)
DAYS = (DAY1, DAY2, DAY3)
SYNCED = datetime(2026, 11, 20, 9, 0)
PHONE = {"acme": "+919800000001", "globex": "+14155550101"}  # call-0001's number: a lead's


def around_rows(t: str, agent2: str) -> dict[T.Table, list[dict]]:
    return {
        T.CRM_LEADS: [
            {
                "tenant_id": t,
                "partition_date": DAY1,
                "lead_id": f"{t}-L1",
                "provider": "synthetic",
                "full_name": f"Lead of {t}",
                "phone_raw": PHONE[t],
                "phone_e164": PHONE[t],
                "phone_valid": True,
                "lead_source": "web",
                "lead_status": "new",
                "created_at_utc": SYNCED,
                "created_date": DAY1,
                "modified_at_utc": SYNCED,
                "record_hash": "l",
                "ingested_at_utc": SYNCED,
            },
        ],
        T.CRM_DEALS: [
            {
                "tenant_id": t,
                "partition_date": DAY2,
                "deal_id": f"{t}-D1",
                "provider": "zoho",
                "stage": "Closed Won",
                "amount": 5000.0,
                "record_hash": "d",
                "ingested_at_utc": SYNCED,
            },
            {
                "tenant_id": t,
                "partition_date": DAY2,
                "deal_id": f"{t}-D2",
                "provider": "zoho",
                "stage": "Closed Lost",
                "amount": 10.0,
                "record_hash": "d",
                "ingested_at_utc": SYNCED,
            },
        ],
        T.SYNC_LOG: [
            {
                "tenant_id": t,
                "partition_date": d,
                "source": "call_records",
                "provider": "synthetic",
                "fetched": 2,
                "synced_at_utc": SYNCED,
            }
            for d in DAYS
        ],
        T.AI_USAGE: [
            {
                "tenant_id": t,
                "partition_date": DAY1,
                "usage_id": f"{t}-u1",
                "kind": "llm",
                "purpose": "analysis",
                "call_id": "call-0001",
                "provider": "openai",
                "model": "gpt-4o-mini",
                "requests": 1,
                "retries": 0,
                "prompt_tokens": 900,
                "completion_tokens": 200,
                "cost_usd": 0.25,
                "priced": True,
                "recorded_at_utc": SYNCED,
            },
        ],
        T.HELD_CALLS: [
            {
                "tenant_id": t,
                "partition_date": DAY2,
                "call_id": f"{t}-held",
                "phone_e164": "+1",
                "row_json": json.dumps(
                    {
                        "agent_name": agent2,
                        "call_status": "completed",
                        "transcript_text": "words never shown",
                    }
                ),
                "held_at_utc": SYNCED,
            },
        ],
        T.QUARANTINED_RECORDS: [
            {
                "tenant_id": t,
                "partition_date": DAY2,
                "source": "call_records",
                "provider": "synthetic",
                "quarantine_id": f"{t}-quar",
                "record_id": f"{t}-quar",
                "reason": "started_at: missing",
                "payload_json": "{}",
                "status": "open",
                "quarantined_at_utc": SYNCED,
            },
        ],
    }
